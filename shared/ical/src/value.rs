//! Property values: DATE, DATE-TIME, DURATION and UTC offsets (RFC 5545 3.3), read leniently, written strictly.
//! Readers return `None` for what they cannot read; the parser counts it and goes on.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// A DATE or DATE-TIME before any time zone is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateTimeValue {
    Date(Date),
    /// No `Z`: local time, in the `TZID` given with it or else the floating zone.
    Local(DateTime),
    Utc(Timestamp),
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYYMMDD`; the extended `YYYY-MM-DD` that some exporters write is taken too.
pub(crate) fn parse_date(value: &str) -> Option<Date> {
    let compact: String = value.trim().chars().filter(|&c| c != '-').collect();
    if compact.len() != 8 {
        return None;
    }
    let year = digits(compact.get(0..4)?)?;
    let month = digits(compact.get(4..6)?)?;
    let day = digits(compact.get(6..8)?)?;
    Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
}

/// `HHMMSS` (or `HHMM`), ignoring a fractional part; `235960` (a leap second) reads as `235959`.
fn parse_time(value: &str) -> Option<Time> {
    let compact: String = value.chars().filter(|&c| c != ':').collect();
    let whole = compact.split(['.', ',']).next()?;
    // Digits only before slicing: a multi-byte character must never meet a byte index.
    if !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hour, minute, second) = match whole.len() {
        4 => (digits(&whole[0..2])?, digits(&whole[2..4])?, 0),
        6 => (
            digits(&whole[0..2])?,
            digits(&whole[2..4])?,
            digits(&whole[4..6])?,
        ),
        _ => return None,
    };
    Time::new(
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second.min(59)).ok()?,
        0,
    )
    .ok()
}

/// A DATE or DATE-TIME value. `VALUE=DATE` with a time, or a bare date without `VALUE=DATE`, are both
/// read as what the digits say: exporters get the parameter wrong more often than the digits.
pub(crate) fn parse_date_time(value: &str) -> Option<DateTimeValue> {
    let value = value.trim();
    let Some((date, time)) = value.split_once(['T', 't']) else {
        return parse_date(value).map(DateTimeValue::Date);
    };
    let date = parse_date(date)?;
    let (time, utc) = match time.strip_suffix(['Z', 'z']) {
        Some(time) => (time, true),
        None => (time, false),
    };
    let datetime = date.to_datetime(parse_time(time)?);
    if utc {
        TimeZone::UTC
            .to_timestamp(datetime)
            .ok()
            .map(DateTimeValue::Utc)
    } else {
        Some(DateTimeValue::Local(datetime))
    }
}

/// A DURATION: `dur-day` and `dur-week` are nominal (calendar days, which DST can stretch), `dur-time` exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Duration {
    pub days: i64,
    pub seconds: i64,
}

impl Duration {
    /// Whole days, rounding a time part up: for an all-day event any part of a day takes the day.
    pub fn whole_days(&self) -> i64 {
        self.days + (self.seconds + 86_399).div_euclid(86_400)
    }

    pub fn is_negative(&self) -> bool {
        self.days < 0 || self.seconds < 0
    }

    /// Adds the duration to a start in its zone: days on the calendar, then the time part exactly.
    pub fn add_to(&self, start: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        let mut end = start;
        if self.days != 0 {
            let zoned = start.to_zoned(zone.clone());
            end = zoned
                .checked_add(jiff::Span::new().try_days(self.days).ok()?)
                .ok()?
                .timestamp();
        }
        end.checked_add(SignedDuration::from_secs(self.seconds))
            .ok()
    }
}

/// Bounds each number so that no arithmetic on a hostile duration can overflow; jiff's own range is smaller still.
const MAX_DURATION_DAYS: i64 = 4_000_000;

/// `[+-]P[nW][nD][T[nH][nM][nS]]`, the parts in any order; `None` for anything else.
pub(crate) fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (negative, rest) = match value.as_bytes().first()? {
        b'-' => (true, &value[1..]),
        b'+' => (false, &value[1..]),
        _ => (false, value),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let (mut days, mut seconds) = (0i64, 0i64);
    let mut in_time = false;
    let mut number = String::new();
    let mut parts = 0;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            'T' if number.is_empty() && !in_time => in_time = true,
            '0'..='9' => number.push(c),
            unit => {
                let n = digits(&number)?;
                number.clear();
                parts += 1;
                match (unit, in_time) {
                    ('W', false) => days = days.saturating_add(n * 7),
                    ('D', false) => days = days.saturating_add(n),
                    ('H', true) => seconds = seconds.saturating_add(n * 3600),
                    ('M', true) => seconds = seconds.saturating_add(n * 60),
                    ('S', true) => seconds = seconds.saturating_add(n),
                    _ => return None,
                }
            }
        }
    }
    if !number.is_empty()
        || parts == 0
        || days > MAX_DURATION_DAYS
        || seconds > MAX_DURATION_DAYS * 86_400
    {
        return None;
    }
    let sign = if negative { -1 } else { 1 };
    Some(Duration {
        days: sign * days,
        seconds: sign * seconds,
    })
}

/// A UTC offset as in `TZOFFSETTO`: `+HHMM` or `+HHMMSS`.
pub(crate) fn parse_offset(value: &str) -> Option<Offset> {
    let value = value.trim();
    let sign = match value.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &value[1..];
    if !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes, seconds) = match body.len() {
        4 => (digits(&body[0..2])?, digits(&body[2..4])?, 0),
        6 => (
            digits(&body[0..2])?,
            digits(&body[2..4])?,
            digits(&body[4..6])?,
        ),
        _ => return None,
    };
    if hours > 25 || minutes > 59 || seconds > 59 {
        return None;
    }
    let total = i32::try_from(sign * (hours * 3600 + minutes * 60 + seconds)).ok()?;
    Offset::from_seconds(total).ok()
}

/// `YYYYMMDD`.
pub(crate) fn format_date(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), date.month(), date.day())
}

/// `YYYYMMDDTHHMMSSZ`.
pub(crate) fn format_utc(instant: Timestamp) -> String {
    let dt = TimeZone::UTC.to_datetime(instant);
    format!(
        "{}T{:02}{:02}{:02}Z",
        format_date(dt.date()),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn reads_every_date_form() {
        use DateTimeValue::*;
        assert_eq!(parse_date_time("20261010"), Some(Date(date(2026, 10, 10))));
        assert_eq!(
            parse_date_time("2026-10-10"),
            Some(Date(date(2026, 10, 10)))
        );
        assert_eq!(
            parse_date_time("20261010T153000"),
            Some(Local(date(2026, 10, 10).at(15, 30, 0, 0)))
        );
        assert_eq!(
            parse_date_time("20261010T1530"),
            Some(Local(date(2026, 10, 10).at(15, 30, 0, 0)))
        );
        assert_eq!(
            parse_date_time("2026-10-10T15:30:00.000Z"),
            Some(Utc("2026-10-10T15:30:00Z".parse().unwrap()))
        );
        assert_eq!(
            parse_date_time("20261010T153000Z"),
            Some(Utc("2026-10-10T15:30:00Z".parse().unwrap()))
        );
        for bad in [
            "",
            "2026",
            "20261310",
            "20260230",
            "20261010T",
            "20261010T256000",
            "x0261010",
            "20261010T1530001",
        ] {
            assert_eq!(parse_date_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn reads_durations() {
        let d = |days, seconds| Some(Duration { days, seconds });
        assert_eq!(parse_duration("P1D"), d(1, 0));
        assert_eq!(parse_duration("P2W"), d(14, 0));
        assert_eq!(parse_duration("PT1H30M"), d(0, 5400));
        assert_eq!(parse_duration("P1DT2H3M4S"), d(1, 7384));
        assert_eq!(parse_duration("-PT15M"), d(0, -900));
        assert_eq!(parse_duration("+P0D"), d(0, 0));
        for bad in [
            "",
            "P",
            "PT",
            "1D",
            "P1H",
            "PT1D",
            "P1",
            "P99999999999D",
            "PxD",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
        assert_eq!(
            Duration {
                days: 1,
                seconds: 1
            }
            .whole_days(),
            2
        );
        assert_eq!(
            Duration {
                days: 0,
                seconds: 0
            }
            .whole_days(),
            0
        );
    }

    #[test]
    fn reads_offsets() {
        assert_eq!(parse_offset("+0100").unwrap().seconds(), 3600);
        assert_eq!(parse_offset("-0530").unwrap().seconds(), -19_800);
        assert_eq!(parse_offset("+001530").unwrap().seconds(), 930);
        assert_eq!(parse_offset("0100"), None);
    }

    #[test]
    fn writes_basic_forms() {
        assert_eq!(format_date(date(2026, 1, 5)), "20260105");
        assert_eq!(
            format_utc("2026-01-05T07:08:09Z".parse().unwrap()),
            "20260105T070809Z"
        );
    }
}
