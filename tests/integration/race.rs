//! Requests racing for the same units on the shared stack: overlapping stays make one booking,
//! back-to-back ones both stand. The bursts of 300 on a fresh stack are in `tests/heavy`.

use holdfast_tests::{Who, race, shared, stay_booking};

// Margin (2026-12-03, debug build, 2-core machine): the last of the 100 answered after 0.8-1.1 s
// in five fresh-clone `make test` runs and 2.7 s with a release build beside, of the 8 s budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_stays_make_one_booking_and_back_to_back_stays_both_stand() {
    let api = shared().api();
    let (admin, venue) = api.venue("America/Mexico_City", "MXN").await;
    let cabin = api.cabin(&admin, &venue).await;
    let overlapping: Vec<_> = (0..100)
        .map(|i| {
            if i % 2 == 0 {
                stay_booking(&cabin, "2031-12-20", "2031-12-23")
            } else {
                stay_booking(&cabin, "2031-12-22", "2031-12-26")
            }
        })
        .collect();
    let (winners, taken, other) = race(&api, overlapping).await;
    assert!(other.is_empty(), "{other:?}");
    assert_eq!((winners.len(), taken), (1, 99));

    // Check-out day is the next guest's check-in day: [check_in, check_out) is half-open.
    let customer = Who::customer();
    api.request_booking(&customer, &stay_booking(&cabin, "2032-01-10", "2032-01-12"))
        .await
        .expect(201);
    api.request_booking(&customer, &stay_booking(&cabin, "2032-01-12", "2032-01-15"))
        .await
        .expect(201);
    let conflict = api
        .request_booking(&customer, &stay_booking(&cabin, "2032-01-11", "2032-01-13"))
        .await
        .expect_error(409, "SLOT_TAKEN");
    let dates: Vec<&str> = conflict["error"]["details"]["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .filter_map(|c| c["date"].as_str())
        .collect();
    assert_eq!(dates, ["2032-01-11", "2032-01-12"]);
}
