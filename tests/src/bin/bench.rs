//! Create-booking load through the local server: `make bench` (infra/bench.sh) starts the
//! stack and runs this. Each of `--clients` workers books distinct one-hour slots, so every
//! request does the full transaction; latency percentiles and bookings per second are printed.
//! Then it waits for the mail every booking gives (a confirmation and a desk alert) to come out
//! of the notifier through moto's SES, and prints mails per second.
//!
//! `bench midnight --customers N`: the midnight release. N customers, released at one instant,
//! each want one of 10 prime slots (ten courts, Friday 19:00-20:30); it prints the answers by
//! status, p50 and p99 latency and when the last loser had its answer, and fails unless every
//! answer is 201 or 409 and each slot is sold exactly once.

// Test helpers exist to stop a test loudly, with context, when the stack misbehaves.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use holdfast_tests::{Api, Who, slot_booking};
use serde_json::json;

struct Options {
    base_url: String,
    clients: usize,
    requests: usize,
    courts: usize,
}

fn options() -> Options {
    let mut options = Options {
        base_url: "http://127.0.0.1:3000".into(),
        clients: 50,
        requests: 5000,
        courts: 20,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--base-url" => options.base_url = value,
            "--clients" => options.clients = value.parse().unwrap_or(options.clients),
            "--requests" => options.requests = value.parse().unwrap_or(options.requests),
            "--courts" => options.courts = value.parse().unwrap_or(options.courts),
            other => {
                eprintln!(
                    "unknown option {other}; options: --base-url URL --clients N --requests N --courts N"
                );
                std::process::exit(2);
            }
        }
    }
    options
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Prime slots in the midnight release: one per court.
const PRIME_SLOTS: usize = 10;

async fn midnight(args: &[String]) {
    let mut base_url = "http://127.0.0.1:3000".to_string();
    let mut customers = 300;
    let mut label = String::from("stack");
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--base-url" => base_url = value,
            "--customers" => customers = value.parse().unwrap_or(customers),
            "--label" => label = value,
            other => {
                eprintln!(
                    "unknown option {other}; options: --base-url URL --customers N --label TEXT"
                );
                std::process::exit(2);
            }
        }
    }
    let api = Api::for_url(&base_url);
    let (admin, venue) = api.venue("Europe/Madrid", "EUR").await;
    let mut courts = Vec::new();
    for _ in 0..PRIME_SLOTS {
        courts.push(
            api.court(
                &admin,
                &venue,
                json!({"opening_hours": {"fri": [["08:00", "23:00"]]}}),
            )
            .await,
        );
    }
    // Every call is made ready (token minted, body built) before any is let go.
    let release = Arc::new(tokio::sync::Barrier::new(customers + 1));
    let calls: Vec<_> = (0..customers)
        .map(|i| {
            let body = slot_booking(
                &courts[i % PRIME_SLOTS],
                "2031-12-05T19:00:00+01:00",
                "2031-12-05T20:30:00+01:00",
                "none",
            );
            let call = api.post("/v1/bookings").as_(&Who::customer()).json(&body);
            let release = release.clone();
            tokio::spawn(async move {
                release.wait().await;
                let sent = Instant::now();
                let reply = call.send().await;
                (reply, sent.elapsed())
            })
        })
        .collect();
    release.wait().await;
    let released = Instant::now();
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    let mut latencies = Vec::with_capacity(customers);
    let mut odd = Vec::new();
    for call in calls {
        let (reply, took) = call.await.expect("a customer's call");
        *by_status.entry(reply.status).or_default() += 1;
        latencies.push(took);
        if reply.status != 201 && reply.status != 409 {
            odd.push(format!("{} {}", reply.status, reply.text));
        }
    }
    let last = released.elapsed();
    latencies.sort();
    let statuses: Vec<String> = by_status
        .iter()
        .map(|(s, n)| format!("{n} x {s}"))
        .collect();
    println!(
        "midnight release, {label}, {customers} customers for {PRIME_SLOTS} slots: {}; p50 {:.0} ms, p99 {:.0} ms, last answer {:.2} s",
        statuses.join(", "),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        last.as_secs_f64()
    );
    for line in odd.iter().take(3) {
        println!("  {line}");
    }
    let sold = by_status.get(&201).copied().unwrap_or(0);
    if !odd.is_empty() || sold != PRIME_SLOTS.min(customers) {
        std::process::exit(1);
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("midnight") {
        midnight(&args[1..]).await;
        return;
    }
    let options = options();
    let api = Api::for_url(&options.base_url);
    let (admin, venue) = api.venue("Europe/Madrid", "EUR").await;
    let desk = format!("desk-{}@bench.example", uuid::Uuid::new_v4().simple());
    api.patch(&format!("/v1/venues/{venue}"))
        .as_(&admin)
        .json(&json!({"contact_email": desk}))
        .send()
        .await
        .expect(200);
    let all_day: serde_json::Map<String, serde_json::Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|d| (d.to_string(), json!([["00:00", "24:00"]])))
            .collect();
    let mut courts = Vec::new();
    for _ in 0..options.courts {
        courts.push(
            api.court(
                &admin,
                &venue,
                json!({"slot_minutes": 60, "durations": [60], "opening_hours": all_day}),
            )
            .await,
        );
    }
    let courts = Arc::new(courts);
    let customers: Arc<Vec<Who>> =
        Arc::new((0..options.clients).map(|_| Who::customer()).collect());
    let first_day = jiff::civil::date(2033, 1, 1);

    // Slot i: court i % courts, then hour by hour, day by day: no two requests share a unit.
    let body_for = move |i: usize, courts: &[String]| {
        let court = &courts[i % courts.len()];
        let hour_index = i / courts.len();
        let day = first_day
            .checked_add(jiff::Span::new().days((hour_index / 24) as i64))
            .unwrap_or(first_day);
        let zone = jiff::tz::TimeZone::get("Europe/Madrid").unwrap_or(jiff::tz::TimeZone::UTC);
        let start = day
            .at((hour_index % 24) as i8, 0, 0, 0)
            .to_zoned(zone)
            .map(|z| z.timestamp())
            .unwrap_or_default();
        let end = start
            .checked_add(jiff::SignedDuration::from_hours(1))
            .unwrap_or(start);
        slot_booking(court, &start.to_string(), &end.to_string(), "none")
    };

    let next = Arc::new(AtomicUsize::new(0));
    let total = options.requests;
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..options.clients {
        let (api, next, courts, customers) =
            (api.clone(), next.clone(), courts.clone(), customers.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return (latencies, failures);
                }
                let body = body_for(i, &courts);
                let sent = Instant::now();
                let reply = api
                    .post("/v1/bookings")
                    .as_(&customers[worker])
                    .json(&body)
                    .send()
                    .await;
                latencies.push(sent.elapsed());
                if reply.status != 201 {
                    failures.push(format!("{} {}", reply.status, reply.text));
                }
            }
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = Vec::new();
    for worker in workers {
        let (l, f) = worker.await.expect("worker");
        latencies.extend(l);
        failures.extend(f);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "create-booking through the local server: {} requests, {} concurrent clients, {} courts",
        total, options.clients, options.courts
    );
    println!("  non-201 answers: {}", failures.len());
    for failure in failures.iter().take(5) {
        println!("    {failure}");
    }
    println!(
        "  latency ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    println!(
        "  throughput: {:.0} bookings/s over {:.1} s",
        (total - failures.len()) as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    if !failures.is_empty() {
        std::process::exit(1);
    }

    // Every booking mails its customer and the desk; the desk's count says when all are out.
    let booked = total - failures.len();
    let deadline = Duration::from_secs(600);
    let mut delivered = 0;
    while delivered < booked && started.elapsed() < deadline {
        // Reading moto's mail parses all of it: not too often.
        tokio::time::sleep(Duration::from_secs(5)).await;
        delivered = api.mail_to(&desk, 0).await.len();
    }
    let mailed = started.elapsed();
    println!(
        "  mail: {} of {} desk alerts (and as many confirmations) out of SES {:.1} s after the first booking: {:.0} mails/s end to end",
        delivered,
        booked,
        mailed.as_secs_f64(),
        (2 * delivered) as f64 / mailed.as_secs_f64()
    );
    if delivered < booked {
        std::process::exit(1);
    }
}
