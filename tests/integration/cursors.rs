//! List cursors belong to the list that issued them: garbage, truncated, forged and foreign
//! cursors are 400 `VALIDATION_ERROR` on every list, and a cursor shows no key or `sub`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use holdfast_tests::{Api, DAY, Who, shared, slot_booking};
use serde_json::json;

/// Books `count` hours from 09:00 on `DAY` for `who`.
async fn book_hours(api: &Api, court: &str, who: &Who, count: u32) {
    for hour in 9..9 + count {
        let body = slot_booking(
            court,
            &format!("{DAY}T{hour:02}:00:00+01:00"),
            &format!("{DAY}T{:02}:00:00+01:00", hour + 1),
            "none",
        );
        api.request_booking(who, &body).await.expect(201);
    }
}

fn next_cursor(page: &serde_json::Value) -> String {
    page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string()
}

#[tokio::test]
async fn forged_foreign_and_truncated_cursors_are_refused_on_every_list() {
    let api = shared().api();
    let (admin, venue, court) = api.madrid_court(json!({})).await;
    let (other_admin, other_venue, other_court) = api.madrid_court(json!({})).await;
    let (ana, ben) = (Who::customer(), Who::customer());
    book_hours(&api, &court, &ana, 3).await;
    book_hours(&api, &other_court, &ben, 3).await;

    let mine = "/v1/me/bookings?limit=1";
    let ana_cursor = next_cursor(&api.get(mine).as_(&ana).send().await.expect(200));
    let ben_cursor = next_cursor(&api.get(mine).as_(&ben).send().await.expect(200));
    let days = format!("from={DAY}&to=2031-12-04&limit=1");
    let venue_list = format!("/v1/venues/{venue}/bookings?{days}");
    let venue_cursor = next_cursor(&api.get(&venue_list).as_(&admin).send().await.expect(200));
    // The other venue's own list, read by its own admin.
    let other_admin_cursor = next_cursor(
        &api.get(&format!("/v1/venues/{other_venue}/bookings?{days}"))
            .as_(&other_admin)
            .send()
            .await
            .expect(200),
    );

    // A cursor names no key attribute, no index, no caller.
    for cursor in [&ana_cursor, &venue_cursor] {
        let decoded =
            String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).expect("base64url")).expect("utf-8");
        // Key names are looked for as JSON keys: the cursor's own random token may hold "pk".
        for secret in [
            "\"pk\"", "\"sk\"", "\"gsi", "OWNER#", "VENUE#", &ana.sub, &venue,
        ] {
            assert!(!decoded.contains(secret), "{decoded} shows {secret}");
        }
    }

    // The cursor of the old format, naming another owner's partition outright.
    let old_style = URL_SAFE_NO_PAD.encode(
        json!({"k": {"pk": "BOOKING#x", "sk": "BOOKING", "gsi1pk": format!("OWNER#{}", ben.sub), "gsi1sk": "2031-01-01T00:00:00.000Z#x"}})
            .to_string(),
    );
    let truncated = |c: &str| c[..c.len() - 3].to_string();
    let refused = |list: &str, who: &Who, cursor: &str| {
        let (api, list, who, cursor) = (
            api.clone(),
            list.to_string(),
            who.clone(),
            cursor.to_string(),
        );
        async move {
            let reply = api
                .get(&format!("{list}&cursor={cursor}"))
                .as_(&who)
                .send()
                .await;
            let body = reply.expect_error(400, "VALIDATION_ERROR");
            assert!(
                body["error"]["details"]["fields"]["cursor"].is_string(),
                "{body}"
            );
        }
    };
    for cursor in [
        "garbage".to_string(),
        truncated(&ana_cursor),
        ben_cursor.clone(),
        venue_cursor.clone(),
        old_style.clone(),
    ] {
        refused(mine, &ana, &cursor).await;
    }
    let other_days = format!("/v1/venues/{venue}/bookings?from={DAY}&to=2031-12-05&limit=1");
    for (list, cursor) in [
        (venue_list.as_str(), "garbage".to_string()),
        (venue_list.as_str(), truncated(&venue_cursor)),
        (venue_list.as_str(), ana_cursor.clone()),
        (venue_list.as_str(), other_admin_cursor.clone()),
        (venue_list.as_str(), old_style.clone()),
        // The same venue with another range is another list.
        (other_days.as_str(), venue_cursor.clone()),
    ] {
        refused(list, &admin, &cursor).await;
    }

    // Their own cursors still page through their own lists.
    let second = api
        .get(&format!("{mine}&cursor={ana_cursor}"))
        .as_(&ana)
        .send()
        .await
        .expect(200);
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
    let second = api
        .get(&format!("{venue_list}&cursor={venue_cursor}"))
        .as_(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
}
