//! The monthly report as the API returns it (`GET /v1/venues/{venue_id}/reports/monthly`), built
//! from a venue-month's counters and the venue's resources.

use jiff::tz::TimeZone;
use serde::Serialize;

use super::counter::{Counter, REPORTED_PROVIDERS, Tally};
use super::month::Month;
use crate::money::{Currency, Money};
use crate::payment::PaymentProvider;
use crate::resource::Resource;
use crate::status::BookingStatus;

/// Bookings by the status they are in now, in the month their time starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BookingCounts {
    pub confirmed: i64,
    pub cancelled: i64,
    pub expired: i64,
    pub payment_conflict: i64,
    pub refunded: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderLine {
    #[serde(serialize_with = "provider_name")]
    pub provider: PaymentProvider,
    pub payments: i64,
    pub revenue: Money,
    pub refunds: Money,
}

fn provider_name<S: serde::Serializer>(
    provider: &PaymentProvider,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(provider.as_str())
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceLine {
    pub resource_id: String,
    pub name: String,
    /// Confirmed bookings starting in the month.
    pub bookings: i64,
    /// Paid in the month for this resource's bookings (before refunds).
    pub revenue: Money,
    pub booked_units: i64,
    /// Units the resource offers in the month's local days.
    pub open_units: u64,
    /// Booked places over offered places, to 4 decimals.
    pub occupancy: f64,
    /// The places offered: `open_units` times the resource's capacity (a class sells each unit
    /// to several, each booking one unit). Not in the API; the CSV's total divides by it.
    #[serde(skip)]
    pub open_places: u64,
}

/// `GET /v1/venues/{venue_id}/reports/monthly`, as docs/api.md shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthlyReport {
    pub venue_id: String,
    pub month: Month,
    pub currency: Currency,
    pub bookings: BookingCounts,
    pub revenue: Money,
    pub refunds: Money,
    pub net: Money,
    pub by_provider: Vec<ProviderLine>,
    pub by_resource: Vec<ResourceLine>,
}

/// `booked` over `offered`, rounded to 4 decimals; nothing offered is 0, not a division by 0.
pub(super) fn occupancy(booked: i64, offered: u64) -> f64 {
    if offered == 0 {
        return 0.0;
    }
    (booked as f64 / offered as f64 * 10_000.0).round() / 10_000.0
}

impl MonthlyReport {
    /// The report of `tally` for `venue_id`'s `month`. `resources` are the venue's resources
    /// (inactive ones too, as they may have been booked); `zone` reads the month's local days.
    pub fn build(
        venue_id: &str,
        month: Month,
        currency: Currency,
        tally: &Tally,
        resources: &[Resource],
        zone: &TimeZone,
    ) -> MonthlyReport {
        let money = |amount: i64| Money { amount, currency };
        let status = |s| tally.get(&Counter::Bookings(s));
        let bookings = BookingCounts {
            confirmed: status(BookingStatus::Confirmed),
            cancelled: status(BookingStatus::Cancelled),
            expired: status(BookingStatus::Expired),
            payment_conflict: status(BookingStatus::PaymentConflict),
            refunded: status(BookingStatus::Refunded),
        };
        let by_provider: Vec<ProviderLine> = REPORTED_PROVIDERS
            .into_iter()
            .map(|provider| ProviderLine {
                provider,
                payments: tally.get(&Counter::Payments(provider)),
                revenue: money(tally.get(&Counter::Revenue(provider))),
                refunds: money(tally.get(&Counter::Refunds(provider))),
            })
            .filter(|line| {
                line.payments != 0 || line.revenue.amount != 0 || line.refunds.amount != 0
            })
            .collect();
        let revenue = REPORTED_PROVIDERS.iter().fold(0i64, |sum, p| {
            sum.saturating_add(tally.get(&Counter::Revenue(*p)))
        });
        let refunds = REPORTED_PROVIDERS.iter().fold(0i64, |sum, p| {
            sum.saturating_add(tally.get(&Counter::Refunds(*p)))
        });
        let (first, next) = month.days();
        let mut sorted: Vec<&Resource> = resources.iter().collect();
        sorted.sort_by(|a, b| (&a.name, &a.resource_id).cmp(&(&b.name, &b.resource_id)));
        let by_resource = sorted
            .into_iter()
            .map(|resource| {
                let id = &resource.resource_id;
                let booked_units = tally.get(&Counter::ResourceUnits(id.to_string()));
                let open_units = resource.units_between(first, next, zone).len() as u64;
                // A unit of a class sells `capacity` places, each booked as one unit.
                let open_places = open_units.saturating_mul(u64::from(resource.capacity.max(1)));
                ResourceLine {
                    resource_id: id.to_string(),
                    name: resource.name.clone(),
                    bookings: tally.get(&Counter::ResourceBookings(id.to_string())),
                    revenue: money(tally.get(&Counter::ResourceRevenue(id.to_string()))),
                    booked_units,
                    open_units,
                    occupancy: occupancy(booked_units, open_places),
                    open_places,
                }
            })
            .collect();
        MonthlyReport {
            venue_id: venue_id.to_string(),
            month,
            currency,
            bookings,
            revenue: money(revenue),
            refunds: money(refunds),
            net: money(revenue.saturating_sub(refunds)),
            by_provider,
            by_resource,
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::report::fixtures::{at, booking, cabin, court, eur, month, tally_of, zone};
    use crate::report::{merge_deltas, payment_deltas, refund_deltas, status_deltas};
    use crate::units::Period;

    #[test]
    fn open_units_count_the_grid_day_by_day_across_summer_time() {
        let madrid = zone("Europe/Madrid");
        let report = |resources: &[Resource], of: &str| {
            MonthlyReport::build("v", month(of), eur(), &Tally::default(), resources, &madrid)
        };
        // 08:00 to 22:00 by the half hour is 28 slots every day, the short 2027-03-28 too.
        let day_court = court("r1", "Court 1", "08:00", "22:00");
        let dst_day = day_court.units_between(date(2027, 3, 28), date(2027, 3, 29), &madrid);
        assert_eq!(dst_day.len(), 28);
        let march = report(std::slice::from_ref(&day_court), "2027-03");
        assert_eq!(march.by_resource[0].open_units, 31 * 28);
        assert_eq!(march.by_resource[0].occupancy, 0.0);
        // Open all day, the hour skipped in March is two slots fewer, October's repeated one
        // two more.
        let all_day = court("r2", "Court 2", "00:00", "24:00");
        let units = |of| report(std::slice::from_ref(&all_day), of).by_resource[0].open_units;
        assert_eq!(units("2027-03"), 31 * 48 - 2);
        assert_eq!(units("2027-10"), 31 * 48 + 2);
        assert_eq!(units("2027-06"), 30 * 48);
    }

    #[test]
    fn a_cabin_offers_each_night_of_the_month() {
        let madrid = zone("Europe/Madrid");
        let nights = |of| {
            MonthlyReport::build(
                "v",
                month(of),
                eur(),
                &Tally::default(),
                &[cabin()],
                &madrid,
            )
            .by_resource[0]
                .open_units
        };
        assert_eq!(nights("2028-02"), 29);
        assert_eq!(nights("2027-02"), 28);
        assert_eq!(nights("2027-10"), 31);
    }

    #[test]
    fn money_counts_in_the_month_it_moved_and_the_report_reads_as_the_api_shows() {
        let court = court("r1", "Court 1", "08:00", "22:00");
        let cabin = cabin();
        let mut booking = booking(
            &court,
            Period::Slots {
                start: at("2028-03-02T09:00:00+01:00"),
                end: at("2028-03-02T10:00:00+01:00"),
            },
            PaymentProvider::Stripe,
        );
        let price = booking.price;
        assert_eq!(price.amount, 1200);
        // Paid in February for a booking in March: the money is February's, the booking March's.
        let paid_at = at("2028-02-29T23:30:00+01:00");
        let mut deltas = status_deltas(&booking, None, BookingStatus::Held);
        deltas.extend(payment_deltas(
            &booking,
            PaymentProvider::Stripe,
            &price,
            paid_at,
        ));
        deltas.extend(status_deltas(
            &booking,
            Some(BookingStatus::Held),
            BookingStatus::Confirmed,
        ));
        booking.status = BookingStatus::Confirmed;
        let half = Money {
            amount: 600,
            currency: eur(),
        };
        let refunded_at = at("2028-03-01T10:00:00+01:00");
        deltas.extend(refund_deltas(
            &booking,
            PaymentProvider::Stripe,
            &half,
            refunded_at,
        ));
        deltas.extend(status_deltas(
            &booking,
            Some(BookingStatus::Confirmed),
            BookingStatus::Cancelled,
        ));
        // Paying at the desk and money in another currency move no counter.
        assert!(payment_deltas(&booking, PaymentProvider::None, &price, paid_at).is_empty());
        let pesos = Money {
            amount: 1200,
            currency: Currency::parse("MXN").unwrap(),
        };
        assert!(payment_deltas(&booking, PaymentProvider::Stripe, &pesos, paid_at).is_empty());
        assert!(refund_deltas(&booking, PaymentProvider::Stripe, &pesos, paid_at).is_empty());

        let deltas = merge_deltas(deltas);
        let madrid = zone("Europe/Madrid");
        let resources = [court.clone(), cabin];
        let feb = MonthlyReport::build(
            "v",
            month("2028-02"),
            eur(),
            &tally_of(&deltas, month("2028-02")),
            &resources,
            &madrid,
        );
        let eur = |amount: i64| serde_json::json!({"amount": amount, "currency": "EUR"});
        assert_eq!(
            serde_json::to_value(&feb).unwrap(),
            serde_json::json!({
                "venue_id": "v", "month": "2028-02", "currency": "EUR",
                "bookings": {"confirmed": 0, "cancelled": 0, "expired": 0, "payment_conflict": 0, "refunded": 0},
                "revenue": eur(1200), "refunds": eur(0), "net": eur(1200),
                "by_provider": [{"provider": "stripe", "payments": 1, "revenue": eur(1200), "refunds": eur(0)}],
                "by_resource": [
                    {"resource_id": "cabin", "name": "Cabaña", "bookings": 0, "revenue": eur(0),
                     "booked_units": 0, "open_units": 29, "occupancy": 0.0},
                    {"resource_id": "r1", "name": "Court 1", "bookings": 0, "revenue": eur(1200),
                     "booked_units": 0, "open_units": 29 * 28, "occupancy": 0.0}
                ]
            })
        );
        let march = MonthlyReport::build(
            "v",
            month("2028-03"),
            Currency::parse("EUR").unwrap(),
            &tally_of(&deltas, month("2028-03")),
            &resources,
            &madrid,
        );
        assert_eq!(march.bookings.cancelled, 1);
        assert_eq!(march.bookings.confirmed, 0);
        assert_eq!(
            (march.revenue.amount, march.refunds.amount, march.net.amount),
            (0, 600, -600)
        );
        assert_eq!(march.by_provider.len(), 1);
        assert_eq!(march.by_provider[0].refunds.amount, 600);
        assert_eq!(march.by_resource[1].booked_units, 0);
    }

    #[test]
    fn occupancy_is_booked_places_over_offered_to_four_decimals() {
        let court = court("r1", "Court 1", "08:00", "22:00");
        let tally = Tally::from_pairs([
            (Counter::ResourceUnits("r1".into()), 61),
            (Counter::ResourceBookings("r1".into()), 20),
            (Counter::ResourceBookings("r1".into()), 2),
        ]);
        let report = MonthlyReport::build(
            "v",
            month("2027-02"),
            eur(),
            &tally,
            &[court],
            &zone("Europe/Madrid"),
        );
        let line = &report.by_resource[0];
        assert_eq!(
            (line.bookings, line.booked_units, line.open_units),
            (22, 61, 28 * 28)
        );
        assert_eq!(line.occupancy, 0.0778);
        assert!(report.by_provider.is_empty());
    }
}
