//! What a report counts: the counters of a venue-month, the statuses and providers they cover,
//! and a month's counters as read back.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::payment::PaymentProvider;
use crate::status::BookingStatus;

/// One number of a venue-month's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counter {
    /// Bookings whose time starts in the month and that are in this status now.
    Bookings(BookingStatus),
    /// Payments taken in the month.
    Payments(PaymentProvider),
    /// Minor units paid in the month.
    Revenue(PaymentProvider),
    /// Minor units refunded in the month.
    Refunds(PaymentProvider),
    /// Confirmed bookings of this resource that start in the month.
    ResourceBookings(String),
    /// Minor units paid in the month for bookings of this resource.
    ResourceRevenue(String),
    /// Units of this resource in the month that confirmed bookings hold.
    ResourceUnits(String),
}

// By hand: `PaymentProvider` has no `Hash`, and its name identifies it as `Eq` does.
impl Hash for Counter {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Counter::Bookings(status) => status.hash(state),
            Counter::Payments(p) | Counter::Revenue(p) | Counter::Refunds(p) => {
                p.as_str().hash(state)
            }
            Counter::ResourceBookings(id)
            | Counter::ResourceRevenue(id)
            | Counter::ResourceUnits(id) => id.hash(state),
        }
    }
}

/// The booking statuses a report counts; a hold is no booking yet.
pub const REPORTED_STATUSES: [BookingStatus; 5] = [
    BookingStatus::Confirmed,
    BookingStatus::Cancelled,
    BookingStatus::Expired,
    BookingStatus::PaymentConflict,
    BookingStatus::Refunded,
];

/// The providers a report lists, in its order; paying at the desk moves no money through
/// Holdfast, so it has no line.
pub const REPORTED_PROVIDERS: [PaymentProvider; 2] =
    [PaymentProvider::Stripe, PaymentProvider::MercadoPago];

/// The counters of one venue-month as read back; a counter never moved is 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally(HashMap<Counter, i64>);

impl Tally {
    /// The tally of `pairs`; a counter named twice is summed.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Counter, i64)>) -> Tally {
        pairs.into_iter().collect()
    }

    pub fn get(&self, counter: &Counter) -> i64 {
        self.0.get(counter).copied().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.values().all(|v| *v == 0)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Counter, i64)> {
        self.0.iter().map(|(c, v)| (c, *v))
    }
}

impl FromIterator<(Counter, i64)> for Tally {
    fn from_iter<I: IntoIterator<Item = (Counter, i64)>>(pairs: I) -> Tally {
        let mut tally = HashMap::new();
        for (counter, value) in pairs {
            let sum: &mut i64 = tally.entry(counter).or_default();
            *sum = sum.saturating_add(value);
        }
        Tally(tally)
    }
}
