//! The iCal export of a resource: the token that opens it, and the feed other platforms read
//! of its bookings and imported blocks.

use holdfast_domain::ResourceId;
use holdfast_domain::{
    BlockSpan, Resource, Unit, block_export_uid, booking_export_uid, export_etag, export_from,
    export_token_hash, export_token_matches, merge_owned_spans,
};
use holdfast_ical::{ExportEvent, Span};
use holdfast_store::UnitOwner;
use jiff::tz::TimeZone;

use super::admin::administered_resource;
use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::services::{active_resource, payments, venue_facts};

/// `POST /v1/resources/{resource_id}/ical-token`: a new export URL; the old token stops
/// working. Only the token's hash is kept.
pub async fn new_ical_token(
    app: &App,
    caller: &Caller,
    resource_id: &ResourceId,
) -> Result<String, ApiError> {
    administered_resource(app, caller, resource_id).await?;
    // Two v4 UUIDs: 244 bits from the operating system's secure generator.
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    app.store
        .set_ical_token_hash(resource_id, &export_token_hash(&token))
        .await?;
    let base = payments::providers(app)?
        .config
        .public_base_url
        .clone()
        .ok_or_else(|| {
            ApiError::Internal("the export URL needs HOLDFAST_PUBLIC_BASE_URL".into())
        })?;
    Ok(format!("{base}/ical/{resource_id}.ics?token={token}"))
}

/// The export, or why not: a wrong token and an unknown resource look the same.
#[derive(Debug)]
pub enum Feed {
    Body { ics: String, etag: String },
    NotModified { etag: String },
}

/// `GET /ical/{resource_id}.ics?token=[&for={calendar_id}]`: the resource's held and confirmed
/// bookings and its imported blocks but those of the calendar `for` names (the platform that
/// reads this copy), from its locks alone (no customer data is even read).
pub async fn export_feed(
    app: &App,
    resource_id: &ResourceId,
    (token, reader): (Option<&str>, Option<&str>),
    if_none_match: Option<&str>,
) -> Result<Feed, ApiError> {
    let not_found = ApiError::NotFound("calendar feed");
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 128) else {
        return Err(not_found);
    };
    let Some(resource) = active_resource(app, resource_id).await.ok() else {
        return Err(not_found);
    };
    let Some(stored) = app.store.ical_token_hash(resource_id).await? else {
        return Err(not_found);
    };
    if !export_token_matches(token, &stored) {
        return Err(not_found);
    }
    let venue = venue_facts(app, &resource.venue_id).await?;
    let zone = venue.zone.tz();
    let now = app.clock.now();
    let from = export_from(&resource, zone, now);
    let owners = app.store.unit_owners(resource_id, from.., now).await?;
    // A platform is not sent back what it sent us: re-exported, its "not available" echo of our
    // booking would come back as a block of its own and outlive the booking for good.
    let owners = owners
        .into_iter()
        .filter(|(_, owner)| match (owner, reader) {
            (UnitOwner::Block { calendar_id, .. }, Some(reader)) => calendar_id != reader,
            _ => true,
        })
        .collect();
    let events = export_events(&resource, zone, owners);
    let ics = holdfast_ical::export(&resource.name, &events);
    let etag = export_etag(&ics);
    if if_none_match.is_some_and(|given| given.split(',').any(|t| t.trim() == etag)) {
        return Ok(Feed::NotModified { etag });
    }
    Ok(Feed::Body { ics, etag })
}

/// Consecutive units of one owner become one event: a booking's stay or slots, a block's span.
fn export_events(
    resource: &Resource,
    zone: &TimeZone,
    owners: Vec<(Unit, UnitOwner)>,
) -> Vec<ExportEvent> {
    merge_owned_spans(resource, zone, owners)
        .into_iter()
        .map(|(owner, span)| {
            let (uid, summary) = match &owner {
                UnitOwner::Booking(id) => (booking_export_uid(id), "Reserved"),
                UnitOwner::Block { calendar_id, uid } => {
                    (block_export_uid(calendar_id, uid), "Blocked")
                }
            };
            ExportEvent {
                uid,
                summary: summary.into(),
                span: ical_span(span),
                dtstamp: resource.created_at,
            }
        })
        .collect()
}

/// A span in the reader's terms (the two crates know nothing of each other).
fn ical_span(span: BlockSpan) -> Span {
    match span {
        BlockSpan::Dates { start, end } => Span::Dates { start, end },
        BlockSpan::Instants { start, end } => Span::Instants { start, end },
    }
}
