//! Bad input gets a clear 4xx in the one error shape, and writes nothing: the table holds the
//! same items before and after.

use holdfast_tests::{DAY, Reply, Stack, Who, slot_booking, stay_booking};
use serde_json::{Value, json};

/// Checks a refusal: status, code, and (for 400) the field named.
#[track_caller]
fn refused(reply: &Reply, status: u16, code: &str, field: Option<&str>) {
    let body = reply.expect_error(status, code);
    if let Some(field) = field {
        let fields = &body["error"]["details"]["fields"];
        assert!(
            fields.get(field).and_then(Value::as_str).is_some(),
            "{} should name {field}: {}",
            reply.request,
            reply.text
        );
    }
}

#[tokio::test]
async fn bad_requests_are_refused_and_write_nothing() {
    let stack = Stack::start();
    let api = stack.api();
    let (admin, venue) = api.venue("Europe/Madrid", "EUR").await;
    let court = api.court(&admin, &venue, json!({})).await;
    let cabin = api
        .post(&format!("/v1/venues/{venue}/resources"))
        .as_(&admin)
        .json(&json!({"name": "Cabaña", "kind": "nights", "max_nights": 7, "unit_price": {"amount": 9000, "currency": "EUR"}}))
        .send()
        .await
        .expect(201)["resource_id"]
        .as_str()
        .expect("id")
        .to_string();
    let before = stack.table_snapshot().await;
    let ana = Who::customer();
    let at = |time: &str| format!("{DAY}T{time}:00+01:00");
    let book = |body: Value| api.post("/v1/bookings").as_(&ana).json(&body);

    let mut wrong_type = slot_booking(&court, &at("10:00"), &at("11:00"), "none");
    wrong_type["customer"]["email"] = json!(42);
    refused(
        &book(wrong_type).send().await,
        400,
        "VALIDATION_ERROR",
        Some("customer.email"),
    );
    let mut unknown = slot_booking(&court, &at("10:00"), &at("11:00"), "none");
    unknown["colour"] = json!("red");
    refused(
        &book(unknown).send().await,
        400,
        "VALIDATION_ERROR",
        Some("colour"),
    );
    refused(
        &book(slot_booking("res_nope", &at("10:00"), &at("11:00"), "none"))
            .send()
            .await,
        404,
        "NOT_FOUND",
        None,
    );
    // Off the grid, a duration not offered, before opening, past closing, end before start.
    for (start, end, field) in [
        ("10:15", "11:15", "start"),
        ("10:00", "10:30", "end"),
        ("07:00", "08:00", "start"),
        ("21:30", "22:30", "end"),
        ("11:00", "10:00", "end"),
    ] {
        let reply = book(slot_booking(&court, &at(start), &at(end), "none"))
            .send()
            .await;
        refused(&reply, 400, "VALIDATION_ERROR", Some(field));
    }
    refused(
        &book(slot_booking(
            &court,
            "2020-01-07T10:00:00+01:00",
            "2020-01-07T11:00:00+01:00",
            "none",
        ))
        .send()
        .await,
        400,
        "VALIDATION_ERROR",
        Some("start"),
    );
    refused(
        &book(slot_booking(&court, &at("10:00"), &at("11:00"), "paypal"))
            .send()
            .await,
        400,
        "VALIDATION_ERROR",
        Some("payment_provider"),
    );
    refused(
        &book(slot_booking(
            &court,
            &format!("{DAY}T10:00:00"),
            &at("11:00"),
            "none",
        ))
        .send()
        .await,
        400,
        "VALIDATION_ERROR",
        Some("start"),
    );
    let too_long = book(stay_booking(&cabin, "2031-12-01", "2031-12-20"))
        .send()
        .await;
    refused(&too_long, 400, "VALIDATION_ERROR", Some("check_out"));
    assert!(too_long.text.contains("1 to 7 nights"), "{}", too_long.text);
    refused(
        &book(stay_booking(&court, "2031-12-01", "2031-12-03"))
            .send()
            .await,
        400,
        "VALIDATION_ERROR",
        Some("start"),
    );

    let raw = |content_type: &str, body: Vec<u8>| {
        api.post("/v1/bookings").as_(&ana).raw(content_type, body)
    };
    refused(
        &raw("application/json", b"{\"resource_id\": ".to_vec())
            .send()
            .await,
        400,
        "VALIDATION_ERROR",
        Some("body"),
    );
    refused(
        &raw("application/json", Vec::new()).send().await,
        400,
        "VALIDATION_ERROR",
        Some("body"),
    );
    refused(
        &raw("text/plain", b"{}".to_vec()).send().await,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        None,
    );
    let mut huge = br#"{"resource_id": ""#.to_vec();
    huge.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    huge.extend(br#""}"#);
    refused(
        &raw("application/json", huge).send().await,
        413,
        "PAYLOAD_TOO_LARGE",
        None,
    );
    // 64 KiB is the limit of a request's body; a webhook's is 256 KiB, checked before its
    // signature (so an oversized unsigned one is 413, a smaller one 401).
    let padded = |bytes: usize| {
        let mut body = br#"{"resource_id": ""#.to_vec();
        body.extend(std::iter::repeat_n(b'x', bytes));
        body.extend(br#""}"#);
        body
    };
    refused(
        &raw("application/json", padded(100 * 1024)).send().await,
        413,
        "PAYLOAD_TOO_LARGE",
        None,
    );
    let webhook = |body: Vec<u8>| {
        api.post(&format!("/webhooks/stripe/{venue}"))
            .raw("application/json", body)
    };
    refused(
        &webhook(padded(100 * 1024)).send().await,
        401,
        "UNAUTHENTICATED",
        None,
    );
    refused(
        &webhook(padded(300 * 1024)).send().await,
        413,
        "PAYLOAD_TOO_LARGE",
        None,
    );
    // An id longer than any id is no such resource, not a key the table refuses.
    refused(
        &book(slot_booking(
            &"r".repeat(2048),
            &at("10:00"),
            &at("11:00"),
            "none",
        ))
        .send()
        .await,
        404,
        "NOT_FOUND",
        None,
    );
    let long_key = "k".repeat(300);
    refused(
        &book(slot_booking(&court, &at("10:00"), &at("11:00"), "none"))
            .header("Idempotency-Key", &long_key)
            .send()
            .await,
        400,
        "VALIDATION_ERROR",
        Some("Idempotency-Key"),
    );

    // Venues and resources are checked as strictly.
    let bad_venue = json!({"name": "X", "time_zone": "Europe/Atlantis", "currency": "EUR", "contact_email": "a@b.example"});
    refused(
        &api.post("/v1/venues")
            .as_(&admin)
            .json(&bad_venue)
            .send()
            .await,
        400,
        "VALIDATION_ERROR",
        Some("time_zone"),
    );
    let too_many_nights = json!({"name": "Casa", "kind": "nights", "max_nights": 120, "unit_price": {"amount": 1, "currency": "EUR"}});
    let reply = api
        .post(&format!("/v1/venues/{venue}/resources"))
        .as_(&admin)
        .json(&too_many_nights)
        .send()
        .await;
    refused(&reply, 400, "VALIDATION_ERROR", Some("max_nights"));
    assert!(
        reply.text.contains("92"),
        "the limit is said: {}",
        reply.text
    );
    let wrong_currency = json!({"name": "C", "kind": "slots", "slot_minutes": 30, "durations": [60],
        "opening_hours": {"mon": [["08:00", "22:00"]]}, "unit_price": {"amount": 600, "currency": "MXN"}});
    refused(
        &api.post(&format!("/v1/venues/{venue}/resources"))
            .as_(&admin)
            .json(&wrong_currency)
            .send()
            .await,
        400,
        "VALIDATION_ERROR",
        Some("unit_price.currency"),
    );
    refused(
        &api.patch(&format!("/v1/resources/{court}"))
            .as_(&admin)
            .json(&json!({"capacity": 9}))
            .send()
            .await,
        400,
        "VALIDATION_ERROR",
        Some("capacity"),
    );

    // Query strings too.
    let availability = format!("/v1/resources/{court}/availability");
    refused(
        &api.get(&format!("{availability}?from={DAY}")).send().await,
        400,
        "VALIDATION_ERROR",
        Some("to"),
    );
    refused(
        &api.get(&format!("{availability}?from={DAY}&to=2032-06-01"))
            .send()
            .await,
        400,
        "VALIDATION_ERROR",
        Some("to"),
    );
    refused(
        &api.get(&format!("{availability}?from=tomorrow&to=2032-01-01"))
            .send()
            .await,
        400,
        "VALIDATION_ERROR",
        Some("from"),
    );
    refused(
        &api.get(&format!(
            "{availability}?from={DAY}&to=2031-12-03&fields=all"
        ))
        .send()
        .await,
        400,
        "VALIDATION_ERROR",
        Some("fields"),
    );
    refused(
        &api.get("/v1/me/bookings?limit=500").as_(&ana).send().await,
        400,
        "VALIDATION_ERROR",
        Some("limit"),
    );
    refused(
        &api.get(&format!(
            "/v1/venues/{venue}/bookings?from={DAY}&to=2031-12-03&status=lost"
        ))
        .as_(&admin)
        .send()
        .await,
        400,
        "VALIDATION_ERROR",
        Some("status"),
    );

    let after = stack.table_snapshot().await;
    let written: Vec<&(String, String)> = after
        .iter()
        .filter(|(key, item)| before.get(*key) != Some(*item))
        .map(|(key, _)| key)
        .chain(before.keys().filter(|key| !after.contains_key(*key)))
        .collect();
    assert!(
        written.is_empty(),
        "refused requests wrote, overwrote or deleted these items: {written:?}"
    );
}
