//! Booking: create (with idempotency), read, list, cancel. Creation is where a unit of time is
//! sold once: the store's transaction decides, and a taken unit is a 409 that names it.

use holdfast_domain::{
    Booking, BookingDraft, BookingStatus, NewBooking, PaymentProvider, Resource, Unit, cancel,
    format_local, status_deltas,
};
use holdfast_domain::{BookingId, VenueId};
use holdfast_store::{BookError, ChangeError, IdempotencyRecord, Page};
use jiff::SignedDuration;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::availability::checked_range;
use super::{active_resource, administered_venue, new_id, notices, payments, venue_facts};
use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::http::parse_json;
use crate::metrics::{self, BookedKind, Channel, Metric};
use crate::views;

/// How often a cancellation that raced another change of the booking is tried again.
const CANCEL_ATTEMPTS: u32 = 6;

/// How long a replayable first response is kept.
const IDEMPOTENCY_TTL: SignedDuration = SignedDuration::from_hours(24);

/// The longest range of days a venue's booking list may cover in one request.
pub const MAX_LIST_DAYS: i64 = 92;

/// Books for `caller` from a raw JSON body; with an `Idempotency-Key`, the same key and body
/// answer the first response again, and the same key with another body is 422.
pub async fn create_booking(
    app: &App,
    caller: &Caller,
    body: &[u8],
    idempotency_key: Option<&str>,
) -> Result<(StatusCode, Value), ApiError> {
    let draft: BookingDraft = parse_json(body)?;
    let idempotency = match idempotency_key {
        Some(key) => {
            if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                ));
            }
            let hash = request_hash(body);
            if let Some(first) = app.store.idempotency_record(&caller.sub, key).await? {
                return replay(&first, &hash);
            }
            Some((key, hash))
        }
        None => None,
    };

    let resource = active_resource(app, &draft.resource_id).await?;
    let venue = venue_facts(app, &resource.venue_id).await?;
    let request = draft.read(&resource.schedule)?;
    let account = match request.provider {
        PaymentProvider::None => None,
        provider => Some(
            payments::open_account(app, &resource.venue_id, provider)
                .await?
                .ok_or_else(|| {
                    ApiError::field(
                        "payment_provider",
                        format!(
                            "this venue takes no payments through {}: pay at the desk (none) or with a provider it has set up",
                            provider.as_str()
                        ),
                    )
                })?,
        ),
    };
    let now = app.clock.now();
    let plan = resource.plan(request.period, venue.zone.tz(), now)?;
    let mut booking = Booking::new(NewBooking {
        booking_id: new_id("bkg").into(),
        owner: caller.sub.clone(),
        resource: &resource,
        time_zone: &venue.zone,
        request,
        plan,
        reminder_hours: venue.reminder_hours,
        now,
    });
    // Look first: one consistent read of the units' locks. In a burst, most requests come
    // after the winner has committed, and each then hears 409 for the cost of a read instead
    // of a transaction (on DynamoDB Local, a failed transaction costs a loaded engine several
    // reads' time), and no checkout is opened for units already taken. The transaction below
    // still decides.
    let held = app
        .store
        .units_held_against(&booking, resource.capacity, now)
        .await?;
    if !held.is_empty() {
        return lost_race(app, caller, idempotency.as_ref(), || {
            slot_taken(&resource, venue.zone.tz(), &held)
        })
        .await;
    }
    if let Some(account) = &account {
        let checkout = payments::open_checkout(app, account, &booking, &resource.name).await?;
        if let Some(payment) = booking.payment.as_mut() {
            payment.checkout = Some(checkout);
        }
    }
    let view = views::booking(&booking);
    let record = idempotency.as_ref().map(|(key, hash)| IdempotencyRecord {
        caller: caller.sub.clone(),
        key: key.to_string(),
        request_hash: hash.clone(),
        status: StatusCode::CREATED.as_u16(),
        body: view.to_string(),
        expires_at: now.checked_add(IDEMPOTENCY_TTL).unwrap_or(now).as_second(),
    });
    let tally = status_deltas(&booking, None, booking.status);

    let created = app
        .store
        .create_booking(&booking, resource.capacity, record.as_ref(), &tally, now)
        .await;
    if created.is_err() {
        if let Some(checkout) = booking.payment.as_ref().and_then(|p| p.checkout.as_ref()) {
            payments::abandon_checkout(app, &booking.venue_id, checkout);
        }
    }
    match created {
        Ok(notice) => {
            tracing::info!(booking_id = %booking.booking_id, status = %booking.status, units = booking.units.len(), "booked");
            metrics::emit(Metric::BookingCreated {
                kind: BookedKind::from(&resource.schedule),
                channel: Channel::Api,
            });
            notices::tell_soon(app, notice.into_iter().collect());
            Ok((StatusCode::CREATED, view))
        }
        Err(BookError::Taken(units)) => {
            lost_race(app, caller, idempotency.as_ref(), || {
                slot_taken(&resource, venue.zone.tz(), &units)
            })
            .await
        }
        // A twin request with the same key committed first: answer as it was answered.
        Err(BookError::IdempotencyKeyUsed) => {
            lost_race(app, caller, idempotency.as_ref(), || {
                ApiError::IdempotencyMismatch
            })
            .await
        }
        Err(BookError::Store(err)) => Err(err.into()),
    }
}

/// A race lost to `taken`, unless the winner was this very request's twin (the same
/// `Idempotency-Key`): then the twin's answer is this one's too.
async fn lost_race(
    app: &App,
    caller: &Caller,
    idempotency: Option<&(&str, String)>,
    taken: impl FnOnce() -> ApiError,
) -> Result<(StatusCode, Value), ApiError> {
    if let Some((key, hash)) = idempotency {
        if let Some(first) = app.store.idempotency_record(&caller.sub, key).await? {
            return replay(&first, hash);
        }
    }
    Err(taken())
}

/// SHA-256 of the body in canonical form, so that key order and spacing do not matter.
fn request_hash(body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<Value>(body)
        .map(|v| v.to_string())
        .unwrap_or_default();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

fn replay(first: &IdempotencyRecord, hash: &str) -> Result<(StatusCode, Value), ApiError> {
    if first.request_hash != hash {
        return Err(ApiError::IdempotencyMismatch);
    }
    let status = StatusCode::from_u16(first.status).map_err(|e| ApiError::Internal(Box::new(e)))?;
    let body = serde_json::from_str(&first.body).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok((status, body))
}

/// 409 naming each taken unit, and in words the merged times a person can read.
fn slot_taken(resource: &Resource, zone: &TimeZone, units: &[Unit]) -> ApiError {
    metrics::emit(Metric::SlotConflict {
        kind: BookedKind::from(&resource.schedule),
    });
    let mut spans: Vec<_> = units.iter().map(|u| resource.unit_span(*u, zone)).collect();
    spans.sort_by_key(|s| s.start);
    let conflicts = spans
        .iter()
        .map(|span| match span.unit {
            Unit::Night(date) => json!({ "date": date.to_string() }),
            Unit::Slot(_) => json!({ "start": format_local(span.start, zone), "end": format_local(span.end, zone) }),
        })
        .collect();
    let mut ranges: Vec<(jiff::Timestamp, jiff::Timestamp)> = Vec::new();
    for span in &spans {
        match ranges.last_mut() {
            Some(last) if last.1 >= span.start => last.1 = last.1.max(span.end),
            _ => ranges.push((span.start, span.end)),
        }
    }
    let words: Vec<String> = match units.first() {
        Some(Unit::Night(_)) => {
            let nights: Vec<String> = units.iter().map(Unit::to_string).collect();
            vec![format!("for the night(s) of {}", nights.join(", "))]
        }
        _ => ranges
            .iter()
            .map(|(start, end)| {
                let (s, e) = (start.to_zoned(zone.clone()), end.to_zoned(zone.clone()));
                format!(
                    "{} {}-{}",
                    s.date(),
                    s.strftime("%H:%M"),
                    e.strftime("%H:%M")
                )
            })
            .collect(),
    };
    ApiError::SlotTaken {
        message: format!("{} is already booked {}", resource.name, words.join(", ")),
        conflicts,
    }
}

/// The booking if `caller` may see it: its owner, or an admin of its venue. Anyone else gets
/// 404, as if it did not exist.
async fn visible_booking(
    app: &App,
    caller: &Caller,
    booking_id: &BookingId,
) -> Result<Booking, ApiError> {
    let booking = app
        .store
        .booking(booking_id)
        .await?
        .ok_or(ApiError::NotFound("booking"))?;
    if booking.owner == caller.sub {
        return Ok(booking);
    }
    match venue_facts(app, &booking.venue_id).await {
        Ok(venue) if caller.is_admin_of(&venue.org_id) => Ok(booking),
        Ok(_) | Err(ApiError::NotFound(_)) => Err(ApiError::NotFound("booking")),
        Err(err) => Err(err),
    }
}

pub async fn get_booking(
    app: &App,
    caller: &Caller,
    booking_id: &BookingId,
) -> Result<Value, ApiError> {
    let booking = visible_booking(app, caller, booking_id).await?;
    Ok(views::booking(&shown(booking, app)))
}

/// A hold whose time ran out shows as expired even before the job has tidied it.
fn shown(mut booking: Booking, app: &App) -> Booking {
    if booking.hold_lapsed(app.clock.now()) {
        booking.status = BookingStatus::Expired;
    }
    booking
}

/// Cancels for `caller` (the owner, or an admin of the venue): the units are freed and what
/// was paid is refunded, in full for an admin, else by the venue's cancellation policy.
pub async fn cancel_booking(
    app: &App,
    caller: &Caller,
    booking_id: &BookingId,
) -> Result<Value, ApiError> {
    for _ in 0..CANCEL_ATTEMPTS {
        let (booking, version) = app
            .store
            .booking_version(booking_id)
            .await?
            .ok_or(ApiError::NotFound("booking"))?;
        let venue = match venue_facts(app, &booking.venue_id).await {
            Ok(venue) => Some(venue),
            Err(ApiError::NotFound(_)) => None,
            Err(err) => return Err(err),
        };
        let admin = venue
            .as_ref()
            .is_some_and(|v| caller.is_admin_of(&v.org_id));
        if !admin && booking.owner != caller.sub {
            return Err(ApiError::NotFound("booking"));
        }
        let now = app.clock.now();
        shown(booking.clone(), app)
            .status
            .after(holdfast_domain::BookingEvent::Cancel)?;
        let percent = match (&venue, admin) {
            (_, true) => 100,
            (Some(venue), false) => venue.cancellation_policy.refund_percent(booking.start, now),
            (None, false) => 0,
        };
        let settled = cancel(&booking, percent, now);
        match payments::write(app, &booking, version, &settled, None, now).await {
            Ok(cancelled) => {
                tracing::info!(%booking_id, percent, "cancelled");
                let unpaid = cancelled.payment.as_ref().filter(|p| p.paid.is_none());
                if let Some(checkout) = unpaid.and_then(|p| p.checkout.as_ref()) {
                    payments::abandon_checkout(app, &cancelled.venue_id, checkout);
                }
                return Ok(views::booking(&cancelled));
            }
            // Changed meanwhile (paid, expired, taken over): look again.
            Err(ChangeError::Stale | ChangeError::Taken | ChangeError::Duplicate) => continue,
            Err(ChangeError::Store(err)) => return Err(err.into()),
        }
    }
    Err(ApiError::Unavailable(
        "the booking kept changing while it was cancelled".into(),
    ))
}

pub async fn my_bookings(
    app: &App,
    caller: &Caller,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<Booking>, ApiError> {
    let page = app.store.owner_bookings(&caller.sub, limit, cursor).await?;
    Ok(Page {
        items: page.items.into_iter().map(|b| shown(b, app)).collect(),
        next: page.next,
    })
}

pub struct VenueBookingsQuery {
    pub from: Date,
    pub to: Date,
    pub status: Option<String>,
    pub limit: usize,
    pub cursor: Option<String>,
}

pub async fn venue_bookings(
    app: &App,
    caller: &Caller,
    venue_id: &VenueId,
    query: VenueBookingsQuery,
) -> Result<Page<Booking>, ApiError> {
    let days: Vec<String> = checked_range(query.from, query.to, MAX_LIST_DAYS)?
        .iter()
        .map(Date::to_string)
        .collect();
    let status = query
        .status
        .as_deref()
        .map(|s| BookingStatus::parse(s).ok_or_else(|| ApiError::field("status", "must be one of held, confirmed, cancelled, expired, payment_conflict, refunded")))
        .transpose()?;
    administered_venue(app, caller, venue_id).await?;
    Ok(app
        .store
        .venue_bookings(
            venue_id,
            &days,
            status,
            query.limit,
            query.cursor.as_deref(),
        )
        .await?)
}
