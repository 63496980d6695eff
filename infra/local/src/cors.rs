//! CORS as the HTTP API's `CorsConfiguration` answers it: preflights from an allowed origin get
//! the allowed methods and headers, every answer to one names it; another origin gets nothing.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `HOLDFAST_ALLOWED_ORIGINS` when unset: a Vite dev server's two spellings.
pub const DEFAULT_ALLOWED_ORIGINS: &str = "http://localhost:5173,http://127.0.0.1:5173";

/// What template.yaml's `CorsConfiguration` says, mirrored.
const ALLOW_METHODS: &str = "GET,POST,PUT,PATCH,DELETE,OPTIONS";
const ALLOW_HEADERS: &str = "authorization,content-type,idempotency-key";
const EXPOSE_HEADERS: &str = "ratelimit,ratelimit-policy,retry-after,etag";
const MAX_AGE_SECONDS: &str = "600";

/// The origins a browser page may call the API from.
#[derive(Debug, Clone)]
pub struct Cors {
    origins: Arc<[String]>,
}

impl Cors {
    /// From a comma-separated list (`HOLDFAST_ALLOWED_ORIGINS`); origins compare exactly, as
    /// browsers send them (scheme, host and port, no path).
    pub fn new(list: &str) -> Cors {
        Cors {
            origins: list
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect(),
        }
    }

    /// The request's origin, when it is one of the allowed.
    fn allowed<'a>(&self, headers: &'a HeaderMap) -> Option<&'a HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        let text = origin.to_str().ok()?;
        self.origins.iter().any(|o| o == text).then_some(origin)
    }

    /// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`), or `None`
    /// for any other request. API Gateway answers a preflight itself, without the function.
    pub fn preflight(&self, method: &Method, headers: &HeaderMap) -> Option<Response> {
        if method != Method::OPTIONS || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return None;
        }
        let mut response = StatusCode::NO_CONTENT.into_response();
        if let Some(origin) = self.allowed(headers) {
            let out = response.headers_mut();
            out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            out.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOW_METHODS),
            );
            out.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOW_HEADERS),
            );
            out.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(MAX_AGE_SECONDS),
            );
        }
        Some(response)
    }

    /// Names the origin on an answer to an allowed one, with the headers its page may read.
    pub fn answer(&self, request: &HeaderMap, response: &mut Response) {
        let out = response.headers_mut();
        out.append(header::VARY, HeaderValue::from_static("origin"));
        if let Some(origin) = self.allowed(request) {
            out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            out.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSE_HEADERS),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    #[test]
    fn an_allowed_origins_preflight_is_answered_and_anothers_is_not() {
        let cors = Cors::new(DEFAULT_ALLOWED_ORIGINS);
        let ask = |origin: &str| {
            cors.preflight(
                &Method::OPTIONS,
                &headers(&[
                    (header::ORIGIN, origin),
                    (header::ACCESS_CONTROL_REQUEST_METHOD, "POST"),
                ]),
            )
            .expect("a preflight")
        };
        let allowed = ask("http://localhost:5173");
        assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
        let h = allowed.headers();
        assert_eq!(
            h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://localhost:5173"
        );
        for needed in ["authorization", "content-type", "idempotency-key"] {
            assert!(
                h[header::ACCESS_CONTROL_ALLOW_HEADERS]
                    .to_str()
                    .unwrap()
                    .contains(needed)
            );
        }
        assert!(h.contains_key(header::ACCESS_CONTROL_MAX_AGE));
        let other = ask("http://localhost:5174");
        assert!(
            other
                .headers()
                .keys()
                .all(|k| !k.as_str().starts_with("access-control-")),
            "{:?}",
            other.headers()
        );
        // An OPTIONS that is no preflight goes to the routes.
        assert!(
            cors.preflight(
                &Method::OPTIONS,
                &headers(&[(header::ORIGIN, "http://localhost:5173")])
            )
            .is_none()
        );
    }

    #[test]
    fn answers_name_an_allowed_origin_only() {
        let cors = Cors::new("https://app.example , https://admin.example/");
        let mut answer = StatusCode::OK.into_response();
        cors.answer(
            &headers(&[(header::ORIGIN, "https://admin.example")]),
            &mut answer,
        );
        assert_eq!(
            answer.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://admin.example"
        );
        assert!(
            answer.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS]
                .to_str()
                .unwrap()
                .contains("ratelimit")
        );
        let mut other = StatusCode::OK.into_response();
        cors.answer(
            &headers(&[(header::ORIGIN, "https://evil.example")]),
            &mut other,
        );
        assert!(
            other
                .headers()
                .keys()
                .all(|k| !k.as_str().starts_with("access-control-"))
        );
    }
}
