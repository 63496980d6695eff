//! `DELETE /v1/resources/{resource_id}/calendars/{calendar_id}`: the feed goes and the units
//! its events held are free again; 204.

use holdfast_api::ids::{CalendarId, ResourceId};
use holdfast_api::services::calendars;
use holdfast_api::{ApiError, App, Body, Caller, Error, Request, Response, path_param, respond};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, delete_calendar(app, &req)).await)
}

async fn delete_calendar(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let resource_id = &ResourceId::from(path_param(req, "resource_id")?);
    let calendar_id = &CalendarId::from(path_param(req, "calendar_id")?);
    calendars::delete_calendar(app, &caller, resource_id, calendar_id).await?;
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = holdfast_api::NO_CONTENT;
    Ok(response)
}
