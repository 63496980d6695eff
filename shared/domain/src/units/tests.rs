use jiff::civil::date;
use proptest::prelude::*;

use super::*;
use crate::money::Currency;
use crate::resource::{OpeningHours, ResourceDraft};

const ZONES: [&str; 5] = [
    "Europe/Madrid",
    "America/New_York",
    "America/Mexico_City",
    "America/Lima",
    "America/Santiago",
];

fn now() -> Timestamp {
    "2020-01-01T00:00:00Z".parse().unwrap()
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

/// A court open all day every day, with every duration up to four hours.
fn court(slot: u32) -> Resource {
    let all_day: serde_json::Value = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), serde_json::json!([["00:00", "24:00"]])))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let durations: Vec<u32> = (1..=240 / slot).map(|k| k * slot).collect();
    let draft: ResourceDraft = serde_json::from_value(serde_json::json!({
        "name": "Court", "kind": "slots", "slot_minutes": slot, "durations": durations,
        "opening_hours": all_day, "unit_price": {"amount": 600, "currency": "EUR"}
    }))
    .unwrap();
    draft
        .into_resource(
            "r".into(),
            "v".into(),
            Currency::parse("EUR").unwrap(),
            now(),
        )
        .unwrap()
}

fn club_court() -> Resource {
    let draft: ResourceDraft = serde_json::from_value(serde_json::json!({
        "name": "Court 1", "kind": "slots", "slot_minutes": 30, "durations": [60, 90, 120],
        "opening_hours": {"tue": [["08:00", "22:00"]], "sat": [["09:00", "14:00"], ["17:00", "24:00"]]},
        "unit_price": {"amount": 600, "currency": "EUR"}
    }))
    .unwrap();
    draft
        .into_resource(
            "r".into(),
            "v".into(),
            Currency::parse("EUR").unwrap(),
            now(),
        )
        .unwrap()
}

fn cabin(max_nights: u32) -> Resource {
    let draft: ResourceDraft = serde_json::from_value(serde_json::json!({
        "name": "Cabaña del Lago", "kind": "nights", "check_in_time": "15:00", "check_out_time": "11:00",
        "min_nights": 1, "max_nights": max_nights, "unit_price": {"amount": 150000, "currency": "MXN"}
    }))
    .unwrap();
    draft
        .into_resource(
            "c".into(),
            "v".into(),
            Currency::parse("MXN").unwrap(),
            now(),
        )
        .unwrap()
}

fn slots(start: &str, end: &str) -> Period {
    Period::Slots {
        start: start.parse().unwrap(),
        end: end.parse().unwrap(),
    }
}

fn rejected_field(result: Result<Plan, DomainError>) -> String {
    match result {
        Err(DomainError::Invalid(errors)) => errors
            .iter()
            .map(|(f, _)| f.to_string())
            .collect::<Vec<_>>()
            .join(","),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn the_spring_forward_hour_is_sixty_minutes_and_two_units() {
    // docs/api.md's own example: 01:30+01:00 -> 03:30+02:00 on Madrid's spring-forward night.
    let madrid = zone("Europe/Madrid");
    let plan = court(30)
        .plan(
            slots("2027-03-28T01:30:00+01:00", "2027-03-28T03:30:00+02:00"),
            &madrid,
            now(),
        )
        .unwrap();
    assert_eq!(plan.units.len(), 2);
    assert_eq!(plan.price.amount, 1200);
    assert_eq!(
        plan.units.iter().map(Unit::to_string).collect::<Vec<_>>(),
        ["2027-03-28T00:30:00Z", "2027-03-28T01:00:00Z"]
    );
}

#[test]
fn the_fall_back_night_neither_loses_nor_doubles_an_hour() {
    let madrid = zone("Europe/Madrid");
    // 01:30 CEST to 02:30 CET is two real hours: four 30-minute units.
    let plan = court(30)
        .plan(
            slots("2027-10-31T01:30:00+02:00", "2027-10-31T02:30:00+01:00"),
            &madrid,
            now(),
        )
        .unwrap();
    assert_eq!(plan.units.len(), 4);
    // Both 02:00s are slot starts, each its own unit.
    let first = court(30)
        .plan(
            slots("2027-10-31T02:00:00+02:00", "2027-10-31T02:30:00+02:00"),
            &madrid,
            now(),
        )
        .unwrap();
    let second = court(30)
        .plan(
            slots("2027-10-31T02:00:00+01:00", "2027-10-31T02:30:00+01:00"),
            &madrid,
            now(),
        )
        .unwrap();
    assert_ne!(first.units, second.units);
}

#[test]
fn a_day_has_as_many_units_as_it_has_real_time() {
    let madrid = zone("Europe/Madrid");
    let count = |d: Date| {
        court(30)
            .units_between(d, d.tomorrow().unwrap(), &madrid)
            .len()
    };
    assert_eq!(count(date(2027, 3, 27)), 48);
    assert_eq!(count(date(2027, 3, 28)), 46);
    assert_eq!(count(date(2027, 10, 31)), 50);
}

#[test]
fn slot_bookings_follow_the_grid_durations_and_opening_hours() {
    let madrid = zone("Europe/Madrid");
    let court = club_court();
    // 2026-12-01 is a Tuesday, open 08:00-22:00.
    let ok = court
        .plan(
            slots("2026-12-01T10:00:00+01:00", "2026-12-01T11:30:00+01:00"),
            &madrid,
            now(),
        )
        .unwrap();
    assert_eq!((ok.units.len(), ok.price.amount), (3, 1800));
    let cases = [
        (
            ("2026-12-01T10:15:00+01:00", "2026-12-01T11:15:00+01:00"),
            "start",
        ), // off the grid
        (
            ("2026-12-01T10:00:00+01:00", "2026-12-01T10:30:00+01:00"),
            "end",
        ), // 30 min not allowed
        (
            ("2026-12-01T07:00:00+01:00", "2026-12-01T08:00:00+01:00"),
            "start",
        ), // before opening
        (
            ("2026-12-01T21:00:00+01:00", "2026-12-01T22:30:00+01:00"),
            "end",
        ), // past closing
        (
            ("2026-12-01T11:00:00+01:00", "2026-12-01T10:00:00+01:00"),
            "end",
        ), // end before start
        (
            ("2026-12-02T10:00:00+01:00", "2026-12-02T11:00:00+01:00"),
            "start",
        ), // closed on Wednesdays
        (
            ("2019-12-03T10:00:00+01:00", "2019-12-03T11:00:00+01:00"),
            "start",
        ), // in the past
    ];
    for ((start, end), field) in cases {
        assert_eq!(
            rejected_field(court.plan(slots(start, end), &madrid, now())),
            field,
            "{start} {end}"
        );
    }
    // Saturday's second interval closes at 24:00; it may be booked to the end.
    let late = court.plan(
        slots("2026-12-05T22:00:00+01:00", "2026-12-06T00:00:00+01:00"),
        &madrid,
        now(),
    );
    assert_eq!(late.map(|p| p.units.len()).ok(), Some(4));
    // ...but not from one interval into the gap after it.
    let across = court.plan(
        slots("2026-12-05T13:00:00+01:00", "2026-12-05T14:30:00+01:00"),
        &madrid,
        now(),
    );
    assert_eq!(rejected_field(across), "end");
}

#[test]
fn nights_are_half_open_and_bounded() {
    let lima = zone("America/Lima");
    let cabin = cabin(28);
    let stay = |a: Date, b: Date| Period::Nights {
        check_in: a,
        check_out: b,
    };
    let plan = cabin
        .plan(stay(date(2026, 12, 20), date(2026, 12, 23)), &lima, now())
        .unwrap();
    assert_eq!(
        plan.units,
        vec![
            Unit::Night(date(2026, 12, 20)),
            Unit::Night(date(2026, 12, 21)),
            Unit::Night(date(2026, 12, 22))
        ]
    );
    assert_eq!(plan.price.amount, 450000);
    assert_eq!(plan.start.to_string(), "2026-12-20T20:00:00Z"); // 15:00 in Lima
    assert_eq!(plan.end.to_string(), "2026-12-23T16:00:00Z"); // 11:00 in Lima
    assert_eq!(
        rejected_field(cabin.plan(stay(date(2026, 12, 20), date(2027, 1, 30)), &lima, now())),
        "check_out"
    );
    assert_eq!(
        rejected_field(cabin.plan(stay(date(2026, 12, 20), date(2026, 12, 20)), &lima, now())),
        "check_out"
    );
    assert_eq!(
        rejected_field(cabin.plan(stay(date(2019, 12, 20), date(2019, 12, 22)), &lima, now())),
        "check_in"
    );
}

#[test]
fn the_wrong_kind_of_period_is_named() {
    let madrid = zone("Europe/Madrid");
    let nights = Period::Nights {
        check_in: date(2026, 12, 1),
        check_out: date(2026, 12, 2),
    };
    assert_eq!(
        rejected_field(club_court().plan(nights, &madrid, now())),
        "start"
    );
}

/// A grid-aligned booking on `day` in `zone`, `k` slots long, starting at one of the day's slot
/// starts from which it fits before midnight (`index` picks which). Planning it must succeed:
/// a property over bookings that fail to plan would hold vacuously.
fn booking_on(
    court: &Resource,
    tz: &TimeZone,
    day: Date,
    index: usize,
    k: u32,
) -> Result<(Period, Plan), TestCaseError> {
    let Schedule::Slots(rules) = &court.schedule else {
        return Err(TestCaseError::fail("a court is booked by slot"));
    };
    let length = SignedDuration::from_mins(i64::from(k * rules.slot_minutes));
    let midnight = local_instant(day.tomorrow().unwrap(), LocalTime::MIDNIGHT, tz);
    let starts: Vec<Timestamp> = court
        .units_between(day, day.tomorrow().unwrap(), tz)
        .iter()
        .map(|s| s.start)
        .filter(|s| s.checked_add(length).is_ok_and(|end| end <= midnight))
        .collect();
    prop_assert!(!starts.is_empty(), "no {k}-slot booking fits on {day}");
    let start = starts[index % starts.len()];
    let period = Period::Slots {
        start,
        end: start.checked_add(length).unwrap(),
    };
    match court.plan(period, tz, now()) {
        Ok(plan) => Ok((period, plan)),
        Err(err) => Err(TestCaseError::fail(format!(
            "{period:?} did not plan: {err}"
        ))),
    }
}

/// Days spread over five years, weighted towards the DST changes of the zones above.
fn any_day() -> impl Strategy<Value = Date> {
    let transitions = vec![
        date(2027, 3, 28),
        date(2027, 10, 31),
        date(2027, 3, 14),
        date(2027, 11, 7),
        date(2028, 3, 26),
        date(2028, 10, 29),
        date(2027, 4, 4),
        date(2027, 9, 5),
    ];
    prop_oneof![
        proptest::sample::select(transitions),
        (0i64..5 * 365).prop_map(|d| date(2026, 12, 1)
            .checked_add(jiff::Span::new().days(d))
            .unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn units_cover_exactly_the_real_time_booked(
        zone_name in proptest::sample::select(ZONES.to_vec()),
        slot in proptest::sample::select(vec![15u32, 30, 60]),
        day in any_day(), index in 0usize..100, k in 1u32..5,
    ) {
        let tz = zone(zone_name);
        let court = court(slot);
        let (period, plan) = booking_on(&court, &tz, day, index, k)?;
        let Period::Slots { start, end } = period else { return Err(TestCaseError::fail("slots expected")) };
        prop_assert_eq!(plan.units.len() as u32, k);
        prop_assert_eq!(plan.units[0], Unit::Slot(start));
        prop_assert!(plan.units.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(plan.units.iter().all(|u| matches!(u, Unit::Slot(t) if *t >= start && *t < end)));
        prop_assert_eq!(plan.price.amount, 600 * i64::from(k));
    }

    #[test]
    fn two_slot_bookings_share_a_unit_exactly_when_they_overlap(
        zone_name in proptest::sample::select(ZONES.to_vec()),
        slot in proptest::sample::select(vec![15u32, 30, 60]),
        day in any_day(), a in 0usize..100, b in 0usize..100, ka in 1u32..5, kb in 1u32..5,
    ) {
        let tz = zone(zone_name);
        let court = court(slot);
        let (Period::Slots { start: s1, end: e1 }, p1) = booking_on(&court, &tz, day, a, ka)? else { return Err(TestCaseError::fail("slots expected")) };
        let (Period::Slots { start: s2, end: e2 }, p2) = booking_on(&court, &tz, day, b, kb)? else { return Err(TestCaseError::fail("slots expected")) };
        let overlap = s1 < e2 && s2 < e1;
        let shared = p1.units.iter().any(|u| p2.units.contains(u));
        prop_assert_eq!(overlap, shared);
    }

    #[test]
    fn two_stays_share_a_night_exactly_when_they_overlap(
        a in 0i64..60, na in 1i64..10, b in 0i64..60, nb in 1i64..10,
    ) {
        let tz = zone("America/Mexico_City");
        let cabin = cabin(28);
        let day = |d: i64| date(2026, 12, 1).checked_add(jiff::Span::new().days(d)).unwrap();
        let p1 = cabin.plan(Period::Nights { check_in: day(a), check_out: day(a + na) }, &tz, now()).unwrap();
        let p2 = cabin.plan(Period::Nights { check_in: day(b), check_out: day(b + nb) }, &tz, now()).unwrap();
        prop_assert_eq!(p1.units.len() as i64, na);
        let overlap = a < b + nb && b < a + na;
        prop_assert_eq!(overlap, p1.units.iter().any(|u| p2.units.contains(u)));
    }
}

#[test]
fn opening_hours_default_is_closed() {
    assert!(
        OpeningHours::default()
            .on(jiff::civil::Weekday::Monday)
            .is_empty()
    );
}
