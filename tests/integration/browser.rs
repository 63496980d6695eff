//! CORS in a real browser: a page from an allowed origin books through the preflight and reads
//! the rate-limit header; a page from another origin is refused by the browser itself.

use std::time::{Duration, Instant};

use holdfast_domain::RateLimits;
use holdfast_tests::{Browser, PageServer, Stack, StackSettings, Who, day_slot, record_timing};
use serde_json::{Value, json};

/// Chromium's start and the page's two requests: 1.1–2.6 s measured on this 2-core machine
/// with `make test` running beside it (`HOLDFAST_TIMINGS`); a minute leaves room for a far
/// slower one.
const PAGE_BUDGET: Duration = Duration::from_secs(60);

/// A page that books `body` with `token` at `api` and reports the answer (or the browser's
/// refusal) to its own origin.
fn booking_page(api: &str, token: &str, body: &Value) -> String {
    let config = json!({"api": api, "token": token, "body": body});
    format!(
        r#"<!doctype html>
<meta charset="utf-8">
<title>Holdfast from a browser</title>
<script>
const config = {config};
(async () => {{
  const report = {{}};
  try {{
    const answer = await fetch(config.api + "/v1/bookings", {{
      method: "POST",
      headers: {{"Authorization": "Bearer " + config.token, "Content-Type": "application/json"}},
      body: JSON.stringify(config.body),
    }});
    report.status = answer.status;
    report.ratelimit = answer.headers.get("RateLimit");
    report.policy = answer.headers.get("RateLimit-Policy");
    report.booking = await answer.json();
  }} catch (refused) {{
    report.refused = String(refused);
  }}
  await fetch("/report", {{method: "POST", body: JSON.stringify(report)}});
}})();
</script>"#
    )
}

async fn open_and_report(page: &mut PageServer) -> Value {
    let started = Instant::now();
    let _browser = Browser::open(&format!("{}/", page.origin));
    let report = page.report(PAGE_BUDGET).await;
    record_timing(
        "a page's booking in headless Chromium",
        started.elapsed(),
        PAGE_BUDGET,
    );
    report
}

#[tokio::test]
async fn a_page_from_an_allowed_origin_books_and_one_from_another_is_refused_by_the_browser() {
    // The allowed page's port is known only once it listens: the stack is started after it.
    let ana = Who::customer();
    let mut allowed = PageServer::start().await;
    let stack = Stack::start_settings(StackSettings {
        allowed_origins: allowed.origin.clone(),
        rate_limits: Some(RateLimits::parse(RateLimits::DEFAULT).expect("limits")),
        ..StackSettings::default()
    });
    let api = stack.api();
    let (_admin, _venue, court) = api.madrid_court(json!({"durations": [60]})).await;

    let body = day_slot(&court, "10:00", "11:00", "none");
    allowed.show(booking_page(&stack.base_url, &ana.token(), &body));
    let report = open_and_report(&mut allowed).await;
    assert_eq!(report["status"], 201, "{report}");
    assert_eq!(report["booking"]["status"], "confirmed", "{report}");
    assert_eq!(report["policy"], "\"writes\";q=20;w=60", "{report}");
    let ratelimit = report["ratelimit"].as_str().unwrap_or_default();
    assert!(ratelimit.starts_with("\"writes\";r=19;t="), "{report}");

    // Another origin: the preflight names no origin, so the browser never sends the booking.
    let ben = Who::customer();
    let other_body = day_slot(&court, "12:00", "13:00", "none");
    let mut other = PageServer::start().await;
    other.show(booking_page(&stack.base_url, &ben.token(), &other_body));
    let report = open_and_report(&mut other).await;
    assert!(
        report["refused"]
            .as_str()
            .is_some_and(|r| r.contains("Failed to fetch")),
        "{report}"
    );
    let mine = api
        .get("/v1/me/bookings")
        .as_(&ben)
        .send()
        .await
        .expect(200);
    assert_eq!(mine["items"], json!([]), "the refused page booked: {mine}");
}
