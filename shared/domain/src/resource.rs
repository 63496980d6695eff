//! Resources: what is sold by time. Courts by the slot on a grid inside opening hours, cabins by
//! the night; their rules are checked here once, when an admin writes them.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::Weekday;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, FieldErrors};
use crate::ids::{ResourceId, VenueId};
use crate::money::{Currency, Money, MoneyDraft};
use crate::validate::checked_name;

/// The most units one booking may cover. A booking's change is one DynamoDB transaction of at
/// most 100 actions; the largest, a late payment's, writes the booking, the provider's event
/// id, one lock per unit, a notice and the monthly counters of up to five months (92 nights
/// span at most four, and the payment's month may be a fifth): 8 + 92.
pub const MAX_UNITS_PER_BOOKING: usize = 92;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A local time of day in minutes after midnight; `24:00` (1440) closes a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(u16);

impl LocalTime {
    pub const MIDNIGHT: LocalTime = LocalTime(0);
    pub const END_OF_DAY: LocalTime = LocalTime(1440);

    /// `HH:MM`, 00:00 to 23:59, and 24:00 when `allow_end_of_day`.
    pub fn parse(raw: &str, allow_end_of_day: bool) -> Option<LocalTime> {
        let (h, m) = raw.split_once(':')?;
        if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        match (h, m) {
            (24, 0) if allow_end_of_day => Some(LocalTime::END_OF_DAY),
            (0..=23, 0..=59) => Some(LocalTime(h * 60 + m)),
            _ => None,
        }
    }

    pub fn from_minutes(minutes: u16) -> Option<LocalTime> {
        (minutes <= 1440).then_some(LocalTime(minutes))
    }

    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One `[open, close)` interval of a day, in local wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    pub open: LocalTime,
    pub close: LocalTime,
}

/// Opening intervals per weekday, Monday first; a day with none is closed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpeningHours([Vec<Opening>; 7]);

/// Opening hours as JSON carries them: `{"mon": [["08:00", "22:00"]], ...}`.
pub type OpeningHoursDraft = BTreeMap<String, Vec<(String, String)>>;

impl OpeningHours {
    pub fn on(&self, day: Weekday) -> &[Opening] {
        &self.0[day.to_monday_zero_offset() as usize]
    }

    /// Checks every day: known day names, `open < close`, sorted, not overlapping.
    pub fn parse(draft: &OpeningHoursDraft, field: &str, errors: &mut FieldErrors) -> OpeningHours {
        let mut hours = OpeningHours::default();
        for (day, intervals) in draft {
            let Some(index) = DAYS.iter().position(|d| d == day) else {
                errors.add(
                    format!("{field}.{day}"),
                    "is not a day: use mon, tue, wed, thu, fri, sat or sun",
                );
                continue;
            };
            if intervals.len() > 8 {
                errors.add(format!("{field}.{day}"), "has more than 8 intervals");
                continue;
            }
            let mut previous_close = LocalTime::MIDNIGHT;
            for (i, (open, close)) in intervals.iter().enumerate() {
                let path = format!("{field}.{day}[{i}]");
                let (Some(open), Some(close)) =
                    (LocalTime::parse(open, false), LocalTime::parse(close, true))
                else {
                    errors.add(
                        path,
                        "must be [\"HH:MM\", \"HH:MM\"] (24:00 allowed as a closing time)",
                    );
                    continue;
                };
                if open >= close {
                    errors.add(path, "must open before it closes");
                } else if i > 0 && open < previous_close {
                    errors.add(path, "overlaps or precedes the interval before it");
                } else {
                    hours.0[index].push(Opening { open, close });
                }
                previous_close = close;
            }
        }
        hours
    }

    pub fn to_draft(&self) -> OpeningHoursDraft {
        DAYS.iter()
            .zip(&self.0)
            .filter(|(_, intervals)| !intervals.is_empty())
            .map(|(day, intervals)| {
                let pairs = intervals
                    .iter()
                    .map(|o| (o.open.to_string(), o.close.to_string()))
                    .collect();
                (day.to_string(), pairs)
            })
            .collect()
    }

    fn is_closed_all_week(&self) -> bool {
        self.0.iter().all(Vec::is_empty)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRules {
    pub slot_minutes: u32,
    /// Where each local day's slot grid starts (less than one slot after midnight). Fixed when
    /// the resource is created and never patched: a unit's lock key is its grid instant, so two
    /// overlapping bookings meet on a common lock whatever opening hours were changed between.
    pub grid_origin: LocalTime,
    pub durations: Vec<u32>,
    pub opening_hours: OpeningHours,
}

impl SlotRules {
    /// The grid a new resource gets: the one its first opening time (Monday first) lies on.
    pub fn grid_origin_of(opening_hours: &OpeningHours, slot_minutes: u32) -> LocalTime {
        let first = opening_hours
            .0
            .iter()
            .flatten()
            .next()
            .map_or(0, |o| o.open.minutes());
        LocalTime((u32::from(first) % slot_minutes.max(1)) as u16)
    }

    /// Whether a local time of day is a slot start of this grid.
    pub fn on_grid(&self, time: LocalTime) -> bool {
        on_grid(time, self.grid_origin, self.slot_minutes)
    }
}

fn on_grid(time: LocalTime, origin: LocalTime, slot_minutes: u32) -> bool {
    time >= origin && u32::from(time.0 - origin.0) % slot_minutes.max(1) == 0
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NightRules {
    pub check_in_time: LocalTime,
    pub check_out_time: LocalTime,
    pub min_nights: u32,
    pub max_nights: u32,
}

/// How a resource's time is cut into units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Slots(SlotRules),
    Nights(NightRules),
}

impl Schedule {
    pub fn kind(&self) -> &'static str {
        match self {
            Schedule::Slots(_) => "slots",
            Schedule::Nights(_) => "nights",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub resource_id: ResourceId,
    pub venue_id: VenueId,
    pub name: String,
    pub schedule: Schedule,
    /// Places per unit: 1 for a court or a cabin, more for a class.
    pub capacity: u32,
    /// Per slot or per night, in the venue's currency.
    pub unit_price: Money,
    pub hold_minutes: u32,
    pub active: bool,
    pub created_at: Timestamp,
}

/// `POST /v1/venues/{venue_id}/resources` as the caller sent it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceDraft {
    pub name: String,
    pub kind: String,
    pub unit_price: MoneyDraft,
    pub hold_minutes: Option<u32>,
    pub capacity: Option<u32>,
    pub slot_minutes: Option<u32>,
    pub durations: Option<Vec<u32>>,
    pub opening_hours: Option<OpeningHoursDraft>,
    pub check_in_time: Option<String>,
    pub check_out_time: Option<String>,
    pub min_nights: Option<u32>,
    pub max_nights: Option<u32>,
}

/// `PATCH /v1/resources/{resource_id}`: only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResourcePatch {
    pub name: Option<String>,
    pub unit_price: Option<MoneyDraft>,
    pub opening_hours: Option<OpeningHoursDraft>,
    pub durations: Option<Vec<u32>>,
    pub hold_minutes: Option<u32>,
    pub active: Option<bool>,
}

const DEFAULT_HOLD_MINUTES: u32 = 15;
const MAX_HOLD_MINUTES: u32 = 24 * 60;
const MAX_CAPACITY: u32 = 500;

impl ResourceDraft {
    /// The resource this draft describes for a venue paid in `currency`, or every field that is
    /// wrong with it.
    pub fn into_resource(
        self,
        resource_id: ResourceId,
        venue_id: VenueId,
        currency: Currency,
        now: Timestamp,
    ) -> Result<Resource, DomainError> {
        let mut errors = FieldErrors::new();
        let name = checked_name(&self.name, "name", &mut errors);
        let unit_price = self
            .unit_price
            .to_price("unit_price", currency, &mut errors);
        let hold_minutes = checked_hold_minutes(
            self.hold_minutes.unwrap_or(DEFAULT_HOLD_MINUTES),
            &mut errors,
        );
        let (schedule, capacity) = match self.kind.as_str() {
            "slots" => {
                for (field, given) in [
                    ("check_in_time", self.check_in_time.is_some()),
                    ("check_out_time", self.check_out_time.is_some()),
                    ("min_nights", self.min_nights.is_some()),
                    ("max_nights", self.max_nights.is_some()),
                ] {
                    if given {
                        errors.add(field, "is only for resources of kind nights");
                    }
                }
                let slot_minutes = required(self.slot_minutes, "slot_minutes", &mut errors);
                let durations = required(self.durations, "durations", &mut errors);
                let opening_hours = required(self.opening_hours, "opening_hours", &mut errors);
                let capacity = self.capacity.unwrap_or(1);
                if !(1..=MAX_CAPACITY).contains(&capacity) {
                    errors.add("capacity", format!("must be between 1 and {MAX_CAPACITY}"));
                }
                let rules = match (slot_minutes, durations, opening_hours) {
                    (Some(slot), Some(durations), Some(hours)) => {
                        checked_slot_rules(slot, durations, &hours, None, &mut errors)
                    }
                    _ => None,
                };
                (rules.map(Schedule::Slots), capacity)
            }
            "nights" => {
                for (field, given) in [
                    ("slot_minutes", self.slot_minutes.is_some()),
                    ("durations", self.durations.is_some()),
                    ("opening_hours", self.opening_hours.is_some()),
                ] {
                    if given {
                        errors.add(field, "is only for resources of kind slots");
                    }
                }
                if self.capacity.is_some_and(|c| c != 1) {
                    errors.add("capacity", "must be 1 for resources of kind nights");
                }
                let check_in = local_time(
                    self.check_in_time.as_deref(),
                    "check_in_time",
                    "15:00",
                    &mut errors,
                );
                let check_out = local_time(
                    self.check_out_time.as_deref(),
                    "check_out_time",
                    "11:00",
                    &mut errors,
                );
                let min_nights = self.min_nights.unwrap_or(1);
                let max_nights = self.max_nights.unwrap_or(28);
                checked_night_range(min_nights, max_nights, &mut errors);
                if let (Some(check_in), Some(check_out)) = (check_in, check_out) {
                    // A night is a lock: stays meet on a night exactly when they overlap only
                    // if a guest leaves no later than the next one arrives.
                    if check_out > check_in {
                        errors.add(
                            "check_out_time",
                            format!("must not be later than check_in_time ({check_in}): a guest leaves before the next one arrives"),
                        );
                    }
                }
                let rules = match (check_in, check_out) {
                    (Some(check_in_time), Some(check_out_time)) => Some(NightRules {
                        check_in_time,
                        check_out_time,
                        min_nights,
                        max_nights,
                    }),
                    _ => None,
                };
                (rules.map(Schedule::Nights), 1)
            }
            _ => {
                errors.add("kind", "must be slots or nights");
                (None, 1)
            }
        };
        match (schedule, unit_price) {
            (Some(schedule), Some(unit_price)) if errors.is_empty() => Ok(Resource {
                resource_id,
                venue_id,
                name,
                schedule,
                capacity,
                unit_price,
                hold_minutes,
                active: true,
                created_at: now,
            }),
            _ => Err(DomainError::Invalid(errors)),
        }
    }
}

impl ResourcePatch {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.unit_price.is_none()
            && self.opening_hours.is_none()
            && self.durations.is_none()
            && self.hold_minutes.is_none()
            && self.active.is_none()
    }
}

impl Resource {
    /// This resource with `patch` applied, checked by the same rules as a new one.
    pub fn patched(&self, patch: ResourcePatch) -> Result<Resource, DomainError> {
        let mut errors = FieldErrors::new();
        if patch.is_empty() {
            errors.add("body", "must change at least one of name, unit_price, opening_hours, durations, hold_minutes, active");
        }
        let mut next = self.clone();
        if let Some(name) = patch.name {
            next.name = checked_name(&name, "name", &mut errors);
        }
        if let Some(price) = patch.unit_price {
            if let Some(price) = price.to_price("unit_price", self.unit_price.currency, &mut errors)
            {
                next.unit_price = price;
            }
        }
        if let Some(hold) = patch.hold_minutes {
            next.hold_minutes = checked_hold_minutes(hold, &mut errors);
        }
        if let Some(active) = patch.active {
            next.active = active;
        }
        match &mut next.schedule {
            Schedule::Slots(rules) => {
                let durations = patch.durations.unwrap_or_else(|| rules.durations.clone());
                let hours = patch
                    .opening_hours
                    .unwrap_or_else(|| rules.opening_hours.to_draft());
                if let Some(checked) = checked_slot_rules(
                    rules.slot_minutes,
                    durations,
                    &hours,
                    Some(rules.grid_origin),
                    &mut errors,
                ) {
                    *rules = checked;
                }
            }
            Schedule::Nights(_) => {
                if patch.durations.is_some() {
                    errors.add("durations", "is only for resources of kind slots");
                }
                if patch.opening_hours.is_some() {
                    errors.add("opening_hours", "is only for resources of kind slots");
                }
            }
        }
        errors.into_result(next)
    }
}

fn required<T>(value: Option<T>, field: &str, errors: &mut FieldErrors) -> Option<T> {
    if value.is_none() {
        errors.add(field, "is required");
    }
    value
}

fn local_time(
    raw: Option<&str>,
    field: &str,
    default: &str,
    errors: &mut FieldErrors,
) -> Option<LocalTime> {
    let parsed = LocalTime::parse(raw.unwrap_or(default), false);
    if parsed.is_none() {
        errors.add(field, "must be a local time HH:MM");
    }
    parsed
}

fn checked_hold_minutes(minutes: u32, errors: &mut FieldErrors) -> u32 {
    if !(1..=MAX_HOLD_MINUTES).contains(&minutes) {
        errors.add(
            "hold_minutes",
            format!("must be between 1 and {MAX_HOLD_MINUTES}"),
        );
    }
    minutes
}

fn checked_night_range(min: u32, max: u32, errors: &mut FieldErrors) {
    if min < 1 {
        errors.add("min_nights", "must be at least 1");
    }
    if max < min {
        errors.add("max_nights", "must not be less than min_nights");
    } else if max as usize > MAX_UNITS_PER_BOOKING {
        errors.add(
            "max_nights",
            format!(
                "must be at most {MAX_UNITS_PER_BOOKING}, the longest stay one booking can hold"
            ),
        );
    }
}

/// Slot rules checked; `grid_origin` is the resource's own when it exists already, and a new
/// resource takes the grid of its first opening time.
fn checked_slot_rules(
    slot_minutes: u32,
    mut durations: Vec<u32>,
    hours: &OpeningHoursDraft,
    grid_origin: Option<LocalTime>,
    errors: &mut FieldErrors,
) -> Option<SlotRules> {
    let before = errors.clone();
    if !(5..=720).contains(&slot_minutes) {
        errors.add("slot_minutes", "must be between 5 and 720");
    }
    if durations.is_empty() {
        errors.add("durations", "must list at least one duration in minutes");
    }
    let longest = MAX_UNITS_PER_BOOKING as u32 * slot_minutes.max(1);
    for (i, &d) in durations.iter().enumerate() {
        if d == 0 || slot_minutes == 0 || d % slot_minutes != 0 {
            errors.add(
                format!("durations[{i}]"),
                format!("must be a whole number of {slot_minutes}-minute slots"),
            );
        } else if d > longest {
            errors.add(
                format!("durations[{i}]"),
                format!("must be at most {longest} minutes: one booking holds at most {MAX_UNITS_PER_BOOKING} slots"),
            );
        }
    }
    durations.sort_unstable();
    durations.dedup();
    let opening_hours = OpeningHours::parse(hours, "opening_hours", errors);
    if errors.is_empty() && opening_hours.is_closed_all_week() {
        errors.add("opening_hours", "must open on at least one day");
    }
    let grid_origin =
        grid_origin.unwrap_or_else(|| SlotRules::grid_origin_of(&opening_hours, slot_minutes));
    if *errors == before {
        check_on_grid(&opening_hours, grid_origin, slot_minutes, errors);
    }
    (*errors == before).then_some(SlotRules {
        slot_minutes,
        grid_origin,
        durations,
        opening_hours,
    })
}

/// Every opening time must be a slot start of the resource's one grid, so that the grid (and
/// with it every lock key) is the same before and after any change of hours.
fn check_on_grid(
    hours: &OpeningHours,
    origin: LocalTime,
    slot_minutes: u32,
    errors: &mut FieldErrors,
) {
    for (day, intervals) in DAYS.iter().zip(&hours.0) {
        for (i, opening) in intervals.iter().enumerate() {
            if on_grid(opening.open, origin, slot_minutes) {
                continue;
            }
            let open = u32::from(opening.open.0);
            let origin_minutes = u32::from(origin.0);
            let slot = slot_minutes.max(1);
            let before = if open < origin_minutes {
                None
            } else {
                Some(open - (open - origin_minutes) % slot)
            };
            let after = before.map_or(origin_minutes, |b| b + slot);
            let choices: Vec<String> = before
                .into_iter()
                .chain(Some(after).filter(|&a| a < 1440))
                .map(|m| LocalTime(m as u16).to_string())
                .collect();
            errors.add(
                format!("opening_hours.{day}[{i}]"),
                format!(
                    "opens at {}, off this resource's {slot_minutes}-minute slot grid (fixed when it was created, so that bookings made before and after a change always meet): open at {}",
                    opening.open,
                    choices.join(" or ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn court_json() -> serde_json::Value {
        serde_json::json!({
            "name": "Court 1", "kind": "slots", "slot_minutes": 30, "durations": [60, 90, 120],
            "opening_hours": {"mon": [["08:00", "22:00"]], "sat": [["09:00", "14:00"], ["17:00", "24:00"]]},
            "capacity": 1, "unit_price": {"amount": 600, "currency": "EUR"}, "hold_minutes": 15
        })
    }

    fn build(json: serde_json::Value) -> Result<Resource, DomainError> {
        let draft: ResourceDraft = serde_json::from_value(json).unwrap();
        draft.into_resource("r".into(), "v".into(), eur(), Timestamp::UNIX_EPOCH)
    }

    fn field_errors(result: Result<Resource, DomainError>) -> FieldErrors {
        match result {
            Err(DomainError::Invalid(errors)) => errors,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn local_times_parse_strictly() {
        assert_eq!(
            LocalTime::parse("08:30", false).map(LocalTime::minutes),
            Some(510)
        );
        assert_eq!(LocalTime::parse("24:00", true), Some(LocalTime::END_OF_DAY));
        assert_eq!(LocalTime::parse("24:00", false), None);
        for bad in ["8:30", "08:60", "25:00", "0830", "ab:cd", "08:30:00", ""] {
            assert_eq!(LocalTime::parse(bad, true), None, "{bad}");
        }
        assert_eq!(LocalTime::END_OF_DAY.to_string(), "24:00");
    }

    #[test]
    fn a_court_as_the_api_shows_it_is_valid() {
        let court = build(court_json()).unwrap();
        let Schedule::Slots(rules) = &court.schedule else {
            panic!("slots expected")
        };
        assert_eq!(rules.opening_hours.on(Weekday::Saturday).len(), 2);
        assert!(rules.opening_hours.on(Weekday::Sunday).is_empty());
        assert_eq!(
            rules.opening_hours.to_draft(),
            serde_json::from_value(court_json()["opening_hours"].clone()).unwrap()
        );
    }

    #[test]
    fn bad_slot_rules_are_named() {
        let mut json = court_json();
        json["durations"] = serde_json::json!([45, 60]);
        json["opening_hours"] =
            serde_json::json!({"mon": [["22:00", "08:00"]], "funday": [["08:00", "09:00"]]});
        let errors = field_errors(build(json));
        assert!(errors.get("durations[0]").is_some(), "{errors}");
        assert!(errors.get("opening_hours.mon[0]").is_some(), "{errors}");
        assert!(errors.get("opening_hours.funday").is_some(), "{errors}");
    }

    #[test]
    fn too_many_nights_for_one_transaction_is_refused_at_creation() {
        let json = serde_json::json!({"name": "Cabaña", "kind": "nights", "max_nights": 120,
            "unit_price": {"amount": 150000, "currency": "EUR"}});
        let errors = field_errors(build(json));
        assert!(errors.get("max_nights").unwrap().contains("92"), "{errors}");
    }

    #[test]
    fn kind_specific_fields_do_not_mix() {
        let mut json = court_json();
        json["min_nights"] = serde_json::json!(2);
        let errors = field_errors(build(json));
        assert_eq!(
            errors.get("min_nights"),
            Some("is only for resources of kind nights")
        );
    }

    #[test]
    fn the_slot_grid_is_fixed_at_creation_and_opening_times_must_lie_on_it() {
        let court = build(court_json()).unwrap();
        let Schedule::Slots(rules) = &court.schedule else {
            panic!("slots expected")
        };
        assert_eq!(rules.grid_origin, LocalTime::MIDNIGHT);
        // The issue's double sale: 08:00 moved to 08:15 would move every lock key of the day.
        let moved = ResourcePatch {
            opening_hours: Some(
                serde_json::from_value(serde_json::json!({"mon": [["08:15", "22:00"]]})).unwrap(),
            ),
            ..Default::default()
        };
        let errors = match court.patched(moved) {
            Err(DomainError::Invalid(errors)) => errors,
            other => panic!("{other:?}"),
        };
        let why = errors.get("opening_hours.mon[0]").unwrap();
        assert!(why.contains("open at 08:00 or 08:30"), "{why}");
        // On the grid, hours change freely and the grid stays.
        let later = ResourcePatch {
            opening_hours: Some(
                serde_json::from_value(serde_json::json!({"mon": [["09:30", "21:45"]]})).unwrap(),
            ),
            ..Default::default()
        };
        let patched = court.patched(later).unwrap();
        let Schedule::Slots(after) = &patched.schedule else {
            panic!("slots expected")
        };
        assert_eq!(after.grid_origin, rules.grid_origin);
        // A court created opening at 08:15 keeps that grid; its other days must agree with it.
        let mut json = court_json();
        json["opening_hours"] =
            serde_json::json!({"mon": [["08:15", "22:00"]], "tue": [["09:45", "20:00"]]});
        let quarter = build(json).unwrap();
        let Schedule::Slots(rules) = &quarter.schedule else {
            panic!("slots expected")
        };
        assert_eq!(rules.grid_origin.minutes(), 15);
        let mut json = court_json();
        json["opening_hours"] =
            serde_json::json!({"mon": [["08:15", "22:00"]], "tue": [["09:00", "20:00"]]});
        assert!(
            field_errors(build(json))
                .get("opening_hours.tue[0]")
                .is_some()
        );
    }

    #[test]
    fn a_guest_may_not_check_out_after_the_next_checks_in() {
        let json = serde_json::json!({"name": "Cabaña", "kind": "nights", "check_in_time": "10:00",
            "check_out_time": "12:00", "unit_price": {"amount": 150000, "currency": "EUR"}});
        assert!(field_errors(build(json)).get("check_out_time").is_some());
        let json = serde_json::json!({"name": "Cabaña", "kind": "nights", "check_in_time": "12:00",
            "check_out_time": "12:00", "unit_price": {"amount": 150000, "currency": "EUR"}});
        assert!(build(json).is_ok());
    }

    #[test]
    fn patch_keeps_the_rules() {
        let court = build(court_json()).unwrap();
        let patch = ResourcePatch {
            durations: Some(vec![50]),
            ..Default::default()
        };
        let errors = match court.patched(patch) {
            Err(DomainError::Invalid(errors)) => errors,
            other => panic!("{other:?}"),
        };
        assert!(errors.get("durations[0]").is_some());
        let patch = ResourcePatch {
            active: Some(false),
            name: Some("Pista 1".into()),
            ..Default::default()
        };
        let patched = court.patched(patch).unwrap();
        assert!(!patched.active);
        assert_eq!(patched.name, "Pista 1");
        assert_eq!(patched.schedule, court.schedule);
        assert!(court.patched(ResourcePatch::default()).is_err());
    }
}
