//! Refunds at `/v1/payments/{id}/refunds`: made in full or in part, idempotent by key, and
//! listed, for the seller who collected the payment.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

use crate::error::bad;
use crate::http::{Parsed, Reply, header_of, reply};
use crate::oauth::Seller;
use crate::state::App;
use crate::wire::cents;

pub(crate) async fn refunds(State(app): State<App>, s: Seller, Path(id): Path<String>) -> Reply {
    let json = app.lock().payment(&id, Some(s.0))?.json["refunds"].clone();
    Ok(reply(StatusCode::OK, json))
}

#[derive(Deserialize)]
pub(crate) struct RefundRequest {
    amount: Option<f64>,
}

/// A refund in full (no amount) or in part; the same `X-Idempotency-Key` gets the same refund.
pub(crate) async fn refund(
    State(app): State<App>,
    s: Seller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Parsed(request): Parsed<RefundRequest>,
) -> Reply {
    let key = Some(header_of(&headers, "x-idempotency-key")).filter(|k| !k.is_empty());
    let mut inner = app.lock();
    let refund_id = 2_000_000_000 + inner.next();
    let payment = inner.payment(&id, Some(s.0))?;
    if let Some(done) = key.and_then(|key| payment.refunds_by_key.get(key)) {
        return Ok(reply(StatusCode::CREATED, done.clone()));
    }
    if payment.json["status"] != "approved" {
        let message = "The action requested is not valid for the current payment state";
        return Err(bad(message));
    }
    let amount = request.amount.map_or(Some(payment.rest()), cents);
    let amount = amount.filter(|a| (1..=payment.rest()).contains(a));
    let amount = amount.ok_or(bad("amount must be positive and at most what remains"))?;
    let refund = payment.refund(refund_id, amount);
    if let Some(key) = key {
        payment.refunds_by_key.insert(key.into(), refund.clone());
    }
    Ok(reply(StatusCode::CREATED, refund))
}
