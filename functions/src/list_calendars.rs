//! `GET /v1/resources/{resource_id}/calendars`: the resource's imported feeds with their sync
//! state and conflicts.

use holdfast_api::ids::ResourceId;
use holdfast_api::services::calendars;
use holdfast_api::views::{CalendarView, ListView};
use holdfast_api::{
    ApiError, App, Body, Caller, Error, OK, Query, Request, Response, path_param, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, list_calendars(app, &req)).await)
}

async fn list_calendars(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    Query::of(req, &[])?;
    let resource_id = &ResourceId::from(path_param(req, "resource_id")?);
    let (calendars, zone) = calendars::list_calendars(app, &caller, resource_id).await?;
    let list: ListView<_> = calendars.iter().map(|c| CalendarView::of(c, &zone)).collect();
    respond_json(OK, &list)
}
