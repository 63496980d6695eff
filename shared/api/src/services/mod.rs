//! The use cases behind the routes: each takes the app, the caller and checked input, and
//! answers with a response body or an `ApiError`.

pub mod accounts;
pub mod availability;
pub mod bookings;
pub mod calendars;
pub mod catalog;
pub mod connect;
pub mod jobs;
pub mod notices;
pub mod notifier;
pub mod payments;
pub mod reports;
pub mod runner;
pub mod webhooks;

use std::sync::Arc;

use holdfast_domain::{Resource, ResourceId, Venue, VenueId};

use crate::app::{App, VenueFacts};
use crate::caller::Caller;
use crate::error::ApiError;

/// A fresh opaque id with a prefix that says what it names.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

pub(crate) async fn venue_of(app: &App, venue_id: &VenueId) -> Result<Venue, ApiError> {
    app.store
        .venue(venue_id)
        .await?
        .ok_or(ApiError::NotFound("venue"))
}

/// A resource people can book: it exists and is active.
pub(crate) async fn active_resource(
    app: &App,
    resource_id: &ResourceId,
) -> Result<Resource, ApiError> {
    app.store
        .resource(resource_id)
        .await?
        .filter(|r| r.active)
        .ok_or(ApiError::NotFound("resource"))
}

/// A venue's immutable facts, from the warm cache or the table.
pub(crate) async fn venue_facts(
    app: &App,
    venue_id: &VenueId,
) -> Result<Arc<VenueFacts>, ApiError> {
    if let Some(facts) = app.venues.get(venue_id) {
        return Ok(facts);
    }
    let facts = Arc::new(VenueFacts::from(&venue_of(app, venue_id).await?));
    app.venues.insert(facts.clone());
    Ok(facts)
}

/// The venue, if `caller` administers it: 404 when it does not exist, 403 when it is another
/// organisation's.
pub(crate) async fn administered_venue(
    app: &App,
    caller: &Caller,
    venue_id: &VenueId,
) -> Result<Arc<VenueFacts>, ApiError> {
    let venue = venue_facts(app, venue_id).await?;
    if caller.is_admin_of(&venue.org_id) {
        Ok(venue)
    } else {
        Err(ApiError::Forbidden(
            "only admins of this venue's organisation may do this",
        ))
    }
}
