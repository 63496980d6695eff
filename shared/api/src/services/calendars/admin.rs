//! The admin routes of a resource's imported calendars: add, list and delete, and the view of
//! a calendar they answer with.

use std::collections::BTreeMap;

use holdfast_domain::{
    BookingId, Calendar, CalendarDraft, CalendarId, Resource, ResourceId, Unit, format_local,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::sync::fetcher;
use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::http::parse_json;
use crate::services::{administered_venue, new_id};

/// A calendar as docs/api.md shows it.
#[derive(Debug, Serialize)]
pub struct CalendarView {
    pub calendar_id: CalendarId,
    pub resource_id: ResourceId,
    pub name: String,
    pub url: String,
    pub status: &'static str,
    pub last_sync_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub blocks: u32,
    pub conflicts: Vec<ConflictView>,
    /// What the last read of the feed left out, by reason.
    pub skipped: BTreeMap<String, u32>,
}

#[derive(Debug, Serialize)]
pub struct ConflictView {
    pub uid: String,
    pub start: String,
    pub end: String,
    pub booking_id: BookingId,
}

#[derive(Debug, Serialize)]
pub struct CalendarList {
    pub items: Vec<CalendarView>,
}

pub(super) fn view(calendar: &Calendar, zone: &TimeZone) -> CalendarView {
    let local = |t: Timestamp| format_local(t, zone);
    CalendarView {
        calendar_id: calendar.calendar_id.clone(),
        resource_id: calendar.resource_id.clone(),
        name: calendar.name.clone(),
        url: calendar.url.clone(),
        status: calendar.status.as_str(),
        last_sync_at: calendar.last_sync_at.map(local),
        last_success_at: calendar.last_success_at.map(local),
        last_error: calendar.last_error.clone(),
        consecutive_failures: calendar.consecutive_failures,
        blocks: calendar.blocks,
        skipped: calendar.skipped.clone(),
        conflicts: calendar
            .conflicts
            .iter()
            .map(|c| ConflictView {
                uid: c.uid.clone(),
                start: local(c.start),
                end: local(c.end),
                booking_id: c.booking_id.clone(),
            })
            .collect(),
    }
}

/// The resource, if `caller` administers its venue, and the venue's zone.
pub(super) async fn administered_resource(
    app: &App,
    caller: &Caller,
    resource_id: &ResourceId,
) -> Result<(Resource, TimeZone), ApiError> {
    let resource = app
        .store
        .resource(resource_id)
        .await?
        .ok_or(ApiError::NotFound("resource"))?;
    let venue = administered_venue(app, caller, &resource.venue_id).await?;
    Ok((resource, venue.zone.tz().clone()))
}

/// `POST /v1/resources/{resource_id}/calendars`: registers a feed (an `https` URL to a public
/// address; the check is made again on every fetch) and answers it `pending`.
pub async fn add_calendar(
    app: &App,
    caller: &Caller,
    resource_id: &ResourceId,
    body: &[u8],
) -> Result<CalendarView, ApiError> {
    let draft: CalendarDraft = parse_json(body)?;
    let (resource, zone) = administered_resource(app, caller, resource_id).await?;
    let (name, url) = draft.read()?;
    let allow_loopback = fetcher(app)?.policy().allow_loopback_http;
    holdfast_fetch::check_url(&url, allow_loopback)
        .map_err(|err| ApiError::field("url", err.to_string()))?;
    let calendar = Calendar::new(
        new_id("cal").into(),
        &resource,
        (name, url),
        app.clock.now(),
    );
    app.store.put_calendar(&calendar).await?;
    tracing::info!(%resource_id, calendar_id = %calendar.calendar_id, "calendar added");
    Ok(view(&calendar, &zone))
}

pub async fn list_calendars(
    app: &App,
    caller: &Caller,
    resource_id: &ResourceId,
) -> Result<CalendarList, ApiError> {
    let (_, zone) = administered_resource(app, caller, resource_id).await?;
    let items = app
        .store
        .resource_calendars(resource_id)
        .await?
        .iter()
        .map(|c| view(c, &zone))
        .collect();
    Ok(CalendarList { items })
}

/// `DELETE …/calendars/{calendar_id}`: its blocks are given back, then it goes.
pub async fn delete_calendar(
    app: &App,
    caller: &Caller,
    resource_id: &ResourceId,
    calendar_id: &CalendarId,
) -> Result<(), ApiError> {
    administered_resource(app, caller, resource_id).await?;
    let calendar = app
        .store
        .calendar(resource_id, calendar_id)
        .await?
        .ok_or(ApiError::NotFound("calendar"))?;
    // Given back before the item goes (a failure here leaves the calendar to delete again),
    // and again after: a sync that took units in between finds its calendar gone only if it
    // saves after the delete, and then gives them back itself.
    let mut released = release_all_blocks(app, resource_id, calendar_id).await?;
    app.store.delete_calendar_item(&calendar).await?;
    released += release_all_blocks(app, resource_id, calendar_id).await?;
    tracing::info!(%resource_id, %calendar_id, released, "calendar removed");
    Ok(())
}

/// Gives back every unit `calendar_id` holds; answers how many.
pub(super) async fn release_all_blocks(
    app: &App,
    resource_id: &ResourceId,
    calendar_id: &CalendarId,
) -> Result<usize, ApiError> {
    let held: Vec<Unit> = app
        .store
        .held_blocks(calendar_id)
        .await?
        .into_keys()
        .collect();
    app.store
        .release_blocks(resource_id, calendar_id, &held)
        .await?;
    Ok(held.len())
}
