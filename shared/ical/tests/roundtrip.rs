//! `export` then `parse` gives back the same UIDs, summaries and spans, for any events; and what `export`
//! writes is well-formed RFC 5545 line by line (CRLF, at most 75 octets, folds between characters).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use holdfast_ical::{ExportEvent, Span, export, parse};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Escapes, folds across multi-byte characters, line breaks and control characters.
    "[a-zA-Z0-9 ;,:\\\\\"\n\r\t\u{7}éñ日本🏠-]{0,120}"
}

fn uid() -> impl Strategy<Value = String> {
    // UIDs are read trimmed, and an empty one is replaced: generate what survives both.
    "[a-zA-Z0-9@._;,:\\\\éñ日🏠-]{1,90}"
}

fn span() -> impl Strategy<Value = Span> {
    prop_oneof![
        (0i32..3650, 1i32..60).prop_map(|(from, nights)| {
            let start = Date::constant(2024, 1, 1)
                .checked_add(jiff::Span::new().days(from))
                .unwrap();
            Span::Dates {
                start,
                end: start.checked_add(jiff::Span::new().days(nights)).unwrap(),
            }
        }),
        (0i64..315_360_000, 0i64..864_000).prop_map(|(from, length)| {
            let start = Timestamp::from_second(1_704_067_200 + from).unwrap();
            Span::Instants {
                start,
                end: start + SignedDuration::from_secs(length),
            }
        }),
    ]
}

fn event() -> impl Strategy<Value = ExportEvent> {
    (uid(), text(), span(), 0i64..2_000_000_000).prop_map(|(uid, summary, span, stamp)| {
        ExportEvent {
            uid,
            summary,
            span,
            dtstamp: Timestamp::from_second(stamp).unwrap(),
        }
    })
}

/// What a summary reads as after export: line breaks become `\n`, other control characters go.
fn as_exported(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| !c.is_control() || c == '\n' || c == '\t')
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn export_then_parse_gives_the_same_events(
        name in text(),
        events in proptest::collection::vec(event(), 0..30),
    ) {
        let feed = export(&name, &events);

        prop_assert!(feed.ends_with("\r\n"));
        for line in feed.split_terminator("\r\n") {
            prop_assert!(!line.contains('\n') && !line.contains('\r'));
            prop_assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }

        let everything = (Timestamp::MIN, Timestamp::MAX);
        let report = parse(feed.as_bytes(), everything, &TimeZone::UTC).unwrap();
        prop_assert_eq!(report.skipped_total(), 0);
        prop_assert!(!report.truncated);
        prop_assert_eq!(report.events.len(), events.len());
        for (read, written) in report.events.iter().zip(&events) {
            prop_assert_eq!(&read.uid, &written.uid);
            prop_assert_eq!(read.summary.clone(), Some(as_exported(&written.summary)));
            prop_assert_eq!(read.span, written.span);
            prop_assert!(read.blocks() || read.span.is_empty());
        }
    }
}

#[test]
fn exports_dates_as_all_day_and_instants_in_utc() {
    let stamp: Timestamp = "2026-08-30T10:00:00Z".parse().unwrap();
    let feed = export(
        "Cabaña 3; \"north\", by the lake",
        &[
            ExportEvent {
                uid: "b-1@holdfast".into(),
                summary: "Reserved".into(),
                span: Span::Dates {
                    start: Date::constant(2026, 10, 10),
                    end: Date::constant(2026, 10, 13),
                },
                dtstamp: stamp,
            },
            ExportEvent {
                uid: "b-2@holdfast".into(),
                summary: "Blocked".into(),
                span: Span::Instants {
                    start: "2026-10-10T15:30:00Z".parse().unwrap(),
                    end: "2026-10-10T17:00:00Z".parse().unwrap(),
                },
                dtstamp: stamp,
            },
        ],
    );
    let expected = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Holdfast//Holdfast Bookings//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "NAME:Cabaña 3\\; \"north\"\\, by the lake",
        "X-WR-CALNAME:Cabaña 3\\; \"north\"\\, by the lake",
        "BEGIN:VEVENT",
        "UID:b-1@holdfast",
        "DTSTAMP:20260830T100000Z",
        "DTSTART;VALUE=DATE:20261010",
        "DTEND;VALUE=DATE:20261013",
        "SUMMARY:Reserved",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:b-2@holdfast",
        "DTSTAMP:20260830T100000Z",
        "DTSTART:20261010T153000Z",
        "DTEND:20261010T170000Z",
        "SUMMARY:Blocked",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ];
    assert_eq!(feed, expected.join("\r\n") + "\r\n");
}
