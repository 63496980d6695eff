//! The one error type of the HTTP functions and its one conversion to docs/api.md's error shape.

use holdfast_domain::{DomainError, FieldErrors};
use holdfast_store::StoreError;
use lambda_http::http::StatusCode;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(FieldErrors),
    #[error("sign in first: this needs a valid bearer token")]
    Unauthenticated,
    /// A webhook or OAuth return whose signature (or state) does not verify.
    #[error("{0}")]
    BadSignature(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no such {0}")]
    NotFound(&'static str),
    /// A path the API has, asked with a method it does not take there.
    #[error("this route does not take {0}")]
    MethodNotAllowed(String),
    #[error("{message}")]
    SlotTaken {
        message: String,
        conflicts: Vec<Value>,
    },
    #[error("{0}")]
    InvalidState(String),
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    #[error("this Idempotency-Key was used with a different body")]
    IdempotencyMismatch,
    /// Over a rate limit's quota: `Retry-After` says when the window ends.
    #[error("too many requests: the {} limit allows {} every {} seconds", .0.group, .0.quota.requests, .0.quota.window_seconds)]
    RateLimited(holdfast_domain::Standing),
    #[error("a dependency is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn field(field: impl Into<String>, why: impl Into<String>) -> ApiError {
        ApiError::Validation(FieldErrors::single(field, why))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated | ApiError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::SlotTaken { .. } | ApiError::InvalidState(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "VALIDATION_ERROR",
            ApiError::Unauthenticated | ApiError::BadSignature(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
            ApiError::SlotTaken { .. } => "SLOT_TAKEN",
            ApiError::InvalidState(_) => "INVALID_STATE",
            ApiError::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            ApiError::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ApiError::IdempotencyMismatch => "IDEMPOTENCY_MISMATCH",
            ApiError::RateLimited(_) => "RATE_LIMITED",
            ApiError::Unavailable(_) => "UNAVAILABLE",
            ApiError::Internal(_) => "INTERNAL_ERROR",
        }
    }

    /// The JSON body of docs/api.md's error shape. A 5xx is logged here, once, with the request id
    /// and its whole chain of causes; a 4xx is the caller's business and is not.
    pub fn body(&self, request_id: &str) -> Value {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(request_id, code = self.code(), error = %chain(self), "request failed");
        }
        let message = match self {
            ApiError::Validation(errors) => format!("Invalid request: {errors}"),
            // Nothing internal reaches the caller.
            ApiError::Internal(_) => "Something went wrong on our side; try again later.".into(),
            ApiError::Unavailable(_) => "A dependency is unavailable; try again shortly.".into(),
            other => other.to_string(),
        };
        let details = match self {
            ApiError::Validation(errors) => {
                let fields: serde_json::Map<String, Value> = errors
                    .iter()
                    .map(|(f, why)| (f.to_string(), Value::from(why)))
                    .collect();
                Some(json!({ "fields": fields }))
            }
            ApiError::SlotTaken { conflicts, .. } => Some(json!({ "conflicts": conflicts })),
            ApiError::RateLimited(standing) => Some(json!({
                "policy": standing.group.as_str(),
                "retry_after": standing.window.resets_in,
            })),
            _ => None,
        };
        let mut error =
            json!({ "code": self.code(), "message": message, "request_id": request_id });
        if let Some(details) = details {
            error["details"] = details;
        }
        json!({ "error": error })
    }
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> ApiError {
        match err {
            DomainError::Invalid(fields) => ApiError::Validation(fields),
            transition @ DomainError::InvalidTransition { .. } => {
                ApiError::InvalidState(transition.to_string())
            }
        }
    }
}

/// A booking event its status refuses: the same answer as the domain's `InvalidTransition`.
impl From<holdfast_domain::RefusedTransition> for ApiError {
    fn from(refused: holdfast_domain::RefusedTransition) -> ApiError {
        ApiError::from(DomainError::from(refused))
    }
}

impl From<holdfast_payments::ProviderError> for ApiError {
    fn from(err: holdfast_payments::ProviderError) -> ApiError {
        if err.is_unavailable() {
            ApiError::Unavailable(Box::new(err))
        } else {
            ApiError::Internal(Box::new(err))
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        match err {
            // Contention that outlasted the retries is a busy store, not a broken one.
            StoreError::Unavailable(_) | StoreError::Contended { .. } => {
                ApiError::Unavailable(Box::new(err))
            }
            StoreError::BadCursor => {
                ApiError::field("cursor", "is not a cursor this list gave out")
            }
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_name_their_fields() {
        let body = ApiError::field("start", "is in the past").body("req-1");
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(
            body["error"]["details"]["fields"]["start"],
            "is in the past"
        );
        assert_eq!(body["error"]["request_id"], "req-1");
    }

    #[test]
    fn internal_errors_say_nothing_internal() {
        let err = ApiError::Internal("table holdfast-secret exploded".into());
        let body = err.body("req-2");
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("holdfast-secret"));
        assert!(body["error"].get("details").is_none());
    }

    #[test]
    fn a_bad_cursor_is_the_callers_mistake() {
        let err = ApiError::from(StoreError::BadCursor);
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_store_that_does_not_answer_or_stays_contended_is_unavailable() {
        for err in [
            StoreError::Unavailable("timed out".into()),
            StoreError::Contended { attempts: 10 },
        ] {
            let err = ApiError::from(err);
            assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(err.body("req-3")["error"]["code"], "UNAVAILABLE");
        }
    }
}
