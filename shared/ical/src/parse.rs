//! The feed reader: components and properties to events, zones resolved, recurrences expanded within a horizon.
//! What it cannot use it skips and counts; only a body that is not a calendar at all is an error.

use std::collections::{HashMap, HashSet};

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::lines::{self, ContentLine, Logical};
use crate::rrule::{self, Outcome, Window};
use crate::value::{self, DateTimeValue, Duration};
use crate::zones::{self, Observance, Source, VTimezone};
use crate::{EventStatus, IcalError, ImportedEvent, ParseReport, RecurrenceId, Skip, Span};

/// Candidate days and times a whole feed may spend on recurrences: far above any real feed (a daily rule over
/// a two-year horizon costs about 1,500), low enough that a hostile one returns within milliseconds.
const EXPANSION_BUDGET: u64 = 2_000_000;
/// What one series may spend of that, so a hostile series cannot starve the feed's other series.
const SERIES_BUDGET: u64 = 250_000;
/// Occurrences one series may put in the report; past it the series is cut short, with a warning.
const MAX_OCCURRENCES: usize = 5_000;
/// Most events a report holds; past it the report is marked `truncated`. A resource's real feeds hold
/// hundreds; this bounds the memory a hostile feed of endless series can take.
pub const MAX_EVENTS: usize = 50_000;
/// UIDs are copied into every occurrence's key: one longer than this (real ones are under 100 bytes) is cut
/// and given a hash of the whole, so it stays unique and stable.
const MAX_UID: usize = 255;
/// Summaries are copied into every occurrence too; nobody reads a longer one.
const MAX_SUMMARY: usize = 1_024;
/// Components nest a few deep in real feeds (VCALENDAR > VEVENT > VALARM); deeper is garbage.
const MAX_DEPTH: usize = 16;

/// A property's value with the parameters that say how to read it.
#[derive(Debug, Clone, Default)]
struct Prop {
    value: String,
    tzid: Option<String>,
    /// `RANGE=THISANDFUTURE` on a `RECURRENCE-ID`: the override reaches every later occurrence.
    this_and_future: bool,
}

impl Prop {
    fn from_line(line: &ContentLine<'_>) -> Prop {
        Prop {
            value: line.value.to_string(),
            tzid: line.param("TZID").map(str::to_string),
            this_and_future: line
                .param("RANGE")
                .is_some_and(|r| r.trim().eq_ignore_ascii_case("THISANDFUTURE")),
        }
    }
}

/// A VEVENT as written, before time zones and recurrence.
#[derive(Debug, Clone, Default)]
struct RawEvent {
    line: usize,
    uid: Option<String>,
    summary: Option<String>,
    dtstart: Option<Prop>,
    dtend: Option<Prop>,
    duration: Option<String>,
    status: Option<String>,
    transp: Option<String>,
    rrules: Vec<String>,
    rdates: Vec<Prop>,
    exdates: Vec<Prop>,
    recurrence_id: Option<Prop>,
    sequence: i64,
}

impl RawEvent {
    fn take(&mut self, line: &ContentLine<'_>) {
        let first = |slot: &mut Option<Prop>| {
            if slot.is_none() {
                *slot = Some(Prop::from_line(line));
            }
        };
        match line.name.as_str() {
            "UID" => {
                let uid = lines::unescape_text(line.value).trim().to_string();
                if self.uid.is_none() && !uid.is_empty() {
                    self.uid = Some(bounded_uid(uid));
                }
            }
            "SUMMARY" if self.summary.is_none() => {
                let mut summary = lines::unescape_text(line.value);
                summary.truncate(floor_char_boundary(&summary, MAX_SUMMARY));
                self.summary = Some(summary);
            }
            "DTSTART" => first(&mut self.dtstart),
            "DTEND" => first(&mut self.dtend),
            "RECURRENCE-ID" => first(&mut self.recurrence_id),
            "DURATION" if self.duration.is_none() => self.duration = Some(line.value.to_string()),
            "STATUS" => self.status = Some(line.value.trim().to_ascii_uppercase()),
            "TRANSP" => self.transp = Some(line.value.trim().to_ascii_uppercase()),
            "RRULE" => self.rrules.push(line.value.to_string()),
            "RDATE" => self.rdates.push(Prop::from_line(line)),
            "EXDATE" => self.exdates.push(Prop::from_line(line)),
            "SEQUENCE" => self.sequence = line.value.trim().parse().unwrap_or(0),
            _ => {}
        }
    }
}

/// The largest index `<= at` that falls between characters.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn bounded_uid(uid: String) -> String {
    if uid.len() <= MAX_UID {
        return uid;
    }
    let hash = fnv1a(&[&uid]);
    format!("{}~{hash:016x}", &uid[..floor_char_boundary(&uid, 200)])
}

/// What is open while walking the feed.
enum Component {
    Calendar,
    Event(Box<RawEvent>),
    Timezone(VTimezone),
    Observance(Observance),
    /// VALARM, VTODO, VFREEBUSY, X-components: their properties are not the event's.
    Other(String),
}

impl Component {
    fn name(&self) -> &str {
        match self {
            Component::Calendar => "VCALENDAR",
            Component::Event(_) => "VEVENT",
            Component::Timezone(_) => "VTIMEZONE",
            Component::Observance(o) if o.daylight => "DAYLIGHT",
            Component::Observance(_) => "STANDARD",
            Component::Other(name) => name,
        }
    }
}

/// The walk's output: raw events and time zone definitions.
#[derive(Default)]
struct Walk {
    events: Vec<RawEvent>,
    vtimezones: Vec<VTimezone>,
    /// The calendar's `X-WR-TIMEZONE`: the zone its producer writes floating times in.
    x_wr_timezone: Option<String>,
}

/// Components RFC 5545 and its extensions (RFC 7953, RFC 9073) register; any other is ignored whole.
fn is_known(name: &str) -> bool {
    matches!(
        name,
        "VCALENDAR"
            | "VEVENT"
            | "VTODO"
            | "VJOURNAL"
            | "VFREEBUSY"
            | "VTIMEZONE"
            | "STANDARD"
            | "DAYLIGHT"
            | "VALARM"
            | "VAVAILABILITY"
            | "AVAILABLE"
            | "PARTICIPANT"
            | "VLOCATION"
            | "VRESOURCE"
    )
}

fn close(component: Component, stack: &mut [Component], walk: &mut Walk, report: &mut ParseReport) {
    match component {
        Component::Event(event) => walk.events.push(*event),
        Component::Timezone(vtz) => walk.vtimezones.push(vtz),
        Component::Observance(o) => {
            if let Some(Component::Timezone(vtz)) = stack.last_mut() {
                vtz.observances.push(o);
            }
        }
        // A to-do, journal entry or free/busy list beside the events holds none; counted, so a
        // feed of them never reads as an empty calendar in silence.
        Component::Other(_) if matches!(stack.last(), None | Some(Component::Calendar)) => {
            report.skip(Skip::OtherComponent);
        }
        Component::Calendar | Component::Other(_) => {}
    }
}

/// Reads components and properties; counts lines it cannot read and notes a feed cut off mid-way.
fn walk(logical: &[Logical], report: &mut ParseReport) -> Walk {
    let mut walk = Walk::default();
    let mut stack: Vec<Component> = Vec::new();
    for line in logical {
        let Some(content) = lines::parse_line(&line.text) else {
            if !line.text.trim().is_empty() {
                report.skip(Skip::UnreadableLine);
            }
            continue;
        };
        match content.name.as_str() {
            "BEGIN" => {
                let name = content.value.trim().to_ascii_uppercase();
                if stack.len() >= MAX_DEPTH {
                    report.skip(Skip::TooDeep);
                    continue;
                }
                let parent = stack.last().map(Component::name);
                let component = match (name.as_str(), parent) {
                    ("VCALENDAR", None) => Component::Calendar,
                    ("VEVENT", None | Some("VCALENDAR")) => Component::Event(Box::new(RawEvent {
                        line: line.number,
                        ..RawEvent::default()
                    })),
                    // RFC 5545 3.6 would ignore an unknown component whole, events and all; an
                    // event a producer wrapped in one of its own is still time it means taken
                    // (an independent expander reads it too): read it, and say so.
                    ("VEVENT", Some(open)) if !is_known(open) => {
                        report.warn(|| {
                            format!(
                                "line {}: VEVENT inside the unknown component {open}; read as an event",
                                line.number
                            )
                        });
                        Component::Event(Box::new(RawEvent {
                            line: line.number,
                            ..RawEvent::default()
                        }))
                    }
                    // No registered component holds a VEVENT: take it as the missing END of
                    // whatever is open (a VEVENT, a VTODO whose END was misspelt, an alarm),
                    // so a broken line loses no event after it.
                    ("VEVENT", Some(open)) => {
                        report.warn(|| {
                            format!(
                                "line {}: VEVENT inside a {open}; closing what is open",
                                line.number
                            )
                        });
                        while stack.last().is_some_and(|c| {
                            !matches!(c, Component::Calendar) && is_known(c.name())
                        }) {
                            if let Some(open) = stack.pop() {
                                close(open, &mut stack, &mut walk, report);
                            }
                        }
                        Component::Event(Box::new(RawEvent {
                            line: line.number,
                            ..RawEvent::default()
                        }))
                    }
                    ("VTIMEZONE", None | Some("VCALENDAR")) => {
                        Component::Timezone(VTimezone::default())
                    }
                    ("STANDARD" | "DAYLIGHT", Some("VTIMEZONE")) => {
                        Component::Observance(Observance {
                            daylight: name == "DAYLIGHT",
                            ..Observance::default()
                        })
                    }
                    _ => Component::Other(name),
                };
                stack.push(component);
            }
            "END" => {
                let name = content.value.trim().to_ascii_uppercase();
                let Some(position) = stack.iter().rposition(|c| c.name() == name) else {
                    report.skip(Skip::StrayEnd);
                    continue;
                };
                // Components left open inside this one lacked their END: close them too.
                while stack.len() > position {
                    let Some(component) = stack.pop() else { break };
                    if stack.len() > position {
                        report.warn(|| {
                            format!(
                                "line {}: END:{name} closes an unfinished component",
                                line.number
                            )
                        });
                    }
                    close(component, &mut stack, &mut walk, report);
                }
            }
            _ => match stack.last_mut() {
                Some(Component::Event(event)) => event.take(&content),
                Some(Component::Calendar) if content.name == "X-WR-TIMEZONE" => {
                    walk.x_wr_timezone = Some(content.value.trim().to_string());
                }
                Some(Component::Timezone(vtz)) => match content.name.as_str() {
                    "TZID" => vtz.tzid = content.value.trim().to_string(),
                    "X-LIC-LOCATION" => vtz.location = Some(content.value.trim().to_string()),
                    _ => {}
                },
                Some(Component::Observance(o)) => match content.name.as_str() {
                    "DTSTART" => {
                        o.dtstart = match value::parse_date_time(content.value) {
                            Some(DateTimeValue::Local(dt)) => Some(dt),
                            Some(DateTimeValue::Date(d)) => {
                                Some(d.to_datetime(jiff::civil::Time::midnight()))
                            }
                            _ => None,
                        }
                    }
                    "TZOFFSETTO" => o.offset_to = value::parse_offset(content.value),
                    "RRULE" => o.rrule = Some(content.value.to_string()),
                    _ => {}
                },
                _ => {}
            },
        }
    }
    if !stack.is_empty() {
        report.truncated = true;
        for component in stack {
            if let Component::Event(event) = component {
                report.skip(Skip::CutOff);
                report
                    .warn(|| format!("line {}: VEVENT cut off by the end of the feed", event.line));
            }
        }
    }
    walk
}

/// Zones by `TZID`, resolved once each, with the fallback counted once per name.
struct Zones<'a> {
    vtimezones: &'a [VTimezone],
    /// Where all-day dates are local days: the resource's zone.
    floating: &'a TimeZone,
    /// Where floating date-times are read: the feed's `X-WR-TIMEZONE`, else the resource's zone.
    floating_times: TimeZone,
    cache: HashMap<String, TimeZone>,
}

impl Zones<'_> {
    fn get(&mut self, tzid: &str, report: &mut ParseReport) -> TimeZone {
        if let Some(zone) = self.cache.get(tzid) {
            return zone.clone();
        }
        let zone = match zones::resolve(tzid, self.vtimezones) {
            Some((zone, Source::Iana)) => zone,
            Some((zone, source)) => {
                report.warn(|| match source {
                    Source::Windows => format!("TZID {tzid:?} read as the Windows zone it names"),
                    _ => format!("TZID {tzid:?} read from the feed's VTIMEZONE rules"),
                });
                zone
            }
            None => {
                report.zone_fallbacks += 1;
                report.warn(|| {
                    format!("TZID {tzid:?} names no known time zone; read as floating time")
                });
                self.floating_times.clone()
            }
        };
        self.cache.insert(tzid.to_string(), zone.clone());
        zone
    }
}

/// A start (or end, or recurrence id) with its zone applied.
#[derive(Debug, Clone)]
enum When {
    Date(Date),
    Time { local: DateTime, zone: TimeZone },
}

impl When {
    fn instant(&self, floating: &TimeZone) -> Option<Timestamp> {
        match self {
            When::Date(d) => floating
                .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                .ok(),
            When::Time { local, zone } => zone.to_timestamp(*local).ok(),
        }
    }
}

/// Reads one DATE or DATE-TIME property value; floating times take `default_zone`.
fn read_when(
    value: &str,
    tzid: Option<&str>,
    default_zone: &TimeZone,
    zones: &mut Zones<'_>,
    report: &mut ParseReport,
) -> Option<When> {
    Some(match value::parse_date_time(value)? {
        DateTimeValue::Date(d) => When::Date(d),
        DateTimeValue::Utc(t) => When::Time {
            local: TimeZone::UTC.to_datetime(t),
            zone: TimeZone::UTC,
        },
        DateTimeValue::Local(local) => When::Time {
            local,
            zone: match tzid {
                Some(tzid) => zones.get(tzid, report),
                None => default_zone.clone(),
            },
        },
    })
}

/// How long each occurrence lasts: whole days, an exact duration (from DTEND) or a nominal one (DURATION),
/// as RFC 5545 3.8.5.3 says recurrences keep them.
#[derive(Debug, Clone, Copy)]
enum Length {
    Days(i64),
    Exact(SignedDuration),
    Nominal(Duration),
}

impl Length {
    /// An end written before its start (a negative length): the span runs from the end to the start.
    fn is_reversed(self) -> bool {
        match self {
            Length::Days(days) => days < 0,
            Length::Exact(d) => d.is_negative(),
            Length::Nominal(d) => d.is_negative(),
        }
    }

    /// Whole days an occurrence can reach from its start, either way, rounded up.
    fn reach_days(self) -> i64 {
        match self {
            Length::Days(d) => d.abs(),
            Length::Exact(d) => d.as_secs().abs() / 86_400 + 1,
            Length::Nominal(d) => d.days.abs() + d.seconds.abs() / 86_400 + 1,
        }
    }
}

/// How long an event starting at `start` lasts, from its end (`DTEND`, a period's end) or its
/// duration. An end before the start gives a negative length, read as the swapped span.
fn length_of(
    start: &When,
    end: Option<&When>,
    duration: Option<Duration>,
    floating: &TimeZone,
) -> Result<Length, &'static str> {
    let days_between = |s: Date, e: Date| s.until(e).map_or(0, |span| i64::from(span.get_days()));
    // RFC 5545 3.6.1 wants a DATE end after its start; one on the start reads as the one day.
    let at_least_a_day = |days: i64| if days == 0 { 1 } else { days };
    Ok(match (start, end, duration) {
        (When::Date(s), Some(When::Date(e)), _) => {
            Length::Days(at_least_a_day(days_between(*s, *e)))
        }
        // A DATE start with a DATE-TIME end: the end's date, and its day too if the end is past midnight.
        (When::Date(s), Some(When::Time { local, .. }), _) => {
            let days = days_between(*s, local.date());
            let extra = i64::from(local.time() != jiff::civil::Time::midnight() && days >= 0);
            Length::Days(at_least_a_day(days + extra))
        }
        (When::Date(_), None, Some(d)) => Length::Days(at_least_a_day(d.whole_days())),
        // RFC 5545 3.6.1: a DATE start alone lasts one day.
        (When::Date(_), None, None) => Length::Days(1),
        (When::Time { .. }, Some(end), _) => {
            let (Some(s), Some(e)) = (start.instant(floating), end.instant(floating)) else {
                return Err("DTSTART or DTEND out of range");
            };
            Length::Exact(s.duration_until(e))
        }
        (When::Time { .. }, None, Some(d)) => Length::Nominal(d),
        // RFC 5545 3.6.1: a DATE-TIME start alone is an instant; see `ImportedEvent::blocks`.
        (When::Time { .. }, None, None) => Length::Exact(SignedDuration::ZERO),
    })
}

/// An event ready to expand.
struct Event {
    raw: RawEvent,
    uid: String,
    start: When,
    length: Length,
    status: EventStatus,
    transparent: bool,
    recurrence_id: Option<RecurrenceId>,
    /// `RANGE=THISANDFUTURE`: this override reaches every later occurrence of its series.
    this_and_future: bool,
}

/// FNV-1a: a stable made-up UID for an event without one, from what it says.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

fn recurrence_id_of(when: &When, floating: &TimeZone) -> Option<RecurrenceId> {
    Some(match when {
        When::Date(d) => RecurrenceId::Date(*d),
        When::Time { .. } => RecurrenceId::Instant(when.instant(floating)?),
    })
}

fn prepare(raw: RawEvent, zones: &mut Zones<'_>, report: &mut ParseReport) -> Option<Event> {
    let floating = zones.floating.clone();
    let floating_times = zones.floating_times.clone();
    let line = raw.line;
    let skip = |report: &mut ParseReport, reason: Skip, why: &str| {
        report.skip(reason);
        report.warn(|| format!("line {line}: VEVENT skipped: {why}"));
    };
    let Some(start) = raw
        .dtstart
        .as_ref()
        .and_then(|p| read_when(&p.value, p.tzid.as_deref(), &floating_times, zones, report))
    else {
        skip(report, Skip::NoStart, "no readable DTSTART");
        return None;
    };
    let start_zone = match &start {
        When::Date(_) => floating_times.clone(),
        When::Time { zone, .. } => zone.clone(),
    };
    let end = raw
        .dtend
        .as_ref()
        .and_then(|p| read_when(&p.value, p.tzid.as_deref(), &start_zone, zones, report));
    let duration = raw.duration.as_deref().and_then(value::parse_duration);
    let length = match length_of(&start, end.as_ref(), duration, &floating) {
        Ok(length) => length,
        Err(why) => {
            skip(report, Skip::OutOfRange, why);
            return None;
        }
    };
    if length.is_reversed() {
        // Some producers write the end first; read as blocking more, never less.
        report.warn(|| format!("line {line}: VEVENT ends before it starts; its ends are swapped"));
    }
    let status = match raw.status.as_deref() {
        Some("CANCELLED") => EventStatus::Cancelled,
        Some("TENTATIVE") => EventStatus::Tentative,
        _ => EventStatus::Confirmed,
    };
    let uid = match &raw.uid {
        Some(uid) => uid.clone(),
        None => {
            fn of(p: &Option<Prop>) -> &str {
                p.as_ref().map_or("", |p| p.value.as_str())
            }
            let hash = fnv1a(&[
                of(&raw.dtstart),
                of(&raw.dtend),
                raw.duration.as_deref().unwrap_or(""),
                raw.summary.as_deref().unwrap_or(""),
                raw.rrules.first().map_or("", String::as_str),
            ]);
            report.warn(|| format!("line {line}: VEVENT without UID; keyed by its content"));
            format!("holdfast-{hash:016x}")
        }
    };
    let recurrence_id = match &raw.recurrence_id {
        None => None,
        Some(p) => match read_when(&p.value, p.tzid.as_deref(), &start_zone, zones, report)
            .and_then(|w| recurrence_id_of(&w, &floating))
        {
            Some(rid) => Some(rid),
            None => {
                skip(
                    report,
                    Skip::UnreadableRecurrenceId,
                    "unreadable RECURRENCE-ID",
                );
                return None;
            }
        },
    };
    Some(Event {
        transparent: raw.transp.as_deref() == Some("TRANSPARENT"),
        this_and_future: raw
            .recurrence_id
            .as_ref()
            .is_some_and(|p| p.this_and_future),
        raw,
        uid,
        start,
        length,
        status,
        recurrence_id,
    })
}

/// The span an occurrence starting at `start` takes; `None` past jiff's range.
fn span_at(start: &When, length: Length, floating: &TimeZone) -> Option<Span> {
    match (start, length) {
        (When::Date(d), Length::Days(days)) => {
            let other = d.checked_add(jiff::Span::new().try_days(days).ok()?).ok()?;
            Some(Span::Dates {
                start: (*d).min(other),
                end: (*d).max(other),
            })
        }
        // A timed length on a date (an all-day series' period given in hours): the days it reaches.
        (When::Date(d), length) => {
            let days = match length {
                Length::Exact(exact) => (exact.as_secs() + 86_399).div_euclid(86_400).max(1),
                Length::Nominal(nominal) => nominal.whole_days().max(1),
                Length::Days(days) => days,
            };
            Some(Span::Dates {
                start: *d,
                end: d.checked_add(jiff::Span::new().try_days(days).ok()?).ok()?,
            })
        }
        (When::Time { zone, .. }, length) => {
            let s = start.instant(floating)?;
            let e = match length {
                Length::Exact(d) => s.checked_add(d).ok()?,
                Length::Nominal(d) => d.add_to(s, zone)?,
                Length::Days(days) => s
                    .checked_add(SignedDuration::from_secs(days.checked_mul(86_400)?))
                    .ok()?,
            };
            Some(Span::Instants {
                start: s.min(e),
                end: s.max(e),
            })
        }
    }
}

/// Whether a span meets `[horizon.0, horizon.1)`; dates are read as local days in the floating zone, and an
/// instantaneous event meets it when its instant lies inside.
fn overlaps(span: &Span, horizon: (Timestamp, Timestamp), floating: &TimeZone) -> bool {
    let (s, e) = instants_of(span, floating);
    if s == e {
        s >= horizon.0 && s < horizon.1
    } else {
        s < horizon.1 && e > horizon.0
    }
}

/// A span as instants: dates from their local midnights in the floating zone.
fn instants_of(span: &Span, floating: &TimeZone) -> (Timestamp, Timestamp) {
    match *span {
        Span::Instants { start, end } => (start, end),
        Span::Dates { start, end } => (
            floating
                .to_timestamp(start.to_datetime(jiff::civil::Time::midnight()))
                .unwrap_or(Timestamp::MIN),
            floating
                .to_timestamp(end.to_datetime(jiff::civil::Time::midnight()))
                .unwrap_or(Timestamp::MAX),
        ),
    }
}

/// EXDATE values: excluded instants, and excluded whole dates (a DATE EXDATE on a timed series takes the day).
#[derive(Default)]
struct Exclusions {
    instants: HashSet<Timestamp>,
    dates: HashSet<Date>,
}

impl Exclusions {
    fn excludes(&self, rid: RecurrenceId, local_date: Date) -> bool {
        self.dates.contains(&local_date)
            || matches!(rid, RecurrenceId::Instant(t) if self.instants.contains(&t))
    }
}

/// Reads a multi-valued date list (RDATE, EXDATE). A PERIOD (`start/end`, `start/duration`)
/// comes with its own length; a date-only one (`20270101/20270103`) is whole local days.
fn read_list(
    props: &[Prop],
    zone: &TimeZone,
    zones: &mut Zones<'_>,
    report: &mut ParseReport,
) -> Vec<(When, Option<Length>)> {
    let floating = zones.floating.clone();
    let mut out = Vec::new();
    for prop in props {
        for item in prop.value.split(',').filter(|s| !s.trim().is_empty()) {
            let (start, end) = match item.split_once('/') {
                Some((start, end)) => (start, Some(end.trim())),
                None => (item, None),
            };
            let Some(when) = read_when(start, prop.tzid.as_deref(), zone, zones, report) else {
                report.skip(Skip::UnreadableValue);
                continue;
            };
            let length = end.and_then(|end| {
                let length = if end.trim_start_matches(['+', '-']).starts_with('P') {
                    value::parse_duration(end)
                        .and_then(|d| length_of(&when, None, Some(d), &floating).ok())
                } else {
                    read_when(end, prop.tzid.as_deref(), zone, zones, report)
                        .and_then(|e| length_of(&when, Some(&e), None, &floating).ok())
                };
                if length.is_none() {
                    // The period's start still counts, for the series' own length.
                    report.skip(Skip::UnreadableValue);
                }
                length
            });
            out.push((when, length));
        }
    }
    out
}

/// A `RECURRENCE-ID;RANGE=THISANDFUTURE` override: every later occurrence of its series moves by
/// the same wall-clock difference and takes its length (RFC 5545 3.8.4.4).
#[derive(Debug, Clone)]
struct Range {
    /// The occurrence it replaces, in the series' own zone.
    from: RecurrenceId,
    start: When,
    length: Length,
    /// Its index in the parse's events: later occurrences take its status and transparency too.
    event: usize,
}

/// Everything `expand_series` needs from the parse call.
struct Context<'a> {
    horizon: (Timestamp, Timestamp),
    floating: &'a TimeZone,
    budget: u64,
    /// For each UID, the recurrence ids its overrides took over.
    overridden: HashMap<String, HashSet<RecurrenceId>>,
    /// For each UID, its ranges, in the order of the occurrences they replace.
    ranges: HashMap<String, Vec<Range>>,
}

/// One occurrence of a series: which it is, the time it takes, and the override whose range governs it.
struct Occurrence {
    rid: RecurrenceId,
    span: Span,
    governed_by: Option<usize>,
}

/// The local wall time of a start in `zone`: a date at midnight, an instant as `zone` shows it.
fn local_in(when: &When, zone: &TimeZone, floating: &TimeZone) -> Option<DateTime> {
    match when {
        When::Date(d) => Some(d.to_datetime(jiff::civil::Time::midnight())),
        When::Time { .. } => Some(zone.to_datetime(when.instant(floating)?)),
    }
}

/// The occurrences of a recurring event (every RRULE and RDATE, less EXDATE and overrides, moved by
/// ranges) that meet the horizon. Two at one start keep the longer: it is the one that blocks more.
fn expand_series(
    event: &Event,
    zones: &mut Zones<'_>,
    ctx: &mut Context<'_>,
    report: &mut ParseReport,
) -> Vec<Occurrence> {
    let floating = ctx.floating.clone();
    let (start_local, zone, all_day) = match &event.start {
        When::Date(d) => (
            d.to_datetime(jiff::civil::Time::midnight()),
            floating.clone(),
            true,
        ),
        When::Time { local, zone } => (*local, zone.clone(), false),
    };
    let uid = event.uid.as_str();
    let mut rules = Vec::new();
    for text in &event.raw.rrules {
        match rrule::parse_rule(text) {
            Ok(rule) => rules.push(rule),
            Err(why) => {
                report.skip(Skip::UnexpandedRule);
                report.warn(|| {
                    format!(
                        "UID {uid}: an RRULE not expanded ({why}); its other rules and dates are"
                    )
                });
            }
        }
    }
    let mut exclusions = Exclusions::default();
    for (when, _) in read_list(&event.raw.exdates, &zone, zones, report) {
        match when {
            When::Date(d) => {
                exclusions.dates.insert(d);
            }
            When::Time { .. } => {
                if let Some(t) = when.instant(&floating) {
                    exclusions.instants.insert(t);
                    // An all-day series excluded by a timed EXDATE loses that local day.
                    if all_day {
                        exclusions.dates.insert(floating.to_datetime(t).date());
                    }
                }
            }
        }
    }
    let overridden = ctx.overridden.get(uid);
    // Each range as a wall-clock shift from the occurrence it replaces, in the series' zone.
    let ranges: Vec<(DateTime, SignedDuration, Length, usize)> = ctx
        .ranges
        .get(uid)
        .into_iter()
        .flatten()
        .filter_map(|range| {
            let from = match range.from {
                RecurrenceId::Date(d) => d.to_datetime(jiff::civil::Time::midnight()),
                RecurrenceId::Instant(t) => zone.to_datetime(t),
            };
            let to = local_in(&range.start, &zone, &floating)?;
            Some((from, from.duration_until(to), range.length, range.event))
        })
        .collect();
    // Days a range can move an occurrence, either way: the window widens by as much.
    let moved_days = ranges
        .iter()
        .map(|(_, shift, length, _)| shift.as_secs().abs() / 86_400 + 1 + length.reach_days())
        .max()
        .unwrap_or(0);

    // Candidates: each start in the series' local time, with its own length where a period gives one.
    let mut starts: Vec<(DateTime, Option<Length>)> = vec![(start_local, None)];
    let reach = event
        .length
        .reach_days()
        .saturating_add(moved_days)
        .saturating_add(2);
    let local_of = |t: Timestamp| zone.to_datetime(t);
    let skip_before = jiff::Span::new()
        .try_days(reach)
        .ok()
        .and_then(|span| local_of(ctx.horizon.0).checked_sub(span).ok());
    let end = jiff::Span::new()
        .try_days(moved_days.saturating_add(2))
        .ok()
        .and_then(|span| local_of(ctx.horizon.1).checked_add(span).ok())
        .unwrap_or(DateTime::MAX);
    for rule in &rules {
        let until = rule.until;
        let until_zone = zone.clone();
        let past_until = move |dt: DateTime| match until {
            None => false,
            Some(DateTimeValue::Date(d)) => dt.date() > d,
            Some(DateTimeValue::Local(u)) => dt > u,
            Some(DateTimeValue::Utc(t)) => until_zone.to_timestamp(dt).is_ok_and(|at| at > t),
        };
        let window = Window {
            end,
            skip_before,
            past_until: &past_until,
        };
        let allowance = ctx.budget.min(SERIES_BUDGET / rules.len() as u64);
        let mut budget = allowance;
        let before = starts.len();
        let outcome = rrule::expand(
            rule,
            start_local,
            all_day,
            &window,
            &mut budget,
            &mut |dt| {
                // Starts too early to reach the horizon only count toward COUNT; the rest wait for the
                // horizon filter below, with room for what EXDATE and overrides take out.
                if skip_before.is_some_and(|before| dt < before) {
                    return true;
                }
                starts.push((dt, None));
                starts.len() - before <= MAX_OCCURRENCES * 2
            },
        );
        ctx.budget -= allowance - budget;
        // A series cut short leaves occurrences out that the feed has: say the report is incomplete.
        report.truncated |= outcome != Outcome::Finished;
        match outcome {
            Outcome::Finished => {}
            Outcome::OutOfBudget => report
                .warn(|| format!("UID {uid}: recurrence cut short: its expansion budget is spent")),
            Outcome::Stopped => report.warn(|| {
                format!("UID {uid}: recurrence cut short: too many occurrences in the horizon")
            }),
        }
    }
    for (when, length) in read_list(&event.raw.rdates, &zone, zones, report) {
        let Some(local) = local_in(&when, &zone, &floating) else {
            continue;
        };
        // A timed period on an all-day series takes every local day its instants touch.
        let length = match (&when, length) {
            (When::Time { .. }, Some(length)) if all_day => {
                Some(days_touched(&when, length, &zone, &floating).unwrap_or(Length::Days(1)))
            }
            (_, length) => length,
        };
        starts.push((local, length));
    }

    let mut out: Vec<Occurrence> = Vec::new();
    let mut at: HashMap<RecurrenceId, usize> = HashMap::new();
    starts.sort_by_key(|(local, _)| *local);
    for (local, own_length) in starts {
        let original = if all_day {
            When::Date(local.date())
        } else {
            When::Time {
                local,
                zone: zone.clone(),
            }
        };
        let Some(rid) = recurrence_id_of(&original, &floating) else {
            continue;
        };
        if exclusions.excludes(rid, local.date()) || overridden.is_some_and(|o| o.contains(&rid)) {
            continue;
        }
        // The nearest range before this occurrence moves it, unless the occurrence is a period
        // of its own (an RDATE that says its time outright).
        let range = ranges.iter().rev().find(|(from, ..)| *from < local);
        let (when, length, governed_by) = match (range, own_length) {
            (Some(&(_, shift, length, index)), None) => {
                let Ok(moved) = local.checked_add(shift) else {
                    continue;
                };
                let when = if all_day {
                    When::Date(moved.date())
                } else {
                    When::Time {
                        local: moved,
                        zone: zone.clone(),
                    }
                };
                (when, length, Some(index))
            }
            (range, own) => (
                original,
                own.unwrap_or(event.length),
                range.map(|&(.., index)| index),
            ),
        };
        let Some(span) = span_at(&when, length, &floating) else {
            continue;
        };
        if let Some(&kept) = at.get(&rid) {
            if instants_of(&out[kept].span, &floating).1 < instants_of(&span, &floating).1 {
                out[kept].span = span;
            }
            continue;
        }
        if !overlaps(&span, ctx.horizon, &floating) {
            continue;
        }
        if out.len() >= MAX_OCCURRENCES {
            report.truncated = true;
            report.warn(|| format!("UID {uid}: only the first {MAX_OCCURRENCES} occurrences in the horizon are kept"));
            break;
        }
        at.insert(rid, out.len());
        out.push(Occurrence {
            rid,
            span,
            governed_by,
        });
    }
    out
}

/// The local days (in `zone`) that a timed occurrence of `length` from `when` touches.
fn days_touched(
    when: &When,
    length: Length,
    zone: &TimeZone,
    floating: &TimeZone,
) -> Option<Length> {
    let Span::Instants { start, end } = span_at(when, length, floating)? else {
        return None;
    };
    let (first, last) = (zone.to_datetime(start), zone.to_datetime(end));
    let days = i64::from(first.date().until(last.date()).ok()?.get_days());
    let into_last = last.time() != jiff::civil::Time::midnight();
    Some(Length::Days((days + i64::from(into_last)).max(1)))
}

/// Reads a feed. Events and expanded occurrences come back only where they meet `horizon`; all-day dates
/// are local days in `floating_zone`, the resource's own zone, and so are floating times (no `Z`, no
/// `TZID`) unless the feed's `X-WR-TIMEZONE` names the zone they are in. The feed is held in memory
/// whole: the caller bounds its size when downloading it.
pub fn parse(
    feed: &[u8],
    horizon: (Timestamp, Timestamp),
    floating_zone: &TimeZone,
) -> Result<ParseReport, IcalError> {
    let bytes = lines::decode(feed);
    let logical = lines::unfold(&bytes);
    if logical.is_empty() {
        return Err(IcalError::NotACalendar("the body is empty"));
    }
    let is_begin = |l: &Logical, what: &str| {
        lines::parse_line(&l.text)
            .is_some_and(|c| c.name == "BEGIN" && c.value.trim().eq_ignore_ascii_case(what))
    };
    if !logical
        .iter()
        .any(|l| is_begin(l, "VCALENDAR") || is_begin(l, "VEVENT"))
    {
        return Err(IcalError::NotACalendar(
            "no BEGIN:VCALENDAR or BEGIN:VEVENT line",
        ));
    }

    let mut report = ParseReport::default();
    let walk = walk(&logical, &mut report);
    // Floating times are wall-clock times where the producer is: Google, Apple, Beds24 and
    // others name that zone in X-WR-TIMEZONE. Dates stay the resource's local days.
    let floating_times = match walk.x_wr_timezone.as_deref() {
        Some(name) => match zones::resolve(name, &walk.vtimezones) {
            Some((zone, _)) => zone,
            None => {
                report
                    .warn(|| format!("X-WR-TIMEZONE {name:?} names no known time zone; not used"));
                floating_zone.clone()
            }
        },
        None => floating_zone.clone(),
    };
    let mut zones = Zones {
        vtimezones: &walk.vtimezones,
        floating: floating_zone,
        floating_times,
        cache: HashMap::new(),
    };
    let events: Vec<Event> = walk
        .events
        .into_iter()
        .filter_map(|raw| prepare(raw, &mut zones, &mut report))
        .collect();

    // Overrides: per UID and recurrence id, the highest SEQUENCE wins (the later one on a tie).
    let mut winners: HashMap<(String, RecurrenceId), usize> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        if let Some(rid) = event.recurrence_id {
            let key = (event.uid.clone(), rid);
            let better = winners
                .get(&key)
                .is_none_or(|&other| events[other].raw.sequence <= event.raw.sequence);
            if better {
                winners.insert(key, index);
            }
        }
    }
    let mut overridden: HashMap<String, HashSet<RecurrenceId>> = HashMap::new();
    let mut ranges: HashMap<String, Vec<Range>> = HashMap::new();
    for ((uid, rid), &index) in &winners {
        overridden.entry(uid.clone()).or_default().insert(*rid);
        let event = &events[index];
        if event.this_and_future {
            ranges.entry(uid.clone()).or_default().push(Range {
                from: *rid,
                start: event.start.clone(),
                length: event.length,
                event: index,
            });
        }
    }
    for list in ranges.values_mut() {
        list.sort_by_key(|range| range.from);
    }
    let mut ctx = Context {
        horizon,
        floating: floating_zone,
        budget: EXPANSION_BUDGET,
        overridden,
        ranges,
    };

    let mut keys: HashSet<String> = HashSet::new();
    for (index, event) in events.iter().enumerate() {
        let occurrences: Vec<(Option<RecurrenceId>, Span, &Event)> = match event.recurrence_id {
            Some(rid) => {
                if winners.get(&(event.uid.clone(), rid)) != Some(&index) {
                    report.skip(Skip::SupersededOverride);
                    report.warn(|| {
                        format!(
                            "UID {}: override {rid} superseded by a later one",
                            event.uid
                        )
                    });
                    continue;
                }
                span_at(&event.start, event.length, floating_zone)
                    .filter(|span| overlaps(span, horizon, floating_zone))
                    .map(|span| (Some(rid), span, event))
                    .into_iter()
                    .collect()
            }
            None if !event.raw.rrules.is_empty() || !event.raw.rdates.is_empty() => {
                expand_series(event, &mut zones, &mut ctx, &mut report)
                    .into_iter()
                    .map(|o| {
                        let by = o.governed_by.and_then(|i| events.get(i)).unwrap_or(event);
                        (Some(o.rid), o.span, by)
                    })
                    .collect()
            }
            None => span_at(&event.start, event.length, floating_zone)
                .filter(|span| overlaps(span, horizon, floating_zone))
                .map(|span| (None, span, event))
                .into_iter()
                .collect(),
        };
        if occurrences.is_empty() {
            report.outside_horizon += 1;
        }
        let room = MAX_EVENTS - report.events.len();
        if occurrences.len() > room {
            report.truncated = true;
            report.warn(|| {
                format!("stopped at {MAX_EVENTS} events; the rest of the feed is not read")
            });
        }
        for (recurrence_id, span, by) in occurrences.into_iter().take(room) {
            let base = match recurrence_id {
                Some(rid) => format!("{}#{rid}", event.uid),
                None => event.uid.clone(),
            };
            let key = unique_key(&base, &span, &keys);
            if key != base {
                report.warn(|| format!("UID {}: key {base} repeats; this one is {key}", event.uid));
            }
            keys.insert(key.clone());
            report.events.push(ImportedEvent {
                uid: event.uid.clone(),
                key,
                summary: by.raw.summary.clone(),
                span,
                status: by.status,
                transparent: by.transparent,
                recurrence_id,
            });
        }
        if report.truncated && report.events.len() >= MAX_EVENTS {
            break;
        }
    }
    Ok(report)
}

/// A key not yet used: the base, else the base with the span's start, else with a counter as well.
fn unique_key(base: &str, span: &Span, used: &HashSet<String>) -> String {
    if !used.contains(base) {
        return base.to_string();
    }
    let start = match span {
        Span::Dates { start, .. } => value::format_date(*start),
        Span::Instants { start, .. } => value::format_utc(*start),
    };
    let with_start = format!("{base}~{start}");
    if !used.contains(&with_start) {
        return with_start;
    }
    (2..)
        .map(|n| format!("{with_start}~{n}"))
        .find(|candidate| !used.contains(candidate))
        .unwrap_or(with_start)
}
