//! Venues and their resources, as admins write them and anyone reads them.

use std::future::Future;

use holdfast_domain::{ResourceDraft, ResourcePatch, VenueDraft, VenuePatch};
use serde_json::Value;

use super::{administered_venue, new_id, venue_of};
use crate::app::{App, VenueFacts};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::views;

pub async fn create_venue(
    app: &App,
    caller: &Caller,
    draft: VenueDraft,
) -> Result<Value, ApiError> {
    let org_id = caller.admin_org()?.to_string();
    let venue = draft.into_venue(new_id("ven"), org_id, app.clock.now())?;
    app.store.put_venue(&venue).await?;
    Ok(views::venue(&venue))
}

/// A venue and its active resources.
pub async fn get_venue(app: &App, venue_id: &str) -> Result<Value, ApiError> {
    let venue = venue_of(app, venue_id).await?;
    let resources: Vec<Value> = app
        .store
        .venue_resources(venue_id)
        .await?
        .iter()
        .filter(|r| r.active)
        .map(|r| views::resource(r, venue.zone.tz()))
        .collect();
    let mut body = views::venue(&venue);
    body["resources"] = Value::from(resources);
    Ok(body)
}

pub async fn create_resource(
    app: &App,
    caller: &Caller,
    venue_id: &str,
    draft: ResourceDraft,
) -> Result<Value, ApiError> {
    let venue = administered_venue(app, caller, venue_id).await?;
    let resource = draft.into_resource(
        new_id("res"),
        venue.venue_id.clone(),
        venue.currency,
        app.clock.now(),
    )?;
    app.store.put_resource(&resource).await?;
    Ok(views::resource(&resource, venue.zone.tz()))
}

/// How many times a PATCH that lost a race to another admin's change is applied afresh: each
/// loss means another change landed, so this many admins may patch one thing at once.
const PATCH_ATTEMPTS: u32 = 10;

/// Runs `attempt` (read, apply, replace on the version read) until it lands: a change made
/// meanwhile by someone else is read again and kept, never overwritten.
async fn until_it_lands<F, Fut>(what: &str, mut attempt: F) -> Result<Value, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<Value>, ApiError>>,
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
    resource_id: &str,
    patch: ResourcePatch,
) -> Result<Value, ApiError> {
    until_it_lands("resource", || async {
        let (resource, version) = app
            .store
            .resource_version(resource_id)
            .await?
            .ok_or(ApiError::NotFound("resource"))?;
        let venue = administered_venue(app, caller, &resource.venue_id).await?;
        let patched = resource.patched(patch.clone())?;
        let landed = app.store.replace_resource(&patched, version).await?;
        Ok(landed.then(|| views::resource(&patched, venue.zone.tz())))
    })
    .await
}

/// `PATCH /v1/venues/{venue_id}`: an admin of its organisation changes its settings.
pub async fn patch_venue(
    app: &App,
    caller: &Caller,
    venue_id: &str,
    patch: VenuePatch,
) -> Result<Value, ApiError> {
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
        Ok(landed.then(|| views::venue(&patched)))
    })
    .await
}
