//! Audits a test runs on what the stack wrote (every lock and booking agree) and on its own
//! timing margins.

use std::collections::HashMap;

use holdfast_api::App;
use holdfast_domain::{BookingStatus, Claim};
use holdfast_store::keys::{attr, kind};

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
