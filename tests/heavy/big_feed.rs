//! A feed too big for one request: 40,000 events are taken nearest first within the sync-now
//! route's budget, answered 202, and the job finishes them.

use std::time::{Duration, Instant};

use holdfast_tests::{
    Api, FeedReply, FeedServer, Stack, Who, assert_locks_consistent, assert_within,
    calendar_sync_path, slot_booking,
};
use serde_json::{Value, json};

/// `count` events of five minutes, back to back in UTC from `first` (a slot's start), each its
/// own VEVENT: a booking system's export of its own fine grid.
fn five_minute_events(first: jiff::Timestamp, count: usize) -> String {
    let mut ics = String::with_capacity(count * 110);
    ics.push_str("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Club Manager//Bookings//EN\r\n");
    let stamp = |t: jiff::Timestamp| t.strftime("%Y%m%dT%H%M%SZ").to_string();
    for k in 0..count {
        let start = first + jiff::SignedDuration::from_mins(5 * k as i64);
        let end = start + jiff::SignedDuration::from_mins(5);
        ics.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:q{k}\r\nDTSTART:{}\r\nDTEND:{}\r\nEND:VEVENT\r\n",
            stamp(start),
            stamp(end)
        ));
    }
    ics.push_str("END:VCALENDAR\r\n");
    ics
}

/// The units (start instants) of `court` that availability shows taken on `date`.
async fn taken_slots(api: &Api, court: &str, date: jiff::civil::Date) -> Vec<String> {
    let next = date.tomorrow().expect("a date");
    api.taken_units(court, &date.to_string(), &next.to_string(), "start")
        .await
}

#[tokio::test]
async fn a_feed_of_40000_events_is_taken_nearest_first_and_the_job_finishes_it() {
    let _turn = crate::one_at_a_time().await;
    let stack = Stack::start();
    let api = stack.api();
    let feeds = FeedServer::start().await;
    let (admin, venue) = api.venue_without_accounts("Europe/Madrid", "EUR").await;
    let all_day: Value = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), json!([["00:00", "24:00"]])))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let court = api
        .court(&admin, &venue, json!({"opening_hours": all_day}))
        .await;
    // From tomorrow 00:00 UTC (a slot's start in Madrid, an hour or two ahead of UTC): 40,000
    // five-minute events are 6,667 half-hour slots over 139 days, inside the two-year horizon.
    let events: usize = 40_000;
    let units = (events * 5).div_ceil(30);
    let first_day = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date()
        .tomorrow()
        .expect("a date");
    let first = first_day
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("midnight")
        .timestamp();
    let madrid = jiff::tz::TimeZone::get("Europe/Madrid").expect("Madrid");
    feeds.set(
        "/club.ics",
        FeedReply::Ics(five_minute_events(first, events)),
    );
    let calendar = api
        .add_calendar(&admin, &court, &feeds.url("/club.ics"))
        .await;

    let started = Instant::now();
    let reply = api
        .post(&calendar_sync_path(&court, &calendar))
        .as_(&admin)
        .send()
        .await;
    let took = started.elapsed();
    assert_within(
        "40,000 events: sync-now's 202",
        took,
        Duration::from_secs(8),
    );
    // Measured here: the feed is read in about 1.3 s of a debug build, and DynamoDB Local takes
    // about 400 units a second, so the request's 6.5 s take some 2,000 of the 6,667: a machine
    // three times faster still could not take them all. Margin (2026-12-03): the 202 came after
    // 4.8-5.9 s of the 8 s budget in five fresh-clone runs, 4.5 s with a release build beside (a
    // step is begun only while one as slow as the slowest so far ends by the deadline).
    let partial = reply.expect(202);
    assert_eq!(partial["status"], "pending", "{partial}");
    let partly = partial["blocks"].as_u64().expect("blocks");
    assert!(
        partly > 0 && partly < units as u64,
        "blocks {partly} of {units} after {took:?}: {partial}"
    );
    // Nearest first: the first day's 48 slots are taken already.
    let day_after = first
        .to_zoned(madrid.clone())
        .date()
        .tomorrow()
        .expect("a date");
    assert_eq!(taken_slots(&api, &court, day_after).await.len(), 48);

    // Some 12 s here for the rest; the job's own deadline is 135 s, the wait its Lambda's 150 s.
    let run = api
        .post("/_local/jobs/sync-calendars")
        .within(Duration::from_secs(150))
        .send()
        .await
        .expect(200);
    assert_eq!(
        (run["synced"].as_u64(), run["unfinished"].as_u64()),
        (Some(1), Some(0)),
        "{run}"
    );
    // Each slot is held under the first of its six events (by UID): `blocks` counts those.
    let done = api.listed_calendar(&admin, &court, &calendar).await;
    assert_eq!(
        (&done["status"], done["blocks"].as_u64()),
        (&json!("ok"), Some(units as u64)),
        "{done}"
    );
    let app = stack.app().await;
    let calendar_id = calendar["calendar_id"].as_str().expect("calendar_id");
    assert_eq!(
        app.store
            .held_blocks(&holdfast_domain::CalendarId::from(calendar_id))
            .await
            .expect("held")
            .len(),
        units
    );
    // The farthest hour the feed blocks, 139 days on, is held: booking it is refused.
    let end = first + jiff::SignedDuration::from_mins(30 * units as i64);
    let local = |t: jiff::Timestamp| {
        t.to_zoned(madrid.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    let hour_before = end - jiff::SignedDuration::from_hours(1);
    api.request_booking(
        &Who::customer(),
        &slot_booking(&court, &local(hour_before), &local(end), "none"),
    )
    .await
    .expect_error(409, "SLOT_TAKEN");
    assert_locks_consistent(&app, &stack.table).await;

    // Synced again unchanged: nothing left to take, done within a request.
    let again = api
        .post(&calendar_sync_path(&court, &calendar))
        .as_(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(again["blocks"].as_u64(), Some(units as u64), "{again}");
}
