//! Who may do what: no token is 401, another organisation's venue is 403, another customer's
//! booking is 404.

use holdfast_tests::{DAY, Who, day_slot, raw_token, shared};
use serde_json::json;

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let api = shared().api();
    let body = day_slot("res_x", "10:00", "11:00", "none");
    api.post("/v1/bookings")
        .json(&body)
        .send()
        .await
        .expect_error(401, "UNAUTHENTICATED");
    api.post("/v1/bookings")
        .header("Authorization", "Bearer not.a.token")
        .json(&body)
        .send()
        .await
        .expect_error(401, "UNAUTHENTICATED");
    api.get("/v1/me/bookings")
        .send()
        .await
        .expect_error(401, "UNAUTHENTICATED");
    // Public routes need none.
    api.get("/health").send().await.expect(200);
    api.get("/v1/venues/ven_nope")
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.get("/v1/nowhere")
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn empty_and_null_claims_are_absent() {
    let api = shared().api();
    let venue = json!({"name": "Club Nulo", "time_zone": "Europe/Madrid", "currency": "EUR", "contact_email": "a@b.example"});
    for org_id in [json!(null), json!(""), json!("  ")] {
        let token = raw_token(json!({"sub": "staff-null", "org_id": org_id, "groups": ["admin"]}));
        api.post("/v1/venues")
            .header("Authorization", &format!("Bearer {token}"))
            .json(&venue)
            .send()
            .await
            .expect_error(403, "FORBIDDEN");
    }
    for sub in [json!(null), json!("")] {
        let token = raw_token(json!({"sub": sub}));
        api.get("/v1/me/bookings")
            .header("Authorization", &format!("Bearer {token}"))
            .send()
            .await
            .expect_error(401, "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn another_organisation_is_refused() {
    let api = shared().api();
    let (_owner, venue, court) = api.madrid_court(json!({})).await;
    let intruder = Who::new_admin();
    let customer = Who::customer();

    api.post("/v1/venues")
        .as_(&customer)
        .json(&json!({"name": "Mine", "time_zone": "Europe/Madrid", "currency": "EUR", "contact_email": "a@b.example"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    let resource = json!({"name": "Court 9", "kind": "slots", "slot_minutes": 30, "durations": [60],
        "opening_hours": {"mon": [["08:00", "22:00"]]}, "unit_price": {"amount": 600, "currency": "EUR"}});
    api.post(&format!("/v1/venues/{venue}/resources"))
        .as_(&intruder)
        .json(&resource)
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    api.post(&format!("/v1/venues/{venue}/resources"))
        .as_(&customer)
        .json(&resource)
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    api.patch(&format!("/v1/resources/{court}"))
        .as_(&intruder)
        .json(&json!({"active": false}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    api.get(&format!(
        "/v1/venues/{venue}/bookings?from={DAY}&to=2031-12-03"
    ))
    .as_(&intruder)
    .send()
    .await
    .expect_error(403, "FORBIDDEN");

    // Nothing changed: the court is still listed, active.
    let listed = api
        .get(&format!("/v1/venues/{venue}"))
        .send()
        .await
        .expect(200);
    assert_eq!(listed["resources"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn another_customers_booking_does_not_exist_for_you() {
    let api = shared().api();
    let (_owner, _venue, court) = api.madrid_court(json!({})).await;
    let ana = Who::customer();
    let body = day_slot(&court, "20:00", "21:00", "none");
    let id = api.request_booking(&ana, &body).await.expect(201)["booking_id"]
        .as_str()
        .expect("id")
        .to_string();

    let ben = Who::customer();
    api.get(&format!("/v1/bookings/{id}"))
        .as_(&ben)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.post(&format!("/v1/bookings/{id}/cancel"))
        .as_(&ben)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.get(&format!("/v1/bookings/{id}"))
        .as_(&Who::new_admin())
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    assert_eq!(
        api.get("/v1/me/bookings")
            .as_(&ben)
            .send()
            .await
            .expect(200)["items"],
        json!([])
    );
    // Still Ana's, still confirmed.
    assert_eq!(
        api.get(&format!("/v1/bookings/{id}"))
            .as_(&ana)
            .send()
            .await
            .expect(200)["status"],
        "confirmed"
    );
}
