//! The promise with imported calendars in it, as model tests against the local stack: any
//! interleaving of bookings, cancellations, feeds that change, syncs, calendars added and
//! removed (and, for a court, its opening hours patched) leaves every unit with the owners a
//! simple model says, never more than it has places.
//!
//! The model: a unit is a booking's from its booking until its cancellation; a sync gives back
//! the units its feed no longer blocks and takes every unit (inside today's opening hours) its
//! feed blocks that is free, whole, a class's every place; a removed calendar's units are free.
//! Set `HOLDFAST_MODEL_SEEDS=a,b,…` to replay sequences (each failure names its seed and
//! steps).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use holdfast_store::keys::{self, attr, kind};
use holdfast_tests::{
    Api, FeedReply, FeedServer, Stack, Who, airbnb_feed, audit_locks, scan_table, stay_booking,
};
use serde_json::Value;

use crate::calendars::{day, sync, taken_nights};

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
struct Slot<E> {
    calendar: Value,
    id: String,
    path: String,
    events: Vec<E>,
}

fn date(night: usize) -> String {
    day(FIRST + night as i64)
}

struct Model {
    owners: BTreeMap<usize, Owner>,
    /// Bookings standing: their first night and how many.
    bookings: BTreeMap<String, (usize, usize)>,
    slots: Vec<Option<Slot<Event>>>,
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

/// The sequences to run: those `HOLDFAST_MODEL_SEEDS` names, or `fresh` new ones.
fn seeds(fresh: usize) -> Vec<u64> {
    match std::env::var("HOLDFAST_MODEL_SEEDS") {
        Ok(list) => list
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
        Err(_) => (0..fresh).map(|_| fastrand::u64(..)).collect(),
    }
}

/// Adds a calendar of `resource` importing the feed served at `path` as `reply` says: the
/// calendar as answered, and its id.
async fn import(
    api: &Api,
    admin: &Who,
    resource: &str,
    feeds: &FeedServer,
    path: &str,
    reply: FeedReply,
) -> (Value, String) {
    feeds.set(path, reply);
    let calendar = api.add_calendar(admin, resource, &feeds.url(path)).await;
    let id = calendar["calendar_id"]
        .as_str()
        .expect("calendar_id")
        .to_string();
    (calendar, id)
}

/// Syncs `calendar` now, checks that it synced, and answers the (event, booking) clashes it
/// lists.
async fn sync_clashes(
    api: &Api,
    admin: &Who,
    resource: &str,
    calendar: &Value,
    log: &str,
) -> BTreeSet<(String, String)> {
    let synced = sync(api, admin, resource, calendar).await;
    assert_eq!(synced["status"], "ok", "{log}{synced}");
    synced["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .map(|c| {
            (
                c["uid"].as_str().unwrap_or_default().to_string(),
                c["booking_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
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
    FeedReply::Ics(airbnb_feed(&events))
}

#[tokio::test]
async fn bookings_cancellations_syncs_and_removals_in_any_order_leave_each_night_one_owner() {
    let stack = Stack::start();
    let api = stack.api();
    let feeds = FeedServer::start().await;
    for seed in seeds(3) {
        run(&stack, &api, &feeds, seed).await;
    }
}

async fn run(stack: &Stack, api: &Api, feeds: &FeedServer, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let (admin, cabin) = api.mexico_cabin().await;
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
                    .request_booking(
                        &guest,
                        &stay_booking(&cabin, &date(start), &date(start + nights)),
                    )
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
                let reported = sync_clashes(api, &admin, &cabin, &calendar.calendar, &log).await;
                let expected = model.sync(slot);
                assert_eq!(reported, expected, "the clashes a sync reports\n{log}");
            }
            8 if model.slots[slot].is_none() => {
                added += 1;
                let path = format!("/model-{seed}-{added}.ics");
                let events = random_events(&mut rng);
                let (calendar, id) =
                    import(api, &admin, &cabin, feeds, &path, feed_of(&events)).await;
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
    // Cancelled bookings' locks are gone at once; a lapsed hold's would linger, but the model
    // books at the desk only.
    let expected: BTreeMap<String, String> = model
        .owners
        .iter()
        .map(|(night, owner)| {
            let owner = match owner {
                Owner::Booking(booking) => format!("booking {booking}"),
                Owner::Calendar(calendar) => format!("block {calendar}"),
            };
            (date(*night), owner)
        })
        .collect();
    check_locks(stack, cabin, &expected, &model.calendars_ever, log).await;
}

/// A court's hour `h` of the model's day, as the API writes it.
struct CourtDay {
    date: jiff::civil::Date,
    zone: jiff::tz::TimeZone,
}

impl CourtDay {
    fn at(&self, hour: usize) -> jiff::Zoned {
        let midnight = self.date.to_zoned(self.zone.clone()).expect("a day");
        midnight
            .checked_add(jiff::Span::new().hours(hour as i64))
            .expect("a time")
    }

    fn rfc3339(&self, hour: usize) -> String {
        self.at(hour).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }

    /// The lock key of the slot starting at `hour`: the instant in UTC.
    fn key(&self, hour: usize) -> String {
        keys::unit(&holdfast_domain::Unit::Slot(self.at(hour).timestamp()))
    }

    fn weekday(&self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            [self.date.weekday().to_monday_zero_offset() as usize]
    }
}

/// Who holds one of the court's hours: a calendar whole, or bookings by the place.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Hold {
    Block(String),
    Places(BTreeSet<String>),
}

/// A timed event of a court's feed: `[start, end)` in hours of the model's day.
#[derive(Debug, Clone)]
struct TimedEvent {
    uid: String,
    start: usize,
    end: usize,
    reserved: bool,
}

struct CourtModel {
    capacity: usize,
    /// Opening hours of the model's day: `[open, close)`.
    hours: (usize, usize),
    holds: BTreeMap<usize, Hold>,
    bookings: BTreeMap<String, (usize, usize)>,
    slots: Vec<Option<Slot<TimedEvent>>>,
    calendars_ever: BTreeSet<String>,
}

impl CourtModel {
    fn places_left(&self, hour: usize) -> usize {
        match self.holds.get(&hour) {
            None => self.capacity,
            Some(Hold::Block(_)) => 0,
            Some(Hold::Places(held)) => self.capacity - held.len(),
        }
    }

    fn sync(&mut self, slot: usize) -> BTreeSet<(String, String)> {
        let Some(Slot { id, events, .. }) = &self.slots[slot] else {
            return BTreeSet::new();
        };
        let (open, close) = self.hours;
        let desired: BTreeSet<usize> = events
            .iter()
            .flat_map(|e| e.start.max(open)..e.end.min(close))
            .collect();
        let mut clashes = BTreeSet::new();
        for event in events {
            for hour in event.start.max(open)..event.end.min(close) {
                let Some(Hold::Places(held)) = self.holds.get(&hour) else {
                    continue;
                };
                for booking in held {
                    let echo = !event.reserved
                        && self.bookings.get(booking) == Some(&(event.start, event.end));
                    if !echo {
                        clashes.insert((event.uid.clone(), booking.clone()));
                    }
                }
            }
        }
        let me = Hold::Block(id.clone());
        self.holds
            .retain(|hour, hold| *hold != me || desired.contains(hour));
        for hour in desired {
            self.holds.entry(hour).or_insert_with(|| me.clone());
        }
        clashes
    }
}

fn timed_feed(day: &CourtDay, events: &[TimedEvent]) -> FeedReply {
    let mut ics = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n",
    );
    for e in events {
        let summary = if e.reserved {
            "Reserved"
        } else {
            "Not available"
        };
        // Hours past midnight are the next day's.
        let wall = |hour: usize| day.at(hour).strftime("%Y%m%dT%H%M%S").to_string();
        let _ = write!(
            ics,
            "BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Madrid:{}\r\nDTEND;TZID=Europe/Madrid:{}\r\n\
             UID:{}\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\n",
            wall(e.start),
            wall(e.end),
            e.uid
        );
    }
    ics.push_str("END:VCALENDAR\r\n");
    FeedReply::Ics(ics)
}

fn random_timed_events(rng: &mut fastrand::Rng) -> Vec<TimedEvent> {
    let mut uids: Vec<usize> = (0..5).collect();
    rng.shuffle(&mut uids);
    uids.into_iter()
        .take(rng.usize(0..=3))
        .map(|uid| {
            let start = rng.usize(6..22);
            TimedEvent {
                uid: format!("t{uid}@google.com"),
                start,
                end: start + rng.usize(1..=3),
                reserved: rng.bool(),
            }
        })
        .collect()
}

#[tokio::test]
async fn a_courts_bookings_hours_and_imported_events_in_any_order_sell_each_place_once() {
    let stack = Stack::start();
    let api = stack.api();
    let feeds = FeedServer::start().await;
    for seed in seeds(4) {
        run_court(&stack, &api, &feeds, seed).await;
    }
}

async fn run_court(stack: &Stack, api: &Api, feeds: &FeedServer, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let capacity = if rng.bool() { 1 } else { 3 };
    let (admin, venue) = api.venue_without_accounts("Europe/Madrid", "EUR").await;
    let day = CourtDay {
        date: jiff::Zoned::now()
            .date()
            .checked_add(jiff::Span::new().days(60))
            .expect("a date"),
        zone: jiff::tz::TimeZone::get("Europe/Madrid").expect("a zone"),
    };
    let every_day: serde_json::Map<String, Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|d| (d.to_string(), serde_json::json!([["08:00", "22:00"]])))
            .collect();
    let court = api
        .court(
            &admin,
            &venue,
            serde_json::json!({"slot_minutes": 60, "durations": [60, 120],
                               "opening_hours": every_day, "capacity": capacity}),
        )
        .await;
    let mut model = CourtModel {
        capacity,
        hours: (8, 22),
        holds: BTreeMap::new(),
        bookings: BTreeMap::new(),
        slots: (0..SLOTS).map(|_| None).collect(),
        calendars_ever: BTreeSet::new(),
    };
    let mut log =
        format!("seed {seed}, capacity {capacity} (HOLDFAST_MODEL_SEEDS={seed} replays it)\n");
    let mut added = 0;
    for step in 0..STEPS {
        let slot = rng.usize(0..SLOTS);
        match rng.usize(0..11) {
            0..=2 => {
                let (start, hours) = (rng.usize(7..22), rng.usize(1..=2));
                let (open, close) = model.hours;
                let inside = start >= open && start + hours <= close;
                let free = (start..start + hours).all(|h| model.places_left(h) > 0);
                let _ = writeln!(
                    log,
                    "{step}: book {start}+{hours}h (inside: {inside}, free: {free})"
                );
                let reply = api
                    .request_booking(
                        &Who::customer(),
                        &holdfast_tests::slot_booking(
                            &court,
                            &day.rfc3339(start),
                            &day.rfc3339(start + hours),
                            "none",
                        ),
                    )
                    .await;
                if !inside {
                    assert_eq!(reply.status, 400, "{log}{}", reply.text);
                } else if free {
                    let booking = reply.expect(201);
                    let id = booking["booking_id"]
                        .as_str()
                        .expect("booking_id")
                        .to_string();
                    for hour in start..start + hours {
                        match model
                            .holds
                            .entry(hour)
                            .or_insert_with(|| Hold::Places(BTreeSet::new()))
                        {
                            Hold::Places(held) => {
                                held.insert(id.clone());
                            }
                            Hold::Block(_) => unreachable!("a free hour"),
                        }
                    }
                    model.bookings.insert(id, (start, start + hours));
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
                api.post(&format!("/v1/bookings/{id}/cancel"))
                    .as_(&admin)
                    .send()
                    .await
                    .expect(200);
                model.bookings.remove(&id);
                for hold in model.holds.values_mut() {
                    if let Hold::Places(held) = hold {
                        held.remove(&id);
                    }
                }
                model
                    .holds
                    .retain(|_, hold| !matches!(hold, Hold::Places(held) if held.is_empty()));
            }
            4 => {
                let hours = if model.hours == (8, 22) {
                    (10, 20)
                } else {
                    (8, 22)
                };
                let _ = writeln!(log, "{step}: hours now {hours:?}");
                api.patch(&format!("/v1/resources/{court}"))
                    .as_(&admin)
                    .json(&serde_json::json!({"opening_hours": {
                        day.weekday(): [[format!("{:02}:00", hours.0), format!("{:02}:00", hours.1)]]
                    }}))
                    .send()
                    .await
                    .expect(200);
                model.hours = hours;
            }
            5..=6 => {
                let Some(calendar) = &mut model.slots[slot] else {
                    continue;
                };
                calendar.events = random_timed_events(&mut rng);
                let _ = writeln!(log, "{step}: feed {slot} now says {:?}", calendar.events);
                feeds.set(&calendar.path, timed_feed(&day, &calendar.events));
            }
            7..=8 => {
                let Some(calendar) = &model.slots[slot] else {
                    continue;
                };
                let _ = writeln!(log, "{step}: sync {slot}");
                let reported = sync_clashes(api, &admin, &court, &calendar.calendar, &log).await;
                let expected = model.sync(slot);
                assert_eq!(reported, expected, "the clashes a sync reports\n{log}");
            }
            9 if model.slots[slot].is_none() => {
                added += 1;
                let path = format!("/court-{seed}-{added}.ics");
                let events = random_timed_events(&mut rng);
                let (calendar, id) =
                    import(api, &admin, &court, feeds, &path, timed_feed(&day, &events)).await;
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
                let Some(Slot { id, .. }) = model.slots[slot].take() else {
                    continue;
                };
                let _ = writeln!(log, "{step}: remove {id}");
                api.delete(&format!("/v1/resources/{court}/calendars/{id}"))
                    .as_(&admin)
                    .send()
                    .await
                    .expect(204);
                let gone = Hold::Block(id);
                model.holds.retain(|_, hold| *hold != gone);
            }
        }
        check_court(api, &court, &day, &model, &log).await;
        if step % 5 == 4 || step == STEPS - 1 {
            check_court_locks(stack, &court, &day, &model, &log).await;
        }
    }
}

/// Availability shows, for every open hour, the places the model says are left.
async fn check_court(api: &Api, court: &str, day: &CourtDay, model: &CourtModel, log: &str) {
    let next = day.date.tomorrow().expect("a date");
    let units = api
        .get(&format!(
            "/v1/resources/{court}/availability?from={}&to={next}",
            day.date
        ))
        .send()
        .await
        .expect(200);
    let shown: Vec<(String, u64)> = units["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| {
            let left = if model.capacity > 1 {
                u["places_left"].as_u64().unwrap_or(u64::MAX)
            } else {
                u64::from(u["status"] == "free")
            };
            (u["start"].as_str().unwrap_or_default().to_string(), left)
        })
        .collect();
    let (open, close) = model.hours;
    let expected: Vec<(String, u64)> = (open..close)
        .map(|hour| (day.rfc3339(hour), model.places_left(hour) as u64))
        .collect();
    assert_eq!(shown, expected, "the court's places left\n{log}");
}

/// The court's lock items are exactly the model's holds, and each calendar's records its
/// blocks.
async fn check_court_locks(
    stack: &Stack,
    court: &str,
    day: &CourtDay,
    model: &CourtModel,
    log: &str,
) {
    let expected: BTreeMap<String, String> = model
        .holds
        .iter()
        .map(|(hour, hold)| {
            let owner = match hold {
                Hold::Block(calendar) => format!("block {calendar}"),
                Hold::Places(held) if model.capacity == 1 => {
                    format!("booking {}", held.iter().next().expect("a booking"))
                }
                Hold::Places(held) => format!("{} places", held.len()),
            };
            (day.key(*hour), owner)
        })
        .collect();
    check_locks(stack, court, &expected, &model.calendars_ever, log).await;
}

/// The lock items of `resource`, each as its owner (`booking …`, `block …`, or `N places` of
/// a class; a class's counter at zero holds nothing), are exactly `expected`; the records each
/// calendar keeps of its blocks are exactly its locks; and bookings and their locks agree.
async fn check_locks(
    stack: &Stack,
    resource: &str,
    expected: &BTreeMap<String, String>,
    calendars: &BTreeSet<String>,
    log: &str,
) {
    let app = stack.app().await;
    let items = scan_table(&app, &stack.table).await;
    let text =
        |item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
         name: &str| { item.get(name).and_then(|v| v.as_s().ok()).cloned() };
    let mut locks: BTreeMap<String, String> = BTreeMap::new();
    let mut records: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in &items {
        let pk = text(item, attr::PK).unwrap_or_default();
        let sk = text(item, attr::SK).unwrap_or_default();
        if text(item, attr::TYPE).as_deref() == Some(kind::LOCK)
            && text(item, attr::RESOURCE_ID).as_deref() == Some(resource)
        {
            let taken = item
                .get(attr::TAKEN)
                .and_then(|v| v.as_n().ok())
                .cloned()
                .unwrap_or_default();
            let owner = match (text(item, attr::BOOKING_ID), text(item, attr::BLOCK_OF)) {
                (Some(booking), None) if taken.is_empty() => format!("booking {booking}"),
                (None, Some(calendar)) if taken.is_empty() => format!("block {calendar}"),
                (None, None) if taken == "0" => continue,
                (None, None) if !taken.is_empty() => format!("{taken} places"),
                other => panic!("lock {sk} has owners {other:?} and taken {taken:?}\n{log}"),
            };
            locks.insert(sk, owner);
        } else if let Some(calendar) = calendars
            .iter()
            .find(|calendar| pk == keys::calendar_blocks(calendar))
        {
            records.entry(calendar.clone()).or_default().insert(sk);
        }
    }
    assert_eq!(&locks, expected, "the locks of {resource}\n{log}");
    for calendar in calendars {
        let owner = format!("block {calendar}");
        let held: BTreeSet<String> = locks
            .iter()
            .filter(|(_, o)| **o == owner)
            .map(|(unit, _)| unit.clone())
            .collect();
        assert_eq!(
            records.get(calendar).cloned().unwrap_or_default(),
            held,
            "calendar {calendar}'s records of its blocks\n{log}"
        );
    }
    // The model's states with no hold at all are real: the audit may find no lock then.
    audit_locks(&app, &stack.table).await;
}
