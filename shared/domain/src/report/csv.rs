//! The monthly report as CSV (`MonthlyReport::to_csv`): the JSON's per-resource table, one row
//! per resource and a `total` row.

use super::view::{MonthlyReport, occupancy};

impl MonthlyReport {
    /// The report as CSV (RFC 4180: CRLF line ends, fields quoted when they must be): a header,
    /// a row per resource, then a `total` row summing the rows above it.
    ///
    /// The columns are `resource_id,name,bookings,booked_units,open_units,occupancy,revenue,
    /// currency`. Revenue is in minor units, as in the JSON, so that no float or locale ever
    /// rounds money; `currency` says which minor units. Providers and booking statuses are left
    /// out: they are venue-wide, not per resource, and the JSON carries them.
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
    use super::*;
    use crate::report::fixtures::{court, eur, month, zone};
    use crate::report::{Counter, Tally};

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
}
