//! Payment accounts: stored sealed, shown only as a hint, never in the table or an answer in
//! the clear; a booking through a provider the venue has no account for is refused.

use holdfast_tests::{DAY, Who, mercadopago_account, shared, slot_booking, stripe_account};
use serde_json::json;

#[tokio::test]
async fn accounts_are_sealed_listed_without_secrets_and_gate_online_bookings() {
    let stack = shared();
    let api = stack.api();
    let (admin, venue) = api
        .venue_without_accounts("America/Mexico_City", "MXN")
        .await;
    let court = api
        .court(
            &admin,
            &venue,
            json!({"unit_price": {"amount": 45000, "currency": "MXN"}}),
        )
        .await;
    let hold = slot_booking(
        &court,
        &format!("{DAY}T10:00:00-06:00"),
        &format!("{DAY}T11:00:00-06:00"),
        "stripe",
    );
    let refused = api
        .request_booking(&Who::customer(), &hold)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    assert!(
        refused["error"]["details"]["fields"]["payment_provider"].is_string(),
        "{refused}"
    );

    let accounts = format!("/v1/venues/{venue}/payment-accounts");
    let stripe = api
        .put(&format!("{accounts}/stripe"))
        .as_(&admin)
        .json(&stripe_account())
        .send()
        .await
        .expect(200);
    assert_eq!(
        (stripe["provider"].as_str(), stripe["key_hint"].as_str()),
        (Some("stripe"), Some("…4242"))
    );
    api.put(&format!("{accounts}/mercadopago"))
        .as_(&admin)
        .json(&mercadopago_account())
        .send()
        .await
        .expect(200);
    let listed = api.get(&accounts).as_(&admin).send().await;
    let body = listed.expect(200);
    assert_eq!(body["items"].as_array().map(Vec::len), Some(2), "{body}");
    let mp = body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["provider"] == "mercadopago"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (mp["user_id"].as_str(), mp["last_refresh_error"].clone()),
        (Some("987654321"), json!(null)),
        "{mp}"
    );
    for secret in [
        "holdfastsecret",
        "holdfastwebhooksecret",
        "holdfast-access",
        "holdfast-refresh",
    ] {
        assert!(
            !listed.text.contains(secret),
            "{secret} shown: {}",
            listed.text
        );
        assert!(!stripe.to_string().contains(secret), "{secret} shown");
    }
    // Sealed in the table too: no attribute of any item holds a secret in the clear.
    let items = holdfast_tests::scan_table(&stack.app().await, &stack.table).await;
    let dumped = format!("{items:?}");
    for secret in [
        "holdfastsecret",
        "holdfastwebhooksecret",
        "holdfast-access",
        "holdfast-refresh",
    ] {
        assert!(!dumped.contains(secret), "{secret} stored in the clear");
    }

    api.request_booking(&Who::customer(), &hold)
        .await
        .expect(201);
    api.delete(&format!("{accounts}/stripe"))
        .as_(&admin)
        .send()
        .await
        .expect(204);
    api.delete(&format!("{accounts}/stripe"))
        .as_(&admin)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    let later = slot_booking(
        &court,
        &format!("{DAY}T12:00:00-06:00"),
        &format!("{DAY}T13:00:00-06:00"),
        "stripe",
    );
    api.request_booking(&Who::customer(), &later)
        .await
        .expect_error(400, "VALIDATION_ERROR");
    let mp_hold = slot_booking(
        &court,
        &format!("{DAY}T12:00:00-06:00"),
        &format!("{DAY}T13:00:00-06:00"),
        "mercadopago",
    );
    api.request_booking(&Who::customer(), &mp_hold)
        .await
        .expect(201);
}

#[tokio::test]
async fn bad_or_foreign_account_requests_are_refused_and_write_nothing() {
    let api = shared().api();
    let (admin, venue) = api.venue_without_accounts("Europe/Madrid", "EUR").await;
    let accounts = format!("/v1/venues/{venue}/payment-accounts");
    let bad = api
        .put(&format!("{accounts}/stripe"))
        .as_(&admin)
        .json(&json!({"secret_key": "pk_live_publishable99", "webhook_secret": "whsec_ok_but_lonely"}))
        .send()
        .await;
    let body = bad.expect_error(400, "VALIDATION_ERROR");
    assert!(
        body["error"]["details"]["fields"]["secret_key"].is_string(),
        "{body}"
    );
    assert!(
        !bad.text.contains("pk_live_publishable99"),
        "a refused secret is not echoed"
    );
    api.put(&format!("{accounts}/paypal"))
        .as_(&admin)
        .json(&stripe_account())
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.put(&format!("{accounts}/stripe"))
        .as_(&Who::new_admin())
        .json(&stripe_account())
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    api.put(&format!("{accounts}/stripe"))
        .as_(&Who::customer())
        .json(&stripe_account())
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    api.get(&accounts)
        .as_(&Who::new_admin())
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    let listed = api.get(&accounts).as_(&admin).send().await.expect(200);
    assert_eq!(listed["items"], json!([]), "nothing was stored");
}
