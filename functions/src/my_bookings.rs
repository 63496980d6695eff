//! `GET /v1/me/bookings`: the caller's bookings, newest first, paginated.

use holdfast_api::services::bookings;
use holdfast_api::views::PageView;
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Query, Request, Response, respond, respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, my_bookings(app, &req)).await)
}

async fn my_bookings(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    let query = Query::of(req, &["limit", "cursor"])?;
    let page = bookings::my_bookings(app, &caller, query.limit()?, query.cursor()).await?;
    respond_json(OK, &PageView::of_bookings(&page))
}
