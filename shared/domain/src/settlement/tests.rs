use super::*;
use crate::booking::Customer;
use crate::money::Currency;
use crate::payment::{Payment, PaymentProvider, PaymentStatus};
use crate::units::{Period, Unit};
use proptest::prelude::*;

fn at(raw: &str) -> Timestamp {
    raw.parse().unwrap()
}

fn eur(amount: i64) -> Money {
    Money {
        amount,
        currency: Currency::parse("EUR").unwrap(),
    }
}

/// A stripe hold of 3 units for 1800 EUR, lapsing at 10:15.
fn hold(claim: Claim) -> Booking {
    let start = at("2031-12-01T10:00:00Z");
    Booking {
        booking_id: "bkg_1".into(),
        resource_id: "res_1".into(),
        venue_id: "ven_1".into(),
        owner: "ana".into(),
        status: BookingStatus::Held,
        period: Period::Slots {
            start,
            end: at("2031-12-01T11:30:00Z"),
        },
        start,
        end: at("2031-12-01T11:30:00Z"),
        units: vec![Unit::Slot(start)],
        claim,
        price: eur(1800),
        hold_expires_at: Some(at("2031-11-20T10:15:00Z")),
        remind_at: None,
        payment: Some(Payment::pending(PaymentProvider::Stripe, eur(1800))),
        customer: Customer {
            name: "Ana".into(),
            email: "ana@example.com".into(),
            phone: None,
        },
        time_zone: crate::Zone::parse("Europe/Madrid").unwrap(),
        calendar_conflicts: Vec::new(),
        created_at: at("2031-11-20T10:00:00Z"),
        updated_at: at("2031-11-20T10:00:00Z"),
    }
}

const LIVE: &str = "2031-11-20T10:05:00Z";
const LAPSED: &str = "2031-11-20T10:30:00Z";

fn paid(amount: i64) -> PaymentFact {
    PaymentFact::Paid {
        payment_id: "pi_1".into(),
        amount: eur(amount),
    }
}

fn refunded(total: i64) -> PaymentFact {
    PaymentFact::Refunded {
        payment_id: "pi_1".into(),
        paid: eur(1800),
        total,
    }
}

#[test]
fn a_paid_live_hold_is_confirmed_for_good_and_reminded() {
    let s = settle(&hold(Claim::Whole), &paid(1800), 24, at(LIVE));
    assert_eq!(s.booking.status, BookingStatus::Confirmed);
    assert_eq!(s.locks, LockWork::Keep);
    assert_eq!(s.notices, [NoticeKind::Confirmed]);
    assert_eq!(s.booking.hold_expires_at, None);
    assert_eq!(s.booking.remind_at, Some(at("2031-11-30T10:00:00Z")));
    assert_eq!(
        s.booking.payment.as_ref().unwrap().status(),
        PaymentStatus::Paid
    );
    assert_eq!(s.money.paid, Some(eur(1800)));
}

#[test]
fn a_late_payment_whose_units_were_taken_is_a_conflict_refunded_in_full() {
    let s = settle(&hold(Claim::Whole), &paid(1800), 24, at(LAPSED));
    assert_eq!(s.locks, LockWork::Keep, "it tries to keep its units first");
    let c = settle_conflict(&s, at(LAPSED));
    assert_eq!(c.booking.status, BookingStatus::PaymentConflict);
    assert_eq!(c.locks, LockWork::Tidy);
    assert_eq!(c.notices, [NoticeKind::PaymentConflict]);
    let payment = c.booking.payment.as_ref().unwrap();
    assert_eq!(payment.status(), PaymentStatus::RefundPending);
    assert_eq!(
        payment.refund_to_request("bkg_1"),
        Some((eur(1800), "bkg_1-refund-1800".into()))
    );
}

#[test]
fn a_payment_of_another_amount_confirms_nothing_and_goes_back() {
    let s = settle(&hold(Claim::Whole), &paid(900), 24, at(LIVE));
    assert_eq!(s.booking.status, BookingStatus::Held);
    assert_eq!(s.locks, LockWork::None);
    assert_eq!(s.notices, [NoticeKind::PaymentMismatch]);
    let payment = s.booking.payment.as_ref().unwrap();
    assert_eq!(payment.refund_to_request("bkg_1").unwrap().0, eur(900));
}

#[test]
fn a_refund_before_the_success_ends_refunded_and_the_success_changes_nothing() {
    let r = settle(&hold(Claim::Whole), &refunded(1800), 24, at(LIVE));
    assert_eq!(r.booking.status, BookingStatus::Refunded);
    assert_eq!(r.locks, LockWork::Release);
    assert_eq!(r.money.paid, Some(eur(1800)));
    assert_eq!(r.money.refunded, 1800);
    let p = settle(&r.booking, &paid(1800), 24, at(LIVE));
    assert!(!p.changes_anything(&r.booking));
}

#[test]
fn a_cancellation_takes_the_policys_share_of_what_was_paid() {
    let confirmed = settle(&hold(Claim::Whole), &paid(1800), 24, at(LIVE)).booking;
    let payment = confirmed.payment.as_ref().unwrap();
    assert_eq!(cancellation_refund(payment, 50), Some((50, eur(900))));
    assert_eq!(cancellation_refund(payment, 0), Some((0, eur(0))));
    assert_eq!(
        cancellation_refund(hold(Claim::Whole).payment.as_ref().unwrap(), 100),
        None
    );
}

fn any_fact() -> impl Strategy<Value = PaymentFact> {
    prop_oneof![
        Just(paid(1800)),
        Just(paid(900)),
        Just(PaymentFact::Failed),
        Just(PaymentFact::Canceled),
        (0i64..=1800).prop_map(refunded),
        Just(refunded(1800)),
    ]
}

/// One thing that can happen to a paying booking: a provider's word, a cancellation by
/// policy, or the provider taking the refund Holdfast asked for.
#[derive(Debug, Clone)]
enum Step {
    Told(PaymentFact),
    Cancel(u8),
    RefundTaken(bool),
}

fn any_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => any_fact().prop_map(Step::Told),
        1 => prop_oneof![Just(0u8), Just(50), Just(100)].prop_map(Step::Cancel),
        1 => any::<bool>().prop_map(Step::RefundTaken),
    ]
}

proptest! {
    /// However the provider's words arrive — repeated, reordered, late — and whatever
    /// cancellations and refunds come between them, the books balance: what was counted paid
    /// and refunded (and what the monthly counters moved) is what the payment says, a refund
    /// never exceeds what was paid, and a confirmed booking was paid its price and not
    /// refunded in full.
    #[test]
    fn any_order_of_deliveries_keeps_the_books_straight(
        steps in proptest::collection::vec((any_step(), any::<bool>(), any::<bool>()), 1..14),
        place in any::<bool>(),
    ) {
        let mut booking = hold(if place { Claim::Place } else { Claim::Whole });
        let (mut counted_paid, mut counted_refunded) = (0i64, 0i64);
        let (mut revenue, mut refunds) = (0i64, 0i64);
        for (step, late, units_taken) in &steps {
            let now = at(if *late { LAPSED } else { LIVE });
            let mut s = match step {
                Step::Told(fact) => settle(&booking, fact, 24, now),
                Step::Cancel(percent) => {
                    if booking.hold_lapsed(now) || !booking.status.holds_units() {
                        continue;
                    }
                    cancel(&booking, *percent, now)
                }
                Step::RefundTaken(at_once) => refund_asked(&booking, *at_once, now),
            };
            if s.locks == LockWork::Keep && *late && *units_taken {
                s = settle_conflict(&s, now);
            }
            if let Step::Told(fact) = step {
                // Delivering the same word again changes nothing more.
                let again = settle(&s.booking, fact, 24, now);
                prop_assert!(
                    again.locks != LockWork::Keep || again.booking.status == BookingStatus::Confirmed,
                    "a repeated delivery tried to take units again"
                );
                prop_assert_eq!(&again.booking.payment, &s.booking.payment);
            }
            counted_paid += s.money.paid.map_or(0, |m| m.amount);
            counted_refunded += s.money.refunded;
            for delta in s.report_deltas(now) {
                for (counter, by) in delta.changes {
                    match counter {
                        crate::report::Counter::Revenue(_) => revenue += by,
                        crate::report::Counter::Refunds(_) => refunds += by,
                        _ => {}
                    }
                }
            }
            booking = s.booking;
        }
        let payment = booking.payment.as_ref().unwrap();
        let paid_amount = payment.paid.as_ref().map_or(0, |p| p.amount.amount);
        prop_assert_eq!(counted_paid, paid_amount);
        prop_assert_eq!(counted_refunded, payment.refunded);
        prop_assert!(payment.refunded <= paid_amount);
        prop_assert!(payment.refund_due <= paid_amount);
        prop_assert!(payment.refund_requested <= payment.refund_due);
        // The counters hold the booking's own currency only; a payment in another was never
        // revenue and its refund never a refund.
        if payment.paid.as_ref().is_some_and(|p| p.amount.currency == booking.price.currency) {
            prop_assert_eq!(revenue, paid_amount);
            prop_assert_eq!(refunds, payment.refunded);
        }
        if booking.status == BookingStatus::Confirmed {
            prop_assert_eq!(paid_amount, 1800);
            prop_assert!(payment.status() != PaymentStatus::Refunded);
        }
        if booking.status == BookingStatus::PaymentConflict {
            prop_assert_eq!(payment.refund_due, paid_amount, "a conflict refunds all");
        }
    }
}
