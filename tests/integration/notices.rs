//! Notices out of the booking core: every change that someone must hear of reaches the
//! notifications queue, once its transaction commits, even when the queue could not be reached
//! at that moment (the outbox sweep sends it later).

use std::collections::BTreeSet;

use holdfast_domain::NoticeKind;
use holdfast_tests::{DAY, Notify, OwnService, Stack, Who, aws_endpoint, slot_booking};
use serde_json::json;

fn kinds(notices: &[holdfast_domain::Notice]) -> BTreeSet<(String, NoticeKind)> {
    notices
        .iter()
        .map(|n| (n.about.id().to_string(), n.kind))
        .collect()
}

fn id(reply: &serde_json::Value) -> String {
    reply["booking_id"]
        .as_str()
        .expect("booking_id")
        .to_string()
}

#[tokio::test]
async fn every_change_someone_must_hear_of_reaches_the_queue() {
    // Its own stack, with no notifier taking from its queue: it reads the queue and moves the
    // clock.
    let dynamo = std::env::var("HOLDFAST_TEST_DYNAMODB_ENDPOINT").expect("make test sets it");
    let stack = Stack::start_with(dynamo, aws_endpoint(), Notify::Queue);
    let api = stack.api();
    let (_admin, _venue, court) = api.madrid_court(json!({})).await;
    let ana = Who::customer();
    let at = |h: u32| format!("{DAY}T{h:02}:00:00+01:00");
    let booked = id(&api
        .request_booking(&ana, &slot_booking(&court, &at(9), &at(10), "none"))
        .await
        .expect(201));
    let held = id(&api
        .request_booking(&ana, &slot_booking(&court, &at(12), &at(13), "stripe"))
        .await
        .expect(201));
    let cancelled = id(&api
        .request_booking(&ana, &slot_booking(&court, &at(15), &at(16), "none"))
        .await
        .expect(201));
    api.post(&format!("/v1/bookings/{cancelled}/cancel"))
        .as_(&ana)
        .send()
        .await
        .expect(200);
    assert_eq!(
        kinds(&stack.queued_notices().await),
        BTreeSet::from([
            (booked.clone(), NoticeKind::Confirmed),
            (cancelled.clone(), NoticeKind::Confirmed),
            (cancelled, NoticeKind::Cancelled),
        ]),
        "a new hold is told nothing until it is paid or lapses"
    );
    stack.clock.advance(16 * 60);
    api.post("/_local/jobs/expire-holds")
        .send()
        .await
        .expect(200);
    assert_eq!(
        kinds(&stack.queued_notices().await),
        BTreeSet::from([(held, NoticeKind::Expired)])
    );
    // Everything was handed over at once: the outbox is empty.
    stack.clock.advance(60);
    let sweep = api
        .post("/_local/jobs/publish-notices")
        .send()
        .await
        .expect(200);
    assert_eq!(
        (sweep["pending"].as_u64(), sweep["sent"].as_u64()),
        (Some(0), Some(0)),
        "{sweep}"
    );
}

#[tokio::test]
async fn a_change_committed_while_the_queue_is_frozen_is_sent_by_the_sweep() {
    let moto = OwnService::moto();
    let dynamo = std::env::var("HOLDFAST_TEST_DYNAMODB_ENDPOINT").expect("make test sets it");
    let stack = Stack::start_with(dynamo, moto.endpoint.clone(), Notify::Queue);
    let api = stack.api();
    let (_admin, _venue, court) = api.madrid_court(json!({})).await;
    let ana = Who::customer();

    // The path between commit and send is cut (the queue does not answer) for longer than the
    // request tries (1.5 s).
    let booking = moto
        .while_frozen(std::time::Duration::from_secs(2), async {
            api.book(&ana, &court, "09:00", "10:00").await.expect(201)
        })
        .await;
    let booking = id(&booking);
    // The queue may yet take the request it held while frozen; the request could not know, so
    // the notice stayed in the outbox too.
    let mut delivered = stack.queued_notices().await;

    // A sweep too early leaves it to the request that may still be sending it.
    let early = api
        .post("/_local/jobs/publish-notices")
        .send()
        .await
        .expect(200);
    assert_eq!(early["pending"], 0, "{early}");
    stack.clock.advance(60);
    let sweep = api
        .post("/_local/jobs/publish-notices")
        .send()
        .await
        .expect(200);
    assert_eq!(
        (sweep["pending"].as_u64(), sweep["sent"].as_u64()),
        (Some(1), Some(1)),
        "{sweep}"
    );
    delivered.extend(stack.queued_notices().await);
    assert!(
        !delivered.is_empty() && delivered.len() <= 2,
        "{delivered:?}"
    );
    assert_eq!(
        kinds(&delivered),
        BTreeSet::from([(booking, NoticeKind::Confirmed)]),
        "at least once, always the same notice (the notifier mails it once)"
    );
    let again = api
        .post("/_local/jobs/publish-notices")
        .send()
        .await
        .expect(200);
    assert_eq!(
        again["pending"], 0,
        "sent once, then gone from the outbox: {again}"
    );
}
