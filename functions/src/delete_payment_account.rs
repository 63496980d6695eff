//! `DELETE /v1/venues/{venue_id}/payment-accounts/{provider}`: the venue stops taking payments
//! through that provider; 204.

use holdfast_api::ids::VenueId;
use holdfast_api::services::accounts;
use holdfast_api::{ApiError, App, Body, Caller, Error, Request, Response, path_param, respond};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, delete_account(app, &req)).await)
}

async fn delete_account(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let venue_id = &VenueId::from(path_param(req, "venue_id")?);
    let provider = accounts::provider_of(path_param(req, "provider")?)?;
    accounts::delete_account(app, &caller, venue_id, provider).await?;
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = holdfast_api::NO_CONTENT;
    Ok(response)
}
