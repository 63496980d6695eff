//! The HTTP glue every route shares: bodies read as JSON or form, headers read as text, JSON
//! replies written.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, bad};

pub(crate) type Reply = Result<Response, Error>;

pub(crate) fn reply(status: StatusCode, body: Value) -> Response {
    let json = [(header::CONTENT_TYPE, "application/json")];
    (status, json, body.to_string()).into_response()
}

/// A JSON body, or a form body when the request says so; an empty body reads as `{}`.
pub(crate) struct Parsed<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Parsed<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Error> {
        let form = header_of(request.headers(), "content-type").contains("form-urlencoded");
        let bytes = Bytes::from_request(request, state).await;
        let bytes = bytes.map_err(|e| bad(e.body_text()))?;
        let parsed = parse(form, &bytes).map_err(|e| bad(format!("invalid body: {e}")));
        parsed.map(Parsed)
    }
}

pub(crate) fn parse<T: DeserializeOwned>(form: bool, bytes: &[u8]) -> Result<T, String> {
    match bytes.trim_ascii() {
        [] => serde_json::from_slice(b"{}").map_err(|e| e.to_string()),
        bytes if form => serde_urlencoded::from_bytes(bytes).map_err(|e| e.to_string()),
        bytes => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
    }
}

pub(crate) fn header_of<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    let value = headers.get(name).map(|v| v.to_str());
    value.and_then(Result::ok).unwrap_or_default()
}
