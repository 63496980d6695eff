//! Which units of a resource are free: the resource's grid, less what its locks hold.

use std::collections::HashMap;

use holdfast_domain::{Unit, format_local};
use jiff::civil::Date;
use serde_json::{Value, json};

use super::{active_resource, venue_facts};
use crate::app::App;
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

pub async fn availability(
    app: &App,
    resource_id: &str,
    from: Date,
    to: Date,
) -> Result<Value, ApiError> {
    checked_range(from, to, MAX_DAYS)?;
    let resource = active_resource(app, resource_id).await?;
    let venue = venue_facts(app, &resource.venue_id).await?;
    let zone = venue.zone.tz();
    let spans = resource.units_between(from, to, zone);
    let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
        return Ok(
            json!({"resource_id": resource.resource_id, "kind": resource.schedule.kind(),
                         "time_zone": venue.zone.name(), "units": []}),
        );
    };
    let taken: HashMap<Unit, u32> = app
        .store
        .taken_units(
            &resource.resource_id,
            &first.unit.key(),
            &last.unit.key(),
            app.clock.now(),
        )
        .await?
        .into_iter()
        .map(|lock| (lock.unit, lock.taken))
        .collect();
    let units: Vec<Value> = spans
        .iter()
        .map(|span| {
            let used = taken.get(&span.unit).copied().unwrap_or(0);
            let places_left = resource.capacity.saturating_sub(used);
            let status = if places_left == 0 { "taken" } else { "free" };
            let mut unit = match span.unit {
                Unit::Night(date) => json!({ "date": date.to_string(), "status": status }),
                Unit::Slot(_) => json!({
                    "start": format_local(span.start, zone),
                    "end": format_local(span.end, zone),
                    "status": status,
                }),
            };
            if resource.capacity > 1 {
                unit["places_left"] = json!(places_left);
            }
            unit
        })
        .collect();
    Ok(json!({
        "resource_id": resource.resource_id,
        "kind": resource.schedule.kind(),
        "time_zone": venue.zone.name(),
        "units": units,
    }))
}
