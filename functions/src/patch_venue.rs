//! `PATCH /v1/venues/{venue_id}`: an admin changes the venue's name, contact, language, staff
//! alerts, reminder hours or cancellation policy.

use holdfast_api::ids::VenueId;
use holdfast_api::services::catalog;
use holdfast_api::views::VenueView;
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Request, Response, json_body, path_param, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, patch_venue(app, &req)).await)
}

async fn patch_venue(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let venue_id = &VenueId::from(path_param(req, "venue_id")?);
    let venue = catalog::patch_venue(app, &caller, venue_id, json_body(req)?).await?;
    respond_json(OK, &VenueView::of(&venue))
}
