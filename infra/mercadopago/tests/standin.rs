//! Drives every route of the stand-in, started in-process on a free port, with reqwest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use holdfast_mercadopago::{Config, serve};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

const SELLER: &str = "APP_USR-holdfast-test-seller-424242";
const SECRET: &str = "test-webhook-secret";
const PREFERENCES: &str = "/checkout/preferences";

type Answer = (u16, Value);

/// Asserts an answer's status, and that its body holds every field of `expected`.
#[track_caller]
fn check(answer: &Answer, status: u16, expected: Value) {
    assert_eq!(answer.0, status, "{}", answer.1);
    for (field, value) in expected.as_object().unwrap() {
        assert_eq!(&answer.1[field], value, "{field} in {}", answer.1);
    }
}

struct Mp {
    base: String,
    http: reqwest::Client,
}

impl Mp {
    async fn start() -> Mp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (client_id, client_secret) = ("4242".into(), "client-secret".into());
        let webhook_secret = SECRET.into();
        let config = Config {
            client_id,
            client_secret,
            webhook_secret,
        };
        tokio::spawn(serve(listener, config));
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        let http = http.build().unwrap();
        Mp { base, http }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    async fn send(&self, request: RequestBuilder) -> Answer {
        let answer = request.send().await.unwrap();
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }

    async fn get_as(&self, token: &str, path: &str) -> Answer {
        let request = self.request(Method::GET, path);
        self.send(request.bearer_auth(token)).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.get_as(SELLER, path).await
    }

    async fn post_as(&self, token: &str, path: &str, body: &Value) -> Answer {
        let request = self.request(Method::POST, path);
        self.send(request.bearer_auth(token).json(body)).await
    }

    async fn standin(&self, method: Method, path: &str, body: Value) -> Answer {
        let request = self.request(method, &format!("/_standin{path}"));
        self.send(request.json(&body)).await
    }

    async fn refund(&self, payment: &Value, key: &str, body: Value) -> Answer {
        let path = format!("/v1/payments/{payment}/refunds");
        let request = self.request(Method::POST, &path).bearer_auth(SELLER);
        let request = request.header("X-Idempotency-Key", key);
        self.send(request.json(&body)).await
    }

    /// An approved payment of `price` ARS, not notified: its id.
    async fn paid(&self, price: f64) -> Value {
        let item = json!({"title": "x", "quantity": 1, "unit_price": price, "currency_id": "ARS"});
        let body = json!({"items": [item]});
        let preference = self.post_as(SELLER, PREFERENCES, &body).await;
        let path = format!("/preferences/{}/pay", preference.1["id"].as_str().unwrap());
        let paid = self
            .standin(Method::POST, &path, json!({"notify": false}))
            .await;
        paid.1["payment"]["id"].clone()
    }
}

struct Notification {
    query: String,
    headers: HeaderMap,
    body: Value,
}

type Tx = mpsc::UnboundedSender<Notification>;

async fn receive(State(tx): State<Tx>, RawQuery(q): RawQuery, headers: HeaderMap, body: Bytes) {
    let (query, body) = (
        q.unwrap_or_default(),
        serde_json::from_slice(&body).unwrap(),
    );
    tx.send(Notification {
        query,
        headers,
        body,
    })
    .unwrap();
}

/// A tiny receiver of notifications: its URL, and what reaches it.
async fn receiver() -> (String, mpsc::UnboundedReceiver<Notification>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route("/hooks/mp", axum::routing::post(receive));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/hooks/mp?venue=v1",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app.with_state(tx)).await });
    (url, rx)
}

/// Checks `x-signature` as the app does: HMAC-SHA256 of `id:…;request-id:…;ts:…;`.
fn signature_verifies(notification: &Notification, data_id: &str) -> bool {
    let header = |name: &str| notification.headers[name].to_str().unwrap();
    let parts = header("x-signature").split(',').map(|p| p.split_once('='));
    let [Some(("ts", ts)), Some(("v1", v1))] = parts.collect::<Vec<_>>()[..] else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    let request_id = header("x-request-id");
    mac.update(format!("id:{data_id};request-id:{request_id};ts:{ts};").as_bytes());
    let digest = mac.finalize().into_bytes();
    v1 == hex::encode(digest)
}

#[tokio::test]
async fn a_paid_preference_notifies_with_a_signature_that_verifies() {
    let mp = Mp::start().await;
    let (url, mut notifications) = receiver().await;
    let body = json!({"items": [
        {"title": "Court", "quantity": 2, "unit_price": 450.5, "currency_id": "ARS"},
        {"title": "Balls", "quantity": 1, "unit_price": 10, "currency_id": "ARS"}],
        "notification_url": url, "external_reference": "booking-7", "auto_return": "approved"});
    let preference = mp.post_as(SELLER, PREFERENCES, &body).await;
    let id = preference.1["id"].as_str().unwrap();
    let init_point = format!("{}/checkout/v1/redirect?pref-id={id}", mp.base);
    let expected = json!({"collector_id": 424242, "notification_url": url,
                          "init_point": init_point, "auto_return": "approved"});
    check(&preference, 201, expected);
    assert!(id.starts_with("424242-"), "{id}");
    assert_eq!(preference.1["items"][0]["unit_price"], 450.5);
    let path = format!("{PREFERENCES}/{id}");
    check(&mp.get(&path).await, 200, json!({"id": id}));
    let other = mp.get_as("TEST-other-1", &path).await;
    check(&other, 404, json!({"error": "not_found"}));

    let pay = format!("/preferences/{id}/pay");
    let paid = mp.standin(Method::POST, &pay, json!({})).await;
    check(&paid, 201, json!({"notification": {"status": 200}}));
    let expected = json!({"status": "approved", "status_detail": "accredited",
                          "transaction_amount": 911.0, "transaction_amount_refunded": 0.0,
                          "currency_id": "ARS", "external_reference": "booking-7"});
    check(&(201, paid.1["payment"].clone()), 201, expected.clone());
    let payment_id = paid.1["payment"]["id"].as_u64().unwrap().to_string();

    let notification = notifications.recv().await.unwrap();
    let query = format!("venue=v1&data.id={payment_id}&type=payment");
    assert_eq!(notification.query, query);
    assert!(signature_verifies(&notification, &payment_id));
    let body = json!({"action": "payment.created", "api_version": "v1", "type": "payment",
                      "data": {"id": payment_id}, "live_mode": false, "user_id": "424242"});
    check(&(200, notification.body.clone()), 200, body);

    let path = format!("/v1/payments/{payment_id}");
    let read = mp.get(&path).await;
    check(&read, 200, expected);
    assert!(read.1["date_approved"].is_string());
    check(&mp.get_as("APP_USR-other-1", &path).await, 404, json!({}));

    let notify = format!("/payments/{payment_id}/notify");
    let again = mp.standin(Method::POST, &notify, json!({})).await;
    check(&again, 200, json!({"notification": {"status": 200}}));
    let second = notifications.recv().await.unwrap();
    let request_id = &notification.headers["x-request-id"];
    assert_ne!(&second.headers["x-request-id"], request_id);
    assert!(signature_verifies(&second, &payment_id));

    let rejected = json!({"status": "rejected", "transaction_amount": 5.25, "notify": false});
    let rejected = mp.standin(Method::POST, &pay, rejected).await;
    check(&rejected, 201, json!({"notification": null}));
    let expected = json!({"status": "rejected", "transaction_amount": 5.25});
    check(&(201, rejected.1["payment"].clone()), 201, expected);
    let unknown = mp
        .standin(Method::POST, "/preferences/x/pay", json!({}))
        .await;
    check(&unknown, 404, json!({}));
}

#[tokio::test]
async fn preferences_are_validated() {
    let mp = Mp::start().await;
    let error = json!({"error": "bad_request", "status": 400, "cause": []});
    let items = [
        json!([]),
        json!([{"quantity": 0, "unit_price": 1, "currency_id": "ARS"}]),
        json!([{"quantity": 1, "unit_price": 0, "currency_id": "ARS"}]),
        json!([{"quantity": 1, "unit_price": 1}]),
    ];
    for items in items {
        let body = json!({"items": items});
        check(
            &mp.post_as(SELLER, PREFERENCES, &body).await,
            400,
            error.clone(),
        );
    }
}

#[tokio::test]
async fn refunds_are_idempotent_by_key_and_partial_then_the_rest() {
    let mp = Mp::start().await;
    let payment = mp.paid(100.0).await;
    let path = format!("/v1/payments/{payment}");
    let first = mp.refund(&payment, "k1", json!({"amount": 30.5})).await;
    let expected = json!({"amount": 30.5, "status": "approved", "payment_id": payment});
    check(&first, 201, expected);
    let again = mp.refund(&payment, "k1", json!({"amount": 30.5})).await;
    check(&again, 201, json!({"id": first.1["id"]}));
    let expected = json!({"status": "approved", "transaction_amount_refunded": 30.5});
    check(&mp.get(&path).await, 200, expected);

    let too_much = mp.refund(&payment, "k2", json!({"amount": 70})).await;
    check(&too_much, 400, json!({"error": "bad_request"}));
    let rest = mp.refund(&payment, "k3", json!({})).await;
    check(&rest, 201, json!({"amount": 69.5}));
    let expected = json!({"status": "refunded", "transaction_amount_refunded": 100.0});
    check(&mp.get(&path).await, 200, expected);
    let listed = mp.get(&format!("{path}/refunds")).await;
    assert_eq!(listed.1.as_array().unwrap().len(), 2);
    check(&mp.refund(&payment, "k4", json!({})).await, 400, json!({}));

    let path = format!("/payments/{}/status", mp.paid(40.0).await);
    let refunded = json!({"status": "refunded"});
    let refunded = mp.standin(Method::POST, &path, refunded).await;
    let no_url = json!({"error": "the preference has no notification_url"});
    check(&refunded, 200, json!({"notification": no_url}));
    let expected = json!({"status": "refunded", "transaction_amount_refunded": 40.0});
    check(&(200, refunded.1["payment"].clone()), 200, expected);
    let path = format!("/payments/{}/status", mp.paid(40.0).await);
    let charged_back = json!({"status": "charged_back", "notify": false});
    let changed = mp.standin(Method::POST, &path, charged_back).await;
    assert_eq!(changed.1["payment"]["status"], "charged_back");
}

#[tokio::test]
async fn oauth_code_with_pkce_then_single_use_refresh_tokens() {
    let mp = Mp::start().await;
    let verifier = "a-verifier-of-at-least-forty-three-characters-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier));
    let redirect = "http://127.0.0.1:9/oauth/mercadopago/callback";
    let authorize = |client: &str| {
        let query = format!(
            "client_id={client}&response_type=code&platform_id=mp&state=st%20ate&\
             redirect_uri={redirect}&code_challenge={challenge}&code_challenge_method=S256"
        );
        mp.request(Method::GET, &format!("/authorization?{query}"))
            .send()
    };
    assert_eq!(authorize("nobody").await.unwrap().status(), 400);
    let answer = authorize("4242").await.unwrap();
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap();
    let query = location.strip_prefix(&format!("{redirect}?")).unwrap();
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    assert_eq!(params[1], ("state".to_string(), "st ate".to_string()));
    let code = params[0].1.as_str();
    assert!(code.starts_with("TG-"));

    let exchange = |secret: &str, verifier: &str| {
        let form = [
            ("client_id", "4242"),
            ("client_secret", secret),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ];
        mp.send(mp.request(Method::POST, "/oauth/token").form(&form))
    };
    let invalid_grant = json!({"error": "invalid_grant", "status": 400});
    let wrong_verifier = exchange("client-secret", "not-the-verifier").await;
    check(&wrong_verifier, 400, invalid_grant.clone());
    let wrong_client = exchange("wrong-secret", verifier).await;
    check(
        &wrong_client,
        401,
        json!({"error": "invalid_client", "status": 401}),
    );
    let tokens = exchange("client-secret", verifier).await;
    let expected = json!({"token_type": "Bearer", "expires_in": 15552000, "live_mode": false,
                          "scope": "offline_access read write"});
    check(&tokens, 200, expected);
    let tokens = tokens.1;
    assert!(
        tokens["public_key"]
            .as_str()
            .unwrap()
            .starts_with("APP_USR-")
    );
    let access = tokens["access_token"].as_str().unwrap();
    let item = json!({"title": "x", "quantity": 1, "unit_price": 1, "currency_id": "BRL"});
    let preference = mp
        .post_as(access, PREFERENCES, &json!({"items": [item]}))
        .await;
    check(&preference, 201, json!({"collector_id": tokens["user_id"]}));
    let reused = exchange("client-secret", verifier).await;
    check(&reused, 400, invalid_grant.clone());

    let refresh = |token: &Value| {
        let body = json!({"client_id": "4242", "client_secret": "client-secret",
                          "grant_type": "refresh_token", "refresh_token": token});
        mp.send(mp.request(Method::POST, "/oauth/token").json(&body))
    };
    let renewed = refresh(&tokens["refresh_token"]).await;
    check(&renewed, 200, json!({"user_id": tokens["user_id"]}));
    assert_ne!(renewed.1["refresh_token"], tokens["refresh_token"]);
    check(&refresh(&tokens["refresh_token"]).await, 400, invalid_grant);
    check(&refresh(&renewed.1["refresh_token"]).await, 200, json!({}));
}

#[tokio::test]
async fn faults_auth_and_the_request_log() {
    let mp = Mp::start().await;
    let item = json!({"title": "x", "quantity": 1, "unit_price": 1, "currency_id": "ARS"});
    let body = json!({"items": [item]});
    let create = |token: &'static str| mp.post_as(token, PREFERENCES, &body);
    let fault = json!({"path_prefix": PREFERENCES, "status": 503, "times": 1});
    let added = mp.standin(Method::POST, "/faults", fault).await;
    check(&added, 201, json!({"times": 1}));
    let unavailable = json!({"status": 503, "error": "service_unavailable", "cause": []});
    check(&create(SELLER).await, 503, unavailable);
    check(&create(SELLER).await, 201, json!({}));

    let fault = json!({"path_prefix": "/checkout", "delay_ms": 300});
    mp.standin(Method::POST, "/faults", fault).await;
    for _ in 0..2 {
        let started = Instant::now();
        check(&create(SELLER).await, 201, json!({}));
        assert!(started.elapsed() >= Duration::from_millis(300));
    }
    mp.standin(Method::DELETE, "/faults", Value::Null).await;
    let started = Instant::now();
    create(SELLER).await;
    assert!(started.elapsed() < Duration::from_millis(300));

    let unauthorized =
        json!({"message": "invalid access token", "error": "unauthorized", "status": 401});
    let anonymous = mp.request(Method::POST, PREFERENCES).json(&body);
    check(&mp.send(anonymous).await, 401, unauthorized.clone());
    check(&create("not-a-token").await, 401, unauthorized.clone());
    check(&create("TEST-revoked-77").await, 201, json!({}));
    let revoke = json!({"access_token": "TEST-revoked-77"});
    let revoked = mp.standin(Method::POST, "/tokens/revoke", revoke).await;
    assert_eq!(revoked.0, 204);
    check(&create("TEST-revoked-77").await, 401, unauthorized);

    let payment = mp.paid(10.0).await;
    mp.refund(&payment, "key-1", json!({"amount": 1})).await;
    let (_, requests) = mp.standin(Method::GET, "/requests", Value::Null).await;
    let requests = requests.as_array().unwrap();
    assert!(!requests.iter().any(|r| r.to_string().contains(SELLER)));
    let paths = requests.iter().map(|r| r["path"].as_str().unwrap());
    assert!(!paths.clone().any(|path| path.starts_with("/_standin")));
    let first = json!({"method": "POST", "path": PREFERENCES, "query": null, "body": body});
    check(&(0, requests[0].clone()), 0, first);
    let path = format!("/v1/payments/{payment}/refunds");
    let last = json!({"path": path, "idempotency_key": "key-1", "body": {"amount": 1}});
    check(&(0, requests.last().unwrap().clone()), 0, last);
    mp.standin(Method::DELETE, "/requests", Value::Null).await;
    let cleared = mp.standin(Method::GET, "/requests", Value::Null).await;
    assert_eq!(cleared.1, json!([]));
}
