//! `POST /webhooks/stripe/{venue_id}`: Stripe tells of a venue's payments. The signature is
//! checked with the venue's endpoint secret before anything else; each event acts once.

use holdfast_api::ids::VenueId;
use holdfast_api::services::webhooks;
use holdfast_api::{
    ApiError, App, Body, Error, OK, Request, Response, webhook_body, path_param, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, stripe_webhook(app, &req)).await)
}

async fn stripe_webhook(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let signature = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let body = webhook_body(req)?;
    let answer =
        webhooks::stripe_webhook(app, &VenueId::from(path_param(req, "venue_id")?), signature, body).await?;
    respond_json(OK, &answer)
}
