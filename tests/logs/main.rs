//! What the whole stack logs while money moves — bookings paid through localstripe and the
//! Mercado Pago stand-in and at the desk, refunds, refused webhooks, an OAuth connection, an
//! iCal export — holds no secret, token, customer email or phone; every line is JSON, and every
//! metric line is EMF that CloudWatch takes. A binary of its own: capturing logs is
//! process-wide.

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
async fn no_secret_token_or_customer_detail_reaches_a_log_line_and_every_metric_is_emf() {
    let logs = capture_logs();
    let stack = Stack::start();
    let api = stack.api();
    let (admin, venue, court) = api.madrid_court(json!({})).await;
    // At the desk, with a phone; then the same time again, a conflict.
    let desk = Who::customer();
    let at_desk = api.book(&desk, &court, "16:00", "17:00").await.expect(201);
    api.book(&Who::customer(), &court, "16:00", "17:00")
        .await
        .expect_error(409, "SLOT_TAKEN");
    let export_url = api.export_url(&admin, &court).await;
    let path = export_url
        .split_once("/ical/")
        .map(|(_, p)| format!("/ical/{p}"));
    api.get(&path.expect("an export path"))
        .send()
        .await
        .expect(200);
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
    let mut metrics = std::collections::BTreeSet::new();
    for line in text.lines() {
        let parsed: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"));
        if parsed.get("_aws").is_some() {
            let problems = holdfast_tests::emf_problems(&parsed);
            assert!(problems.is_empty(), "{problems:?} in {line}");
            for metric in parsed["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .into_iter()
                .flatten()
            {
                metrics.insert(metric["Name"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    for seen in [
        "BookingsCreated",
        "SlotConflicts",
        "WebhooksRejected",
        "NotificationsSent",
    ] {
        assert!(metrics.contains(seen), "no {seen} metric in {metrics:?}");
    }
    // Each request's line says what was asked, how it ended, how long it took, and which
    // booking it made.
    let booked = text
        .lines()
        .find(|l| l.contains("\"answered\"") && l.contains(at_desk["booking_id"].as_str().unwrap()))
        .unwrap_or_else(|| panic!("no access line for the desk booking: {text}"));
    let booked: serde_json::Value = serde_json::from_str(booked).unwrap();
    assert_eq!(booked["route"], "POST /v1/bookings", "{booked}");
    assert_eq!(booked["status"], 201, "{booked}");
    assert!(
        booked["latency_ms"].is_u64() && booked["request_id"].is_string(),
        "{booked}"
    );
    assert!(
        !text.contains("eyJ"),
        "a bearer token was logged: {:?}",
        text.lines()
            .filter(|l| l.contains("eyJ"))
            .collect::<Vec<_>>()
    );
    let token = export_url
        .split("token=")
        .nth(1)
        .expect("a token")
        .to_string();
    let emails: Vec<String> = [&at_desk, &hold, &mp]
        .iter()
        .map(|b| {
            b["customer"]["email"]
                .as_str()
                .expect("an email")
                .to_string()
        })
        .collect();
    for personal in emails
        .iter()
        .map(String::as_str)
        .chain(["+34600000000", token.as_str()])
    {
        let leaks: Vec<&str> = text.lines().filter(|l| l.contains(personal)).collect();
        assert!(leaks.is_empty(), "{personal} was logged: {leaks:?}");
    }
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
