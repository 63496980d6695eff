//! Money through the providers: a new hold's checkout, a provider's word applied to its booking
//! exactly once, and refunds asked for until the provider has taken them.

use std::time::Duration;

use holdfast_domain::{
    Booking, Checkout, Claim, LockWork, Notice, PaymentFact, PaymentProvider, ProviderAccount,
    Settlement, refund_asked, settle, settle_conflict,
};
use holdfast_domain::{BookingId, VenueId};
use holdfast_payments::mercadopago::PreferenceRequest;
use holdfast_store::{BookingChange, ChangeError, ProviderEvent, Version};
use holdfast_vault::Owner;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::{notices, venue_facts};
use crate::app::{App, Providers};
use crate::error::ApiError;

/// How often a change that lost a race to another change of the same booking is decided again.
const CHANGE_ATTEMPTS: u32 = 6;

/// Refunds decided this long ago and still not asked for are the sweep's to ask.
const REFUND_SWEEP_AFTER: SignedDuration = SignedDuration::from_secs(30);

pub(crate) fn providers(app: &App) -> Result<&Providers, ApiError> {
    app.providers
        .as_ref()
        .ok_or_else(|| ApiError::Internal("the payment providers' client is not built".into()))
}

/// The venue's credentials at `provider`, opened for the call at hand; `None` when the venue
/// has no account there.
pub(crate) async fn open_account(
    app: &App,
    venue_id: &VenueId,
    provider: PaymentProvider,
) -> Result<Option<ProviderAccount>, ApiError> {
    let Some(sealed) = app.store.sealed_account(venue_id, provider).await? else {
        return Ok(None);
    };
    let vault = app
        .vault
        .as_ref()
        .ok_or_else(|| ApiError::Internal("payment accounts need HOLDFAST_KMS_KEY_ID".into()))?;
    let owner = Owner {
        venue_id,
        provider: provider.as_str(),
    };
    let plain = vault.open(&sealed, owner).await?;
    ProviderAccount::from_sealed(provider, &plain)
        .map(Some)
        .ok_or_else(|| ApiError::Internal("a sealed payment account does not read".into()))
}

/// Where Mercado Pago posts its notifications for a venue's payments.
fn notification_url(app: &App, venue_id: &VenueId) -> Result<String, ApiError> {
    let base = providers(app)?
        .config
        .public_base_url
        .as_deref()
        .ok_or_else(|| ApiError::Internal("Mercado Pago needs HOLDFAST_PUBLIC_BASE_URL".into()))?;
    Ok(format!("{base}/webhooks/mercadopago?venue_id={venue_id}"))
}

/// Opens what the customer pays a new hold with: a PaymentIntent or a checkout preference.
/// The booking id keys the call, so a retry never opens a second.
pub(crate) async fn open_checkout(
    app: &App,
    account: &ProviderAccount,
    booking: &Booking,
    title: &str,
) -> Result<Checkout, ApiError> {
    let providers = providers(app)?;
    let key = format!("{}-checkout", booking.booking_id);
    match account {
        ProviderAccount::Stripe(stripe) => {
            let intent = providers
                .stripe
                .create_payment_intent(
                    &stripe.secret_key,
                    &booking.price,
                    &booking.booking_id,
                    &key,
                )
                .await?;
            let client_secret = intent.client_secret.ok_or_else(|| {
                ApiError::Internal("Stripe answered a PaymentIntent without a client secret".into())
            })?;
            Ok(Checkout::Stripe {
                payment_intent_id: intent.id,
                client_secret,
            })
        }
        ProviderAccount::MercadoPago(mp) => {
            let url = notification_url(app, &booking.venue_id)?;
            let request = PreferenceRequest {
                booking_id: &booking.booking_id,
                title,
                amount: &booking.price,
                notification_url: &url,
                expires_at: booking.hold_expires_at,
            };
            let preference = providers
                .mercadopago
                .create_preference(&mp.access_token, &request, &key)
                .await?;
            Ok(Checkout::MercadoPago {
                preference_id: preference.id,
                checkout_url: preference.init_point,
            })
        }
    }
}

/// Lets go of a checkout nobody will pay (its booking was never written, or was cancelled
/// unpaid): a PaymentIntent is cancelled so that it cannot be paid; a preference lapses on its
/// own at the hold's end. In the background: the answer never waits for it.
pub(crate) fn abandon_checkout(app: &App, venue_id: &VenueId, checkout: &Checkout) {
    let Checkout::Stripe {
        payment_intent_id, ..
    } = checkout
    else {
        return;
    };
    let (app, venue_id, payment_intent_id) =
        (app.clone(), venue_id.clone(), payment_intent_id.clone());
    tokio::spawn(async move {
        let cancelled = async {
            let Some(ProviderAccount::Stripe(stripe)) =
                open_account(&app, &venue_id, PaymentProvider::Stripe).await?
            else {
                return Ok(());
            };
            providers(&app)?
                .stripe
                .cancel_payment_intent(&stripe.secret_key, &payment_intent_id)
                .await?;
            Ok::<(), ApiError>(())
        };
        if let Err(err) = cancelled.await {
            tracing::warn!(error = %err, payment_intent_id, "an unpaid PaymentIntent stayed open");
        }
    });
}

/// What applying a provider's word came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The booking changed: its new status.
    Applied,
    /// The same event was applied before: nothing more.
    Duplicate,
    /// Nothing to change (an event that arrived after the fact it tells).
    Nothing,
    /// No booking of this venue and payment: nothing to do.
    Unknown,
}

/// Applies `fact` to the booking `booking_id` exactly once: the domain decides, one
/// transaction writes the change with the provider's `event` id, and a duplicate changes
/// nothing. `belongs` checks the booking is the one the provider speaks of.
pub(crate) async fn apply_fact(
    app: &App,
    booking_id: &BookingId,
    fact: &PaymentFact,
    event: ProviderEvent<'_>,
    belongs: impl Fn(&Booking) -> bool,
) -> Result<(Effect, Option<Booking>), ApiError> {
    if app.store.event_seen(event).await? {
        return Ok((Effect::Duplicate, None));
    }
    for _ in 0..CHANGE_ATTEMPTS {
        let Some((booking, version)) = app.store.booking_version(booking_id).await? else {
            return Ok((Effect::Unknown, None));
        };
        if !belongs(&booking) {
            return Ok((Effect::Unknown, None));
        }
        let now = app.clock.now();
        let venue = venue_facts(app, &booking.venue_id).await?;
        let settled = settle(&booking, fact, venue.reminder_hours, now);
        if !settled.changes_anything(&booking) {
            return Ok((Effect::Nothing, Some(booking)));
        }
        match write(app, &booking, version, &settled, Some(event), now).await {
            Ok(written) => return Ok((Effect::Applied, Some(written))),
            Err(ChangeError::Taken) => {
                let conflict = settle_conflict(&settled, now);
                match write(app, &booking, version, &conflict, Some(event), now).await {
                    Ok(written) => return Ok((Effect::Applied, Some(written))),
                    Err(ChangeError::Stale | ChangeError::Taken) => continue,
                    Err(ChangeError::Duplicate) => return Ok((Effect::Duplicate, None)),
                    Err(ChangeError::Store(err)) => return Err(err.into()),
                }
            }
            Err(ChangeError::Stale) => continue,
            Err(ChangeError::Duplicate) => return Ok((Effect::Duplicate, None)),
            Err(ChangeError::Store(err)) => return Err(err.into()),
        }
    }
    Err(ApiError::Unavailable(
        "the booking kept changing while a payment was applied".into(),
    ))
}

/// Writes one decided change, then tells its notices and asks for any refund it owes.
pub(crate) async fn write(
    app: &App,
    before: &Booking,
    version: Version,
    settled: &Settlement,
    event: Option<ProviderEvent<'_>>,
    now: Timestamp,
) -> Result<Booking, ChangeError> {
    let capacity = if settled.locks == LockWork::Keep && before.claim == Claim::Place {
        app.store
            .resource(&before.resource_id)
            .await?
            .map_or(1, |r| r.capacity)
    } else {
        1
    };
    let tally = settled.report_deltas(now);
    let change = BookingChange {
        before,
        version,
        settlement: settled,
        event,
        capacity,
        tally: &tally,
        now,
    };
    let notices: Vec<Notice> = app.store.apply_change(&change).await?;
    tracing::info!(
        booking_id = %before.booking_id,
        from = %before.status,
        to = %settled.booking.status,
        payment = settled.booking.payment.as_ref().map(|p| p.status().as_str()),
        "booking changed"
    );
    notices::tell_soon(app, notices);
    let owes = settled
        .booking
        .payment
        .as_ref()
        .is_some_and(|p| p.refund_to_request(&before.booking_id).is_some());
    if owes {
        match request_refund(app, &before.booking_id).await {
            Ok(Some(refunded)) => return Ok(refunded),
            Ok(None) => {}
            // The refund stays owed; the sweep asks again.
            Err(err) => {
                tracing::warn!(booking_id = %before.booking_id, error = %err, "a refund was left for the sweep")
            }
        }
    }
    Ok(settled.booking.clone())
}

/// Asks the provider for the refund `booking_id` owes and records that it was asked (and made,
/// when the provider says so at once). The refund's key is fixed by the amount decided, so
/// asking again after a failure never refunds twice. `None` when nothing is owed.
pub async fn request_refund(
    app: &App,
    booking_id: &BookingId,
) -> Result<Option<Booking>, ApiError> {
    for _ in 0..CHANGE_ATTEMPTS {
        let Some((booking, version)) = app.store.booking_version(booking_id).await? else {
            return Ok(None);
        };
        let Some(payment) = booking.payment.as_ref() else {
            return Ok(None);
        };
        let (Some((amount, key)), Some(paid)) =
            (payment.refund_to_request(booking_id), payment.paid.as_ref())
        else {
            return Ok(None);
        };
        let account = open_account(app, &booking.venue_id, payment.provider)
            .await?
            .ok_or_else(|| {
                ApiError::Internal("a refund is owed through an account since removed".into())
            })?;
        let providers = providers(app)?;
        let made_at_once = match &account {
            ProviderAccount::Stripe(stripe) => {
                let refund = providers
                    .stripe
                    .refund(
                        &stripe.secret_key,
                        &paid.payment_id,
                        amount.amount,
                        booking_id,
                        &key,
                    )
                    .await?;
                refund.status.as_deref() == Some("succeeded")
            }
            ProviderAccount::MercadoPago(mp) => {
                let refund = providers
                    .mercadopago
                    .refund(&mp.access_token, &paid.payment_id, &amount, &key)
                    .await?;
                refund.status.as_deref() == Some("approved")
            }
        };
        let now = app.clock.now();
        let asked = refund_asked(&booking, made_at_once, now);
        let tally = asked.report_deltas(now);
        let change = BookingChange {
            before: &booking,
            version,
            settlement: &asked,
            event: None,
            capacity: 1,
            tally: &tally,
            now,
        };
        match app.store.apply_change(&change).await {
            Ok(_) => {
                tracing::info!(
                    %booking_id,
                    amount = amount.amount,
                    made_at_once,
                    "refund asked"
                );
                return Ok(Some(asked.booking));
            }
            // Changed meanwhile: decide again; the provider answers the same key the same way.
            Err(ChangeError::Stale | ChangeError::Taken | ChangeError::Duplicate) => continue,
            Err(ChangeError::Store(err)) => return Err(err.into()),
        }
    }
    Err(ApiError::Unavailable(
        "the booking kept changing while its refund was recorded".into(),
    ))
}

/// What one sweep of owed refunds did.
#[derive(Debug, Default, Serialize)]
pub struct RefundSweep {
    pub owed: usize,
    pub asked: usize,
    pub unreadable: usize,
}

/// Asks again for every refund decided a while ago that the provider has not taken yet (the
/// request that decided it ended before it could ask, or the provider did not answer).
pub async fn sweep_refunds(app: &App, budget: Duration) -> Result<RefundSweep, ApiError> {
    let now = app.clock.now();
    let before = now.checked_sub(REFUND_SWEEP_AFTER).unwrap_or(now);
    let mut run = RefundSweep::default();
    let started = std::time::Instant::now();
    for read in app.store.refunds_owed(before, 100).await? {
        let booking = match read {
            Ok(booking) => booking,
            Err(err) => {
                run.unreadable += 1;
                tracing::error!(error = %err, "the refund sweep skipped an unreadable booking");
                continue;
            }
        };
        run.owed += 1;
        if started.elapsed() > budget {
            continue;
        }
        match request_refund(app, &booking.booking_id).await {
            Ok(Some(_)) => run.asked += 1,
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(booking_id = %booking.booking_id, error = %err, "a refund is still owed")
            }
        }
    }
    Ok(run)
}
