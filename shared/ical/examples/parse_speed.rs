//! How fast `parse` reads a large feed: 10,000 VEVENTs shaped like the platforms' (all-day stays, timed
//! slots with TZID, folded descriptions, weekly series), parsed over and over for about two seconds.

// cargo run --release -p holdfast-ical --example parse_speed

use std::time::{Duration, Instant};

use holdfast_ical::parse;
use jiff::civil::date;
use jiff::tz::TimeZone;

const EVENTS: usize = 10_000;

fn feed() -> String {
    let mut out = String::from(
        "BEGIN:VCALENDAR\r\nPRODID:-//speed//EN\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\n",
    );
    let first = date(2026, 9, 1);
    for i in 0..EVENTS {
        let day = first
            .checked_add(jiff::Span::new().days(i64::try_from(i % 700).unwrap_or(0)))
            .unwrap_or(first);
        let ymd = format!("{:04}{:02}{:02}", day.year(), day.month(), day.day());
        out.push_str("BEGIN:VEVENT\r\nDTSTAMP:20260831T061512Z\r\n");
        match i % 10 {
            // Airbnb- and Booking.com-style stays.
            0..=5 => {
                let end = day.tomorrow().unwrap_or(day);
                out.push_str(&format!(
                    "DTSTART;VALUE=DATE:{ymd}\r\nDTEND;VALUE=DATE:{:04}{:02}{:02}\r\nUID:{i:032x}@airbnb.com\r\n\
                     DESCRIPTION:Reservation URL: https://www.airbnb.com/hosting/reservations/de\r\n tails/HM{i:08}\\nPhone Number (Last 4 Digits): 0000\r\nSUMMARY:Reserved\r\n",
                    end.year(),
                    end.month(),
                    end.day()
                ));
            }
            // Timed slots in a named zone.
            6..=8 => out.push_str(&format!(
                "DTSTART;TZID=Europe/Madrid:{ymd}T{:02}0000\r\nDTEND;TZID=Europe/Madrid:{ymd}T{:02}3000\r\n\
                 UID:slot-{i}@google.com\r\nSUMMARY:Clase\\, grupo {i}\r\nSTATUS:CONFIRMED\r\nTRANSP:OPAQUE\r\n",
                8 + i % 12,
                8 + i % 12
            )),
            // A weekly series of ten.
            _ => out.push_str(&format!(
                "DTSTART;TZID=Europe/Madrid:{ymd}T180000\r\nDURATION:PT1H30M\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\n\
                 EXDATE;TZID=Europe/Madrid:{ymd}T180000\r\nUID:series-{i}@google.com\r\nSUMMARY:Serie\r\n"
            )),
        }
        out.push_str("END:VEVENT\r\n");
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

fn main() {
    let feed = feed();
    let horizon = (
        "2026-08-31T00:00:00Z"
            .parse()
            .unwrap_or(jiff::Timestamp::MIN),
        "2028-09-01T00:00:00Z"
            .parse()
            .unwrap_or(jiff::Timestamp::MAX),
    );
    let zone = TimeZone::get("Europe/Madrid").unwrap_or(TimeZone::UTC);
    let (mut runs, mut occurrences) = (0u32, 0usize);
    let started = Instant::now();
    // PARSE_RUNS=n parses exactly n times: for an instruction count (valgrind), which a run
    // bounded by the clock would make depend on the machine's speed.
    let exact: Option<u32> = std::env::var("PARSE_RUNS")
        .ok()
        .and_then(|n| n.parse().ok());
    while match exact {
        Some(n) => runs < n,
        None => started.elapsed() < Duration::from_secs(2) || runs < 3,
    } {
        match parse(feed.as_bytes(), horizon, &zone) {
            Ok(report) => occurrences = report.events.len(),
            Err(err) => {
                eprintln!("parse failed: {err}");
                std::process::exit(1);
            }
        }
        runs += 1;
    }
    let per_run = started.elapsed() / runs;
    let vevents_per_second = EVENTS as f64 / per_run.as_secs_f64();
    println!(
        "{EVENTS} VEVENTs ({} KiB, {occurrences} occurrences after expansion): {per_run:.2?} per parse, \
         {vevents_per_second:.0} VEVENTs/s, {:.0} occurrences/s ({runs} runs)",
        feed.len() / 1024,
        occurrences as f64 / per_run.as_secs_f64(),
    );
}
