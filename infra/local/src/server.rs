//! Routes requests the way API Gateway would: match template.yaml's route, check the token,
//! hand the function the same API Gateway v2 event it gets in AWS, return what it answers.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body as AxumBody, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Request as HttpRequest, StatusCode, header};
use axum::response::{IntoResponse, Response as AxumResponse};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use holdfast_api::{ApiError, App, Body};
use holdfast_functions::Function;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

use crate::auth::verify_token;
use crate::cors::Cors;
use crate::template::Route;

/// API Gateway's own payload limit; the functions refuse far less (64 KiB) themselves.
const GATEWAY_BODY_LIMIT: usize = 10 * 1024 * 1024;

/// What the server shares between requests.
#[derive(Debug, Clone)]
pub struct LocalServer {
    pub app: App,
    pub jwt_secret: Arc<str>,
    /// The notifier, fed from the notifications queue while the server runs.
    pub notifier: Option<Arc<holdfast_api::services::notifier::Notifier>>,
    /// moto's URL, where `GET /_local/mail` reads the mail SES took.
    pub aws_endpoint: Option<String>,
    /// template.yaml's routes (`Template::routes`), the only list of them.
    pub routes: Arc<[Route]>,
    /// The origins browser pages may call from (`HOLDFAST_ALLOWED_ORIGINS`).
    pub cors: Cors,
}

fn json_ok(value: &Value) -> AxumResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn error_response(err: ApiError, request_id: &str) -> AxumResponse {
    let status =
        StatusCode::from_u16(err.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        err.body(request_id).to_string(),
    )
        .into_response()
}

/// Runs a scheduled job by its function name, as EventBridge would.
pub async fn run_job(app: &App, job: &str) -> Result<Value, ApiError> {
    let Some(Function::Job(handler)) = holdfast_functions::find(job) else {
        return Err(ApiError::NotFound("job"));
    };
    handler(app, scheduled_event())
        .await
        // The job's own error (a store that did not answer is a 503) as it raised it.
        .map_err(|err| match err.downcast::<ApiError>() {
            Ok(api) => *api,
            Err(other) => ApiError::Internal(other),
        })
}

/// The event EventBridge Scheduler hands a scheduled function.
fn scheduled_event() -> LambdaEvent<Value> {
    let event = json!({"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}});
    LambdaEvent::new(event, Context::default())
}

/// Calls the HTTP function named `function` (each handler's future is boxed in `FUNCTIONS`).
async fn call(
    function: &str,
    app: &App,
    req: lambda_http::Request,
) -> Result<lambda_http::Response<Body>, lambda_http::Error> {
    match holdfast_functions::find(function) {
        Some(Function::Http(handler, _)) => handler(app, req).await,
        _ => Err(format!("template.yaml routes to {function}, not an HTTP function").into()),
    }
}

/// The API Gateway v2 (payload 2.0) event for a request.
fn gateway_event(
    route: &Route,
    params: HashMap<String, String>,
    request: &axum::http::request::Parts,
    body: &[u8],
    claims: Option<HashMap<String, String>>,
    request_id: &str,
) -> Value {
    let (method, uri, headers) = (&request.method, &request.uri, &request.headers);
    let mut header_map: HashMap<String, String> = HashMap::new();
    for (name, value) in headers {
        if let Ok(value) = value.to_str() {
            header_map
                .entry(name.as_str().to_lowercase())
                .and_modify(|v| {
                    v.push(',');
                    v.push_str(value);
                })
                .or_insert_with(|| value.to_string());
        }
    }
    let raw_query = uri.query().unwrap_or("");
    let mut query: HashMap<String, String> = HashMap::new();
    for (k, v) in serde_urlencoded::from_str::<Vec<(String, String)>>(raw_query).unwrap_or_default()
    {
        query
            .entry(k)
            .and_modify(|e| {
                e.push(',');
                e.push_str(&v);
            })
            .or_insert(v);
    }
    let (body, encoded) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_string(), false),
        Err(_) => (STANDARD.encode(body), true),
    };
    let now = jiff::Timestamp::now();
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{} {}", route.method, route.path),
        "rawPath": uri.path(),
        "rawQueryString": raw_query,
        "headers": header_map,
        "requestContext": {
            "accountId": "000000000000", "apiId": "local", "domainName": "127.0.0.1", "domainPrefix": "local",
            "http": {"method": method.as_str(), "path": uri.path(), "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("")},
            "requestId": request_id,
            "routeKey": format!("{} {}", route.method, route.path),
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.as_millisecond(),
        },
        "isBase64Encoded": encoded,
    });
    if !body.is_empty() {
        event["body"] = json!(body);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = json!(query);
    }
    if !params.is_empty() {
        event["pathParameters"] = json!(params);
    }
    if let Some(claims) = claims {
        event["requestContext"]["authorizer"] = json!({"jwt": {"claims": claims, "scopes": null}});
    }
    event
}

async fn dispatch(
    State(server): State<LocalServer>,
    request: HttpRequest<AxumBody>,
) -> AxumResponse {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    if let Some(preflight) = server.cors.preflight(&parts.method, &parts.headers) {
        return preflight;
    }
    let headers = parts.headers.clone();
    let mut response = route_request(&server, parts, body, &request_id).await;
    server.cors.answer(&headers, &mut response.0);
    tracing::info!(
        "{} {} -> {} in {:.1} ms",
        response.1,
        path,
        response.0.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response.0
}

async fn route_request(
    server: &LocalServer,
    parts: axum::http::request::Parts,
    body: AxumBody,
    request_id: &str,
) -> (AxumResponse, Method) {
    let method = parts.method.clone();
    let path = parts.uri.path();

    if let Some(job) = path.strip_prefix("/_local/jobs/") {
        if method != Method::POST {
            return (
                error_response(ApiError::NotFound("route"), request_id),
                method,
            );
        }
        let response = match run_job(&server.app, job).await {
            Ok(summary) => json_ok(&summary),
            Err(err) => error_response(err, request_id),
        };
        return (response, method);
    }
    if path == "/_local/clock" {
        return (clock(server, &method, body, request_id).await, method);
    }
    if path == "/_local/mail" && method == Method::GET {
        return (
            local_mail(server, parts.uri.query(), request_id).await,
            method,
        );
    }

    let Some((route, params)) = server
        .routes
        .iter()
        .filter(|r| r.method == method.as_str())
        .find_map(|r| r.matches(path).map(|p| (r, p)))
    else {
        // A path the API has, with another method: 405 and what it takes (RFC 9110).
        let allowed: Vec<&str> = server
            .routes
            .iter()
            .filter(|r| r.matches(path).is_some())
            .map(|r| r.method.as_str())
            .collect();
        if allowed.is_empty() {
            return (
                error_response(ApiError::NotFound("route"), request_id),
                method,
            );
        }
        let mut response =
            error_response(ApiError::MethodNotAllowed(method.to_string()), request_id);
        if let Ok(allow) = header::HeaderValue::from_str(&allowed.join(", ")) {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        return (response, method);
    };

    let claims = bearer(&parts.headers).and_then(|token| {
        verify_token(
            &server.jwt_secret,
            token,
            jiff::Timestamp::now().as_second(),
        )
    });
    if route.authorized && claims.is_none() {
        return (
            error_response(ApiError::Unauthenticated, request_id),
            method,
        );
    }
    let body = match to_bytes(body, GATEWAY_BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                error_response(
                    ApiError::PayloadTooLarge {
                        limit: GATEWAY_BODY_LIMIT,
                    },
                    request_id,
                ),
                method,
            );
        }
    };
    // Public routes get no claims, as behind API Gateway's `Authorizer: NONE`.
    let claims = if route.authorized { claims } else { None };
    let event = gateway_event(route, params, &parts, &body, claims, request_id);
    let lambda_request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(req) => req,
        Err(err) => {
            return (
                error_response(ApiError::Internal(Box::new(err)), request_id),
                method,
            );
        }
    };
    let response = match call(&route.function, &server.app, lambda_request).await {
        Ok(response) => response,
        Err(err) => return (error_response(ApiError::Internal(err), request_id), method),
    };
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        _ => Vec::new(),
    };
    (
        AxumResponse::from_parts(parts, AxumBody::from(bytes)),
        method,
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// `GET /_local/clock` tells the server's time; `POST {"advance_seconds": N}` moves it on, so
/// that people and tests can see holds lapse without waiting.
async fn clock(
    server: &LocalServer,
    method: &Method,
    body: AxumBody,
    request_id: &str,
) -> AxumResponse {
    if method == Method::POST {
        let bytes = to_bytes(body, 4096).await.unwrap_or_default();
        let seconds = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v.get("advance_seconds")?.as_i64());
        match seconds {
            Some(s) if s >= 0 => server.app.clock.advance(s),
            _ => {
                return error_response(
                    ApiError::field(
                        "advance_seconds",
                        "must be a whole number of seconds, not negative",
                    ),
                    request_id,
                );
            }
        }
    }
    json_ok(&json!({"now": clock_now(server)}))
}

/// `GET /_local/mail[?to=]`: what moto's SES received, oldest first.
async fn local_mail(server: &LocalServer, query: Option<&str>, request_id: &str) -> AxumResponse {
    let Some(endpoint) = &server.aws_endpoint else {
        return error_response(ApiError::NotFound("mail emulator"), request_id);
    };
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
    if let Some(unknown) = params.keys().find(|k| k.as_str() != "to") {
        return error_response(
            ApiError::field(unknown.clone(), "is not a parameter here (known: to)"),
            request_id,
        );
    }
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    match crate::mail::sent_mail(&client, endpoint, params.get("to").map(String::as_str)).await {
        Ok(items) => json_ok(&json!({ "items": items })),
        Err(why) => error_response(ApiError::Unavailable(why.into()), request_id),
    }
}

fn clock_now(server: &LocalServer) -> String {
    server
        .app
        .clock
        .now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub fn router(server: LocalServer) -> Router {
    Router::new().fallback(dispatch).with_state(server)
}

/// Serves until `shutdown` completes, running each scheduled job of template.yaml on its rate
/// when `schedules` is given.
pub async fn serve(
    listener: tokio::net::TcpListener,
    server: LocalServer,
    schedules: Vec<(String, u64)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let (Some(notifier), Some(publisher)) = (&server.notifier, &server.app.publisher) {
        tokio::spawn(crate::mail::feed_notifier(
            notifier.clone(),
            publisher.client().clone(),
            publisher.queue_url().to_string(),
        ));
    }
    for (job, seconds) in schedules {
        let app = server.app.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_secs(seconds));
            ticks.tick().await;
            loop {
                ticks.tick().await;
                match run_job(&app, &job).await {
                    Ok(summary) => tracing::debug!(%job, %summary, "scheduled job ran"),
                    Err(err) => tracing::warn!(%job, error = %err, "scheduled job failed"),
                }
            }
        });
    }
    axum::serve(listener, router(server))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use crate::{TEMPLATE_YAML, Template};

    #[test]
    fn routes_match_with_parameters() {
        let routes = Template::parse(TEMPLATE_YAML).unwrap().routes();
        let cancel = routes
            .iter()
            .find(|r| r.function == "cancel-booking")
            .unwrap();
        let params = cancel.matches("/v1/bookings/bkg_1/cancel").unwrap();
        assert_eq!(params["booking_id"], "bkg_1");
        assert!(cancel.matches("/v1/bookings//cancel").is_none());
        assert!(cancel.matches("/v1/bookings/bkg_1").is_none());
    }
}
