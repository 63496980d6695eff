//! What the tests of imported calendars' bookkeeping build on: a cabin, a court, a class and
//! bookings of them, in the zones they are sold in.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::{
    Booking, BookingStatus, Claim, Currency, Customer, Money, Period, Resource, ResourceDraft, Unit,
};

pub(super) fn at(raw: &str) -> Timestamp {
    raw.parse().unwrap()
}

fn resource(resource_id: &str, json: serde_json::Value, currency: &str) -> Resource {
    let draft: ResourceDraft = serde_json::from_value(json).unwrap();
    draft
        .into_resource(
            resource_id.into(),
            "v".into(),
            Currency::parse(currency).unwrap(),
            at("2026-01-01T00:00:00Z"),
        )
        .unwrap()
}

pub(super) fn cabin() -> Resource {
    resource(
        "cabin",
        serde_json::json!({"name": "Cabaña", "kind": "nights", "check_in_time": "15:00",
            "check_out_time": "11:00", "unit_price": {"amount": 150000, "currency": "MXN"}}),
        "MXN",
    )
}

/// Slots of 30 minutes, 08:00 to 22:00 on Mondays, one booking at a time.
pub(super) fn court() -> Resource {
    resource(
        "court",
        serde_json::json!({"name": "Court 1", "kind": "slots", "slot_minutes": 30, "durations": [60],
            "opening_hours": {"mon": [["08:00", "22:00"]]},
            "unit_price": {"amount": 600, "currency": "EUR"}}),
        "EUR",
    )
}

/// The court's grid with places for eight: a slot's counter names none of its bookings.
pub(super) fn class() -> Resource {
    resource(
        "class",
        serde_json::json!({"name": "Yoga", "kind": "slots", "slot_minutes": 30, "durations": [60],
            "capacity": 8, "opening_hours": {"mon": [["08:00", "22:00"]]},
            "unit_price": {"amount": 1500, "currency": "EUR"}}),
        "EUR",
    )
}

pub(super) fn mexico() -> TimeZone {
    TimeZone::get("America/Mexico_City").unwrap()
}

pub(super) fn madrid() -> TimeZone {
    TimeZone::get("Europe/Madrid").unwrap()
}

/// A confirmed booking of `resource` over `units`, from `start` to `end`.
pub(super) fn booking(
    booking_id: &str,
    resource: &Resource,
    units: Vec<Unit>,
    (start, end): (Timestamp, Timestamp),
) -> Booking {
    Booking {
        booking_id: booking_id.into(),
        resource_id: resource.resource_id.clone(),
        venue_id: resource.venue_id.clone(),
        owner: "ana".into(),
        status: BookingStatus::Confirmed,
        period: Period::Slots { start, end },
        start,
        end,
        units,
        claim: Claim::for_capacity(resource.capacity),
        price: Money {
            amount: 1,
            currency: resource.unit_price.currency,
        },
        hold_expires_at: None,
        remind_at: None,
        payment: None,
        customer: Customer {
            name: "Ana".into(),
            email: "ana@example.com".into(),
            phone: None,
        },
        time_zone: crate::Zone::parse("Europe/Madrid").unwrap(),
        calendar_conflicts: Vec::new(),
        created_at: start,
        updated_at: start,
    }
}
