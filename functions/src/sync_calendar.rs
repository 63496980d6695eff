//! `POST /v1/resources/{resource_id}/calendars/{calendar_id}/sync`: syncs one feed now and
//! answers the calendar as it stands (a feed's failure is recorded on it, not an error): 200,
//! or 202 when the feed is too big to apply within the request and the job finishes it.

use holdfast_api::ids::{CalendarId, ResourceId};
use holdfast_api::services::calendars;
use holdfast_api::views::CalendarView;
use holdfast_api::{
    ACCEPTED, ApiError, App, Body, Caller, Error, OK, Request, Response, path_param, respond,
    respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, sync_calendar(app, &req)).await)
}

async fn sync_calendar(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let resource_id = &ResourceId::from(path_param(req, "resource_id")?);
    let calendar_id = &CalendarId::from(path_param(req, "calendar_id")?);
    let (calendar, zone) = calendars::sync_now(app, &caller, resource_id, calendar_id).await?;
    let status = if calendar.unfinished { ACCEPTED } else { OK };
    respond_json(status, &CalendarView::of(&calendar, &zone))
}
