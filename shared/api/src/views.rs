//! The JSON bodies docs/api.md promises, built from the domain's types: instants at the venue's
//! offset, money in minor units, no customer data where none may go.

use std::collections::BTreeMap;

use holdfast_domain::{
    AccountSummary, Booking, BookingId, Calendar, CalendarId, CancellationPolicy, Checkout,
    Customer, Money, OpeningHoursDraft, Payment, PaymentProvider, Period, Resource, ResourceId,
    Schedule, Unit, Venue, format_local,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::Value;

use crate::services::availability::Availability;

/// A venue as docs/api.md shows it.
#[derive(Debug, Serialize)]
pub struct VenueView<'a> {
    pub venue_id: &'a str,
    pub org_id: &'a str,
    pub name: &'a str,
    pub time_zone: &'a str,
    pub currency: &'a str,
    pub contact_email: &'a str,
    pub language: &'static str,
    pub staff_alerts: bool,
    pub reminder_hours: u32,
    pub cancellation_policy: &'a CancellationPolicy,
    pub created_at: String,
}

impl<'a> VenueView<'a> {
    pub fn of(venue: &'a Venue) -> VenueView<'a> {
        VenueView {
            venue_id: &venue.venue_id,
            org_id: &venue.org_id,
            name: &venue.name,
            time_zone: venue.zone.name(),
            currency: venue.currency.as_str(),
            contact_email: &venue.contact_email,
            language: venue.language.as_str(),
            staff_alerts: venue.settings.staff_alerts,
            reminder_hours: venue.settings.reminder_hours,
            cancellation_policy: &venue.settings.cancellation_policy,
            created_at: format_local(venue.created_at, venue.zone.tz()),
        }
    }
}

/// `GET /v1/venues/{venue_id}`: the venue and its active resources.
#[derive(Debug, Serialize)]
pub struct VenueWithResources<'a> {
    #[serde(flatten)]
    pub venue: VenueView<'a>,
    pub resources: Vec<ResourceView<'a>>,
}

/// A resource as docs/api.md shows it, with its zone's instants.
#[derive(Debug, Serialize)]
pub struct ResourceView<'a> {
    pub resource_id: &'a str,
    pub venue_id: &'a str,
    pub name: &'a str,
    pub kind: &'static str,
    pub capacity: u32,
    pub unit_price: Money,
    pub hold_minutes: u32,
    pub active: bool,
    pub created_at: String,
    #[serde(flatten)]
    pub schedule: ScheduleView<'a>,
}

/// The fields of a resource's kind: a slot grid, or nights.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ScheduleView<'a> {
    Slots {
        slot_minutes: u32,
        durations: &'a [u32],
        opening_hours: OpeningHoursDraft,
    },
    Nights {
        check_in_time: String,
        check_out_time: String,
        min_nights: u32,
        max_nights: u32,
    },
}

impl<'a> ResourceView<'a> {
    pub fn of(resource: &'a Resource, zone: &TimeZone) -> ResourceView<'a> {
        ResourceView {
            resource_id: &resource.resource_id,
            venue_id: &resource.venue_id,
            name: &resource.name,
            kind: resource.schedule.kind(),
            capacity: resource.capacity,
            unit_price: resource.unit_price,
            hold_minutes: resource.hold_minutes,
            active: resource.active,
            created_at: format_local(resource.created_at, zone),
            schedule: match &resource.schedule {
                Schedule::Slots(rules) => ScheduleView::Slots {
                    slot_minutes: rules.slot_minutes,
                    durations: &rules.durations,
                    opening_hours: rules.opening_hours.to_draft(),
                },
                Schedule::Nights(rules) => ScheduleView::Nights {
                    check_in_time: rules.check_in_time.to_string(),
                    check_out_time: rules.check_out_time.to_string(),
                    min_nights: rules.min_nights,
                    max_nights: rules.max_nights,
                },
            },
        }
    }
}

/// `GET /v1/resources/{resource_id}/availability`: each unit of the range, free or taken.
#[derive(Debug, Serialize)]
pub struct AvailabilityView<'a> {
    pub resource_id: &'a str,
    pub kind: &'static str,
    pub time_zone: &'a str,
    pub units: Vec<UnitView>,
}

impl<'a> AvailabilityView<'a> {
    pub fn of(availability: &'a Availability) -> AvailabilityView<'a> {
        let resource = &availability.resource;
        let zone = availability.venue.zone.tz();
        let units = availability
            .units
            .iter()
            .map(|unit| {
                let status = if unit.places_left == 0 {
                    "taken"
                } else {
                    "free"
                };
                let places_left = (resource.capacity > 1).then_some(unit.places_left);
                match unit.span.unit {
                    Unit::Night(date) => UnitView::Night {
                        date: date.to_string(),
                        status,
                        places_left,
                    },
                    Unit::Slot(_) => UnitView::Slot {
                        start: format_local(unit.span.start, zone),
                        end: format_local(unit.span.end, zone),
                        status,
                        places_left,
                    },
                }
            })
            .collect();
        AvailabilityView {
            resource_id: &resource.resource_id,
            kind: resource.schedule.kind(),
            time_zone: availability.venue.zone.name(),
            units,
        }
    }
}

/// One unit of availability: a night by its date, a slot by its instants. `places_left` only
/// where a unit has more than one place.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum UnitView {
    Night {
        date: String,
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        places_left: Option<u32>,
    },
    Slot {
        start: String,
        end: String,
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        places_left: Option<u32>,
    },
}

/// The booking's zone, for its instants at the venue's offset.
pub fn zone_of(booking: &Booking) -> TimeZone {
    booking.time_zone.tz().clone()
}

/// A booking as docs/api.md shows it.
#[derive(Debug, Serialize)]
pub struct BookingView<'a> {
    pub booking_id: &'a str,
    pub resource_id: &'a str,
    pub venue_id: &'a str,
    pub status: &'static str,
    pub start: String,
    pub end: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_out: Option<String>,
    pub units: usize,
    pub price: Money,
    pub hold_expires_at: Option<String>,
    pub payment: Option<PaymentView<'a>>,
    /// What a cancellation refunds, once one decided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund: Option<RefundView>,
    pub customer: &'a Customer,
    /// Imported calendar events over this booking that are not echoes of it.
    pub calendar_conflicts: Vec<CalendarConflictView<'a>>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize)]
pub struct CalendarConflictView<'a> {
    pub calendar_id: &'a str,
    pub name: &'a str,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Serialize)]
pub struct PaymentView<'a> {
    pub provider: &'static str,
    pub status: &'static str,
    pub amount: Money,
    /// Refunded so far.
    pub refunded: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_intent_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preference_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct RefundView {
    pub amount: Money,
    pub percent: u8,
}

impl<'a> From<&'a Payment> for PaymentView<'a> {
    fn from(payment: &'a Payment) -> PaymentView<'a> {
        let (mut intent, mut secret, mut preference, mut url) = (None, None, None, None);
        match &payment.checkout {
            Some(Checkout::Stripe {
                payment_intent_id,
                client_secret,
            }) => {
                intent = Some(payment_intent_id.as_str());
                secret = Some(client_secret.as_str());
            }
            Some(Checkout::MercadoPago {
                preference_id,
                checkout_url,
            }) => {
                preference = Some(preference_id.as_str());
                url = Some(checkout_url.as_str());
            }
            None => {}
        }
        PaymentView {
            provider: payment.provider.as_str(),
            status: payment.status().as_str(),
            amount: payment.amount,
            refunded: payment.refunded_money(),
            payment_intent_id: intent,
            client_secret: secret,
            preference_id: preference,
            checkout_url: url,
        }
    }
}

impl<'a> BookingView<'a> {
    pub fn of(booking: &'a Booking) -> BookingView<'a> {
        let zone = zone_of(booking);
        let local = |t: Timestamp| format_local(t, &zone);
        let (check_in, check_out) = match booking.period {
            Period::Nights {
                check_in,
                check_out,
            } => (Some(check_in.to_string()), Some(check_out.to_string())),
            Period::Slots { .. } => (None, None),
        };
        let refund = booking.payment.as_ref().and_then(|p| {
            let percent = p.refund_percent?;
            Some(RefundView {
                amount: Money {
                    amount: p.refund_due,
                    currency: p.refunded_money().currency,
                },
                percent,
            })
        });
        BookingView {
            booking_id: &booking.booking_id,
            resource_id: &booking.resource_id,
            venue_id: &booking.venue_id,
            status: booking.status.as_str(),
            start: local(booking.start),
            end: local(booking.end),
            check_in,
            check_out,
            units: booking.units.len(),
            price: booking.price,
            hold_expires_at: booking.hold_expires_at.map(local),
            payment: booking.payment.as_ref().map(PaymentView::from),
            refund,
            customer: &booking.customer,
            calendar_conflicts: booking
                .calendar_conflicts
                .iter()
                .map(|c| CalendarConflictView {
                    calendar_id: &c.calendar_id,
                    name: &c.name,
                    start: local(c.start),
                    end: local(c.end),
                })
                .collect(),
            created_at: local(booking.created_at),
            updated_at: local(booking.updated_at),
        }
    }
}

/// The booking as JSON, for bodies kept as values (idempotent replays, lists).
pub fn booking(booking: &Booking) -> Value {
    serde_json::to_value(BookingView::of(booking)).unwrap_or(Value::Null)
}

/// A page of a list, with the cursor of the next one (`null`: the last page).
#[derive(Debug, Serialize)]
pub struct PageView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<'a> PageView<BookingView<'a>> {
    pub fn of_bookings(page: &'a holdfast_store::Page<Booking>) -> PageView<BookingView<'a>> {
        PageView {
            items: page.items.iter().map(BookingView::of).collect(),
            next_cursor: page.next.clone(),
        }
    }
}

/// A whole list, unpaged (a venue's accounts, a resource's calendars).
#[derive(Debug, Serialize)]
pub struct ListView<T> {
    pub items: Vec<T>,
}

impl<T> FromIterator<T> for ListView<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> ListView<T> {
        ListView {
            items: items.into_iter().collect(),
        }
    }
}

/// A payment account as docs/api.md shows it: never a secret.
#[derive(Debug, Serialize)]
pub struct AccountView<'a> {
    pub provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_hint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Mercado Pago's accounts only: `null` while refreshes succeed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_refresh_error: Option<Option<&'a str>>,
    pub updated_at: String,
}

impl<'a> AccountView<'a> {
    pub fn of(summary: &'a AccountSummary, zone: &TimeZone) -> AccountView<'a> {
        let mercadopago = summary.provider == PaymentProvider::MercadoPago;
        AccountView {
            provider: summary.provider.as_str(),
            key_hint: summary.key_hint.as_deref(),
            user_id: summary.user_id.as_deref(),
            expires_at: summary.expires_at.map(|t| format_local(t, zone)),
            last_refresh_error: mercadopago.then_some(summary.last_refresh_error.as_deref()),
            updated_at: format_local(summary.updated_at, zone),
        }
    }
}

/// Where to send an admin to approve a Mercado Pago connect.
#[derive(Debug, Serialize)]
pub struct AuthorizeView {
    pub authorize_url: String,
}

/// A resource's export URL, for other platforms to subscribe to.
#[derive(Debug, Serialize)]
pub struct ExportUrlView {
    pub url: String,
}

/// An imported calendar as docs/api.md shows it, with its sync state.
#[derive(Debug, Serialize)]
pub struct CalendarView<'a> {
    pub calendar_id: &'a CalendarId,
    pub resource_id: &'a ResourceId,
    pub name: &'a str,
    pub url: &'a str,
    pub status: &'static str,
    pub last_sync_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_error: Option<&'a str>,
    pub consecutive_failures: u32,
    pub blocks: u32,
    pub conflicts: Vec<ConflictView<'a>>,
    /// What the last read of the feed left out, by reason.
    pub skipped: &'a BTreeMap<String, u32>,
}

/// An imported event that clashes with one of our bookings.
#[derive(Debug, Serialize)]
pub struct ConflictView<'a> {
    pub uid: &'a str,
    pub start: String,
    pub end: String,
    pub booking_id: &'a BookingId,
}

impl<'a> CalendarView<'a> {
    pub fn of(calendar: &'a Calendar, zone: &TimeZone) -> CalendarView<'a> {
        let local = |t: Timestamp| format_local(t, zone);
        CalendarView {
            calendar_id: &calendar.calendar_id,
            resource_id: &calendar.resource_id,
            name: &calendar.name,
            url: &calendar.url,
            status: calendar.status.as_str(),
            last_sync_at: calendar.last_sync_at.map(local),
            last_success_at: calendar.last_success_at.map(local),
            last_error: calendar.last_error.as_deref(),
            consecutive_failures: calendar.consecutive_failures,
            blocks: calendar.blocks,
            skipped: &calendar.skipped,
            conflicts: calendar
                .conflicts
                .iter()
                .map(|c| ConflictView {
                    uid: &c.uid,
                    start: local(c.start),
                    end: local(c.end),
                    booking_id: &c.booking_id,
                })
                .collect(),
        }
    }
}
