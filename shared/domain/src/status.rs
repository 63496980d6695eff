//! Where a booking stands and what can happen to it: the statuses, the events, and the one
//! table of which event leads where.

use std::fmt;

use serde::Serialize;

/// An event that cannot happen to a booking of this status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a booking that is {from} cannot be {}", event.past_tense())]
pub struct RefusedTransition {
    pub from: BookingStatus,
    pub event: BookingEvent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookingStatus {
    /// Awaiting payment; the locks lapse at `hold_expires_at`.
    Held,
    Confirmed,
    Cancelled,
    Expired,
    /// Paid after the hold lapsed and the units were taken: refunded.
    PaymentConflict,
    Refunded,
}

/// What can happen to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingEvent {
    Cancel,
    Expire,
    Pay,
    PayTooLate,
    Refund,
}

impl BookingEvent {
    pub const ALL: [BookingEvent; 5] = [
        BookingEvent::Cancel,
        BookingEvent::Expire,
        BookingEvent::Pay,
        BookingEvent::PayTooLate,
        BookingEvent::Refund,
    ];

    pub fn past_tense(&self) -> &'static str {
        match self {
            BookingEvent::Cancel => "cancelled",
            BookingEvent::Expire => "expired",
            BookingEvent::Pay => "paid",
            BookingEvent::PayTooLate => "paid after its hold",
            BookingEvent::Refund => "refunded",
        }
    }
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 6] = [
        BookingStatus::Held,
        BookingStatus::Confirmed,
        BookingStatus::Cancelled,
        BookingStatus::Expired,
        BookingStatus::PaymentConflict,
        BookingStatus::Refunded,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            BookingStatus::Held => "held",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Expired => "expired",
            BookingStatus::PaymentConflict => "payment_conflict",
            BookingStatus::Refunded => "refunded",
        }
    }

    pub fn parse(raw: &str) -> Option<BookingStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the booking still holds its units.
    pub fn holds_units(&self) -> bool {
        matches!(self, BookingStatus::Held | BookingStatus::Confirmed)
    }

    /// The status after `event`, or why it cannot happen.
    pub fn after(self, event: BookingEvent) -> Result<BookingStatus, RefusedTransition> {
        use BookingEvent as E;
        use BookingStatus as S;
        match (self, event) {
            (S::Held | S::Confirmed, E::Cancel) => Ok(S::Cancelled),
            (S::Held, E::Expire) => Ok(S::Expired),
            (S::Held, E::Pay) => Ok(S::Confirmed),
            (S::Held | S::Expired, E::PayTooLate) => Ok(S::PaymentConflict),
            (S::Confirmed | S::Cancelled, E::Refund) => Ok(S::Refunded),
            (from, event) => Err(RefusedTransition { from, event }),
        }
    }
}

impl fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for BookingStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn any_status() -> impl Strategy<Value = BookingStatus> {
        proptest::sample::select(BookingStatus::ALL.to_vec())
    }

    fn any_event() -> impl Strategy<Value = BookingEvent> {
        proptest::sample::select(BookingEvent::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn only_held_and_confirmed_bookings_hold_units_or_cancel(status in any_status()) {
            let cancellable = status.after(BookingEvent::Cancel).is_ok();
            prop_assert_eq!(cancellable, status.holds_units());
        }

        #[test]
        fn a_refunded_booking_never_changes_again(event in any_event()) {
            prop_assert!(BookingStatus::Refunded.after(event).is_err());
        }

        #[test]
        fn statuses_round_trip_through_their_names(status in any_status()) {
            prop_assert_eq!(BookingStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn an_expired_booking_cannot_be_cancelled() {
        let err = BookingStatus::Expired
            .after(BookingEvent::Cancel)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a booking that is expired cannot be cancelled"
        );
    }
}
