//! `GET /v1/bookings/{booking_id}`: one booking, for its owner or an admin of its venue.

use holdfast_api::ids::BookingId;
use holdfast_api::services::bookings;
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Query, Request, Response, path_param, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, get_booking(app, &req)).await)
}

async fn get_booking(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    Query::of(req, &[])?;
    let booking = bookings::get_booking(app, &caller, &BookingId::from(path_param(req, "booking_id")?)).await?;
    respond_json(OK, &booking)
}
