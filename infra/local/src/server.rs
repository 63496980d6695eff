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
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

use crate::auth::verify_token;

/// API Gateway's own payload limit; the functions refuse far less (64 KiB) themselves.
const GATEWAY_BODY_LIMIT: usize = 10 * 1024 * 1024;

/// A route of the HTTP API, as template.yaml declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: &'static str,
    /// Needs a valid token (the JWT authorizer), or is open to anyone.
    pub authorized: bool,
}

const fn route(
    method: &'static str,
    path: &'static str,
    function: &'static str,
    authorized: bool,
) -> Route {
    Route {
        method,
        path,
        function,
        authorized,
    }
}

/// Every route the local server serves; a test holds it equal to template.yaml's.
pub const ROUTES: &[Route] = &[
    route("POST", "/v1/venues", "create-venue", true),
    route("GET", "/v1/venues/{venue_id}", "get-venue", false),
    route("PATCH", "/v1/venues/{venue_id}", "patch-venue", true),
    route(
        "GET",
        "/v1/venues/{venue_id}/payment-accounts",
        "payment-accounts",
        true,
    ),
    route(
        "PUT",
        "/v1/venues/{venue_id}/payment-accounts/{provider}",
        "put-payment-account",
        true,
    ),
    route(
        "DELETE",
        "/v1/venues/{venue_id}/payment-accounts/{provider}",
        "delete-payment-account",
        true,
    ),
    route(
        "POST",
        "/v1/venues/{venue_id}/resources",
        "create-resource",
        true,
    ),
    route(
        "PATCH",
        "/v1/resources/{resource_id}",
        "patch-resource",
        true,
    ),
    route(
        "GET",
        "/v1/resources/{resource_id}/availability",
        "availability",
        false,
    ),
    route("POST", "/v1/bookings", "create-booking", true),
    route("GET", "/v1/bookings/{booking_id}", "get-booking", true),
    route("GET", "/v1/me/bookings", "my-bookings", true),
    route(
        "POST",
        "/v1/bookings/{booking_id}/cancel",
        "cancel-booking",
        true,
    ),
    route(
        "GET",
        "/v1/venues/{venue_id}/bookings",
        "venue-bookings",
        true,
    ),
    route(
        "GET",
        "/v1/venues/{venue_id}/payment-accounts/mercadopago/connect",
        "mercadopago-connect",
        true,
    ),
    route(
        "GET",
        "/oauth/mercadopago/callback",
        "mercadopago-callback",
        false,
    ),
    route(
        "POST",
        "/v1/resources/{resource_id}/calendars",
        "add-calendar",
        true,
    ),
    route(
        "GET",
        "/v1/resources/{resource_id}/calendars",
        "list-calendars",
        true,
    ),
    route(
        "DELETE",
        "/v1/resources/{resource_id}/calendars/{calendar_id}",
        "delete-calendar",
        true,
    ),
    route(
        "POST",
        "/v1/resources/{resource_id}/calendars/{calendar_id}/sync",
        "sync-calendar",
        true,
    ),
    route(
        "POST",
        "/v1/resources/{resource_id}/ical-token",
        "ical-token",
        true,
    ),
    route("GET", "/ical/{resource_id}", "ical-feed", false),
    route(
        "GET",
        "/v1/venues/{venue_id}/reports/monthly",
        "monthly-report",
        true,
    ),
    route(
        "POST",
        "/webhooks/stripe/{venue_id}",
        "stripe-webhook",
        false,
    ),
    route(
        "POST",
        "/webhooks/mercadopago",
        "mercadopago-webhook",
        false,
    ),
    route("GET", "/health", "health", false),
];

/// What the server shares between requests.
#[derive(Debug, Clone)]
pub struct LocalServer {
    pub app: App,
    pub jwt_secret: Arc<str>,
    /// The notifier, fed from the notifications queue while the server runs.
    pub notifier: Option<Arc<holdfast_api::services::notifier::Notifier>>,
    /// moto's URL, where `GET /_local/mail` reads the mail SES took.
    pub aws_endpoint: Option<String>,
}

impl Route {
    /// The path parameters, when `path` is this route's.
    fn matches(&self, path: &str) -> Option<HashMap<String, String>> {
        let mut params = HashMap::new();
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return Some(params),
                (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {
                    params.insert(w[1..w.len() - 1].to_string(), g.to_string());
                }
                (Some(w), Some(g)) if w == g => {}
                _ => return None,
            }
        }
    }
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
    // Each handler boxed: one future the size of the largest would strain a worker's stack.
    match job {
        "expire-holds" => Box::pin(expire_holds::handler(app, scheduled_event())).await,
        "publish-notices" => Box::pin(publish_notices::handler(app, scheduled_event())).await,
        "send-reminders" => Box::pin(send_reminders::handler(app, scheduled_event())).await,
        "refresh-tokens" => Box::pin(refresh_tokens::handler(app, scheduled_event())).await,
        "sync-calendars" => Box::pin(sync_calendars::handler(app, scheduled_event())).await,
        _ => return Err(ApiError::NotFound("job")),
    }
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

/// Calls the function's handler; each is boxed, so the match is a pointer in size rather than
/// the largest handler's whole future.
async fn call(
    function: &str,
    app: &App,
    req: lambda_http::Request,
) -> Result<lambda_http::Response<Body>, lambda_http::Error> {
    match function {
        "create-venue" => Box::pin(create_venue::handler(app, req)).await,
        "get-venue" => Box::pin(get_venue::handler(app, req)).await,
        "create-resource" => Box::pin(create_resource::handler(app, req)).await,
        "patch-resource" => Box::pin(patch_resource::handler(app, req)).await,
        "patch-venue" => Box::pin(patch_venue::handler(app, req)).await,
        "payment-accounts" => Box::pin(payment_accounts::handler(app, req)).await,
        "put-payment-account" => Box::pin(put_payment_account::handler(app, req)).await,
        "delete-payment-account" => Box::pin(delete_payment_account::handler(app, req)).await,
        "availability" => Box::pin(availability::handler(app, req)).await,
        "create-booking" => Box::pin(create_booking::handler(app, req)).await,
        "get-booking" => Box::pin(get_booking::handler(app, req)).await,
        "my-bookings" => Box::pin(my_bookings::handler(app, req)).await,
        "cancel-booking" => Box::pin(cancel_booking::handler(app, req)).await,
        "venue-bookings" => Box::pin(venue_bookings::handler(app, req)).await,
        "health" => Box::pin(health::handler(app, req)).await,
        "monthly-report" => Box::pin(monthly_report::handler(app, req)).await,
        "add-calendar" => Box::pin(add_calendar::handler(app, req)).await,
        "list-calendars" => Box::pin(list_calendars::handler(app, req)).await,
        "delete-calendar" => Box::pin(delete_calendar::handler(app, req)).await,
        "sync-calendar" => Box::pin(sync_calendar::handler(app, req)).await,
        "ical-token" => Box::pin(ical_token::handler(app, req)).await,
        "ical-feed" => Box::pin(ical_feed::handler(app, req)).await,
        "mercadopago-connect" => Box::pin(mercadopago_connect::handler(app, req)).await,
        "mercadopago-callback" => Box::pin(mercadopago_callback::handler(app, req)).await,
        "stripe-webhook" => Box::pin(stripe_webhook::handler(app, req)).await,
        "mercadopago-webhook" => Box::pin(mercadopago_webhook::handler(app, req)).await,
        other => Err(format!("no function {other}").into()),
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
    let response = route_request(&server, parts, body, &request_id).await;
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

    let Some((route, params)) = ROUTES
        .iter()
        .filter(|r| r.method == method.as_str())
        .find_map(|r| r.matches(path).map(|p| (r, p)))
    else {
        return (
            error_response(ApiError::NotFound("route"), request_id),
            method,
        );
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
    let response = match call(route.function, &server.app, lambda_request).await {
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
    use super::*;

    #[test]
    fn routes_match_with_parameters() {
        let cancel = ROUTES
            .iter()
            .find(|r| r.function == "cancel-booking")
            .unwrap();
        let params = cancel.matches("/v1/bookings/bkg_1/cancel").unwrap();
        assert_eq!(params["booking_id"], "bkg_1");
        assert!(cancel.matches("/v1/bookings//cancel").is_none());
        assert!(cancel.matches("/v1/bookings/bkg_1").is_none());
    }

    #[test]
    fn the_local_routes_are_template_yamls_routes() {
        let template = crate::Template::parse(crate::TEMPLATE_YAML).unwrap();
        let declared: Vec<(String, String, String, bool)> = template
            .routes()
            .into_iter()
            .map(|r| (r.method, r.path, r.function, r.authorized))
            .collect();
        let mut served: Vec<(String, String, String, bool)> = ROUTES
            .iter()
            .map(|r| {
                (
                    r.method.to_string(),
                    r.path.to_string(),
                    r.function.to_string(),
                    r.authorized,
                )
            })
            .collect();
        served.sort();
        assert_eq!(served, declared);
    }
}
