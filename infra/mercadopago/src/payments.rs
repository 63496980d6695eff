//! Payments: Mercado Pago's payment object and its statuses, `GET /v1/payments/{id}`, and the
//! `/_standin/` routes where the buyer pays a preference or a payment changes status.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{bad, missing};
use crate::http::{Parsed, Reply, reply};
use crate::notifications::notified;
use crate::oauth::Seller;
use crate::preferences::total;
use crate::state::App;
use crate::wire::{cents, money, now};

/// A payment status's `status_detail`; `None` for what is not a payment status.
fn status_detail(status: &str) -> Option<&'static str> {
    Some(match status {
        "approved" => "accredited",
        "rejected" => "cc_rejected_other_reason",
        "cancelled" => "expired",
        "refunded" => "refunded",
        "charged_back" => "settled",
        "pending" => "pending_waiting_payment",
        "in_process" => "pending_contingency",
        _ => return None,
    })
}

/// Mercado Pago's payment object, and what the stand-in keeps beside it.
pub(crate) struct Payment {
    pub(crate) json: Value,
    pub(crate) notification_url: Option<String>,
    pub(crate) action: &'static str,
    pub(crate) refunds_by_key: HashMap<String, Value>,
}

impl Payment {
    fn cents(&self, field: &str) -> i64 {
        self.json[field].as_f64().and_then(cents).unwrap_or(0)
    }

    pub(crate) fn rest(&self) -> i64 {
        self.cents("transaction_amount") - self.cents("transaction_amount_refunded")
    }

    fn set_status(&mut self, status: &str) {
        let (json, at) = (&mut self.json, now());
        if status == "approved" && json["date_approved"].is_null() {
            json["date_approved"] = json!(at);
        }
        json["status"] = json!(status);
        json["status_detail"] = json!(status_detail(status));
        json["date_last_updated"] = json!(at);
    }

    pub(crate) fn refund(&mut self, id: u64, amount: i64) -> Value {
        let refund = json!({"id": id, "payment_id": self.json["id"], "amount": money(amount),
                            "status": "approved", "refund_mode": "standard", "date_created": now()});
        let refunded = self.cents("transaction_amount_refunded") + amount;
        self.json["transaction_amount_refunded"] = money(refunded);
        self.json["date_last_updated"] = refund["date_created"].clone();
        if let Some(refunds) = self.json["refunds"].as_array_mut() {
            refunds.push(refund.clone());
        }
        if self.rest() <= 0 {
            self.set_status("refunded");
        }
        self.action = "payment.updated";
        refund
    }
}

pub(crate) async fn get_payment(
    State(app): State<App>,
    s: Seller,
    Path(id): Path<String>,
) -> Reply {
    let json = app.lock().payment(&id, Some(s.0))?.json.clone();
    Ok(reply(StatusCode::OK, json))
}

#[derive(Deserialize)]
pub(crate) struct PayRequest {
    status: Option<String>,
    transaction_amount: Option<f64>,
    currency_id: Option<String>,
    notify: Option<bool>,
}

/// The buyer pays the preference `id`: a payment in `status`, then its notification.
pub(crate) async fn pay(
    State(app): State<App>,
    Path(id): Path<String>,
    Parsed(request): Parsed<PayRequest>,
) -> Reply {
    let status = request.status.as_deref().unwrap_or("approved");
    if status_detail(status).is_none() || matches!(status, "refunded" | "charged_back") {
        let message = "status must be approved, rejected, cancelled, pending or in_process";
        return Err(bad(message));
    }
    let payment_id = {
        let mut inner = app.lock();
        let preference = inner.preferences.get(&id).ok_or(missing("preference"))?;
        let (total, currency) = total(&preference["items"])?;
        let amount = request.transaction_amount.map_or(Some(total), cents);
        let amount = amount.filter(|c| *c > 0);
        let amount = amount.ok_or(bad("transaction_amount invalid"))?;
        let (payment_id, created) = (1_000_000_001 + inner.payments.len() as u64, now());
        let json = json!({"id": payment_id, "transaction_amount": money(amount),
            "transaction_amount_refunded": 0.0, "currency_id": request.currency_id.unwrap_or(currency),
            "external_reference": preference["external_reference"],
            "metadata": preference["metadata"], "collector_id": preference["collector_id"],
            "date_created": created, "date_approved": null, "date_last_updated": created,
            "operation_type": "regular_payment", "payment_method_id": "account_money",
            "payment_type_id": "account_money", "live_mode": false, "refunds": []});
        let notification_url = preference["notification_url"].as_str().map(String::from);
        let (action, refunds_by_key) = ("payment.created", HashMap::new());
        let payment = Payment {
            json,
            notification_url,
            action,
            refunds_by_key,
        };
        let mut payment = payment;
        payment.set_status(status);
        inner.payments.insert(payment_id, payment);
        payment_id
    };
    let (id, status) = (payment_id.to_string(), StatusCode::CREATED);
    notified(&app, &id, request.notify, status).await
}

#[derive(Deserialize)]
pub(crate) struct StatusRequest {
    status: String,
    notify: Option<bool>,
}

/// As if the seller refunded from Mercado Pago's panel, or the buyer's bank charged back.
pub(crate) async fn set_status(
    State(app): State<App>,
    Path(id): Path<String>,
    Parsed(request): Parsed<StatusRequest>,
) -> Reply {
    let status = request.status.as_str();
    if status_detail(status).is_none() {
        return Err(bad(format!("{status} is not a payment status")));
    }
    {
        let mut inner = app.lock();
        let refund_id = 2_000_000_000 + inner.next();
        let payment = inner.payment(&id, None)?;
        if status == "refunded" && payment.rest() > 0 {
            payment.refund(refund_id, payment.rest());
        }
        payment.set_status(status);
        payment.action = "payment.updated";
    }
    notified(&app, &id, request.notify, StatusCode::OK).await
}
