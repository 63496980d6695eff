//! Sending mail through SES v2: a rendered mail becomes one MIME message (plain text and HTML
//! alternatives) sent as raw content, so that every part reaches the recipient as written.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use mail_builder::MessageBuilder;

use crate::render::Rendered;

/// Why a mail did not go.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// SES refused this mail for good (an unverified sender, a rejected message): retrying
    /// will not help, and the notice ends in the dead-letter queue after its receives.
    #[error("SES rejected the mail")]
    Rejected(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Throttled or refused for now: SES said it did not take the mail, so another delivery
    /// of the notice may send it at once.
    #[error("SES did not take the mail this time")]
    Transient(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Timed out or cut off: SES may have taken the mail or not. Sending it again at once could
    /// mail it twice, so the next try waits for the claim to lapse.
    #[error("SES did not answer whether it took the mail")]
    Unknown(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the mail could not be built")]
    Build(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// SES with the platform's sender address.
#[derive(Debug, Clone)]
pub struct Mailer {
    client: Client,
    from: String,
}

impl Mailer {
    pub fn new(client: Client, from: impl Into<String>) -> Mailer {
        Mailer {
            client,
            from: from.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn from_address(&self) -> &str {
        &self.from
    }

    /// Sends `mail` to `to`, with `message_id` as its Message-ID (one per notice and
    /// recipient, so that a mail sent twice would show as one in any client).
    pub async fn send(&self, to: &str, mail: &Rendered, message_id: &str) -> Result<(), SendError> {
        let raw = MessageBuilder::new()
            .from(self.from.as_str())
            .to(to)
            .subject(mail.subject.as_str())
            .message_id(message_id)
            .text_body(mail.text.as_str())
            .html_body(mail.html.as_str())
            .write_to_vec()
            .map_err(|e| SendError::Build(Box::new(e)))?;
        let raw = RawMessage::builder()
            .data(Blob::new(raw))
            .build()
            .map_err(|e| SendError::Build(Box::new(e)))?;
        let result = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(
                err @ (aws_sdk_sesv2::error::SdkError::TimeoutError(_)
                | aws_sdk_sesv2::error::SdkError::DispatchFailure(_)
                | aws_sdk_sesv2::error::SdkError::ResponseError(_)),
            ) => Err(SendError::Unknown(Box::new(err))),
            Err(err) => match err.as_service_error() {
                Some(
                    SendEmailError::MessageRejected(_)
                    | SendEmailError::MailFromDomainNotVerifiedException(_)
                    | SendEmailError::AccountSuspendedException(_)
                    | SendEmailError::SendingPausedException(_)
                    | SendEmailError::BadRequestException(_)
                    | SendEmailError::NotFoundException(_),
                ) => Err(SendError::Rejected(Box::new(err))),
                _ => Err(SendError::Transient(Box::new(err))),
            },
        }
    }
}
