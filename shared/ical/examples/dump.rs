//! Prints what `parse` reads from .ics files, one line per event: a look at a feed by hand.
//! `cargo run -p holdfast-ical --example dump -- [--now=2026-09-01T00:00:00Z] tests/ical/*.ics` (horizon: now − 1 day to now + 2 years; floating zone UTC).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut now = jiff::Timestamp::now();
    if let Some(given) = args.first().and_then(|a| a.strip_prefix("--now=")) {
        match given.parse() {
            Ok(at) => now = at,
            Err(err) => {
                eprintln!("--now: {err}");
                return ExitCode::FAILURE;
            }
        }
        args.remove(0);
    }
    let horizon = (
        now - jiff::SignedDuration::from_hours(24),
        now + jiff::SignedDuration::from_hours(24 * 731),
    );
    let mut status = ExitCode::SUCCESS;
    for path in args {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) => {
                eprintln!("{path}: {err}");
                status = ExitCode::FAILURE;
                continue;
            }
        };
        match holdfast_ical::parse(&bytes, horizon, &jiff::tz::TimeZone::UTC) {
            Ok(report) => {
                println!(
                    "{path}: {} events, skipped {:?}, {} outside, {} zone fallbacks, truncated {}",
                    report.events.len(),
                    report.skipped,
                    report.outside_horizon,
                    report.zone_fallbacks,
                    report.truncated
                );
                for e in &report.events {
                    println!(
                        "  {:?} {:?} blocks={} key={}",
                        e.span,
                        e.status,
                        e.blocks(),
                        e.key
                    );
                }
                for w in &report.warnings {
                    println!("  warning: {w}");
                }
            }
            Err(err) => {
                println!("{path}: {err}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}
