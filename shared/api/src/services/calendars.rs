//! Calendar sync: feeds a resource imports (fetched safely, parsed leniently, their events held
//! as locks like bookings), the export other platforms subscribe to, and the scheduled sync.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use holdfast_domain::{
    BlockDiff, BlockSpan, Booking, BookingCalendarConflict, Calendar, CalendarConflict,
    CalendarDraft, ImportedBlock, Notice, Resource, Unit, UnitsByDay, desired_blocks, diff_blocks,
    format_local, is_echo,
};
use holdfast_fetch::{Fetched, Validators};
use holdfast_ical::{ExportEvent, Span};
use holdfast_store::UnitOwner;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{active_resource, administered_venue, new_id, venue_facts};
use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::http::parse_json;

/// How far ahead a feed's events are held.
const HORIZON: SignedDuration = holdfast_domain::calendar::BLOCK_HORIZON;

/// Feeds synced at once by the job: a slow one ties up one of these, never the others.
const SYNCS_IN_FLIGHT: usize = 8;

/// The job stops starting syncs after this, inside its Lambda timeout (150 s).
const JOB_BUDGET: Duration = Duration::from_secs(100);

/// Every sync the job starts ends by this, its outcome saved, inside the Lambda timeout: a sync
/// started at 100 s still has the feed's whole fetch budget (20 s) and some to apply it.
const JOB_DEADLINE: Duration = Duration::from_secs(135);

/// Kept back from a sync-now's request budget to record what the sync came to.
const SAVE_RESERVE: Duration = Duration::from_millis(1500);

/// Units a sync takes or gives back between two looks at its deadline: ten transactions, a
/// fraction of a second, so that a sync overruns its deadline by at most that.
const UNITS_PER_STEP: usize = 400;

/// A calendar as docs/api.md shows it.
#[derive(Debug, Serialize)]
pub struct CalendarView {
    pub calendar_id: String,
    pub resource_id: String,
    pub name: String,
    pub url: String,
    pub status: &'static str,
    pub last_sync_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub blocks: u32,
    pub conflicts: Vec<ConflictView>,
    /// What the last read of the feed left out, by reason.
    pub skipped: BTreeMap<String, u32>,
}

#[derive(Debug, Serialize)]
pub struct ConflictView {
    pub uid: String,
    pub start: String,
    pub end: String,
    pub booking_id: String,
}

#[derive(Debug, Serialize)]
pub struct CalendarList {
    pub items: Vec<CalendarView>,
}

fn view(calendar: &Calendar, zone: &TimeZone) -> CalendarView {
    let local = |t: Timestamp| format_local(t, zone);
    CalendarView {
        calendar_id: calendar.calendar_id.clone(),
        resource_id: calendar.resource_id.clone(),
        name: calendar.name.clone(),
        url: calendar.url.clone(),
        status: calendar.status.as_str(),
        last_sync_at: calendar.last_sync_at.map(local),
        last_success_at: calendar.last_success_at.map(local),
        last_error: calendar.last_error.clone(),
        consecutive_failures: calendar.consecutive_failures,
        blocks: calendar.blocks,
        skipped: calendar.skipped.clone(),
        conflicts: calendar
            .conflicts
            .iter()
            .map(|c| ConflictView {
                uid: c.uid.clone(),
                start: local(c.start),
                end: local(c.end),
                booking_id: c.booking_id.clone(),
            })
            .collect(),
    }
}

/// The resource, if `caller` administers its venue, and the venue's zone.
async fn administered_resource(
    app: &App,
    caller: &Caller,
    resource_id: &str,
) -> Result<(Resource, TimeZone), ApiError> {
    let resource = app
        .store
        .resource(resource_id)
        .await?
        .ok_or(ApiError::NotFound("resource"))?;
    let venue = administered_venue(app, caller, &resource.venue_id).await?;
    Ok((resource, venue.zone.tz().clone()))
}

fn fetcher(app: &App) -> Result<&holdfast_fetch::FeedFetcher, ApiError> {
    app.feeds
        .as_ref()
        .ok_or_else(|| ApiError::Internal("the feed fetcher is not built".into()))
}

/// `POST /v1/resources/{resource_id}/calendars`: registers a feed (an `https` URL to a public
/// address; the check is made again on every fetch) and answers it `pending`.
pub async fn add_calendar(
    app: &App,
    caller: &Caller,
    resource_id: &str,
    body: &[u8],
) -> Result<CalendarView, ApiError> {
    let draft: CalendarDraft = parse_json(body)?;
    let (resource, zone) = administered_resource(app, caller, resource_id).await?;
    let (name, url) = draft.read()?;
    let allow_loopback = fetcher(app)?.policy().allow_loopback_http;
    holdfast_fetch::check_url(&url, allow_loopback)
        .map_err(|err| ApiError::field("url", err.to_string()))?;
    let calendar = Calendar::new(new_id("cal"), &resource, (name, url), app.clock.now());
    app.store.put_calendar(&calendar).await?;
    tracing::info!(resource_id, calendar_id = %calendar.calendar_id, "calendar added");
    Ok(view(&calendar, &zone))
}

pub async fn list_calendars(
    app: &App,
    caller: &Caller,
    resource_id: &str,
) -> Result<CalendarList, ApiError> {
    let (_, zone) = administered_resource(app, caller, resource_id).await?;
    let items = app
        .store
        .resource_calendars(resource_id)
        .await?
        .iter()
        .map(|c| view(c, &zone))
        .collect();
    Ok(CalendarList { items })
}

/// `DELETE …/calendars/{calendar_id}`: its blocks are given back, then it goes.
pub async fn delete_calendar(
    app: &App,
    caller: &Caller,
    resource_id: &str,
    calendar_id: &str,
) -> Result<(), ApiError> {
    administered_resource(app, caller, resource_id).await?;
    let calendar = app
        .store
        .calendar(resource_id, calendar_id)
        .await?
        .ok_or(ApiError::NotFound("calendar"))?;
    // Given back before the item goes (a failure here leaves the calendar to delete again),
    // and again after: a sync that took units in between finds its calendar gone only if it
    // saves after the delete, and then gives them back itself.
    let mut released = release_all_blocks(app, resource_id, calendar_id).await?;
    app.store.delete_calendar_item(&calendar).await?;
    released += release_all_blocks(app, resource_id, calendar_id).await?;
    tracing::info!(resource_id, calendar_id, released, "calendar removed");
    Ok(())
}

/// Gives back every unit `calendar_id` holds; answers how many.
async fn release_all_blocks(
    app: &App,
    resource_id: &str,
    calendar_id: &str,
) -> Result<usize, ApiError> {
    let held: Vec<Unit> = app
        .store
        .held_blocks(calendar_id)
        .await?
        .into_keys()
        .collect();
    app.store
        .release_blocks(resource_id, calendar_id, &held)
        .await?;
    Ok(held.len())
}

/// What a sync-now comes to: the calendar synced (a failing feed included), or as it stands
/// when the feed was too big to apply within the request and the job goes on with it.
#[derive(Debug)]
pub enum SyncNow {
    Finished(CalendarView),
    Continuing(CalendarView),
}

/// `POST …/calendars/{calendar_id}/sync`: syncs one feed now, within the request's budget.
pub async fn sync_now(
    app: &App,
    caller: &Caller,
    resource_id: &str,
    calendar_id: &str,
) -> Result<SyncNow, ApiError> {
    let deadline = Instant::now() + app.request_timeout.saturating_sub(SAVE_RESERVE);
    let (_, zone) = administered_resource(app, caller, resource_id).await?;
    let calendar = app
        .store
        .calendar(resource_id, calendar_id)
        .await?
        .ok_or(ApiError::NotFound("calendar"))?;
    let synced = sync_calendar(app, calendar, deadline).await?;
    let shown = view(&synced, &zone);
    Ok(if synced.unfinished {
        SyncNow::Continuing(shown)
    } else {
        SyncNow::Finished(shown)
    })
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
        super::notices::tell(app, &[alert]).await;
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
    // Events holding units: each desired unit held now counts its event once.
    let events_held = desired
        .iter()
        .filter(|(unit, _)| applied.held.contains(unit))
        .map(|(_, uid)| uid.as_str())
        .collect::<BTreeSet<_>>()
        .len();
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
    let refused = holders_of(app, &resource, &zone, applied.refused).await?;
    let conflicts = conflicts_of(app, &blocks, &refused, &resource, &zone, until).await?;
    // Both sides list a clash: each booking hears what this calendar says of it now.
    let mut by_booking: BTreeMap<&str, Vec<BookingCalendarConflict>> = BTreeMap::new();
    for before in &calendar.conflicts {
        by_booking.entry(before.booking_id.as_str()).or_default();
    }
    for conflict in &conflicts {
        by_booking
            .entry(conflict.booking_id.as_str())
            .or_default()
            .push(BookingCalendarConflict {
                calendar_id: calendar.calendar_id.clone(),
                name: calendar.name.clone(),
                start: conflict.start,
                end: conflict.end,
            });
    }
    let told_before: BTreeSet<&str> = calendar
        .conflicts
        .iter()
        .map(|c| c.booking_id.as_str())
        .collect();
    let mut alerts = Vec::new();
    for (booking_id, listed) in &by_booking {
        // Staff hear of a clash once, when this calendar first shows it over the booking.
        let notice = (!listed.is_empty() && !told_before.contains(booking_id))
            .then(|| Notice::calendar_conflict(booking_id, &calendar.calendar_id, now));
        app.store
            .set_calendar_conflicts(booking_id, &calendar.calendar_id, listed, notice.as_ref())
            .await?;
        alerts.extend(notice);
    }
    super::notices::tell(app, &alerts).await;
    calendar.etag = etag;
    calendar.last_modified = last_modified;
    calendar.resource_revision = revision;
    let unheld = count(refused.len());
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

/// The bookings that hold each refused unit. A whole unit's lock names its booking; a class's
/// counter names none, so its bookings are looked up by the unit's day (a class booking lies
/// inside one day's opening). A unit with no booking is another calendar's.
async fn holders_of(
    app: &App,
    resource: &Resource,
    zone: &TimeZone,
    refused: Vec<(Unit, Option<String>)>,
) -> Result<BTreeMap<Unit, Vec<String>>, SyncError> {
    let mut holders: BTreeMap<Unit, Vec<String>> = BTreeMap::new();
    let mut counted = Vec::new();
    for (unit, booking) in refused {
        match (booking, unit) {
            (Some(booking), _) => holders.entry(unit).or_default().push(booking),
            (None, Unit::Slot(start)) if resource.capacity > 1 => counted.push((unit, start)),
            (None, _) => {
                holders.entry(unit).or_default();
            }
        }
    }
    if counted.is_empty() {
        return Ok(holders);
    }
    let mut days: Vec<String> = counted
        .iter()
        .map(|(_, start)| start.to_zoned(zone.clone()).date().to_string())
        .collect();
    days.sort();
    days.dedup();
    let mut cursor = None;
    loop {
        let page = app
            .store
            .venue_bookings(&resource.venue_id, &days, None, 100, cursor.as_deref())
            .await?;
        for booking in page.items {
            if booking.resource_id != resource.resource_id || !booking.status.holds_units() {
                continue;
            }
            for (unit, _) in &counted {
                if booking.units.contains(unit) {
                    holders
                        .entry(*unit)
                        .or_default()
                        .push(booking.booking_id.clone());
                }
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    for (unit, _) in counted {
        holders.entry(unit).or_default();
    }
    Ok(holders)
}

/// The feed's events over our bookings that are not echoes of them, one per event and
/// booking: every event over a unit a booking holds counts, not only the first that covers it.
async fn conflicts_of(
    app: &App,
    blocks: &[ImportedBlock],
    refused: &BTreeMap<Unit, Vec<String>>,
    resource: &Resource,
    zone: &TimeZone,
    until: Timestamp,
) -> Result<Vec<CalendarConflict>, SyncError> {
    let mut conflicts = Vec::new();
    if refused.is_empty() {
        return Ok(conflicts);
    }
    let mut bookings: BTreeMap<String, Option<Booking>> = BTreeMap::new();
    let mut units = UnitsByDay::new(resource, zone);
    for block in blocks {
        let mut over: Vec<&String> = units
            .blocked_by(&block.span, until)
            .iter()
            .filter_map(|unit| refused.get(unit))
            .flatten()
            .collect();
        over.sort();
        over.dedup();
        for booking_id in over {
            if !bookings.contains_key(booking_id) {
                bookings.insert(booking_id.clone(), app.store.booking(booking_id).await?);
            }
            let Some(Some(booking)) = bookings.get(booking_id) else {
                continue;
            };
            if is_echo(block, booking, zone) {
                continue;
            }
            let (start, end) = block.span.instants(zone);
            conflicts.push(CalendarConflict {
                uid: block.uid.clone(),
                start,
                end,
                booking_id: booking_id.clone(),
            });
        }
    }
    Ok(conflicts)
}

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
    let mut seen: HashSet<String> = HashSet::new();
    // Synced, failed or removed in this run: not looked at again until the next.
    let mut ended: HashSet<String> = HashSet::new();
    let mut unfinished: HashSet<String> = HashSet::new();
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
        let mut due = due.into_iter();
        let mut running = JoinSet::new();
        let mut syncing = HashMap::new();
        loop {
            while running.len() < SYNCS_IN_FLIGHT && started.elapsed() < JOB_BUDGET {
                let Some(calendar) = due.next() else { break };
                let calendar_id = calendar.calendar_id.clone();
                let app = app.clone();
                let task = running.spawn(async move {
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
                });
                syncing.insert(task.id(), calendar_id);
            }
            let Some(joined) = running.join_next_with_id().await else {
                break;
            };
            let (task, outcome) = match joined {
                Ok(done) => done,
                Err(err) => {
                    tracing::error!(error = %err, "a calendar sync task failed");
                    (err.id(), Ended::Failed)
                }
            };
            let Some(calendar_id) = syncing.remove(&task) else {
                continue;
            };
            unfinished.remove(&calendar_id);
            match outcome {
                Ended::Synced => run.synced += 1,
                Ended::Failed => run.failed += 1,
                Ended::Removed => run.removed += 1,
                Ended::Unfinished => {
                    unfinished.insert(calendar_id);
                    continue;
                }
            }
            ended.insert(calendar_id);
        }
        run.deferred += due.count();
        if started.elapsed() >= JOB_BUDGET {
            break;
        }
    }
    run.due = seen.len();
    run.unfinished = unfinished.len();
    Ok(run)
}

/// `POST /v1/resources/{resource_id}/ical-token`: a new export URL; the old token stops
/// working. Only the token's hash is kept.
pub async fn new_ical_token(
    app: &App,
    caller: &Caller,
    resource_id: &str,
) -> Result<IcalTokenView, ApiError> {
    administered_resource(app, caller, resource_id).await?;
    // Two v4 UUIDs: 244 bits from the operating system's secure generator.
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    app.store
        .set_ical_token_hash(resource_id, &token_hash(&token))
        .await?;
    let base = super::payments::providers(app)?
        .config
        .public_base_url
        .clone()
        .ok_or_else(|| {
            ApiError::Internal("the export URL needs HOLDFAST_PUBLIC_BASE_URL".into())
        })?;
    Ok(IcalTokenView {
        url: format!("{base}/ical/{resource_id}.ics?token={token}"),
    })
}

#[derive(Debug, Serialize)]
pub struct IcalTokenView {
    pub url: String,
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The export, or why not: a wrong token and an unknown resource look the same.
#[derive(Debug)]
pub enum Feed {
    Body { ics: String, etag: String },
    NotModified { etag: String },
}

/// `GET /ical/{resource_id}.ics?token=[&for={calendar_id}]`: the resource's held and confirmed
/// bookings and its imported blocks but those of the calendar `for` names (the platform that
/// reads this copy), from its locks alone (no customer data is even read).
pub async fn export_feed(
    app: &App,
    resource_id: &str,
    (token, reader): (Option<&str>, Option<&str>),
    if_none_match: Option<&str>,
) -> Result<Feed, ApiError> {
    let not_found = ApiError::NotFound("calendar feed");
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 128) else {
        return Err(not_found);
    };
    let Some(resource) = active_resource(app, resource_id).await.ok() else {
        return Err(not_found);
    };
    let Some(stored) = app.store.ical_token_hash(resource_id).await? else {
        return Err(not_found);
    };
    let given = token_hash(token);
    if !constant_time_eq(given.as_bytes(), stored.as_bytes()) {
        return Err(not_found);
    }
    let venue = venue_facts(app, &resource.venue_id).await?;
    let zone = venue.zone.tz();
    let now = app.clock.now();
    let from = Unit::Night(
        now.to_zoned(zone.clone())
            .date()
            .yesterday()
            .unwrap_or_default(),
    );
    let from_key = match resource.schedule {
        holdfast_domain::Schedule::Nights(_) => from.key(),
        holdfast_domain::Schedule::Slots(_) => holdfast_domain::format_utc(
            now.checked_sub(SignedDuration::from_hours(24))
                .unwrap_or(now),
        ),
    };
    let owners = app
        .store
        .unit_owners(resource_id, &from_key, "~", now)
        .await?;
    // A platform is not sent back what it sent us: re-exported, its "not available" echo of our
    // booking would come back as a block of its own and outlive the booking for good.
    let owners = owners
        .into_iter()
        .filter(|(_, owner)| match (owner, reader) {
            (UnitOwner::Block { calendar_id, .. }, Some(reader)) => calendar_id != reader,
            _ => true,
        })
        .collect();
    let events = export_events(&resource, zone, owners);
    let ics = holdfast_ical::export(&resource.name, &events);
    let etag = format!("\"{}\"", &token_hash(&ics)[..32]);
    if if_none_match.is_some_and(|given| given.split(',').any(|t| t.trim() == etag)) {
        return Ok(Feed::NotModified { etag });
    }
    Ok(Feed::Body { ics, etag })
}

/// Consecutive units of one owner become one event: a booking's stay or slots, a block's span.
fn export_events(
    resource: &Resource,
    zone: &TimeZone,
    owners: Vec<(Unit, UnitOwner)>,
) -> Vec<ExportEvent> {
    let mut events: Vec<(UnitOwner, ExportEvent)> = Vec::new();
    for (unit, owner) in owners {
        let span = match unit {
            Unit::Night(date) => Span::Dates {
                start: date,
                end: date.tomorrow().unwrap_or(date),
            },
            Unit::Slot(_) => {
                let real = resource.unit_span(unit, zone);
                Span::Instants {
                    start: real.start,
                    end: real.end,
                }
            }
        };
        if let Some((last_owner, last)) = events.last_mut() {
            let joined = match (last.span, span) {
                (
                    Span::Dates { start, end },
                    Span::Dates {
                        start: next,
                        end: to,
                    },
                ) if end == next => Some(Span::Dates { start, end: to }),
                (
                    Span::Instants { start, end },
                    Span::Instants {
                        start: next,
                        end: to,
                    },
                ) if end == next => Some(Span::Instants { start, end: to }),
                _ => None,
            };
            if let (true, Some(joined)) = (*last_owner == owner, joined) {
                last.span = joined;
                continue;
            }
        }
        let (uid, summary) = match &owner {
            UnitOwner::Booking(id) => (
                format!("{id}{}", holdfast_domain::calendar::EXPORT_UID_SUFFIX),
                "Reserved",
            ),
            UnitOwner::Block { calendar_id, uid } => (
                format!(
                    "{calendar_id}-{}{}",
                    token_hash(uid).get(..16).unwrap_or_default(),
                    holdfast_domain::calendar::EXPORT_UID_SUFFIX
                ),
                "Blocked",
            ),
        };
        let event = ExportEvent {
            uid,
            summary: summary.into(),
            span,
            dtstamp: resource.created_at,
        };
        events.push((owner, event));
    }
    events.into_iter().map(|(_, event)| event).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
