//! `PUT /v1/venues/{venue_id}/payment-accounts/{provider}`: an admin stores the venue's
//! credentials at Stripe or Mercado Pago, sealed with KMS; the answer shows only a hint.

use holdfast_api::ids::VenueId;
use holdfast_api::services::accounts;
use holdfast_api::views::AccountView;
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Request, Response, json_body, path_param, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, put_account(app, &req)).await)
}

async fn put_account(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let venue_id = &VenueId::from(path_param(req, "venue_id")?);
    let provider = accounts::provider_of(path_param(req, "provider")?)?;
    let body: serde_json::Value = json_body(req)?;
    let (account, zone) = accounts::put_account(app, &caller, venue_id, provider, &body).await?;
    respond_json(OK, &AccountView::of(&account, zone.tz()))
}
