//! Telling: a notice written with its booking change goes to the notifications queue at once
//! when it can, and with the next sweep of the outbox (the `publish-notices` job) when it cannot.

use std::time::Duration;

use holdfast_domain::Notice;
use jiff::SignedDuration;

use crate::app::App;
use crate::error::ApiError;

/// How long a request waits for the queue before leaving its notices to the sweep.
const TELL_BUDGET: Duration = Duration::from_millis(1500);

/// Notices younger than this may still be on their way by the request that wrote them.
const SWEEP_AFTER: SignedDuration = SignedDuration::from_secs(30);

/// How many notices one sweep sends; the next takes the rest.
const SWEEP_BATCH: usize = 500;

/// Hands `notices` to the queue without making the request that wrote them wait for it: the
/// answer never depends on the queue's speed. What the queue has not taken by the time the
/// function is frozen or stopped, the sweep sends.
pub fn tell_soon(app: &App, notices: Vec<Notice>) {
    if notices.is_empty() || app.publisher.is_none() {
        return;
    }
    let app = app.clone();
    tokio::spawn(async move { tell(&app, &notices).await });
}

/// Sends `notices` to the queue and takes those it took out of the outbox. Never fails the
/// change that made them: what is not sent now, the sweep sends.
pub async fn tell(app: &App, notices: &[Notice]) {
    if notices.is_empty() || app.publisher.is_none() {
        return;
    }
    if tokio::time::timeout(TELL_BUDGET, send(app, notices))
        .await
        .is_err()
    {
        tracing::warn!(
            notices = notices.len(),
            "the queue was slow: notices left for the sweep"
        );
    }
}

/// Publishes and clears what the queue took; answers how many it took.
async fn send(app: &App, notices: &[Notice]) -> usize {
    let Some(publisher) = &app.publisher else {
        return 0;
    };
    let taken = match publisher.publish(notices).await {
        Ok(taken) => taken,
        Err(err) => {
            tracing::warn!(error = %err, notices = notices.len(), "notices left for the sweep");
            return 0;
        }
    };
    for notice in notices
        .iter()
        .filter(|n| taken.iter().any(|id| n.notice_id == *id))
    {
        if let Err(err) = app.store.notice_sent(notice).await {
            // It was sent; the sweep will send it again and the notifier will mail it once.
            tracing::warn!(notice_id = %notice.notice_id, error = %err, "a sent notice stayed in the outbox");
        }
    }
    taken.len()
}

/// What one sweep of the outbox did.
#[derive(Debug, Default)]
pub struct OutboxSweep {
    /// Notices found waiting in the outbox.
    pub pending: usize,
    /// Of those, the ones the queue took.
    pub sent: usize,
    /// Items that did not read as notices: logged and skipped.
    pub unreadable: usize,
}

/// Sends every notice that waited in the outbox longer than a request would take to send it.
pub async fn sweep_outbox(app: &App) -> Result<OutboxSweep, ApiError> {
    if app.publisher.is_none() {
        return Err(ApiError::Internal(
            "publish-notices runs without HOLDFAST_NOTIFICATIONS_QUEUE_URL".into(),
        ));
    }
    let now = app.clock.now();
    let before = now.checked_sub(SWEEP_AFTER).unwrap_or(now);
    let mut unreadable = 0;
    let mut notices = Vec::new();
    for read in app.store.pending_notices(before, SWEEP_BATCH).await? {
        match read {
            Ok(notice) => notices.push(notice),
            Err(err) => {
                unreadable += 1;
                tracing::error!(error = %err, "publish-notices skipped an unreadable notice");
            }
        }
    }
    let sent = send(app, &notices).await;
    if sent < notices.len() {
        tracing::error!(
            pending = notices.len(),
            sent,
            "the queue did not take every notice"
        );
    }
    Ok(OutboxSweep {
        pending: notices.len() + unreadable,
        sent,
        unreadable,
    })
}
