//! How a booking's changes move the counters: its status in the local month its time falls in,
//! its money in the local month the money moved.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::counter::{Counter, REPORTED_PROVIDERS, REPORTED_STATUSES};
use super::month::Month;
use crate::booking::Booking;
use crate::money::Money;
use crate::payment::PaymentProvider;
use crate::status::BookingStatus;
use crate::units::{Period, Unit};

/// How one change moves the counters of one venue-month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDelta {
    pub month: Month,
    pub changes: Vec<(Counter, i64)>,
}

/// `deltas` with one entry per month (in month order) and one change per counter (in first-seen
/// order); changes that sum to zero and months left without changes are dropped.
pub fn merge_deltas(deltas: impl IntoIterator<Item = ReportDelta>) -> Vec<ReportDelta> {
    let mut merged: Vec<ReportDelta> = Vec::new();
    for delta in deltas {
        let index = match merged.iter().position(|m| m.month == delta.month) {
            Some(index) => index,
            None => {
                merged.push(ReportDelta {
                    month: delta.month,
                    changes: Vec::new(),
                });
                merged.len() - 1
            }
        };
        let changes = &mut merged[index].changes;
        for (counter, by) in delta.changes {
            match changes.iter_mut().find(|(c, _)| *c == counter) {
                // Saturating: no counter comes near i64's range; a wrap would flip its sign.
                Some((_, sum)) => *sum = sum.saturating_add(by),
                None => changes.push((counter, by)),
            }
        }
    }
    for delta in &mut merged {
        delta.changes.retain(|(_, by)| *by != 0);
    }
    merged.retain(|d| !d.changes.is_empty());
    merged.sort_by_key(|d| d.month);
    merged
}

/// The booking's zone: its local month is the venue's.
fn zone_of(booking: &Booking) -> TimeZone {
    booking.time_zone.tz().clone()
}

/// The local month a booking's time starts in: the check-in date of a stay.
fn start_month(booking: &Booking, zone: &TimeZone) -> Month {
    match booking.period {
        Period::Nights { check_in, .. } => Month::of_date(check_in),
        Period::Slots { start, .. } => Month::of(start, zone),
    }
}

fn unit_month(unit: &Unit, zone: &TimeZone) -> Month {
    match unit {
        Unit::Slot(start) => Month::of(*start, zone),
        Unit::Night(date) => Month::of_date(*date),
    }
}

fn is_reported(status: BookingStatus) -> bool {
    REPORTED_STATUSES.contains(&status)
}

/// What moving `booking` from `from` (`None`: it is new) to `to` changes. The status counters
/// follow the booking's current status in its start month; while it is confirmed, it also
/// counts for its resource there and each of its units in the month that unit falls in.
pub fn status_deltas(
    booking: &Booking,
    from: Option<BookingStatus>,
    to: BookingStatus,
) -> Vec<ReportDelta> {
    if from == Some(to) {
        return Vec::new();
    }
    let zone = zone_of(booking);
    let month = start_month(booking, &zone);
    let mut deltas = vec![ReportDelta {
        month,
        changes: Vec::new(),
    }];
    if let Some(from) = from.filter(|s| is_reported(*s)) {
        deltas[0].changes.push((Counter::Bookings(from), -1));
    }
    if is_reported(to) {
        deltas[0].changes.push((Counter::Bookings(to), 1));
    }
    let confirmed = match (from == Some(BookingStatus::Confirmed), to) {
        (false, BookingStatus::Confirmed) => Some(1),
        (true, _) => Some(-1),
        (false, _) => None,
    };
    if let Some(sign) = confirmed {
        let resource = &booking.resource_id;
        deltas[0]
            .changes
            .push((Counter::ResourceBookings(resource.to_string()), sign));
        deltas.extend(booking.units.iter().map(|unit| ReportDelta {
            month: unit_month(unit, &zone),
            changes: vec![(Counter::ResourceUnits(resource.to_string()), sign)],
        }));
    }
    merge_deltas(deltas)
}

/// Money in another currency than the booking's is no revenue: such a payment confirms nothing
/// and is refunded in full, so neither it nor its refund is counted and the two still cancel.
fn counted(booking: &Booking, provider: PaymentProvider, amount: &Money) -> bool {
    amount.currency == booking.price.currency && REPORTED_PROVIDERS.contains(&provider)
}

/// A payment of `amount` through `provider` at `at`, counted in the local month it was made.
pub fn payment_deltas(
    booking: &Booking,
    provider: PaymentProvider,
    amount: &Money,
    at: Timestamp,
) -> Vec<ReportDelta> {
    if !counted(booking, provider, amount) {
        return Vec::new();
    }
    merge_deltas([ReportDelta {
        month: Month::of(at, &zone_of(booking)),
        changes: vec![
            (Counter::Payments(provider), 1),
            (Counter::Revenue(provider), amount.amount),
            (
                Counter::ResourceRevenue(booking.resource_id.to_string()),
                amount.amount,
            ),
        ],
    }])
}

/// A refund of `amount` through `provider` at `at`, counted in the local month it was made;
/// the resource's revenue stays what was paid for it.
pub fn refund_deltas(
    booking: &Booking,
    provider: PaymentProvider,
    amount: &Money,
    at: Timestamp,
) -> Vec<ReportDelta> {
    if !counted(booking, provider, amount) {
        return Vec::new();
    }
    merge_deltas([ReportDelta {
        month: Month::of(at, &zone_of(booking)),
        changes: vec![(Counter::Refunds(provider), amount.amount)],
    }])
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;
    use crate::report::fixtures::{at, booking, cabin, court, month, stay, tally_of};
    use crate::status::BookingEvent;

    /// Every counter each month ends with, zeros left out: how two delta lists are compared.
    fn totals(deltas: &[ReportDelta]) -> HashMap<(Month, Counter), i64> {
        merge_deltas(deltas.iter().cloned())
            .into_iter()
            .flat_map(|d| d.changes.into_iter().map(move |(c, v)| ((d.month, c), v)))
            .collect()
    }

    #[test]
    fn a_confirmed_then_cancelled_booking_leaves_no_booked_units() {
        let court = court("r1", "Court 1", "08:00", "22:00");
        let mut booking = booking(
            &court,
            Period::Slots {
                start: at("2028-02-10T09:00:00+01:00"),
                end: at("2028-02-10T10:30:00+01:00"),
            },
            PaymentProvider::Stripe,
        );
        assert_eq!(booking.status, BookingStatus::Held);
        // A hold counts nowhere.
        assert!(status_deltas(&booking, None, BookingStatus::Held).is_empty());
        let confirmed = status_deltas(
            &booking,
            Some(BookingStatus::Held),
            BookingStatus::Confirmed,
        );
        let feb = month("2028-02");
        let r1 = || "r1".to_string();
        assert_eq!(
            confirmed,
            [ReportDelta {
                month: feb,
                changes: vec![
                    (Counter::Bookings(BookingStatus::Confirmed), 1),
                    (Counter::ResourceBookings(r1()), 1),
                    (Counter::ResourceUnits(r1()), 3),
                ],
            }]
        );
        booking.status = BookingStatus::Confirmed;
        let cancelled = status_deltas(
            &booking,
            Some(BookingStatus::Confirmed),
            BookingStatus::Cancelled,
        );
        let all: Vec<ReportDelta> = confirmed.into_iter().chain(cancelled).collect();
        assert_eq!(
            merge_deltas(all),
            [ReportDelta {
                month: feb,
                changes: vec![(Counter::Bookings(BookingStatus::Cancelled), 1)],
            }]
        );
    }

    #[test]
    fn a_stay_across_two_months_splits_its_nights() {
        let cabin = cabin();
        let booking = booking(
            &cabin,
            stay(date(2028, 1, 30), date(2028, 2, 2)),
            PaymentProvider::None,
        );
        let id = || "cabin".to_string();
        assert_eq!(
            status_deltas(&booking, None, BookingStatus::Confirmed),
            [
                ReportDelta {
                    month: month("2028-01"),
                    changes: vec![
                        (Counter::Bookings(BookingStatus::Confirmed), 1),
                        (Counter::ResourceBookings(id()), 1),
                        (Counter::ResourceUnits(id()), 2),
                    ],
                },
                ReportDelta {
                    month: month("2028-02"),
                    changes: vec![(Counter::ResourceUnits(id()), 1)],
                },
            ]
        );
    }

    #[test]
    fn slots_count_in_their_local_month_not_utcs() {
        let court = court("r2", "Court 2", "00:00", "24:00");
        // 00:00 on 1 April in Madrid is still 31 March in UTC.
        let booking = booking(
            &court,
            Period::Slots {
                start: at("2028-04-01T00:00:00+02:00"),
                end: at("2028-04-01T01:00:00+02:00"),
            },
            PaymentProvider::None,
        );
        let deltas = status_deltas(&booking, None, BookingStatus::Confirmed);
        let count = |of, counter: Counter| tally_of(&deltas, month(of)).get(&counter);
        let units = || Counter::ResourceUnits("r2".into());
        let confirmed = || Counter::Bookings(BookingStatus::Confirmed);
        assert_eq!(
            (count("2028-03", units()), count("2028-04", units())),
            (0, 2)
        );
        assert_eq!(
            (count("2028-03", confirmed()), count("2028-04", confirmed())),
            (0, 1)
        );
    }

    #[test]
    fn merging_sums_by_month_and_drops_what_nets_to_zero() {
        let c = || Counter::Bookings(BookingStatus::Expired);
        let merged = merge_deltas([
            ReportDelta {
                month: month("2028-03"),
                changes: vec![(c(), 1), (Counter::Payments(PaymentProvider::Stripe), 1)],
            },
            ReportDelta {
                month: month("2028-01"),
                changes: vec![(c(), 1)],
            },
            ReportDelta {
                month: month("2028-03"),
                changes: vec![(c(), -1)],
            },
            ReportDelta {
                month: month("2028-02"),
                changes: vec![(c(), 0)],
            },
        ]);
        assert_eq!(
            merged,
            [
                ReportDelta {
                    month: month("2028-01"),
                    changes: vec![(c(), 1)],
                },
                ReportDelta {
                    month: month("2028-03"),
                    changes: vec![(Counter::Payments(PaymentProvider::Stripe), 1)],
                },
            ]
        );
    }

    fn any_event() -> impl Strategy<Value = BookingEvent> {
        proptest::sample::select(BookingEvent::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn the_deltas_of_a_bookings_moves_sum_to_those_of_where_it_ended(
            online in any::<bool>(),
            first_night in 0i32..60,
            nights in 1i32..14,
            events in proptest::collection::vec(any_event(), 0..8),
        ) {
            let check_in = date(2028, 1, 1).checked_add(jiff::Span::new().days(first_night)).unwrap();
            let check_out = check_in.checked_add(jiff::Span::new().days(nights)).unwrap();
            let provider = if online { PaymentProvider::Stripe } else { PaymentProvider::None };
            let booking = booking(&cabin(), stay(check_in, check_out), provider);
            let mut status = booking.status;
            let mut moves = status_deltas(&booking, None, status);
            for event in events {
                if let Ok(next) = status.after(event) {
                    moves.extend(status_deltas(&booking, Some(status), next));
                    status = next;
                }
            }
            prop_assert_eq!(totals(&moves), totals(&status_deltas(&booking, None, status)));
        }
    }
}
