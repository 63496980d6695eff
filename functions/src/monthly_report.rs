//! `GET /v1/venues/{venue_id}/reports/monthly?month=YYYY-MM`: an admin's month of bookings,
//! money and occupancy, as JSON or (`Accept: text/csv`) as CSV.

use holdfast_api::ids::VenueId;
use holdfast_api::services::reports;
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Query, Request, Response, path_param, respond,
    respond_json,
};
use lambda_http::http::header;

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, monthly_report(app, &req)).await)
}

async fn monthly_report(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let query = Query::of(req, &["month"])?;
    let venue_id = &VenueId::from(path_param(req, "venue_id")?);
    let report = reports::monthly_report(app, &caller, venue_id, query.required("month")?).await?;
    if wants_csv(req) {
        let mut response = Response::new(Body::Text(report.to_csv()));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        return Ok(response);
    }
    respond_json(OK, &report)
}

/// Whether the caller asked for CSV before JSON.
fn wants_csv(req: &Request) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .and_then(|accept| {
            accept
                .split(',')
                .map(|part| part.split(';').next().unwrap_or("").trim())
                .find(|media| *media == "text/csv" || *media == "application/json")
        })
        == Some("text/csv")
}
