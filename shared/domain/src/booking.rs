//! Bookings: who holds which units, their life from hold to the end, and what a request must
//! carry to become one.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, FieldErrors};
use crate::ids::{BookingId, CalendarId, ResourceId, VenueId};
use crate::money::Money;
use crate::payment::{Payment, PaymentProvider};
use crate::resource::Schedule;
use crate::status::BookingStatus;
use crate::units::{Period, Plan, Unit};
use crate::validate::{checked_name, is_email};
use crate::venue::Zone;

/// How a booking holds each of its units: the whole unit (a court, a cabin) or one of its
/// places (a class of several). Fixed when booked, so that releasing the units never guesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Whole,
    Place,
}

impl Claim {
    /// A resource with one place per unit is taken whole.
    pub fn for_capacity(capacity: u32) -> Claim {
        if capacity > 1 {
            Claim::Place
        } else {
            Claim::Whole
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Claim::Whole => "whole",
            Claim::Place => "place",
        }
    }

    pub fn parse(raw: &str) -> Option<Claim> {
        [Claim::Whole, Claim::Place]
            .into_iter()
            .find(|c| c.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub name: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerDraft {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
}

/// `POST /v1/bookings` as the caller sent it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BookingDraft {
    pub resource_id: ResourceId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_out: Option<String>,
    pub customer: CustomerDraft,
    pub payment_provider: String,
}

/// A booking request's fields once read: the period, the customer and the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRequest {
    pub period: Period,
    pub customer: Customer,
    pub provider: PaymentProvider,
}

impl BookingDraft {
    /// Reads the draft for a resource booked by `schedule`; every unreadable field is named.
    pub fn read(&self, schedule: &Schedule) -> Result<BookingRequest, DomainError> {
        let mut errors = FieldErrors::new();
        let period = match schedule {
            Schedule::Slots(_) => {
                for (field, given) in [("check_in", &self.check_in), ("check_out", &self.check_out)]
                {
                    if given.is_some() {
                        errors.add(
                            field,
                            "is for resources booked by the night; use start and end",
                        );
                    }
                }
                let start = instant(self.start.as_deref(), "start", &mut errors);
                let end = instant(self.end.as_deref(), "end", &mut errors);
                start
                    .zip(end)
                    .map(|(start, end)| Period::Slots { start, end })
            }
            Schedule::Nights(_) => {
                for (field, given) in [("start", &self.start), ("end", &self.end)] {
                    if given.is_some() {
                        errors.add(
                            field,
                            "is for resources booked by time slot; use check_in and check_out",
                        );
                    }
                }
                let check_in = date(self.check_in.as_deref(), "check_in", &mut errors);
                let check_out = date(self.check_out.as_deref(), "check_out", &mut errors);
                check_in
                    .zip(check_out)
                    .map(|(check_in, check_out)| Period::Nights {
                        check_in,
                        check_out,
                    })
            }
        };
        let customer = self.customer.read(&mut errors);
        let provider = PaymentProvider::parse(&self.payment_provider);
        if provider.is_none() {
            errors.add("payment_provider", "must be none, stripe or mercadopago");
        }
        match (period, provider) {
            (Some(period), Some(provider)) if errors.is_empty() => Ok(BookingRequest {
                period,
                customer,
                provider,
            }),
            _ => Err(DomainError::Invalid(errors)),
        }
    }
}

impl CustomerDraft {
    fn read(&self, errors: &mut FieldErrors) -> Customer {
        let name = checked_name(&self.name, "customer.name", errors);
        let email = self.email.trim().to_string();
        if !is_email(&email) {
            errors.add("customer.email", "must be an email address");
        }
        let phone = self
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        if let Some(phone) = &phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let allowed = phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if !allowed || !(6..=15).contains(&digits) {
                errors.add(
                    "customer.phone",
                    "must be a phone number such as +34600000000",
                );
            }
        }
        Customer { name, email, phone }
    }
}

fn instant(raw: Option<&str>, field: &str, errors: &mut FieldErrors) -> Option<Timestamp> {
    let Some(raw) = raw else {
        errors.add(field, "is required");
        return None;
    };
    // RFC 3339 with an offset: an instant, never a local time without a zone.
    let parsed = raw
        .parse::<Timestamp>()
        .ok()
        .filter(|_| raw.len() >= 20 && raw.as_bytes()[10] == b'T');
    if parsed.is_none() {
        errors.add(
            field,
            "must be an RFC 3339 instant with an offset, such as 2026-12-01T10:00:00+01:00",
        );
    }
    parsed
}

fn date(raw: Option<&str>, field: &str, errors: &mut FieldErrors) -> Option<Date> {
    let Some(raw) = raw else {
        errors.add(field, "is required");
        return None;
    };
    let parsed = raw.parse::<Date>().ok().filter(|_| raw.len() == 10);
    if parsed.is_none() {
        errors.add(field, "must be a date YYYY-MM-DD");
    }
    parsed
}

/// A booking: the units one owner holds on one resource, and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub booking_id: BookingId,
    pub resource_id: ResourceId,
    pub venue_id: VenueId,
    /// The caller (`sub`) who made it.
    pub owner: String,
    pub status: BookingStatus,
    pub period: Period,
    pub start: Timestamp,
    pub end: Timestamp,
    pub units: Vec<Unit>,
    /// Whether each unit is held whole or as one place of several.
    pub claim: Claim,
    pub price: Money,
    pub hold_expires_at: Option<Timestamp>,
    /// When the customer is to be reminded, while a reminder is still due.
    pub remind_at: Option<Timestamp>,
    pub payment: Option<Payment>,
    pub customer: Customer,
    /// The venue's IANA zone, to show instants at the venue's offset.
    pub time_zone: Zone,
    /// Imported calendar events over this booking that are not echoes of it.
    pub calendar_conflicts: Vec<BookingCalendarConflict>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An imported event that clashes with a booking, as the booking lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingCalendarConflict {
    pub calendar_id: CalendarId,
    /// The calendar's name ("Airbnb").
    pub name: String,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// Who books what, with which plan, when.
#[derive(Debug, Clone)]
pub struct NewBooking<'a> {
    pub booking_id: BookingId,
    pub owner: String,
    pub resource: &'a crate::Resource,
    pub time_zone: &'a Zone,
    pub request: BookingRequest,
    pub plan: Plan,
    /// The venue's `reminder_hours` as of booking (0: no reminder).
    pub reminder_hours: u32,
    pub now: Timestamp,
}

impl Booking {
    /// Paying at the desk confirms at once; paying online holds the units for `hold_minutes`.
    pub fn new(new: NewBooking<'_>) -> Booking {
        let BookingRequest {
            period,
            customer,
            provider,
        } = new.request;
        let (status, hold_expires_at, payment) = match provider {
            PaymentProvider::None => (BookingStatus::Confirmed, None, None),
            provider => (
                BookingStatus::Held,
                new.now
                    .checked_add(SignedDuration::from_mins(i64::from(
                        new.resource.hold_minutes,
                    )))
                    .ok(),
                Some(Payment::pending(provider, new.plan.price)),
            ),
        };
        Booking {
            booking_id: new.booking_id,
            resource_id: new.resource.resource_id.clone(),
            venue_id: new.resource.venue_id.clone(),
            owner: new.owner,
            status,
            period,
            start: new.plan.start,
            end: new.plan.end,
            units: new.plan.units,
            claim: Claim::for_capacity(new.resource.capacity),
            price: new.plan.price,
            hold_expires_at,
            remind_at: (status == BookingStatus::Confirmed)
                .then(|| reminder_due(new.plan.start, new.reminder_hours, new.now))
                .flatten(),
            payment,
            customer,
            time_zone: new.time_zone.clone(),
            calendar_conflicts: Vec::new(),
            created_at: new.now,
            updated_at: new.now,
        }
    }

    /// Whether a reminder may still go: it is due and the booking has not started.
    pub fn reminder_still_useful(&self, now: Timestamp) -> bool {
        self.status == BookingStatus::Confirmed && self.start > now
    }

    /// A hold whose time ran out is expired, whatever the store still says.
    pub fn hold_lapsed(&self, now: Timestamp) -> bool {
        self.status == BookingStatus::Held && self.hold_expires_at.is_some_and(|at| at <= now)
    }
}

/// When a booking starting at `start` is reminded, `hours` before (at once, `now`, when booked
/// inside that window); `None` when the venue sends no reminders.
pub fn reminder_due(start: Timestamp, hours: u32, now: Timestamp) -> Option<Timestamp> {
    if hours == 0 || start <= now {
        return None;
    }
    let due = start
        .checked_sub(SignedDuration::from_hours(i64::from(hours)))
        .unwrap_or(now);
    Some(due.max(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminder_is_due_hours_before_or_at_once_inside_the_window() {
        let start: Timestamp = "2031-12-02T09:00:00Z".parse().unwrap();
        let early: Timestamp = "2031-11-20T09:00:00Z".parse().unwrap();
        let late: Timestamp = "2031-12-02T08:00:00Z".parse().unwrap();
        assert_eq!(
            reminder_due(start, 24, early),
            Some("2031-12-01T09:00:00Z".parse().unwrap())
        );
        assert_eq!(reminder_due(start, 24, late), Some(late));
        assert_eq!(reminder_due(start, 0, early), None);
        assert_eq!(reminder_due(start, 24, start), None);
    }

    #[test]
    fn instants_need_an_offset_and_dates_a_full_form() {
        let mut errors = FieldErrors::new();
        assert!(instant(Some("2026-12-01T10:00:00+01:00"), "start", &mut errors).is_some());
        assert!(instant(Some("2026-12-01T09:00:00Z"), "start", &mut errors).is_some());
        assert!(errors.is_empty());
        assert!(instant(Some("2026-12-01T10:00:00"), "start", &mut errors).is_none());
        assert!(instant(Some("2026-12-01"), "end", &mut errors).is_none());
        assert!(date(Some("2026-12-1"), "check_in", &mut errors).is_none());
        assert!(date(Some("2026-02-30"), "check_out", &mut errors).is_none());
        for field in ["start", "end", "check_in", "check_out"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }
}
