//! Syncing one imported calendar: its feed fetched and parsed, the units its events block
//! taken and given back by a deadline, and its clashes with our bookings told to both sides.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use holdfast_domain::{
    BlockDiff, BlockSpan, Booking, Calendar, CalendarConflict, EventsOverBookings, ImportedBlock,
    Notice, Resource, Unit, UnitHolders, desired_blocks, diff_blocks, events_holding,
};
use holdfast_domain::{BookingId, CalendarId, ResourceId};
use holdfast_fetch::{Fetched, Validators};
use holdfast_ical::Span;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use tokio::time::Instant;

use super::admin::{administered_resource, release_all_blocks};
use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::services::{notices, venue_facts};

/// How far ahead a feed's events are held.
const HORIZON: SignedDuration = holdfast_domain::calendar::BLOCK_HORIZON;

/// Kept back from a sync-now's request budget to record what the sync came to.
const SAVE_RESERVE: Duration = Duration::from_millis(1500);

/// Units a sync takes or gives back between two looks at its deadline: ten transactions, a
/// fraction of a second, so that a sync overruns its deadline by at most that.
const UNITS_PER_STEP: usize = 400;

pub(super) fn fetcher(app: &App) -> Result<&holdfast_fetch::FeedFetcher, ApiError> {
    app.feeds
        .as_ref()
        .ok_or_else(|| ApiError::Internal("the feed fetcher is not built".into()))
}

/// `POST …/calendars/{calendar_id}/sync`: syncs one feed now, within the request's budget.
/// Answers the calendar synced (a failing feed included), or as it stands, `unfinished`, when
/// the feed was too big to apply within the request and the job goes on with it; with the
/// venue's zone.
pub async fn sync_now(
    app: &App,
    caller: &Caller,
    resource_id: &ResourceId,
    calendar_id: &CalendarId,
) -> Result<(Calendar, TimeZone), ApiError> {
    let deadline = Instant::now() + app.request_timeout.saturating_sub(SAVE_RESERVE);
    let (_, zone) = administered_resource(app, caller, resource_id).await?;
    let calendar = app
        .store
        .calendar(resource_id, calendar_id)
        .await?
        .ok_or(ApiError::NotFound("calendar"))?;
    Ok((sync_calendar(app, calendar, deadline).await?, zone))
}

/// A parsed event's time in the domain's terms (the two crates know nothing of each other).
fn block_span(span: Span) -> BlockSpan {
    match span {
        Span::Dates { start, end } => BlockSpan::Dates { start, end },
        Span::Instants { start, end } => BlockSpan::Instants { start, end },
    }
}

/// Fetches, parses and applies one feed by `deadline`; a failure is recorded on the calendar
/// (what it held still holds) and answered as the calendar, not as an error: a feed's trouble
/// is the feed's. Only the store failing is an error. The failure that makes a streak of
/// [`holdfast_domain::ALERT_AFTER_FAILURES`] is told to staff. A feed too big to apply by
/// `deadline` is applied nearest units first and answered `unfinished`, for the job to go on.
pub async fn sync_calendar(
    app: &App,
    mut calendar: Calendar,
    deadline: Instant,
) -> Result<Calendar, ApiError> {
    let now = app.clock.now();
    let outcome = apply_feed(app, &mut calendar, now, deadline).await;
    let mut alert = None;
    match outcome {
        Ok(()) => {}
        Err(SyncError::Store(err)) => return Err(err),
        Err(SyncError::Feed(reason)) => {
            if calendar.failed(now, &reason) {
                alert = Some(Notice::calendar_failing(&calendar, now));
            }
            tracing::warn!(
                calendar_id = %calendar.calendar_id,
                failures = calendar.consecutive_failures,
                alert = alert.is_some(),
                reason = %reason,
                "a calendar sync failed"
            );
        }
    }
    if !app.store.save_sync(&calendar, alert.as_ref()).await? {
        // Removed while this sync ran: what the sync took would be nobody's to give back.
        let released =
            release_all_blocks(app, &calendar.resource_id, &calendar.calendar_id).await?;
        tracing::info!(
            calendar_id = %calendar.calendar_id,
            released,
            "the calendar was removed during its sync"
        );
        return Err(ApiError::NotFound("calendar"));
    }
    if let Some(alert) = alert {
        notices::tell(app, &[alert]).await;
    }
    Ok(calendar)
}

enum SyncError {
    /// The feed's fault: recorded on the calendar.
    Feed(String),
    Store(ApiError),
}

impl From<holdfast_store::StoreError> for SyncError {
    fn from(err: holdfast_store::StoreError) -> SyncError {
        SyncError::Store(err.into())
    }
}

impl From<ApiError> for SyncError {
    fn from(err: ApiError) -> SyncError {
        SyncError::Store(err)
    }
}

async fn apply_feed(
    app: &App,
    calendar: &mut Calendar,
    now: Timestamp,
    deadline: Instant,
) -> Result<(), SyncError> {
    let (resource, revision) = app
        .store
        .resource_version(&calendar.resource_id)
        .await?
        .ok_or_else(|| SyncError::Feed("the resource is gone".into()))?;
    let revision = revision.revision();
    let validators = if calendar.may_skip_unchanged(revision) {
        Validators {
            etag: calendar.etag.clone(),
            last_modified: calendar.last_modified.clone(),
        }
    } else {
        Validators::default()
    };
    // Bounded by what is left of the deadline too: a feed that answers too late for this sync
    // is this sync's failure, recorded, and the next one gives it its whole fetch budget.
    let fetched = fetcher(app)?
        .fetch_within(
            &calendar.url,
            &validators,
            deadline.saturating_duration_since(Instant::now()),
        )
        .await
        .map_err(|err| SyncError::Feed(err.to_string()))?;
    let Fetched::Body {
        bytes,
        etag,
        last_modified,
        ..
    } = fetched
    else {
        // 304: nothing changed, not the feed, not the resource, and nothing it blocks is held
        // by another: nothing rewritten.
        let counts = (calendar.blocks, calendar.unheld);
        calendar.synced(now, counts, calendar.conflicts.clone());
        return Ok(());
    };
    let venue = venue_facts(app, &resource.venue_id).await?;
    let zone = venue.zone.tz().clone();
    let until = now.checked_add(HORIZON).unwrap_or(now);
    let horizon = (
        now.checked_sub(SignedDuration::from_hours(24))
            .unwrap_or(now),
        until,
    );
    let report = holdfast_ical::parse(&bytes, horizon, &zone)
        .map_err(|err| SyncError::Feed(err.to_string()))?;
    // What the reader left out, by reason: on the calendar, and in this sync's log line.
    calendar.skipped = report
        .skipped
        .iter()
        .map(|(reason, n)| {
            (
                reason.as_str().to_string(),
                u32::try_from(*n).unwrap_or(u32::MAX),
            )
        })
        .collect();
    if report.truncated {
        // A cut-off download would read as every later event deleted: keep what is held.
        return Err(SyncError::Feed(
            "the feed was not read whole (it ended inside a component, or a series or the \
             feed passed the reader's bounds); what it held still holds"
                .into(),
        ));
    }
    let blocks: Vec<ImportedBlock> = report
        .events
        .iter()
        .filter(|e| e.blocks())
        .map(|e| ImportedBlock {
            uid: e.key.clone(),
            summary: e.summary.clone(),
            span: block_span(e.span),
        })
        .collect();
    let desired = desired_blocks(&resource, &zone, &blocks, until);
    let held = app.store.held_blocks(&calendar.calendar_id).await?;
    let diff = diff_blocks(&held, &desired);
    let applied = apply_diff(
        app,
        calendar,
        &diff,
        held.into_keys().collect(),
        now,
        deadline,
    )
    .await?;
    let events_held = events_holding(&desired, &applied.held);
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    if !applied.finished {
        // What is taken holds; the rest, conflicts included, is the finishing sync's to work out.
        calendar.partly_synced(now, (count(events_held), count(applied.refused.len())));
        tracing::info!(
            calendar_id = %calendar.calendar_id,
            events = report.events.len(),
            to_take = diff.take.len(),
            to_release = diff.release.len(),
            held = applied.held.len(),
            skipped = ?calendar.skipped,
            "calendar sync ran out of time; the job goes on with it"
        );
        return Ok(());
    }
    // Units of the feed that another owner holds: a booking's are a conflict unless an echo.
    let holders = holders_of(app, &resource, &zone, applied.refused).await?;
    let conflicts = conflicts_of(app, &blocks, &holders, (&resource, &zone), until).await?;
    // Both sides list a clash: each booking hears what this calendar says of it now.
    let mut alerts = Vec::new();
    for listed in calendar.booking_conflicts(&conflicts) {
        let notice = listed
            .first_shown
            .then(|| Notice::calendar_conflict(&listed.booking_id, &calendar.calendar_id, now));
        app.store
            .set_calendar_conflicts(
                &listed.booking_id,
                &calendar.calendar_id,
                &listed.conflicts,
                notice.as_ref(),
            )
            .await?;
        alerts.extend(notice);
    }
    notices::tell(app, &alerts).await;
    calendar.etag = etag;
    calendar.last_modified = last_modified;
    calendar.resource_revision = revision;
    let unheld = count(holders.len());
    calendar.synced(now, (count(events_held), unheld), conflicts);
    tracing::info!(
        calendar_id = %calendar.calendar_id,
        events = report.events.len(),
        skipped = ?calendar.skipped,
        released = diff.release.len(),
        taken = applied.held.len(),
        unheld,
        conflicts = calendar.conflicts.len(),
        "calendar synced"
    );
    Ok(())
}

/// How fast a sync's steps go, against its deadline.
struct Pace {
    deadline: Instant,
    step_started: Instant,
    slowest: Duration,
}

impl Pace {
    fn new(deadline: Instant) -> Pace {
        Pace {
            deadline,
            step_started: Instant::now(),
            slowest: Duration::ZERO,
        }
    }

    /// Whether a step as slow as the slowest so far ends by the deadline; starts the step's clock.
    fn room_for_a_step(&mut self) -> bool {
        self.step_started = Instant::now();
        self.step_started + self.slowest < self.deadline
    }

    fn stepped(&mut self) {
        self.slowest = self.slowest.max(self.step_started.elapsed());
    }
}

/// What applying a diff came to: the units the calendar holds now, those another owner holds,
/// and whether the whole diff was applied by the deadline.
struct Applied {
    held: BTreeSet<Unit>,
    refused: Vec<(Unit, Option<String>)>,
    finished: bool,
}

/// Takes the units the feed now blocks, then gives back those it no longer does, each nearest
/// first and a step at a time until `deadline`: a sync cut short has the soonest time, the
/// time most likely to be sold next, right, and blocks more rather than less meanwhile. Either
/// order is safe, as the two sets never share a unit.
async fn apply_diff(
    app: &App,
    calendar: &Calendar,
    diff: &BlockDiff,
    mut held: BTreeSet<Unit>,
    now: Timestamp,
    deadline: Instant,
) -> Result<Applied, SyncError> {
    let (resource_id, calendar_id) = (&calendar.resource_id, &calendar.calendar_id);
    let mut refused = Vec::new();
    // A step is started only when one as slow as the slowest so far still ends by the deadline:
    // on a loaded machine a step takes several times its usual fraction of a second.
    let mut pace = Pace::new(deadline);
    for step in diff.take.chunks(UNITS_PER_STEP) {
        if !pace.room_for_a_step() {
            return Ok(Applied {
                held,
                refused,
                finished: false,
            });
        }
        let taken = app
            .store
            .take_blocks(resource_id, calendar_id, step, now)
            .await?;
        pace.stepped();
        held.extend(taken.taken);
        refused.extend(taken.refused);
    }
    for step in diff.release.chunks(UNITS_PER_STEP) {
        if !pace.room_for_a_step() {
            return Ok(Applied {
                held,
                refused,
                finished: false,
            });
        }
        app.store
            .release_blocks(resource_id, calendar_id, step)
            .await?;
        pace.stepped();
        for unit in step {
            held.remove(unit);
        }
    }
    Ok(Applied {
        held,
        refused,
        finished: true,
    })
}

/// The bookings that hold each unit the calendar could not take: a class's bookings are read
/// from the days of its refused slots, as their counters name none.
async fn holders_of(
    app: &App,
    resource: &Resource,
    zone: &TimeZone,
    refused: Vec<(Unit, Option<String>)>,
) -> Result<UnitHolders, SyncError> {
    let mut holders = UnitHolders::new(resource, refused);
    let days: Vec<String> = holders
        .days_to_read(zone)
        .iter()
        .map(ToString::to_string)
        .collect();
    if days.is_empty() {
        return Ok(holders);
    }
    let mut cursor = None;
    loop {
        let page = app
            .store
            .venue_bookings(&resource.venue_id, &days, None, 100, cursor.as_deref())
            .await?;
        for booking in &page.items {
            holders.add_booking(booking);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(holders)
}

/// The feed's events over our bookings that are not echoes of them, one per event and booking.
async fn conflicts_of(
    app: &App,
    blocks: &[ImportedBlock],
    holders: &UnitHolders,
    (resource, zone): (&Resource, &TimeZone),
    until: Timestamp,
) -> Result<Vec<CalendarConflict>, SyncError> {
    let over = EventsOverBookings::new(resource, zone, blocks, holders, until);
    let mut bookings: BTreeMap<String, Booking> = BTreeMap::new();
    for booking_id in over.booking_ids() {
        if let Some(booking) = app.store.booking(&BookingId::from(booking_id)).await? {
            bookings.insert(booking_id.to_string(), booking);
        }
    }
    Ok(over.conflicts(&bookings, zone))
}
