//! The notifications the stand-in sends: a payment's webhook POSTed to its `notification_url`,
//! signed as Mercado Pago signs it, and its redelivery on demand.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::error::{Error, bad};
use crate::http::{Reply, reply};
use crate::state::App;
use crate::wire::now;

pub(crate) async fn redeliver(State(app): State<App>, Path(id): Path<String>) -> Reply {
    notified(&app, &id, None, StatusCode::OK).await
}

/// Answers `{payment, notification}`, notifying first unless told not to.
pub(crate) async fn notified(
    app: &App,
    id: &str,
    notify: Option<bool>,
    status: StatusCode,
) -> Reply {
    let notification = match notify {
        Some(false) => Value::Null,
        _ => send_notification(app, id).await?,
    };
    let payment = app.lock().payment(id, None)?.json.clone();
    let answer = json!({"payment": payment, "notification": notification});
    Ok(reply(status, answer))
}

/// POSTs the payment's notification, signed as Mercado Pago signs it; answers what came of it.
async fn send_notification(app: &App, id: &str) -> Result<Value, Error> {
    let (url, body) = {
        let mut inner = app.lock();
        let notification_id = inner.next();
        let payment = inner.payment(id, None)?;
        let body = json!({"action": payment.action, "api_version": "v1", "data": {"id": id},
                          "date_created": now(), "id": notification_id, "live_mode": false,
                          "type": "payment", "user_id": payment.json["collector_id"].to_string()});
        (payment.notification_url.clone(), body)
    };
    let Some(url) = url else {
        return Ok(json!({"error": "the preference has no notification_url"}));
    };
    let request_id = Uuid::new_v4().to_string();
    let ts = jiff::Timestamp::now().as_second();
    let mac = Hmac::<Sha256>::new_from_slice(app.0.config.webhook_secret.as_bytes());
    let mut mac = mac.map_err(|e| bad(e.to_string()))?;
    mac.update(format!("id:{id};request-id:{request_id};ts:{ts};").as_bytes());
    let digest = mac.finalize().into_bytes();
    let v1 = hex::encode(digest);
    let separator = match url.contains('?') {
        true if url.ends_with(['?', '&']) => "",
        true => "&",
        false => "?",
    };
    let target = format!("{url}{separator}data.id={id}&type=payment");
    let request = app.0.http.post(target).header("x-request-id", request_id);
    let signature = format!("ts={ts},v1={v1}");
    let request = request.header("x-signature", signature).json(&body);
    let sent = request.send().await;
    Ok(match sent {
        Ok(answer) => {
            tracing::info!(payment = id, status = answer.status().as_u16(), "notified");
            json!({"status": answer.status().as_u16()})
        }
        Err(e) => {
            tracing::warn!(payment = id, "notification not delivered");
            json!({"error": e.to_string()})
        }
    })
}
