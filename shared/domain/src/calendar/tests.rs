use jiff::civil::date;
use proptest::prelude::*;

use super::*;
use crate::money::Currency;
use crate::resource::ResourceDraft;

fn now() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn resource(json: serde_json::Value, currency: &str) -> Resource {
    let draft: ResourceDraft = serde_json::from_value(json).unwrap();
    draft
        .into_resource(
            "r".into(),
            "v".into(),
            Currency::parse(currency).unwrap(),
            now(),
        )
        .unwrap()
}

fn cabin() -> Resource {
    resource(
        serde_json::json!({"name": "Cabaña", "kind": "nights", "check_in_time": "15:00",
            "check_out_time": "11:00", "unit_price": {"amount": 150000, "currency": "MXN"}}),
        "MXN",
    )
}

fn court() -> Resource {
    resource(
        serde_json::json!({"name": "Court 1", "kind": "slots", "slot_minutes": 30, "durations": [60],
            "opening_hours": {"sun": [["08:00", "22:00"]], "mon": [["08:00", "22:00"]]},
            "unit_price": {"amount": 600, "currency": "EUR"}}),
        "EUR",
    )
}

fn until() -> Timestamp {
    "2031-01-01T00:00:00Z".parse().unwrap()
}

fn mexico() -> TimeZone {
    TimeZone::get("America/Mexico_City").unwrap()
}

fn madrid() -> TimeZone {
    TimeZone::get("Europe/Madrid").unwrap()
}

fn dates(uid: &str, summary: &str, start: Date, end: Date) -> ImportedBlock {
    ImportedBlock {
        uid: uid.into(),
        summary: Some(summary.into()),
        span: BlockSpan::Dates { start, end },
    }
}

#[test]
fn an_all_day_stay_blocks_its_nights_with_dtend_exclusive() {
    let span = BlockSpan::Dates {
        start: date(2030, 3, 10),
        end: date(2030, 3, 13),
    };
    assert_eq!(
        cabin().units_blocked_by(&span, &mexico(), until()),
        vec![
            Unit::Night(date(2030, 3, 10)),
            Unit::Night(date(2030, 3, 11)),
            Unit::Night(date(2030, 3, 12))
        ]
    );
}

#[test]
fn a_timed_event_blocks_the_slots_it_overlaps_inside_opening_hours() {
    // 2030-03-31 is a Sunday: Madrid changes to summer time at 02:00.
    let span = BlockSpan::Instants {
        start: "2030-03-31T08:15:00+02:00".parse().unwrap(),
        end: "2030-03-31T09:00:00+02:00".parse().unwrap(),
    };
    let units = court().units_blocked_by(&span, &madrid(), until());
    assert_eq!(
        units,
        vec![
            Unit::Slot("2030-03-31T06:00:00Z".parse().unwrap()),
            Unit::Slot("2030-03-31T06:30:00Z".parse().unwrap())
        ]
    );
    // A whole day blocks the day's opening hours: 08:00-22:00 is 28 slots.
    let day = BlockSpan::Dates {
        start: date(2030, 3, 31),
        end: date(2030, 4, 1),
    };
    assert_eq!(court().units_blocked_by(&day, &madrid(), until()).len(), 28);
}

#[test]
fn a_timed_event_over_a_cabin_blocks_the_nights_it_touches() {
    // From noon to the next morning at 10: one night (check-in 15:00, check-out 11:00).
    let span = BlockSpan::Instants {
        start: "2030-05-01T12:00:00-06:00".parse().unwrap(),
        end: "2030-05-02T10:00:00-06:00".parse().unwrap(),
    };
    assert_eq!(
        cabin().units_blocked_by(&span, &mexico(), until()),
        vec![Unit::Night(date(2030, 5, 1))]
    );
}

#[test]
fn one_stay_listed_three_times_is_held_once() {
    let blocks = [
        dates("stay", "Reserved", date(2030, 6, 1), date(2030, 6, 4)),
        dates("checkin", "Check-in", date(2030, 6, 1), date(2030, 6, 2)),
        dates("checkout", "Check-out", date(2030, 6, 3), date(2030, 6, 4)),
    ];
    let desired = desired_blocks(&cabin(), &mexico(), &blocks, until());
    assert_eq!(desired.len(), 3);
}

#[test]
fn a_far_future_block_is_held_only_up_to_the_horizon() {
    let block = dates(
        "na",
        "Airbnb (Not available)",
        date(2030, 12, 1),
        date(2033, 1, 1),
    );
    let desired = desired_blocks(&cabin(), &mexico(), &[block], until());
    // Nights up to the horizon's local date (31 December 2030 in Mexico City).
    assert_eq!(desired.len(), 31);
}

#[test]
fn a_block_that_moves_by_a_day_releases_one_night_and_takes_one() {
    let yesterday = desired_blocks(
        &cabin(),
        &mexico(),
        &[dates(
            "na",
            "Airbnb (Not available)",
            date(2030, 1, 1),
            date(2030, 11, 1),
        )],
        until(),
    );
    let today = desired_blocks(
        &cabin(),
        &mexico(),
        &[dates(
            "na",
            "Airbnb (Not available)",
            date(2030, 1, 2),
            date(2030, 11, 2),
        )],
        until(),
    );
    let diff = diff_blocks(&yesterday, &today);
    assert_eq!(diff.release, vec![Unit::Night(date(2030, 1, 1))]);
    assert_eq!(
        diff.take,
        vec![(Unit::Night(date(2030, 11, 1)), "na".to_string())]
    );
}

fn booking(check_in: Date, check_out: Date) -> Booking {
    Booking {
        booking_id: "bkg_ours".into(),
        resource_id: "r".into(),
        venue_id: "v".into(),
        owner: "ana".into(),
        status: crate::BookingStatus::Confirmed,
        period: Period::Nights {
            check_in,
            check_out,
        },
        start: midnight(check_in, &mexico()),
        end: midnight(check_out, &mexico()),
        units: vec![],
        claim: crate::Claim::Whole,
        price: crate::Money {
            amount: 1,
            currency: Currency::parse("MXN").unwrap(),
        },
        hold_expires_at: None,
        remind_at: None,
        payment: None,
        customer: crate::Customer {
            name: "Ana".into(),
            email: "ana@example.com".into(),
            phone: None,
        },
        time_zone: crate::Zone::parse("America/Mexico_City").unwrap(),
        calendar_conflicts: Vec::new(),
        created_at: now(),
        updated_at: now(),
    }
}

#[test]
fn echoes_of_our_own_bookings_are_told_from_second_guests() {
    let ours = booking(date(2030, 7, 1), date(2030, 7, 4));
    let zone = mexico();
    let echo = dates(
        "a1",
        "Airbnb (Not available)",
        date(2030, 7, 1),
        date(2030, 7, 4),
    );
    assert!(
        is_echo(&echo, &ours, &zone),
        "the platform blocked our dates"
    );
    let closed = dates(
        "b1",
        "CLOSED - Not available",
        date(2030, 7, 1),
        date(2030, 7, 4),
    );
    assert!(is_echo(&closed, &ours, &zone));
    let round_trip = dates(
        "bkg_ours@holdfast",
        "Reserved",
        date(2030, 7, 1),
        date(2030, 7, 4),
    );
    assert!(is_echo(&round_trip, &ours, &zone), "our own UID");
    let guest = dates("a2", "Reserved", date(2030, 7, 1), date(2030, 7, 4));
    assert!(
        !is_echo(&guest, &ours, &zone),
        "a real guest over our booking"
    );
    let wider = dates(
        "a3",
        "Airbnb (Not available)",
        date(2030, 6, 30),
        date(2030, 7, 4),
    );
    assert!(!is_echo(&wider, &ours, &zone), "not our dates");
}

#[test]
fn a_calendar_asks_for_its_feed_only_if_changed_while_it_holds_all_it_blocks() {
    let mut calendar = Calendar::new(
        "cal_1".into(),
        &cabin(),
        ("Airbnb".into(), "https://example.com/a.ics".into()),
        now(),
    );
    assert!(calendar.may_skip_unchanged(0));
    // Two nights of its feed are a booking's: they are retried from the feed's body.
    calendar.synced(now(), (1, 2), Vec::new());
    assert!(!calendar.may_skip_unchanged(0));
    // A failure keeps what it knew.
    calendar.failed(now(), "timed out");
    assert!(!calendar.may_skip_unchanged(0));
    calendar.synced(now(), (1, 0), Vec::new());
    assert!(calendar.may_skip_unchanged(0));
    // The resource changed (its hours): the same feed may block other units.
    assert!(!calendar.may_skip_unchanged(1));
    calendar.resource_revision = 1;
    assert!(calendar.may_skip_unchanged(1));
}

#[test]
fn a_calendar_is_due_at_once_until_a_sync_finishes_it_then_a_minute_after_each() {
    let added = now();
    let later = |secs: i64| added + SignedDuration::from_secs(secs);
    let mut calendar = Calendar::new(
        "cal_1".into(),
        &court(),
        ("Google".into(), "https://example.com/g.ics".into()),
        added,
    );
    // Never synced: due from the moment it was added, not a minute later.
    assert_eq!(calendar.due_at(), added);
    calendar.etag = Some("\"v1\"".into());
    // Out of time part way: due at once, pending, and the feed asked for whole.
    calendar.partly_synced(later(5), (40, 0));
    assert_eq!(calendar.due_at(), later(5));
    assert_eq!(calendar.status, SyncStatus::Pending);
    assert_eq!((calendar.blocks, calendar.etag.as_deref()), (40, None));
    // Finished: the next sync a minute on.
    calendar.synced(later(30), (90, 0), Vec::new());
    assert_eq!(calendar.due_at(), later(90));
    assert!(!calendar.unfinished);
    // A failure after a partial sync is retried at the failing pace, and keeps what it held.
    calendar.partly_synced(later(100), (10, 0));
    calendar.failed(later(110), "timed out");
    assert_eq!(calendar.due_at(), later(170));
    assert_eq!(calendar.blocks, 10);
}

#[test]
fn a_calendar_draft_needs_a_name_and_a_url() {
    let good = CalendarDraft {
        name: "Airbnb".into(),
        url: "https://www.airbnb.com/calendar/ical/1.ics?s=abc".into(),
    };
    assert!(good.read().is_ok());
    let bad = CalendarDraft {
        name: " ".into(),
        url: "https://x y".into(),
    };
    let DomainError::Invalid(errors) = bad.read().unwrap_err() else {
        panic!("a field error");
    };
    assert!(errors.get("name").is_some() && errors.get("url").is_some());
}

proptest! {
    /// Syncing from any feed to any other converges: applying the diff to what was held gives
    /// exactly what the new feed blocks, whatever the two feeds were.
    #[test]
    fn applying_a_diff_gives_exactly_the_new_blocks(
        before in proptest::collection::vec((0u8..60, 1u8..40, any::<bool>()), 0..6),
        after in proptest::collection::vec((0u8..60, 1u8..40, any::<bool>()), 0..6),
    ) {
        let feed = |events: &[(u8, u8, bool)]| -> Vec<ImportedBlock> {
            events.iter().enumerate().map(|(i, (offset, nights, blocked))| {
                let start = date(2030, 1, 1).checked_add(jiff::Span::new().days(i64::from(*offset))).unwrap();
                let end = start.checked_add(jiff::Span::new().days(i64::from(*nights))).unwrap();
                dates(&format!("e{i}"), if *blocked { "Not available" } else { "Reserved" }, start, end)
            }).collect()
        };
        let held = desired_blocks(&cabin(), &mexico(), &feed(&before), until());
        let desired = desired_blocks(&cabin(), &mexico(), &feed(&after), until());
        let diff = diff_blocks(&held, &desired);
        let mut now_held = held.clone();
        for unit in &diff.release {
            now_held.remove(unit);
        }
        for (unit, uid) in &diff.take {
            prop_assert!(now_held.insert(*unit, uid.clone()).is_none(), "taken twice");
        }
        let held_units: Vec<&Unit> = now_held.keys().collect();
        let desired_units: Vec<&Unit> = desired.keys().collect();
        prop_assert_eq!(held_units, desired_units);
    }
}

proptest! {
    /// Days worked out once and shared by a feed's many events block exactly what each event
    /// would, worked out alone from its own days (across DST changes and the closed Saturday).
    #[test]
    fn units_shared_by_day_are_those_each_event_would_block_alone(
        events in proptest::collection::vec((0u32..24 * 400, 1u32..24 * 6, any::<bool>()), 1..12),
    ) {
        let court = court();
        let zone = madrid();
        let origin: Timestamp = "2030-03-20T00:00:00Z".parse().unwrap();
        let mut shared = UnitsByDay::new(&court, &zone);
        for (start_hours, hours, whole_days) in events {
            let start = origin + SignedDuration::from_mins(i64::from(start_hours) * 30);
            let end = start + SignedDuration::from_mins(i64::from(hours) * 30);
            let span = if whole_days {
                let day = start.to_zoned(zone.clone()).date();
                BlockSpan::Dates { start: day, end: day.checked_add(jiff::Span::new().days(1 + i64::from(hours % 3))).unwrap() }
            } else {
                BlockSpan::Instants { start, end }
            };
            // The reference: every unit of the days around the span, filtered by overlap.
            let (from, to) = span.instants(&zone);
            let first = from.to_zoned(zone.clone()).date().yesterday().unwrap();
            let after = to.to_zoned(zone.clone()).date().tomorrow().unwrap();
            let alone: Vec<Unit> = court
                .units_between(first, after, &zone)
                .into_iter()
                .filter(|u| u.start < to.min(until()) && from < u.end)
                .map(|u| u.unit)
                .collect();
            prop_assert_eq!(shared.blocked_by(&span, until()), alone);
        }
    }
}
