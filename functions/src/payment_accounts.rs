//! `GET /v1/venues/{venue_id}/payment-accounts`: which providers a venue has set up, with no
//! secret.

use holdfast_api::ids::VenueId;
use holdfast_api::services::accounts;
use holdfast_api::views::{AccountView, ListView};
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Query, Request, Response, path_param, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, payment_accounts(app, &req)).await)
}

async fn payment_accounts(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    Query::of(req, &[])?;
    let venue_id = &VenueId::from(path_param(req, "venue_id")?);
    let (accounts, zone) = accounts::list_accounts(app, &caller, venue_id).await?;
    let list: ListView<_> = accounts.iter().map(|a| AccountView::of(a, zone.tz())).collect();
    respond_json(OK, &list)
}
