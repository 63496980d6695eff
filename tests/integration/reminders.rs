//! Reminders: each confirmed booking is reminded once, `reminder_hours` before it starts (at the
//! next run when booked inside that window); overlapping runs never remind twice, and a
//! cancelled booking or a venue that wants none gets none.

use holdfast_tests::{DAY, Stack, Who, slot_booking_for, unique_email};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_booking_is_reminded_once_a_day_before_or_at_once_inside_that_window() {
    // Its own stack: it moves the clock five years on.
    let stack = Stack::start();
    let api = stack.api();
    let (admin, venue) = api.venue("Europe/Madrid", "EUR").await;
    let court = api.court(&admin, &venue, json!({"name": "Pista 1"})).await;
    let (ana, bea, cid) = (
        unique_email("ana"),
        unique_email("bea"),
        unique_email("cid"),
    );
    let mut ids = Vec::new();
    for (email, hour) in [(&ana, 10), (&bea, 12), (&cid, 14)] {
        let reply = api
            .request_booking(
                &Who::customer(),
                &slot_booking_for(
                    &court,
                    email,
                    &format!("{DAY}T{hour}:00:00+01:00"),
                    &format!("{DAY}T{}:00:00+01:00", hour + 1),
                    "none",
                ),
            )
            .await
            .expect(201);
        ids.push(reply["booking_id"].as_str().expect("id").to_string());
    }
    api.post(&format!("/v1/bookings/{}/cancel", ids[2]))
        .as_(&Who::admin_of(&admin.org_id.clone().expect("org")))
        .send()
        .await
        .expect(200);
    let run = api
        .post("/_local/jobs/send-reminders")
        .send()
        .await
        .expect(200);
    assert_eq!(
        run["reminded"],
        json!([]),
        "nothing is due five years ahead: {run}"
    );

    // To a minute past 24 hours before Ana's 10:00 (09:00Z).
    stack.advance_to("2031-12-01T09:01:00Z");
    // Two runs at once: each reminder goes once.
    let (a, b) = tokio::join!(
        api.post("/_local/jobs/send-reminders").send(),
        api.post("/_local/jobs/send-reminders").send()
    );
    let mut reminded: Vec<Value> = [a.expect(200), b.expect(200)]
        .iter()
        .flat_map(|run| run["reminded"].as_array().cloned().unwrap_or_default())
        .collect();
    reminded.sort_by_key(|v| v.to_string());
    assert_eq!(
        reminded,
        [json!(ids[0])],
        "Ana's only: Bea's is due at 11:00Z, Cid cancelled"
    );

    // Booked inside the window (08:00 tomorrow, less than 24 hours away): reminded at the next
    // run.
    let dan = unique_email("dan");
    let late = api
        .request_booking(
            &Who::customer(),
            &slot_booking_for(
                &court,
                &dan,
                &format!("{DAY}T08:00:00+01:00"),
                &format!("{DAY}T09:00:00+01:00"),
                "none",
            ),
        )
        .await
        .expect(201);
    stack.clock.advance(2 * 3600);
    let run = api
        .post("/_local/jobs/send-reminders")
        .send()
        .await
        .expect(200);
    let mut reminded: Vec<String> = serde_json::from_value(run["reminded"].clone()).expect("ids");
    reminded.sort();
    let mut expected = vec![
        ids[1].clone(),
        late["booking_id"].as_str().expect("id").to_string(),
    ];
    expected.sort();
    assert_eq!(reminded, expected, "{run}");
    let again = api
        .post("/_local/jobs/send-reminders")
        .send()
        .await
        .expect(200);
    assert_eq!(again["reminded"], json!([]));

    for (email, reminders) in [(&ana, 1), (&bea, 1), (&dan, 1), (&cid, 0)] {
        let mail = api.mail_to(email, 1 + reminders).await;
        let count = mail
            .iter()
            .filter(|m| {
                m["subject"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("Recordatorio"))
            })
            .count();
        assert_eq!(count, reminders, "{email}: {mail:?}");
    }
    let ana_mail = api.mail_to(&ana, 2).await;
    assert!(
        ana_mail
            .iter()
            .any(|m| m["subject"] == "Recordatorio: Pista 1, 2031-12-02, 10:00–11:00"),
        "{ana_mail:?}"
    );
}

#[tokio::test]
async fn a_venue_that_wants_no_reminders_sends_none() {
    let stack = Stack::start();
    let api = stack.api();
    let (admin, venue) = api.venue("Europe/Madrid", "EUR").await;
    api.patch(&format!("/v1/venues/{venue}"))
        .as_(&admin)
        .json(&json!({"reminder_hours": 0}))
        .send()
        .await
        .expect(200);
    let court = api.court(&admin, &venue, json!({})).await;
    let email = unique_email("eve");
    api.request_booking(
        &Who::customer(),
        &slot_booking_for(
            &court,
            &email,
            &format!("{DAY}T10:00:00+01:00"),
            &format!("{DAY}T11:00:00+01:00"),
            "none",
        ),
    )
    .await
    .expect(201);
    stack.advance_to("2031-12-02T08:00:00Z");
    let run = api
        .post("/_local/jobs/send-reminders")
        .send()
        .await
        .expect(200);
    assert_eq!(
        (run["due"].as_u64(), run["reminded"].clone()),
        (Some(0), json!([])),
        "{run}"
    );
}
