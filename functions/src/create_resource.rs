//! `POST /v1/venues/{venue_id}/resources`: an admin of the venue's organisation adds a court,
//! a class or a cabin.

use holdfast_api::ids::VenueId;
use holdfast_api::services::catalog;
use holdfast_api::views::ResourceView;
use holdfast_api::{
    ApiError, App, Body, CREATED, Caller, Error, Request, Response, json_body, path_param, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, create_resource(app, &req)).await)
}

async fn create_resource(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let venue_id = &VenueId::from(path_param(req, "venue_id")?);
    let (resource, zone) = catalog::create_resource(app, &caller, venue_id, json_body(req)?).await?;
    respond_json(CREATED, &ResourceView::of(&resource, &zone))
}
