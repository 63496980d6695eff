//! What the stand-in does to every API request before its route: records it for
//! `/_standin/requests` and applies the faults set at `/_standin/faults`.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, bad};
use crate::http::{Parsed, Reply, header_of, parse, reply};
use crate::state::App;

#[derive(Clone, Deserialize, Serialize)]
pub(crate) struct Fault {
    pub(crate) path_prefix: String,
    #[serde(default)]
    delay_ms: u64,
    status: Option<u16>,
    pub(crate) times: Option<u32>,
}

/// Records every API request (never its Authorization header), then applies a matching fault.
pub(crate) async fn observe(State(app): State<App>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/_standin/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return bad("body too large or unreadable").into_response();
    };
    let form = header_of(&parts.headers, "content-type").contains("form-urlencoded");
    let text = || Value::String(String::from_utf8_lossy(&bytes).into());
    let mut parsed = parse(form, &bytes).unwrap_or_else(|_| text());
    if bytes.is_empty() {
        parsed = Value::Null;
    }
    for secret in ["client_secret", "refresh_token"] {
        if let Some(value) = parsed.get_mut(secret) {
            *value = json!("[redacted]");
        }
    }
    let key = header_of(&parts.headers, "x-idempotency-key");
    let record = json!({"method": parts.method.as_str(), "path": path, "query": parts.uri.query(),
                        "idempotency_key": (!key.is_empty()).then_some(key), "body": parsed});
    tracing::debug!(method = %parts.method, path, "request");
    let fault = {
        let mut inner = app.lock();
        inner.requests.push(record);
        inner.take_fault(&path)
    };
    if let Some(fault) = fault {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
        if let Some(status) = fault.status.and_then(|s| StatusCode::from_u16(s).ok()) {
            return Error::Api(status, "fault injected by the stand-in".into()).into_response();
        }
    }
    let request = Request::from_parts(parts, Body::from(bytes));
    next.run(request).await
}

pub(crate) async fn add_fault(State(app): State<App>, Parsed(fault): Parsed<Fault>) -> Reply {
    let status_ok = fault.status.is_none_or(|s| StatusCode::from_u16(s).is_ok());
    if !status_ok || fault.times == Some(0) {
        return Err(bad("status must be an HTTP status and times at least 1"));
    }
    app.lock().faults.push(fault.clone());
    Ok(reply(StatusCode::CREATED, json!(fault)))
}

pub(crate) async fn clear_faults(State(app): State<App>) -> StatusCode {
    app.lock().faults.clear();
    StatusCode::NO_CONTENT
}

pub(crate) async fn requests(State(app): State<App>) -> Response {
    reply(StatusCode::OK, json!(app.lock().requests))
}

pub(crate) async fn clear_requests(State(app): State<App>) -> StatusCode {
    app.lock().requests.clear();
    StatusCode::NO_CONTENT
}
