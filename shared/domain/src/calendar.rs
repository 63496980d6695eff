//! Imported calendars: which units of a resource an external feed's events block, how a
//! calendar's blocks change between two syncs, and which overlaps are echoes of our own bookings.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::booking::Booking;
use crate::error::{DomainError, FieldErrors};
use crate::ids::{BookingId, CalendarId, ResourceId, VenueId};
use crate::resource::{Resource, Schedule};
use crate::units::{Period, Unit, UnitSpan};
use crate::validate::checked_name;

mod conflicts;
mod export;
#[cfg(test)]
mod fixtures;
mod holding;

pub use conflicts::{BookingConflicts, EventsOverBookings};
pub use export::{
    block_export_uid, booking_export_uid, export_etag, export_from, export_token_hash,
    export_token_matches, merge_owned_spans,
};
pub use holding::{UnitHolders, events_holding};

/// The time an imported event takes: whole days (all-day events) or real instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockSpan {
    /// Local dates `[start, end)`, read in the resource's zone.
    Dates {
        start: Date,
        end: Date,
    },
    Instants {
        start: Timestamp,
        end: Timestamp,
    },
}

/// One event of a feed that takes time: its UID (per occurrence) and what it says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedBlock {
    pub uid: String,
    pub summary: Option<String>,
    pub span: BlockSpan,
}

impl BlockSpan {
    /// The real time the span covers in `zone`: whole days run midnight to midnight.
    pub fn instants(&self, zone: &TimeZone) -> (Timestamp, Timestamp) {
        match *self {
            BlockSpan::Instants { start, end } => (start, end),
            BlockSpan::Dates { start, end } => (midnight(start, zone), midnight(end, zone)),
        }
    }
}

fn midnight(date: Date, zone: &TimeZone) -> Timestamp {
    date.to_zoned(zone.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Resource {
    /// The units `span` takes from this resource: the nights it touches (a stay's dates for an
    /// all-day event, `DTEND` exclusive), or the grid slots inside opening hours it overlaps.
    /// Only units before `until` count: a feed's far future is not held.
    pub fn units_blocked_by(
        &self,
        span: &BlockSpan,
        zone: &TimeZone,
        until: Timestamp,
    ) -> Vec<Unit> {
        UnitsByDay::new(self, zone).blocked_by(span, until)
    }
}

/// A resource's units day by day, each day worked out once for many spans: a feed's thousands
/// of events read each day's opening hours once, not once an event (40,000 events took 7 s of
/// a debug build's time zone arithmetic one by one).
pub struct UnitsByDay<'a> {
    resource: &'a Resource,
    zone: &'a TimeZone,
    days: HashMap<Date, Vec<UnitSpan>>,
}

impl<'a> UnitsByDay<'a> {
    pub fn new(resource: &'a Resource, zone: &'a TimeZone) -> UnitsByDay<'a> {
        UnitsByDay {
            resource,
            zone,
            days: HashMap::new(),
        }
    }

    /// [`Resource::units_blocked_by`], from the days already worked out.
    pub fn blocked_by(&mut self, span: &BlockSpan, until: Timestamp) -> Vec<Unit> {
        let zone = self.zone;
        match (&self.resource.schedule, span) {
            (Schedule::Nights(_), BlockSpan::Dates { start, end }) => {
                let last = midnight_date(until, zone);
                let mut nights = Vec::new();
                let mut day = *start;
                while day < *end && day <= last {
                    nights.push(Unit::Night(day));
                    match day.tomorrow() {
                        Ok(next) => day = next,
                        Err(_) => break,
                    }
                }
                nights
            }
            _ => {
                let (start, end) = span.instants(zone);
                let end = end.min(until);
                if end <= start {
                    return Vec::new();
                }
                let first = start.to_zoned(zone.clone()).date();
                let after = end
                    .to_zoned(zone.clone())
                    .date()
                    .tomorrow()
                    .unwrap_or(first);
                // A night starts on the day before its check-out; a slot on its own day.
                let mut day = first.yesterday().unwrap_or(first);
                let mut units = Vec::new();
                while day < after {
                    let resource = self.resource;
                    let spans = self.days.entry(day).or_insert_with(|| {
                        resource.units_between(day, day.tomorrow().unwrap_or(day), zone)
                    });
                    units.extend(
                        spans
                            .iter()
                            .filter(|u| u.start < end && start < u.end)
                            .map(|u| u.unit),
                    );
                    match day.tomorrow() {
                        Ok(next) => day = next,
                        Err(_) => break,
                    }
                }
                units
            }
        }
    }
}

fn midnight_date(instant: Timestamp, zone: &TimeZone) -> Date {
    instant.to_zoned(zone.clone()).date()
}

/// Every unit the feed blocks, each with the first event (by UID) that blocks it: one unit
/// held once, however many of the feed's events cover it (a channel manager that lists a
/// stay three times).
pub fn desired_blocks(
    resource: &Resource,
    zone: &TimeZone,
    blocks: &[ImportedBlock],
    until: Timestamp,
) -> BTreeMap<Unit, String> {
    let mut desired = BTreeMap::new();
    let mut ordered: Vec<&ImportedBlock> = blocks.iter().collect();
    ordered.sort_by(|a, b| a.uid.cmp(&b.uid));
    let mut units = UnitsByDay::new(resource, zone);
    for block in ordered {
        for unit in units.blocked_by(&block.span, until) {
            desired.entry(unit).or_insert_with(|| block.uid.clone());
        }
    }
    desired
}

/// What a sync changes: units to take and units to give back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockDiff {
    pub take: Vec<(Unit, String)>,
    pub release: Vec<Unit>,
}

/// The difference between the units a calendar holds and those its feed now blocks. A unit
/// whose blocking event changed UID stays held (re-labelled), never released and retaken.
pub fn diff_blocks(held: &BTreeMap<Unit, String>, desired: &BTreeMap<Unit, String>) -> BlockDiff {
    BlockDiff {
        take: desired
            .iter()
            .filter(|(unit, _)| !held.contains_key(unit))
            .map(|(unit, uid)| (*unit, uid.clone()))
            .collect(),
        release: held
            .keys()
            .filter(|unit| !desired.contains_key(unit))
            .copied()
            .collect(),
    }
}

/// Summaries with which platforms export dates they only block (not a guest's reservation):
/// how Airbnb, Booking.com and channel managers write back what they imported from us.
const BLOCKED_SUMMARIES: [&str; 5] = [
    "not available",
    "closed",
    "blocked",
    "unavailable",
    "no disponible",
];

/// The suffix of every UID Holdfast exports: `{booking_id}@holdfast`.
pub const EXPORT_UID_SUFFIX: &str = "@holdfast";

/// Whether an imported event over `booking` is an echo of the booking itself rather than a
/// second guest: our own exported UID, or the booking's exact dates (or times) under a
/// platform's "not available" summary. A "Reserved" over our booking is a real conflict.
pub fn is_echo(block: &ImportedBlock, booking: &Booking, zone: &TimeZone) -> bool {
    if block.uid.starts_with(&*booking.booking_id) && block.uid.ends_with(EXPORT_UID_SUFFIX) {
        return true;
    }
    let blocked_only = block.summary.as_deref().is_some_and(|summary| {
        let summary = summary.to_lowercase();
        BLOCKED_SUMMARIES.iter().any(|s| summary.contains(s))
    });
    if !blocked_only {
        return false;
    }
    match (booking.period, block.span) {
        (
            Period::Nights {
                check_in,
                check_out,
            },
            BlockSpan::Dates { start, end },
        ) => start == check_in && end == check_out,
        _ => {
            let (start, end) = block.span.instants(zone);
            start == booking.start && end == booking.end
        }
    }
}

/// How far ahead a feed's events are held: a platform's "not available" block may run years.
pub const BLOCK_HORIZON: SignedDuration = SignedDuration::from_hours(24 * 730);

/// Where a calendar's syncing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    /// Registered, not synced yet.
    Pending,
    Ok,
    /// The last sync failed.
    Failing,
}

impl SyncStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            SyncStatus::Pending => "pending",
            SyncStatus::Ok => "ok",
            SyncStatus::Failing => "failing",
        }
    }

    pub fn parse(raw: &str) -> Option<SyncStatus> {
        [SyncStatus::Pending, SyncStatus::Ok, SyncStatus::Failing]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// An imported event over one of our bookings that is not an echo of it: the booking keeps its
/// units, and both sides list the clash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarConflict {
    pub uid: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub booking_id: BookingId,
}

/// A feed a resource imports, and how its syncing goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub calendar_id: CalendarId,
    pub resource_id: ResourceId,
    pub venue_id: VenueId,
    pub name: String,
    /// As the admin gave it; it may carry the platform's secret token, so it is never logged.
    pub url: String,
    pub status: SyncStatus,
    pub last_sync_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    /// Imported events currently holding units.
    pub blocks: u32,
    /// Units its feed blocks that another owner holds (a booking, another calendar). Every
    /// sync tries to take them again, so while any remain the feed is fetched in full: a 304
    /// would leave a unit the booking gave back free here though the platform sold it.
    pub unheld: u32,
    /// The revision of its resource the held blocks were worked out for: after a change to the
    /// resource (its opening hours) the same feed may block other units.
    pub resource_revision: u64,
    pub conflicts: Vec<CalendarConflict>,
    /// The feed's validators, for a conditional GET.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The last sync took the feed's nearest units and ran out of time before the rest: the
    /// job goes on with it at once, from a whole fetch of the feed.
    pub unfinished: bool,
    /// What the last read of its feed left out, by reason (`unreadable_line`, `no_start`, …):
    /// shown, so a feed read short never passes for one read whole.
    pub skipped: BTreeMap<String, u32>,
    pub created_at: Timestamp,
}

/// A calendar synced this recently waits for the job's next run; every other one is synced on
/// each run, whatever the schedule's rate.
pub const RESYNC_AFTER: SignedDuration = SignedDuration::from_secs(60);

/// Failures in a row after which staff hear that a calendar is failing.
pub const ALERT_AFTER_FAILURES: u32 = 3;

impl Calendar {
    pub fn new(
        calendar_id: CalendarId,
        resource: &Resource,
        (name, url): (String, String),
        now: Timestamp,
    ) -> Calendar {
        Calendar {
            calendar_id,
            resource_id: resource.resource_id.clone(),
            venue_id: resource.venue_id.clone(),
            name,
            url,
            status: SyncStatus::Pending,
            last_sync_at: None,
            last_success_at: None,
            last_error: None,
            consecutive_failures: 0,
            blocks: 0,
            unheld: 0,
            resource_revision: 0,
            conflicts: Vec::new(),
            etag: None,
            last_modified: None,
            unfinished: false,
            skipped: BTreeMap::new(),
            created_at: now,
        }
    }

    /// When the job next owes this calendar a sync: at once if it never synced or its last
    /// sync is unfinished, else [`RESYNC_AFTER`] after its last one.
    pub fn due_at(&self) -> Timestamp {
        match self.last_sync_at {
            None => self.created_at,
            Some(last) if self.unfinished => last,
            Some(last) => last.checked_add(RESYNC_AFTER).unwrap_or(last),
        }
    }

    /// After a sync that worked: the feed's events holding units, the units it could not
    /// take, its clashes.
    pub fn synced(
        &mut self,
        now: Timestamp,
        (blocks, unheld): (u32, u32),
        conflicts: Vec<CalendarConflict>,
    ) {
        self.status = SyncStatus::Ok;
        self.last_sync_at = Some(now);
        self.last_success_at = Some(now);
        self.last_error = None;
        self.consecutive_failures = 0;
        self.blocks = blocks;
        self.unheld = unheld;
        self.conflicts = conflicts;
        self.unfinished = false;
    }

    /// After a sync that ran out of time part way: the feed answered (a failing streak ends),
    /// the units taken so far hold, and the calendar is `pending` until a sync finishes it.
    /// The validators go, so that the sync that goes on is sent the whole feed, not a 304.
    pub fn partly_synced(&mut self, now: Timestamp, (blocks, unheld): (u32, u32)) {
        self.status = SyncStatus::Pending;
        self.last_sync_at = Some(now);
        self.last_error = None;
        self.consecutive_failures = 0;
        self.blocks = blocks;
        self.unheld = unheld;
        self.etag = None;
        self.last_modified = None;
        self.unfinished = true;
    }

    /// Whether a sync may ask for the feed only if it changed: not while units it blocks are
    /// held by others, as those are retried from the feed's body, nor once the resource changed
    /// since its blocks were worked out (`resource_revision`: the resource's revision now).
    pub fn may_skip_unchanged(&self, resource_revision: u64) -> bool {
        self.unheld == 0 && self.resource_revision == resource_revision
    }

    /// After a sync that failed: what held before still holds. Answers whether staff must
    /// hear of it now (the failure that reaches the threshold, once a streak).
    pub fn failed(&mut self, now: Timestamp, error: &str) -> bool {
        self.status = SyncStatus::Failing;
        self.last_sync_at = Some(now);
        self.last_error = Some(error.chars().take(300).collect());
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        // Retried at the failing pace, not at once: the feed is what needs time.
        self.unfinished = false;
        self.consecutive_failures == ALERT_AFTER_FAILURES
    }
}

/// `POST /v1/resources/{resource_id}/calendars` as the admin sent it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarDraft {
    pub name: String,
    pub url: String,
}

impl CalendarDraft {
    /// The name checked, and the URL as given (its scheme and address are the fetcher's to
    /// judge, as only it knows the settings in force).
    pub fn read(&self) -> Result<(String, String), DomainError> {
        let mut errors = FieldErrors::new();
        let name = checked_name(&self.name, "name", &mut errors);
        let url = self.url.trim().to_string();
        if url.is_empty() || url.len() > 2048 || url.chars().any(char::is_whitespace) {
            errors.add("url", "must be the feed's URL (https://…)");
        }
        errors.into_result((name, url))
    }
}

#[cfg(test)]
mod tests;
