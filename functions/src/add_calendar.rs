//! `POST /v1/resources/{resource_id}/calendars`: an admin adds a feed (Airbnb, Booking.com…)
//! whose events will take the resource's units; 201 with the calendar, `pending`.

use holdfast_api::ids::ResourceId;
use holdfast_api::services::calendars;
use holdfast_api::views::CalendarView;
use holdfast_api::{
    ApiError, App, Body, CREATED, Caller, Error, Request, Response, body_bytes, path_param,
    respond, respond_json,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, add_calendar(app, &req)).await)
}

async fn add_calendar(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(req)?;
    caller.admin_org()?;
    let resource_id = &ResourceId::from(path_param(req, "resource_id")?);
    let (calendar, zone) =
        calendars::add_calendar(app, &caller, resource_id, body_bytes(req)?).await?;
    respond_json(CREATED, &CalendarView::of(&calendar, &zone))
}
