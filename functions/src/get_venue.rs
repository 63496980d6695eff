//! `GET /v1/venues/{venue_id}`: a venue and its active resources, for anyone.

use holdfast_api::services::catalog;
use holdfast_api::{
    ApiError, App, Body, Error, OK, Query, Request, Response, path_param, respond, respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, get_venue(app, &req)).await)
}

async fn get_venue(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    Query::of(req, &[])?;
    let venue = catalog::get_venue(app, path_param(req, "venue_id")?).await?;
    respond_json(OK, &venue)
}
