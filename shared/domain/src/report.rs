//! The monthly report: counters a booking's changes move (bookings and units by the local month
//! their time falls in, money by the local month it moved) and the report built from them.
//!
//! The CSV (`MonthlyReport::to_csv`) is the per-resource table of the JSON, one row per
//! resource and a `total` row: `resource_id,name,bookings,booked_units,open_units,occupancy,
//! revenue,currency`. Revenue is in minor units, as in the JSON, so that no float or locale
//! ever rounds money; `currency` says which minor units. Providers and booking statuses are
//! left out: they are venue-wide, not per resource, and the JSON carries them.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::booking::{Booking, BookingStatus, PaymentProvider};
use crate::error::DomainError;
use crate::money::{Currency, Money};
use crate::resource::Resource;
use crate::units::{Period, Unit};

/// A calendar month (`2028-02`), always held as its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(Date);

impl Month {
    /// `YYYY-MM`, exactly: four digits, a dash, a month 01 to 12.
    pub fn parse(raw: &str) -> Result<Month, DomainError> {
        let invalid = || DomainError::field("month", "must be YYYY-MM");
        let bytes = raw.as_bytes();
        let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
        if bytes.len() != 7 || bytes[4] != b'-' || !digits(0..4) || !digits(5..7) {
            return Err(invalid());
        }
        let year: i16 = raw[0..4].parse().map_err(|_| invalid())?;
        let month: i8 = raw[5..7].parse().map_err(|_| invalid())?;
        Date::new(year, month, 1).map(Month).map_err(|_| invalid())
    }

    /// The local month `instant` falls in at the venue.
    pub fn of(instant: Timestamp, zone: &TimeZone) -> Month {
        Month::of_date(instant.to_zoned(zone.clone()).date())
    }

    pub fn of_date(date: Date) -> Month {
        Month(date.first_of_month())
    }

    pub fn first_day(&self) -> Date {
        self.0
    }

    /// The month after this one; December 9999, the end of the calendar, is its own next, so
    /// that its `days` are empty rather than a panic.
    pub fn next(&self) -> Month {
        self.0
            .last_of_month()
            .tomorrow()
            .map(Month)
            .unwrap_or(*self)
    }

    /// The local dates of this month: [first day, next month's first day).
    pub fn days(&self) -> (Date, Date) {
        (self.first_day(), self.next().first_day())
    }

    /// `2028-02`: how the API and the store name the month.
    pub fn key(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.0.year(), self.0.month())
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

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

/// The booking's zone. Its name was checked when the venue was made; should it ever not
/// resolve, UTC still counts the booking (at worst in a neighbouring month) instead of losing it.
fn zone_of(booking: &Booking) -> TimeZone {
    TimeZone::get(&booking.time_zone).unwrap_or(TimeZone::UTC)
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
            .push((Counter::ResourceBookings(resource.clone()), sign));
        deltas.extend(booking.units.iter().map(|unit| ReportDelta {
            month: unit_month(unit, &zone),
            changes: vec![(Counter::ResourceUnits(resource.clone()), sign)],
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
                Counter::ResourceRevenue(booking.resource_id.clone()),
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
fn occupancy(booked: i64, offered: u64) -> f64 {
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
                let booked_units = tally.get(&Counter::ResourceUnits(id.clone()));
                let open_units = resource.units_between(first, next, zone).len() as u64;
                // A unit of a class sells `capacity` places, each booked as one unit.
                let open_places = open_units.saturating_mul(u64::from(resource.capacity.max(1)));
                ResourceLine {
                    resource_id: id.clone(),
                    name: resource.name.clone(),
                    bookings: tally.get(&Counter::ResourceBookings(id.clone())),
                    revenue: money(tally.get(&Counter::ResourceRevenue(id.clone()))),
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

    /// The report as CSV (RFC 4180: CRLF line ends, fields quoted when they must be): a header,
    /// a row per resource, then a `total` row summing the rows above it.
    pub fn to_csv(&self) -> String {
        let mut csv = String::new();
        csv_row(
            &mut csv,
            &[
                "resource_id",
                "name",
                "bookings",
                "booked_units",
                "open_units",
                "occupancy",
                "revenue",
                "currency",
            ],
        );
        let currency = self.currency.to_string();
        let (mut bookings, mut booked, mut open, mut places, mut revenue) =
            (0i64, 0i64, 0u64, 0u64, 0i64);
        for line in &self.by_resource {
            csv_row(
                &mut csv,
                &[
                    &line.resource_id,
                    &line.name,
                    &line.bookings.to_string(),
                    &line.booked_units.to_string(),
                    &line.open_units.to_string(),
                    &format!("{:.4}", line.occupancy),
                    &line.revenue.amount.to_string(),
                    &currency,
                ],
            );
            bookings = bookings.saturating_add(line.bookings);
            booked = booked.saturating_add(line.booked_units);
            open = open.saturating_add(line.open_units);
            places = places.saturating_add(line.open_places);
            revenue = revenue.saturating_add(line.revenue.amount);
        }
        csv_row(
            &mut csv,
            &[
                "total",
                "",
                &bookings.to_string(),
                &booked.to_string(),
                &open.to_string(),
                &format!("{:.4}", occupancy(booked, places)),
                &revenue.to_string(),
                &currency,
            ],
        );
        csv
    }
}

fn csv_row(csv: &mut String, fields: &[&str]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            csv.push(',');
        }
        if field.contains([',', '"', '\r', '\n']) {
            csv.push('"');
            csv.push_str(&field.replace('"', "\"\""));
            csv.push('"');
        } else {
            csv.push_str(field);
        }
    }
    csv.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;
    use crate::booking::{BookingEvent, BookingRequest, Customer, NewBooking};
    use crate::resource::ResourceDraft;

    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn now() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    fn at(instant: &str) -> Timestamp {
        instant.parse().unwrap()
    }

    fn month(raw: &str) -> Month {
        Month::parse(raw).unwrap()
    }

    fn resource(id: &str, json: serde_json::Value) -> Resource {
        let draft: ResourceDraft = serde_json::from_value(json).unwrap();
        draft
            .into_resource(id.into(), "v".into(), eur(), now())
            .unwrap()
    }

    /// A court open `open` to `close` every day, by the half hour.
    fn court(id: &str, name: &str, open: &str, close: &str) -> Resource {
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

    fn cabin() -> Resource {
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
    fn booking(resource: &Resource, period: Period, provider: PaymentProvider) -> Booking {
        let time_zone = "Europe/Madrid";
        let plan = resource.plan(period, &zone(time_zone), now()).unwrap();
        Booking::new(NewBooking {
            booking_id: "bkg_1".into(),
            owner: "ana".into(),
            resource,
            time_zone,
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

    fn stay(check_in: Date, check_out: Date) -> Period {
        Period::Nights {
            check_in,
            check_out,
        }
    }

    /// Every counter each month ends with, zeros left out: how two delta lists are compared.
    fn totals(deltas: &[ReportDelta]) -> HashMap<(Month, Counter), i64> {
        merge_deltas(deltas.iter().cloned())
            .into_iter()
            .flat_map(|d| d.changes.into_iter().map(move |(c, v)| ((d.month, c), v)))
            .collect()
    }

    fn tally_of(deltas: &[ReportDelta], of: Month) -> Tally {
        deltas
            .iter()
            .filter(|d| d.month == of)
            .flat_map(|d| d.changes.iter().cloned())
            .collect()
    }

    #[test]
    fn a_month_is_exactly_yyyy_mm() {
        let feb = month("2028-02");
        assert_eq!(feb.key(), "2028-02");
        assert_eq!(feb.first_day(), date(2028, 2, 1));
        assert_eq!(feb.days(), (date(2028, 2, 1), date(2028, 3, 1)));
        assert_eq!(month("2028-12").next(), month("2029-01"));
        assert_eq!(month("0999-01").to_string(), "0999-01");
        for bad in [
            "2028-2",
            "2028-13",
            "2028-00",
            "28-02",
            "junk",
            "",
            "2028-02-01",
            "+028-02",
            "2028/02",
            "2028-1a",
            " 2028-02",
            "2028-０2",
        ] {
            assert_eq!(
                Month::parse(bad),
                Err(DomainError::field("month", "must be YYYY-MM")),
                "{bad}"
            );
        }
        // The end of the calendar has no next month to panic over.
        assert_eq!(month("9999-12").next(), month("9999-12"));
    }

    #[test]
    fn an_instant_falls_in_the_venues_local_month() {
        let madrid = zone("Europe/Madrid");
        // Summer time ends on 2027-10-31: November starts at 23:00 UTC, not 22:00.
        assert_eq!(
            Month::of(at("2027-10-31T22:30:00Z"), &madrid),
            month("2027-10")
        );
        assert_eq!(
            Month::of(at("2027-10-31T23:00:00Z"), &madrid),
            month("2027-11")
        );
        // Summer time since 2028-03-26: April starts at 22:00 UTC.
        assert_eq!(
            Month::of(at("2028-03-31T21:59:59Z"), &madrid),
            month("2028-03")
        );
        assert_eq!(
            Month::of(at("2028-03-31T22:00:00Z"), &madrid),
            month("2028-04")
        );
        assert_eq!(
            Month::of(at("2027-12-31T23:00:00Z"), &madrid),
            month("2028-01")
        );

        let mexico = zone("America/Mexico_City");
        // No summer time since 2022: always UTC-6.
        assert_eq!(
            Month::of(at("2028-03-01T05:59:59Z"), &mexico),
            month("2028-02")
        );
        assert_eq!(
            Month::of(at("2028-03-01T06:00:00Z"), &mexico),
            month("2028-03")
        );
        assert_eq!(
            Month::of(at("2028-01-01T05:30:00Z"), &mexico),
            month("2027-12")
        );
        // Its last summer time (UTC-5) still ruled May 2022 in.
        assert_eq!(
            Month::of(at("2022-05-01T04:59:59Z"), &mexico),
            month("2022-04")
        );
        assert_eq!(
            Month::of(at("2022-05-01T05:00:00Z"), &mexico),
            month("2022-05")
        );
        assert_eq!(Month::of_date(date(2028, 2, 29)), month("2028-02"));
    }

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

    #[test]
    fn the_csv_quotes_what_it_must_and_ends_lines_with_crlf() {
        let madrid = zone("Europe/Madrid");
        let quoted = court("r1", "Court \"A\", north", "08:00", "22:00");
        let plain = court("r2", "Court B", "08:00", "22:00");
        let tally = Tally::from_pairs([
            (Counter::ResourceUnits("r1".into()), 28),
            (Counter::ResourceBookings("r1".into()), 7),
            (Counter::ResourceRevenue("r1".into()), 16800),
            (Counter::ResourceUnits("r2".into()), 14),
            (Counter::ResourceBookings("r2".into()), 3),
            (Counter::ResourceRevenue("r2".into()), 8400),
        ]);
        let report = MonthlyReport::build(
            "v",
            month("2027-02"),
            eur(),
            &tally,
            &[plain, quoted],
            &madrid,
        );
        assert_eq!(
            report.to_csv(),
            "resource_id,name,bookings,booked_units,open_units,occupancy,revenue,currency\r\n\
             r1,\"Court \"\"A\"\", north\",7,28,784,0.0357,16800,EUR\r\n\
             r2,Court B,3,14,784,0.0179,8400,EUR\r\n\
             total,,10,42,1568,0.0268,25200,EUR\r\n"
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
        proptest::sample::select(vec![
            BookingEvent::Cancel,
            BookingEvent::Expire,
            BookingEvent::Pay,
            BookingEvent::PayTooLate,
            BookingEvent::Refund,
        ])
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
