//! The calendar month a report covers: `YYYY-MM`, and the local month an instant or a date
//! falls in at a venue.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::error::DomainError;

/// A calendar month (`2028-02`), always held as its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(Date);

impl Month {
    /// `YYYY-MM`, exactly: four digits, a dash, a month 01 to 12.
    pub fn parse(raw: &str) -> Result<Month, DomainError> {
        let invalid = || DomainError::field("month", "must be YYYY-MM");
        let bytes = raw.as_bytes();
        let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
        if bytes.len() != 7 || bytes[4] != b'-' || !digits(0..4) || !digits(5..7) {
            return Err(invalid());
        }
        let year: i16 = raw[0..4].parse().map_err(|_| invalid())?;
        let month: i8 = raw[5..7].parse().map_err(|_| invalid())?;
        Date::new(year, month, 1).map(Month).map_err(|_| invalid())
    }

    /// The local month `instant` falls in at the venue.
    pub fn of(instant: Timestamp, zone: &TimeZone) -> Month {
        Month::of_date(instant.to_zoned(zone.clone()).date())
    }

    pub fn of_date(date: Date) -> Month {
        Month(date.first_of_month())
    }

    pub fn first_day(&self) -> Date {
        self.0
    }

    /// The month after this one; December 9999, the end of the calendar, is its own next, so
    /// that its `days` are empty rather than a panic.
    pub fn next(&self) -> Month {
        self.0
            .last_of_month()
            .tomorrow()
            .map(Month)
            .unwrap_or(*self)
    }

    /// The local dates of this month: [first day, next month's first day).
    pub fn days(&self) -> (Date, Date) {
        (self.first_day(), self.next().first_day())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.0.year(), self.0.month())
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::report::fixtures::{at, month, zone};

    #[test]
    fn a_month_is_exactly_yyyy_mm() {
        let feb = month("2028-02");
        assert_eq!(feb.to_string(), "2028-02");
        assert_eq!(feb.first_day(), date(2028, 2, 1));
        assert_eq!(feb.days(), (date(2028, 2, 1), date(2028, 3, 1)));
        assert_eq!(month("2028-12").next(), month("2029-01"));
        assert_eq!(month("0999-01").to_string(), "0999-01");
        for bad in [
            "2028-2",
            "2028-13",
            "2028-00",
            "28-02",
            "junk",
            "",
            "2028-02-01",
            "+028-02",
            "2028/02",
            "2028-1a",
            " 2028-02",
            "2028-０2",
        ] {
            assert_eq!(
                Month::parse(bad),
                Err(DomainError::field("month", "must be YYYY-MM")),
                "{bad}"
            );
        }
        // The end of the calendar has no next month to panic over.
        assert_eq!(month("9999-12").next(), month("9999-12"));
    }

    #[test]
    fn an_instant_falls_in_the_venues_local_month() {
        let madrid = zone("Europe/Madrid");
        // Summer time ends on 2027-10-31: November starts at 23:00 UTC, not 22:00.
        assert_eq!(
            Month::of(at("2027-10-31T22:30:00Z"), &madrid),
            month("2027-10")
        );
        assert_eq!(
            Month::of(at("2027-10-31T23:00:00Z"), &madrid),
            month("2027-11")
        );
        // Summer time since 2028-03-26: April starts at 22:00 UTC.
        assert_eq!(
            Month::of(at("2028-03-31T21:59:59Z"), &madrid),
            month("2028-03")
        );
        assert_eq!(
            Month::of(at("2028-03-31T22:00:00Z"), &madrid),
            month("2028-04")
        );
        assert_eq!(
            Month::of(at("2027-12-31T23:00:00Z"), &madrid),
            month("2028-01")
        );

        let mexico = zone("America/Mexico_City");
        // No summer time since 2022: always UTC-6.
        assert_eq!(
            Month::of(at("2028-03-01T05:59:59Z"), &mexico),
            month("2028-02")
        );
        assert_eq!(
            Month::of(at("2028-03-01T06:00:00Z"), &mexico),
            month("2028-03")
        );
        assert_eq!(
            Month::of(at("2028-01-01T05:30:00Z"), &mexico),
            month("2027-12")
        );
        // Its last summer time (UTC-5) still ruled May 2022 in.
        assert_eq!(
            Month::of(at("2022-05-01T04:59:59Z"), &mexico),
            month("2022-04")
        );
        assert_eq!(
            Month::of(at("2022-05-01T05:00:00Z"), &mexico),
            month("2022-05")
        );
        assert_eq!(Month::of_date(date(2028, 2, 29)), month("2028-02"));
    }
}
