//! The payment providers' side: signatures and events as Stripe and Mercado Pago send them, and
//! a customer paying at localstripe.

use serde_json::{Value, json};

use crate::{http_client, stripe_account, stripe_api_base};

/// The webhook secret of [`stripe_account`], which every test venue's Stripe account has.
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_holdfastwebhooksecret";

fn hmac_hex(secret: &str, message: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// `Stripe-Signature` for `body` signed at `t` (epoch seconds), in Stripe's exact format.
pub fn stripe_signature(secret: &str, t: i64, body: &str) -> String {
    format!(
        "t={t},v1={}",
        hmac_hex(secret, format!("{t}.{body}").as_bytes())
    )
}

/// `x-signature` for a Mercado Pago notification about `data_id`, as Mercado Pago signs it.
pub fn mercadopago_signature(secret: &str, ts: i64, data_id: &str, request_id: &str) -> String {
    let manifest = format!("id:{data_id};request-id:{request_id};ts:{ts};");
    format!("ts={ts},v1={}", hmac_hex(secret, manifest.as_bytes()))
}

/// A Stripe event of `kind` about `object`, as Stripe sends it.
pub fn stripe_event(kind: &str, object: Value) -> String {
    json!({"id": format!("evt_{}", uuid::Uuid::new_v4().simple()), "object": "event",
           "api_version": "2024-06-20", "created": jiff::Timestamp::now().as_second(),
           "type": kind, "livemode": false, "pending_webhooks": 1,
           "data": {"object": object}})
    .to_string()
}

/// The customer's side of paying a PaymentIntent at localstripe: a card, attached and
/// confirmed, as Stripe.js would.
pub async fn pay_at_localstripe(payment_intent_id: &str) {
    pay_at_localstripe_on(&stripe_api_base(), payment_intent_id).await;
}

/// [`pay_at_localstripe`] at the localstripe at `base`.
pub async fn pay_at_localstripe_on(base: &str, payment_intent_id: &str) {
    let key = stripe_account()["secret_key"]
        .as_str()
        .expect("a key")
        .to_string();
    let client = http_client(true);
    let method: Value = client
        .post(format!("{base}/v1/payment_methods"))
        .basic_auth(&key, Some(""))
        .form(&[
            ("type", "card"),
            ("card[number]", "4242424242424242"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2034"),
            ("card[cvc]", "123"),
        ])
        .send()
        .await
        .expect("localstripe answers")
        .json()
        .await
        .expect("a payment method");
    let method = method["id"].as_str().expect("a payment method id");
    let attached = client
        .post(format!("{base}/v1/payment_intents/{payment_intent_id}"))
        .basic_auth(&key, Some(""))
        .form(&[("payment_method", method)])
        .send()
        .await
        .expect("localstripe answers");
    assert!(
        attached.status().is_success(),
        "{:?}",
        attached.text().await
    );
    let confirmed: Value = client
        .post(format!(
            "{base}/v1/payment_intents/{payment_intent_id}/confirm"
        ))
        .basic_auth(&key, Some(""))
        .send()
        .await
        .expect("localstripe answers")
        .json()
        .await
        .expect("a payment intent");
    assert_eq!(confirmed["status"], "succeeded", "{confirmed}");
}
