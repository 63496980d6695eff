//! iCalendar (RFC 5545) for Holdfast: `export` writes a resource's busy times as a feed, `parse` reads other platforms' feeds.
//! Pure Rust (no AWS, no async, no HTTP): times go through jiff and its bundled tz database, and nothing here panics on input.

mod export;
mod lines;
mod parse;
mod rrule;
mod value;
mod zones;

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;

pub use export::export;
pub use parse::{MAX_EVENTS, parse};

/// The most warnings a report keeps; the counters stay exact past it, so a hostile feed cannot grow the report.
pub const MAX_WARNINGS: usize = 100;

/// The time an event takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Span {
    /// All-day events (`VALUE=DATE`): whole local dates, `end` exclusive as in `DTEND`.
    Dates { start: Date, end: Date },
    /// Timed events: UTC instants, `end` exclusive; `start == end` for an instantaneous event.
    Instants { start: Timestamp, end: Timestamp },
}

impl Span {
    /// True when the span covers no time: an instantaneous event (a `DATE-TIME` start with no end or duration).
    pub fn is_empty(&self) -> bool {
        match *self {
            Span::Dates { start, end } => end <= start,
            Span::Instants { start, end } => end <= start,
        }
    }
}

/// `STATUS` of an event; anything other than `CANCELLED` blocks, so an unknown status errs on the side of busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventStatus {
    Confirmed,
    Tentative,
    Cancelled,
}

/// Which occurrence of a recurring series an event is: the start the rule gave it, before any override moved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecurrenceId {
    Date(Date),
    Instant(Timestamp),
}

impl fmt::Display for RecurrenceId {
    /// RFC 5545's basic form (`20261012`, `20261012T160000Z`), so keys read like the feed they came from.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecurrenceId::Date(d) => write!(f, "{}", value::format_date(*d)),
            RecurrenceId::Instant(t) => write!(f, "{}", value::format_utc(*t)),
        }
    }
}

/// One busy interval read from a feed: a single event, or one occurrence of a recurring one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEvent {
    /// The feed's `UID` (made up from the event's content, with a warning, when the feed has none).
    pub uid: String,
    /// Stable per occurrence across syncs: the `UID` for a single event, `{uid}#{recurrence id}` for an
    /// occurrence; unique within one report (a repeated one gets `~{start}` appended, with a warning).
    pub key: String,
    pub summary: Option<String>,
    pub span: Span,
    pub status: EventStatus,
    /// `TRANSP:TRANSPARENT` ("show me as free"): the event is reported but takes no time.
    pub transparent: bool,
    /// Set for every occurrence of a recurring series, and for an override (`RECURRENCE-ID`).
    pub recurrence_id: Option<RecurrenceId>,
}

impl ImportedEvent {
    /// Whether the event makes its time unavailable: not cancelled, not transparent, and not instantaneous.
    /// An instantaneous event takes no time (RFC 5545 3.6.1), so, as a half-open interval, it meets no unit:
    /// feeds use them for markers such as a channel manager's check-in time, never for the stay itself.
    pub fn blocks(&self) -> bool {
        self.status != EventStatus::Cancelled && !self.transparent && !self.span.is_empty()
    }
}

/// What `parse` read from a feed, and what it had to leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseReport {
    /// Events and expanded occurrences that overlap the horizon, in feed order (a series' occurrences in time order).
    pub events: Vec<ImportedEvent>,
    /// What was left out, by reason: lines, values, components and events. Nothing the reader passes over
    /// goes uncounted, so a feed read short never looks like a feed read whole.
    pub skipped: BTreeMap<Skip, usize>,
    /// Events (or whole series) with nothing in the horizon.
    pub outside_horizon: usize,
    /// Distinct `TZID`s that named no time zone Holdfast could find; their times were read in the floating zone.
    pub zone_fallbacks: usize,
    /// The report does not hold the whole feed: it ended inside a component (no `END:VCALENDAR`, likely a
    /// cut-off download), a recurrence was cut short by a bound, or it reached `MAX_EVENTS`. Events missing
    /// from such a report are not known to be deleted.
    pub truncated: bool,
    /// Human-readable notes on what was skipped, guessed or cut short (at most `MAX_WARNINGS`). They name
    /// UIDs, TZIDs and line numbers, never a summary or description.
    pub warnings: Vec<String>,
}

impl ParseReport {
    /// Everything skipped, whatever the reason.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }

    /// How many were skipped for `reason`.
    pub fn skipped_for(&self, reason: Skip) -> usize {
        self.skipped.get(&reason).copied().unwrap_or(0)
    }

    pub(crate) fn skip(&mut self, reason: Skip) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    pub(crate) fn warn(&mut self, message: impl FnOnce() -> String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message());
        }
    }
}

/// Why part of a feed was left out of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// A content line that is not `NAME[;PARAM=...]:VALUE`.
    UnreadableLine,
    /// An `END` that closes nothing open.
    StrayEnd,
    /// A `BEGIN` nested deeper than any real feed nests.
    TooDeep,
    /// One value of a list (`RDATE`, `EXDATE`) that is not a date, date-time or period.
    UnreadableValue,
    /// A `VTODO`, `VJOURNAL`, `VFREEBUSY` or unknown component: it holds no event.
    OtherComponent,
    /// A `VEVENT` without a readable `DTSTART`.
    NoStart,
    /// A `VEVENT` whose times lie past the years any calendar can mean.
    OutOfRange,
    /// A `VEVENT` whose `RECURRENCE-ID` cannot be read, so nothing says which occurrence it replaces.
    UnreadableRecurrenceId,
    /// An override replaced by another of the same occurrence with a higher `SEQUENCE`.
    SupersededOverride,
    /// A `VEVENT` the end of the feed cut off.
    CutOff,
    /// An `RRULE` that could not be expanded: its series keeps only the occurrences other rules and `RDATE` give.
    UnexpandedRule,
}

impl Skip {
    /// The reason as the calendar and the sync's log show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::UnreadableLine => "unreadable_line",
            Skip::StrayEnd => "stray_end",
            Skip::TooDeep => "too_deep",
            Skip::UnreadableValue => "unreadable_value",
            Skip::OtherComponent => "other_component",
            Skip::NoStart => "no_start",
            Skip::OutOfRange => "out_of_range",
            Skip::UnreadableRecurrenceId => "unreadable_recurrence_id",
            Skip::SupersededOverride => "superseded_override",
            Skip::CutOff => "cut_off",
            Skip::UnexpandedRule => "unexpanded_rule",
        }
    }
}

/// One event to publish in an exported feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportEvent {
    /// Must stay the same for the same booking or block across exports, so subscribers update rather than duplicate.
    pub uid: String,
    /// Shown to whoever subscribes: "Reserved" or "Blocked", never a customer's name, email or phone.
    pub summary: String,
    pub span: Span,
    /// When the event was last changed (`DTSTAMP`).
    pub dtstamp: Timestamp,
}

/// The one way `parse` fails: the bytes are not a calendar at all (an HTML error page, an empty body).
/// Everything else a feed gets wrong is skipped and counted in the `ParseReport`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcalError {
    #[error("not an iCalendar feed: {0}")]
    NotACalendar(&'static str),
}
