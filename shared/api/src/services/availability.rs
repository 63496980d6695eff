//! Which units of a resource are free: the resource's grid, less what its locks hold.

use std::collections::HashMap;
use std::sync::Arc;

use holdfast_domain::{Resource, ResourceId, Unit, UnitSpan};
use jiff::civil::Date;

use super::{active_resource, venue_facts};
use crate::app::{App, VenueFacts};
use crate::error::ApiError;

/// The longest range one availability request may ask for.
pub const MAX_DAYS: i64 = 62;

/// Checks `[from, to)` and returns the local days in it.
pub fn checked_range(from: Date, to: Date, max_days: i64) -> Result<Vec<Date>, ApiError> {
    if to <= from {
        return Err(ApiError::field("to", "must be after from"));
    }
    let days = from.duration_until(to).as_hours() / 24;
    if days > max_days {
        return Err(ApiError::field(
            "to",
            format!("must be at most {max_days} days after from"),
        ));
    }
    let mut list = Vec::with_capacity(days as usize);
    let mut day = from;
    while day < to {
        list.push(day);
        day = day
            .tomorrow()
            .map_err(|_| ApiError::field("to", "is out of range"))?;
    }
    Ok(list)
}

/// The units of a resource over a range, each with its places left.
#[derive(Debug)]
pub struct Availability {
    pub resource: Resource,
    /// The venue's facts as the cache holds them: its zone for the units' instants.
    pub venue: Arc<VenueFacts>,
    pub units: Vec<UnitAvailability>,
}

/// One unit and how many of its places are still for sale.
#[derive(Debug)]
pub struct UnitAvailability {
    pub span: UnitSpan,
    pub places_left: u32,
}

pub async fn availability(
    app: &App,
    resource_id: &ResourceId,
    from: Date,
    to: Date,
) -> Result<Availability, ApiError> {
    checked_range(from, to, MAX_DAYS)?;
    let resource = active_resource(app, resource_id).await?;
    let venue = venue_facts(app, &resource.venue_id).await?;
    let spans = resource.units_between(from, to, venue.zone.tz());
    let taken: HashMap<Unit, u32> = match (spans.first(), spans.last()) {
        (Some(first), Some(last)) => app
            .store
            .taken_units(
                &resource.resource_id,
                first.unit..=last.unit,
                app.clock.now(),
            )
            .await?
            .into_iter()
            .map(|lock| (lock.unit, lock.taken))
            .collect(),
        _ => HashMap::new(),
    };
    let units = spans
        .into_iter()
        .map(|span| {
            let used = taken.get(&span.unit).copied().unwrap_or(0);
            UnitAvailability {
                places_left: resource.capacity.saturating_sub(used),
                span,
            }
        })
        .collect();
    Ok(Availability {
        resource,
        venue,
        units,
    })
}
