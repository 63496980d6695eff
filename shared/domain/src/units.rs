//! Units of time: the slot starts on a resource's grid or the nights of a stay. Each booking is
//! the set of units it covers; two bookings overlap exactly when their unit sets meet.

use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use crate::error::{DomainError, FieldErrors};
use crate::money::Money;
use crate::resource::{
    LocalTime, MAX_UNITS_PER_BOOKING, NightRules, Opening, Resource, Schedule, SlotRules,
};

/// One unit of a resource's time; what a lock holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    /// The slot starting at this instant.
    Slot(Timestamp),
    /// The night of this local date.
    Night(Date),
}

/// A slot by its UTC instant, a night by its date.
impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unit::Slot(start) => write!(f, "{}", start.strftime("%Y-%m-%dT%H:%M:%SZ")),
            Unit::Night(date) => write!(f, "{date}"),
        }
    }
}

/// A unit with the real time it covers, for availability and conflict reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitSpan {
    pub unit: Unit,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// What a booking asks for: an interval of time or a stay of nights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Slots { start: Timestamp, end: Timestamp },
    Nights { check_in: Date, check_out: Date },
}

/// A checked booking request: the units to lock and what they cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub units: Vec<Unit>,
    pub price: Money,
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Resource {
    /// The units `period` covers, checked against this resource's rules, as of `now`.
    pub fn plan(
        &self,
        period: Period,
        zone: &TimeZone,
        now: Timestamp,
    ) -> Result<Plan, DomainError> {
        let (units, start, end) = match (&self.schedule, period) {
            (Schedule::Slots(rules), Period::Slots { start, end }) => {
                let units = rules.units_of(start, end, zone, now)?;
                (units, start, end)
            }
            (
                Schedule::Nights(rules),
                Period::Nights {
                    check_in,
                    check_out,
                },
            ) => {
                let units = rules.units_of(check_in, check_out, zone, now)?;
                let start = local_instant(check_in, rules.check_in_time, zone);
                let end = local_instant(check_out, rules.check_out_time, zone);
                (units, start, end)
            }
            (Schedule::Slots(_), Period::Nights { .. }) => {
                return Err(DomainError::field(
                    "start",
                    "is required: this resource is booked by time slot (start and end, not check_in and check_out)",
                ));
            }
            (Schedule::Nights(_), Period::Slots { .. }) => {
                return Err(DomainError::field(
                    "check_in",
                    "is required: this resource is booked by the night (check_in and check_out, not start and end)",
                ));
            }
        };
        if units.len() > MAX_UNITS_PER_BOOKING {
            return Err(DomainError::field(
                "end",
                format!(
                    "makes the booking too long: one booking covers at most {MAX_UNITS_PER_BOOKING} units"
                ),
            ));
        }
        let price = self.unit_price.times(units.len()).ok_or_else(|| {
            DomainError::field("unit_price", "times the units does not fit in a price")
        })?;
        Ok(Plan {
            units,
            price,
            start,
            end,
        })
    }

    /// Every unit that starts on a local date in `[from, to)`, in time order.
    pub fn units_between(&self, from: Date, to: Date, zone: &TimeZone) -> Vec<UnitSpan> {
        let mut spans = Vec::new();
        let mut day = from;
        while day < to {
            match &self.schedule {
                Schedule::Slots(rules) => {
                    let slot = SignedDuration::from_mins(i64::from(rules.slot_minutes));
                    for opening in rules.opening_hours.on(day.weekday()) {
                        let close = opening_close(day, opening, zone);
                        for start in grid(day, opening, rules, zone) {
                            let end = start.saturating_add(slot).unwrap_or(start);
                            if end <= close {
                                spans.push(UnitSpan {
                                    unit: Unit::Slot(start),
                                    start,
                                    end,
                                });
                            }
                        }
                    }
                }
                Schedule::Nights(rules) => {
                    let next = day.tomorrow().unwrap_or(day);
                    spans.push(UnitSpan {
                        unit: Unit::Night(day),
                        start: local_instant(day, rules.check_in_time, zone),
                        end: local_instant(next, rules.check_out_time, zone),
                    });
                }
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        spans
    }

    /// The real time `unit` covers.
    pub fn unit_span(&self, unit: Unit, zone: &TimeZone) -> UnitSpan {
        match (&self.schedule, unit) {
            (Schedule::Slots(rules), Unit::Slot(start)) => UnitSpan {
                unit,
                start,
                end: start
                    .saturating_add(SignedDuration::from_mins(i64::from(rules.slot_minutes)))
                    .unwrap_or(start),
            },
            (Schedule::Nights(rules), Unit::Night(day)) => UnitSpan {
                unit,
                start: local_instant(day, rules.check_in_time, zone),
                end: local_instant(day.tomorrow().unwrap_or(day), rules.check_out_time, zone),
            },
            (_, Unit::Slot(start)) => UnitSpan {
                unit,
                start,
                end: start,
            },
            (_, Unit::Night(day)) => {
                let start = local_instant(day, LocalTime::MIDNIGHT, zone);
                UnitSpan {
                    unit,
                    start,
                    end: start,
                }
            }
        }
    }
}

impl SlotRules {
    fn units_of(
        &self,
        start: Timestamp,
        end: Timestamp,
        zone: &TimeZone,
        now: Timestamp,
    ) -> Result<Vec<Unit>, DomainError> {
        let mut errors = FieldErrors::new();
        if end <= start {
            errors.add("end", "must be after start");
        }
        if start < now {
            errors.add("start", "is in the past");
        }
        if !errors.is_empty() {
            return Err(DomainError::Invalid(errors));
        }
        let local = start.to_zoned(zone.clone());
        let day = local.date();
        let time = local.time();
        let minute = time.hour() as u16 * 60 + time.minute() as u16;
        let opening = self
            .opening_hours
            .on(day.weekday())
            .iter()
            .find(|o| o.open.minutes() <= minute && minute < o.close.minutes())
            .ok_or_else(|| {
                DomainError::field(
                    "start",
                    format!("is outside opening hours on {}", day.weekday_name()),
                )
            })?;
        let grid = grid(day, opening, self, zone);
        if time.second() != 0 || time.subsec_nanosecond() != 0 || !grid.contains(&start) {
            return Err(DomainError::field(
                "start",
                format!(
                    "must be on the {}-minute grid counted from {}",
                    self.slot_minutes,
                    grid.first().map_or(opening.open.to_string(), |g| g
                        .to_zoned(zone.clone())
                        .strftime("%H:%M")
                        .to_string())
                ),
            ));
        }
        let length = end.duration_since(start);
        let minutes = length.as_secs() / 60;
        if length.as_secs() % 60 != 0 || !self.durations.iter().any(|&d| i64::from(d) == minutes) {
            let allowed: Vec<String> = self.durations.iter().map(u32::to_string).collect();
            return Err(DomainError::field(
                "end",
                format!(
                    "gives {minutes} minutes; a booking lasts {} minutes",
                    allowed.join(", ")
                ),
            ));
        }
        if end > opening_close(day, opening, zone) {
            return Err(DomainError::field(
                "end",
                format!("is after closing time {}", opening.close),
            ));
        }
        Ok(grid
            .into_iter()
            .filter(|u| start <= *u && *u < end)
            .map(Unit::Slot)
            .collect())
    }
}

impl NightRules {
    fn units_of(
        &self,
        check_in: Date,
        check_out: Date,
        zone: &TimeZone,
        now: Timestamp,
    ) -> Result<Vec<Unit>, DomainError> {
        let mut errors = FieldErrors::new();
        if check_out <= check_in {
            errors.add("check_out", "must be after check_in");
        }
        if check_in < now.to_zoned(zone.clone()).date() {
            errors.add("check_in", "is in the past");
        }
        if !errors.is_empty() {
            return Err(DomainError::Invalid(errors));
        }
        let nights = check_in.duration_until(check_out).as_hours() / 24;
        if nights < i64::from(self.min_nights) || nights > i64::from(self.max_nights) {
            return Err(DomainError::field(
                "check_out",
                format!(
                    "gives {nights} nights; a stay is {} to {} nights",
                    self.min_nights, self.max_nights
                ),
            ));
        }
        if nights > MAX_UNITS_PER_BOOKING as i64 {
            return Err(DomainError::field(
                "check_out",
                format!("one booking covers at most {MAX_UNITS_PER_BOOKING} nights"),
            ));
        }
        let mut units = Vec::with_capacity(nights as usize);
        let mut night = check_in;
        while night < check_out {
            units.push(Unit::Night(night));
            night = night
                .tomorrow()
                .map_err(|_| DomainError::field("check_out", "is out of range"))?;
        }
        Ok(units)
    }
}

trait WeekdayName {
    fn weekday_name(&self) -> &'static str;
}

impl WeekdayName for Date {
    fn weekday_name(&self) -> &'static str {
        [
            "Mondays",
            "Tuesdays",
            "Wednesdays",
            "Thursdays",
            "Fridays",
            "Saturdays",
            "Sundays",
        ][self.weekday().to_monday_zero_offset() as usize]
    }
}

fn wall_clock(day: Date, minute: u16) -> Option<DateTime> {
    if minute >= 1440 {
        return day.tomorrow().ok().map(|d| d.to_datetime(Time::midnight()));
    }
    let time = Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).ok()?;
    Some(day.to_datetime(time))
}

/// The instant a local date and time name; a time skipped by a DST gap means the instant just
/// after the gap, a repeated one the first of the two.
fn local_instant(day: Date, time: LocalTime, zone: &TimeZone) -> Timestamp {
    wall_clock(day, time.minutes())
        .and_then(|dt| zone.to_ambiguous_timestamp(dt).compatible().ok())
        .unwrap_or(Timestamp::MAX)
}

fn opening_close(day: Date, opening: &Opening, zone: &TimeZone) -> Timestamp {
    local_instant(day, opening.close, zone)
}

/// Every instant whose local wall-clock time is a slot start of `rules`' grid inside `opening`
/// on `day`: the grid origin plus a whole number of slots. A wall time skipped by DST names no
/// instant; a repeated one names two.
fn grid(day: Date, opening: &Opening, rules: &SlotRules, zone: &TimeZone) -> Vec<Timestamp> {
    let mut starts = Vec::new();
    let step = rules.slot_minutes.clamp(1, 1440) as u16;
    let origin = rules.grid_origin.minutes();
    let open = opening.open.minutes();
    // The first slot start at or after the opening time (the opening is on the grid unless it
    // was written before grids were fixed).
    let mut minute = if open <= origin {
        origin
    } else {
        open + (step - (open - origin) % step) % step
    };
    while minute < opening.close.minutes() {
        if let Some(dt) = wall_clock(day, minute) {
            match zone.to_ambiguous_timestamp(dt).offset() {
                AmbiguousOffset::Unambiguous { offset } => {
                    starts.extend(offset.to_timestamp(dt).ok())
                }
                AmbiguousOffset::Gap { .. } => {}
                AmbiguousOffset::Fold { before, after } => {
                    starts.extend(before.to_timestamp(dt).ok());
                    starts.extend(after.to_timestamp(dt).ok());
                }
            }
        }
        minute += step;
    }
    starts.sort_unstable();
    starts
}

#[cfg(test)]
mod tests;
