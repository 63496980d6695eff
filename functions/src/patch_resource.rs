//! `PATCH /v1/resources/{resource_id}`: an admin changes price, hours, durations, hold time or
//! the active flag.

use holdfast_api::ids::ResourceId;
use holdfast_api::services::catalog;
use holdfast_api::views::ResourceView;
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Request, Response, json_body, path_param, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, patch_resource(app, &req)).await)
}

async fn patch_resource(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let resource_id = &ResourceId::from(path_param(req, "resource_id")?);
    let (resource, zone) = catalog::patch_resource(app, &caller, resource_id, json_body(req)?).await?;
    respond_json(OK, &ResourceView::of(&resource, &zone))
}
