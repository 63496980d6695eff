//! Hundreds of requests racing for the same units: exactly one wins, nobody gets a 5xx.

use holdfast_tests::{DAY, Who, shared, slot_booking, stay_booking};

/// Fires `bodies` concurrently, each from its own customer, and counts the answers by status.
async fn race(bodies: Vec<serde_json::Value>) -> (Vec<serde_json::Value>, usize, Vec<String>) {
    let replies = shared().api().book_concurrently(bodies).await;
    let mut winners = Vec::new();
    let mut taken = 0;
    let mut other = Vec::new();
    for reply in replies {
        match reply.status {
            201 => winners.push(reply.json()),
            409 => {
                reply.expect_error(409, "SLOT_TAKEN");
                taken += 1;
            }
            _ => other.push(format!("{} {}", reply.status, reply.text)),
        }
    }
    (winners, taken, other)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_requests_for_one_slot_make_one_booking() {
    let api = shared().api();
    let (admin, venue) = api.venue("Europe/Madrid", "EUR").await;
    let court = api.court(&admin, &venue, serde_json::json!({})).await;
    let body = slot_booking(
        &court,
        &format!("{DAY}T10:00:00+01:00"),
        &format!("{DAY}T11:30:00+01:00"),
        "none",
    );
    let (winners, taken, other) = race(vec![body; 200]).await;
    assert!(other.is_empty(), "answers other than 201/409: {other:?}");
    assert_eq!((winners.len(), taken), (1, 199));
    let units = api
        .get(&format!(
            "/v1/resources/{court}/availability?from={DAY}&to=2031-12-03"
        ))
        .send()
        .await
        .expect(200)["units"]
        .as_array()
        .expect("units")
        .iter()
        .filter(|u| u["status"] == "taken")
        .count();
    assert_eq!(units, 3, "10:00-11:30 is three taken slots");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_requests_make_one_booking() {
    let api = shared().api();
    let (admin, venue) = api.venue("Europe/Madrid", "EUR").await;
    let court = api.court(&admin, &venue, serde_json::json!({})).await;
    let first = slot_booking(
        &court,
        &format!("{DAY}T10:00:00+01:00"),
        &format!("{DAY}T11:30:00+01:00"),
        "none",
    );
    let second = slot_booking(
        &court,
        &format!("{DAY}T10:30:00+01:00"),
        &format!("{DAY}T12:00:00+01:00"),
        "stripe",
    );
    let bodies = (0..200)
        .map(|i| {
            if i % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            }
        })
        .collect();
    let (winners, taken, other) = race(bodies).await;
    assert!(other.is_empty(), "answers other than 201/409: {other:?}");
    assert_eq!((winners.len(), taken), (1, 199));
}

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
    let (winners, taken, other) = race(overlapping).await;
    assert!(other.is_empty(), "{other:?}");
    assert_eq!((winners.len(), taken), (1, 99));

    // Check-out day is the next guest's check-in day: [check_in, check_out) is half-open.
    let customer = Who::customer();
    api.post("/v1/bookings")
        .as_(&customer)
        .json(&stay_booking(&cabin, "2032-01-10", "2032-01-12"))
        .send()
        .await
        .expect(201);
    api.post("/v1/bookings")
        .as_(&customer)
        .json(&stay_booking(&cabin, "2032-01-12", "2032-01-15"))
        .send()
        .await
        .expect(201);
    let conflict = api
        .post("/v1/bookings")
        .as_(&customer)
        .json(&stay_booking(&cabin, "2032-01-11", "2032-01-13"))
        .send()
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
