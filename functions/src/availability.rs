//! `GET /v1/resources/{resource_id}/availability?from=&to=`: free and taken units, for anyone,
//! with no customer data.

use holdfast_api::ids::ResourceId;
use holdfast_api::services::availability;
use holdfast_api::views::AvailabilityView;
use holdfast_api::{
    ApiError, App, Body, Error, OK, Query, Request, Response, path_param, respond, respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, get_availability(app, &req)).await)
}

async fn get_availability(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let query = Query::of(req, &["from", "to"])?;
    let resource_id = &ResourceId::from(path_param(req, "resource_id")?);
    let found = availability::availability(app, resource_id, query.date("from")?, query.date("to")?)
        .await?;
    respond_json(OK, &AvailabilityView::of(&found))
}
