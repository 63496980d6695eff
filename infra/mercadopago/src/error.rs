//! The crate's one error: every refusal the stand-in answers, in Mercado Pago's error shapes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::reply;

/// Every refusal: Mercado Pago's `{message, error, status, cause}` (`error` named after the
/// status), or OAuth's `{error, message, status}` at `/oauth/token`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{1}")]
    Api(StatusCode, String),
    #[error("{1}")]
    OAuth(&'static str, String),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, error) = match &self {
            Error::Api(status, _) => {
                let reason = status.canonical_reason().unwrap_or("error");
                (*status, reason.to_ascii_lowercase().replace(' ', "_"))
            }
            Error::OAuth(error, _) => match *error {
                "invalid_client" => (StatusCode::UNAUTHORIZED, error.to_string()),
                _ => (StatusCode::BAD_REQUEST, error.to_string()),
            },
        };
        let code = status.as_u16();
        let mut body = json!({"message": self.to_string(), "error": error, "status": code});
        if let Error::Api(..) = self {
            body["cause"] = json!([]);
        }
        reply(status, body)
    }
}

pub(crate) fn bad(message: impl Into<String>) -> Error {
    Error::Api(StatusCode::BAD_REQUEST, message.into())
}

pub(crate) fn missing(what: &str) -> Error {
    Error::Api(StatusCode::NOT_FOUND, format!("{what} not found"))
}

pub(crate) fn oauth(error: &'static str, message: &str) -> Error {
    Error::OAuth(error, message.into())
}
