//! Audits a test runs on what the stack wrote (every lock and booking agree) and on its own
//! timing margins.

use std::collections::HashMap;

use holdfast_api::App;
use holdfast_domain::{BookingStatus, Claim};
use holdfast_store::keys::{attr, kind};

use serde_json::Value;

use crate::{Row, scan_table};

/// Checks, by scanning a test table, that every lock belongs to a booking that holds that
/// unit and every booking that holds units has each of its locks: nothing half-written. A
/// table with no lock at all fails it: an audit that recognises nothing checks nothing.
pub async fn assert_locks_consistent(app: &App, table: &str) {
    let checked = audit_locks(app, table).await;
    assert!(
        checked > 0,
        "no lock item in {table}: the audit recognised nothing (are the store's names still {}/{}?)",
        attr::TYPE,
        kind::LOCK
    );
}

/// [`assert_locks_consistent`]'s checks, on a table that may hold no lock: how many lock
/// items it checked.
pub async fn audit_locks(app: &App, table: &str) -> usize {
    let items = scan_table(app, table).await;
    let text = |item: &Row, name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let units_of = |item: &Row| -> Vec<String> {
        item.get(attr::UNITS)
            .and_then(|v| v.as_l().ok())
            .expect("a booking's units")
            .iter()
            .map(|u| u.as_s().expect("a unit").clone())
            .collect()
    };
    let mut bookings = HashMap::new();
    let mut locks = HashMap::new();
    let mut checked = 0;
    for item in &items {
        match text(item, attr::TYPE).as_deref() {
            // A booking item that does not even name itself holds nothing to check.
            Some(kind::BOOKING) => {
                if let Some(id) = text(item, attr::BOOKING_ID) {
                    bookings.insert(id, item.clone());
                }
            }
            Some(kind::LOCK) => {
                checked += 1;
                if let Some(owner) = text(item, attr::BOOKING_ID) {
                    let unit = (
                        text(item, attr::RESOURCE_ID).expect("a lock's resource"),
                        text(item, attr::SK).expect("a lock's sort key"),
                    );
                    locks.insert(unit, owner);
                }
            }
            _ => {}
        }
    }
    for ((resource, unit), owner) in &locks {
        let booking = bookings.get(owner).unwrap_or_else(|| {
            panic!("lock {resource}/{unit} names booking {owner}, which does not exist")
        });
        assert!(
            units_of(booking).contains(unit),
            "lock {resource}/{unit} is held by {owner}, which does not cover it"
        );
    }
    for (id, booking) in &bookings {
        let status = text(booking, attr::STATUS).expect("a booking's status");
        let holds = [BookingStatus::Held, BookingStatus::Confirmed].map(|s| s.as_str());
        if text(booking, attr::CLAIM).as_deref() != Some(Claim::Whole.as_str())
            || !holds.contains(&status.as_str())
        {
            continue;
        }
        let resource = text(booking, attr::RESOURCE_ID).expect("a booking's resource");
        for unit in units_of(booking) {
            let holder = locks.get(&(resource.clone(), unit.clone()));
            // A lapsed hold's lock may have been taken over by a later booking.
            if status == BookingStatus::Held.as_str() && holder.is_some_and(|h| h != id) {
                continue;
            }
            assert_eq!(
                holder,
                Some(id),
                "{status} booking {id} lacks its lock on {unit}"
            );
        }
    }
    checked
}

/// Records how long something timing-sensitive took against what its test allows: on stderr,
/// and appended to the file `HOLDFAST_TIMINGS` names, so a run of the suite measures every
/// test's margin (`HOLDFAST_TIMINGS=/tmp/t make test`; the figures beside each test came so).
pub fn record_timing(what: &str, took: std::time::Duration, allowed: std::time::Duration) {
    let line = format!(
        "timing\t{what}\t{:.2}\t{:.2}\t{:.0}%",
        took.as_secs_f64(),
        allowed.as_secs_f64(),
        100.0 * took.as_secs_f64() / allowed.as_secs_f64().max(f64::EPSILON)
    );
    eprintln!("{line}");
    if let Ok(path) = std::env::var("HOLDFAST_TIMINGS") {
        use std::io::Write;
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(file, "{line}");
        }
    }
}

/// Asserts that `took` is inside `allowed`, and records the margin (see [`record_timing`]).
pub fn assert_within(what: &str, took: std::time::Duration, allowed: std::time::Duration) {
    record_timing(what, took, allowed);
    assert!(
        took < allowed,
        "{what} took {took:?}, over the {allowed:?} allowed"
    );
}

/// What is wrong with `line` as a CloudWatch Embedded Metric Format document (the EMF
/// specification's rules and limits, checked here apart from the code that writes the lines):
/// nothing, when it is a metric CloudWatch takes.
pub fn emf_problems(line: &Value) -> Vec<String> {
    const UNITS: &[&str] = &[
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ];
    let mut problems = Vec::new();
    let aws = &line["_aws"];
    if !aws["Timestamp"].is_i64() {
        problems.push("_aws.Timestamp is not an integer of milliseconds".to_string());
    }
    let Some(directives) = aws["CloudWatchMetrics"]
        .as_array()
        .filter(|d| !d.is_empty())
    else {
        problems.push("_aws.CloudWatchMetrics is not a non-empty array".to_string());
        return problems;
    };
    for directive in directives {
        let namespace = directive["Namespace"].as_str().unwrap_or_default();
        if namespace.trim().is_empty() || namespace.len() > 255 {
            problems.push(format!("namespace {namespace:?}"));
        }
        let sets = directive["Dimensions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if sets.is_empty() {
            problems.push("no dimension set (an empty one is [[]])".to_string());
        }
        for set in &sets {
            let names = set.as_array().cloned().unwrap_or_default();
            if names.len() > 30 {
                problems.push(format!(
                    "{} dimensions in one set (at most 30)",
                    names.len()
                ));
            }
            for name in names {
                let name = name.as_str().unwrap_or_default();
                match line[name].as_str() {
                    Some(value) if !value.trim().is_empty() && value.len() <= 1024 => {}
                    other => problems.push(format!("dimension {name:?} has value {other:?}")),
                }
            }
        }
        let metrics = directive["Metrics"].as_array().cloned().unwrap_or_default();
        if metrics.is_empty() || metrics.len() > 100 {
            problems.push(format!(
                "{} metrics in a directive (1 to 100)",
                metrics.len()
            ));
        }
        for metric in metrics {
            let name = metric["Name"].as_str().unwrap_or_default();
            if name.is_empty() || name.len() > 1024 {
                problems.push(format!("metric name {name:?}"));
            }
            if !line[name].is_number() {
                problems.push(format!("metric {name:?} has no number at the top level"));
            }
            let unit = metric["Unit"].as_str().unwrap_or("None");
            if !UNITS.contains(&unit) {
                problems.push(format!("metric {name:?} has unit {unit:?}"));
            }
        }
    }
    problems
}
