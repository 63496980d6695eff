//! What a provider's word (paid, failed, cancelled, refunded) and a cancellation do to a
//! booking, in any order: its status, its payment, its locks, its notices and its report.

use jiff::Timestamp;

use crate::booking::{Booking, Claim, reminder_due};
use crate::money::Money;
use crate::notice::NoticeKind;
use crate::payment::{Paid, cancellation_refund};
use crate::report::{ReportDelta, merge_deltas, payment_deltas, refund_deltas, status_deltas};
use crate::status::BookingStatus;

/// What a provider says happened to a booking's payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentFact {
    /// Money reached the venue's account.
    Paid { payment_id: String, amount: Money },
    /// An attempt to pay failed.
    Failed,
    /// The provider's intent was cancelled: nothing can be paid any more.
    Canceled,
    /// `total` of `paid` is refunded by now (a running total, so any order of deliveries
    /// gives the same end).
    Refunded {
        payment_id: String,
        paid: Money,
        total: i64,
    },
}

/// What happens to the booking's locks with a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWork {
    None,
    /// The booking keeps its units for good: its locks become permanent, or are taken again
    /// if its hold lapsed and nobody took them meanwhile.
    Keep,
    /// Its units are freed.
    Release,
    /// Its units are free already (a lapsed hold); only its own leftover locks are tidied.
    Tidy,
}

/// Money that moved with a change, for the monthly counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MoneyMoved {
    pub paid: Option<Money>,
    /// Minor units newly refunded.
    pub refunded: i64,
}

/// A booking's change in full: its new state, what its locks must do, who hears of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    pub from: BookingStatus,
    pub booking: Booking,
    pub locks: LockWork,
    pub notices: Vec<NoticeKind>,
    pub money: MoneyMoved,
}

impl Settlement {
    fn unchanged(booking: &Booking) -> Settlement {
        Settlement {
            from: booking.status,
            booking: booking.clone(),
            locks: LockWork::None,
            notices: Vec::new(),
            money: MoneyMoved::default(),
        }
    }

    /// Whether anything is to be written.
    pub fn changes_anything(&self, before: &Booking) -> bool {
        self.booking != *before
    }

    /// What the change moves in the monthly counters: the booking's status, and money in the
    /// month it moved (`now`).
    pub fn report_deltas(&self, now: Timestamp) -> Vec<ReportDelta> {
        let booking = &self.booking;
        let mut deltas = status_deltas(booking, Some(self.from), booking.status);
        if let Some(payment) = &booking.payment {
            if let Some(paid) = &self.money.paid {
                deltas.extend(payment_deltas(booking, payment.provider, paid, now));
            }
            if self.money.refunded > 0 {
                let refunded = Money {
                    amount: self.money.refunded,
                    ..payment.refunded_money()
                };
                deltas.extend(refund_deltas(booking, payment.provider, &refunded, now));
            }
        }
        merge_deltas(deltas)
    }
}

/// Cancelling a held or confirmed booking: its units are freed, its customer told, and what
/// was paid is refunded by `percent` (the policy's, or 100 for an admin).
pub fn cancel(booking: &Booking, percent: u8, now: Timestamp) -> Settlement {
    let mut out = Settlement::unchanged(booking);
    out.booking.status = BookingStatus::Cancelled;
    out.booking.remind_at = None;
    out.booking.updated_at = now;
    out.locks = LockWork::Release;
    out.notices.push(NoticeKind::Cancelled);
    if let Some(payment) = out.booking.payment.as_mut() {
        if let Some((percent, refund)) = cancellation_refund(payment, percent) {
            payment.refund_due = payment.refund_due.max(refund.amount);
            payment.refund_percent = Some(percent);
        }
    }
    out
}

/// The provider took Holdfast's request for the refund owed: asked for, and if it says the
/// money went back at once, refunded (the refund webhook, if any, then finds nothing new).
pub fn refund_asked(booking: &Booking, made_at_once: bool, now: Timestamp) -> Settlement {
    let mut out = Settlement::unchanged(booking);
    if let Some(payment) = out.booking.payment.as_mut() {
        let asked = payment.refund_due - payment.refund_requested.max(payment.refunded);
        if asked <= 0 {
            return out;
        }
        payment.refund_requested = payment.refund_due;
        if made_at_once {
            out.money.refunded = payment.refund_due - payment.refunded;
            payment.refunded = payment.refund_due;
        }
        out.booking.updated_at = now;
    }
    out
}

/// What `fact` does to `booking` at `now`: pure, so that every order of deliveries can be
/// tried in tests. A paid hold is `Keep`: if its units turn out taken, the caller asks
/// [`settle_conflict`] instead. `reminder_hours` is the venue's, for a booking confirmed now.
pub fn settle(
    booking: &Booking,
    fact: &PaymentFact,
    reminder_hours: u32,
    now: Timestamp,
) -> Settlement {
    let mut out = Settlement::unchanged(booking);
    let Some(payment) = booking.payment.clone() else {
        return out;
    };
    let mut payment = payment;
    let status = booking.status;
    match fact {
        PaymentFact::Paid { payment_id, amount } => {
            if payment.paid.is_some() {
                return out;
            }
            payment.paid = Some(Paid {
                payment_id: payment_id.clone(),
                amount: *amount,
                at: now,
            });
            payment.failed = false;
            out.money.paid = Some(*amount);
            if *amount != booking.price {
                // Confirms nothing: all of it goes back, and staff hear of it.
                payment.refund_due = amount.amount;
                out.notices.push(NoticeKind::PaymentMismatch);
            } else {
                match status {
                    BookingStatus::Held | BookingStatus::Expired => {
                        out.booking.status = BookingStatus::Confirmed;
                        out.booking.hold_expires_at = None;
                        out.booking.remind_at = reminder_due(booking.start, reminder_hours, now);
                        out.locks = LockWork::Keep;
                        out.notices.push(NoticeKind::Confirmed);
                    }
                    // Cancelled while the customer was paying: all of it goes back.
                    BookingStatus::Cancelled => payment.refund_due = amount.amount,
                    // Refunded from the provider's side before its success arrived: money
                    // came and went, the booking stays as it is.
                    BookingStatus::Confirmed
                    | BookingStatus::PaymentConflict
                    | BookingStatus::Refunded => {}
                }
            }
            payment.refunded = payment.refunded.min(amount.amount);
        }
        PaymentFact::Failed => {
            if payment.paid.is_some() || payment.failed {
                return out;
            }
            payment.failed = true;
        }
        PaymentFact::Canceled => {
            if payment.paid.is_some() || status != BookingStatus::Held {
                return out;
            }
            out.booking.status = BookingStatus::Cancelled;
            out.locks = release_or_tidy(booking, now);
            out.notices.push(NoticeKind::Cancelled);
        }
        PaymentFact::Refunded {
            payment_id,
            paid,
            total,
        } => {
            if payment.paid.is_none() {
                // The refund arrived before the success: the money was paid all the same.
                payment.paid = Some(Paid {
                    payment_id: payment_id.clone(),
                    amount: *paid,
                    at: now,
                });
                payment.failed = false;
                out.money.paid = Some(*paid);
            }
            let paid_amount = payment
                .paid
                .as_ref()
                .map_or(paid.amount, |p| p.amount.amount);
            let total = (*total).min(paid_amount);
            if total > payment.refunded {
                out.money.refunded = total - payment.refunded;
                payment.refunded = total;
                payment.refund_requested = payment.refund_requested.max(total);
                let beyond_ours = total > payment.refund_due;
                payment.refund_due = payment.refund_due.max(total);
                if total >= paid_amount && beyond_ours {
                    refunded_by_provider(booking, &mut out, now);
                }
            }
        }
    }
    out.booking.payment = Some(payment);
    if out.booking != *booking {
        out.booking.updated_at = now;
    }
    out
}

/// Refunded in full from the provider's side: a booking that holds (or held) its units gives
/// them up; one already ended stays as it is.
fn refunded_by_provider(booking: &Booking, out: &mut Settlement, now: Timestamp) {
    match booking.status {
        BookingStatus::Held | BookingStatus::Confirmed | BookingStatus::Expired => {
            out.booking.status = BookingStatus::Refunded;
            out.booking.hold_expires_at = None;
            out.booking.remind_at = None;
            out.locks = match booking.status {
                BookingStatus::Expired => LockWork::None,
                _ => release_or_tidy(booking, now),
            };
            out.notices.push(NoticeKind::Refunded);
        }
        BookingStatus::Cancelled | BookingStatus::PaymentConflict | BookingStatus::Refunded => {}
    }
}

/// A paid hold whose units another booking took after it lapsed: the booking is a payment
/// conflict, every cent goes back, and customer and staff hear of it.
pub fn settle_conflict(settled: &Settlement, now: Timestamp) -> Settlement {
    let mut out = settled.clone();
    out.booking.status = BookingStatus::PaymentConflict;
    out.booking.hold_expires_at = None;
    out.booking.remind_at = None;
    out.booking.updated_at = now;
    if let Some(payment) = out.booking.payment.as_mut() {
        if let Some(paid) = &payment.paid {
            payment.refund_due = paid.amount.amount;
        }
    }
    // The lapsed locks another booking took are not ours to touch; our own leftovers are.
    out.locks = LockWork::Tidy;
    out.notices = vec![NoticeKind::PaymentConflict];
    out
}

/// A hold still live holds its units: they are released. A lapsed one's are free already,
/// but counted places come back only when released.
fn release_or_tidy(booking: &Booking, now: Timestamp) -> LockWork {
    if booking.hold_lapsed(now) && booking.claim == Claim::Whole {
        LockWork::Tidy
    } else {
        LockWork::Release
    }
}

#[cfg(test)]
mod tests;
