//! Resources, bookings and instants the report's tests share: a court, a cabin, bookings of them
//! in Madrid.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::counter::Tally;
use super::deltas::ReportDelta;
use super::month::Month;
use crate::booking::{Booking, BookingRequest, Customer, NewBooking};
use crate::money::Currency;
use crate::payment::PaymentProvider;
use crate::resource::{Resource, ResourceDraft};
use crate::units::Period;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub(super) fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn now() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

pub(super) fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

pub(super) fn at(instant: &str) -> Timestamp {
    instant.parse().unwrap()
}

pub(super) fn month(raw: &str) -> Month {
    Month::parse(raw).unwrap()
}

fn resource(id: &str, json: serde_json::Value) -> Resource {
    let draft: ResourceDraft = serde_json::from_value(json).unwrap();
    draft
        .into_resource(id.into(), "v".into(), eur(), now())
        .unwrap()
}

/// A court open `open` to `close` every day, by the half hour.
pub(super) fn court(id: &str, name: &str, open: &str, close: &str) -> Resource {
    let hours: serde_json::Map<_, _> = DAYS
        .iter()
        .map(|d| (d.to_string(), serde_json::json!([[open, close]])))
        .collect();
    resource(
        id,
        serde_json::json!({
            "name": name, "kind": "slots", "slot_minutes": 30, "durations": [60, 90, 120],
            "opening_hours": hours, "unit_price": {"amount": 600, "currency": "EUR"}
        }),
    )
}

pub(super) fn cabin() -> Resource {
    resource(
        "cabin",
        serde_json::json!({
            "name": "Cabaña", "kind": "nights", "check_in_time": "15:00",
            "check_out_time": "11:00", "min_nights": 1, "max_nights": 14,
            "unit_price": {"amount": 9000, "currency": "EUR"}
        }),
    )
}

/// A new booking of `resource` as `Booking::new` makes it for `period`, in Madrid.
pub(super) fn booking(resource: &Resource, period: Period, provider: PaymentProvider) -> Booking {
    let madrid = crate::Zone::parse("Europe/Madrid").unwrap();
    let plan = resource.plan(period, madrid.tz(), now()).unwrap();
    Booking::new(NewBooking {
        booking_id: "bkg_1".into(),
        owner: "ana".into(),
        resource,
        time_zone: &madrid,
        request: BookingRequest {
            period,
            customer: Customer {
                name: "Ana".into(),
                email: "ana@example.com".into(),
                phone: None,
            },
            provider,
        },
        plan,
        reminder_hours: 0,
        now: now(),
    })
}

pub(super) fn stay(check_in: Date, check_out: Date) -> Period {
    Period::Nights {
        check_in,
        check_out,
    }
}

pub(super) fn tally_of(deltas: &[ReportDelta], of: Month) -> Tally {
    deltas
        .iter()
        .filter(|d| d.month == of)
        .flat_map(|d| d.changes.iter().cloned())
        .collect()
}
