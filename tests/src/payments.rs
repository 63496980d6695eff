//! Paying through the local stand-ins as a customer, a frontend and a provider would: holds,
//! signed provider events, the stand-in's payments, and the mail that tells of them.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    Api, DAY, Reply, STRIPE_WEBHOOK_SECRET, Stack, Who, mercadopago_api_base, slot_booking_for,
    stripe_event, stripe_signature, unique_email,
};

/// A Stripe hold on `court` from `start` to `end` (local times on DAY), for a new customer.
pub async fn stripe_hold(api: &Api, court: &str, start: &str, end: &str) -> (Who, Value) {
    let ana = Who::customer();
    let booking = api
        .request_booking(
            &ana,
            &slot_booking_for(
                court,
                &unique_email("ana"),
                &format!("{DAY}T{start}:00+01:00"),
                &format!("{DAY}T{end}:00+01:00"),
                "stripe",
            ),
        )
        .await
        .expect(201);
    assert_eq!(booking["status"], "held", "{booking}");
    (ana, booking)
}

/// A booking paid at the desk from `start` to `end` (local times on DAY), by a new customer.
pub async fn book_at_desk(api: &Api, court: &str, start: &str, end: &str) -> Reply {
    api.request_booking(
        &Who::customer(),
        &slot_booking_for(
            court,
            &unique_email("desk"),
            &format!("{DAY}T{start}:00+01:00"),
            &format!("{DAY}T{end}:00+01:00"),
            "none",
        ),
    )
    .await
}

/// Stripe's word that `booking`'s intent succeeded.
pub fn succeeded(booking: &Value) -> String {
    stripe_event(
        "payment_intent.succeeded",
        intent_object(booking, "succeeded"),
    )
}

pub fn intent_of(booking: &Value) -> String {
    booking["payment"]["payment_intent_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no PaymentIntent: {booking}"))
        .to_string()
}

/// The PaymentIntent of `booking` as Stripe puts it in an event.
pub fn intent_object(booking: &Value, status: &str) -> Value {
    json!({"id": intent_of(booking), "object": "payment_intent",
           "amount": booking["price"]["amount"], "currency": "eur", "status": status,
           "client_secret": booking["payment"]["client_secret"], "livemode": false,
           "metadata": {"booking_id": booking["booking_id"]}})
}

/// A charge of `booking`'s intent with `refunded` of it refunded (no metadata: Stripe does not
/// copy the intent's onto its charges).
pub fn refunded_charge(booking: &Value, refunded: i64) -> Value {
    let amount = booking["price"]["amount"].as_i64().expect("a price");
    json!({"id": format!("ch_{}", uuid::Uuid::new_v4().simple()), "object": "charge",
           "amount": amount, "amount_refunded": refunded, "currency": "eur",
           "payment_intent": intent_of(booking), "refunded": refunded == amount,
           "status": "succeeded", "metadata": {}})
}

/// Posts `body` to the venue's Stripe webhook, signed now by the stack's clock.
pub async fn deliver(stack: &Stack, venue: &str, body: &str) -> Value {
    let t = stack.clock.now().as_second();
    stack
        .api()
        .post(&format!("/webhooks/stripe/{venue}"))
        .header(
            "stripe-signature",
            &stripe_signature(STRIPE_WEBHOOK_SECRET, t, body),
        )
        .raw("application/json", body.to_string())
        .send()
        .await
        .expect(200)
}

pub async fn booking(api: &Api, who: &Who, id: &Value) -> Value {
    api.get(&format!("/v1/bookings/{}", id.as_str().expect("an id")))
        .as_(who)
        .send()
        .await
        .expect(200)
}

/// The mail to `to` that names `booking_id`, waiting up to 15 s for some.
pub async fn mail_about(api: &Api, to: &str, booking_id: &str) -> Vec<Value> {
    let started = std::time::Instant::now();
    loop {
        let about: Vec<Value> = api
            .mail_to(to, 0)
            .await
            .into_iter()
            .filter(|m| m["text"].as_str().is_some_and(|t| t.contains(booking_id)))
            .collect();
        if !about.is_empty() || started.elapsed() > Duration::from_secs(15) {
            return about;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The stand-in's control route: the customer pays a preference (or pays another amount).
pub async fn pay_preference(preference: &str, amount: Option<f64>) -> Value {
    let mut body = json!({"status": "approved"});
    if let Some(amount) = amount {
        body["transaction_amount"] = json!(amount);
    }
    crate::http_client(true)
        .post(format!(
            "{}/_standin/preferences/{preference}/pay",
            mercadopago_api_base()
        ))
        .json(&body)
        .send()
        .await
        .expect("the stand-in answers")
        .json()
        .await
        .expect("a payment")
}
