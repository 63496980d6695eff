//! Reading requests and writing responses: bodies, path and query parameters, JSON out.

use std::future::Future;

use lambda_http::http::{StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::App;
use crate::error::ApiError;

/// Bodies above this are refused (docs/api.md's default).
pub const BODY_LIMIT: usize = 64 * 1024;

/// A provider's webhook may carry more (a Stripe event with its object expanded).
pub const WEBHOOK_BODY_LIMIT: usize = 256 * 1024;

/// The request id API Gateway gave this request (echoed in errors and logs).
pub fn request_id(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    }
    .or_else(|| req.lambda_context_ref().map(|c| c.request_id.clone()))
    .unwrap_or_else(|| "unknown".into())
}

/// A request that outran its budget: answered 503 rather than left to Lambda's timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request ran longer than its {0:?} budget")]
pub struct OverBudget(pub std::time::Duration);

/// Runs a request's work within the app's request budget and turns its result, error or not,
/// into the response.
pub async fn respond<F>(app: &App, req: &Request, work: F) -> Response<Body>
where
    F: Future<Output = Result<Response<Body>, ApiError>>,
{
    let result = match tokio::time::timeout(app.request_timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::Unavailable(Box::new(OverBudget(
            app.request_timeout,
        )))),
    };
    match result {
        Ok(response) => response,
        Err(err) => error_response(&err, &request_id(req)),
    }
}

/// docs/api.md's error shape for `err`, with its status.
pub fn error_response(err: &ApiError, request_id: &str) -> Response<Body> {
    json_response(err.status(), &err.body(request_id))
}

/// `value` as JSON with `status`.
pub fn respond_json<T: Serialize>(
    status: StatusCode,
    value: &T,
) -> Result<Response<Body>, ApiError> {
    Ok(json_response(status, value))
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// The raw JSON body: present, `application/json`, within the size limit.
pub fn body_bytes(req: &Request) -> Result<&[u8], ApiError> {
    json_bytes_within(req, BODY_LIMIT)
}

/// A webhook's raw JSON body, within [`WEBHOOK_BODY_LIMIT`]: checked before its signature.
pub fn webhook_body(req: &Request) -> Result<&[u8], ApiError> {
    json_bytes_within(req, WEBHOOK_BODY_LIMIT)
}

/// The body's bytes, refused past `limit` before anything reads them.
pub fn bytes_within(req: &Request, limit: usize) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(bytes)
}

fn json_bytes_within(req: &Request, limit: usize) -> Result<&[u8], ApiError> {
    let bytes = bytes_within(req, limit)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::field("body", "is required: a JSON object"));
    }
    Ok(bytes)
}

/// The body read as `T`; a wrong type, a missing or unknown field is a 400 that names it.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    parse_json(body_bytes(req)?)
}

pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    if value.is_ok() {
        if let Err(trailing) = deserializer.end() {
            return Err(ApiError::field(
                "body",
                format!("is not valid JSON ({trailing})"),
            ));
        }
    }
    value.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let mut field = if path.is_empty() || path == "." {
            "body".to_string()
        } else {
            path
        };
        let message = inner.to_string();
        if let Some(unknown) = message
            .strip_prefix("unknown field `")
            .and_then(|m| m.split('`').next())
        {
            // A typo is named as itself: `details.fields.nmae`, not the object around it.
            if field == "body" {
                field = unknown.to_string();
            }
            return ApiError::field(field, "is not a field of this request");
        }
        let why = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                field = "body".to_string();
                format!("is not valid JSON ({inner})")
            }
            _ => strip_position(&inner.to_string()),
        };
        ApiError::field(field, why)
    })
}

/// serde's messages end in "at line 1 column 42", which helps no one reading a field error.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// A path parameter the route guarantees.
pub fn path_param<'a>(req: &'a Request, name: &'static str) -> Result<&'a str, ApiError> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .ok_or(ApiError::NotFound("route"))
}

/// The query string, with every parameter it does not know refused.
#[derive(Debug)]
pub struct Query<'a> {
    req: &'a Request,
}

impl<'a> Query<'a> {
    pub fn of(req: &'a Request, known: &[&str]) -> Result<Query<'a>, ApiError> {
        if let Some(params) = req.query_string_parameters_ref() {
            for (name, _) in params.iter() {
                if !known.contains(&name) {
                    return Err(ApiError::field(
                        name,
                        format!("is not a parameter here (known: {})", known.join(", ")),
                    ));
                }
            }
        }
        Ok(Query { req })
    }

    /// The query string of a caller that adds parameters of its own (a provider's webhook):
    /// nothing is refused, only what is asked for is read.
    pub fn lenient(req: &'a Request) -> Query<'a> {
        Query { req }
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.req
            .query_string_parameters_ref()
            .and_then(|p| p.first(name))
    }

    pub fn required(&self, name: &'static str) -> Result<&'a str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::field(name, "is required"))
    }

    pub fn date(&self, name: &'static str) -> Result<jiff::civil::Date, ApiError> {
        let raw = self.required(name)?;
        raw.parse()
            .ok()
            .filter(|_| raw.len() == 10)
            .ok_or_else(|| ApiError::field(name, "must be a date YYYY-MM-DD"))
    }

    /// `limit=` 1 to 100, 25 when absent.
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.get("limit") {
            None => Ok(25),
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| ApiError::field("limit", "must be a whole number from 1 to 100")),
        }
    }

    /// `cursor=` as given: the list that issued it checks it.
    pub fn cursor(&self) -> Option<&'a str> {
        self.get("cursor")
    }
}

/// 201 and 200 read better at call sites with names.
pub const CREATED: StatusCode = StatusCode::CREATED;
pub const OK: StatusCode = StatusCode::OK;
pub const ACCEPTED: StatusCode = StatusCode::ACCEPTED;
pub const NO_CONTENT: StatusCode = StatusCode::NO_CONTENT;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Shape {
        name: String,
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        size: u32,
    }

    fn field_of(bytes: &[u8]) -> (String, String) {
        match parse_json::<Shape>(bytes) {
            Err(ApiError::Validation(fields)) => {
                let (f, why) = fields.iter().next().unwrap();
                (f.to_string(), why.to_string())
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_field_and_why() {
        assert_eq!(
            field_of(br#"{"name": "a", "inner": {"size": "big"}}"#).0,
            "inner.size"
        );
        let (field, why) = field_of(br#"{"name": "a", "inner": {"size": 1}, "nmae": 2}"#);
        assert_eq!(
            (field.as_str(), why.as_str()),
            ("nmae", "is not a field of this request")
        );
        assert_eq!(
            field_of(br#"{"name": "a", "inner": {"size": 1, "colour": 2}}"#).0,
            "inner.colour"
        );
        assert!(
            !field_of(br#"{"name": 7, "inner": {"size": 1}}"#)
                .1
                .contains("line")
        );
        assert!(field_of(br#"{"name": "a""#).1.contains("not valid JSON"));
        assert!(
            field_of(br#"{"name": "a", "inner": {"size": 1}} trailing"#)
                .1
                .contains("not valid JSON")
        );
        assert!(
            field_of(br#"{"inner": {"size": 1}}"#)
                .1
                .contains("missing field `name`")
        );
    }
}
