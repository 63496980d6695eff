//! Venues and their resources, as admins write them and anyone reads them.

use std::future::Future;

use holdfast_domain::{
    Resource, ResourceDraft, ResourceId, ResourcePatch, Venue, VenueDraft, VenueId, VenuePatch,
};
use jiff::tz::TimeZone;

use super::{administered_venue, new_id, venue_of};
use crate::app::{App, VenueFacts};
use crate::caller::Caller;
use crate::error::ApiError;

pub async fn create_venue(
    app: &App,
    caller: &Caller,
    draft: VenueDraft,
) -> Result<Venue, ApiError> {
    let org_id = caller.admin_org()?.to_string();
    let venue = draft.into_venue(new_id("ven").into(), org_id, app.clock.now())?;
    app.store.put_venue(&venue).await?;
    Ok(venue)
}

/// A venue and its active resources.
pub async fn get_venue(app: &App, venue_id: &VenueId) -> Result<(Venue, Vec<Resource>), ApiError> {
    let venue = venue_of(app, venue_id).await?;
    let mut resources = app.store.venue_resources(venue_id).await?;
    resources.retain(|r| r.active);
    Ok((venue, resources))
}

pub async fn create_resource(
    app: &App,
    caller: &Caller,
    venue_id: &VenueId,
    draft: ResourceDraft,
) -> Result<(Resource, TimeZone), ApiError> {
    let venue = administered_venue(app, caller, venue_id).await?;
    let resource = draft.into_resource(
        new_id("res").into(),
        venue.venue_id.clone(),
        venue.currency,
        app.clock.now(),
    )?;
    app.store.put_resource(&resource).await?;
    Ok((resource, venue.zone.tz().clone()))
}

/// How many times a PATCH that lost a race to another admin's change is applied afresh: each
/// loss means another change landed, so this many admins may patch one thing at once.
const PATCH_ATTEMPTS: u32 = 10;

/// Runs `attempt` (read, apply, replace on the version read) until it lands: a change made
/// meanwhile by someone else is read again and kept, never overwritten.
async fn until_it_lands<T, F, Fut>(what: &str, mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ApiError>>,
{
    for tried in 1..=PATCH_ATTEMPTS {
        if let Some(landed) = attempt().await? {
            return Ok(landed);
        }
        // Let the change that won settle before reading again.
        tokio::time::sleep(std::time::Duration::from_millis(u64::from(tried) * 5)).await;
    }
    Err(ApiError::InvalidState(format!(
        "the {what} kept changing while this change was applied; read it and try again"
    )))
}

pub async fn patch_resource(
    app: &App,
    caller: &Caller,
    resource_id: &ResourceId,
    patch: ResourcePatch,
) -> Result<(Resource, TimeZone), ApiError> {
    until_it_lands("resource", || async {
        let (resource, version) = app
            .store
            .resource_version(resource_id)
            .await?
            .ok_or(ApiError::NotFound("resource"))?;
        let venue = administered_venue(app, caller, &resource.venue_id).await?;
        let patched = resource.patched(patch.clone())?;
        let landed = app.store.replace_resource(&patched, version).await?;
        Ok(landed.then(|| (patched, venue.zone.tz().clone())))
    })
    .await
}

/// `PATCH /v1/venues/{venue_id}`: an admin of its organisation changes its settings.
pub async fn patch_venue(
    app: &App,
    caller: &Caller,
    venue_id: &VenueId,
    patch: VenuePatch,
) -> Result<Venue, ApiError> {
    administered_venue(app, caller, venue_id).await?;
    until_it_lands("venue", || async {
        let (venue, version) = app
            .store
            .venue_version(venue_id)
            .await?
            .ok_or(ApiError::NotFound("venue"))?;
        let patched = venue.patched(patch.clone())?;
        let landed = app.store.replace_venue(&patched, version).await?;
        if landed {
            // This warm function books with the new settings at once; others within a minute.
            app.venues
                .insert(std::sync::Arc::new(VenueFacts::from(&patched)));
        }
        Ok(landed.then_some(patched))
    })
    .await
}
