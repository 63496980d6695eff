//! The notifier: a notice off the queue becomes one mail per recipient, in the venue's language
//! with times in its zone. Each mail is claimed before it is sent, so a notice delivered again
//! mails no one twice.

use holdfast_domain::{
    ALERT_AFTER_FAILURES, About, Notice, NoticeKind, PaymentProvider, Recipient, Venue,
    should_alert,
};
use holdfast_domain::{BookingId, CalendarId, ResourceId, VenueId};
use holdfast_messaging::{
    AccountFacts, CalendarFacts, MailFacts, Mailer, MessagingError, Rendered, SendError, Templates,
};
use holdfast_store::{MailClaim, StoreError};
use jiff::SignedDuration;

use crate::app::{App, sdk_config};
use crate::config::{Config, ConfigError};
use crate::metrics::{self, Metric};

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
    #[error("venue {0} of the notice does not exist")]
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
        match &notice.about {
            About::Booking(booking_id) => self.deliver_booking(&notice, booking_id).await,
            About::Venue(venue_id) => self.deliver_venue(&notice, venue_id).await,
            About::Calendar {
                resource_id,
                calendar_id,
            } => {
                self.deliver_calendar(&notice, resource_id, calendar_id)
                    .await
            }
        }
    }

    /// A notice about a booking: its customer and, as the kind and the venue's settings say,
    /// its venue's staff.
    async fn deliver_booking(
        &self,
        notice: &Notice,
        booking_id: &BookingId,
    ) -> Result<usize, NotifyError> {
        let store = &self.app.store;
        let booking = store
            .booking(booking_id)
            .await?
            .ok_or_else(|| NotifyError::NoBooking(booking_id.to_string()))?;
        let venue = store
            .venue(&booking.venue_id)
            .await?
            .ok_or_else(|| NotifyError::NoVenue(booking.venue_id.to_string()))?;
        let resource = store
            .resource(&booking.resource_id)
            .await?
            .map_or_else(|| booking.resource_id.clone(), |r| r.name.into());
        let facts = MailFacts::of(&booking, &venue, &resource);
        let mut sent = 0;
        for to in notice.kind.recipients(venue.settings.staff_alerts) {
            let address = match to {
                Recipient::Customer => &booking.customer.email,
                Recipient::Staff => &venue.contact_email,
            };
            let render = || {
                self.templates
                    .render(venue.language.as_str(), notice.kind, to, &facts)
            };
            sent += usize::from(self.mail_once(notice, to, address, render).await?);
        }
        Ok(sent)
    }

    /// A notice about a venue: its payment account, told to its staff (a venue notice has no
    /// customer). An account that is no longer failing when the notice arrives (connected
    /// again, refreshed, or removed meanwhile) is told nothing: the alert is moot.
    async fn deliver_venue(
        &self,
        notice: &Notice,
        venue_id: &VenueId,
    ) -> Result<usize, NotifyError> {
        let store = &self.app.store;
        let venue = store
            .venue(venue_id)
            .await?
            .ok_or_else(|| NotifyError::NoVenue(venue_id.to_string()))?;
        let facts = match notice.kind {
            NoticeKind::AccountFailing => {
                let provider = PaymentProvider::MercadoPago;
                let account = store
                    .accounts(venue_id)
                    .await?
                    .into_iter()
                    .find(|a| a.provider == provider);
                let failures = store.refresh_failures(venue_id).await?.unwrap_or(0);
                match account {
                    Some(account) if should_alert(failures) => {
                        AccountFacts::of(&venue, &account, failures)
                    }
                    _ => {
                        tracing::info!(
                            notice_id = %notice.notice_id,
                            %venue_id,
                            "the account is no longer failing: nothing to tell"
                        );
                        return Ok(0);
                    }
                }
            }
            other => return Err(MessagingError::Facts(other).into()),
        };
        self.mail_staff(notice, &venue, |to| {
            self.templates
                .render_account(venue.language.as_str(), notice.kind, to, &facts)
        })
        .await
    }

    /// A notice about an imported calendar, told to its venue's staff. A calendar removed, or
    /// syncing again, by the time the notice arrives is told nothing: the alert is moot.
    async fn deliver_calendar(
        &self,
        notice: &Notice,
        resource_id: &ResourceId,
        calendar_id: &CalendarId,
    ) -> Result<usize, NotifyError> {
        let store = &self.app.store;
        let calendar = match store.calendar(resource_id, calendar_id).await? {
            Some(calendar) if calendar.consecutive_failures >= ALERT_AFTER_FAILURES => calendar,
            _ => {
                tracing::info!(
                    notice_id = %notice.notice_id,
                    %calendar_id,
                    "the calendar is no longer failing: nothing to tell"
                );
                return Ok(0);
            }
        };
        let venue = store
            .venue(&calendar.venue_id)
            .await?
            .ok_or_else(|| NotifyError::NoVenue(calendar.venue_id.to_string()))?;
        let resource = store
            .resource(resource_id)
            .await?
            .map_or_else(|| resource_id.to_string(), |r| r.name);
        let facts = CalendarFacts::of(&venue, &resource, &calendar);
        self.mail_staff(notice, &venue, |to| {
            self.templates
                .render_calendar(venue.language.as_str(), notice.kind, to, &facts)
        })
        .await
    }

    /// Mails a notice that is not about a booking to `venue`'s staff, as its kind says: such a
    /// notice has no customer, and none is made up.
    async fn mail_staff(
        &self,
        notice: &Notice,
        venue: &Venue,
        render: impl Fn(Recipient) -> Result<Rendered, MessagingError>,
    ) -> Result<usize, NotifyError> {
        let mut sent = 0;
        for to in notice.kind.recipients(venue.settings.staff_alerts) {
            if to == Recipient::Staff {
                let mail = || render(to);
                sent += usize::from(
                    self.mail_once(notice, to, &venue.contact_email, mail)
                        .await?,
                );
            }
        }
        Ok(sent)
    }

    /// Sends `notice`'s mail to `to` at `address`, unless it went already: claimed first,
    /// marked sent after. `false` when it had gone.
    async fn mail_once(
        &self,
        notice: &Notice,
        to: Recipient,
        address: &str,
        render: impl FnOnce() -> Result<Rendered, MessagingError>,
    ) -> Result<bool, NotifyError> {
        let store = &self.app.store;
        let now = self.app.clock.now();
        match store.claim_mail(&notice.notice_id, to, now, LEASE).await? {
            MailClaim::AlreadySent => return Ok(false),
            MailClaim::InFlight => return Err(NotifyError::InFlight),
            MailClaim::Claimed => {}
        }
        let message_id = format!("{}.{}@holdfast", notice.notice_id, to.as_str());
        let result = match render() {
            Ok(mail) => self
                .mailer
                .send(address, &mail, &message_id)
                .await
                .map_err(NotifyError::from),
            Err(err) => Err(err.into()),
        };
        if let Err(err) = result {
            metrics::emit(Metric::NotificationFailed(notice.kind));
            // A send SES may have taken keeps its claim until the lease lapses: sending it
            // again at once is what would mail it twice.
            if !matches!(err, NotifyError::Send(SendError::Unknown(_))) {
                store.release_mail(&notice.notice_id, to).await?;
            }
            return Err(err);
        }
        store.mail_sent(&notice.notice_id, to).await?;
        tracing::info!(notice_id = %notice.notice_id, recipient = to.as_str(), "mailed");
        metrics::emit(Metric::NotificationSent(notice.kind));
        Ok(true)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotifierStartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the mail templates do not load")]
    Templates(#[source] MessagingError),
}
