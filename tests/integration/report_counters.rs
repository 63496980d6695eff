//! The monthly report's counters in DynamoDB: writers that add at once all count, each month
//! in its own item, and the counters ride in a transaction beside another write.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use holdfast_domain::{BookingStatus, Counter, Month, PaymentProvider, ReportDelta};
use holdfast_tests::shared;

fn month(raw: &str) -> Month {
    Month::parse(raw).expect("a month")
}

/// One confirmed booking of a stay across two months, paid through Stripe in the first.
fn confirmed_stay() -> Vec<ReportDelta> {
    vec![
        ReportDelta {
            month: month("2028-01"),
            changes: vec![
                (Counter::Bookings(BookingStatus::Confirmed), 1),
                (Counter::ResourceBookings("res.1".into()), 1),
                (Counter::ResourceUnits("res.1".into()), 2),
                (Counter::Payments(PaymentProvider::Stripe), 1),
                (Counter::Revenue(PaymentProvider::Stripe), 27000),
                (Counter::ResourceRevenue("res.1".into()), 27000),
            ],
        },
        ReportDelta {
            month: month("2028-02"),
            changes: vec![(Counter::ResourceUnits("res.1".into()), 1)],
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_added_at_once_all_count_and_read_back_by_month() {
    let stack = shared();
    let store = stack.app().await.store;
    let venue = holdfast_domain::VenueId::new(format!("ven_{}", uuid::Uuid::new_v4().simple()));
    assert!(
        store
            .monthly_tally(&venue, &month("2028-01"))
            .await
            .expect("read an untouched month")
            .is_empty()
    );

    store
        .add_to_tally(&venue, &[])
        .await
        .expect("nothing to add writes nothing");

    // Writers racing on the same two items: every one of them counts.
    let writers = 6;
    let adds = (0..writers).map(|_| {
        let store = store.clone();
        let venue = venue.clone();
        tokio::spawn(async move { store.add_to_tally(&venue, &confirmed_stay()).await })
    });
    for handle in adds.collect::<Vec<_>>() {
        handle
            .await
            .expect("the writer ran")
            .expect("the counters moved");
    }

    let january = store
        .monthly_tally(&venue, &month("2028-01"))
        .await
        .expect("read January");
    let n = writers as i64;
    assert_eq!(january.get(&Counter::Bookings(BookingStatus::Confirmed)), n);
    assert_eq!(january.get(&Counter::ResourceUnits("res.1".into())), 2 * n);
    assert_eq!(
        january.get(&Counter::Revenue(PaymentProvider::Stripe)),
        27000 * n
    );
    assert_eq!(january.get(&Counter::Refunds(PaymentProvider::Stripe)), 0);
    let february = store
        .monthly_tally(&venue, &month("2028-02"))
        .await
        .expect("read February");
    assert_eq!(february.get(&Counter::ResourceUnits("res.1".into())), n);
    assert_eq!(february.iter().count(), 1);

    // In a caller's own transaction, beside its other write: the cancellation undoes the
    // booking's counters and counts it cancelled.
    let cancelled = vec![
        ReportDelta {
            month: month("2028-01"),
            changes: vec![
                (Counter::Bookings(BookingStatus::Confirmed), -1),
                (Counter::Bookings(BookingStatus::Cancelled), 1),
                (Counter::ResourceBookings("res.1".into()), -1),
                (Counter::ResourceUnits("res.1".into()), -2),
            ],
        },
        ReportDelta {
            month: month("2028-02"),
            changes: vec![(Counter::ResourceUnits("res.1".into()), -1)],
        },
    ];
    let mut actions = store
        .tally_actions(&venue, "bkg_report", &cancelled)
        .expect("the counters' actions");
    assert_eq!(actions.len(), 2);
    let beside = Put::builder()
        .table_name(&stack.table)
        .item("pk", AttributeValue::S(format!("TEST#{venue}")))
        .item("sk", AttributeValue::S("TEST".into()))
        .build()
        .expect("a put");
    actions.push(TransactWriteItem::builder().put(beside).build());
    store
        .client()
        .transact_write_items()
        .set_transact_items(Some(actions))
        .send()
        .await
        .expect("the transaction commits");
    let january = store
        .monthly_tally(&venue, &month("2028-01"))
        .await
        .expect("read January again");
    assert_eq!(
        january.get(&Counter::Bookings(BookingStatus::Confirmed)),
        n - 1
    );
    assert_eq!(january.get(&Counter::Bookings(BookingStatus::Cancelled)), 1);
    assert_eq!(
        january.get(&Counter::ResourceUnits("res.1".into())),
        2 * (n - 1)
    );
    let february = store
        .monthly_tally(&venue, &month("2028-02"))
        .await
        .expect("read February again");
    assert_eq!(february.get(&Counter::ResourceUnits("res.1".into())), n - 1);
}
