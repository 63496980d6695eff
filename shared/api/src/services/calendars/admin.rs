//! The admin routes of a resource's imported calendars: add, list and delete.

use holdfast_domain::{Calendar, CalendarDraft, CalendarId, Resource, ResourceId, Unit};
use jiff::tz::TimeZone;

use super::sync::fetcher;
use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::http::parse_json;
use crate::services::{administered_venue, new_id};

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
/// address; the check is made again on every fetch) and answers it `pending`, with the
/// venue's zone.
pub async fn add_calendar(
    app: &App,
    caller: &Caller,
    resource_id: &ResourceId,
    body: &[u8],
) -> Result<(Calendar, TimeZone), ApiError> {
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
    Ok((calendar, zone))
}

/// The resource's calendars, with the venue's zone.
pub async fn list_calendars(
    app: &App,
    caller: &Caller,
    resource_id: &ResourceId,
) -> Result<(Vec<Calendar>, TimeZone), ApiError> {
    let (_, zone) = administered_resource(app, caller, resource_id).await?;
    Ok((app.store.resource_calendars(resource_id).await?, zone))
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
