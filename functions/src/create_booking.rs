//! `POST /v1/bookings`: any signed-in caller books units of a resource; honours
//! `Idempotency-Key`.

use holdfast_api::services::bookings;
use holdfast_api::{
    ApiError, App, Body, Caller, Error, Request, Response, body_bytes, respond, respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, create_booking(app, &req)).await)
}

async fn create_booking(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    let body = body_bytes(req)?;
    let key = match req.headers().get("idempotency-key") {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::field("Idempotency-Key", "must be visible ASCII"))?,
        ),
        None => None,
    };
    let (status, booking) = bookings::create_booking(app, &caller, body, key).await?;
    respond_json(status, &booking)
}
