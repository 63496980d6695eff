//! The notifier: a notice off the queue becomes one mail per recipient, in the venue's language
//! with times in its zone. Each mail is claimed before it is sent, so a notice delivered again
//! mails no one twice.

use holdfast_domain::{Notice, Recipient};
use holdfast_messaging::{MailFacts, Mailer, MessagingError, SendError, Templates};
use holdfast_store::{MailClaim, StoreError};
use jiff::SignedDuration;

use crate::app::{App, sdk_config};
use crate::config::{Config, ConfigError};

/// How long a claim on a mail lasts: longer than a send may take (`SES_SEND_TIMEOUT`), short
/// enough that a mail whose sender died, or whose send SES did not answer, goes out with a later
/// delivery (the queue redelivers after its visibility timeout, far longer).
const LEASE: SignedDuration = SignedDuration::from_secs(10);

/// How long one SES send may take.
const SES_SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(7);

/// What the notifier builds once at cold start.
#[derive(Debug)]
pub struct Notifier {
    pub app: App,
    pub mailer: Mailer,
    pub templates: Templates,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("the message is not a notice")]
    Malformed(#[source] serde_json::Error),
    #[error("booking {0} of the notice does not exist")]
    NoBooking(String),
    #[error("venue {0} of the booking does not exist")]
    NoVenue(String),
    #[error("another delivery of this notice is sending its mail")]
    InFlight,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Render(#[from] MessagingError),
    #[error(transparent)]
    Send(#[from] SendError),
}

impl Notifier {
    /// The app, SES with the configured sender, and every template; a missing sender or a
    /// template that does not parse stops the cold start, named.
    pub async fn from_config(config: &Config) -> Result<Notifier, NotifierStartError> {
        let from =
            config
                .mail_from
                .clone()
                .ok_or(NotifierStartError::Config(ConfigError::Missing(
                    "HOLDFAST_MAIL_FROM",
                )))?;
        let shared = sdk_config(config).await;
        let app = App::from_sdk(config, &shared);
        // SendEmail is not idempotent: no SDK retry (a retry of a send that timed out could mail
        // twice) and a long attempt, well inside the notifier's 30-second Lambda timeout. The
        // queue's redelivery is the retry.
        let ses = aws_sdk_sesv2::config::Builder::from(&shared)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(config.timeouts.connect)
                    .operation_attempt_timeout(SES_SEND_TIMEOUT)
                    .operation_timeout(SES_SEND_TIMEOUT)
                    .build(),
            );
        Ok(Notifier {
            app,
            mailer: Mailer::new(aws_sdk_sesv2::Client::from_conf(ses.build()), from),
            templates: Templates::new().map_err(NotifierStartError::Templates)?,
        })
    }

    /// Mails everyone `body` (one queue message) must reach; answers how many mails went now.
    pub async fn deliver(&self, body: &str) -> Result<usize, NotifyError> {
        let notice: Notice = serde_json::from_str(body).map_err(NotifyError::Malformed)?;
        let store = &self.app.store;
        let booking = store
            .booking(&notice.booking_id)
            .await?
            .ok_or_else(|| NotifyError::NoBooking(notice.booking_id.clone()))?;
        let venue = store
            .venue(&booking.venue_id)
            .await?
            .ok_or_else(|| NotifyError::NoVenue(booking.venue_id.clone()))?;
        let resource = store
            .resource(&booking.resource_id)
            .await?
            .map_or_else(|| booking.resource_id.clone(), |r| r.name);
        let facts = MailFacts::of(&booking, &venue, &resource);
        let mut sent = 0;
        for to in notice.kind.recipients(venue.settings.staff_alerts) {
            let address = match to {
                Recipient::Customer => &booking.customer.email,
                Recipient::Staff => &venue.contact_email,
            };
            let now = self.app.clock.now();
            match store.claim_mail(&notice.notice_id, to, now, LEASE).await? {
                MailClaim::AlreadySent => continue,
                MailClaim::InFlight => return Err(NotifyError::InFlight),
                MailClaim::Claimed => {}
            }
            let message_id = format!("{}.{}@holdfast", notice.notice_id, to.as_str());
            let mail = self
                .templates
                .render(venue.language.as_str(), notice.kind, to, &facts);
            let result = match mail {
                Ok(mail) => self
                    .mailer
                    .send(address, &mail, &message_id)
                    .await
                    .map_err(NotifyError::from),
                Err(err) => Err(err.into()),
            };
            if let Err(err) = result {
                // A send SES may have taken keeps its claim until the lease lapses: sending it
                // again at once is what would mail it twice.
                if !matches!(err, NotifyError::Send(SendError::Unknown(_))) {
                    store.release_mail(&notice.notice_id, to).await?;
                }
                return Err(err);
            }
            store.mail_sent(&notice.notice_id, to).await?;
            tracing::info!(notice_id = %notice.notice_id, recipient = to.as_str(), "mailed");
            sent += 1;
        }
        Ok(sent)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotifierStartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the mail templates do not load")]
    Templates(#[source] MessagingError),
}
