//! A local stand-in for Mercado Pago: checkout preferences, payments, refunds and OAuth at Mercado
//! Pago's own paths and shapes, in memory, plus `/_standin/` routes to pay, notify and inject faults.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The platform's application at Mercado Pago (no `Debug`: it holds secrets).
pub struct Config {
    pub client_id: String,
    pub client_secret: String,
    pub webhook_secret: String,
}

impl Config {
    /// `HOLDFAST_MERCADOPAGO_{CLIENT_ID,CLIENT_SECRET,WEBHOOK_SECRET}`, else the dev defaults.
    pub fn from_env() -> Self {
        let var = |name: &str, default: &str| {
            let value = std::env::var(format!("HOLDFAST_MERCADOPAGO_{name}")).ok();
            value.filter(|v| !v.is_empty()).unwrap_or(default.into())
        };
        Config {
            client_id: var("CLIENT_ID", "holdfast-dev-client"),
            client_secret: var("CLIENT_SECRET", "holdfast-dev-client-secret"),
            webhook_secret: var("WEBHOOK_SECRET", "holdfast-dev-webhook-secret"),
        }
    }
}

/// Every refusal: Mercado Pago's `{message, error, status, cause}` (`error` named after the
/// status), or OAuth's `{error, message, status}` at `/oauth/token`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{1}")]
    Api(StatusCode, String),
    #[error("{1}")]
    OAuth(&'static str, String),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, error) = match &self {
            Error::Api(status, _) => {
                let reason = status.canonical_reason().unwrap_or("error");
                (*status, reason.to_ascii_lowercase().replace(' ', "_"))
            }
            Error::OAuth(error, _) => match *error {
                "invalid_client" => (StatusCode::UNAUTHORIZED, error.to_string()),
                _ => (StatusCode::BAD_REQUEST, error.to_string()),
            },
        };
        let code = status.as_u16();
        let mut body = json!({"message": self.to_string(), "error": error, "status": code});
        if let Error::Api(..) = self {
            body["cause"] = json!([]);
        }
        reply(status, body)
    }
}

type Reply = Result<Response, Error>;

fn reply(status: StatusCode, body: Value) -> Response {
    let json = [(header::CONTENT_TYPE, "application/json")];
    (status, json, body.to_string()).into_response()
}

fn bad(message: impl Into<String>) -> Error {
    Error::Api(StatusCode::BAD_REQUEST, message.into())
}

fn missing(what: &str) -> Error {
    Error::Api(StatusCode::NOT_FOUND, format!("{what} not found"))
}

fn oauth(error: &'static str, message: &str) -> Error {
    Error::OAuth(error, message.into())
}

/// A payment status's `status_detail`; `None` for what is not a payment status.
fn status_detail(status: &str) -> Option<&'static str> {
    Some(match status {
        "approved" => "accredited",
        "rejected" => "cc_rejected_other_reason",
        "cancelled" => "expired",
        "refunded" => "refunded",
        "charged_back" => "settled",
        "pending" => "pending_waiting_payment",
        "in_process" => "pending_contingency",
        _ => return None,
    })
}

/// Mercado Pago's payment object, and what the stand-in keeps beside it.
struct Payment {
    json: Value,
    notification_url: Option<String>,
    action: &'static str,
    refunds_by_key: HashMap<String, Value>,
}

impl Payment {
    fn cents(&self, field: &str) -> i64 {
        self.json[field].as_f64().and_then(cents).unwrap_or(0)
    }

    fn rest(&self) -> i64 {
        self.cents("transaction_amount") - self.cents("transaction_amount_refunded")
    }

    fn set_status(&mut self, status: &str) {
        let (json, at) = (&mut self.json, now());
        if status == "approved" && json["date_approved"].is_null() {
            json["date_approved"] = json!(at);
        }
        json["status"] = json!(status);
        json["status_detail"] = json!(status_detail(status));
        json["date_last_updated"] = json!(at);
    }

    fn refund(&mut self, id: u64, amount: i64) -> Value {
        let refund = json!({"id": id, "payment_id": self.json["id"], "amount": money(amount),
                            "status": "approved", "refund_mode": "standard", "date_created": now()});
        let refunded = self.cents("transaction_amount_refunded") + amount;
        self.json["transaction_amount_refunded"] = money(refunded);
        self.json["date_last_updated"] = refund["date_created"].clone();
        if let Some(refunds) = self.json["refunds"].as_array_mut() {
            refunds.push(refund.clone());
        }
        if self.rest() <= 0 {
            self.set_status("refunded");
        }
        self.action = "payment.updated";
        refund
    }
}

/// An authorization code's terms.
struct Grant {
    redirect_uri: String,
    challenge: Option<String>,
    user_id: u64,
    issued: Instant,
}

#[derive(Clone, Deserialize, Serialize)]
struct Fault {
    path_prefix: String,
    #[serde(default)]
    delay_ms: u64,
    status: Option<u16>,
    times: Option<u32>,
}

#[derive(Default)]
struct Inner {
    preferences: HashMap<String, Value>,
    payments: BTreeMap<u64, Payment>,
    counter: u64,
    codes: HashMap<String, Grant>,
    refresh_tokens: HashMap<String, u64>,
    revoked: HashSet<String>,
    faults: Vec<Fault>,
    requests: Vec<Value>,
}

impl Inner {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// The payment `id`, if `seller` (when given) collects it.
    fn payment(&mut self, id: &str, seller: Option<u64>) -> Result<&mut Payment, Error> {
        let id = id.parse::<u64>().unwrap_or_default();
        let payment = self.payments.get_mut(&id);
        let payment = payment.filter(|p| seller.is_none_or(|s| p.json["collector_id"] == s));
        payment.ok_or_else(|| missing("payment"))
    }

    /// The first fault whose prefix matches, counted down (and dropped when used up).
    fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let matches = |f: &Fault| path.starts_with(&f.path_prefix);
        let at = self.faults.iter().position(matches)?;
        let fault = self.faults[at].clone();
        if let Some(times) = &mut self.faults[at].times {
            *times -= 1;
        }
        if self.faults[at].times == Some(0) {
            self.faults.remove(at);
        }
        Some(fault)
    }
}

struct Shared {
    config: Config,
    base_url: String,
    http: reqwest::Client,
    inner: Mutex<Inner>,
}

#[derive(Clone)]
struct App(Arc<Shared>);

impl App {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        let inner = self.0.inner.lock();
        inner.unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The collector behind the request's bearer token: any `APP_USR-`/`TEST-` token not revoked.
struct Seller(u64);

impl FromRequestParts<App> for Seller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Error> {
        let value = header_of(&parts.headers, header::AUTHORIZATION.as_str());
        let (scheme, token) = value.split_once(' ').unwrap_or_default();
        let token = if scheme.eq_ignore_ascii_case("bearer") {
            token.trim()
        } else {
            ""
        };
        let known = token.starts_with("APP_USR-") || token.starts_with("TEST-");
        if !known || app.lock().revoked.contains(token) {
            let message = "invalid access token".into();
            return Err(Error::Api(StatusCode::UNAUTHORIZED, message));
        }
        Ok(Seller(number_of(token)))
    }
}

/// A JSON body, or a form body when the request says so; an empty body reads as `{}`.
struct Parsed<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Parsed<T> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Error> {
        let form = header_of(request.headers(), "content-type").contains("form-urlencoded");
        let bytes = Bytes::from_request(request, state).await;
        let bytes = bytes.map_err(|e| bad(e.body_text()))?;
        let parsed = parse(form, &bytes).map_err(|e| bad(format!("invalid body: {e}")));
        parsed.map(Parsed)
    }
}

fn parse<T: DeserializeOwned>(form: bool, bytes: &[u8]) -> Result<T, String> {
    match bytes.trim_ascii() {
        [] => serde_json::from_slice(b"{}").map_err(|e| e.to_string()),
        bytes if form => serde_urlencoded::from_bytes(bytes).map_err(|e| e.to_string()),
        bytes => serde_json::from_slice(bytes).map_err(|e| e.to_string()),
    }
}

fn header_of<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    let value = headers.get(name).map(|v| v.to_str());
    value.and_then(Result::ok).unwrap_or_default()
}

/// A token's (or client id's) number: its last `-` part when that is digits, as in Mercado
/// Pago's own tokens (`APP_USR-…-{user_id}`), else a number hashed from the whole.
fn number_of(text: &str) -> u64 {
    let last = text.rsplit('-').next().unwrap_or_default();
    match last.parse::<u64>() {
        Ok(n) if n > 0 && last.len() <= 15 && last.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => {
            let digest = Sha256::digest(text.as_bytes());
            let n = digest.iter().take(8).fold(0, |n, b| n << 8 | u64::from(*b));
            100_000_000 + n % 900_000_000
        }
    }
}

fn now() -> String {
    let now = jiff::Timestamp::now();
    now.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

fn money(cents: i64) -> Value {
    json!(cents as f64 / 100.0)
}

fn cents(amount: f64) -> Option<i64> {
    amount.is_finite().then(|| (amount * 100.0).round() as i64)
}

fn random_hex(len: usize) -> String {
    let mut hex = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    hex.truncate(len);
    hex
}

/// Serves the stand-in on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    let base_url = format!("http://{}", listener.local_addr()?);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5));
    let http = http.build().map_err(std::io::Error::other)?;
    let inner = Mutex::default();
    let app = App(Arc::new(Shared {
        config,
        base_url,
        http,
        inner,
    }));
    let router = Router::new()
        .route("/checkout/preferences", post(create_preference))
        .route("/checkout/preferences/{id}", get(get_preference))
        .route("/v1/payments/{id}", get(get_payment))
        .route("/v1/payments/{id}/refunds", post(refund).get(refunds))
        .route("/authorization", get(authorize))
        .route("/oauth/token", post(token))
        .route("/_standin/preferences/{id}/pay", post(pay))
        .route("/_standin/payments/{id}/notify", post(redeliver))
        .route("/_standin/payments/{id}/status", post(set_status))
        .route("/_standin/faults", post(add_fault).delete(clear_faults))
        .route("/_standin/requests", get(requests).delete(clear_requests))
        .route("/_standin/tokens/revoke", post(revoke))
        .fallback(|| async { missing("resource") })
        .layer(from_fn_with_state(app.clone(), observe))
        .with_state(app);
    axum::serve(listener, router).await
}

/// Records every API request (never its Authorization header), then applies a matching fault.
async fn observe(State(app): State<App>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/_standin/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return bad("body too large or unreadable").into_response();
    };
    let form = header_of(&parts.headers, "content-type").contains("form-urlencoded");
    let text = || Value::String(String::from_utf8_lossy(&bytes).into());
    let mut parsed = parse(form, &bytes).unwrap_or_else(|_| text());
    if bytes.is_empty() {
        parsed = Value::Null;
    }
    for secret in ["client_secret", "refresh_token"] {
        if let Some(value) = parsed.get_mut(secret) {
            *value = json!("[redacted]");
        }
    }
    let key = header_of(&parts.headers, "x-idempotency-key");
    let record = json!({"method": parts.method.as_str(), "path": path, "query": parts.uri.query(),
                        "idempotency_key": (!key.is_empty()).then_some(key), "body": parsed});
    tracing::debug!(method = %parts.method, path, "request");
    let fault = {
        let mut inner = app.lock();
        inner.requests.push(record);
        inner.take_fault(&path)
    };
    if let Some(fault) = fault {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
        if let Some(status) = fault.status.and_then(|s| StatusCode::from_u16(s).ok()) {
            return Error::Api(status, "fault injected by the stand-in".into()).into_response();
        }
    }
    let request = Request::from_parts(parts, Body::from(bytes));
    next.run(request).await
}

#[derive(Deserialize)]
struct Item {
    quantity: Option<i64>,
    unit_price: Option<f64>,
    currency_id: Option<String>,
}

/// The items' total in cents and their one currency, or why they are refused.
fn total(items: &Value) -> Result<(i64, String), Error> {
    let items = serde_json::from_value::<Vec<Item>>(items.clone());
    let (mut total, mut currencies) = (0, HashSet::new());
    for item in items.map_err(|e| bad(format!("items invalid: {e}")))? {
        let quantity = item.quantity.filter(|q| *q >= 1);
        let quantity = quantity.ok_or(bad("quantity invalid"))?;
        let price = item.unit_price.and_then(cents).filter(|c| *c > 0);
        total += quantity * price.ok_or(bad("unit_price invalid"))?;
        let currency = item.currency_id.filter(|c| !c.is_empty());
        currencies.insert(currency.ok_or(bad("currency_id invalid"))?);
    }
    match currencies.len() {
        0 => Err(bad("items must not be empty")),
        1 => Ok((total, currencies.into_iter().collect())),
        _ => Err(bad("items must all have the same currency_id")),
    }
}

async fn create_preference(State(app): State<App>, s: Seller, Parsed(raw): Parsed<Value>) -> Reply {
    total(&raw["items"])?;
    let url = raw["notification_url"].as_str().unwrap_or("http://");
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err(bad("notification_url attribute must be url valid"));
    }
    let id = format!("{}-{}", s.0, Uuid::new_v4());
    let init_point = format!("{}/checkout/v1/redirect?pref-id={id}", app.0.base_url);
    let mut answer = json!({"id": id, "init_point": init_point, "sandbox_init_point": init_point,
                            "collector_id": s.0, "client_id": app.0.config.client_id,
                            "items": raw["items"], "operation_type": "regular_payment",
                            "date_created": now()});
    let echoed = json!({"external_reference": "", "notification_url": null, "back_urls": {},
                        "auto_return": "", "expires": false, "expiration_date_from": null,
                        "expiration_date_to": null, "metadata": {}});
    for (field, default) in echoed.as_object().into_iter().flatten() {
        answer[field] = raw.get(field).unwrap_or(default).clone();
    }
    app.lock().preferences.insert(id, answer.clone());
    Ok(reply(StatusCode::CREATED, answer))
}

async fn get_preference(State(app): State<App>, s: Seller, Path(id): Path<String>) -> Reply {
    let inner = app.lock();
    let found = inner.preferences.get(&id);
    let found = found.filter(|p| p["collector_id"] == s.0);
    let found = found.ok_or(missing("preference"))?.clone();
    Ok(reply(StatusCode::OK, found))
}

async fn get_payment(State(app): State<App>, s: Seller, Path(id): Path<String>) -> Reply {
    let json = app.lock().payment(&id, Some(s.0))?.json.clone();
    Ok(reply(StatusCode::OK, json))
}

async fn refunds(State(app): State<App>, s: Seller, Path(id): Path<String>) -> Reply {
    let json = app.lock().payment(&id, Some(s.0))?.json["refunds"].clone();
    Ok(reply(StatusCode::OK, json))
}

#[derive(Deserialize)]
struct RefundRequest {
    amount: Option<f64>,
}

/// A refund in full (no amount) or in part; the same `X-Idempotency-Key` gets the same refund.
async fn refund(
    State(app): State<App>,
    s: Seller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Parsed(request): Parsed<RefundRequest>,
) -> Reply {
    let key = Some(header_of(&headers, "x-idempotency-key")).filter(|k| !k.is_empty());
    let mut inner = app.lock();
    let refund_id = 2_000_000_000 + inner.next();
    let payment = inner.payment(&id, Some(s.0))?;
    if let Some(done) = key.and_then(|key| payment.refunds_by_key.get(key)) {
        return Ok(reply(StatusCode::CREATED, done.clone()));
    }
    if payment.json["status"] != "approved" {
        let message = "The action requested is not valid for the current payment state";
        return Err(bad(message));
    }
    let amount = request.amount.map_or(Some(payment.rest()), cents);
    let amount = amount.filter(|a| (1..=payment.rest()).contains(a));
    let amount = amount.ok_or(bad("amount must be positive and at most what remains"))?;
    let refund = payment.refund(refund_id, amount);
    if let Some(key) = key {
        payment.refunds_by_key.insert(key.into(), refund.clone());
    }
    Ok(reply(StatusCode::CREATED, refund))
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: Option<String>,
    response_type: Option<String>,
    state: Option<String>,
    redirect_uri: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// The seller's consent page, approved at once: back to `redirect_uri` with a code.
async fn authorize(State(app): State<App>, Query(q): Query<AuthorizeQuery>) -> Reply {
    if q.client_id.as_deref() != Some(app.0.config.client_id.as_str()) {
        return Err(bad("invalid client_id"));
    }
    let redirect_uri = q.redirect_uri.filter(|u| u.starts_with("http"));
    let redirect_uri = redirect_uri.ok_or(bad("redirect_uri invalid"))?;
    let pkce = q.code_challenge.is_none() || q.code_challenge_method.as_deref() == Some("S256");
    if q.response_type.as_deref() != Some("code") || !pkce {
        return Err(bad("needs response_type code, code_challenge_method S256"));
    }
    let mut inner = app.lock();
    let user_id = 300_000_000 + inner.next();
    let code = format!("TG-{}-{user_id}", random_hex(24));
    let params = [("code", Some(code.clone())), ("state", q.state)];
    let query = serde_urlencoded::to_string(params).map_err(|e| bad(e.to_string()))?;
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{query}");
    let (challenge, issued) = (q.code_challenge, Instant::now());
    let grant = Grant {
        redirect_uri,
        challenge,
        user_id,
        issued,
    };
    inner.codes.insert(code, grant);
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

#[derive(Deserialize)]
struct TokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

/// `authorization_code` (with PKCE when the authorization had a challenge) or `refresh_token`;
/// codes and refresh tokens are single use, codes live 10 minutes.
async fn token(State(app): State<App>, request: Result<Parsed<TokenRequest>, Error>) -> Reply {
    let Parsed(request) = request.map_err(|_| oauth("invalid_request", "malformed body"))?;
    let config = &app.0.config;
    let id_ok = request.client_id.as_ref() == Some(&config.client_id);
    if !id_ok || request.client_secret.as_ref() != Some(&config.client_secret) {
        return Err(oauth("invalid_client", "invalid client credentials"));
    }
    let mut inner = app.lock();
    let user_id = match request.grant_type.as_deref() {
        Some("authorization_code") => {
            let code = request.code.unwrap_or_default();
            let grant = inner.codes.get(&code);
            let grant = grant.filter(|g| g.issued.elapsed().as_secs() < 600);
            let grant = grant.ok_or(oauth("invalid_grant", "invalid or expired code"))?;
            let verifier = request.code_verifier.unwrap_or_default();
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            let pkce_ok = grant.challenge.as_ref().is_none_or(|c| *c == computed);
            let pkce_ok = pkce_ok && (grant.challenge.is_none() || !verifier.is_empty());
            if request.redirect_uri.as_ref() != Some(&grant.redirect_uri) || !pkce_ok {
                let message = "redirect_uri or code_verifier do not match";
                return Err(oauth("invalid_grant", message));
            }
            let user_id = grant.user_id;
            inner.codes.remove(&code);
            user_id
        }
        Some("refresh_token") => {
            let token = request.refresh_token.unwrap_or_default();
            let token = inner.refresh_tokens.remove(&token);
            token.ok_or(oauth("invalid_grant", "invalid refresh_token"))?
        }
        _ => return Err(oauth("unsupported_grant_type", "unsupported grant_type")),
    };
    let stamp = jiff::Timestamp::now().strftime("%m%d%H");
    let app_number = number_of(&config.client_id);
    let access_token = format!("APP_USR-{app_number}-{stamp}-{}-{user_id}", random_hex(32));
    let refresh_token = format!("TG-{}-{user_id}", random_hex(24));
    inner.refresh_tokens.insert(refresh_token.clone(), user_id);
    tracing::info!(user_id, "issued an access token");
    let public_key = format!("APP_USR-{}", Uuid::new_v4());
    let tokens = json!({"access_token": access_token, "token_type": "Bearer",
                        "expires_in": 15_552_000, "scope": "offline_access read write",
                        "user_id": user_id, "refresh_token": refresh_token,
                        "public_key": public_key, "live_mode": false});
    Ok(reply(StatusCode::OK, tokens))
}

#[derive(Deserialize)]
struct PayRequest {
    status: Option<String>,
    transaction_amount: Option<f64>,
    currency_id: Option<String>,
    notify: Option<bool>,
}

/// The buyer pays the preference `id`: a payment in `status`, then its notification.
async fn pay(
    State(app): State<App>,
    Path(id): Path<String>,
    Parsed(request): Parsed<PayRequest>,
) -> Reply {
    let status = request.status.as_deref().unwrap_or("approved");
    if status_detail(status).is_none() || matches!(status, "refunded" | "charged_back") {
        let message = "status must be approved, rejected, cancelled, pending or in_process";
        return Err(bad(message));
    }
    let payment_id = {
        let mut inner = app.lock();
        let preference = inner.preferences.get(&id).ok_or(missing("preference"))?;
        let (total, currency) = total(&preference["items"])?;
        let amount = request.transaction_amount.map_or(Some(total), cents);
        let amount = amount.filter(|c| *c > 0);
        let amount = amount.ok_or(bad("transaction_amount invalid"))?;
        let (payment_id, created) = (1_000_000_001 + inner.payments.len() as u64, now());
        let json = json!({"id": payment_id, "transaction_amount": money(amount),
            "transaction_amount_refunded": 0.0, "currency_id": request.currency_id.unwrap_or(currency),
            "external_reference": preference["external_reference"],
            "metadata": preference["metadata"], "collector_id": preference["collector_id"],
            "date_created": created, "date_approved": null, "date_last_updated": created,
            "operation_type": "regular_payment", "payment_method_id": "account_money",
            "payment_type_id": "account_money", "live_mode": false, "refunds": []});
        let notification_url = preference["notification_url"].as_str().map(String::from);
        let (action, refunds_by_key) = ("payment.created", HashMap::new());
        let payment = Payment {
            json,
            notification_url,
            action,
            refunds_by_key,
        };
        let mut payment = payment;
        payment.set_status(status);
        inner.payments.insert(payment_id, payment);
        payment_id
    };
    let (id, status) = (payment_id.to_string(), StatusCode::CREATED);
    notified(&app, &id, request.notify, status).await
}

async fn redeliver(State(app): State<App>, Path(id): Path<String>) -> Reply {
    notified(&app, &id, None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct StatusRequest {
    status: String,
    notify: Option<bool>,
}

/// As if the seller refunded from Mercado Pago's panel, or the buyer's bank charged back.
async fn set_status(
    State(app): State<App>,
    Path(id): Path<String>,
    Parsed(request): Parsed<StatusRequest>,
) -> Reply {
    let status = request.status.as_str();
    if status_detail(status).is_none() {
        return Err(bad(format!("{status} is not a payment status")));
    }
    {
        let mut inner = app.lock();
        let refund_id = 2_000_000_000 + inner.next();
        let payment = inner.payment(&id, None)?;
        if status == "refunded" && payment.rest() > 0 {
            payment.refund(refund_id, payment.rest());
        }
        payment.set_status(status);
        payment.action = "payment.updated";
    }
    notified(&app, &id, request.notify, StatusCode::OK).await
}

/// Answers `{payment, notification}`, notifying first unless told not to.
async fn notified(app: &App, id: &str, notify: Option<bool>, status: StatusCode) -> Reply {
    let notification = match notify {
        Some(false) => Value::Null,
        _ => send_notification(app, id).await?,
    };
    let payment = app.lock().payment(id, None)?.json.clone();
    let answer = json!({"payment": payment, "notification": notification});
    Ok(reply(status, answer))
}

/// POSTs the payment's notification, signed as Mercado Pago signs it; answers what came of it.
async fn send_notification(app: &App, id: &str) -> Result<Value, Error> {
    let (url, body) = {
        let mut inner = app.lock();
        let notification_id = inner.next();
        let payment = inner.payment(id, None)?;
        let body = json!({"action": payment.action, "api_version": "v1", "data": {"id": id},
                          "date_created": now(), "id": notification_id, "live_mode": false,
                          "type": "payment", "user_id": payment.json["collector_id"].to_string()});
        (payment.notification_url.clone(), body)
    };
    let Some(url) = url else {
        return Ok(json!({"error": "the preference has no notification_url"}));
    };
    let request_id = Uuid::new_v4().to_string();
    let ts = jiff::Timestamp::now().as_second();
    let mac = Hmac::<Sha256>::new_from_slice(app.0.config.webhook_secret.as_bytes());
    let mut mac = mac.map_err(|e| bad(e.to_string()))?;
    mac.update(format!("id:{id};request-id:{request_id};ts:{ts};").as_bytes());
    let digest = mac.finalize().into_bytes();
    let v1: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let separator = match url.contains('?') {
        true if url.ends_with(['?', '&']) => "",
        true => "&",
        false => "?",
    };
    let target = format!("{url}{separator}data.id={id}&type=payment");
    let request = app.0.http.post(target).header("x-request-id", request_id);
    let signature = format!("ts={ts},v1={v1}");
    let request = request.header("x-signature", signature).json(&body);
    let sent = request.send().await;
    Ok(match sent {
        Ok(answer) => {
            tracing::info!(payment = id, status = answer.status().as_u16(), "notified");
            json!({"status": answer.status().as_u16()})
        }
        Err(e) => {
            tracing::warn!(payment = id, "notification not delivered");
            json!({"error": e.to_string()})
        }
    })
}

async fn add_fault(State(app): State<App>, Parsed(fault): Parsed<Fault>) -> Reply {
    let status_ok = fault.status.is_none_or(|s| StatusCode::from_u16(s).is_ok());
    if !status_ok || fault.times == Some(0) {
        return Err(bad("status must be an HTTP status and times at least 1"));
    }
    app.lock().faults.push(fault.clone());
    Ok(reply(StatusCode::CREATED, json!(fault)))
}

async fn clear_faults(State(app): State<App>) -> StatusCode {
    app.lock().faults.clear();
    StatusCode::NO_CONTENT
}

async fn requests(State(app): State<App>) -> Response {
    reply(StatusCode::OK, json!(app.lock().requests))
}

async fn clear_requests(State(app): State<App>) -> StatusCode {
    app.lock().requests.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Revoke {
    access_token: String,
}

async fn revoke(State(app): State<App>, Parsed(revoke): Parsed<Revoke>) -> StatusCode {
    app.lock().revoked.insert(revoke.access_token);
    StatusCode::NO_CONTENT
}
