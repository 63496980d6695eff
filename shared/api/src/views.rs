//! The JSON bodies API.md promises, built from the domain's types: instants at the venue's
//! offset, money in minor units, no customer data where none may go.

use holdfast_domain::{Booking, Money, Period, Resource, Schedule, Venue, format_local};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

pub fn money(money: &Money) -> Value {
    json!({ "amount": money.amount, "currency": money.currency.as_str() })
}

pub fn venue(venue: &Venue) -> Value {
    json!({
        "venue_id": venue.venue_id,
        "org_id": venue.org_id,
        "name": venue.name,
        "time_zone": venue.zone.name(),
        "currency": venue.currency.as_str(),
        "contact_email": venue.contact_email,
        "language": venue.language.as_str(),
        "staff_alerts": venue.settings.staff_alerts,
        "reminder_hours": venue.settings.reminder_hours,
        "cancellation_policy": venue.settings.cancellation_policy,
        "created_at": format_local(venue.created_at, venue.zone.tz()),
    })
}

pub fn resource(resource: &Resource, zone: &TimeZone) -> Value {
    let mut body = json!({
        "resource_id": resource.resource_id,
        "venue_id": resource.venue_id,
        "name": resource.name,
        "kind": resource.schedule.kind(),
        "capacity": resource.capacity,
        "unit_price": money(&resource.unit_price),
        "hold_minutes": resource.hold_minutes,
        "active": resource.active,
        "created_at": format_local(resource.created_at, zone),
    });
    match &resource.schedule {
        Schedule::Slots(rules) => {
            body["slot_minutes"] = json!(rules.slot_minutes);
            body["durations"] = json!(rules.durations);
            body["opening_hours"] = json!(rules.opening_hours.to_draft());
        }
        Schedule::Nights(rules) => {
            body["check_in_time"] = json!(rules.check_in_time.to_string());
            body["check_out_time"] = json!(rules.check_out_time.to_string());
            body["min_nights"] = json!(rules.min_nights);
            body["max_nights"] = json!(rules.max_nights);
        }
    }
    body
}

/// The booking's zone; a stored name the tz database no longer knows shows in UTC.
pub fn zone_of(booking: &Booking) -> TimeZone {
    TimeZone::get(&booking.time_zone).unwrap_or(TimeZone::UTC)
}

pub fn booking(booking: &Booking) -> Value {
    let zone = zone_of(booking);
    let local = |t: Timestamp| format_local(t, &zone);
    let mut body = json!({
        "booking_id": booking.booking_id,
        "resource_id": booking.resource_id,
        "venue_id": booking.venue_id,
        "status": booking.status.as_str(),
        "start": local(booking.start),
        "end": local(booking.end),
        "units": booking.units.len(),
        "price": money(&booking.price),
        "hold_expires_at": booking.hold_expires_at.map(local),
        "payment": booking.payment.map(|p| json!({"provider": p.provider.as_str(), "status": p.status.as_str()})),
        "customer": booking.customer,
        "created_at": local(booking.created_at),
        "updated_at": local(booking.updated_at),
    });
    if let Period::Nights {
        check_in,
        check_out,
    } = booking.period
    {
        body["check_in"] = json!(check_in.to_string());
        body["check_out"] = json!(check_out.to_string());
    }
    body
}

pub fn page(items: Vec<Value>, next: Option<String>) -> Value {
    json!({ "items": items, "next_cursor": next })
}
