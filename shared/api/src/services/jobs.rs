//! Scheduled jobs. Expiring holds only tidies and reports: a lapsed hold's units are free to
//! the next booking already, because its locks carry their expiry.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::app::App;
use crate::error::ApiError;

/// How many lapsed holds one run handles; the next run takes the rest.
const BATCH: usize = 500;

pub async fn expire_holds(app: &App) -> Result<Value, ApiError> {
    let now = app.clock.now();
    let lapsed = app.store.lapsed_holds(now, BATCH).await?;
    let mut capacities: HashMap<String, u32> = HashMap::new();
    let mut expired = Vec::new();
    for booking in &lapsed {
        let capacity = match capacities.get(&booking.resource_id) {
            Some(c) => *c,
            None => {
                let c = app
                    .store
                    .resource(&booking.resource_id)
                    .await?
                    .map_or(1, |r| r.capacity);
                capacities.insert(booking.resource_id.clone(), c);
                c
            }
        };
        if app.store.expire_booking(booking, capacity, now).await? {
            tracing::info!(booking_id = %booking.booking_id, "hold expired");
            expired.push(booking.booking_id.clone());
        }
    }
    Ok(json!({ "job": "expire-holds", "checked": lapsed.len(), "expired": expired }))
}
