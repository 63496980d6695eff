//! The monthly report: the venue-month's counters (moved with every booking change, never
//! scanned for) and each resource's open units from its hours, as JSON or CSV.

use holdfast_domain::{Month, MonthlyReport, VenueId};

use super::administered_venue;
use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;

/// `GET /v1/venues/{venue_id}/reports/monthly?month=YYYY-MM` for an admin of the venue.
pub async fn monthly_report(
    app: &App,
    caller: &Caller,
    venue_id: &VenueId,
    month: &str,
) -> Result<MonthlyReport, ApiError> {
    let month = Month::parse(month)?;
    let venue = administered_venue(app, caller, venue_id).await?;
    // Inactive resources too: they may have been booked that month.
    let resources = app.store.venue_resources(venue_id).await?;
    let tally = app.store.monthly_tally(venue_id, &month).await?;
    Ok(MonthlyReport::build(
        venue_id,
        month,
        venue.currency,
        &tally,
        &resources,
        venue.zone.tz(),
    ))
}
