//! The monthly report's counters: a few items per venue-month (shards, so that a venue's
//! bookings never queue on one item), one numeric attribute per counter, moved by `ADD` in the
//! same transaction as the booking change that moves them, and summed when read.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use holdfast_domain::ids::VenueId;
use holdfast_domain::{
    BookingStatus, Counter, Month, PaymentProvider, ReportDelta, Tally, merge_deltas,
};

use crate::item::{Item, n, s};
use crate::keys::{self, attr, kind};
use crate::transact::Refused;
use crate::{Store, StoreError};

/// The attribute a counter is stored in: `bookings.confirmed`, `payments.stripe`,
/// `revenue.mercadopago`, `refunds.stripe`, `resource.{resource_id}.bookings|revenue|units`.
pub(crate) fn attribute(counter: &Counter) -> String {
    match counter {
        Counter::Bookings(status) => format!("bookings.{status}"),
        Counter::Payments(provider) => format!("payments.{}", provider.as_str()),
        Counter::Revenue(provider) => format!("revenue.{}", provider.as_str()),
        Counter::Refunds(provider) => format!("refunds.{}", provider.as_str()),
        Counter::ResourceBookings(id) => format!("resource.{id}.bookings"),
        Counter::ResourceRevenue(id) => format!("resource.{id}.revenue"),
        Counter::ResourceUnits(id) => format!("resource.{id}.units"),
    }
}

/// The counter an attribute stores, or `None` for any other attribute. The item also holds its
/// keys, type, venue and month; and a counter a newer version adds must not break the reports
/// of an older one still running during a deploy: so an unknown name is skipped, not an error.
pub(crate) fn counter(attribute: &str) -> Option<Counter> {
    let (kind, rest) = attribute.split_once('.')?;
    let provider = || PaymentProvider::parse(rest);
    match kind {
        "bookings" => BookingStatus::parse(rest).map(Counter::Bookings),
        "payments" => provider().map(Counter::Payments),
        "revenue" => provider().map(Counter::Revenue),
        "refunds" => provider().map(Counter::Refunds),
        // From the right: a resource id may hold a dot, the counter's name never does.
        "resource" => match rest.rsplit_once('.')? {
            ("", _) => None,
            (id, "bookings") => Some(Counter::ResourceBookings(id.to_string())),
            (id, "revenue") => Some(Counter::ResourceRevenue(id.to_string())),
            (id, "units") => Some(Counter::ResourceUnits(id.to_string())),
            _ => None,
        },
        _ => None,
    }
}

/// The `Update` that adds one month's changes to its venue-month item, creating it if need be.
/// Counter names go through expression attribute names: they hold dots (which an expression
/// would read as paths) and caller-made resource ids. No condition: adding always applies.
fn tally_update(
    table: &str,
    venue_id: &VenueId,
    shard: u32,
    delta: &ReportDelta,
) -> Result<Update, StoreError> {
    let (pk, sk) = keys::report(venue_id, &delta.month, shard);
    let adds: Vec<String> = (0..delta.changes.len())
        .map(|i| format!("#c{i} :v{i}"))
        .collect();
    let mut update = Update::builder()
        .table_name(table)
        .key(attr::PK, s(pk))
        .key(attr::SK, s(sk))
        .update_expression(format!(
            "SET #type = :report, {} = :vid, #month = :month ADD {}",
            attr::VENUE_ID,
            adds.join(", ")
        ))
        .expression_attribute_names("#type", attr::TYPE)
        .expression_attribute_names("#month", attr::MONTH)
        .expression_attribute_values(":report", s(kind::REPORT))
        .expression_attribute_values(":vid", s(venue_id))
        .expression_attribute_values(":month", s(keys::month(&delta.month)));
    for (i, (counter, by)) in delta.changes.iter().enumerate() {
        update = update
            .expression_attribute_names(format!("#c{i}"), attribute(counter))
            .expression_attribute_values(format!(":v{i}"), n(by));
    }
    Ok(update.build()?)
}

impl Store {
    /// The writes that add `deltas` to `venue_id`'s counters: one `Update` per month (deltas
    /// are merged first, as a transaction may touch an item once), none when they net to
    /// nothing, on the shard `spread_by` (a booking id) falls in. For the caller's own
    /// transaction, so that the counters move exactly when the booking does.
    pub fn tally_actions(
        &self,
        venue_id: &VenueId,
        spread_by: &str,
        deltas: &[ReportDelta],
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let shard = report_shard(spread_by);
        merge_deltas(deltas.iter().cloned())
            .iter()
            .map(|delta| {
                let update = tally_update(&self.table, venue_id, shard, delta)?;
                Ok(TransactWriteItem::builder().update(update).build())
            })
            .collect()
    }

    /// Adds `deltas` on their own, all months in one transaction: for changes with no booking
    /// write to ride with (a correction, a backfill). Adding is not idempotent: a caller that
    /// retries after an error that may have committed counts twice.
    pub async fn add_to_tally(
        &self,
        venue_id: &VenueId,
        deltas: &[ReportDelta],
    ) -> Result<(), StoreError> {
        let actions = self.tally_actions(venue_id, &fastrand::u64(..).to_string(), deltas)?;
        if actions.is_empty() {
            return Ok(());
        }
        match self.transact(actions).await {
            Ok(()) => Ok(()),
            Err(Refused::Store(err)) => Err(err),
            // These updates carry no condition, so DynamoDB cannot fail one.
            Err(Refused::Conditions(_)) => Err(StoreError::Dynamo(Box::new(
                std::io::Error::other("a report counter's update failed a condition it has not"),
            ))),
        }
    }

    /// The counters of `venue_id`'s `month`, read consistently; a month nothing moved yet is
    /// an empty tally.
    pub async fn monthly_tally(
        &self,
        venue_id: &VenueId,
        month: &Month,
    ) -> Result<Tally, StoreError> {
        let (pk, prefix) = keys::report_shards(venue_id, month);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :month)")
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_names("#sk", attr::SK)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":month", s(prefix))
            .consistent_read(true);
        let mut sums: std::collections::HashMap<Counter, i64> = std::collections::HashMap::new();
        for item in self.query_items(query, REPORT_SHARDS as usize).await? {
            for (counter, value) in tally_of(&item)?.iter() {
                *sums.entry(counter.clone()).or_default() += value;
            }
        }
        Ok(sums.into_iter().collect())
    }
}

/// How many items one venue-month's counters spread over.
pub(crate) const REPORT_SHARDS: u32 = 8;

fn report_shard(spread_by: &str) -> u32 {
    keys::held_shard(spread_by) % REPORT_SHARDS
}

/// The counters an item holds; a counter's attribute that is no integer is a corrupt item.
fn tally_of(item: &Item) -> Result<Tally, crate::ItemError> {
    item.0
        .iter()
        .filter_map(|(name, value)| counter(name).map(|counter| (name, counter, value)))
        .map(|(name, counter, value)| match value {
            AttributeValue::N(raw) => raw
                .parse::<i64>()
                .map(|v| (counter, v))
                .map_err(|_| item.error(name, "is not a whole number")),
            _ => Err(item.error(name, "is not a number")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use holdfast_domain::Month;

    use super::*;

    fn every_kind_of_counter() -> Vec<Counter> {
        let mut counters: Vec<Counter> = BookingStatus::ALL
            .into_iter()
            .map(Counter::Bookings)
            .collect();
        for provider in [
            PaymentProvider::None,
            PaymentProvider::Stripe,
            PaymentProvider::MercadoPago,
        ] {
            counters.push(Counter::Payments(provider));
            counters.push(Counter::Revenue(provider));
            counters.push(Counter::Refunds(provider));
        }
        for id in ["res_1", "res.with.dots", "r"] {
            counters.push(Counter::ResourceBookings(id.into()));
            counters.push(Counter::ResourceRevenue(id.into()));
            counters.push(Counter::ResourceUnits(id.into()));
        }
        counters
    }

    #[test]
    fn counters_are_named_as_the_report_item_stores_them_and_read_back() {
        let named = [
            (
                Counter::Bookings(BookingStatus::Confirmed),
                "bookings.confirmed",
            ),
            (
                Counter::Bookings(BookingStatus::PaymentConflict),
                "bookings.payment_conflict",
            ),
            (
                Counter::Payments(PaymentProvider::Stripe),
                "payments.stripe",
            ),
            (
                Counter::Revenue(PaymentProvider::MercadoPago),
                "revenue.mercadopago",
            ),
            (Counter::Refunds(PaymentProvider::Stripe), "refunds.stripe"),
            (
                Counter::ResourceBookings("res_1".into()),
                "resource.res_1.bookings",
            ),
            (
                Counter::ResourceRevenue("res_1".into()),
                "resource.res_1.revenue",
            ),
            (
                Counter::ResourceUnits("res_1".into()),
                "resource.res_1.units",
            ),
        ];
        for (counter, name) in named {
            assert_eq!(attribute(&counter), name);
            assert_eq!(super::counter(name), Some(counter));
        }
        for counter in every_kind_of_counter() {
            assert_eq!(super::counter(&attribute(&counter)), Some(counter));
        }
    }

    #[test]
    fn other_attributes_are_no_counters() {
        for other in [
            "pk",
            "sk",
            "type",
            "venue_id",
            "month",
            "bookings.pending",
            "payments.paypal",
            "revenue",
            "resource.res_1",
            "resource..units",
            "resource.res_1.nights",
            "future.counter",
        ] {
            assert_eq!(counter(other), None, "{other}");
        }
    }

    fn delta() -> ReportDelta {
        ReportDelta {
            month: Month::parse("2028-02").unwrap(),
            changes: vec![
                (Counter::Bookings(BookingStatus::Confirmed), 1),
                (Counter::ResourceUnits("res.1".into()), -3),
                (Counter::Revenue(PaymentProvider::Stripe), 1800),
            ],
        }
    }

    #[test]
    fn one_update_adds_a_months_changes_through_attribute_names() {
        let update = tally_update("holdfast", &"ven_1".into(), 3, &delta()).unwrap();
        assert_eq!(update.table_name(), "holdfast");
        assert_eq!(update.key().get("pk"), Some(&s("VENUE#ven_1")));
        assert_eq!(update.key().get("sk"), Some(&s("REPORT#2028-02#03")));
        assert_eq!(
            update.update_expression(),
            "SET #type = :report, venue_id = :vid, #month = :month ADD #c0 :v0, #c1 :v1, #c2 :v2"
        );
        assert_eq!(update.condition_expression(), None);
        let names = update.expression_attribute_names().unwrap();
        let values = update.expression_attribute_values().unwrap();
        let expected_names = [
            ("#type", "type"),
            ("#month", "month"),
            ("#c0", "bookings.confirmed"),
            ("#c1", "resource.res.1.units"),
            ("#c2", "revenue.stripe"),
        ];
        assert_eq!(names.len(), expected_names.len());
        for (placeholder, name) in expected_names {
            assert_eq!(names.get(placeholder).map(String::as_str), Some(name));
        }
        let expected_values = [
            (":report", s("report")),
            (":vid", s("ven_1")),
            (":month", s("2028-02")),
            (":v0", n(1)),
            (":v1", n(-3)),
            (":v2", n(1800)),
        ];
        assert_eq!(values.len(), expected_values.len());
        for (placeholder, value) in expected_values {
            assert_eq!(values.get(placeholder), Some(&value), "{placeholder}");
        }
    }

    #[test]
    fn actions_are_one_update_per_month_of_the_merged_deltas() {
        // A client that is never called: building actions sends nothing.
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .build();
        let store = Store::new(aws_sdk_dynamodb::Client::from_conf(config), "holdfast");
        let march = Month::parse("2028-03").unwrap();
        let undone = ReportDelta {
            month: delta().month,
            changes: vec![(Counter::Bookings(BookingStatus::Confirmed), -1)],
        };
        let later = ReportDelta {
            month: march,
            changes: vec![(Counter::ResourceUnits("res.1".into()), 2)],
        };
        let actions = store
            .tally_actions(
                &"ven_1".into(),
                "bkg_1",
                &[later.clone(), delta(), undone.clone()],
            )
            .unwrap();
        let sort_keys: Vec<&AttributeValue> = actions
            .iter()
            .map(|a| a.update().and_then(|u| u.key().get("sk")).unwrap())
            .collect();
        let shard = report_shard("bkg_1");
        assert_eq!(
            sort_keys,
            [
                &s(format!("REPORT#2028-02#{shard:02}")),
                &s(format!("REPORT#2028-03#{shard:02}"))
            ]
        );
        // The confirmed booking and its undoing net to nothing: two counters left in February.
        let february = actions[0].update().unwrap();
        assert!(
            february
                .update_expression()
                .ends_with("ADD #c0 :v0, #c1 :v1")
        );
        let undo_all = ReportDelta {
            month: march,
            changes: vec![(Counter::ResourceUnits("res.1".into()), -2)],
        };
        assert!(
            store
                .tally_actions(&"ven_1".into(), "bkg_1", &[later, undo_all])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_tally_reads_the_counters_and_skips_the_rest() {
        let mut item = Item::keyed(keys::report("ven_1", &delta().month, 0));
        item.put("type", s("report"));
        item.put("venue_id", s("ven_1"));
        item.put("month", s("2028-02"));
        item.put("bookings.confirmed", n(41));
        item.put("resource.res.1.units", n(-2));
        item.put("some.future.counter", n(7));
        let tally = tally_of(&item).unwrap();
        assert_eq!(tally.get(&Counter::Bookings(BookingStatus::Confirmed)), 41);
        assert_eq!(tally.get(&Counter::ResourceUnits("res.1".into())), -2);
        assert_eq!(tally.iter().count(), 2);
        item.put("revenue.stripe", s("lots"));
        let err = tally_of(&item).unwrap_err();
        assert_eq!(err.attribute, "revenue.stripe");
        item.put("revenue.stripe", n("1.5"));
        assert!(tally_of(&item).is_err());
    }
}
