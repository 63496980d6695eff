//! The providers' webhooks: a signature checked before anything is read, then the provider's
//! word about a payment applied to its booking once, however often and in whatever order it
//! arrives. An event Holdfast does not use is acknowledged and ignored.

use std::collections::BTreeMap;

use holdfast_domain::signature::{MercadoPagoNotification, verify_mercadopago, verify_stripe};
use holdfast_domain::{
    Booking, Checkout, Currency, Money, PaymentFact, PaymentProvider, ProviderAccount,
};
use holdfast_domain::{BookingId, VenueId};
use holdfast_store::ProviderEvent;
use serde::{Deserialize, Serialize};

use super::payments::{self, Effect, apply_fact};
use crate::app::App;
use crate::error::ApiError;
use crate::http::parse_json;
use crate::metrics::{self, Metric};

/// What Holdfast answers a provider: it received the event, and what came of it.
#[derive(Debug, Serialize)]
pub struct WebhookAnswer {
    pub received: bool,
    pub effect: Effect,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<BookingId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
}

impl WebhookAnswer {
    fn of(effect: Effect, booking: Option<Booking>) -> WebhookAnswer {
        WebhookAnswer {
            received: true,
            effect,
            status: booking.as_ref().map(|b| b.status.as_str()),
            booking_id: booking.map(|b| b.booking_id),
        }
    }

    fn ignored() -> WebhookAnswer {
        WebhookAnswer::of(Effect::Nothing, None)
    }
}

#[derive(Debug, Deserialize)]
struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: StripeEventData,
}

#[derive(Debug, Deserialize)]
struct StripeEventData {
    object: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct StripeIntent {
    id: String,
    amount: i64,
    currency: String,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct StripeCharge {
    amount: i64,
    amount_refunded: i64,
    currency: String,
    payment_intent: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

fn stripe_money(amount: i64, currency: &str) -> Result<Money, ApiError> {
    let currency = Currency::parse(&currency.to_ascii_uppercase())
        .ok_or_else(|| ApiError::field("data.object.currency", "is no ISO 4217 currency"))?;
    Ok(Money { amount, currency })
}

fn object<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::field("data.object", format!("does not read as documented: {e}")))
}

/// `POST /webhooks/stripe/{venue_id}`: verified with the venue's endpoint secret.
pub async fn stripe_webhook(
    app: &App,
    venue_id: &VenueId,
    signature: Option<&str>,
    body: &[u8],
) -> Result<WebhookAnswer, ApiError> {
    let Some(ProviderAccount::Stripe(account)) =
        payments::open_account(app, venue_id, PaymentProvider::Stripe).await?
    else {
        // No secret to check it with: as good as a bad signature, and says nothing more.
        metrics::emit(Metric::WebhookRejected {
            provider: "stripe",
            reason: "no_account",
        });
        return Err(ApiError::BadSignature(
            "the Stripe-Signature does not verify",
        ));
    };
    verify_stripe(
        signature,
        body,
        account.webhook_secret.expose(),
        app.clock.now(),
    )
    .map_err(|err| {
        tracing::info!(%venue_id, reason = %err, "a Stripe webhook was refused");
        metrics::emit(Metric::WebhookRejected {
            provider: "stripe",
            reason: err.reason(),
        });
        ApiError::BadSignature("the Stripe-Signature does not verify")
    })?;
    let event: StripeEvent = parse_json(body)?;
    let (intent_id, booking_hint, fact) = match event.kind.as_str() {
        "payment_intent.succeeded"
        | "payment_intent.payment_failed"
        | "payment_intent.canceled" => {
            let intent: StripeIntent = object(event.data.object)?;
            let fact = match event.kind.as_str() {
                "payment_intent.succeeded" => PaymentFact::Paid {
                    payment_id: intent.id.clone(),
                    amount: stripe_money(intent.amount, &intent.currency)?,
                },
                "payment_intent.payment_failed" => PaymentFact::Failed,
                _ => PaymentFact::Canceled,
            };
            (intent.id, intent.metadata.get("booking_id").cloned(), fact)
        }
        "charge.refunded" => {
            let charge: StripeCharge = object(event.data.object)?;
            let Some(intent_id) = charge.payment_intent else {
                return Ok(WebhookAnswer::ignored());
            };
            let fact = PaymentFact::Refunded {
                payment_id: intent_id.clone(),
                paid: stripe_money(charge.amount, &charge.currency)?,
                total: charge.amount_refunded,
            };
            (intent_id, charge.metadata.get("booking_id").cloned(), fact)
        }
        _ => return Ok(WebhookAnswer::ignored()),
    };
    let booking_id: BookingId = match booking_hint {
        Some(id) => id.into(),
        // A charge does not carry the intent's metadata: ask Stripe whose intent it is.
        None => {
            let intent = payments::providers(app)?
                .stripe
                .payment_intent(&account.secret_key, &intent_id)
                .await?;
            match intent.booking_id() {
                Some(id) => id.into(),
                None => return Ok(WebhookAnswer::ignored()),
            }
        }
    };
    let belongs = |booking: &Booking| {
        booking.venue_id == *venue_id
            && matches!(
                booking.payment.as_ref().and_then(|p| p.checkout.as_ref()),
                Some(Checkout::Stripe { payment_intent_id, .. }) if *payment_intent_id == intent_id
            )
    };
    let event = ProviderEvent {
        provider: PaymentProvider::Stripe,
        event_id: &event.id,
    };
    let (effect, booking) = apply_fact(app, &booking_id, &fact, event, belongs).await?;
    if let (Effect::Unknown, PaymentFact::Paid { amount, .. }) = (effect, &fact) {
        if app.store.booking(&booking_id).await?.is_none() {
            // Paid for a booking never written (its request lost the race for the units and
            // the intent's cancellation came too late): the money goes back.
            payments::providers(app)?
                .stripe
                .refund(
                    &account.secret_key,
                    &intent_id,
                    amount.amount,
                    &booking_id,
                    &format!("{intent_id}-orphan-refund"),
                )
                .await?;
            tracing::warn!(
                %venue_id,
                %booking_id,
                "a payment for no booking was refunded"
            );
        }
    }
    tracing::info!(%venue_id, %booking_id, ?effect, "Stripe webhook");
    Ok(WebhookAnswer::of(effect, booking))
}

/// What a Mercado Pago notification names, from its query string and headers.
#[derive(Debug, Clone, Copy)]
pub struct MercadoPagoDelivery<'a> {
    pub venue_id: Option<&'a str>,
    /// `data.id` from the query string: what the signature covers.
    pub data_id: Option<&'a str>,
    /// `type` from the query string.
    pub kind: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

/// `POST /webhooks/mercadopago?venue_id=…&data.id=…&type=payment`: verified with the platform's
/// secret; the payment itself is read from Mercado Pago with the venue's token, as the
/// notification carries no status.
pub async fn mercadopago_webhook(
    app: &App,
    delivery: MercadoPagoDelivery<'_>,
) -> Result<WebhookAnswer, ApiError> {
    let providers = payments::providers(app)?;
    let secret = providers
        .config
        .mercadopago_webhook_secret
        .as_ref()
        .ok_or_else(|| {
            ApiError::Internal(
                "Mercado Pago webhooks need HOLDFAST_MERCADOPAGO_WEBHOOK_SECRET".into(),
            )
        })?;
    let notification = MercadoPagoNotification {
        signature: delivery.signature,
        request_id: delivery.request_id,
        data_id: delivery.data_id,
    };
    verify_mercadopago(notification, secret.expose(), app.clock.now()).map_err(|err| {
        tracing::info!(reason = %err, "a Mercado Pago webhook was refused");
        metrics::emit(Metric::WebhookRejected {
            provider: "mercadopago",
            reason: err.reason(),
        });
        ApiError::BadSignature("the x-signature does not verify")
    })?;
    let (Some("payment"), Some(payment_id), Some(venue_id)) =
        (delivery.kind, delivery.data_id, delivery.venue_id)
    else {
        return Ok(WebhookAnswer::ignored());
    };
    let Some(ProviderAccount::MercadoPago(account)) =
        payments::open_account(app, &VenueId::from(venue_id), PaymentProvider::MercadoPago).await?
    else {
        return Ok(WebhookAnswer::ignored());
    };
    let payment = match providers
        .mercadopago
        .payment(&account.access_token, payment_id)
        .await
    {
        Ok(payment) => payment,
        Err(holdfast_payments::ProviderError::NotFound { .. }) => {
            return Ok(WebhookAnswer::ignored());
        }
        Err(err) => return Err(err.into()),
    };
    let Some(booking_id) = payment.external_reference.as_deref().map(BookingId::from) else {
        return Ok(WebhookAnswer::ignored());
    };
    let Some(amount) = payment.amount else {
        // Not an amount of any currency Holdfast knows: nothing it could confirm or refund.
        tracing::error!(%venue_id, payment_id, currency = %payment.currency_id, "a Mercado Pago payment in an unreadable amount");
        return Ok(WebhookAnswer::ignored());
    };
    let fact = match payment.status.as_str() {
        "approved" => PaymentFact::Paid {
            payment_id: payment.id.clone(),
            amount,
        },
        "rejected" | "cancelled" => PaymentFact::Failed,
        "refunded" | "charged_back" => PaymentFact::Refunded {
            payment_id: payment.id.clone(),
            paid: amount,
            total: payment
                .refunded
                .unwrap_or(0)
                .max(match payment.status.as_str() {
                    // A chargeback takes all of it back.
                    "charged_back" => amount.amount,
                    _ => 0,
                }),
        },
        _ => return Ok(WebhookAnswer::ignored()),
    };
    let fact = match fact {
        // A payment refunded with no amount given was refunded in full.
        PaymentFact::Refunded {
            payment_id,
            paid,
            total: 0,
        } => PaymentFact::Refunded {
            payment_id,
            total: paid.amount,
            paid,
        },
        other => other,
    };
    let belongs = |booking: &Booking| {
        booking.venue_id == venue_id
            && booking
                .payment
                .as_ref()
                .is_some_and(|p| p.provider == PaymentProvider::MercadoPago)
    };
    // Mercado Pago's notifications have no id of their own: a payment's state is the event,
    // so the same state told twice is one event.
    let event_id = format!(
        "{}:{}:{}",
        payment.id,
        payment.status,
        payment.refunded.unwrap_or(0)
    );
    let event = ProviderEvent {
        provider: PaymentProvider::MercadoPago,
        event_id: &event_id,
    };
    let (effect, booking) = apply_fact(app, &booking_id, &fact, event, belongs).await?;
    if let (Effect::Unknown, PaymentFact::Paid { amount, .. }) = (effect, &fact) {
        if app.store.booking(&booking_id).await?.is_none() {
            // Paid at a checkout whose booking was never written: the money goes back.
            providers
                .mercadopago
                .refund(
                    &account.access_token,
                    &payment.id,
                    amount,
                    &format!("{}-orphan-refund", payment.id),
                )
                .await?;
            tracing::warn!(
                %venue_id,
                %booking_id,
                "a payment for no booking was refunded"
            );
        }
    }
    tracing::info!(
        %venue_id,
        %booking_id,
        payment_id,
        ?effect,
        "Mercado Pago webhook"
    );
    Ok(WebhookAnswer::of(effect, booking))
}
