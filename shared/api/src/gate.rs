//! What every route passes on its way in and out: its rate limit counted (429 when spent, the
//! draft's headers on every answer it counts), and one access-log line with its outcome.

use std::future::Future;
use std::time::Instant;

use holdfast_domain::{Audience, Counted, Standing, group_for};
use lambda_http::http::{HeaderValue, Method, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::http::{error_response, request_id};
use crate::metrics::{self, Metric};

/// Runs `handler` for `req`, a route for `audience`, behind its rate limit.
pub async fn guarded<'a, F, Fut>(
    app: &'a App,
    req: Request,
    audience: Audience,
    handler: F,
) -> Result<Response<Body>, lambda_http::Error>
where
    F: FnOnce(&'a App, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, lambda_http::Error>>,
{
    let started = Instant::now();
    let request_id = request_id(&req);
    let lambda_request_id = req.lambda_context_ref().map(|c| c.request_id.clone());
    let route = route_key(&req);
    let booking_id = req
        .path_parameters_ref()
        .and_then(|p| p.first("booking_id"))
        .map(str::to_string);
    let standing = match count(app, &req, audience).await {
        Ok(standing) => standing,
        Err(err) => {
            let response = error_response(&err, &request_id);
            let ids = (request_id.as_str(), lambda_request_id.as_deref());
            log_answer(ids, &route, &response, started, booking_id.as_deref());
            return Ok(response);
        }
    };
    let mut response = match standing {
        Some(standing) if standing.refused() => {
            tracing::info!(request_id, route, group = %standing.group, "rate limited");
            metrics::emit(Metric::RateLimited(standing.group));
            let mut response = error_response(&ApiError::RateLimited(standing), &request_id);
            put(
                &mut response,
                header::RETRY_AFTER,
                &standing.window.resets_in.to_string(),
            );
            response
        }
        _ => handler(app, req).await?,
    };
    if let Some(standing) = standing {
        put(&mut response, "ratelimit-policy", &standing.policy_header());
        put(&mut response, "ratelimit", &standing.header());
    }
    let created = booking_id.or_else(|| created_booking(&response));
    let ids = (request_id.as_str(), lambda_request_id.as_deref());
    log_answer(ids, &route, &response, started, created.as_deref());
    Ok(response)
}

/// Counts the request in its group's window, if its group has a quota: where the caller then
/// stands, `None` when nothing counts it.
async fn count(app: &App, req: &Request, audience: Audience) -> Result<Option<Standing>, ApiError> {
    let Some(limits) = &app.rate_limits else {
        return Ok(None);
    };
    let caller = Caller::of(req).ok();
    let counted = match &caller {
        None => Counted::Anonymous,
        Some(c) if c.groups.iter().any(|g| g == "admin") => Counted::Staff,
        Some(_) => Counted::Customer,
    };
    let writes = matches!(
        *req.method(),
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    ) && req.uri().path().starts_with("/v1/");
    let Some(group) = group_for(audience, writes, counted) else {
        return Ok(None);
    };
    let Some(quota) = limits.quota(group) else {
        return Ok(None);
    };
    let key = match (group, &caller) {
        (holdfast_domain::LimitGroup::Public, _) | (_, None) => source_ip(req),
        (_, Some(caller)) => caller.sub.clone(),
    };
    let window = quota.window_at(app.clock.now());
    let count = app.store.count_request(group, &key, quota, window).await?;
    Ok(Some(Standing::of(group, quota, window, count)))
}

/// The client's address as API Gateway saw it.
fn source_ip(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    }
    .unwrap_or_else(|| "unknown".into())
}

/// `POST /v1/bookings`, as the route (not the path) names it.
fn route_key(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.route_key.clone(),
        _ => None,
    }
    .unwrap_or_else(|| format!("{} {}", req.method(), req.uri().path()))
}

/// The booking a 201 made, read from its body.
fn created_booking(response: &Response<Body>) -> Option<String> {
    if response.status() != lambda_http::http::StatusCode::CREATED {
        return None;
    }
    let Body::Text(text) = response.body() else {
        return None;
    };
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.get("booking_id")?.as_str().map(str::to_string)
}

fn put(response: &mut Response<Body>, name: impl header::IntoHeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// One line per request: what was asked, how it ended and how long it took; by API Gateway's
/// request id (the one errors echo) and Lambda's.
fn log_answer(
    (request_id, lambda_request_id): (&str, Option<&str>),
    route: &str,
    response: &Response<Body>,
    started: Instant,
    booking_id: Option<&str>,
) {
    tracing::info!(
        request_id,
        lambda_request_id,
        route,
        status = response.status().as_u16(),
        latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        booking_id,
        "answered"
    );
}
