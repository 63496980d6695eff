//! `POST /v1/resources/{resource_id}/ical-token`: a new export URL for other platforms to
//! subscribe to; the previous one stops working.

use holdfast_api::ids::ResourceId;
use holdfast_api::services::calendars;
use holdfast_api::views::ExportUrlView;
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Request, Response, path_param, respond, respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, ical_token(app, &req)).await)
}

async fn ical_token(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let resource_id = &ResourceId::from(path_param(req, "resource_id")?);
    let url = calendars::new_ical_token(app, &caller, resource_id).await?;
    respond_json(OK, &ExportUrlView { url })
}
