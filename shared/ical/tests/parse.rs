//! `parse` through its public API: every date form, recurrence within the horizon, cancellations, line
//! endings, and what counts as not a calendar at all.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use holdfast_ical::{EventStatus, IcalError, ParseReport, RecurrenceId, Skip, Span, parse};
use jiff::Timestamp;
use jiff::civil::date;
use jiff::tz::TimeZone;

fn horizon() -> (Timestamp, Timestamp) {
    (
        "2026-08-31T00:00:00Z".parse().unwrap(),
        "2028-09-01T00:00:00Z".parse().unwrap(),
    )
}

fn mexico() -> TimeZone {
    TimeZone::get("America/Mexico_City").unwrap()
}

/// A calendar around the given event lines, CRLF-ended.
fn feed(events: &[&[&str]]) -> String {
    let mut lines = vec!["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"];
    for event in events {
        lines.push("BEGIN:VEVENT");
        lines.extend_from_slice(event);
        lines.push("END:VEVENT");
    }
    lines.push("END:VCALENDAR");
    lines.join("\r\n") + "\r\n"
}

fn read(text: &str) -> ParseReport {
    parse(text.as_bytes(), horizon(), &mexico()).unwrap()
}

fn instants(start: &str, end: &str) -> Span {
    Span::Instants {
        start: start.parse().unwrap(),
        end: end.parse().unwrap(),
    }
}

#[test]
fn every_date_form() {
    let report = read(&feed(&[
        &[
            "UID:date",
            "DTSTART;VALUE=DATE:20261010",
            "DTEND;VALUE=DATE:20261012",
        ],
        &[
            "UID:utc",
            "DTSTART:20261010T150000Z",
            "DTEND:20261010T163000Z",
        ],
        &[
            "UID:tzid",
            "DTSTART;TZID=Europe/Paris:20261010T150000",
            "DTEND;TZID=Europe/Paris:20261010T160000",
        ],
        // Floating: the resource's zone, Mexico City (UTC-6).
        &[
            "UID:floating",
            "DTSTART:20261010T150000",
            "DTEND:20261010T160000",
        ],
        // Mixed zones on one event are each honoured.
        &[
            "UID:mixed",
            "DTSTART;TZID=America/New_York:20261010T090000",
            "DTEND:20261010T150000Z",
        ],
        &["UID:date-only-start", "DTSTART;VALUE=DATE:20261010"],
        &[
            "UID:date-without-value-param",
            "DTSTART:20261010",
            "DTEND:20261011",
        ],
        &["UID:instant", "DTSTART:20261010T150000Z"],
        &[
            "UID:date-duration",
            "DTSTART;VALUE=DATE:20261010",
            "DURATION:P1W",
        ],
        // DURATION's days are calendar days: across the DST change a day is 25 hours.
        &[
            "UID:nominal",
            "DTSTART;TZID=Europe/Madrid:20261024T120000",
            "DURATION:P1DT1H",
        ],
        // Quoted TZID, as some writers do.
        &[
            "UID:quoted",
            "DTSTART;TZID=\"Asia/Kolkata\":20261010T120000",
            "DTEND;TZID=\"Asia/Kolkata\":20261010T123000",
        ],
    ]));
    let span = |uid: &str| report.events.iter().find(|e| e.uid == uid).unwrap().span;
    assert_eq!(
        span("date"),
        Span::Dates {
            start: date(2026, 10, 10),
            end: date(2026, 10, 12)
        }
    );
    assert_eq!(
        span("utc"),
        instants("2026-10-10T15:00:00Z", "2026-10-10T16:30:00Z")
    );
    assert_eq!(
        span("tzid"),
        instants("2026-10-10T13:00:00Z", "2026-10-10T14:00:00Z")
    );
    assert_eq!(
        span("floating"),
        instants("2026-10-10T21:00:00Z", "2026-10-10T22:00:00Z")
    );
    assert_eq!(
        span("mixed"),
        instants("2026-10-10T13:00:00Z", "2026-10-10T15:00:00Z")
    );
    assert_eq!(
        span("date-only-start"),
        Span::Dates {
            start: date(2026, 10, 10),
            end: date(2026, 10, 11)
        }
    );
    assert_eq!(
        span("date-without-value-param"),
        Span::Dates {
            start: date(2026, 10, 10),
            end: date(2026, 10, 11)
        }
    );
    assert_eq!(
        span("instant"),
        instants("2026-10-10T15:00:00Z", "2026-10-10T15:00:00Z")
    );
    assert_eq!(
        span("date-duration"),
        Span::Dates {
            start: date(2026, 10, 10),
            end: date(2026, 10, 17)
        }
    );
    assert_eq!(
        span("nominal"),
        instants("2026-10-24T10:00:00Z", "2026-10-25T12:00:00Z")
    );
    assert_eq!(
        span("quoted"),
        instants("2026-10-10T06:30:00Z", "2026-10-10T07:00:00Z")
    );
    let instant = report.events.iter().find(|e| e.uid == "instant").unwrap();
    assert!(!instant.blocks(), "an instantaneous event takes no time");
    assert_eq!(report.skipped_total(), 0);
}

#[test]
fn rrule_and_exdate_within_the_horizon() {
    let report = read(&feed(&[
        // Daily since 2020 at 10:00 Mexico City: only the horizon's occurrences come back.
        &[
            "UID:daily",
            "DTSTART;TZID=America/Mexico_City:20200101T100000",
            "DTEND;TZID=America/Mexico_City:20200101T110000",
            "RRULE:FREQ=DAILY",
            "EXDATE;TZID=America/Mexico_City:20260901T100000,20260902T100000",
            "EXDATE:20260903T160000Z",
        ],
        // Ended before the horizon.
        &[
            "UID:over",
            "DTSTART:20200101T100000Z",
            "RRULE:FREQ=WEEKLY;COUNT=3",
        ],
        // A week-long block every month: the one that began before the horizon reaches into it.
        &[
            "UID:monthly-week",
            "DTSTART;VALUE=DATE:20260825",
            "DTEND;VALUE=DATE:20260901",
            "RRULE:FREQ=MONTHLY;COUNT=3",
        ],
        // RDATE adds, on a rule-less event.
        &[
            "UID:rdate",
            "DTSTART;VALUE=DATE:20261010",
            "RDATE;VALUE=DATE:20261020,20261030",
            "EXDATE;VALUE=DATE:20261020",
        ],
    ]));
    let of = |uid: &str| {
        report
            .events
            .iter()
            .filter(|e| e.uid == uid)
            .collect::<Vec<_>>()
    };
    let daily = of("daily");
    // 31 Aug 2026 to 31 Aug 2028 inclusive is 732 days (2028 is a leap year); less three EXDATEs.
    assert_eq!(daily.len(), 732 - 3);
    assert_eq!(
        daily[0].span,
        instants("2026-08-31T16:00:00Z", "2026-08-31T17:00:00Z")
    );
    assert_eq!(
        daily[1].span,
        instants("2026-09-04T16:00:00Z", "2026-09-04T17:00:00Z")
    );
    assert_eq!(daily[0].key, "daily#20260831T160000Z");
    assert_eq!(
        daily.last().unwrap().span,
        instants("2028-08-31T16:00:00Z", "2028-08-31T17:00:00Z")
    );
    assert!(of("over").is_empty());
    assert_eq!(report.outside_horizon, 1);
    let monthly: Vec<_> = of("monthly-week").iter().map(|e| e.span).collect();
    assert_eq!(
        monthly,
        [
            Span::Dates {
                start: date(2026, 8, 25),
                end: date(2026, 9, 1)
            },
            Span::Dates {
                start: date(2026, 9, 25),
                end: date(2026, 10, 2)
            },
            Span::Dates {
                start: date(2026, 10, 25),
                end: date(2026, 11, 1)
            },
        ]
    );
    let rdate: Vec<_> = of("rdate").iter().map(|e| e.recurrence_id).collect();
    assert_eq!(
        rdate,
        [
            Some(RecurrenceId::Date(date(2026, 10, 10))),
            Some(RecurrenceId::Date(date(2026, 10, 30)))
        ]
    );
}

#[test]
fn an_override_can_move_an_occurrence_into_the_horizon_or_stand_alone() {
    let report = read(&feed(&[
        &[
            "UID:s",
            "DTSTART:20260801T100000Z",
            "DTEND:20260801T110000Z",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        ],
        // The first occurrence (before the horizon) moved into it.
        &[
            "UID:s",
            "RECURRENCE-ID:20260801T100000Z",
            "DTSTART:20260905T100000Z",
            "DTEND:20260905T110000Z",
        ],
        // An override whose series is not in the feed.
        &[
            "UID:orphan",
            "RECURRENCE-ID;VALUE=DATE:20261001",
            "DTSTART;VALUE=DATE:20261002",
        ],
        // Two overrides of one occurrence: the higher SEQUENCE wins.
        &[
            "UID:t",
            "DTSTART:20260901T100000Z",
            "RRULE:FREQ=DAILY;COUNT=1",
        ],
        &[
            "UID:t",
            "RECURRENCE-ID:20260901T100000Z",
            "SEQUENCE:3",
            "DTSTART:20260902T100000Z",
        ],
        &[
            "UID:t",
            "RECURRENCE-ID:20260901T100000Z",
            "SEQUENCE:2",
            "DTSTART:20260903T100000Z",
        ],
    ]));
    let keys: Vec<(&str, Span)> = report
        .events
        .iter()
        .map(|e| (e.key.as_str(), e.span))
        .collect();
    assert_eq!(
        keys,
        [
            (
                "s#20260801T100000Z",
                instants("2026-09-05T10:00:00Z", "2026-09-05T11:00:00Z")
            ),
            (
                "orphan#20261001",
                Span::Dates {
                    start: date(2026, 10, 2),
                    end: date(2026, 10, 3)
                }
            ),
            (
                "t#20260901T100000Z",
                instants("2026-09-02T10:00:00Z", "2026-09-02T10:00:00Z")
            ),
        ]
    );
}

#[test]
fn cancelled_events_are_reported_and_block_nothing() {
    let report = read(&feed(&[
        &["UID:c", "STATUS:CANCELLED", "DTSTART;VALUE=DATE:20261010"],
        &["UID:t", "STATUS:TENTATIVE", "DTSTART;VALUE=DATE:20261011"],
        &[
            "UID:x",
            "STATUS:SOMETHING-ELSE",
            "DTSTART;VALUE=DATE:20261012",
        ],
    ]));
    let status: Vec<_> = report
        .events
        .iter()
        .map(|e| (e.status, e.blocks()))
        .collect();
    assert_eq!(
        status,
        [
            (EventStatus::Cancelled, false),
            (EventStatus::Tentative, true),
            (EventStatus::Confirmed, true)
        ]
    );
}

#[test]
fn crlf_lf_cr_and_a_bom_read_the_same() {
    let crlf = feed(&[&[
        "UID:a",
        "SUMMARY:Long summary that a writer folded somewhere in the mid",
        " dle of a word",
        "DTSTART;VALUE=DATE:20261010",
    ]]);
    let base = read(&crlf);
    assert_eq!(
        base.events[0].summary.as_deref(),
        Some("Long summary that a writer folded somewhere in the middle of a word")
    );
    let lf = crlf.replace("\r\n", "\n");
    let cr = crlf.replace("\r\n", "\r");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(lf.as_bytes());
    for variant in [lf.as_bytes(), cr.as_bytes(), &bom] {
        assert_eq!(parse(variant, horizon(), &mexico()).unwrap(), base);
    }
}

#[test]
fn escaped_text_is_unescaped() {
    let report = read(&feed(&[&[
        "UID:needs\\,escaping\\;here",
        "SUMMARY:Closed\\, sorry\\; back soon\\nReally\\\\truly",
        "DTSTART;VALUE=DATE:20261010",
    ]]));
    assert_eq!(report.events[0].uid, "needs,escaping;here");
    assert_eq!(
        report.events[0].summary.as_deref(),
        Some("Closed, sorry; back soon\nReally\\truly")
    );
}

#[test]
fn not_a_calendar_is_the_only_error() {
    for body in [
        &b""[..],
        b"\r\n\r\n",
        b"<!DOCTYPE html><html><body>Sign in</body></html>",
        b"{\"error\": \"forbidden\"}",
    ] {
        assert!(matches!(
            parse(body, horizon(), &mexico()),
            Err(IcalError::NotACalendar(_))
        ));
    }
    let empty = read("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n");
    assert_eq!(empty, ParseReport::default());
    // Bare VEVENTs without a VCALENDAR are read.
    let bare = read("BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20261010\nEND:VEVENT\n");
    assert_eq!(bare.events.len(), 1);
}

#[test]
fn a_cut_off_feed_says_so() {
    let whole = feed(&[
        &["UID:a", "DTSTART;VALUE=DATE:20261010"],
        &[
            "UID:b",
            "DTSTART;VALUE=DATE:20261020",
            "DTEND;VALUE=DATE:20261025",
        ],
    ]);
    let cut = &whole[..whole.find("DTEND").unwrap()];
    let report = read(cut);
    assert!(report.truncated);
    assert_eq!(report.events.len(), 1);
    assert_eq!(report.skipped_for(Skip::CutOff), 1);
    assert!(!read(&whole).truncated);
}

#[test]
fn what_cannot_be_used_is_skipped_and_counted_by_reason_and_reversed_ends_are_swapped() {
    let report = read(&feed(&[
        &["UID:no-start", "SUMMARY:x"],
        &["UID:bad-start", "DTSTART:2026-13-45"],
        &[
            "UID:backwards",
            "DTSTART:20261010T120000Z",
            "DTEND:20261010T110000Z",
        ],
        &["UID:negative", "DTSTART:20261010T120000Z", "DURATION:-PT1H"],
        &[
            "UID:nights-backwards",
            "DTSTART;VALUE=DATE:20261020",
            "DTEND;VALUE=DATE:20261017",
        ],
        &[
            "UID:ok",
            "DTSTART;VALUE=DATE:20261010",
            "garbage line",
            "X-GOOD:1",
            ";;;",
        ],
        &[
            "UID:bad-rule",
            "DTSTART;VALUE=DATE:20261011",
            "RRULE:FREQ=YEARLY;BYWEEKNO=20",
        ],
    ]));
    let uids: Vec<_> = report.events.iter().map(|e| e.uid.as_str()).collect();
    assert_eq!(
        uids,
        [
            "backwards",
            "negative",
            "nights-backwards",
            "ok",
            "bad-rule"
        ]
    );
    // An end before the start blocks from the end to the start: more, never less.
    let span = |uid: &str| report.events.iter().find(|e| e.uid == uid).unwrap().span;
    let hour = instants("2026-10-10T11:00:00Z", "2026-10-10T12:00:00Z");
    assert_eq!((span("backwards"), span("negative")), (hour, hour));
    assert_eq!(
        span("nights-backwards"),
        Span::Dates {
            start: date(2026, 10, 17),
            end: date(2026, 10, 20)
        }
    );
    let skipped: Vec<(&str, usize)> = report
        .skipped
        .iter()
        .map(|(reason, n)| (reason.as_str(), *n))
        .collect();
    assert_eq!(
        skipped,
        [
            ("unreadable_line", 2),
            ("no_start", 2),
            ("unexpanded_rule", 1)
        ]
    );
    assert!(report.warnings.iter().any(|w| w.contains("BYWEEKNO")));
    // No warning repeats customer text: summaries stay out of them.
    assert!(report.warnings.iter().all(|w| !w.contains("SUMMARY")));
}

#[test]
fn an_event_without_uid_gets_a_stable_one() {
    let text = feed(&[
        &["DTSTART;VALUE=DATE:20261010", "SUMMARY:a"],
        &["DTSTART;VALUE=DATE:20261010", "SUMMARY:b"],
    ]);
    let (first, second) = (read(&text), read(&text));
    assert_eq!(first, second);
    assert!(first.events[0].uid.starts_with("holdfast-"));
    assert_ne!(first.events[0].uid, first.events[1].uid);
}

#[test]
fn an_unknown_tzid_is_counted_once_and_read_as_floating() {
    let report = read(&feed(&[
        &["UID:a", "DTSTART;TZID=Somewhere Else:20261010T100000"],
        &["UID:b", "DTSTART;TZID=Somewhere Else:20261011T100000"],
    ]));
    assert_eq!(report.zone_fallbacks, 1);
    assert_eq!(
        report.events[0].span,
        instants("2026-10-10T16:00:00Z", "2026-10-10T16:00:00Z")
    );
}

#[test]
fn nested_components_keep_their_properties() {
    let report = read(&feed(&[&[
        "UID:a",
        "DTSTART;VALUE=DATE:20261010",
        "BEGIN:VALARM",
        "SUMMARY:alarm summary",
        "DURATION:P5D",
        "UID:alarm-uid",
        "END:VALARM",
        "SUMMARY:event summary",
    ]]));
    let event = &report.events[0];
    assert_eq!(
        (event.uid.as_str(), event.summary.as_deref()),
        ("a", Some("event summary"))
    );
    assert_eq!(
        event.span,
        Span::Dates {
            start: date(2026, 10, 10),
            end: date(2026, 10, 11)
        }
    );
}

#[test]
fn a_hostile_rule_returns_quickly() {
    let report = read(&feed(&[
        &[
            "UID:a",
            "DTSTART:00010101T000000Z",
            "RRULE:FREQ=SECONDLY;COUNT=1000000",
        ],
        &[
            "UID:b",
            "DTSTART:19000101T000000Z",
            "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=9",
        ],
        &["UID:c", "DTSTART:20260901T000000Z", "RRULE:FREQ=MINUTELY"],
    ]));
    let minutely = report.events.iter().filter(|e| e.uid == "c").count();
    assert!(minutely > 0 && minutely <= 5_000, "{minutely}");
    assert!(!report.warnings.is_empty());
    assert!(
        report.truncated,
        "a series cut short makes the report incomplete"
    );
}

#[test]
fn hostile_sizes_are_bounded() {
    let long_uid = format!("UID:{}", "u".repeat(100_000));
    let long_summary = format!("SUMMARY:{}", "é".repeat(100_000));
    let report = read(&feed(&[&[
        &long_uid,
        &long_summary,
        "DTSTART;VALUE=DATE:20261010",
    ]]));
    let event = &report.events[0];
    assert!(
        event.uid.len() < 255 && event.uid.starts_with("uuu"),
        "{}",
        event.uid.len()
    );
    assert!(event.summary.as_ref().unwrap().len() <= 1_024);
    // Twenty endless minutely series would hold 100,000 occurrences: the report stops at MAX_EVENTS
    // and says it is incomplete.
    let uids: Vec<String> = (0..20).map(|i| format!("UID:m{i}")).collect();
    let series: Vec<[&str; 3]> = uids
        .iter()
        .map(|uid| {
            [
                uid.as_str(),
                "DTSTART:20260901T000000Z",
                "RRULE:FREQ=MINUTELY",
            ]
        })
        .collect();
    let refs: Vec<&[&str]> = series.iter().map(|s| &s[..]).collect();
    let report = read(&feed(&refs));
    assert_eq!(report.events.len(), holdfast_ical::MAX_EVENTS);
    assert!(report.truncated);
}

#[test]
fn missing_ends_close_what_is_open() {
    let report = read(
        "BEGIN:VCALENDAR\r\n\
         BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20261010\r\n\
         BEGIN:VEVENT\r\nUID:b\r\nDTSTART;VALUE=DATE:20261011\r\nBEGIN:VALARM\r\nTRIGGER:-PT5M\r\n\
         END:VCALENDAR\r\nEND:VEVENT\r\n",
    );
    let uids: Vec<_> = report.events.iter().map(|e| e.uid.as_str()).collect();
    assert_eq!(uids, ["a", "b"]);
    assert!(!report.truncated);
    assert_eq!(
        report.skipped_for(Skip::StrayEnd),
        1,
        "the stray END:VEVENT"
    );
    assert!(report.warnings.len() >= 2);
}

/// The spans of `uid`'s occurrences, in order.
fn spans_of(report: &ParseReport, uid: &str) -> Vec<Span> {
    let mut spans: Vec<Span> = report
        .events
        .iter()
        .filter(|e| e.uid == uid && e.blocks())
        .map(|e| e.span)
        .collect();
    spans.sort_by_key(|s| match s {
        Span::Instants { start, .. } => *start,
        Span::Dates { .. } => Timestamp::MIN,
    });
    spans
}

#[test]
fn rdate_periods_carry_their_own_end_or_duration_and_date_periods_are_whole_days() {
    let report = read(&feed(&[
        &[
            "UID:p",
            "DTSTART:20261005T090000Z",
            "DTEND:20261005T130000Z",
            "RDATE;VALUE=PERIOD:20261012T180000Z/20261013T070000Z,20261020T080000Z/PT6H",
        ],
        // An instant with a period on its own start: the period is kept, the longer.
        &[
            "UID:marker",
            "DTSTART:20261201T100000Z",
            "RDATE;VALUE=PERIOD:20261201T100000Z/20261201T150000Z",
        ],
        &[
            "UID:nights",
            "DTSTART;VALUE=DATE:20261201",
            "DTEND;VALUE=DATE:20261203",
            "RDATE;VALUE=PERIOD:20270105/20270109",
        ],
    ]));
    assert_eq!(
        spans_of(&report, "p"),
        [
            instants("2026-10-05T09:00:00Z", "2026-10-05T13:00:00Z"),
            instants("2026-10-12T18:00:00Z", "2026-10-13T07:00:00Z"),
            instants("2026-10-20T08:00:00Z", "2026-10-20T14:00:00Z"),
        ]
    );
    assert_eq!(
        spans_of(&report, "marker"),
        [instants("2026-12-01T10:00:00Z", "2026-12-01T15:00:00Z")]
    );
    let nights: Vec<Span> = report
        .events
        .iter()
        .filter(|e| e.uid == "nights")
        .map(|e| e.span)
        .collect();
    assert_eq!(
        nights,
        [
            Span::Dates {
                start: date(2026, 12, 1),
                end: date(2026, 12, 3)
            },
            Span::Dates {
                start: date(2027, 1, 5),
                end: date(2027, 1, 9)
            },
        ]
    );
    assert_eq!(report.skipped_total(), 0);
}

#[test]
fn a_range_moves_every_later_occurrence_on_the_wall_clock_and_the_nearest_range_wins() {
    let madrid = |local: &str| -> String {
        let at: jiff::civil::DateTime = local.parse().unwrap();
        at.to_zoned(TimeZone::get("Europe/Madrid").unwrap())
            .unwrap()
            .timestamp()
            .to_string()
    };
    let report = read(
        "BEGIN:VCALENDAR\r\n\
         BEGIN:VEVENT\r\nUID:s\r\nDTSTART;TZID=Europe/Madrid:20261012T180000\r\n\
         DTEND;TZID=Europe/Madrid:20261012T190000\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Madrid:20261019T180000\r\n\
         DTSTART;TZID=Europe/Madrid:20261019T200000\r\nDTEND;TZID=Europe/Madrid:20261019T203000\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID;TZID=Europe/Madrid:20261102T180000\r\n\
         DTSTART;TZID=Europe/Madrid:20261102T090000\r\nDTEND;TZID=Europe/Madrid:20261102T100000\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Madrid:20261102T180000\r\n\
         SEQUENCE:1\r\nDTSTART;TZID=Europe/Madrid:20261102T090000\r\nDTEND;TZID=Europe/Madrid:20261102T100000\r\nEND:VEVENT\r\n\
         END:VCALENDAR\r\n",
    );
    let starts: Vec<String> = spans_of(&report, "s")
        .iter()
        .map(|s| match s {
            Span::Instants { start, end } => {
                format!("{start}+{}", start.duration_until(*end).as_mins())
            }
            Span::Dates { .. } => unreachable!(),
        })
        .collect();
    assert_eq!(
        starts,
        [
            format!("{}+60", madrid("2026-10-12T18:00")),
            // The range itself, and the week after it moved two hours and half as long, across
            // the end of summer time on 25 October: 20:00 on the wall clock still.
            format!("{}+30", madrid("2026-10-19T20:00")),
            format!("{}+30", madrid("2026-10-26T20:00")),
            // The later range (the higher SEQUENCE of two at one occurrence) takes over.
            format!("{}+60", madrid("2026-11-02T09:00")),
            format!("{}+60", madrid("2026-11-09T09:00")),
        ]
    );
    assert_eq!(report.skipped_for(Skip::SupersededOverride), 1);
}

#[test]
fn every_rrule_is_expanded_with_exdate_and_rdate_over_the_union() {
    let report = read(&feed(&[&[
        "UID:two",
        "DTSTART:20260907T080000Z",
        "DTEND:20260907T090000Z",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=15;COUNT=2",
        "RDATE:20261224T080000Z",
        "EXDATE:20260914T080000Z",
    ]]));
    let starts: Vec<String> = spans_of(&report, "two")
        .iter()
        .map(|s| match s {
            Span::Instants { start, .. } => start.to_string(),
            Span::Dates { .. } => unreachable!(),
        })
        .collect();
    // DTSTART is out of step with the monthly rule: it counts toward the weekly COUNT only.
    assert_eq!(
        starts,
        [
            "2026-09-07T08:00:00Z",
            "2026-09-15T08:00:00Z",
            "2026-09-21T08:00:00Z",
            "2026-10-15T08:00:00Z",
            "2026-12-24T08:00:00Z",
        ]
    );
    assert!(!report.warnings.iter().any(|w| w.contains("RRULE")));
}

#[test]
fn an_event_after_a_broken_end_of_a_todo_or_inside_an_unknown_component_is_read() {
    let report = read(
        "BEGIN:VCALENDAR\r\n\
         BEGIN:VTODO\r\nUID:t\r\nDUE:20261001T100000Z\r\nEND:VTOOD\r\n\
         BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20261010\r\nEND:VEVENT\r\n\
         BEGIN:VJOURNAL\r\nUID:j\r\n\
         BEGIN:VEVENT\r\nUID:b\r\nDTSTART;VALUE=DATE:20261011\r\nEND:VEVENT\r\n\
         BEGIN:X-ARCHIVE\r\n\
         BEGIN:VEVENT\r\nUID:c\r\nDTSTART;VALUE=DATE:20261012\r\nEND:VEVENT\r\n\
         END:X-ARCHIVE\r\n\
         END:VCALENDAR\r\n",
    );
    let uids: Vec<_> = report.events.iter().map(|e| e.uid.as_str()).collect();
    assert_eq!(uids, ["a", "b", "c"]);
    assert!(!report.truncated);
    // The to-do, the journal entry and the unknown wrapper are counted; the misspelt END too.
    assert_eq!(report.skipped_for(Skip::OtherComponent), 3);
    assert_eq!(report.skipped_for(Skip::StrayEnd), 1);
}

#[test]
fn floating_times_are_read_in_the_feeds_x_wr_timezone_and_dates_stay_the_resources_days() {
    let report = read(
        "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Lisbon\r\n\
         BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20261010T150000\r\nDTEND:20261010T160000\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20261011\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:u\r\nDTSTART:20261012T150000Z\r\nDTEND:20261012T160000Z\r\nEND:VEVENT\r\n\
         END:VCALENDAR\r\n",
    );
    let span = |uid: &str| report.events.iter().find(|e| e.uid == uid).unwrap().span;
    // Lisbon is UTC+1 in October.
    assert_eq!(
        span("f"),
        instants("2026-10-10T14:00:00Z", "2026-10-10T15:00:00Z")
    );
    assert_eq!(
        span("d"),
        Span::Dates {
            start: date(2026, 10, 11),
            end: date(2026, 10, 12)
        }
    );
    assert_eq!(
        span("u"),
        instants("2026-10-12T15:00:00Z", "2026-10-12T16:00:00Z")
    );
}
