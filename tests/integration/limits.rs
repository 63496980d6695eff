//! Rate limits on the local stack, counted in the table as in AWS: a customer's writes stop at
//! the quota with a 429 that writes nothing, a burst from one caller gets exactly the quota,
//! and every limited answer carries the draft's headers.

use holdfast_domain::RateLimits;
use holdfast_tests::{Notify, Reply, Stack, StackSettings, Who};
use serde_json::json;

/// A day-long window, entered a second after it opened: no test here lasts a day, so none
/// sees its window roll over unless it moves the clock itself.
const DAY_WINDOW: u32 = 86_400;

/// A stack counting `limits`, its clock a second into a day-long window. Its notices stay on
/// the queue, so that no mail being sent writes while a test compares the table.
fn limited_stack(limits: &str) -> Stack {
    let stack = Stack::start_settings(StackSettings {
        rate_limits: Some(RateLimits::parse(limits).expect("limits")),
        notify: Notify::Queue,
        ..StackSettings::default()
    });
    let now = stack.clock.now().as_second();
    let into_window = now.rem_euclid(i64::from(DAY_WINDOW));
    stack.clock.advance(i64::from(DAY_WINDOW) - into_window + 1);
    stack
}

/// A `RateLimit` header's group and requests left; its seconds to the window's end checked to
/// lie within the day-long window (how many have passed depends on the machine's pace).
#[track_caller]
fn standing(reply: &Reply) -> (String, u32) {
    let raw = header(reply, "ratelimit");
    let parts: Vec<&str> = raw.split(';').collect();
    let number = |prefix: &str| -> u32 {
        parts
            .iter()
            .find_map(|p| p.strip_prefix(prefix))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("RateLimit {raw} has no {prefix}"))
    };
    let resets_in = number("t=");
    assert!((1..=DAY_WINDOW).contains(&resets_in), "RateLimit {raw}");
    (parts[0].trim_matches('"').to_string(), number("r="))
}

#[track_caller]
fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{} answered no {name}: {:?}", reply.request, reply.headers))
}

#[tokio::test]
async fn a_customers_writes_stop_at_the_quota_and_the_refusal_writes_nothing() {
    let stack = limited_stack("writes=3/86400,admin=1000/86400,public=1000/86400");
    let api = stack.api();
    let (_admin, _venue, court) = api.madrid_court(json!({"durations": [60]})).await;
    let ana = Who::customer();
    for (hour, left) in [("10", 2), ("11", 1), ("12", 0)] {
        let end = format!("{}:00", hour.parse::<u32>().unwrap() + 1);
        let reply = api.book(&ana, &court, &format!("{hour}:00"), &end).await;
        reply.expect(201);
        assert_eq!(header(&reply, "ratelimit-policy"), "\"writes\";q=3;w=86400");
        assert_eq!(standing(&reply), ("writes".into(), left));
    }

    let before = stack.table_snapshot().await;
    let refused = api.book(&ana, &court, "13:00", "14:00").await;
    let body = refused.expect_error(429, "RATE_LIMITED");
    assert_eq!(body["error"]["details"]["policy"], "writes", "{body}");
    let retry_after: u32 = header(&refused, "retry-after").parse().expect("seconds");
    assert!(
        (1..=DAY_WINDOW).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(standing(&refused), ("writes".into(), 0));
    assert_eq!(
        stack.table_snapshot().await,
        before,
        "a refused request wrote"
    );

    // The quota is the caller's own; reads are not counted.
    let ben = Who::customer();
    let reply = api.book(&ben, &court, "13:00", "14:00").await;
    reply.expect(201);
    assert_eq!(standing(&reply), ("writes".into(), 2));
    let mine = api.get("/v1/me/bookings").as_(&ana).send().await;
    assert_eq!(mine.expect(200)["items"].as_array().map(Vec::len), Some(3));
    assert!(
        mine.headers.get("ratelimit").is_none(),
        "{:?}",
        mine.headers
    );

    // The next window starts afresh.
    stack.clock.advance(i64::from(DAY_WINDOW));
    let reply = api.book(&ana, &court, "14:00", "15:00").await;
    reply.expect(201);
    assert_eq!(standing(&reply), ("writes".into(), 2));
}

#[tokio::test]
async fn a_burst_from_one_address_gets_exactly_its_quota() {
    let stack = limited_stack("public=5/86400,admin=1000/86400");
    let api = stack.api();
    let (_admin, _venue, court) = api.madrid_court(json!({})).await;
    let path = format!("/v1/resources/{court}/availability?from=2031-12-02&to=2031-12-03");
    let calls: Vec<_> = (0..40)
        .map(|_| {
            let call = api.get(&path);
            tokio::spawn(async move { call.send().await })
        })
        .collect();
    let mut answered = std::collections::BTreeMap::<u16, usize>::new();
    for call in calls {
        let reply = call.await.expect("a call task panicked");
        if reply.status == 429 {
            reply.expect_error(429, "RATE_LIMITED");
            header(&reply, "retry-after");
        }
        header(&reply, "ratelimit");
        *answered.entry(reply.status).or_default() += 1;
    }
    assert_eq!(answered, [(200, 5), (429, 35)].into(), "answers by status");

    // Health and the providers' webhooks are never counted.
    for _ in 0..10 {
        let health = api.get("/health").send().await;
        assert_ne!(health.status, 429);
        assert!(health.headers.get("ratelimit").is_none());
    }
}

#[tokio::test]
async fn staff_count_in_the_admin_group_wherever_they_write() {
    // The venue, its two payment accounts and its court take four of the admin's six.
    let stack = limited_stack("writes=1/86400,admin=6/86400,public=1000/86400");
    let api = stack.api();
    let (admin, venue, court) = api.madrid_court(json!({"durations": [60]})).await;
    let booked = api.book(&admin, &court, "10:00", "11:00").await;
    booked.expect(201);
    assert_eq!(standing(&booked), ("admin".into(), 1));
    let listed = api
        .get(&format!(
            "/v1/venues/{venue}/bookings?from=2031-12-02&to=2031-12-03"
        ))
        .as_(&admin)
        .send()
        .await;
    listed.expect(200);
    assert_eq!(standing(&listed), ("admin".into(), 0));
    api.get(&format!("/v1/venues/{venue}/payment-accounts"))
        .as_(&admin)
        .send()
        .await
        .expect_error(429, "RATE_LIMITED");
}
