//! Checkout preferences: `POST /checkout/preferences` with its items checked and fields echoed,
//! and `GET` of one, for the seller who created it.

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{Error, bad, missing};
use crate::http::{Parsed, Reply, reply};
use crate::oauth::Seller;
use crate::state::App;
use crate::wire::{cents, now};

#[derive(Deserialize)]
struct Item {
    quantity: Option<i64>,
    unit_price: Option<f64>,
    currency_id: Option<String>,
}

/// The items' total in cents and their one currency, or why they are refused.
pub(crate) fn total(items: &Value) -> Result<(i64, String), Error> {
    let items = serde_json::from_value::<Vec<Item>>(items.clone());
    let (mut total, mut currencies) = (0, HashSet::new());
    for item in items.map_err(|e| bad(format!("items invalid: {e}")))? {
        let quantity = item.quantity.filter(|q| *q >= 1);
        let quantity = quantity.ok_or(bad("quantity invalid"))?;
        let price = item.unit_price.and_then(cents).filter(|c| *c > 0);
        total += quantity * price.ok_or(bad("unit_price invalid"))?;
        let currency = item.currency_id.filter(|c| !c.is_empty());
        currencies.insert(currency.ok_or(bad("currency_id invalid"))?);
    }
    match currencies.len() {
        0 => Err(bad("items must not be empty")),
        1 => Ok((total, currencies.into_iter().collect())),
        _ => Err(bad("items must all have the same currency_id")),
    }
}

pub(crate) async fn create_preference(
    State(app): State<App>,
    s: Seller,
    Parsed(raw): Parsed<Value>,
) -> Reply {
    total(&raw["items"])?;
    let url = raw["notification_url"].as_str().unwrap_or("http://");
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err(bad("notification_url attribute must be url valid"));
    }
    let id = format!("{}-{}", s.0, Uuid::new_v4());
    let init_point = format!("{}/checkout/v1/redirect?pref-id={id}", app.0.base_url);
    let mut answer = json!({"id": id, "init_point": init_point, "sandbox_init_point": init_point,
                            "collector_id": s.0, "client_id": app.0.config.client_id,
                            "items": raw["items"], "operation_type": "regular_payment",
                            "date_created": now()});
    let echoed = json!({"external_reference": "", "notification_url": null, "back_urls": {},
                        "auto_return": "", "expires": false, "expiration_date_from": null,
                        "expiration_date_to": null, "metadata": {}});
    for (field, default) in echoed.as_object().into_iter().flatten() {
        answer[field] = raw.get(field).unwrap_or(default).clone();
    }
    app.lock().preferences.insert(id, answer.clone());
    Ok(reply(StatusCode::CREATED, answer))
}

pub(crate) async fn get_preference(
    State(app): State<App>,
    s: Seller,
    Path(id): Path<String>,
) -> Reply {
    let inner = app.lock();
    let found = inner.preferences.get(&id);
    let found = found.filter(|p| p["collector_id"] == s.0);
    let found = found.ok_or(missing("preference"))?.clone();
    Ok(reply(StatusCode::OK, found))
}
