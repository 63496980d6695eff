//! Fuzzing on stable Rust: random bytes, iCalendar-shaped noise and mutations of the corpus feeds go
//! through `parse`, which must not panic, hang, or return an inconsistent report.

// `HOLDFAST_FUZZ_SECONDS` bounds the run (default 3); `HOLDFAST_FUZZ_SEED` repeats one. A long run, in a
// debug build so overflow checks stay on:
//   HOLDFAST_FUZZ_SECONDS=1800 cargo test -p holdfast-ical --test fuzz -- --nocapture
// A failing input is saved under `target/tmp/` and its path printed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use holdfast_ical::{MAX_WARNINGS, ParseReport, Span, parse};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// One input may take this long before the run counts it as a hang (a debug build on a busy machine
/// included: a real feed takes milliseconds).
const HANG_AFTER: Duration = Duration::from_secs(20);

/// Lines the noise generator and the mutator splice in: the shapes that reach deep into the parser.
const TOKENS: &[&str] = &[
    "BEGIN:VCALENDAR",
    "END:VCALENDAR",
    "BEGIN:VEVENT",
    "END:VEVENT",
    "BEGIN:VALARM",
    "END:VALARM",
    "BEGIN:VTIMEZONE",
    "END:VTIMEZONE",
    "BEGIN:STANDARD",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "END:DAYLIGHT",
    "TZID:Custom",
    "TZOFFSETTO:+0530",
    "TZOFFSETTO:-2500",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=-7,-6,-5,-4,-3,-2,-1;BYDAY=SU",
    "UID:fuzz@example",
    "UID:",
    "DTSTART;VALUE=DATE:20261010",
    "DTSTART:20261010T100000Z",
    "DTSTART:20261010T100000",
    "DTSTART;TZID=Custom:20261010T100000",
    "DTSTART;TZID=Europe/Madrid:20260329T023000",
    "DTSTART;TZID=Pacific Standard Time:20261101T013000",
    "DTSTART:99991231T235959Z",
    "DTSTART;VALUE=DATE:-0010101",
    "DTSTART:00010101T000000",
    "DTEND;VALUE=DATE:20261012",
    "DTEND:20261010T090000Z",
    "DTEND:99991231",
    "DURATION:P99999W",
    "DURATION:-P1D",
    "DURATION:PT4000000000S",
    "RRULE:FREQ=DAILY",
    "RRULE:FREQ=SECONDLY",
    "RRULE:FREQ=MINUTELY;COUNT=1000000",
    "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "RRULE:FREQ=MONTHLY;BYDAY=5FR;BYSETPOS=-1,1,2",
    "RRULE:FREQ=WEEKLY;INTERVAL=1000000;UNTIL=00010101",
    "RRULE:FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,15,30,45",
    "RRULE:FREQ=YEARLY;BYYEARDAY=-1,366;BYWEEKNO=1",
    "EXDATE:20261011T100000Z,20261012T100000Z",
    "EXDATE;VALUE=DATE:20261011",
    "RDATE;VALUE=PERIOD:20261010T100000Z/PT1H",
    "RDATE:99991231T235959Z",
    "RECURRENCE-ID:20261011T100000Z",
    "RECURRENCE-ID;VALUE=DATE:20261011",
    "STATUS:CANCELLED",
    "TRANSP:TRANSPARENT",
    "SEQUENCE:99999999999999999999",
    "SUMMARY:a\\,b\\;c\\\\d\\n\\",
    "X-QUOTED;P=\"a:b;c\":value",
    "X-BROKEN;P=\"unterminated:value",
    " continuation",
    "\tcontinuation",
    "",
];

fn corpus() -> Vec<Vec<u8>> {
    let dir = format!("{}/../../tests/ical", env!("CARGO_MANIFEST_DIR"));
    let mut feeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|x| x == "ics"))
        .map(|entry| std::fs::read(entry.path()).unwrap())
        .collect();
    assert!(!feeds.is_empty(), "no corpus under {dir}");
    feeds.sort();
    feeds
}

fn random_bytes(rng: &mut fastrand::Rng) -> Vec<u8> {
    let len = rng.usize(0..2_000);
    // Mostly printable with line breaks, so some of it reaches past the line reader.
    (0..len)
        .map(|_| match rng.u8(0..10) {
            0 => b'\n',
            1 => b'\r',
            2 => rng.u8(..),
            3 => b':',
            4 => b';',
            _ => rng.u8(b' '..=b'~'),
        })
        .collect()
}

fn token_soup(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.usize(1..80) {
        out.extend_from_slice(TOKENS[rng.usize(..TOKENS.len())].as_bytes());
        out.extend_from_slice(if rng.bool() { b"\r\n" } else { b"\n" });
    }
    out
}

fn line_starts(feed: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            feed.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|&i| i < feed.len())
        .collect()
}

fn mutate(rng: &mut fastrand::Rng, feed: &mut Vec<u8>) {
    for _ in 0..rng.usize(1..8) {
        if feed.is_empty() {
            feed.extend_from_slice(TOKENS[rng.usize(..TOKENS.len())].as_bytes());
            continue;
        }
        let at = rng.usize(..feed.len());
        match rng.u8(0..8) {
            // Flip bits in one byte.
            0 => feed[at] ^= 1 << rng.u8(0..8),
            // Truncate.
            1 => feed.truncate(at),
            // Delete a range.
            2 => {
                let end = (at + rng.usize(1..200)).min(feed.len());
                feed.drain(at..end);
            }
            // Duplicate a line.
            3 => {
                let starts = line_starts(feed);
                let start = starts[rng.usize(..starts.len())];
                let end = feed[start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(feed.len(), |p| start + p + 1);
                let line = feed[start..end].to_vec();
                for _ in 0..rng.usize(1..4) {
                    feed.splice(start..start, line.iter().copied());
                }
            }
            // Fold at a random byte, which may split a character.
            4 => {
                let fold: &[u8] = if rng.bool() { b"\r\n " } else { b"\n\t" };
                feed.splice(at..at, fold.iter().copied());
            }
            // Splice in a token line.
            5 => {
                let starts = line_starts(feed);
                let start = starts[rng.usize(..starts.len())];
                let mut line = TOKENS[rng.usize(..TOKENS.len())].as_bytes().to_vec();
                line.extend_from_slice(b"\r\n");
                feed.splice(start..start, line);
            }
            // Insert a random byte.
            6 => feed.insert(at, rng.u8(..)),
            // Swap two lines' first bytes' worth of content: reorder structure.
            _ => {
                let starts = line_starts(feed);
                let (a, b) = (
                    starts[rng.usize(..starts.len())],
                    starts[rng.usize(..starts.len())],
                );
                let (lo, hi) = (a.min(b), a.max(b));
                if lo < hi {
                    feed[lo..hi].rotate_left((hi - lo) / 2);
                }
            }
        }
    }
}

/// What every report must hold, whatever the input.
fn check(report: &ParseReport) -> Result<(), String> {
    let mut keys = std::collections::HashSet::new();
    for event in &report.events {
        if !keys.insert(event.key.as_str()) {
            return Err(format!("key {} repeats", event.key));
        }
        let ordered = match event.span {
            Span::Dates { start, end } => start < end,
            Span::Instants { start, end } => start <= end,
        };
        if !ordered {
            return Err(format!("span ends before it starts: {event:?}"));
        }
    }
    if report.warnings.len() > MAX_WARNINGS {
        return Err(format!("{} warnings", report.warnings.len()));
    }
    Ok(())
}

fn save(seed: u64, n: u64, input: &[u8]) -> String {
    let path = format!("{}/ical-fuzz-{seed}-{n}.ics", env!("CARGO_TARGET_TMPDIR"));
    match std::fs::write(&path, input) {
        Ok(()) => path,
        Err(err) => format!("(could not save to {path}: {err})"),
    }
}

#[test]
fn parse_survives_random_and_mutated_feeds() {
    let seconds: f64 = std::env::var("HOLDFAST_FUZZ_SECONDS")
        .ok()
        .map(|s| {
            s.parse()
                .expect("HOLDFAST_FUZZ_SECONDS is a number of seconds")
        })
        .unwrap_or(3.0);
    let seed: u64 = std::env::var("HOLDFAST_FUZZ_SEED")
        .ok()
        .map(|s| s.parse().expect("HOLDFAST_FUZZ_SEED is a u64"))
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("fuzz: seed {seed} (repeat with HOLDFAST_FUZZ_SEED={seed}), {seconds} s");
    let mut rng = fastrand::Rng::with_seed(seed);
    let corpus = corpus();
    let horizon = (
        "2026-08-31T00:00:00Z".parse::<Timestamp>().unwrap(),
        "2028-09-01T00:00:00Z".parse::<Timestamp>().unwrap(),
    );
    let zones = [
        TimeZone::UTC,
        TimeZone::get("Europe/Madrid").unwrap(),
        TimeZone::get("America/Mexico_City").unwrap(),
        TimeZone::get("Pacific/Chatham").unwrap(),
    ];

    // The watchdog sees what is being parsed and since when; a parse that never returns ends the
    // process with the input saved, since a hung thread cannot be made to fail.
    let current: Arc<Mutex<(Instant, Vec<u8>, u64)>> =
        Arc::new(Mutex::new((Instant::now(), Vec::new(), 0)));
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (current, done) = (Arc::clone(&current), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let guard = current.lock().unwrap_or_else(|p| p.into_inner());
                if guard.0.elapsed() > HANG_AFTER {
                    let path = save(seed, guard.2, &guard.1);
                    eprintln!(
                        "fuzz: parse ran over {HANG_AFTER:?} on input {} saved at {path}",
                        guard.2
                    );
                    std::process::abort();
                }
            }
        })
    };

    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let (mut runs, mut slowest) = (0u64, Duration::ZERO);
    let mut ok = 0u64;
    while Instant::now() < deadline {
        let input = match rng.u8(0..10) {
            0 => random_bytes(&mut rng),
            1 | 2 => token_soup(&mut rng),
            _ => {
                let mut feed = corpus[rng.usize(..corpus.len())].clone();
                mutate(&mut rng, &mut feed);
                feed
            }
        };
        let zone = &zones[rng.usize(..zones.len())];
        {
            let mut guard = current.lock().unwrap_or_else(|p| p.into_inner());
            *guard = (Instant::now(), input.clone(), runs);
        }
        let started = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| parse(&input, horizon, zone)));
        slowest = slowest.max(started.elapsed());
        match result {
            Err(_) => {
                let path = save(seed, runs, &input);
                panic!("fuzz: parse panicked on input {runs}, saved at {path}");
            }
            Ok(Ok(report)) => {
                if let Err(why) = check(&report) {
                    let path = save(seed, runs, &input);
                    panic!("fuzz: {why} on input {runs}, saved at {path}");
                }
                ok += 1;
            }
            Ok(Err(_)) => {}
        }
        runs += 1;
    }
    done.store(true, Ordering::Relaxed);
    watchdog.join().unwrap();
    eprintln!("fuzz: {runs} inputs ({ok} read as calendars), slowest {slowest:?}");
    assert!(runs > 0);
}
