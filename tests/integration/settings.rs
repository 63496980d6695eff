//! Venue settings: `PATCH /v1/venues/{venue_id}` as docs/api.md says, refused field by field when
//! wrong (and then nothing changes), and two admins' changes at once both kept.

use holdfast_tests::{Who, shared};
use serde_json::json;

#[tokio::test]
async fn venue_settings_patch_show_and_refuse_as_api_md_says() {
    let api = shared().api();
    let (admin, venue) = api.venue("America/Lima", "PEN").await;
    let path = format!("/v1/venues/{venue}");
    let fresh = api.get(&path).send().await.expect(200);
    assert_eq!(fresh["staff_alerts"], true);
    assert_eq!(fresh["reminder_hours"], 24);
    assert_eq!(
        fresh["cancellation_policy"],
        json!({"refund_rules": [{"hours_before": 24, "percent": 100}]})
    );

    let policy = json!({"refund_rules": [{"hours_before": 48, "percent": 100}, {"hours_before": 24, "percent": 50}]});
    let patched = api
        .patch(&path)
        .as_(&admin)
        .json(&json!({"name": "Club Lima", "contact_email": "recepcion@club.example", "language": "en",
                       "staff_alerts": false, "reminder_hours": 6, "cancellation_policy": policy}))
        .send()
        .await
        .expect(200);
    let shown = api.get(&path).send().await.expect(200);
    for field in [
        "name",
        "contact_email",
        "language",
        "staff_alerts",
        "reminder_hours",
        "cancellation_policy",
    ] {
        assert_eq!(shown[field], patched[field], "{field}");
    }
    assert_eq!(shown["cancellation_policy"], policy);
    assert_eq!(shown["time_zone"], "America/Lima");

    for (body, field) in [
        (json!({"reminder_hours": 169}), "reminder_hours"),
        (json!({"language": "fr"}), "language"),
        (json!({"contact_email": "desk"}), "contact_email"),
        (json!({"time_zone": "Europe/Madrid"}), "time_zone"),
        (
            json!({"cancellation_policy": {"refund_rules": [{"hours_before": 24, "percent": 150}]}}),
            "cancellation_policy.refund_rules[0].percent",
        ),
        (json!({}), "body"),
    ] {
        let refused = api
            .patch(&path)
            .as_(&admin)
            .json(&body)
            .send()
            .await
            .expect_error(400, "VALIDATION_ERROR");
        assert!(
            refused["error"]["details"]["fields"][field].is_string(),
            "{body}: {refused}"
        );
    }
    api.patch(&path)
        .as_(&Who::new_admin())
        .json(&json!({"reminder_hours": 1}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    api.patch(&path)
        .as_(&Who::customer())
        .json(&json!({"reminder_hours": 1}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    api.patch("/v1/venues/ven_nope")
        .as_(&admin)
        .json(&json!({"reminder_hours": 1}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    assert_eq!(
        api.get(&path).send().await.expect(200),
        shown,
        "refused patches changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admins_changing_venue_settings_at_once_each_keep_their_change() {
    let api = shared().api();
    let (admin, venue) = api.venue("Europe/Madrid", "EUR").await;
    let path = format!("/v1/venues/{venue}");
    let patches = [
        json!({"name": "Club Norte"}),
        json!({"contact_email": "hola@norte.example"}),
        json!({"language": "en"}),
        json!({"staff_alerts": false}),
        json!({"reminder_hours": 2}),
        json!({"cancellation_policy": {"refund_rules": []}}),
    ];
    let calls: Vec<_> = patches
        .iter()
        .cloned()
        .map(|patch| {
            let (api, admin, path) = (api.clone(), admin.clone(), path.clone());
            tokio::spawn(async move { api.patch(&path).as_(&admin).json(&patch).send().await })
        })
        .collect();
    for call in calls {
        call.await.expect("a patch panicked").expect(200);
    }
    let shown = api.get(&path).send().await.expect(200);
    for patch in patches {
        for (field, value) in patch.as_object().expect("object") {
            assert_eq!(&shown[field], value, "{field} lost: {shown}");
        }
    }
}
