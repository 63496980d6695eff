//! Syncs that fit their budget: a feed that hangs past a request's budget is a recorded failure,
//! and the job syncs a calendar added moments before it, or while it runs. A feed too big for
//! one request is in `tests/heavy`.

use std::time::{Duration, Instant};

use holdfast_tests::{
    FeedReply, FeedServer, Stack, assert_within, calendar_sync_path, calendars_config,
};
use serde_json::json;

use crate::calendars::{day, one_event, taken_nights};

#[tokio::test]
async fn a_feed_that_hangs_past_the_request_budget_is_recorded_failing_not_answered_503() {
    // A feed's own budget as deployed (20 s), longer than a request's (8 s).
    let mut calendars = calendars_config();
    calendars.fetch.total_timeout = holdfast_fetch::FetchPolicy::default().total_timeout;
    let stack = Stack::start_with_calendars(calendars);
    let api = stack.api();
    let feeds = FeedServer::start().await;
    feeds.set("/hang.ics", FeedReply::Hang);
    let (admin, cabin) = api.mexico_cabin().await;
    let calendar = api
        .add_calendar(&admin, &cabin, &feeds.url("/hang.ics"))
        .await;
    let started = Instant::now();
    // A 503 here would be the request's budget running out around the fetch.
    let synced = api
        .post(&calendar_sync_path(&cabin, &calendar))
        .as_(&admin)
        .send()
        .await
        .expect(200);
    let took = started.elapsed();
    assert_eq!(synced["status"], "failing", "{synced}");
    assert_eq!(synced["consecutive_failures"], 1, "{synced}");
    assert!(
        synced["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("did not answer in time")),
        "{synced}"
    );
    // Given what was left of the request's 8 s less 1.5 s to record it: about 6.5 s here.
    assert!(took >= Duration::from_secs(5), "gave up early: {took:?}");
    // Margin (2026-12-03): 6.51-6.52 s of 8 s in every run, loaded or not: the sync's deadline
    // (8 s less the 1.5 s kept to save), then one write; that write took milliseconds.
    assert_within("a hanging feed's sync-now", took, Duration::from_secs(8));
    let shown = api.listed_calendar(&admin, &cabin, &calendar).await;
    assert_eq!(
        (&shown["status"], &shown["consecutive_failures"]),
        (&json!("failing"), &json!(1)),
        "{shown}"
    );
}

#[tokio::test]
async fn the_job_syncs_a_calendar_added_moments_before_it_or_while_it_runs() {
    let stack = Stack::start();
    let api = stack.api();
    let feeds = FeedServer::start().await;
    feeds.set("/first.ics", one_event("f1@airbnb.com", "Reserved", 50, 52));
    feeds.set(
        "/second.ics",
        one_event("s1@airbnb.com", "Reserved", 60, 61),
    );
    feeds.set("/hang.ics", FeedReply::Hang);
    let (admin, cabin) = api.mexico_cabin().await;
    // Added, and the job runs at once: no minute's wait for a calendar never synced.
    let first = api
        .add_calendar(&admin, &cabin, &feeds.url("/first.ics"))
        .await;
    let run = api
        .post("/_local/jobs/sync-calendars")
        .send()
        .await
        .expect(200);
    assert_eq!(run["synced"], 1, "{run}");
    assert_eq!(
        api.listed_calendar(&admin, &cabin, &first).await["status"],
        "ok"
    );
    assert_eq!(taken_nights(&api, &cabin).await, [day(50), day(51)]);

    // A second calendar of the same cabin, added while a run is busy with a feed that hangs
    // (for the test fetch budget of 2.5 s; adding it takes some 50 ms).
    let (other_admin, other_cabin) = api.mexico_cabin().await;
    api.add_calendar(&other_admin, &other_cabin, &feeds.url("/hang.ics"))
        .await;
    let running = tokio::spawn({
        let api = api.clone();
        async move {
            api.post("/_local/jobs/sync-calendars")
                .send()
                .await
                .expect(200)
        }
    });
    let waiting = Instant::now();
    while !feeds
        .requests_seen()
        .iter()
        .any(|(path, _)| path == "/hang.ics")
    {
        // Margin (2026-12-03): fetched within 0.02 s of the 10 s allowed, loaded or not.
        assert_within(
            "the job fetches the hanging feed",
            waiting.elapsed(),
            Duration::from_secs(10),
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = api
        .add_calendar(&admin, &cabin, &feeds.url("/second.ics"))
        .await;
    assert!(
        !running.is_finished(),
        "the run ended before the calendar was added"
    );
    let run = running.await.expect("the run");
    assert_eq!(
        (
            run["due"].as_u64(),
            run["synced"].as_u64(),
            run["failed"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{run}"
    );
    let shown = api.listed_calendar(&admin, &cabin, &second).await;
    assert_eq!(shown["status"], "ok", "{shown}");
    assert_eq!(
        taken_nights(&api, &cabin).await,
        [day(50), day(51), day(60)]
    );
    // Each synced moments ago (the hanging one failed): the next run leaves them for a minute.
    let quiet = api
        .post("/_local/jobs/sync-calendars")
        .send()
        .await
        .expect(200);
    assert_eq!(quiet["due"], 0, "{quiet}");
}
