//! The scheduled `sync-calendars` job: every calendar due a sync, several at once, by the
//! run's deadline inside its Lambda timeout.

use std::collections::HashSet;
use std::time::Duration;

use holdfast_domain::CalendarId;
use serde::Serialize;
use tokio::time::Instant;

use super::sync::sync_calendar;
use crate::app::App;
use crate::error::ApiError;
use crate::metrics::{self, Metric};
use crate::services::runner;

/// Feeds synced at once by the job: a slow one ties up one of these, never the others.
const SYNCS_IN_FLIGHT: usize = 8;

/// The job stops starting syncs after this, inside its Lambda timeout (150 s).
const JOB_BUDGET: Duration = Duration::from_secs(100);

/// Every sync the job starts ends by this, its outcome saved, inside the Lambda timeout: a sync
/// started at 100 s still has the feed's whole fetch budget (20 s) and some to apply it.
const JOB_DEADLINE: Duration = Duration::from_secs(135);

/// What one run of `sync-calendars` did.
#[derive(Debug, Default, Serialize)]
pub struct SyncRun {
    pub job: &'static str,
    /// Calendars it found due, counted once however often it went back to one.
    pub due: usize,
    pub synced: usize,
    pub failed: usize,
    pub unreadable: usize,
    /// Removed while their sync ran (what it took was given back).
    pub removed: usize,
    /// Left for the next run: the budget ran out before their sync started.
    pub deferred: usize,
    /// Left part way at the run's deadline, the nearest units taken: the next run goes on.
    pub unfinished: usize,
}

/// How one sync of the job ended.
enum Ended {
    Synced,
    Failed,
    Removed,
    Unfinished,
}

/// Syncs every calendar due a sync ([`Calendar::due_at`]: never synced, unfinished, or not
/// synced for a minute), most overdue first, several at once, each by the run's deadline: one
/// slow or failing feed never holds up the others. Once those are done it looks again, so that
/// a calendar added while it ran is synced by this run, not the next.
pub async fn sync_calendars(app: &App) -> Result<SyncRun, ApiError> {
    let started = Instant::now();
    let deadline = started + JOB_DEADLINE;
    let mut run = SyncRun {
        job: "sync-calendars",
        ..SyncRun::default()
    };
    let mut seen: HashSet<CalendarId> = HashSet::new();
    // Synced, failed or removed in this run: not looked at again until the next.
    let mut ended: HashSet<CalendarId> = HashSet::new();
    let mut unfinished: HashSet<CalendarId> = HashSet::new();
    for round in 0.. {
        let mut due = Vec::new();
        for read in app.store.calendars_to_sync(app.clock.now(), 1000).await? {
            match read {
                Ok(calendar) if !ended.contains(&calendar.calendar_id) => due.push(calendar),
                Ok(_) => {}
                // Read again every round: told once.
                Err(err) if round == 0 => {
                    run.unreadable += 1;
                    tracing::error!(error = %err, "sync-calendars skipped an unreadable calendar");
                }
                Err(_) => {}
            }
        }
        if due.is_empty() || started.elapsed() >= JOB_BUDGET {
            run.deferred += due.len();
            break;
        }
        seen.extend(due.iter().map(|c| c.calendar_id.clone()));
        run.deferred += runner::in_flight(
            due.into_iter().map(|c| (c.calendar_id.clone(), c)),
            SYNCS_IN_FLIGHT,
            started + JOB_BUDGET,
            |calendar| {
                let app = app.clone();
                async move {
                    match sync_calendar(&app, calendar, deadline).await {
                        Ok(calendar) if calendar.unfinished => Ended::Unfinished,
                        Ok(calendar) if calendar.consecutive_failures == 0 => Ended::Synced,
                        Ok(_) => Ended::Failed,
                        Err(ApiError::NotFound(_)) => Ended::Removed,
                        Err(err) => {
                            tracing::error!(error = %err, "a calendar sync could not be recorded");
                            Ended::Failed
                        }
                    }
                }
            },
            |calendar_id, outcome| {
                let outcome = outcome.unwrap_or_else(|err| {
                    tracing::error!(%calendar_id, error = %err, "a calendar sync task failed");
                    Ended::Failed
                });
                unfinished.remove(&calendar_id);
                match outcome {
                    Ended::Synced => run.synced += 1,
                    Ended::Failed => run.failed += 1,
                    Ended::Removed => run.removed += 1,
                    Ended::Unfinished => {
                        unfinished.insert(calendar_id);
                        return;
                    }
                }
                ended.insert(calendar_id);
            },
        )
        .await;
        if started.elapsed() >= JOB_BUDGET {
            break;
        }
    }
    run.due = seen.len();
    run.unfinished = unfinished.len();
    // The stalest sync after this run, for the alarm: 0 with nothing imported, so that a
    // deployment without calendars never looks like a job that stopped.
    match app.store.oldest_calendar_sync().await {
        Ok(oldest) => {
            let age = oldest.map_or(0, |at| app.clock.now().duration_since(at).as_secs());
            metrics::emit(Metric::CalendarSyncAge(u64::try_from(age).unwrap_or(0)));
        }
        Err(err) => tracing::warn!(error = %err, "the stalest calendar sync could not be read"),
    }
    Ok(run)
}
