//! Connecting Mercado Pago with OAuth against the stand-in: the authorize URL, the seller's
//! return with a state that works once, tokens stored sealed, and the refresh job (renewals,
//! failures counted and shown, the venue mailed at the third, once a streak). Each test has a
//! stack of its own: the refresh job reads every account on its table, and the clock moves.

use std::collections::HashMap;

use holdfast_api::services::connect;
use holdfast_api::views::AccountView;
use holdfast_api::{ApiError, Caller};
use holdfast_tests::{Stack, Who, mercadopago_api_base};
use serde_json::{Value, json};

fn caller(who: &Who) -> Caller {
    Caller {
        sub: who.sub.clone(),
        email: None,
        org_id: who.org_id.clone(),
        groups: if who.admin {
            vec!["admin".into()]
        } else {
            vec![]
        },
    }
}

fn status<T: std::fmt::Debug>(result: Result<T, ApiError>) -> u16 {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(err) => err.status().as_u16(),
    }
}

fn query_of(url: &str) -> HashMap<String, String> {
    let url = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    url.query_pairs().into_owned().collect()
}

/// The seller approves at the stand-in: its 302 back to Holdfast carries the code and state.
async fn approve(authorize_url: &str) -> (String, String) {
    let client = holdfast_tests::http_client(false);
    let reply = client.get(authorize_url).send().await.unwrap();
    assert_eq!(reply.status().as_u16(), 302, "{authorize_url}");
    let location = reply.headers()["location"].to_str().unwrap().to_string();
    let back = query_of(&location);
    (back["code"].clone(), back["state"].clone())
}

async fn mercadopago_listing(stack: &Stack, admin: &Who, venue: &str) -> (Value, String) {
    let reply = stack
        .api()
        .get(&format!("/v1/venues/{venue}/payment-accounts"))
        .as_(admin)
        .send()
        .await;
    let body = reply.expect(200);
    let item = body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["provider"] == "mercadopago"))
        .cloned()
        .unwrap_or_else(|| panic!("no Mercado Pago account listed: {body}"));
    (item, reply.text.clone())
}

#[tokio::test]
async fn a_venue_connects_mercadopago_with_a_state_that_works_once_and_stays_refreshed() {
    let stack = Stack::start();
    let app = stack.app().await;
    let (admin, venue) = stack
        .api()
        .venue_without_accounts("America/Mexico_City", "MXN")
        .await;

    let stranger = connect::connect_url(&app, &caller(&Who::new_admin()), &venue).await;
    assert_eq!(status(stranger), 403);

    let started = connect::connect_url(&app, &caller(&admin), &venue)
        .await
        .expect("the authorize URL");
    let url = &started;
    assert!(
        url.starts_with(&format!("{}/authorization?", mercadopago_api_base())),
        "{url}"
    );
    let params = query_of(url);
    assert_eq!(params["client_id"], "holdfast-dev-client");
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["platform_id"], "mp");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43);
    assert_eq!(
        params["redirect_uri"],
        format!("{}/oauth/mercadopago/callback", stack.base_url)
    );
    assert!(params["state"].starts_with(&format!("{venue}.")));
    assert!(!url.contains("verifier"), "{url}");

    let (code, state) = approve(url).await;
    assert_eq!(state, params["state"]);

    // Altered, the state is refused and the connect is not used up.
    let mut altered = state.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
    let altered = String::from_utf8(altered).unwrap();
    assert_eq!(
        status(connect::oauth_callback(&app, Some(&code), Some(&altered)).await),
        401
    );
    assert_eq!(
        status(connect::oauth_callback(&app, Some(&code), None).await),
        401
    );

    let (connected, zone) = connect::oauth_callback(&app, Some(&code), Some(&state))
        .await
        .expect("the callback stores the account");
    let shown = serde_json::to_value(AccountView::of(&connected, zone.tz())).unwrap();
    assert_eq!(shown["provider"], "mercadopago", "{shown}");
    assert!(shown["user_id"].as_str().is_some_and(|u| !u.is_empty()));
    assert_eq!(shown["last_refresh_error"], json!(null));
    let text = shown.to_string();
    assert!(!text.contains("APP_USR") && !text.contains("TG-"), "{text}");

    // The same return again (a replay, or a double click): refused, the account stands.
    assert_eq!(
        status(connect::oauth_callback(&app, Some(&code), Some(&state)).await),
        401
    );
    let (listed, raw) = mercadopago_listing(&stack, &admin, &venue).await;
    assert_eq!(listed["user_id"], shown["user_id"]);
    assert!(!raw.contains("APP_USR") && !raw.contains("TG-"), "{raw}");
    let first_expiry = listed["expires_at"].as_str().unwrap().to_string();

    // 180-day tokens are not due now; 151 days on they are, and are renewed once.
    let run = connect::refresh_tokens(&app).await.unwrap();
    assert_eq!((run.due, run.refreshed), (0, 0), "{run:?}");
    stack.clock.advance(151 * 86_400);
    let run = connect::refresh_tokens(&app).await.unwrap();
    assert_eq!(
        (run.due, run.refreshed, run.failed, run.alerted),
        (1, 1, 0, 0),
        "{run:?}"
    );
    let (listed, _) = mercadopago_listing(&stack, &admin, &venue).await;
    let renewed: jiff::Timestamp = listed["expires_at"].as_str().unwrap().parse().unwrap();
    let first: jiff::Timestamp = first_expiry.parse().unwrap();
    assert!(renewed > first, "{listed}");
    assert_eq!(listed["last_refresh_error"], json!(null));
    let run = connect::refresh_tokens(&app).await.unwrap();
    assert_eq!(run.due, 0, "{run:?}");
}

#[tokio::test]
async fn a_stale_state_or_a_declined_approval_stores_nothing() {
    let stack = Stack::start();
    let app = stack.app().await;
    let api = stack.api();
    let (admin, venue) = api
        .venue_without_accounts("America/Mexico_City", "MXN")
        .await;

    let started = connect::connect_url(&app, &caller(&admin), &venue)
        .await
        .unwrap();
    let (code, state) = approve(&started).await;
    stack.clock.advance(601);
    assert_eq!(
        status(connect::oauth_callback(&app, Some(&code), Some(&state)).await),
        401
    );

    // Declined at Mercado Pago: back with the state and no code. The state is used up.
    let started = connect::connect_url(&app, &caller(&admin), &venue)
        .await
        .unwrap();
    let state = query_of(&started)["state"].clone();
    assert_eq!(
        status(connect::oauth_callback(&app, None, Some(&state)).await),
        400
    );
    assert_eq!(
        status(connect::oauth_callback(&app, Some("TG-any"), Some(&state)).await),
        401
    );
    let listed = api
        .get(&format!("/v1/venues/{venue}/payment-accounts"))
        .as_(&admin)
        .send()
        .await
        .expect(200);
    assert_eq!(listed["items"], json!([]), "{listed}");
}

#[tokio::test]
async fn failed_refreshes_are_counted_shown_without_tokens_and_alert_from_the_third() {
    let stack = Stack::start();
    let app = stack.app().await;
    let api = stack.api();
    // A contact address of this test's own: the mail server is shared by every test.
    let desk = format!("desk-{}@padelnorte.example", uuid::Uuid::new_v4().simple());
    let admin = Who::new_admin();
    let venue = api
        .post("/v1/venues")
        .as_(&admin)
        .json(
            &json!({"name": "Club Padel Norte", "time_zone": "America/Mexico_City",
                      "currency": "MXN", "contact_email": desk, "language": "es"}),
        )
        .send()
        .await
        .expect(201)["venue_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Tokens the stand-in never issued, ten days from expiry: due, and refused.
    let expires_at = stack
        .clock
        .now()
        .checked_add(jiff::SignedDuration::from_hours(240))
        .unwrap();
    let failing = |access: &str, refresh: &str| {
        json!({"access_token": access, "refresh_token": refresh,
               "expires_at": expires_at.to_string(), "user_id": "987654321"})
    };
    api.put(&format!("/v1/venues/{venue}/payment-accounts/mercadopago"))
        .as_(&admin)
        .json(&failing(
            "APP_USR-holdfast-access-1234",
            "TG-holdfast-unknown-5678",
        ))
        .send()
        .await
        .expect(200);

    for round in 1..=3 {
        let run = connect::refresh_tokens(&app).await.unwrap();
        assert_eq!(
            (run.due, run.refreshed, run.failed, run.alerted),
            (1, 0, 1, usize::from(round == 3)),
            "round {round}: {run:?}"
        );
    }
    let (listed, raw) = mercadopago_listing(&stack, &admin, &venue).await;
    let error = listed["last_refresh_error"].as_str().unwrap_or_default();
    assert!(error.contains("invalid refresh_token"), "{listed}");
    assert!(
        !raw.contains("TG-holdfast") && !raw.contains("APP_USR"),
        "{raw}"
    );

    // The third failure mailed the venue's contact address, once, in its language.
    let mail = api.mail_to(&desk, 1).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    let local_expiry = expires_at
        .to_zoned(jiff::tz::TimeZone::get("America/Mexico_City").unwrap())
        .strftime("%Y-%m-%d %H:%M")
        .to_string();
    let text = mail[0]["text"].as_str().unwrap_or_default();
    let subject = mail[0]["subject"].as_str().unwrap_or_default();
    assert!(subject.contains("Mercado Pago"), "{subject}");
    for fact in [
        "3 veces seguidas",
        "invalid refresh_token",
        "pagos en línea",
        local_expiry.as_str(),
        "America/Mexico_City",
        &format!("GET /v1/venues/{venue}/payment-accounts/mercadopago/connect"),
        &format!("PUT /v1/venues/{venue}/payment-accounts/mercadopago"),
    ] {
        assert!(text.contains(fact), "{fact} not in: {text}");
    }
    let whole = mail[0].to_string();
    assert!(
        !whole.contains("TG-holdfast") && !whole.contains("APP_USR"),
        "{whole}"
    );

    // A fourth failure is counted and logged, and mails nothing more.
    let run = connect::refresh_tokens(&app).await.unwrap();
    assert_eq!((run.due, run.failed, run.alerted), (1, 1, 0), "{run:?}");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let mail = api.mail_to(&desk, 1).await;
    assert_eq!(mail.len(), 1, "{mail:?}");

    // New credentials clear the failures.
    api.put(&format!("/v1/venues/{venue}/payment-accounts/mercadopago"))
        .as_(&admin)
        .json(&json!({"access_token": "APP_USR-holdfast-access-9999",
                      "refresh_token": "TG-holdfast-other-9999",
                      "expires_at": "2031-01-01T00:00:00Z", "user_id": "987654321"}))
        .send()
        .await
        .expect(200);
    let (listed, _) = mercadopago_listing(&stack, &admin, &venue).await;
    assert_eq!(listed["last_refresh_error"], json!(null), "{listed}");
    let run = connect::refresh_tokens(&app).await.unwrap();
    assert_eq!(run.due, 0, "{run:?}");

    // New tokens that fail in their turn are a new streak: its third failure mails again.
    api.put(&format!("/v1/venues/{venue}/payment-accounts/mercadopago"))
        .as_(&admin)
        .json(&failing(
            "APP_USR-holdfast-access-4321",
            "TG-holdfast-unknown-8765",
        ))
        .send()
        .await
        .expect(200);
    for round in 1..=3 {
        let run = connect::refresh_tokens(&app).await.unwrap();
        assert_eq!(
            (run.failed, run.alerted),
            (1, usize::from(round == 3)),
            "round {round}: {run:?}"
        );
    }
    let mail = api.mail_to(&desk, 2).await;
    assert_eq!(mail.len(), 2, "{mail:?}");
    let whole = mail[1].to_string();
    assert!(
        !whole.contains("TG-holdfast") && !whole.contains("APP_USR"),
        "{whole}"
    );
}

#[tokio::test]
async fn of_two_returns_with_one_state_only_one_connects() {
    let stack = Stack::start();
    let app = stack.app().await;
    let (admin, venue) = stack
        .api()
        .venue_without_accounts("America/Mexico_City", "MXN")
        .await;
    let started = connect::connect_url(&app, &caller(&admin), &venue)
        .await
        .unwrap();
    let (code, state) = approve(&started).await;
    let returns: Vec<_> = (0..2)
        .map(|_| {
            let (app, code, state) = (app.clone(), code.clone(), state.clone());
            tokio::spawn(async move {
                connect::oauth_callback(&app, Some(&code), Some(&state))
                    .await
                    .map_err(|e| e.status().as_u16())
                    .map(|_| ())
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for one in returns {
        outcomes.push(one.await.unwrap());
    }
    outcomes.sort();
    assert_eq!(outcomes, vec![Ok(()), Err(401)]);
}

#[tokio::test]
async fn of_failures_counted_at_once_exactly_one_makes_the_alert() {
    let stack = Stack::start();
    let app = stack.app().await;
    let api = stack.api();
    let (admin, venue) = api
        .venue_without_accounts("America/Mexico_City", "MXN")
        .await;
    let expires_at = stack
        .clock
        .now()
        .checked_add(jiff::SignedDuration::from_hours(240))
        .unwrap();
    api.put(&format!("/v1/venues/{venue}/payment-accounts/mercadopago"))
        .as_(&admin)
        .json(&json!({"access_token": "APP_USR-holdfast-access-1234",
                      "refresh_token": "TG-holdfast-unknown-5678",
                      "expires_at": expires_at.to_string(), "user_id": "987654321"}))
        .send()
        .await
        .expect(200);
    let sealed = app
        .store
        .sealed_account(&venue, holdfast_domain::PaymentProvider::MercadoPago)
        .await
        .unwrap()
        .expect("the account");
    // Overlapping runs failing the same credentials at once.
    let counting: Vec<_> = (0..8)
        .map(|_| {
            let (store, venue, sealed) = (app.store.clone(), venue.clone(), sealed.clone());
            let now = stack.clock.now();
            tokio::spawn(async move {
                store
                    .record_refresh_failure(&venue, &sealed, "Mercado Pago did not answer", now)
                    .await
                    .unwrap()
                    .expect("the same credentials")
            })
        })
        .collect();
    let mut counts = Vec::new();
    let mut alerts = Vec::new();
    for one in counting {
        let (failures, alert) = one.await.unwrap();
        counts.push(failures);
        alerts.extend(alert.map(|notice| (failures, notice)));
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=8).collect::<Vec<u32>>());
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let (failures, notice) = &alerts[0];
    assert_eq!(*failures, 3);
    assert_eq!(notice.venue_id(), Some(venue.as_str()));
    assert!(
        notice
            .notice_id
            .starts_with(&format!("{venue}.account_failing.")),
        "{notice:?}"
    );

    // Credentials replaced meanwhile: nothing is counted against the new ones.
    let stale = app
        .store
        .record_refresh_failure(&venue, b"other credentials", "x", stack.clock.now())
        .await
        .unwrap();
    assert_eq!(stale, None);
}
