//! `GET /health`: the table, the notifications queue and the stalest calendar sync, each asked
//! at once with a tight timeout; 200 when all answer, 503 naming what failed when one does not.

use std::future::Future;
use std::time::Duration;

use holdfast_api::{
    ApiError, App, Body, Error, OK, Request, Response, request_id, respond, respond_json,
};
use lambda_http::http::StatusCode;
use serde::Serialize;

/// Health answers fast or says what is down; it never waits on a slow dependency.
const CHECK_TIMEOUT: Duration = Duration::from_millis(1500);

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, health(app, &request_id(&req))).await)
}

async fn health(app: &App, request_id: &str) -> Result<Response<Body>, ApiError> {
    let (table, queue, oldest) = tokio::join!(
        within(app.store.ping(CHECK_TIMEOUT)),
        async {
            match &app.publisher {
                Some(queue) => within(queue.ping()).await.map(|_| ()),
                None => Err("not configured".to_string()),
            }
        },
        within(app.store.oldest_calendar_sync()),
    );
    let now = app.clock.now();
    let checks = Checks {
        table: verdict(&table),
        queue: verdict(&queue),
        oldest_calendar_sync_seconds: match oldest {
            Ok(oldest) => SyncAge::Seconds(oldest.map(|at| now.duration_since(at).as_secs())),
            Err(why) => SyncAge::Failed(why),
        },
    };
    let failed: Vec<&str> = [
        ("table", table.is_err()),
        ("queue", queue.is_err()),
        ("oldest_calendar_sync_seconds", matches!(checks.oldest_calendar_sync_seconds, SyncAge::Failed(_))),
    ]
    .into_iter()
    .filter_map(|(name, failed)| failed.then_some(name))
    .collect();
    if failed.is_empty() {
        return respond_json(OK, &Health { status: "ok", checks, error: None });
    }
    // The error shape every 503 has, beside the checks that say which dependency failed.
    let unavailable = ApiError::Unavailable(format!("health: {} failed", failed.join(", ")).into());
    let error = unavailable.body(request_id)["error"].clone();
    respond_json(
        StatusCode::SERVICE_UNAVAILABLE,
        &Health { status: "unavailable", checks, error: Some(error) },
    )
}

/// A check's outcome within [`CHECK_TIMEOUT`], its failure said in a few words.
async fn within<T, E: std::fmt::Display>(check: impl Future<Output = Result<T, E>>) -> Result<T, String> {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(format!("unavailable: {err}")),
        Err(_) => Err(format!("no answer within {} ms", CHECK_TIMEOUT.as_millis())),
    }
}

fn verdict<T>(check: &Result<T, String>) -> String {
    match check {
        Ok(_) => "ok".into(),
        Err(why) => why.clone(),
    }
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    checks: Checks,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
struct Checks {
    table: String,
    queue: String,
    oldest_calendar_sync_seconds: SyncAge,
}

/// Seconds since the stalest imported calendar synced (`null`: none is imported), or why the
/// question went unanswered.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum SyncAge {
    Seconds(Option<i64>),
    Failed(String),
}
