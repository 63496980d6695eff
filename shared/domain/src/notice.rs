//! Notices: what a customer or the venue's staff must hear of a booking. Each has an id fixed by
//! what happened (a booking is confirmed once, cancelled once), so that however often a notice
//! is delivered, each recipient is mailed once.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::booking::BookingStatus;

/// What happened to a booking that someone must hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Booked (paid at the desk, or paid online): the customer's confirmation, staff's alert.
    Confirmed,
    Cancelled,
    /// A hold lapsed unpaid.
    Expired,
    /// The booking starts in `reminder_hours`.
    Reminder,
    /// Paid after the hold lapsed and the units were taken: refunded in full.
    PaymentConflict,
    /// Refunded in full from the provider's side: the units are freed.
    Refunded,
    /// A payment of another amount or currency than the price: it confirms nothing and is
    /// refunded; staff must know.
    PaymentMismatch,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 7] = [
        NoticeKind::Confirmed,
        NoticeKind::Cancelled,
        NoticeKind::Expired,
        NoticeKind::Reminder,
        NoticeKind::PaymentConflict,
        NoticeKind::Refunded,
        NoticeKind::PaymentMismatch,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            NoticeKind::Confirmed => "confirmed",
            NoticeKind::Cancelled => "cancelled",
            NoticeKind::Expired => "expired",
            NoticeKind::Reminder => "reminder",
            NoticeKind::PaymentConflict => "payment_conflict",
            NoticeKind::Refunded => "refunded",
            NoticeKind::PaymentMismatch => "payment_mismatch",
        }
    }

    pub fn parse(raw: &str) -> Option<NoticeKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The notice a booking's move into `status` gives, if anyone must hear of it. A new hold
    /// is told nothing until it is paid or lapses.
    pub fn of_status(status: BookingStatus) -> Option<NoticeKind> {
        match status {
            BookingStatus::Confirmed => Some(NoticeKind::Confirmed),
            BookingStatus::Cancelled => Some(NoticeKind::Cancelled),
            BookingStatus::Expired => Some(NoticeKind::Expired),
            BookingStatus::PaymentConflict => Some(NoticeKind::PaymentConflict),
            BookingStatus::Refunded => Some(NoticeKind::Refunded),
            BookingStatus::Held => None,
        }
    }

    /// Who hears of it: the customer of all but a mismatched payment; staff, when the venue
    /// wants alerts, of new bookings and cancellations, and always of money that needs them.
    pub fn recipients(&self, staff_alerts: bool) -> Vec<Recipient> {
        let mut to = Vec::new();
        if *self != NoticeKind::PaymentMismatch {
            to.push(Recipient::Customer);
        }
        let staff = match self {
            NoticeKind::Confirmed | NoticeKind::Cancelled => staff_alerts,
            NoticeKind::PaymentConflict | NoticeKind::PaymentMismatch => true,
            NoticeKind::Expired | NoticeKind::Reminder | NoticeKind::Refunded => false,
        };
        if staff {
            to.push(Recipient::Staff);
        }
        to
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a notice is mailed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// The booking's customer.
    Customer,
    /// The venue's contact email.
    Staff,
}

impl Recipient {
    pub fn as_str(&self) -> &'static str {
        match self {
            Recipient::Customer => "customer",
            Recipient::Staff => "staff",
        }
    }
}

/// One thing to tell about one booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub notice_id: String,
    pub kind: NoticeKind,
    pub booking_id: String,
    pub occurred_at: Timestamp,
}

impl Notice {
    /// The notice of `kind` for `booking_id`: its id names both, so it is the same notice
    /// however many times it is made.
    pub fn new(kind: NoticeKind, booking_id: &str, occurred_at: Timestamp) -> Notice {
        Notice {
            notice_id: format!("{booking_id}.{kind}"),
            kind,
            booking_id: booking_id.to_string(),
            occurred_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_the_same_however_often_it_is_made() {
        let at: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let later: Timestamp = "2026-12-01T10:05:00Z".parse().unwrap();
        let first = Notice::new(NoticeKind::Confirmed, "bkg_1", at);
        assert_eq!(
            first.notice_id,
            Notice::new(NoticeKind::Confirmed, "bkg_1", later).notice_id
        );
        assert_ne!(
            first.notice_id,
            Notice::new(NoticeKind::Cancelled, "bkg_1", at).notice_id
        );
        let wire = serde_json::to_string(&first).unwrap();
        assert_eq!(serde_json::from_str::<Notice>(&wire).unwrap(), first);
        assert!(wire.contains("\"kind\":\"confirmed\""), "{wire}");
    }

    #[test]
    fn staff_hear_of_new_bookings_and_cancellations_only_when_they_asked() {
        use Recipient::{Customer, Staff};
        assert_eq!(NoticeKind::Confirmed.recipients(true), [Customer, Staff]);
        assert_eq!(NoticeKind::Confirmed.recipients(false), [Customer]);
        assert_eq!(NoticeKind::Cancelled.recipients(true), [Customer, Staff]);
        assert_eq!(NoticeKind::Expired.recipients(true), [Customer]);
        assert_eq!(NoticeKind::Reminder.recipients(true), [Customer]);
        assert_eq!(
            NoticeKind::PaymentConflict.recipients(false),
            [Customer, Staff]
        );
        assert_eq!(NoticeKind::PaymentMismatch.recipients(false), [Staff]);
        assert_eq!(NoticeKind::Refunded.recipients(true), [Customer]);
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NoticeKind::of_status(BookingStatus::Held), None);
    }
}
