//! `GET /v1/venues/{venue_id}/bookings?from=&to=&status=`: a venue's bookings by start date, for
//! its admins.

use holdfast_api::ids::VenueId;
use holdfast_api::services::bookings::{self, VenueBookingsQuery};
use holdfast_api::views::PageView;
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Query, Request, Response, path_param, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, venue_bookings(app, &req)).await)
}

async fn venue_bookings(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let query = Query::of(req, &["from", "to", "status", "limit", "cursor"])?;
    let venue_id = &VenueId::from(path_param(req, "venue_id")?);
    let list = VenueBookingsQuery {
        from: query.date("from")?,
        to: query.date("to")?,
        status: query.get("status").map(str::to_string),
        limit: query.limit()?,
        cursor: query.cursor().map(str::to_string),
    };
    let page = bookings::venue_bookings(app, &caller, venue_id, list).await?;
    respond_json(OK, &PageView::of_bookings(&page))
}
