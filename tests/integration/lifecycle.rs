//! A booking's life through the HTTP path: book, see, cancel, holds that lapse and are taken
//! over, idempotent retries, lists, and what a patch changes.

use aws_sdk_dynamodb::types::AttributeValue;
use holdfast_tests::{DAY, Stack, Who, day_slot, shared, slot_booking};
use serde_json::json;

fn taken_starts(availability: &serde_json::Value) -> Vec<String> {
    availability["units"]
        .as_array()
        .expect("units")
        .iter()
        .filter(|u| u["status"] == "taken")
        .map(|u| u["start"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn book_see_cancel_and_book_again() {
    let api = shared().api();
    let (admin, venue, court) = api.madrid_court(json!({})).await;
    let ana = Who::customer();
    let body = day_slot(&court, "10:00", "11:30", "none");

    let booking = api.request_booking(&ana, &body).await.expect(201);
    assert_eq!(booking["status"], "confirmed");
    assert_eq!(booking["units"], 3);
    assert_eq!(booking["price"], json!({"amount": 1800, "currency": "EUR"}));
    assert_eq!(booking["start"], format!("{DAY}T10:00:00+01:00"));
    assert_eq!(booking["venue_id"], venue.as_str());
    assert!(booking["hold_expires_at"].is_null() && booking["payment"].is_null());
    let id = booking["booking_id"].as_str().expect("booking_id");

    let availability_path = format!("/v1/resources/{court}/availability?from={DAY}&to=2031-12-03");
    let availability = api.get(&availability_path).send().await.expect(200);
    assert_eq!(
        taken_starts(&availability),
        [
            format!("{DAY}T10:00:00+01:00"),
            format!("{DAY}T10:30:00+01:00"),
            format!("{DAY}T11:00:00+01:00")
        ]
    );
    assert_eq!(
        availability["units"].as_array().map(Vec::len),
        Some(28),
        "08:00-22:00 is 28 slots"
    );
    assert!(
        !availability.to_string().contains("ana@example.com"),
        "availability shows no customer data"
    );

    assert_eq!(
        api.get(&format!("/v1/bookings/{id}"))
            .as_(&ana)
            .send()
            .await
            .expect(200)["booking_id"],
        id
    );
    assert_eq!(
        api.get(&format!("/v1/bookings/{id}"))
            .as_(&admin)
            .send()
            .await
            .expect(200)["customer"]["name"],
        "Ana Ruiz"
    );

    let cancelled = api
        .post(&format!("/v1/bookings/{id}/cancel"))
        .as_(&ana)
        .send()
        .await
        .expect(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert!(taken_starts(&api.get(&availability_path).send().await.expect(200)).is_empty());
    api.post(&format!("/v1/bookings/{id}/cancel"))
        .as_(&ana)
        .send()
        .await
        .expect_error(409, "INVALID_STATE");
    assert_eq!(
        api.get(&format!("/v1/bookings/{id}"))
            .as_(&ana)
            .send()
            .await
            .expect(200)["status"],
        "cancelled"
    );

    // The freed units sell again.
    api.request_booking(&Who::customer(), &body)
        .await
        .expect(201);
}

#[tokio::test]
async fn a_lapsed_hold_is_taken_over_and_then_expired_by_the_job() {
    // Its own stack: this test moves the clock.
    let stack = Stack::start();
    let api = stack.api();
    let (admin, venue) = api.venue("Europe/Madrid", "EUR").await;
    let court = api.court(&admin, &venue, json!({"hold_minutes": 15})).await;
    let body = day_slot(&court, "18:00", "19:00", "stripe");

    let ana = Who::customer();
    let hold = api.request_booking(&ana, &body).await.expect(201);
    assert_eq!(hold["status"], "held");
    assert_eq!(hold["payment"]["provider"], "stripe");
    assert_eq!(hold["payment"]["status"], "pending");
    assert_eq!(hold["payment"]["amount"], hold["price"]);
    let intent = hold["payment"]["payment_intent_id"].as_str().unwrap();
    assert!(intent.starts_with("pi_"), "{hold}");
    assert!(
        hold["payment"]["client_secret"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{intent}_secret_")),
        "{hold}"
    );
    assert!(hold["hold_expires_at"].as_str().is_some());
    let hold_id = hold["booking_id"].as_str().expect("id").to_string();

    let ben = Who::customer();
    let mut ben_body = body.clone();
    ben_body["payment_provider"] = json!("none");
    api.request_booking(&ben, &ben_body)
        .await
        .expect_error(409, "SLOT_TAKEN");

    // Nothing has tidied the hold yet; its locks lapse on their own.
    api.post("/_local/clock")
        .json(&json!({"advance_seconds": 16 * 60}))
        .send()
        .await
        .expect(200);
    let taken_over = api.request_booking(&ben, &ben_body).await.expect(201);
    assert_eq!(taken_over["status"], "confirmed");
    assert_eq!(
        api.get(&format!("/v1/bookings/{hold_id}"))
            .as_(&ana)
            .send()
            .await
            .expect(200)["status"],
        "expired"
    );

    let job = api
        .post("/_local/jobs/expire-holds")
        .send()
        .await
        .expect(200);
    assert_eq!(job["expired"], json!([hold_id]));
    let again = api
        .post("/_local/jobs/expire-holds")
        .send()
        .await
        .expect(200);
    assert_eq!(again["expired"], json!([]), "a second run finds nothing");

    api.post(&format!("/v1/bookings/{hold_id}/cancel"))
        .as_(&ana)
        .send()
        .await
        .expect_error(409, "INVALID_STATE");
    let availability = api
        .get(&format!(
            "/v1/resources/{court}/availability?from={DAY}&to=2031-12-03"
        ))
        .send()
        .await
        .expect(200);
    assert_eq!(
        taken_starts(&availability).len(),
        2,
        "the job did not free what the new booking took"
    );
}

#[tokio::test]
async fn an_idempotent_retry_answers_the_first_response() {
    let api = shared().api();
    let (_admin, _venue, court) = api.madrid_court(json!({})).await;
    let ana = Who::customer();
    let body = day_slot(&court, "12:00", "13:00", "none");

    let first = api
        .post("/v1/bookings")
        .as_(&ana)
        .header("Idempotency-Key", "key-1")
        .json(&body)
        .send()
        .await
        .expect(201);
    // The same body in another key order and spacing is the same request.
    let reordered: serde_json::Value =
        serde_json::from_str(&serde_json::to_string_pretty(&body).expect("json")).expect("json");
    let again = api
        .post("/v1/bookings")
        .as_(&ana)
        .header("Idempotency-Key", "key-1")
        .json(&reordered)
        .send()
        .await
        .expect(201);
    assert_eq!(first, again);

    let mut other = body.clone();
    other["start"] = json!(format!("{DAY}T14:00:00+01:00"));
    other["end"] = json!(format!("{DAY}T15:00:00+01:00"));
    api.post("/v1/bookings")
        .as_(&ana)
        .header("Idempotency-Key", "key-1")
        .json(&other)
        .send()
        .await
        .expect_error(422, "IDEMPOTENCY_MISMATCH");

    // Twenty racing retries of one new key: one booking, one answer.
    let racing = (0..20).map(|_| {
        let (api, ana, other) = (api.clone(), ana.clone(), other.clone());
        tokio::spawn(async move {
            api.post("/v1/bookings")
                .as_(&ana)
                .header("Idempotency-Key", "key-2")
                .json(&other)
                .send()
                .await
        })
    });
    let mut ids = std::collections::HashSet::new();
    for call in racing.collect::<Vec<_>>() {
        ids.insert(
            call.await.expect("task").expect(201)["booking_id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    assert_eq!(ids.len(), 1);

    let mine = api
        .get("/v1/me/bookings")
        .as_(&ana)
        .send()
        .await
        .expect(200);
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn lists_are_newest_first_paginated_and_filtered() {
    let api = shared().api();
    let (admin, venue, court) = api.madrid_court(json!({})).await;
    let ana = Who::customer();
    let mut ids = Vec::new();
    for (hour, provider) in [(9, "none"), (11, "stripe"), (13, "none")] {
        let body = slot_booking(
            &court,
            &format!("{DAY}T{hour:02}:00:00+01:00"),
            &format!("{DAY}T{:02}:00:00+01:00", hour + 1),
            provider,
        );
        ids.push(
            api.request_booking(&ana, &body).await.expect(201)["booking_id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let mut seen = Vec::new();
    let mut path = "/v1/me/bookings?limit=2".to_string();
    loop {
        let page = api.get(&path).as_(&ana).send().await.expect(200);
        seen.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|b| b["booking_id"].as_str().expect("id").to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/me/bookings?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, every booking once");

    let venue_path = format!("/v1/venues/{venue}/bookings?from={DAY}&to=2031-12-04");
    let all = api.get(&venue_path).as_(&admin).send().await.expect(200);
    assert_eq!(all["items"].as_array().map(Vec::len), Some(3));
    let held = api
        .get(&format!("{venue_path}&status=held"))
        .as_(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(
        held["items"]
            .as_array()
            .map(|i| i.iter().map(|b| b["status"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("held")])
    );
    let first_page = api
        .get(&format!("{venue_path}&limit=1"))
        .as_(&admin)
        .send()
        .await
        .expect(200);
    let cursor = first_page["next_cursor"].as_str().expect("a next page");
    let second_page = api
        .get(&format!("{venue_path}&limit=2&cursor={cursor}"))
        .as_(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(second_page["items"].as_array().map(Vec::len), Some(2));
    let none = api
        .get(&format!(
            "/v1/venues/{venue}/bookings?from=2031-12-03&to=2031-12-04"
        ))
        .as_(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(none["items"], json!([]));
    assert!(none["next_cursor"].is_null());
    api.get(&format!("{venue_path}&cursor=garbage"))
        .as_(&admin)
        .send()
        .await
        .expect_error(400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn the_spring_forward_night_books_real_time() {
    let api = shared().api();
    let (_admin, _venue, court) = api
        .madrid_court(json!({"opening_hours": {"sun": [["00:00", "24:00"]]}, "durations": [60]}))
        .await;
    let body = slot_booking(
        &court,
        "2032-03-28T01:30:00+01:00",
        "2032-03-28T03:30:00+02:00",
        "none",
    );
    let booking = api
        .request_booking(&Who::customer(), &body)
        .await
        .expect(201);
    assert_eq!(
        (booking["units"].clone(), booking["price"]["amount"].clone()),
        (json!(2), json!(1200))
    );
    assert_eq!(booking["end"], "2032-03-28T03:30:00+02:00");
    let day = api
        .get(&format!(
            "/v1/resources/{court}/availability?from=2032-03-28&to=2032-03-29"
        ))
        .send()
        .await
        .expect(200);
    assert_eq!(
        day["units"].as_array().map(Vec::len),
        Some(46),
        "a 23-hour day has 46 half hours"
    );
}

#[tokio::test]
async fn patches_change_what_is_sold() {
    let api = shared().api();
    let (admin, venue, court) = api.madrid_court(json!({})).await;
    let patched = api
        .patch(&format!("/v1/resources/{court}"))
        .as_(&admin)
        .json(&json!({"unit_price": {"amount": 750, "currency": "EUR"}, "durations": [60]}))
        .send()
        .await
        .expect(200);
    assert_eq!(patched["unit_price"]["amount"], 750);
    let ana = Who::customer();
    api.book(&ana, &court, "10:00", "11:30")
        .await
        .expect_error(400, "VALIDATION_ERROR");
    assert_eq!(
        api.book(&ana, &court, "10:00", "11:00").await.expect(201)["price"]["amount"],
        1500
    );

    api.patch(&format!("/v1/resources/{court}"))
        .as_(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .expect(200);
    let venue_body = api
        .get(&format!("/v1/venues/{venue}"))
        .send()
        .await
        .expect(200);
    assert_eq!(venue_body["resources"], json!([]));
    api.book(&ana, &court, "15:00", "16:00")
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_class_sells_each_place_once() {
    let api = shared().api();
    let (admin, _venue, class) = api
        .madrid_court(json!({"name": "Clase de pádel", "capacity": 4, "durations": [60]}))
        .await;
    let body = day_slot(&class, "19:00", "20:00", "none");
    let replies = api.book_concurrently(vec![body; 30]).await;
    let mut statuses = Vec::new();
    let mut booked = Vec::new();
    for reply in replies {
        statuses.push(reply.status);
        if reply.status == 201 {
            booked.push((
                reply.json()["booking_id"].as_str().expect("id").to_string(),
                reply,
            ));
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        26,
        "{statuses:?}"
    );
    let availability_path = format!("/v1/resources/{class}/availability?from={DAY}&to=2031-12-03");
    let places = |v: &serde_json::Value| {
        v["units"]
            .as_array()
            .expect("units")
            .iter()
            .find(|u| u["start"] == format!("{DAY}T19:00:00+01:00"))
            .map(|u| (u["status"].clone(), u["places_left"].clone()))
    };
    assert_eq!(
        places(&api.get(&availability_path).send().await.expect(200)),
        Some((json!("taken"), json!(0)))
    );
    api.post(&format!("/v1/bookings/{}/cancel", booked[0].0))
        .as_(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(
        places(&api.get(&availability_path).send().await.expect(200)),
        Some((json!("free"), json!(1)))
    );
}

#[tokio::test]
async fn an_unreadable_hold_is_skipped_and_counted_while_the_rest_expire() {
    // Its own stack: this test moves the clock and plants a bad item.
    let stack = Stack::start();
    let api = stack.api();
    let (admin, venue) = api.venue("Europe/Madrid", "EUR").await;
    let court = api.court(&admin, &venue, json!({})).await;
    let class = api.court(&admin, &venue, json!({"capacity": 4})).await;
    let mut holds = Vec::new();
    for (resource, hour) in [(&court, 9), (&court, 12), (&class, 9)] {
        let body = slot_booking(
            resource,
            &format!("{DAY}T{hour:02}:00:00+01:00"),
            &format!("{DAY}T{:02}:00:00+01:00", hour + 1),
            "stripe",
        );
        let hold = api
            .request_booking(&Who::customer(), &body)
            .await
            .expect(201);
        holds.push(hold["booking_id"].as_str().expect("id").to_string());
    }
    // A held booking that does not read (written by hand, say), filed first for expiry.
    let app = stack.app().await;
    app.store
        .client()
        .put_item()
        .table_name(&stack.table)
        .item("pk", AttributeValue::S("BOOKING#bkg_broken".into()))
        .item("sk", AttributeValue::S("BOOKING".into()))
        .item("type", AttributeValue::S("booking".into()))
        .item("status", AttributeValue::S("held".into()))
        .item("gsi3pk", AttributeValue::S("HELD#0".into()))
        .item(
            "gsi3sk",
            AttributeValue::S("2000-01-01T00:00:00Z#bkg_broken".into()),
        )
        .send()
        .await
        .expect("plant the unreadable hold");
    stack.clock.advance(16 * 60);

    let job = api
        .post("/_local/jobs/expire-holds")
        .send()
        .await
        .expect(200);
    assert_eq!(job["unreadable"], 1, "{job}");
    assert_eq!(job["failed"], 0, "{job}");
    let mut expired: Vec<String> = serde_json::from_value(job["expired"].clone()).expect("ids");
    expired.sort();
    holds.sort();
    assert_eq!(expired, holds, "{job}");
    // The class's places came back with its status; every lock left is consistent.
    let availability = api
        .get(&format!(
            "/v1/resources/{class}/availability?from={DAY}&to=2031-12-03"
        ))
        .send()
        .await
        .expect(200);
    assert!(taken_starts(&availability).is_empty(), "{availability}");
    holdfast_tests::assert_locks_consistent(&app, &stack.table).await;
}
