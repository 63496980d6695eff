//! `GET /v1/venues/{venue_id}`: a venue and its active resources, for anyone.

use holdfast_api::ids::VenueId;
use holdfast_api::services::catalog;
use holdfast_api::views::{ResourceView, VenueView, VenueWithResources};
use holdfast_api::{
    ApiError, App, Body, Error, OK, Query, Request, Response, path_param, respond, respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, get_venue(app, &req)).await)
}

async fn get_venue(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    Query::of(req, &[])?;
    let (venue, resources) = catalog::get_venue(app, &VenueId::from(path_param(req, "venue_id")?)).await?;
    let zone = venue.zone.tz();
    respond_json(
        OK,
        &VenueWithResources {
            venue: VenueView::of(&venue),
            resources: resources.iter().map(|r| ResourceView::of(r, zone)).collect(),
        },
    )
}
