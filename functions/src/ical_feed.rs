//! `GET /ical/{resource_id}.ics?token=[&for={calendar_id}]`: the resource's bookings and blocks
//! as iCalendar, with no customer data, leaving out what the calendar `for` names imported; a
//! wrong or rotated-out token is 404, saying nothing more.

use holdfast_api::ids::ResourceId;
use holdfast_api::services::calendars::{self, Feed};
use holdfast_api::{ApiError, App, Body, Error, Query, Request, Response, path_param, respond};
use lambda_http::http::{HeaderValue, StatusCode, header};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, ical_feed(app, &req)).await)
}

async fn ical_feed(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let query = Query::lenient(req);
    // The route is `/ical/{resource}.ics`: API Gateway hands over `{resource}.ics`.
    let raw = path_param(req, "resource_id")?;
    let resource_id = &ResourceId::from(raw.strip_suffix(".ics").unwrap_or(raw));
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let reader = (query.get("token"), query.get("for"));
    let feed = calendars::export_feed(app, resource_id, reader, if_none_match).await?;
    let (status, body, etag) = match feed {
        Feed::Body { ics, etag } => (StatusCode::OK, Body::Text(ics), etag),
        Feed::NotModified { etag } => (StatusCode::NOT_MODIFIED, Body::Empty, etag),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    // Subscribers poll; a token in the URL must not end up in a shared cache.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok(response)
}
