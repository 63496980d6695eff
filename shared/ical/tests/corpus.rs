//! The real-world-shaped feeds under tests/ical/ at the repository root, each read to the events it holds.
//! "Now" is fixed at 2026-09-01T00:00Z; the horizon is now − 1 day to now + 2 years, as the sync uses.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use holdfast_ical::{EventStatus, ImportedEvent, ParseReport, RecurrenceId, Skip, Span, parse};
use jiff::Timestamp;
use jiff::civil::date;
use jiff::tz::TimeZone;

fn horizon() -> (Timestamp, Timestamp) {
    (
        "2026-08-31T00:00:00Z".parse().unwrap(),
        "2028-09-01T00:00:00Z".parse().unwrap(),
    )
}

fn read(name: &str) -> ParseReport {
    let path = format!("{}/../../tests/ical/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let zone = TimeZone::get("Europe/Madrid").unwrap();
    let report = parse(&bytes, horizon(), &zone).unwrap();
    let mut keys: Vec<&str> = report.events.iter().map(|e| e.key.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), report.events.len(), "{name}: keys are unique");
    for event in &report.events {
        match event.span {
            Span::Dates { start, end } => assert!(start < end, "{name}: {event:?}"),
            Span::Instants { start, end } => assert!(start <= end, "{name}: {event:?}"),
        }
    }
    report
}

fn dates(y0: i16, m0: i8, d0: i8, y1: i16, m1: i8, d1: i8) -> Span {
    Span::Dates {
        start: date(y0, m0, d0),
        end: date(y1, m1, d1),
    }
}

fn instants(start: &str, end: &str) -> Span {
    Span::Instants {
        start: start.parse().unwrap(),
        end: end.parse().unwrap(),
    }
}

fn find<'a>(report: &'a ParseReport, key: &str) -> &'a ImportedEvent {
    report
        .events
        .iter()
        .find(|e| e.key == key)
        .unwrap_or_else(|| panic!("no event {key}"))
}

#[test]
fn airbnb_reservations_and_the_long_block() {
    let report = read("airbnb.ics");
    assert_eq!(report.events.len(), 5);
    assert_eq!(report.outside_horizon, 1, "the June stay is past");
    assert_eq!(report.skipped_total(), 0);
    assert!(!report.truncated);
    let reserved: Vec<_> = report
        .events
        .iter()
        .filter(|e| e.summary.as_deref() == Some("Reserved"))
        .collect();
    assert_eq!(reserved.len(), 3);
    assert_eq!(reserved[0].span, dates(2026, 9, 4, 2026, 9, 9));
    assert_eq!(
        reserved[0].uid,
        "1418fb94e984-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b@airbnb.com"
    );
    let long = find(
        &report,
        "7f662ec65913-ffeeddccbbaa99887766554433221100@airbnb.com",
    );
    assert_eq!(long.summary.as_deref(), Some("Airbnb (Not available)"));
    assert_eq!(
        long.span,
        dates(2027, 6, 1, 2029, 6, 1),
        "kept whole, past the horizon too"
    );
    assert!(report.events.iter().all(ImportedEvent::blocks));
}

#[test]
fn booking_com_closed_dates() {
    let report = read("booking.ics");
    assert_eq!(report.events.len(), 3);
    assert_eq!(report.outside_horizon, 1);
    assert!(
        report
            .events
            .iter()
            .all(|e| e.summary.as_deref() == Some("CLOSED - Not available") && e.blocks())
    );
    assert_eq!(
        find(&report, "2c5831ea13795c2dbf85b0cdf795a2c5@booking.com").span,
        dates(2026, 11, 1, 2027, 3, 16)
    );
}

#[test]
fn google_weekly_series_with_exdate_overrides_and_dst() {
    let report = read("google.ics");
    assert_eq!(report.events.len(), 16);
    assert_eq!(report.zone_fallbacks, 0);
    let uid = "5k2v9q1m3c8r7t0b6n4j2h1g0f@google.com";
    let series: Vec<_> = report.events.iter().filter(|e| e.uid == uid).collect();
    // Mondays 7 Sep to 23 Nov (UNTIL stops before 30 Nov) are 12; the EXDATE takes 12 Oct.
    assert_eq!(series.len(), 11);
    assert!(series.iter().all(|e| e.recurrence_id.is_some()));
    assert!(!series.iter().any(|e| e.key.contains("20261012")), "EXDATE");
    // 18:00 Madrid is 16:00Z in summer time and 17:00Z after 25 Oct.
    assert_eq!(
        find(&report, &format!("{uid}#20260907T160000Z")).span,
        instants("2026-09-07T16:00:00Z", "2026-09-07T17:30:00Z")
    );
    assert_eq!(
        find(&report, &format!("{uid}#20261109T170000Z")).span,
        instants("2026-11-09T17:00:00Z", "2026-11-09T18:30:00Z")
    );
    // The 19 Oct class moved to Tuesday 20 Oct, 19:00; its key stays the original occurrence's.
    let moved = find(&report, &format!("{uid}#20261019T160000Z"));
    assert_eq!(
        moved.span,
        instants("2026-10-20T17:00:00Z", "2026-10-20T18:30:00Z")
    );
    assert_eq!(
        moved.summary.as_deref(),
        Some("Clase grupal (cambiada al martes)")
    );
    assert_eq!(
        moved.recurrence_id,
        Some(RecurrenceId::Instant(
            "2026-10-19T16:00:00Z".parse().unwrap()
        ))
    );
    // The 2 Nov class is cancelled: reported once, as cancelled, blocking nothing.
    let cancelled: Vec<_> = series
        .iter()
        .filter(|e| e.key.contains("20261102"))
        .collect();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].status, EventStatus::Cancelled);
    assert!(!cancelled[0].blocks());
    // The VALARM's DESCRIPTION and TRIGGER do not leak into the event.
    assert_eq!(series[0].summary.as_deref(), Some("Clase grupal"));

    assert_eq!(
        find(&report, "0q9w8e7r6t5y4u3i2o1p@google.com").span,
        instants("2026-09-15T08:00:00Z", "2026-09-15T10:00:00Z")
    );
    // "Show as available" events are reported but do not block.
    let free = find(&report, "navidad2026@google.com");
    assert_eq!(free.span, dates(2026, 12, 25, 2026, 12, 26));
    assert!(free.transparent && !free.blocks());
    // A yearly all-day series from 2020 expands only inside the horizon.
    let yearly: Vec<_> = report
        .events
        .iter()
        .filter(|e| e.uid == "reyes@google.com")
        .map(|e| e.span)
        .collect();
    assert_eq!(
        yearly,
        [dates(2027, 1, 6, 2027, 1, 7), dates(2028, 1, 6, 2028, 1, 7)]
    );
}

#[test]
fn outlook_windows_zone_names_and_custom_vtimezone() {
    let report = read("outlook.ics");
    assert_eq!(report.events.len(), 7);
    let prefix = "040000008200E00074C5B7101A82E00800000000";
    // "Pacific Standard Time" is America/Los_Angeles: 09:00 PDT.
    assert_eq!(
        find(
            &report,
            &format!(
                "{prefix}D0E3B9F1A22EDC01000000000000000010000000C8A9E5F2B1D34C4F9A1E2B3C4D5E6F70"
            )
        )
        .span,
        instants("2026-09-21T16:00:00Z", "2026-09-21T18:00:00Z")
    );
    // "Customized Time Zone" is read from its VTIMEZONE: Central European rules, winter time on 26 Oct.
    assert_eq!(
        find(
            &report,
            &format!(
                "{prefix}A1B2C3D4E5F6DC01000000000000000010000000AABBCCDDEEFF00112233445566778899"
            )
        )
        .span,
        instants("2026-10-26T09:00:00Z", "2026-10-26T11:00:00Z")
    );
    // A TZID nothing explains falls back to the floating zone (Madrid here) and is counted.
    assert_eq!(report.zone_fallbacks, 1);
    assert_eq!(
        find(
            &report,
            &format!(
                "{prefix}0F0E0D0C0B0ADC01000000000000000010000000112233445566778899AABBCCDDEEFF00"
            )
        )
        .span,
        instants("2026-09-22T06:00:00Z", "2026-09-22T07:00:00Z")
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("Mountain Island Standard Time"))
    );
    // Every other Tuesday and Thursday from 29 Sep, four in all (COUNT counts DTSTART).
    let series: Vec<_> = report
        .events
        .iter()
        .filter(|e| e.recurrence_id.is_some())
        .map(|e| e.span)
        .collect();
    assert_eq!(
        series,
        [
            instants("2026-09-29T15:00:00Z", "2026-09-29T16:00:00Z"),
            instants("2026-10-01T15:00:00Z", "2026-10-01T16:00:00Z"),
            instants("2026-10-13T15:00:00Z", "2026-10-13T16:00:00Z"),
            instants("2026-10-15T15:00:00Z", "2026-10-15T16:00:00Z"),
        ]
    );
}

#[test]
fn channel_manager_lists_each_stay_three_times() {
    let report = read("channel-manager.ics");
    assert_eq!(report.events.len(), 6);
    assert_eq!(
        find(&report, "res-48213-stay@cm.example").span,
        dates(2026, 10, 10, 2026, 10, 14)
    );
    // Check-in has an hour, inside the stay's first night; check-out is an instant and blocks nothing.
    assert_eq!(
        find(&report, "res-48213-checkin@cm.example").span,
        instants("2026-10-10T15:00:00Z", "2026-10-10T16:00:00Z")
    );
    let checkout = find(&report, "res-48213-checkout@cm.example");
    assert!(checkout.span.is_empty() && !checkout.blocks());
    // One UID for all three of the second stay: all kept, keys made unique by their starts.
    let reused: Vec<&str> = report
        .events
        .iter()
        .filter(|e| e.uid == "res-48377@cm.example")
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(
        reused,
        [
            "res-48377@cm.example",
            "res-48377@cm.example~20261101T160000Z",
            "res-48377@cm.example~20261103T110000Z"
        ]
    );
    // What blocks is the stay and the check-in hour inside it: no night beyond the stay.
    let blocking: Vec<_> = report.events.iter().filter(|e| e.blocks()).collect();
    assert_eq!(blocking.len(), 4);
}

#[test]
fn a_bom_lf_ends_careless_folds_and_garbage() {
    let report = read("folded-lf-bom.ics");
    assert_eq!(report.events.len(), 6);
    assert_eq!(
        report.skipped_for(Skip::UnreadableLine),
        2,
        "the garbage line and the HTML comment"
    );
    assert_eq!(
        report.skipped_for(Skip::NoStart),
        1,
        "the event without DTSTART"
    );
    let stay = find(&report, "stay-1001@pms.example");
    assert_eq!(stay.span, dates(2026, 9, 10, 2026, 9, 13));
    assert_eq!(
        stay.summary.as_deref(),
        Some(
            "Bloqueado – reserva directa, pagada; ver carpeta C:\\reservas\\2026 y la nota del día"
        )
    );
    // A DATE start alone lasts one day.
    assert_eq!(
        find(&report, "stay-1002@pms.example").span,
        dates(2026, 9, 20, 2026, 9, 21)
    );
    // A floating time is read in the resource's zone (Madrid, summer time), DURATION added.
    assert_eq!(
        find(&report, "slot-77@pms.example").span,
        instants("2026-09-15T08:00:00Z", "2026-09-15T09:30:00Z")
    );
    assert!(!find(&report, "marker-5@pms.example").blocks());
    let cancelled = find(&report, "cancelled-9@pms.example");
    assert_eq!(cancelled.status, EventStatus::Cancelled);
    assert!(!cancelled.blocks());
    assert_eq!(
        find(&report, "duration-days@pms.example").span,
        dates(2026, 10, 1, 2026, 10, 3)
    );
}
