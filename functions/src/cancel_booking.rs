//! `POST /v1/bookings/{booking_id}/cancel`: the owner or a venue admin cancels; the units are
//! free again at once.

use holdfast_api::ids::BookingId;
use holdfast_api::services::bookings;
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Request, Response, path_param, respond, respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, cancel_booking(app, &req)).await)
}

async fn cancel_booking(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    let booking = bookings::cancel_booking(app, &caller, &BookingId::from(path_param(req, "booking_id")?)).await?;
    respond_json(OK, &booking)
}
