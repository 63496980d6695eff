//! Request bodies and credentials of the shapes the API and the providers' test modes take.

use serde_json::{Value, json};

use crate::{Api, FeedServer, Stack, Who};

/// A booking body for a slot resource.
pub fn slot_booking(resource_id: &str, start: &str, end: &str, provider: &str) -> Value {
    json!({"resource_id": resource_id, "start": start, "end": end,
           "customer": {"name": "Ana Ruiz", "email": "ana@example.com", "phone": "+34600000000"},
           "payment_provider": provider})
}

/// A slot body for `court` on [`DAY`] from `start` to `end`, `HH:MM` on Madrid's clock (+01:00
/// that day), paid through `provider`.
pub fn day_slot(court: &str, start: &str, end: &str, provider: &str) -> Value {
    let at = |time: &str| format!("{DAY}T{time}:00+01:00");
    slot_booking(court, &at(start), &at(end), provider)
}

/// Stripe credentials of the test mode's shape (the secret ends in 4242).
pub fn stripe_account() -> Value {
    json!({"secret_key": "sk_test_holdfastsecret4242", "webhook_secret": "whsec_holdfastwebhooksecret"})
}

/// Mercado Pago credentials of the test mode's shape.
pub fn mercadopago_account() -> Value {
    json!({"access_token": "APP_USR-holdfast-access-1234", "refresh_token": "TG-holdfast-refresh-5678",
           "expires_at": "2031-01-01T00:00:00Z", "user_id": "987654321"})
}

/// An address no other test mails, so that a test counts only its own mail.
pub fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A booking body for a slot resource, for the customer at `email`.
pub fn slot_booking_for(
    resource_id: &str,
    email: &str,
    start: &str,
    end: &str,
    provider: &str,
) -> Value {
    json!({"resource_id": resource_id, "start": start, "end": end, "payment_provider": provider,
           "customer": {"name": "Ana Ruiz", "email": email}})
}

/// A booking body for a nights resource.
pub fn stay_booking(resource_id: &str, check_in: &str, check_out: &str) -> Value {
    json!({"resource_id": resource_id, "check_in": check_in, "check_out": check_out,
           "customer": {"name": "Lucía Pérez", "email": "lucia@example.com"}, "payment_provider": "none"})
}

/// A Tuesday well ahead (no booking horizon exists), so that tests never book the past.
pub const DAY: &str = "2031-12-02";

/// What the calendar tests start from: a cabin of a new venue in Mexico City on a stack of its
/// own, its admin, and a feed server for it to import from.
#[derive(Debug)]
pub struct CabinWithFeed {
    pub stack: Stack,
    pub api: Api,
    pub feeds: FeedServer,
    pub admin: Who,
    pub cabin: String,
}

impl CabinWithFeed {
    pub async fn start() -> CabinWithFeed {
        let stack = Stack::start();
        let api = stack.api();
        let feeds = FeedServer::start().await;
        let (admin, cabin) = api.mexico_cabin().await;
        CabinWithFeed {
            stack,
            api,
            feeds,
            admin,
            cabin,
        }
    }
}
