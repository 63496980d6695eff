//! What the whole stack logs while money moves — bookings paid through localstripe and the
//! Mercado Pago stand-in, refunds, refused webhooks, an OAuth connection — holds no secret or
//! token. A binary of its own: capturing logs is a process-wide setting.

// Helpers here stop a test loudly, with context, when the stack misbehaves.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use holdfast_domain::{PaymentProvider, ProviderAccount};
use holdfast_tests::payments::{deliver, intent_of, pay_preference, stripe_hold, succeeded};
use holdfast_tests::{
    DAY, MERCADOPAGO_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET, Stack, Who, capture_logs,
    pay_at_localstripe, slot_booking_for, unique_email,
};
use serde_json::json;

#[tokio::test]
async fn no_secret_or_token_reaches_a_log_line() {
    let logs = capture_logs();
    let stack = Stack::start();
    let api = stack.api();
    let (admin, venue, court) = api.madrid_court(json!({})).await;
    let (ana, hold) = stripe_hold(&api, &court, "10:00", "11:00").await;
    pay_at_localstripe(&intent_of(&hold)).await;
    deliver(&stack, &venue, &succeeded(&hold)).await;
    api.post(&format!(
        "/v1/bookings/{}/cancel",
        hold["booking_id"].as_str().unwrap()
    ))
    .as_(&ana)
    .send()
    .await
    .expect(200);
    let mp = api
        .request_booking(
            &Who::customer(),
            &slot_booking_for(
                &court,
                &unique_email("bea"),
                &format!("{DAY}T12:00:00+01:00"),
                &format!("{DAY}T13:00:00+01:00"),
                "mercadopago",
            ),
        )
        .await
        .expect(201);
    pay_preference(mp["payment"]["preference_id"].as_str().unwrap(), None).await;
    api.post(&format!("/webhooks/stripe/{venue}"))
        .header("stripe-signature", "t=1,v1=00")
        .raw("application/json", "{}")
        .send()
        .await
        .expect(401);
    api.get(&format!("/v1/venues/{venue}/payment-accounts"))
        .as_(&admin)
        .send()
        .await
        .expect(200);
    // OAuth: a connection whose tokens come from the stand-in.
    let connect = api
        .get(&format!(
            "/v1/venues/{venue}/payment-accounts/mercadopago/connect"
        ))
        .as_(&admin)
        .send()
        .await
        .expect(200);
    let approved = holdfast_tests::http_client(false)
        .get(connect["authorize_url"].as_str().expect("authorize_url"))
        .send()
        .await
        .expect("the stand-in answers");
    let back: reqwest::Url = approved.headers()["location"]
        .to_str()
        .expect("a location")
        .parse()
        .expect("a URL");
    api.get(&format!(
        "/oauth/mercadopago/callback?{}",
        back.query().unwrap_or_default()
    ))
    .send()
    .await
    .expect(200);
    let app = stack.app().await;
    let sealed = app
        .store
        .sealed_account(&venue, PaymentProvider::MercadoPago)
        .await
        .expect("read")
        .expect("connected");
    let owner = holdfast_vault::Owner {
        venue_id: &venue,
        provider: "mercadopago",
    };
    let opened = app
        .vault
        .as_ref()
        .expect("a vault")
        .open(&sealed, owner)
        .await
        .expect("opened");
    let Some(ProviderAccount::MercadoPago(connected)) =
        ProviderAccount::from_sealed(PaymentProvider::MercadoPago, &opened)
    else {
        panic!("not a Mercado Pago account");
    };
    let state = back
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state");

    let text = logs.text();
    assert!(
        text.contains("Stripe webhook")
            && text.contains("refund asked")
            && text.contains("Mercado Pago webhook"),
        "the server's own lines were captured: {text}"
    );
    for secret in [
        "sk_test_holdfastsecret4242",
        STRIPE_WEBHOOK_SECRET,
        "APP_USR-holdfast-access-1234",
        "TG-holdfast-refresh-5678",
        MERCADOPAGO_WEBHOOK_SECRET,
        "holdfast-dev-client-secret",
        hold["payment"]["client_secret"].as_str().unwrap(),
        connected.access_token.expose(),
        connected.refresh_token.expose(),
        state.as_str(),
    ] {
        let leaks: Vec<&str> = text.lines().filter(|l| l.contains(secret)).collect();
        assert!(leaks.is_empty(), "{secret} was logged: {leaks:?}");
    }
}
