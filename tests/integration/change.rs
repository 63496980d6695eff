//! The promise under change: admins patch a resource while customers book it, and a unit of
//! time is still sold once. Two admins patching at once both keep their change.

use holdfast_tests::{Api, DAY, Reply, Who, shared, slot_booking};
use jiff::Timestamp;
use serde_json::{Value, json};

fn at(local: u32) -> String {
    format!("{DAY}T{:02}:{:02}:00+01:00", local / 60, local % 60)
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[tokio::test]
async fn moving_the_opening_time_off_the_grid_is_refused_and_sells_nothing_twice() {
    let api = shared().api();
    let (admin, _venue, court) = api.madrid_court(json!({})).await;
    let (ana, ben) = (Who::customer(), Who::customer());
    api.request_booking(&ana, &slot_booking(&court, &at(600), &at(660), "none"))
        .await
        .expect(201);
    // The double sale once found: opening moved to 08:15, then 10:15-11:15 booked beside Ana.
    let refused = api
        .patch(&format!("/v1/resources/{court}"))
        .as_(&admin)
        .json(&json!({"opening_hours": {"tue": [["08:15", "22:00"]]}}))
        .send()
        .await
        .expect_error(400, "VALIDATION_ERROR");
    let why = refused["error"]["details"]["fields"]["opening_hours.tue[0]"]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains("08:00 or 08:30"), "{refused}");
    api.request_booking(&ben, &slot_booking(&court, &at(615), &at(675), "none"))
        .await
        .expect_error(400, "VALIDATION_ERROR");
    // Hours on the grid change freely, and the locks they make still meet Ana's.
    api.patch(&format!("/v1/resources/{court}"))
        .as_(&admin)
        .json(&json!({"opening_hours": {"tue": [["09:30", "21:00"]]}, "durations": [30, 60]}))
        .send()
        .await
        .expect(200);
    api.request_booking(&ben, &slot_booking(&court, &at(630), &at(690), "none"))
        .await
        .expect_error(409, "SLOT_TAKEN");
    api.request_booking(&ben, &slot_booking(&court, &at(660), &at(690), "none"))
        .await
        .expect(201);
}

/// One step of the interleaving: an admin's patch or a customer's booking.
fn random_step(rng: &mut fastrand::Rng, court: &str) -> (bool, Value) {
    match rng.u8(0..10) {
        0..=1 => {
            let open = 360 + 15 * rng.u32(0..16);
            let close = (open + 240 + 30 * rng.u32(0..24)).min(1440);
            (
                false,
                json!({"opening_hours": {"tue": [[hhmm(open), hhmm(close)]]}}),
            )
        }
        2 => {
            let durations: Vec<u32> = [30, 45, 60, 90, 120, 150]
                .into_iter()
                .filter(|&d| d == 60 || rng.bool())
                .collect();
            (false, json!({"durations": durations}))
        }
        _ => {
            // Mostly what a customer would ask for; now and then off the grid or odd lengths.
            let start = if rng.u8(0..4) == 0 {
                360 + 15 * rng.u32(0..68)
            } else {
                360 + 30 * rng.u32(0..34)
            };
            let length = if rng.u8(0..5) == 0 {
                15 * rng.u32(2..12)
            } else {
                [30, 60, 90, 120][rng.usize(0..4)]
            };
            let end = (start + length).min(1440);
            (true, slot_booking(court, &at(start), &at(end), "none"))
        }
    }
}

async fn send_step(api: &Api, admin: &Who, court: &str, booking: bool, body: Value) -> Reply {
    if booking {
        api.request_booking(&Who::customer(), &body).await
    } else {
        api.patch(&format!("/v1/resources/{court}"))
            .as_(admin)
            .json(&body)
            .send()
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn patches_interleaved_with_bookings_never_sell_a_slot_twice() {
    let api = shared().api();
    let (mut sold_total, mut taken_total, mut patched_total, mut refused_patches) = (0, 0, 0, 0);
    for seed in [1u64, 2, fastrand::u64(..)] {
        let mut rng = fastrand::Rng::with_seed(seed);
        let (admin, _venue, court) = api.madrid_court(json!({})).await;
        let mut sold: Vec<(Timestamp, Timestamp, String)> = Vec::new();
        for _batch in 0..12 {
            // Four steps at once, so that patches and bookings truly interleave.
            let steps: Vec<_> = (0..4).map(|_| random_step(&mut rng, &court)).collect();
            let calls: Vec<_> = steps
                .into_iter()
                .map(|(booking, body)| {
                    let (api, admin, court) = (api.clone(), admin.clone(), court.clone());
                    tokio::spawn(async move {
                        (
                            booking,
                            send_step(&api, &admin, &court, booking, body).await,
                        )
                    })
                })
                .collect();
            for call in calls {
                let (booking, reply) = call.await.expect("a step panicked");
                match (booking, reply.status) {
                    (true, 201) => {
                        let body = reply.json();
                        let instant = |f: &str| {
                            body[f]
                                .as_str()
                                .and_then(|t| t.parse().ok())
                                .expect("instant")
                        };
                        sold.push((instant("start"), instant("end"), reply.request.clone()));
                    }
                    (false, 200) => patched_total += 1,
                    (false, 400) => refused_patches += 1,
                    (true, 409) => taken_total += 1,
                    (_, 400 | 409) => {}
                    _ => panic!(
                        "seed {seed}: {} answered {}: {}",
                        reply.request, reply.status, reply.text
                    ),
                }
            }
        }
        for (i, a) in sold.iter().enumerate() {
            for b in &sold[i + 1..] {
                assert!(
                    !(a.0 < b.1 && b.0 < a.1),
                    "seed {seed}: sold twice:\n{}\n{}",
                    a.2,
                    b.2
                );
            }
        }
        sold_total += sold.len();
    }
    eprintln!(
        "interleaving: {sold_total} sold, {taken_total} refused as taken, {patched_total} patches taken, {refused_patches} refused"
    );
    assert!(
        sold_total >= 5 && taken_total >= 3,
        "too few bookings to prove anything: {sold_total} sold, {taken_total} taken"
    );
    assert!(
        patched_total >= 3 && refused_patches >= 3,
        "{patched_total} patched, {refused_patches} refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admins_patching_at_once_each_keep_their_change() {
    let api = shared().api();
    let (admin, venue, court) = api.madrid_court(json!({})).await;
    for round in 0..3u32 {
        let patches = [
            json!({"name": format!("Pista {round}")}),
            json!({"unit_price": {"amount": 700 + round, "currency": "EUR"}}),
            json!({"hold_minutes": 20 + round}),
            json!({"durations": [60 + 30 * (round % 2)]}),
            json!({"opening_hours": {"tue": [[hhmm(480 + 30 * round), "22:00"]]}}),
        ];
        let calls: Vec<_> = patches
            .into_iter()
            .map(|patch| {
                let (api, admin, court) = (api.clone(), admin.clone(), court.clone());
                tokio::spawn(async move {
                    api.patch(&format!("/v1/resources/{court}"))
                        .as_(&admin)
                        .json(&patch)
                        .send()
                        .await
                })
            })
            .collect();
        for call in calls {
            call.await.expect("a patch panicked").expect(200);
        }
        let shown = api
            .get(&format!("/v1/venues/{venue}"))
            .send()
            .await
            .expect(200);
        let resource = &shown["resources"][0];
        assert_eq!(resource["name"], format!("Pista {round}"), "{resource}");
        assert_eq!(resource["unit_price"]["amount"], 700 + round, "{resource}");
        assert_eq!(resource["hold_minutes"], 20 + round, "{resource}");
        assert_eq!(
            resource["durations"],
            json!([60 + 30 * (round % 2)]),
            "{resource}"
        );
        assert_eq!(
            resource["opening_hours"]["tue"],
            json!([[hhmm(480 + 30 * round), "22:00"]]),
            "{resource}"
        );
    }
}
