//! Scheduled jobs. Expiring holds only tidies and reports: a lapsed hold's units are free to
//! the next booking already, because its locks carry their expiry.

use std::time::Duration;

use holdfast_domain::{BookingId, BookingStatus, status_deltas};
use serde::Serialize;
use tokio::time::Instant;

use super::{notices, payments, runner};
use crate::app::App;
use crate::error::ApiError;
use crate::metrics::{self, Metric};

/// How many lapsed holds one run handles; the next run takes the rest.
const BATCH: usize = 500;

/// Holds expired at once: enough to finish a batch quickly, few enough not to flood the table.
const IN_FLIGHT: usize = 16;

/// A run starts no new work after this, well inside its one-minute schedule and its Lambda
/// timeout; what is left waits for the next run.
const RUN_BUDGET: Duration = Duration::from_secs(40);

/// What one `expire-holds` run did.
#[derive(Debug, Serialize)]
pub struct ExpiryRun {
    pub job: &'static str,
    /// Lapsed holds found.
    pub checked: usize,
    pub expired: Vec<BookingId>,
    /// Items that did not read as bookings: logged and skipped.
    pub unreadable: usize,
    /// Holds the store did not expire this time (the next run tries again).
    pub failed: usize,
    /// Holds left for the next run when this one ran out of time.
    pub deferred: usize,
}

pub async fn expire_holds(app: &App) -> Result<ExpiryRun, ApiError> {
    let started = Instant::now();
    let now = app.clock.now();
    let lapsed = app.store.lapsed_holds(now, BATCH).await?;
    let checked = lapsed.len();
    let mut unreadable = 0;
    let mut holds = Vec::with_capacity(checked);
    for read in lapsed {
        match read {
            Ok(booking) => holds.push(booking),
            Err(err) => {
                unreadable += 1;
                tracing::error!(error = %err, "expire-holds skipped an unreadable held booking");
            }
        }
    }
    let (mut expired, mut told, mut failed) = (Vec::new(), Vec::new(), 0);
    let deferred = runner::in_flight(
        holds.into_iter().map(|b| (b.booking_id.clone(), b)),
        IN_FLIGHT,
        started + RUN_BUDGET,
        |booking| {
            let store = app.store.clone();
            async move {
                let tally = status_deltas(&booking, Some(booking.status), BookingStatus::Expired);
                store.expire_booking(&booking, &tally, now).await
            }
        },
        |booking_id, outcome| match outcome {
            Ok(Ok(Some(notice))) => {
                tracing::info!(%booking_id, "hold expired");
                expired.push(booking_id);
                told.push(notice);
            }
            // Paid, cancelled or expired meanwhile: nothing to do.
            Ok(Ok(None)) => {}
            Ok(Err(err)) => {
                failed += 1;
                tracing::error!(%booking_id, error = %err, "expire-holds could not expire a hold");
            }
            Err(panicked) => {
                failed += 1;
                tracing::error!(%booking_id, error = %panicked, "expire-holds task failed");
            }
        },
    )
    .await;
    notices::tell(app, &told).await;
    metrics::emit(Metric::HoldsExpired(expired.len() as u64));
    Ok(ExpiryRun {
        job: "expire-holds",
        checked,
        expired,
        unreadable,
        failed,
        deferred,
    })
}

/// How many due reminders one run handles; the next run takes the rest.
const REMINDER_BATCH: usize = 500;

/// What one `send-reminders` run did.
#[derive(Debug, Serialize)]
pub struct ReminderRun {
    pub job: &'static str,
    /// Reminders found due.
    pub due: usize,
    /// Bookings reminded by this run (another run, or a cancellation, may have been first).
    pub reminded: Vec<String>,
    /// Items that did not read as bookings: logged and skipped.
    pub unreadable: usize,
}

/// Reminds each confirmed booking whose reminder is due, once: each is taken off the due list
/// with its notice in one conditional transaction, so overlapping runs never remind twice.
pub async fn send_reminders(app: &App) -> Result<ReminderRun, ApiError> {
    let now = app.clock.now();
    let due = app.store.due_reminders(now, REMINDER_BATCH).await?;
    let mut run = ReminderRun {
        job: "send-reminders",
        due: due.len(),
        reminded: Vec::new(),
        unreadable: 0,
    };
    let mut told = Vec::new();
    for read in due {
        let booking = match read {
            Ok(booking) => booking,
            Err(err) => {
                run.unreadable += 1;
                tracing::error!(error = %err, "send-reminders skipped an unreadable booking");
                continue;
            }
        };
        if let Some(notice) = app.store.settle_reminder(&booking, now).await? {
            run.reminded.push(booking.booking_id.to_string());
            told.push(notice);
        }
    }
    notices::tell(app, &told).await;
    Ok(run)
}

/// How long one sweep spends asking providers for refunds still owed; the next asks the rest.
const REFUND_BUDGET: Duration = Duration::from_secs(30);

/// What one `publish-notices` run did.
#[derive(Debug, Serialize)]
pub struct SweepRun {
    pub job: &'static str,
    /// Notices found waiting in the outbox.
    pub pending: usize,
    /// Of those, the ones the queue took.
    pub sent: usize,
    /// Items that did not read as notices: logged and skipped.
    pub unreadable: usize,
    /// Refunds decided and not yet asked of the provider: the other effect that must leave.
    pub refunds: payments::RefundSweep,
}

/// The `publish-notices` job: what must leave and has not, the outbox's notices and the
/// refunds owed to customers.
pub async fn publish_notices(app: &App) -> Result<SweepRun, ApiError> {
    let outbox = notices::sweep_outbox(app).await?;
    let refunds = if app.providers.is_some() {
        payments::sweep_refunds(app, REFUND_BUDGET).await?
    } else {
        payments::RefundSweep::default()
    };
    Ok(SweepRun {
        job: "publish-notices",
        pending: outbox.pending,
        sent: outbox.sent,
        unreadable: outbox.unreadable,
        refunds,
    })
}
