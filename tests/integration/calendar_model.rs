//! The promise with imported calendars in it, as a model test against the local stack: any
//! interleaving of bookings, cancellations, feeds that change, syncs, and calendars added and
//! removed leaves every night with at most one owner, the one a simple model says.
//!
//! The model: a night is a booking's from its booking until its cancellation; a sync gives
//! back the nights its feed no longer blocks and takes every night its feed blocks that is
//! free, whoever held it before; a removed calendar's nights are free. Set
//! `HOLDFAST_MODEL_SEEDS=a,b,…` to replay sequences (each failure names its seed and steps).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use holdfast_tests::{
    Api, FeedReply, FeedServer, Stack, Who, airbnb_feed, assert_locks_consistent, scan_table,
    stay_booking,
};
use serde_json::Value;

use crate::calendars::{add_calendar, cabin, day, sync, taken_nights};

/// The model's first night, as an offset from today, and how many nights its steps start on:
/// few, so that bookings and imported events overlap all the time.
const FIRST: i64 = 40;
const NIGHTS: usize = 14;
/// Calendars one cabin may import at once.
const SLOTS: usize = 2;
const STEPS: usize = 45;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    Booking(String),
    Calendar(String),
}

/// An event of a feed: `nights` from night `start`, a guest's stay or the platform's block.
#[derive(Debug, Clone)]
struct Event {
    uid: String,
    start: usize,
    nights: usize,
    reserved: bool,
}

impl Event {
    fn covers(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.nights
    }
}

/// An imported calendar: its id, its feed's path, what its feed says now.
struct Slot {
    calendar: Value,
    id: String,
    path: String,
    events: Vec<Event>,
}

fn date(night: usize) -> String {
    day(FIRST + night as i64)
}

struct Model {
    owners: BTreeMap<usize, Owner>,
    /// Bookings standing: their first night and how many.
    bookings: BTreeMap<String, (usize, usize)>,
    slots: Vec<Option<Slot>>,
    /// Every calendar ever added, to check that removed ones leave nothing behind.
    calendars_ever: BTreeSet<String>,
}

impl Model {
    fn free(&self, nights: std::ops::Range<usize>) -> bool {
        nights.into_iter().all(|n| !self.owners.contains_key(&n))
    }

    fn release(&mut self, owner: &Owner) {
        self.owners.retain(|_, o| o != owner);
    }

    /// A sync of `slot`: returns the (uid, booking) clashes it must report.
    fn sync(&mut self, slot: usize) -> BTreeSet<(String, String)> {
        let Some(calendar) = &self.slots[slot] else {
            return BTreeSet::new();
        };
        let me = Owner::Calendar(calendar.id.clone());
        let desired: BTreeSet<usize> = calendar.events.iter().flat_map(Event::covers).collect();
        let mut clashes = BTreeSet::new();
        for event in &calendar.events {
            for night in event.covers() {
                let Some(Owner::Booking(booking)) = self.owners.get(&night) else {
                    continue;
                };
                // An echo: the platform's "not available" on exactly our booking's dates.
                let echo = !event.reserved
                    && self.bookings.get(booking) == Some(&(event.start, event.nights));
                if !echo {
                    clashes.insert((event.uid.clone(), booking.clone()));
                }
            }
        }
        self.owners
            .retain(|night, owner| *owner != me || desired.contains(night));
        for night in desired {
            self.owners.entry(night).or_insert_with(|| me.clone());
        }
        clashes
    }
}

fn random_events(rng: &mut fastrand::Rng) -> Vec<Event> {
    let mut uids: Vec<usize> = (0..5).collect();
    rng.shuffle(&mut uids);
    uids.into_iter()
        .take(rng.usize(0..=3))
        .map(|uid| Event {
            uid: format!("e{uid}@airbnb.com"),
            start: rng.usize(0..NIGHTS),
            nights: rng.usize(1..=4),
            reserved: rng.bool(),
        })
        .collect()
}

fn feed_of(events: &[Event]) -> FeedReply {
    let events: Vec<(String, &str, String, String)> = events
        .iter()
        .map(|e| {
            let summary = if e.reserved {
                "Reserved"
            } else {
                "Airbnb (Not available)"
            };
            (
                e.uid.clone(),
                summary,
                date(e.start),
                date(e.start + e.nights),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str, &str, &str)> = events
        .iter()
        .map(|(u, s, a, b)| (u.as_str(), *s, a.as_str(), b.as_str()))
        .collect();
    FeedReply::Ics(airbnb_feed(&borrowed))
}

#[tokio::test]
async fn bookings_cancellations_syncs_and_removals_in_any_order_leave_each_night_one_owner() {
    let stack = Stack::start();
    let api = stack.api();
    let feeds = FeedServer::start().await;
    let seeds: Vec<u64> = match std::env::var("HOLDFAST_MODEL_SEEDS") {
        Ok(list) => list
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
        Err(_) => (0..3).map(|_| fastrand::u64(..)).collect(),
    };
    for seed in seeds {
        run(&stack, &api, &feeds, seed).await;
    }
}

async fn run(stack: &Stack, api: &Api, feeds: &FeedServer, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let (admin, cabin) = cabin(api).await;
    let guest = Who::customer();
    let mut model = Model {
        owners: BTreeMap::new(),
        bookings: BTreeMap::new(),
        slots: (0..SLOTS).map(|_| None).collect(),
        calendars_ever: BTreeSet::new(),
    };
    let mut log = format!("seed {seed} (HOLDFAST_MODEL_SEEDS={seed} replays it)\n");
    let mut added = 0;
    for step in 0..STEPS {
        let slot = rng.usize(0..SLOTS);
        match rng.usize(0..10) {
            0..=2 => {
                let (start, nights) = (rng.usize(0..NIGHTS), rng.usize(1..=3));
                let expected = model.free(start..start + nights);
                let _ = writeln!(
                    log,
                    "{step}: book nights {start}+{nights} (free: {expected})"
                );
                let reply = api
                    .post("/v1/bookings")
                    .as_(&guest)
                    .json(&stay_booking(&cabin, &date(start), &date(start + nights)))
                    .send()
                    .await;
                if expected {
                    let booking = reply.expect(201);
                    let id = booking["booking_id"]
                        .as_str()
                        .expect("booking_id")
                        .to_string();
                    for night in start..start + nights {
                        model.owners.insert(night, Owner::Booking(id.clone()));
                    }
                    model.bookings.insert(id, (start, nights));
                } else {
                    assert_eq!(reply.status, 409, "{log}{}", reply.text);
                }
            }
            3 => {
                let Some(id) = model
                    .bookings
                    .keys()
                    .nth(rng.usize(0..model.bookings.len().max(1)))
                else {
                    continue;
                };
                let id = id.clone();
                let _ = writeln!(log, "{step}: cancel {id}");
                let cancelled = api
                    .post(&format!("/v1/bookings/{id}/cancel"))
                    .as_(&guest)
                    .send()
                    .await
                    .expect(200);
                assert_eq!(cancelled["status"], "cancelled", "{log}");
                model.bookings.remove(&id);
                model.release(&Owner::Booking(id));
            }
            4..=5 => {
                let Some(calendar) = &mut model.slots[slot] else {
                    continue;
                };
                calendar.events = random_events(&mut rng);
                let _ = writeln!(log, "{step}: feed {slot} now says {:?}", calendar.events);
                feeds.set(&calendar.path, feed_of(&calendar.events));
            }
            6..=7 => {
                let Some(calendar) = &model.slots[slot] else {
                    continue;
                };
                let _ = writeln!(log, "{step}: sync {slot}");
                let synced = sync(api, &admin, &cabin, &calendar.calendar).await;
                assert_eq!(synced["status"], "ok", "{log}{synced}");
                let expected = model.sync(slot);
                let reported: BTreeSet<(String, String)> = synced["conflicts"]
                    .as_array()
                    .expect("conflicts")
                    .iter()
                    .map(|c| {
                        (
                            c["uid"].as_str().unwrap_or_default().to_string(),
                            c["booking_id"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                assert_eq!(reported, expected, "the clashes a sync reports\n{log}");
            }
            8 if model.slots[slot].is_none() => {
                added += 1;
                let path = format!("/model-{seed}-{added}.ics");
                let events = random_events(&mut rng);
                feeds.set(&path, feed_of(&events));
                let calendar = add_calendar(api, &admin, &cabin, &feeds.url(&path)).await;
                let id = calendar["calendar_id"]
                    .as_str()
                    .expect("calendar_id")
                    .to_string();
                let _ = writeln!(
                    log,
                    "{step}: add {id} as {slot}, its feed saying {events:?}"
                );
                model.calendars_ever.insert(id.clone());
                model.slots[slot] = Some(Slot {
                    calendar,
                    id,
                    path,
                    events,
                });
            }
            _ => {
                let Some(calendar) = model.slots[slot].take() else {
                    continue;
                };
                let _ = writeln!(log, "{step}: remove {}", calendar.id);
                api.delete(&format!("/v1/resources/{cabin}/calendars/{}", calendar.id))
                    .as_(&admin)
                    .send()
                    .await
                    .expect(204);
                model.release(&Owner::Calendar(calendar.id));
            }
        }
        let expected: Vec<String> = model.owners.keys().map(|n| date(*n)).collect();
        assert_eq!(
            taken_nights(api, &cabin).await,
            expected,
            "the nights availability shows taken\n{log}"
        );
        if step % 5 == 4 || step == STEPS - 1 {
            check_store(stack, &cabin, &model, &log).await;
        }
    }
}

/// Every lock of the cabin is the model's owner's, and every calendar's records of its blocks
/// are exactly its locks: none left by a removed calendar, none half-written.
async fn check_store(stack: &Stack, cabin: &str, model: &Model, log: &str) {
    let app = stack.app().await;
    let items = scan_table(&app, &stack.table).await;
    let text =
        |item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
         name: &str| { item.get(name).and_then(|v| v.as_s().ok()).cloned() };
    let mut locks: BTreeMap<String, Owner> = BTreeMap::new();
    let mut records: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in &items {
        let pk = text(item, "pk").unwrap_or_default();
        let sk = text(item, "sk").unwrap_or_default();
        if text(item, "type").as_deref() == Some("lock")
            && text(item, "resource_id").as_deref() == Some(cabin)
        {
            let owner = match (text(item, "booking_id"), text(item, "block_of")) {
                (Some(booking), None) => Owner::Booking(booking),
                (None, Some(calendar)) => Owner::Calendar(calendar),
                other => panic!("lock {sk} has owners {other:?}\n{log}"),
            };
            locks.insert(sk, owner);
        } else if let Some(calendar) = pk
            .strip_prefix("CALENDAR#")
            .and_then(|rest| rest.strip_suffix("#BLOCKS"))
            && model.calendars_ever.contains(calendar)
        {
            records.entry(calendar.to_string()).or_default().insert(sk);
        }
    }
    // Cancelled bookings' locks are gone at once; a lapsed hold's would linger, but the model
    // books at the desk only.
    let expected: BTreeMap<String, Owner> = model
        .owners
        .iter()
        .map(|(night, owner)| (date(*night), owner.clone()))
        .collect();
    assert_eq!(locks, expected, "the cabin's locks\n{log}");
    for calendar in &model.calendars_ever {
        let held: BTreeSet<String> = locks
            .iter()
            .filter(|(_, owner)| **owner == Owner::Calendar(calendar.clone()))
            .map(|(unit, _)| unit.clone())
            .collect();
        assert_eq!(
            records.get(calendar).cloned().unwrap_or_default(),
            held,
            "calendar {calendar}'s records of its blocks\n{log}"
        );
    }
    assert_locks_consistent(&app, &stack.table).await;
}
