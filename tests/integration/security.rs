//! The security matrix, generated from openapi.yaml at run time: every operation is called as
//! no token, a customer, an admin of another organisation, the venue's admin and the booking's
//! owner, and answers as docs/api.md says (Errors, Callers, Routes): 401 `UNAUTHENTICATED`
//! without a token, 403 `FORBIDDEN` for a customer or another tenant's admin on an admin route,
//! 404 `NOT_FOUND` for a booking that is not yours, a success for whoever the route is for; and
//! no answer shows a customer's email or phone to anyone else. A route added to openapi.yaml is
//! called without a change here (unless its body needs a line in [`BODIES`], which the failure
//! asks for). Also: the tokens the local verifier must refuse.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use holdfast_tests::{
    Api, DAY, FeedReply, FeedServer, NO_EVENTS, Reply, Who, airbnb_feed, shared, signed_token,
    stripe_account, unique_email, unsigned_token,
};
use serde_json::{Value, json};

const OPENAPI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");

/// The day after [`DAY`]: where the ranges asked for end (exclusive).
const NEXT_DAY: &str = "2031-12-03";

/// Bodies of the operations whose body has no example in openapi.yaml, by operationId: keep
/// it tiny (an example in openapi.yaml is better), each the least the route takes.
const BODIES: &[(&str, &str)] = &[
    (
        "stripe-webhook",
        r#"{"id": "evt_matrix", "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_matrix", "object": "payment_intent"}}}"#,
    ),
    (
        "mercadopago-webhook",
        r#"{"action": "payment.updated", "type": "payment", "data": {"id": "123456789"}}"#,
    ),
];

/// Values of required query parameters by name, where no fixture names one.
const QUERY: &[(&str, &str)] = &[("from", DAY), ("to", NEXT_DAY)];

/// Of a body schema's `oneOf` branches, the ones the fixtures fit: a slot court, Stripe.
const PREFERRED_BRANCHES: &[&str] = &["slots", "stripe"];

/// Who calls, in the matrix's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    NoToken,
    Customer,
    OtherTenant,
    VenueAdmin,
    Owner,
}

impl Caller {
    const ALL: [Caller; 5] = [
        Caller::NoToken,
        Caller::Customer,
        Caller::OtherTenant,
        Caller::VenueAdmin,
        Caller::Owner,
    ];

    fn label(self) -> &'static str {
        match self {
            Caller::NoToken => "no token",
            Caller::Customer => "customer",
            Caller::OtherTenant => "other tenant's admin",
            Caller::VenueAdmin => "venue's admin",
            Caller::Owner => "owner",
        }
    }
}

/// A caller: its token (none for [`Caller::NoToken`]) and the contact it books with, distinct
/// and recognisable per caller.
struct Person {
    who: Option<Who>,
    name: String,
    email: String,
    phone: String,
}

impl Person {
    fn new(who: Option<Who>, name: &str, phone: &str) -> Person {
        Person {
            who,
            name: format!("Matrix {name}"),
            email: unique_email(&format!("matrix-{name}")),
            phone: phone.into(),
        }
    }

    fn customer(&self) -> Value {
        json!({"name": self.name, "email": self.email, "phone": self.phone})
    }

    /// What of this person no one else may be shown: the contact it books with, and the email
    /// its token carries (`{sub}@example.com`, as `Who::token` mints it).
    fn traces(&self) -> Vec<String> {
        let mut traces = vec![self.email.clone(), self.phone.clone()];
        traces.extend(self.who.iter().map(|w| format!("{}@example.com", w.sub)));
        traces
    }
}

/// One venue of the venue admin's organisation with what the routes' parameters name: its
/// court, the owner's booking there, an imported calendar of the court, its export token.
struct Fixture {
    values: BTreeMap<&'static str, String>,
}

impl Fixture {
    async fn create(api: &Api, admin: &Who, owner: &Person, feed_url: &str) -> Fixture {
        let venue = api
            .post("/v1/venues")
            .as_(admin)
            .json(
                &json!({"name": "Club Matriz", "time_zone": "Europe/Madrid", "currency": "EUR",
                          "contact_email": "desk@matriz.example"}),
            )
            .send()
            .await
            .expect(201)["venue_id"]
            .as_str()
            .expect("venue_id")
            .to_string();
        api.put(&format!("/v1/venues/{venue}/payment-accounts/stripe"))
            .as_(admin)
            .json(&stripe_account())
            .send()
            .await
            .expect(200);
        let court = api.court(admin, &venue, json!({})).await;
        let at = |time: &str| format!("{DAY}T{time}:00+01:00");
        let booking = api
            .request_booking(
                owner.who.as_ref().expect("the owner signs in"),
                &json!({"resource_id": court, "start": at("18:00"), "end": at("19:00"),
                        "customer": owner.customer(), "payment_provider": "none"}),
            )
            .await
            .expect(201)["booking_id"]
            .as_str()
            .expect("booking_id")
            .to_string();
        let calendar = api.add_calendar(admin, &court, feed_url).await["calendar_id"]
            .as_str()
            .expect("calendar_id")
            .to_string();
        let export = api.export_url(admin, &court).await;
        let token = Some(export.as_str())
            .and_then(|url| url.split_once("token="))
            .and_then(|(_, rest)| rest.split('&').next())
            .unwrap_or_else(|| panic!("no token in {export}"))
            .to_string();
        Fixture {
            values: BTreeMap::from([
                ("venue_id", venue),
                ("resource_id", court),
                ("booking_id", booking),
                ("calendar_id", calendar),
                ("provider", "stripe".to_string()),
                ("token", token),
                // A calendar body's feed: ours, never the example's real platform.
                ("url", feed_url.to_string()),
            ]),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

/// An operation of openapi.yaml, as much of it as the matrix uses.
struct Operation {
    id: String,
    method: String,
    path: String,
    audience: String,
    /// Path-item and operation parameters, `$ref`s resolved.
    parameters: Vec<Value>,
    /// The request body's example (or [`BODIES`]' entry), before the fixtures fill it.
    body: Option<Value>,
    /// The 2xx statuses the operation declares.
    success: Vec<u16>,
    /// Whether its `security` (or the document's) asks for the bearer token.
    bearer: bool,
}

impl Operation {
    /// Whether its path names something of a venue (an admin of another organisation must be
    /// refused it); `POST /v1/venues` names none, and any admin creates in their own org.
    fn tenant_scoped(&self) -> bool {
        self.parameters.iter().any(|p| p["in"] == "path")
    }

    /// Shows no customer data to anyone, whoever calls (docs/api.md: availability and the
    /// feed carry none; a venue, health and the providers' answers have none to show).
    fn public(&self) -> bool {
        matches!(
            self.audience.as_str(),
            "anyone" | "health" | "provider" | "token"
        )
    }

    fn safe(&self) -> bool {
        matches!(self.method.as_str(), "GET" | "HEAD")
    }
}

/// The value `reference` (`#/…`) points at in `doc`, through any chain of `$ref`s.
fn resolve(doc: &Value, value: &Value) -> Value {
    let mut value = value.clone();
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("openapi.yaml: only local $refs are followed: {reference}"));
        value = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("openapi.yaml: {reference} points nowhere"))
            .clone();
    }
    value
}

/// An example of `schema`: its own, or a branch's (the fixtures' branch first).
fn schema_example(doc: &Value, schema: &Value) -> Option<Value> {
    let schema = resolve(doc, schema);
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    if let Some(example) = schema
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return Some(example.clone());
    }
    for key in ["oneOf", "anyOf"] {
        let Some(branches) = schema.get(key).and_then(Value::as_array) else {
            continue;
        };
        let branches: Vec<Value> = branches.iter().map(|b| resolve(doc, b)).collect();
        let preferred = branches.iter().filter(|b| {
            b["title"]
                .as_str()
                .is_some_and(|t| PREFERRED_BRANCHES.contains(&t))
        });
        if let Some(example) = preferred
            .chain(branches.iter())
            .find_map(|b| schema_example(doc, b))
        {
            return Some(example);
        }
    }
    None
}

/// The body `id` is called with: the example openapi.yaml gives, else [`BODIES`]' entry.
fn body_template(doc: &Value, id: &str, request_body: &Value) -> Value {
    let request_body = resolve(doc, request_body);
    let media = request_body["content"]
        .get("application/json")
        .unwrap_or_else(|| {
            panic!("operation `{id}` takes a body that is not application/json: teach tests/integration/security.rs to send it")
        });
    let example = media.get("example").cloned().or_else(|| {
        media
            .get("examples")
            .and_then(Value::as_object)
            .and_then(|e| e.values().next())
            .map(|e| resolve(doc, e)["value"].clone())
            .or_else(|| schema_example(doc, &media["schema"]))
    });
    let listed = BODIES.iter().find(|(op, _)| *op == id);
    match (example, listed) {
        (Some(_), Some(_)) => panic!(
            "operation `{id}` has an example in openapi.yaml: drop its entry from BODIES in tests/integration/security.rs"
        ),
        (Some(example), None) => example,
        (None, Some((_, body))) => serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("BODIES' entry for `{id}` is not JSON: {e}")),
        (None, None) => panic!(
            "operation `{id}` takes a request body, but openapi.yaml has no example of it and BODIES \
             in tests/integration/security.rs has no entry for it: add an example to its schema in \
             openapi.yaml, or a minimal valid body for `{id}` to BODIES"
        ),
    }
}

/// Every operation of openapi.yaml, by path.
fn operations() -> Vec<Operation> {
    let text =
        std::fs::read_to_string(OPENAPI).unwrap_or_else(|e| panic!("reading {OPENAPI}: {e}"));
    let doc: Value =
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{OPENAPI} does not parse: {e}"));
    let document_security = doc.get("security").cloned().unwrap_or(json!([]));
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("openapi.yaml has paths") {
        let shared = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for method in [
            "get", "put", "post", "patch", "delete", "head", "options", "trace",
        ] {
            let Some(op) = item.get(method) else {
                continue;
            };
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"))
                .to_string();
            let audience = op["x-audience"]
                .as_str()
                .unwrap_or_else(|| panic!("operation `{id}` has no x-audience"))
                .to_string();
            let own = op
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let parameters = shared
                .iter()
                .chain(&own)
                .map(|p| resolve(&doc, p))
                .collect();
            let body = op
                .get("requestBody")
                .map(|body| body_template(&doc, &id, body));
            let success = op["responses"]
                .as_object()
                .unwrap_or_else(|| panic!("operation `{id}` has no responses"))
                .keys()
                .filter_map(|status| status.parse::<u16>().ok())
                .filter(|status| (200..300).contains(status))
                .collect();
            let security = op.get("security").unwrap_or(&document_security);
            let bearer = security.as_array().is_some_and(|requirements| {
                requirements
                    .iter()
                    .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
            });
            operations.push(Operation {
                id,
                method: method.to_uppercase(),
                path: path.clone(),
                audience,
                parameters,
                body,
                success,
                bearer,
            });
        }
    }
    let unused: Vec<_> = BODIES
        .iter()
        .filter(|(id, _)| !operations.iter().any(|o| o.id == *id && o.body.is_some()))
        .map(|(id, _)| id)
        .collect();
    assert!(
        unused.is_empty(),
        "BODIES names operations with no body in openapi.yaml: {unused:?}"
    );
    operations
}

/// What a caller must hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    /// One of the operation's 2xx.
    Success,
    Error(u16, &'static str),
}

const UNAUTHENTICATED: Expected = Expected::Error(401, "UNAUTHENTICATED");
const FORBIDDEN: Expected = Expected::Error(403, "FORBIDDEN");
const NOT_FOUND: Expected = Expected::Error(404, "NOT_FOUND");

/// One row of the matrix: an operation, and for a route with a credential of its own, whether
/// that credential is right.
struct Row<'a> {
    op: &'a Operation,
    valid_credential: bool,
}

impl Row<'_> {
    fn label(&self) -> String {
        let credential = match (self.op.audience.as_str(), self.valid_credential) {
            ("token", true) => " [its token]",
            ("token", false) => " [wrong token]",
            ("provider", _) => " [without its signature or OAuth state]",
            _ => "",
        };
        format!(
            "{} {} ({}, {}){credential}",
            self.op.method, self.op.path, self.op.id, self.op.audience
        )
    }

    /// docs/api.md's answer for `caller`.
    fn expected(&self, caller: Caller) -> Expected {
        let op = self.op;
        match (op.audience.as_str(), caller) {
            ("anyone" | "health", _) => Expected::Success,
            // These authenticate by something else than the bearer token (Stripe's and Mercado
            // Pago's signatures, the OAuth state; the feed's token): the callers' bearer tokens
            // must grant nothing, so with a wrong credential every caller is refused alike.
            ("provider", _) => UNAUTHENTICATED,
            ("token", _) if self.valid_credential => Expected::Success,
            // docs/api.md: "a wrong or old token is 404".
            ("token", _) => NOT_FOUND,
            (_, Caller::NoToken) => UNAUTHENTICATED,
            ("signed-in", _) => Expected::Success,
            ("owner-or-admin", Caller::VenueAdmin | Caller::Owner) => Expected::Success,
            // docs/api.md: another customer's booking is 404, not 403.
            ("owner-or-admin", _) => NOT_FOUND,
            ("admin", Caller::VenueAdmin) => Expected::Success,
            ("admin", Caller::OtherTenant) if !op.tenant_scoped() => Expected::Success,
            // docs/api.md: 403 for another tenant's venue and for a customer on an admin route.
            ("admin", _) => FORBIDDEN,
            (other, _) => panic!(
                "operation `{}`: x-audience `{other}` is not one docs/api.md names; teach \
                 tests/integration/security.rs what it means",
                op.id
            ),
        }
    }
}

/// The path and query `row` is called at for `fixture`.
fn target(row: &Row, fixture: &Fixture) -> String {
    let op = row.op;
    let mut path = op.path.clone();
    let mut query = Vec::new();
    for parameter in &op.parameters {
        let name = parameter["name"].as_str().unwrap_or_default();
        let required = parameter["required"] == true;
        match parameter["in"].as_str().unwrap_or_default() {
            "path" => {
                let value = fixture.get(name).unwrap_or_else(|| {
                    panic!(
                        "operation `{}`: no fixture fills path parameter `{name}`: add one to \
                         Fixture in tests/integration/security.rs",
                        op.id
                    )
                });
                path = path.replace(&format!("{{{name}}}"), value);
            }
            "query" if required => {
                let value = if op.audience == "token" && name == "token" {
                    if row.valid_credential {
                        fixture.get("token").unwrap_or_default().to_string()
                    } else {
                        "not-the-feeds-token".to_string()
                    }
                } else if let Some(value) = fixture.get(name) {
                    value.to_string()
                } else if op.audience == "provider" {
                    // The provider's own credential (the OAuth `code` and signed `state`): wrong.
                    format!("not-a-valid-{name}")
                } else if let Some((_, value)) = QUERY.iter().find(|(n, _)| *n == name) {
                    value.to_string()
                } else if let Some(example) = parameter.get("example") {
                    example
                        .as_str()
                        .map_or_else(|| example.to_string(), str::to_string)
                } else {
                    panic!(
                        "operation `{}`: nothing fills required query parameter `{name}`: add \
                         it to QUERY in tests/integration/security.rs",
                        op.id
                    )
                };
                query.push(format!("{name}={value}"));
            }
            // A provider's signature headers are its credential: left out, so that the route
            // must refuse whatever bearer token comes along.
            "header" if required && op.audience == "provider" => {}
            "header" | "cookie" if required => panic!(
                "operation `{}`: nothing fills required {} parameter `{name}`: teach \
                 tests/integration/security.rs",
                op.id, parameter["in"]
            ),
            _ => {}
        }
    }
    assert!(
        !path.contains('{'),
        "operation `{}`: a path parameter is not declared: {path}",
        op.id
    );
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// The body `row`'s operation is sent with, as `person`: the example with its ids, feed and
/// customer taken from the fixture and the caller.
fn body(template: &Value, fixture: &Fixture, person: &Person) -> Value {
    let mut body = template.clone();
    if let Some(fields) = body.as_object_mut() {
        for (name, value) in fields.iter_mut() {
            if name == "customer" {
                *value = person.customer();
            } else if let Some(fixed) = fixture.get(name) {
                *value = json!(fixed);
            }
        }
    }
    body
}

async fn call(api: &Api, row: &Row<'_>, fixture: &Fixture, person: &Person) -> Reply {
    let op = row.op;
    let target = target(row, fixture);
    let mut call = match op.method.as_str() {
        "GET" => api.get(&target),
        "POST" => api.post(&target),
        "PUT" => api.put(&target),
        "PATCH" => api.patch(&target),
        "DELETE" => api.delete(&target),
        other => panic!(
            "operation `{}`: method {other}: teach tests/integration/security.rs",
            op.id
        ),
    };
    if let Some(who) = &person.who {
        call = call.as_(who);
    }
    if let Some(template) = &op.body {
        call = call.json(&body(template, fixture, person));
    }
    call.send().await
}

/// What is wrong with `reply` for `expected`, if anything.
fn judge(op: &Operation, expected: Expected, reply: &Reply) -> Option<String> {
    match expected {
        Expected::Success if op.success.contains(&reply.status) => None,
        Expected::Success => Some(format!("expected one of {:?}", op.success)),
        Expected::Error(status, code) => {
            let body = reply.json();
            let error = &body["error"];
            let shaped = error["message"].as_str().is_some_and(|m| !m.is_empty())
                && error["request_id"].as_str().is_some_and(|m| !m.is_empty());
            (reply.status != status || error["code"] != code || !shaped)
                .then(|| format!("expected {status} {code} in the error shape"))
        }
    }
}

#[tokio::test]
async fn every_route_answers_each_caller_as_docs_api_md_says() {
    let started = Instant::now();
    let api = shared().api();
    let feeds = FeedServer::start().await;
    feeds.set("/matrix.ics", FeedReply::Ics(airbnb_feed(&NO_EVENTS)));
    let feed_url = feeds.url("/matrix.ics");

    let venue_admin = Who::new_admin();
    let people: BTreeMap<&str, Person> = BTreeMap::from([
        ("no token", Person::new(None, "anonymous", "+34610000001")),
        (
            "customer",
            Person::new(Some(Who::customer()), "customer", "+34620000002"),
        ),
        (
            "other tenant's admin",
            Person::new(Some(Who::new_admin()), "other-admin", "+34630000003"),
        ),
        (
            "venue's admin",
            Person::new(Some(venue_admin.clone()), "venue-admin", "+34640000004"),
        ),
        (
            "owner",
            Person::new(Some(Who::customer()), "owner", "+34650000005"),
        ),
    ]);
    let person = |caller: Caller| &people[caller.label()];
    let owner = person(Caller::Owner);
    // The fixture every refusal and every reading is called on; each call that may change
    // something and should succeed gets a fixture of its own, so that no call's success
    // changes what another call meets, in whatever order they run.
    let fixture = Fixture::create(&api, &venue_admin, owner, &feed_url).await;

    let operations = operations();
    let mut rows = Vec::new();
    for op in &operations {
        rows.push(Row {
            op,
            valid_credential: false,
        });
        if op.audience == "token" {
            rows.push(Row {
                op,
                valid_credential: true,
            });
        }
    }

    let mut failures = Vec::new();
    let mut matrix = String::new();
    let _ = writeln!(
        matrix,
        "{:<100} | {}",
        "operation (x-audience)",
        Caller::ALL.map(Caller::label).join(" | ")
    );
    for op in &operations {
        let needs = matches!(
            op.audience.as_str(),
            "signed-in" | "owner-or-admin" | "admin"
        );
        if op.bearer != needs {
            failures.push(format!(
                "openapi.yaml: `{}` is for {} but its security {} the bearer token",
                op.id,
                op.audience,
                if op.bearer {
                    "asks for"
                } else {
                    "does not ask for"
                }
            ));
        }
    }
    for row in &rows {
        let mut cells = Vec::new();
        for caller in Caller::ALL {
            let expected = row.expected(caller);
            let own;
            let on = if expected == Expected::Success && !row.op.safe() {
                own = Fixture::create(&api, &venue_admin, owner, &feed_url).await;
                &own
            } else {
                &fixture
            };
            let reply = call(&api, row, on, person(caller)).await;
            let mut wrong = judge(row.op, expected, &reply);
            // No customer's email or phone to anyone else: the venue's admin may see its
            // customer's (the owner's booking is at its venue), nobody anything on a public route.
            let shown = reply
                .text
                .replace("\r\n ", "")
                .replace("\r\n\t", "")
                .to_lowercase();
            for (label, other) in &people {
                let allowed = !row.op.public()
                    && (*label == caller.label()
                        || (caller == Caller::VenueAdmin && *label == "owner"));
                if let Some(trace) = other
                    .traces()
                    .into_iter()
                    .find(|t| !allowed && shown.contains(&t.to_lowercase()))
                {
                    let seen = format!("shows {label}'s {trace}");
                    wrong = Some(wrong.map_or(seen.clone(), |w| format!("{w}; {seen}")));
                }
            }
            cells.push(format!(
                "{}{}",
                reply.status,
                if wrong.is_some() { " ✗" } else { "" }
            ));
            if let Some(wrong) = wrong {
                failures.push(format!(
                    "{} as {}: {wrong}; {} answered {}: {}",
                    row.label(),
                    caller.label(),
                    reply.request,
                    reply.status,
                    reply.text
                ));
            }
        }
        let _ = writeln!(matrix, "{:<100} | {}", row.label(), cells.join(" | "));
    }

    // Every refusal above changed nothing: the booking, its calendar and the venue's Stripe
    // account are as they were.
    let booking = fixture.get("booking_id").unwrap_or_default();
    let shown = api
        .get(&format!("/v1/bookings/{booking}"))
        .as_(owner.who.as_ref().expect("the owner signs in"))
        .send()
        .await
        .expect(200);
    assert_eq!(shown["status"], "confirmed", "{shown}");
    let court = fixture.get("resource_id").unwrap_or_default();
    let calendars = api
        .get(&format!("/v1/resources/{court}/calendars"))
        .as_(&venue_admin)
        .send()
        .await
        .expect(200);
    assert_eq!(
        calendars["items"][0]["calendar_id"],
        fixture.get("calendar_id").unwrap_or_default(),
        "{calendars}"
    );
    let venue = fixture.get("venue_id").unwrap_or_default();
    let accounts = api
        .get(&format!("/v1/venues/{venue}/payment-accounts"))
        .as_(&venue_admin)
        .send()
        .await
        .expect(200);
    assert_eq!(accounts["items"][0]["provider"], "stripe", "{accounts}");

    println!(
        "{matrix}\n{} operations, {} rows, in {:.1?}",
        operations.len(),
        rows.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} answers differ from docs/api.md:\n{}\n\n{matrix}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn tokens_the_local_verifier_must_refuse_grant_nothing() {
    let api = shared().api();
    let (admin, venue) = api.venue_without_accounts("Europe/Madrid", "EUR").await;
    let path = format!("/v1/venues/{venue}/payment-accounts");
    let now = jiff::Timestamp::now().as_second();
    // The venue admin's claims; each case below differs from a good token by one defect.
    let claims = |sub: bool, exp: Option<i64>| {
        let mut claims = json!({"org_id": admin.org_id, "groups": ["admin"],
                                "email": format!("{}@example.com", admin.sub)});
        if sub {
            claims["sub"] = json!(admin.sub);
        }
        if let Some(exp) = exp {
            claims["exp"] = json!(exp);
        }
        claims
    };
    let live = Some(now + 3600);
    let get = |token: String| {
        api.get(&path)
            .header("Authorization", &format!("Bearer {token}"))
            .send()
    };
    get(signed_token(&claims(true, live))).await.expect(200);
    for (case, token) in [
        ("alg none", unsigned_token(&claims(true, live))),
        (
            "a wrong key",
            holdfast_local::mint_raw_token("not-the-stacks-secret", &claims(true, live)),
        ),
        (
            "an expired exp",
            signed_token(&claims(true, Some(now - 60))),
        ),
        ("no exp", signed_token(&claims(true, None))),
        ("no sub", signed_token(&claims(false, live))),
    ] {
        let reply = get(token).await;
        assert_eq!(reply.status, 401, "{case}: {}", reply.text);
        reply.expect_error(401, "UNAUTHENTICATED");
    }
}
