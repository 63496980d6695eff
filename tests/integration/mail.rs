//! Mail end to end through the local stack: a booking change goes from its transaction through
//! the outbox and the queue to the notifier and out of moto's SES, once per recipient, in the
//! venue's language, with the venue's local time.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use holdfast_api::services::notifier::Notifier;
use holdfast_domain::{Notice, NoticeKind};
use holdfast_functions::notifier;
use holdfast_tests::{Api, DAY, Stack, Who, assert_within, shared, slot_booking_for, unique_email};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

/// A court at a venue of its own whose desk has an address of its own, in `language`.
async fn court_with_desk(api: &Api, time_zone: &str, language: &str) -> (Who, String, String) {
    let (admin, venue) = api.venue(time_zone, "EUR").await;
    let desk = unique_email("desk");
    api.patch(&format!("/v1/venues/{venue}"))
        .as_(&admin)
        .json(&json!({"contact_email": desk, "language": language}))
        .send()
        .await
        .expect(200);
    let court = api
        .court(&admin, &venue, json!({"name": "Pista 1", "opening_hours": {"sun": [["00:00", "24:00"]], "tue": [["08:00", "22:00"]]}}))
        .await;
    (admin, desk, court)
}

fn subjects(mails: &[Value]) -> Vec<String> {
    mails
        .iter()
        .map(|m| m["subject"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_booking_mails_customer_and_desk_once_and_a_cancellation_once_more() {
    let api = shared().api();
    let (_admin, desk, court) = court_with_desk(&api, "Europe/Madrid", "es").await;
    let ana = Who::customer();
    let email = unique_email("ana");
    let booked = api
        .request_booking(
            &ana,
            &slot_booking_for(
                &court,
                &email,
                &format!("{DAY}T10:00:00+01:00"),
                &format!("{DAY}T11:30:00+01:00"),
                "none",
            ),
        )
        .await
        .expect(201);
    let id = booked["booking_id"].as_str().expect("id");
    let mails = api.mail_to(&email, 1).await;
    assert_eq!(
        subjects(&mails),
        ["Reserva confirmada: Pista 1, 2031-12-02, 10:00–11:30"]
    );
    let mail = &mails[0];
    assert_eq!(mail["from"], "no-reply@holdfast.example");
    for part in ["text", "html"] {
        let body = mail[part].as_str().unwrap_or_default();
        assert!(
            body.contains(id) && body.contains("Club Padel Norte") && body.contains("18.00 EUR"),
            "{part}: {body}"
        );
    }
    let alerts = api.mail_to(&desk, 1).await;
    assert_eq!(
        subjects(&alerts),
        ["Nueva reserva: Pista 1, 2031-12-02, 10:00–11:30"]
    );
    assert!(
        alerts[0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains(&email)
    );

    api.post(&format!("/v1/bookings/{id}/cancel"))
        .as_(&ana)
        .send()
        .await
        .expect(200);
    let mails = api.mail_to(&email, 2).await;
    assert_eq!(
        subjects(&mails),
        [
            "Reserva confirmada: Pista 1, 2031-12-02, 10:00–11:30",
            "Reserva cancelada: Pista 1, 2031-12-02, 10:00–11:30"
        ]
    );
    assert_eq!(api.mail_to(&desk, 2).await.len(), 2);
    // Nothing more arrives later: one mail per event and recipient.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(api.mail_to(&email, 0).await.len(), 2);
    assert_eq!(api.mail_to(&desk, 0).await.len(), 2);
}

#[tokio::test]
async fn english_venues_read_in_english_and_a_dst_night_shows_its_wall_clock() {
    let api = shared().api();
    let (admin, desk, court) = court_with_desk(&api, "Europe/Madrid", "en").await;
    api.patch(&format!("/v1/resources/{court}"))
        .as_(&admin)
        .json(&json!({"durations": [60, 90, 120]}))
        .send()
        .await
        .expect(200);
    let email = unique_email("ben");
    // Madrid's spring-forward night: 01:30+01:00 to 03:30+02:00 is one real hour.
    api.request_booking(
        &Who::customer(),
        &slot_booking_for(
            &court,
            &email,
            "2027-03-28T01:30:00+01:00",
            "2027-03-28T03:30:00+02:00",
            "none",
        ),
    )
    .await
    .expect(201);
    assert_eq!(
        subjects(&api.mail_to(&email, 1).await),
        ["Booking confirmed: Pista 1, 2027-03-28, 01:30–03:30"]
    );
    assert_eq!(
        subjects(&api.mail_to(&desk, 1).await),
        ["New booking: Pista 1, 2027-03-28, 01:30–03:30"]
    );
}

#[tokio::test]
async fn a_desk_that_wants_no_alerts_gets_none() {
    let api = shared().api();
    let (admin, desk, court) = court_with_desk(&api, "America/Lima", "es").await;
    let venue = api
        .get(&format!(
            "/v1/resources/{court}/availability?from={DAY}&to=2031-12-03"
        ))
        .send()
        .await
        .expect(200);
    assert_eq!(venue["time_zone"], "America/Lima");
    let venue_id = {
        let booking = api
            .request_booking(
                &Who::customer(),
                &slot_booking_for(
                    &court,
                    &unique_email("x"),
                    &format!("{DAY}T08:00:00-05:00"),
                    &format!("{DAY}T09:00:00-05:00"),
                    "none",
                ),
            )
            .await
            .expect(201);
        booking["venue_id"].as_str().expect("venue_id").to_string()
    };
    assert_eq!(api.mail_to(&desk, 1).await.len(), 1);
    api.patch(&format!("/v1/venues/{venue_id}"))
        .as_(&admin)
        .json(&json!({"staff_alerts": false}))
        .send()
        .await
        .expect(200);
    let email = unique_email("quiet");
    api.request_booking(
        &Who::customer(),
        &slot_booking_for(
            &court,
            &email,
            &format!("{DAY}T10:00:00-05:00"),
            &format!("{DAY}T11:00:00-05:00"),
            "none",
        ),
    )
    .await
    .expect(201);
    assert_eq!(
        api.mail_to(&email, 1).await.len(),
        1,
        "the customer still hears"
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        api.mail_to(&desk, 0).await.len(),
        1,
        "the desk asked for no more alerts"
    );
}

#[tokio::test]
async fn a_lapsed_hold_mails_its_customer_once() {
    // Its own stack: it moves the clock.
    let stack = Stack::start();
    let api = stack.api();
    let (_admin, desk, court) = court_with_desk(&api, "Europe/Madrid", "en").await;
    let email = unique_email("late");
    api.request_booking(
        &Who::customer(),
        &slot_booking_for(
            &court,
            &email,
            &format!("{DAY}T18:00:00+01:00"),
            &format!("{DAY}T19:00:00+01:00"),
            "stripe",
        ),
    )
    .await
    .expect(201);
    stack.clock.advance(16 * 60);
    api.post("/_local/jobs/expire-holds")
        .send()
        .await
        .expect(200);
    api.post("/_local/jobs/expire-holds")
        .send()
        .await
        .expect(200);
    assert_eq!(
        subjects(&api.mail_to(&email, 1).await),
        ["Your unpaid booking has lapsed: Pista 1, 2031-12-02, 18:00–19:00"]
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(api.mail_to(&email, 0).await.len(), 1);
    assert!(
        api.mail_to(&desk, 0).await.is_empty(),
        "a lapsed hold is no news for the desk"
    );
}

fn sqs_event(bodies: &[String]) -> LambdaEvent<SqsEvent> {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({"messageId": format!("m{i}"), "receiptHandle": format!("r{i}"), "body": body,
                                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:local:notifications",
                                "awsRegion": "us-east-1"}))
        .collect();
    LambdaEvent::new(
        serde_json::from_value(json!({"Records": records})).expect("an SQS event"),
        Context::default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redelivered_notices_mail_once_and_a_poison_notice_fails_alone() {
    let stack = holdfast_tests::shared();
    let api = stack.api();
    let notifier = Arc::new(
        Notifier::from_config(&stack.config)
            .await
            .expect("a notifier"),
    );
    let (_admin, _desk, court) = court_with_desk(&api, "Europe/Madrid", "es").await;
    let mut bookings = Vec::new();
    for hour in 8..18 {
        let email = unique_email("batch");
        let booked = api
            .request_booking(
                &Who::customer(),
                &slot_booking_for(
                    &court,
                    &email,
                    &format!("{DAY}T{hour:02}:00:00+01:00"),
                    &format!("{DAY}T{:02}:00:00+01:00", hour + 1),
                    "none",
                ),
            )
            .await
            .expect(201);
        bookings.push((
            booked["booking_id"].as_str().expect("id").to_string(),
            email,
        ));
    }
    let reminder = |id: &str| {
        serde_json::to_string(&Notice::new(
            NoticeKind::Reminder,
            &holdfast_domain::BookingId::from(id),
            jiff::Timestamp::now(),
        ))
        .expect("json")
    };

    // The same notice three times at once: one mail.
    let (first, first_email) = &bookings[0];
    let body = reminder(first);
    let deliveries: Vec<_> = (0..3)
        .map(|_| {
            let (notifier, body) = (notifier.clone(), body.clone());
            tokio::spawn(async move {
                notifier::handler(&notifier, sqs_event(&[body]))
                    .await
                    .expect("handled")
            })
        })
        .collect();
    for delivery in deliveries {
        delivery.await.expect("a delivery panicked");
    }
    // ...and three times more, one after another, after it went.
    for _ in 0..3 {
        let response = notifier::handler(&notifier, sqs_event(std::slice::from_ref(&body)))
            .await
            .expect("handled");
        assert!(
            response.batch_item_failures.is_empty(),
            "a sent notice is done: {response:?}"
        );
    }
    let reminders = |mails: Vec<Value>| {
        subjects(&mails)
            .into_iter()
            .filter(|s| s.starts_with("Recordatorio"))
            .count()
    };
    assert_eq!(reminders(api.mail_to(first_email, 2).await), 1);

    // A batch of ten with one poison message: nine mailed, one reported failed.
    let mut batch: Vec<String> = bookings[1..].iter().map(|(id, _)| reminder(id)).collect();
    batch.insert(4, "{\"not\": \"a notice\"}".to_string());
    assert_eq!(batch.len(), 10);
    let response = notifier::handler(&notifier, sqs_event(&batch))
        .await
        .expect("handled");
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m4"], "only the poison fails");
    for (_, email) in &bookings[1..] {
        assert_eq!(reminders(api.mail_to(email, 2).await), 1, "{email}");
    }
    // A notice of a booking that does not exist is poison too.
    let response = notifier::handler(&notifier, sqs_event(&[reminder("bkg_that_does_not_exist")]))
        .await
        .expect("handled");
    assert_eq!(response.batch_item_failures.len(), 1);
}

#[tokio::test]
async fn a_poison_message_ends_in_the_dead_letter_queue() {
    let stack = Stack::start();
    let queue = stack
        .config
        .notifications_queue_url
        .clone()
        .expect("a queue");
    let sqs =
        holdfast_local::emulator_sqs(stack.config.aws_endpoint.as_deref().unwrap_or_default());
    sqs.send_message()
        .queue_url(&queue)
        .message_body("this is no notice")
        .send()
        .await
        .expect("send");
    let dlq = format!("{queue}-dlq");
    let started = std::time::Instant::now();
    let allowed = std::time::Duration::from_secs(30);
    loop {
        let out = sqs
            .receive_message()
            .queue_url(&dlq)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive from the DLQ");
        if let Some(message) = out.messages().first() {
            assert_eq!(message.body(), Some("this is no notice"));
            break;
        }
        assert!(
            started.elapsed() < allowed,
            "the poison never reached the DLQ"
        );
    }
    // Margin (2026-12-03): 15.2 s of 30: five receives (maxReceiveCount), each failed one made
    // visible again after the local server's 3 s retry; it is set by those, not by load.
    assert_within(
        "a poison message reaches the DLQ",
        started.elapsed(),
        allowed,
    );
}

#[tokio::test]
async fn a_booking_made_while_the_queue_is_frozen_is_still_mailed_once() {
    let moto = holdfast_tests::OwnService::moto();
    let dynamo = std::env::var("HOLDFAST_TEST_DYNAMODB_ENDPOINT").expect("make test sets it");
    let stack = Stack::start_with(dynamo, moto.endpoint.clone(), holdfast_tests::Notify::Mail);
    let api = stack.api();
    let (_admin, desk, court) = court_with_desk(&api, "Europe/Madrid", "es").await;
    let email = unique_email("frozen");

    // The path between commit and send is cut (the queue does not answer) for longer than the
    // request tries (1.5 s).
    moto.while_frozen(std::time::Duration::from_secs(2), async {
        api.request_booking(
            &Who::customer(),
            &slot_booking_for(
                &court,
                &email,
                &format!("{DAY}T10:00:00+01:00"),
                &format!("{DAY}T11:00:00+01:00"),
                "none",
            ),
        )
        .await
        .expect(201);
    })
    .await;
    // The outbox sweep sends what the request could not; the mail arrives, once.
    stack.clock.advance(60);
    api.post("/_local/jobs/publish-notices")
        .send()
        .await
        .expect(200);
    assert_eq!(
        subjects(&api.mail_to(&email, 1).await),
        ["Reserva confirmada: Pista 1, 2031-12-02, 10:00–11:00"]
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(api.mail_to(&email, 0).await.len(), 1);
    assert_eq!(api.mail_to(&desk, 1).await.len(), 1);
}
