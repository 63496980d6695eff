//! Every sample event in events/ fed to its function's handler, as Lambda would, against
//! DynamoDB Local: none of them can rot.

use std::collections::BTreeSet;

use aws_lambda_events::event::sqs::SqsEvent;
use holdfast_api::App;
use holdfast_api::services::notifier::Notifier;
use holdfast_domain::{
    Booking, BookingDraft, Checkout, MercadoPagoAccount, NewBooking, Notice, ProviderAccount,
    Recipient, ResourceDraft, Secret, StripeAccount, VenueDraft,
};
use holdfast_functions::{
    add_calendar, availability, cancel_booking, create_booking, create_resource, create_venue,
    delete_calendar, delete_payment_account, expire_holds, get_booking, get_venue, health,
    ical_feed, ical_token, list_calendars, mercadopago_callback, mercadopago_connect,
    mercadopago_webhook, monthly_report, my_bookings, notifier, patch_resource, patch_venue,
    payment_accounts, publish_notices, put_payment_account, refresh_tokens, send_reminders,
    stripe_webhook, sync_calendar, sync_calendars, venue_bookings,
};
use holdfast_payments::mercadopago::PreferenceRequest;
use holdfast_store::MailClaim;
use holdfast_tests::{
    FeedReply, FeedServer, MERCADOPAGO_WEBHOOK_SECRET, airbnb_feed, fresh_app,
    mercadopago_api_base, mercadopago_signature, notifier_config, stripe_signature,
};
use serde_json::{Value, json};

fn read_event(name: &str, used: &mut BTreeSet<String>) -> String {
    used.insert(name.to_string());
    let path = format!("{}/../events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn request(name: &str, used: &mut BTreeSet<String>) -> lambda_http::Request {
    lambda_http::request::from_str(&read_event(name, used))
        .unwrap_or_else(|e| panic!("events/{name}.json is not an API Gateway v2 event: {e}"))
}

fn reply(name: &str, response: lambda_http::Response<lambda_http::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = match response.body() {
        lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    eprintln!("events/{name}.json -> {status} {body}");
    (status, body)
}

/// The demo court's bookings on 2031-12-02: id, who booked, the hour, how it is paid.
const DEMO_BOOKINGS: &[(&str, &str, u8, &str)] = &[
    ("bkg_demo", "user-demo", 12, "none"),
    ("bkg_lapsing", "user-other", 16, "stripe"),
    ("bkg_paying", "user-payer", 18, "stripe"),
    ("bkg_mp", "user-payer", 20, "mercadopago"),
];

/// The demo venue with its court and cabin, and those of the court's `bookings` an area needs.
async fn seed(app: &App, bookings: &[&str]) {
    let now = app.clock.now();
    let venue: VenueDraft = serde_json::from_value(
        json!({"name": "Club Padel Norte", "time_zone": "Europe/Madrid",
        "currency": "EUR", "contact_email": "desk@padelnorte.example"}),
    )
    .expect("venue draft");
    let venue = venue
        .into_venue("ven_demo".into(), "org_demo".into(), now)
        .expect("venue");
    app.store.put_venue(&venue).await.expect("seed venue");
    let court: ResourceDraft = serde_json::from_value(
        json!({"name": "Court 1", "kind": "slots", "slot_minutes": 30,
        "durations": [60, 90], "opening_hours": {"tue": [["08:00", "22:00"]]},
        "unit_price": {"amount": 600, "currency": "EUR"}, "hold_minutes": 15}),
    )
    .expect("court draft");
    let court = court
        .into_resource(
            "res_demo_court".into(),
            "ven_demo".into(),
            venue.currency,
            now,
        )
        .expect("court");
    app.store.put_resource(&court).await.expect("seed court");
    let cabin: ResourceDraft = serde_json::from_value(
        json!({"name": "Cabaña del Lago", "kind": "nights", "check_in_time": "15:00",
        "check_out_time": "11:00", "unit_price": {"amount": 9000, "currency": "EUR"}}),
    )
    .expect("cabin draft");
    let cabin = cabin
        .into_resource(
            "res_demo_cabin".into(),
            "ven_demo".into(),
            venue.currency,
            now,
        )
        .expect("cabin");
    app.store.put_resource(&cabin).await.expect("seed cabin");
    for wanted in bookings {
        let &(id, owner, hour, provider) = DEMO_BOOKINGS
            .iter()
            .find(|(id, ..)| id == wanted)
            .unwrap_or_else(|| panic!("{wanted} is not a demo booking"));
        let draft: BookingDraft = serde_json::from_value(json!({"resource_id": "res_demo_court",
            "start": format!("2031-12-02T{hour}:00:00+01:00"), "end": format!("2031-12-02T{}:00:00+01:00", hour + 1),
            "customer": {"name": "Ana Ruiz", "email": "ana@example.com"}, "payment_provider": provider})).expect("booking draft");
        let request = draft.read(&court.schedule).expect("request");
        let plan = court
            .plan(request.period, venue.zone.tz(), now)
            .expect("plan");
        let mut booking = Booking::new(NewBooking {
            booking_id: id.into(),
            owner: owner.into(),
            resource: &court,
            time_zone: &venue.zone,
            request,
            plan,
            reminder_hours: 24,
            now,
        });
        if let (Some(checkout), Some(payment)) =
            (checkout_for(app, &booking).await, booking.payment.as_mut())
        {
            payment.checkout = Some(checkout);
        }
        app.store
            .create_booking(&booking, 1, None, &[], now)
            .await
            .expect("seed booking");
    }
}

const DEMO_STRIPE_KEY: &str = "sk_test_51Demo0000000000004242";
const DEMO_STRIPE_WEBHOOK_SECRET: &str = "whsec_demo0000000000000000";
const DEMO_MP_TOKEN: &str = "APP_USR-demo-access-1234";

/// The provider's side of the seeded holds that wait to be paid: a real PaymentIntent at
/// localstripe, a real preference at the stand-in.
async fn checkout_for(app: &App, booking: &Booking) -> Option<Checkout> {
    let providers = app.providers.as_ref().expect("providers");
    match booking.booking_id.as_str() {
        "bkg_paying" => {
            let intent = providers
                .stripe
                .create_payment_intent(
                    &Secret::new(DEMO_STRIPE_KEY),
                    &booking.price,
                    &booking.booking_id,
                    "seed-bkg_paying",
                )
                .await
                .expect("localstripe makes an intent");
            Some(Checkout::Stripe {
                payment_intent_id: intent.id,
                client_secret: intent.client_secret.expect("a client secret"),
            })
        }
        "bkg_mp" => {
            let preference = providers
                .mercadopago
                .create_preference(
                    &Secret::new(DEMO_MP_TOKEN),
                    &PreferenceRequest {
                        booking_id: &booking.booking_id,
                        title: "Court 1",
                        amount: &booking.price,
                        notification_url: "https://api.holdfast.example/webhooks/mercadopago?venue_id=ven_demo",
                        expires_at: booking.hold_expires_at,
                    },
                    "seed-bkg_mp",
                )
                .await
                .expect("the stand-in makes a preference");
            Some(Checkout::MercadoPago {
                preference_id: preference.id,
                checkout_url: preference.init_point,
            })
        }
        _ => None,
    }
}

/// `account` stored as ven_demo's, as a PUT or a finished connect stores it, for the areas that
/// take money without running those events.
async fn store_account(app: &App, account: ProviderAccount) {
    holdfast_api::services::accounts::store_account(app, &"ven_demo".into(), &account)
        .await
        .expect("stored");
}

/// The sample webhook `name` with `replace`d placeholders, signed now as Stripe signs.
fn stripe_delivery(
    name: &str,
    used: &mut BTreeSet<String>,
    replace: (&str, &str),
    now: i64,
) -> lambda_http::Request {
    let mut event: Value = serde_json::from_str(&read_event(name, used)).expect("JSON");
    let body = event["body"]
        .as_str()
        .expect("a body")
        .replace(replace.0, replace.1);
    event["headers"]["stripe-signature"] =
        json!(stripe_signature(DEMO_STRIPE_WEBHOOK_SECRET, now, &body));
    event["body"] = json!(body);
    lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event")
}

/// Runs an area's test on a 32 MiB thread: in debug builds the booking and calendar handlers'
/// futures use most of a test thread's stack. The future is made there, never on ours.
fn on_big_stack<F: Future<Output = ()>>(area: impl FnOnce() -> F + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(32 * 1024 * 1024)
        .spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(area())
        })
        .expect("a thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}

/// Each area's sample events: an area test reads exactly its list, and together the lists are
/// the events directory, so a new sample event fails until an area runs it.
const VENUE_EVENTS: &[&str] = &[
    "create-venue",
    "get-venue",
    "create-resource",
    "patch-resource",
    "patch-venue",
];
const PAYMENT_ACCOUNT_EVENTS: &[&str] = &[
    "put-payment-account",
    "payment-accounts",
    "delete-payment-account",
];
const BOOKING_EVENTS: &[&str] = &[
    "availability",
    "create-booking",
    "get-booking",
    "my-bookings",
    "venue-bookings",
    "cancel-booking",
    "health",
    "monthly-report",
];
const STRIPE_WEBHOOK_EVENTS: &[&str] = &[
    "stripe-webhook-payment-intent-payment-failed",
    "stripe-webhook-payment-intent-succeeded",
    "stripe-webhook-charge-refunded",
    "stripe-webhook-payment-intent-canceled",
];
const MERCADOPAGO_WEBHOOK_EVENTS: &[&str] = &["mercadopago-webhook"];
const MERCADOPAGO_OAUTH_EVENTS: &[&str] = &[
    "mercadopago-connect",
    "mercadopago-callback",
    "refresh-tokens",
];
const SCHEDULED_JOB_EVENTS: &[&str] = &["expire-holds", "publish-notices", "send-reminders"];
const NOTIFIER_EVENTS: &[&str] = &["notifier"];
const CALENDAR_EVENTS: &[&str] = &[
    "add-calendar",
    "list-calendars",
    "sync-calendar",
    "sync-calendars",
    "ical-token",
    "ical-feed",
    "notifier-calendar-failing",
    "delete-calendar",
];
const AREAS: &[&[&str]] = &[
    VENUE_EVENTS,
    PAYMENT_ACCOUNT_EVENTS,
    BOOKING_EVENTS,
    STRIPE_WEBHOOK_EVENTS,
    MERCADOPAGO_WEBHOOK_EVENTS,
    MERCADOPAGO_OAUTH_EVENTS,
    SCHEDULED_JOB_EVENTS,
    NOTIFIER_EVENTS,
    CALENDAR_EVENTS,
];

fn assert_read_exactly(used: &BTreeSet<String>, area: &[&str]) {
    let listed: BTreeSet<String> = area.iter().map(|name| name.to_string()).collect();
    assert_eq!(
        *used, listed,
        "the area read the sample events its list names"
    );
}

#[test]
fn every_sample_event_belongs_to_one_area() {
    let mut listed = BTreeSet::new();
    for name in AREAS.iter().flat_map(|area| area.iter()) {
        assert!(listed.insert(name.to_string()), "{name} is in two areas");
    }
    let on_disk: BTreeSet<String> =
        std::fs::read_dir(format!("{}/../events", env!("CARGO_MANIFEST_DIR")))
            .expect("events/")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
            .collect();
    assert_eq!(listed, on_disk, "every sample event is exercised");
}

#[tokio::test]
async fn venue_sample_events() {
    let app = fresh_app().await;
    seed(&app, &[]).await;
    let mut used = BTreeSet::new();

    let (status, venue) = reply(
        "create-venue",
        create_venue::handler(&app, request("create-venue", &mut used))
            .await
            .expect("handler"),
    );
    assert_eq!((status, venue["org_id"].as_str()), (201, Some("org_demo")));

    let (status, venue) = reply(
        "get-venue",
        get_venue::handler(&app, request("get-venue", &mut used))
            .await
            .expect("handler"),
    );
    assert_eq!(status, 200);
    let shown: Vec<&str> = venue["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["resource_id"].as_str())
        .collect();
    assert!(
        shown.contains(&"res_demo_court") && shown.contains(&"res_demo_cabin"),
        "{venue}"
    );

    let (status, resource) = reply(
        "create-resource",
        create_resource::handler(&app, request("create-resource", &mut used))
            .await
            .expect("handler"),
    );
    assert_eq!(
        (status, resource["venue_id"].as_str()),
        (201, Some("ven_demo"))
    );

    let (status, patched) = reply(
        "patch-resource",
        patch_resource::handler(&app, request("patch-resource", &mut used))
            .await
            .expect("handler"),
    );
    assert_eq!(
        (status, patched["unit_price"]["amount"].as_i64()),
        (200, Some(700))
    );

    let (status, venue) = reply(
        "patch-venue",
        patch_venue::handler(&app, request("patch-venue", &mut used))
            .await
            .expect("handler"),
    );
    assert_eq!(status, 200, "{venue}");
    assert_eq!(
        (venue["language"].as_str(), venue["reminder_hours"].as_u64()),
        (Some("en"), Some(12))
    );
    assert_eq!(
        venue["cancellation_policy"]["refund_rules"][1]["percent"],
        50
    );
    assert_read_exactly(&used, VENUE_EVENTS);
}

#[tokio::test]
async fn payment_account_sample_events() {
    let app = fresh_app().await;
    seed(&app, &[]).await;
    let mut used = BTreeSet::new();

    let (status, account) = reply(
        "put-payment-account",
        put_payment_account::handler(&app, request("put-payment-account", &mut used))
            .await
            .expect("handler"),
    );
    assert_eq!(
        (status, account["key_hint"].as_str()),
        (200, Some("…4242")),
        "{account}"
    );
    let (status, accounts) = reply(
        "payment-accounts",
        payment_accounts::handler(&app, request("payment-accounts", &mut used))
            .await
            .expect("handler"),
    );
    assert_eq!(
        (status, accounts["items"][0]["provider"].as_str()),
        (200, Some("stripe"))
    );
    let (status, _) = reply(
        "delete-payment-account",
        delete_payment_account::handler(&app, request("delete-payment-account", &mut used))
            .await
            .expect("handler"),
    );
    assert_eq!(status, 204);
    assert_read_exactly(&used, PAYMENT_ACCOUNT_EVENTS);
}

#[test]
fn booking_sample_events() {
    on_big_stack(|| async {
        let app = fresh_app().await;
        seed(&app, &["bkg_demo", "bkg_lapsing", "bkg_paying", "bkg_mp"]).await;
        // Priced as patch-resource leaves the court: create-booking's 2100 is three slots at 700.
        let (mut court, read) = app
            .store
            .resource_version(&"res_demo_court".into())
            .await
            .expect("read")
            .expect("seeded");
        court.unit_price.amount = 700;
        assert!(
            app.store
                .replace_resource(&court, read)
                .await
                .expect("store"),
            "the court repriced"
        );
        let mut used = BTreeSet::new();

        let (status, availability) = reply(
            "availability",
            availability::handler(&app, request("availability", &mut used))
                .await
                .expect("handler"),
        );
        assert_eq!(status, 200);
        let taken: Vec<&str> = availability["units"]
            .as_array()
            .expect("units")
            .iter()
            .filter(|u| u["status"] == "taken")
            .filter_map(|u| u["start"].as_str())
            .collect();
        assert_eq!(
            taken,
            [
                "2031-12-02T12:00:00+01:00",
                "2031-12-02T12:30:00+01:00",
                "2031-12-02T16:00:00+01:00",
                "2031-12-02T16:30:00+01:00",
                "2031-12-02T18:00:00+01:00",
                "2031-12-02T18:30:00+01:00",
                "2031-12-02T20:00:00+01:00",
                "2031-12-02T20:30:00+01:00"
            ]
        );

        let (status, booking) = reply(
            "create-booking",
            create_booking::handler(&app, request("create-booking", &mut used))
                .await
                .expect("handler"),
        );
        assert_eq!(
            (
                status,
                booking["status"].as_str(),
                booking["price"]["amount"].as_i64()
            ),
            (201, Some("confirmed"), Some(2100))
        );

        let (status, booking) = reply(
            "get-booking",
            get_booking::handler(&app, request("get-booking", &mut used))
                .await
                .expect("handler"),
        );
        assert_eq!(
            (status, booking["booking_id"].as_str()),
            (200, Some("bkg_demo"))
        );

        let (status, mine) = reply(
            "my-bookings",
            my_bookings::handler(&app, request("my-bookings", &mut used))
                .await
                .expect("handler"),
        );
        assert_eq!(
            (status, mine["items"].as_array().map(Vec::len)),
            (200, Some(2))
        );

        let (status, listed) = reply(
            "venue-bookings",
            venue_bookings::handler(&app, request("venue-bookings", &mut used))
                .await
                .expect("handler"),
        );
        assert_eq!(
            (status, listed["items"].as_array().map(Vec::len)),
            (200, Some(2)),
            "two confirmed; the hold is filtered out"
        );

        let (status, cancelled) = reply(
            "cancel-booking",
            cancel_booking::handler(&app, request("cancel-booking", &mut used))
                .await
                .expect("handler"),
        );
        assert_eq!(
            (status, cancelled["status"].as_str()),
            (200, Some("cancelled"))
        );

        let (status, health) = reply(
            "health",
            health::handler(&app, request("health", &mut used))
                .await
                .expect("handler"),
        );
        assert_eq!((status, health["status"].as_str()), (200, Some("ok")));

        let (status, report) = reply(
            "monthly-report",
            monthly_report::handler(&app, request("monthly-report", &mut used))
                .await
                .expect("handler"),
        );
        assert_eq!(status, 200, "{report}");
        let court = report["by_resource"]
            .as_array()
            .expect("by_resource")
            .iter()
            .find(|r| r["resource_id"] == "res_demo_court")
            .unwrap_or_else(|| panic!("the demo court is reported: {report}"));
        assert_eq!(court["open_units"], 5 * 28, "five Tuesdays of 08:00-22:00");
        assert_read_exactly(&used, BOOKING_EVENTS);
    });
}

/// Stripe's word on bkg_paying, each sample signed now with the venue's secret.
#[tokio::test]
async fn stripe_webhook_sample_events() {
    let app = fresh_app().await;
    seed(&app, &["bkg_paying"]).await;
    store_account(
        &app,
        ProviderAccount::Stripe(StripeAccount {
            secret_key: Secret::new(DEMO_STRIPE_KEY),
            webhook_secret: Secret::new(DEMO_STRIPE_WEBHOOK_SECRET),
        }),
    )
    .await;
    let mut used = BTreeSet::new();

    let paying = app
        .store
        .booking(&"bkg_paying".into())
        .await
        .expect("read")
        .expect("seeded");
    let Some(Checkout::Stripe {
        payment_intent_id, ..
    }) = paying.payment.as_ref().and_then(|p| p.checkout.clone())
    else {
        panic!("bkg_paying has no intent");
    };
    let now = app.clock.now().as_second();
    for (name, effect, payment) in [
        (
            "stripe-webhook-payment-intent-payment-failed",
            "applied",
            "failed",
        ),
        ("stripe-webhook-payment-intent-succeeded", "applied", "paid"),
        (
            "stripe-webhook-charge-refunded",
            "applied",
            "partially_refunded",
        ),
        (
            "stripe-webhook-payment-intent-canceled",
            "nothing",
            "partially_refunded",
        ),
    ] {
        let delivery = stripe_delivery(
            name,
            &mut used,
            ("pi_3QdemoHoldfast0001", &payment_intent_id),
            now,
        );
        let (status, answer) = reply(
            name,
            stripe_webhook::handler(&app, delivery)
                .await
                .expect("handler"),
        );
        assert_eq!(
            (status, answer["effect"].as_str()),
            (200, Some(effect)),
            "{name}: {answer}"
        );
        let paying = app
            .store
            .booking(&"bkg_paying".into())
            .await
            .expect("read")
            .expect("seeded");
        assert_eq!(
            paying.payment.as_ref().map(|p| p.status().as_str()),
            Some(payment),
            "{name}"
        );
    }
    assert_read_exactly(&used, STRIPE_WEBHOOK_EVENTS);
}

/// Mercado Pago's notification of bkg_mp's payment, made at the stand-in.
#[tokio::test]
async fn mercadopago_webhook_sample_event() {
    let app = fresh_app().await;
    seed(&app, &["bkg_mp"]).await;
    store_account(
        &app,
        ProviderAccount::MercadoPago(MercadoPagoAccount {
            access_token: Secret::new(DEMO_MP_TOKEN),
            refresh_token: Secret::new("TG-demo-refresh"),
            expires_at: "2031-06-01T00:00:00Z".parse().expect("an instant"),
            user_id: "1234".into(),
        }),
    )
    .await;
    let mut used = BTreeSet::new();

    let now = app.clock.now().as_second();
    let mp = app
        .store
        .booking(&"bkg_mp".into())
        .await
        .expect("read")
        .expect("seeded");
    let Some(Checkout::MercadoPago { preference_id, .. }) =
        mp.payment.as_ref().and_then(|p| p.checkout.clone())
    else {
        panic!("bkg_mp has no preference");
    };
    let paid: Value = holdfast_tests::http_client(true)
        .post(format!(
            "{}/_standin/preferences/{preference_id}/pay",
            mercadopago_api_base()
        ))
        .json(&json!({"status": "approved", "notify": false}))
        .send()
        .await
        .expect("the stand-in answers")
        .json()
        .await
        .expect("a payment");
    let payment_id = paid["payment"]["id"].to_string();
    let mut event: Value =
        serde_json::from_str(&read_event("mercadopago-webhook", &mut used)).expect("JSON");
    let request_id = event["headers"]["x-request-id"]
        .as_str()
        .expect("x-request-id")
        .to_string();
    event["queryStringParameters"]["data.id"] = json!(payment_id);
    event["rawQueryString"] = json!(format!(
        "venue_id=ven_demo&data.id={payment_id}&type=payment"
    ));
    event["body"] = json!(
        event["body"]
            .as_str()
            .expect("a body")
            .replace("1000000001", &payment_id)
    );
    event["headers"]["x-signature"] = json!(mercadopago_signature(
        MERCADOPAGO_WEBHOOK_SECRET,
        now,
        &payment_id,
        &request_id
    ));
    let delivery =
        lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event");
    let (status, answer) = reply(
        "mercadopago-webhook",
        mercadopago_webhook::handler(&app, delivery)
            .await
            .expect("handler"),
    );
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("confirmed")),
        "{answer}"
    );
    assert_read_exactly(&used, MERCADOPAGO_WEBHOOK_EVENTS);
}

/// Mercado Pago OAuth: connect, the seller approves at the stand-in, the callback stores, and
/// the refresh job finds the tokens it stored.
#[tokio::test]
async fn mercadopago_oauth_sample_events() {
    let app = fresh_app().await;
    seed(&app, &[]).await;
    let mut used = BTreeSet::new();

    let (status, connect) = reply(
        "mercadopago-connect",
        mercadopago_connect::handler(&app, request("mercadopago-connect", &mut used))
            .await
            .expect("handler"),
    );
    assert_eq!(status, 200, "{connect}");
    let approved = holdfast_tests::http_client(false)
        .get(connect["authorize_url"].as_str().expect("authorize_url"))
        .send()
        .await
        .expect("the stand-in answers");
    let back: reqwest::Url = approved
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .and_then(|l| l.parse().ok())
        .expect("a redirect back");
    let param = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .expect("code and state")
    };
    let mut event: Value =
        serde_json::from_str(&read_event("mercadopago-callback", &mut used)).expect("JSON");
    let (code, state) = (param("code"), param("state"));
    event["queryStringParameters"] = json!({"code": code, "state": state});
    event["rawQueryString"] = json!(back.query().unwrap_or_default());
    let callback =
        lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event");
    let (status, account) = reply(
        "mercadopago-callback",
        mercadopago_callback::handler(&app, callback)
            .await
            .expect("handler"),
    );
    assert_eq!(
        (status, account["provider"].as_str()),
        (200, Some("mercadopago")),
        "{account}"
    );

    let event: Value =
        serde_json::from_str(&read_event("refresh-tokens", &mut used)).expect("scheduled event");
    let refreshed = refresh_tokens::handler(
        &app,
        lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default()),
    )
    .await
    .expect("job runs");
    assert_eq!(refreshed["job"], "refresh-tokens", "{refreshed}");
    assert_eq!(
        refreshed["failed"], 0,
        "tokens 180 days from expiry need nothing: {refreshed}"
    );
    assert_read_exactly(&used, MERCADOPAGO_OAUTH_EVENTS);
}

#[tokio::test]
async fn scheduled_job_sample_events() {
    let app = fresh_app().await;
    // bkg_lapsing alone lapses, as when the webhooks had paid for bkg_paying and bkg_mp
    // first: those two holds are left out.
    seed(&app, &["bkg_demo", "bkg_lapsing"]).await;
    let mut used = BTreeSet::new();

    app.clock.advance(16 * 60);
    let event: Value =
        serde_json::from_str(&read_event("expire-holds", &mut used)).expect("scheduled event");
    let summary = expire_holds::handler(
        &app,
        lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default()),
    )
    .await
    .expect("job runs");
    assert_eq!(summary["expired"], json!(["bkg_lapsing"]));

    app.clock.advance(60);
    let event: Value =
        serde_json::from_str(&read_event("publish-notices", &mut used)).expect("scheduled event");
    let sweep = publish_notices::handler(
        &app,
        lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default()),
    )
    .await
    .expect("job runs");
    assert_eq!(sweep["pending"], sweep["sent"], "{sweep}");

    // bkg_demo (2031-12-02 12:00, confirmed, 24 h reminders) is reminded a day before.
    let event: Value =
        serde_json::from_str(&read_event("send-reminders", &mut used)).expect("scheduled event");
    let reminders = send_reminders::handler(
        &app,
        lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default()),
    )
    .await
    .expect("job runs");
    assert_eq!(reminders["reminded"], json!([]), "not due yet: {reminders}");
    assert_read_exactly(&used, SCHEDULED_JOB_EVENTS);
}

#[tokio::test]
async fn notifier_sample_event() {
    let app = fresh_app().await;
    seed(&app, &["bkg_demo"]).await;
    let mut used = BTreeSet::new();

    let notifier = Notifier::from_config(&notifier_config(&app))
        .await
        .expect("notifier");
    holdfast_local::mail::verify_sender(&notifier)
        .await
        .expect("a verified sender");
    let event: SqsEvent =
        serde_json::from_str(&read_event("notifier", &mut used)).expect("an SQS event");
    let response = notifier::handler(
        &notifier,
        lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default()),
    )
    .await
    .expect("batch handled");
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_read_exactly(&used, NOTIFIER_EVENTS);
}

#[test]
fn calendar_sample_events() {
    on_big_stack(|| async {
        let app = fresh_app().await;
        seed(&app, &[]).await;
        let mut used = BTreeSet::new();
        calendar_events(&app, &mut used).await;
        assert_read_exactly(&used, CALENDAR_EVENTS);
    });
}

#[tokio::test]
async fn health_says_503_when_the_table_is_missing() {
    let app = fresh_app().await;
    let gone = App::with_store(
        holdfast_store::Store::new(app.store.client().clone(), "no-such-table"),
        app.clock.clone(),
    );
    let mut used = BTreeSet::new();
    let (status, body) = reply(
        "health",
        health::handler(&gone, request("health", &mut used))
            .await
            .expect("handler"),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("UNAVAILABLE"))
    );
}

/// The calendar functions' sample events: a feed served here is added, listed, synced (by hand
/// and by the job), the cabin's export is read with a fresh token, and the feed is removed.
async fn calendar_events(app: &App, used: &mut BTreeSet<String>) {
    let feeds = FeedServer::start().await;
    let tomorrow = app
        .clock
        .now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .tomorrow()
        .expect("a date");
    let (from, to) = (
        tomorrow.to_string(),
        tomorrow.tomorrow().expect("a date").to_string(),
    );
    feeds.set(
        "/airbnb.ics",
        FeedReply::Ics(airbnb_feed(&[(
            "demo@airbnb.com",
            "Reserved",
            from.as_str(),
            to.as_str(),
        )])),
    );
    let mut event: Value = serde_json::from_str(&read_event("add-calendar", used)).expect("JSON");
    event["body"] = json!(json!({"name": "Airbnb", "url": feeds.url("/airbnb.ics")}).to_string());
    let (status, calendar) = reply(
        "add-calendar",
        add_calendar::handler(
            app,
            lambda_http::request::from_str(&event.to_string()).expect("an event"),
        )
        .await
        .expect("handler"),
    );
    assert_eq!(
        (status, calendar["status"].as_str()),
        (201, Some("pending")),
        "{calendar}"
    );
    let calendar_id = calendar["calendar_id"]
        .as_str()
        .expect("calendar_id")
        .to_string();
    let (status, listed) = reply(
        "list-calendars",
        list_calendars::handler(app, request("list-calendars", used))
            .await
            .expect("handler"),
    );
    assert_eq!(
        (status, listed["items"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    let with_calendar = |name: &str, used: &mut BTreeSet<String>| {
        let text = read_event(name, used).replace("cal_demo", &calendar_id);
        lambda_http::request::from_str(&text).expect("an API Gateway v2 event")
    };
    let (status, synced) = reply(
        "sync-calendar",
        sync_calendar::handler(app, with_calendar("sync-calendar", used))
            .await
            .expect("handler"),
    );
    assert_eq!(
        (status, synced["blocks"].as_u64()),
        (200, Some(1)),
        "{synced}"
    );
    app.clock.advance(120);
    let event: Value =
        serde_json::from_str(&read_event("sync-calendars", used)).expect("scheduled event");
    let run = sync_calendars::handler(
        app,
        lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default()),
    )
    .await
    .expect("job runs");
    assert_eq!(
        (run["job"].as_str(), run["synced"].as_u64()),
        (Some("sync-calendars"), Some(1)),
        "{run}"
    );
    let (status, token) = reply(
        "ical-token",
        ical_token::handler(app, request("ical-token", used))
            .await
            .expect("handler"),
    );
    assert_eq!(status, 200, "{token}");
    let url: reqwest::Url = token["url"].as_str().expect("url").parse().expect("a URL");
    let fresh = url
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("a token");
    let text = read_event("ical-feed", used).replace(&"0".repeat(64), &fresh);
    let feed = ical_feed::handler(
        app,
        lambda_http::request::from_str(&text).expect("an event"),
    )
    .await
    .expect("handler");
    assert_eq!(feed.status(), 200);
    let lambda_http::Body::Text(ics) = feed.body() else {
        panic!("a text body");
    };
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.contains("SUMMARY:Blocked"),
        "{ics}"
    );
    // The feed breaks: three failed syncs in a row, and staff's alert is mailed once.
    feeds.set("/airbnb.ics", FeedReply::Ics("<html>moved</html>".into()));
    for failures in 1..=3 {
        let (status, failed) = reply(
            "sync-calendar",
            sync_calendar::handler(app, with_calendar("sync-calendar", used))
                .await
                .expect("handler"),
        );
        assert_eq!(
            (status, failed["consecutive_failures"].as_u64()),
            (200, Some(failures)),
            "{failed}"
        );
    }
    let failing = app
        .store
        .calendar(&"res_demo_cabin".into(), &calendar_id.as_str().into())
        .await
        .expect("store")
        .expect("the calendar");
    let notice = Notice::calendar_failing(&failing, app.clock.now());
    let text = read_event("notifier-calendar-failing", used)
        .replace("cal_demo.calendar_failing.1795341600000", &notice.notice_id)
        .replace("cal_demo", &calendar_id);
    let notifier = Notifier::from_config(&notifier_config(app))
        .await
        .expect("notifier");
    holdfast_local::mail::verify_sender(&notifier)
        .await
        .expect("a verified sender");
    let response = notifier::handler(
        &notifier,
        lambda_runtime::LambdaEvent::new(
            serde_json::from_str::<SqsEvent>(&text).expect("an SQS event"),
            lambda_runtime::Context::default(),
        ),
    )
    .await
    .expect("batch handled");
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let lease = jiff::SignedDuration::from_secs(10);
    assert_eq!(
        app.store
            .claim_mail(&notice.notice_id, Recipient::Staff, app.clock.now(), lease)
            .await
            .expect("store"),
        MailClaim::AlreadySent,
        "staff were mailed"
    );
    let deliver_moot = text.replace(&*notice.notice_id, "moot.calendar_failing.1");

    let (status, _) = reply(
        "delete-calendar",
        delete_calendar::handler(app, with_calendar("delete-calendar", used))
            .await
            .expect("handler"),
    );
    assert_eq!(status, 204);
    // An alert that arrives after its calendar went is moot: no one is mailed.
    let response = notifier::handler(
        &notifier,
        lambda_runtime::LambdaEvent::new(
            serde_json::from_str::<SqsEvent>(&deliver_moot).expect("an SQS event"),
            lambda_runtime::Context::default(),
        ),
    )
    .await
    .expect("batch handled");
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(
        app.store
            .claim_mail(
                &"moot.calendar_failing.1".into(),
                Recipient::Staff,
                app.clock.now(),
                lease
            )
            .await
            .expect("store"),
        MailClaim::Claimed,
        "no one was mailed of a calendar that is gone"
    );
}
