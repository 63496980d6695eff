//! The messaging adapters: notices out of the booking core onto the notifications queue (SQS),
//! mail rendered from templates and sent through SES. Each owns its client.

pub mod mail;
pub mod render;

pub use mail::{Mailer, SendError};
pub use render::{AccountFacts, CalendarFacts, Facts, MailFacts, Rendered, Templates};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use holdfast_domain::{Notice, NoticeKind};

/// SQS takes at most ten messages in one batch.
const BATCH: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum MessagingError {
    #[error("the queue did not take the notices")]
    Queue(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("a queue request could not be built")]
    Build(#[from] aws_sdk_sqs::error::BuildError),
    #[error("a notice did not serialise")]
    Encode(#[from] serde_json::Error),
    #[error("template {0} failed")]
    Template(String, #[source] minijinja::Error),
    #[error("a {0} notice is not told from these facts")]
    Facts(NoticeKind),
}

/// The notifications queue: every notice goes there for the notifier.
#[derive(Debug, Clone)]
pub struct Publisher {
    client: Client,
    queue_url: String,
}

impl Publisher {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Publisher {
        Publisher {
            client,
            queue_url: queue_url.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// Whether the queue answers (for health): how many notices wait on it.
    pub async fn ping(&self) -> Result<u64, MessagingError> {
        let answer = self
            .client
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|err| MessagingError::Queue(Box::new(err)))?;
        Ok(answer
            .attributes()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            })
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }

    /// Sends `notices` to the queue; answers the ids of those the queue took (a notice it
    /// refused stays wherever it came from, to be sent again).
    pub async fn publish(&self, notices: &[Notice]) -> Result<Vec<String>, MessagingError> {
        let mut taken = Vec::with_capacity(notices.len());
        for batch in notices.chunks(BATCH) {
            let mut entries = Vec::with_capacity(batch.len());
            for (i, notice) in batch.iter().enumerate() {
                entries.push(
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(serde_json::to_string(notice)?)
                        .build()?,
                );
            }
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| MessagingError::Queue(Box::new(e)))?;
            for ok in out.successful() {
                if let Some(notice) = ok.id().parse::<usize>().ok().and_then(|i| batch.get(i)) {
                    taken.push(notice.notice_id.to_string());
                }
            }
            for failed in out.failed() {
                tracing::warn!(
                    entry = failed.id(),
                    code = failed.code(),
                    "the queue refused a notice"
                );
            }
        }
        Ok(taken)
    }
}
