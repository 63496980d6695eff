//! `POST /v1/venues`: an admin creates a venue in their own organisation.

use holdfast_api::services::catalog;
use holdfast_api::views::VenueView;
use holdfast_api::{
    ApiError, App, Body, CREATED, Caller, Error, Request, Response, json_body, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, create_venue(app, &req)).await)
}

async fn create_venue(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let venue = catalog::create_venue(app, &caller, json_body(req)?).await?;
    respond_json(CREATED, &VenueView::of(&venue))
}
