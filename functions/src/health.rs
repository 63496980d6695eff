//! `GET /health`: 200 when the table answers within a tight timeout, 503 when it does not; it
//! also tells how long ago the stalest imported calendar synced.

use std::time::Duration;

use holdfast_api::{ApiError, App, Body, Error, OK, Request, Response, respond, respond_json};
use serde::Serialize;

/// Health answers fast or says the table is down; it never waits on a slow dependency.
const TABLE_TIMEOUT: Duration = Duration::from_millis(1500);

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(app, &req, health(app)).await)
}

async fn health(app: &App) -> Result<Response<Body>, ApiError> {
    app.store
        .ping(TABLE_TIMEOUT)
        .await
        // Whatever keeps the table from answering (down, slow, missing), health is 503.
        .map_err(|err| ApiError::Unavailable(Box::new(err)))?;
    let oldest = tokio::time::timeout(TABLE_TIMEOUT, app.store.oldest_calendar_sync())
        .await
        .map_err(|elapsed| ApiError::Unavailable(Box::new(elapsed)))??;
    let now = app.clock.now();
    respond_json(
        OK,
        &Health {
            status: "ok",
            checks: Checks {
                table: "ok",
                oldest_calendar_sync_seconds: oldest.map(|at| now.duration_since(at).as_secs()),
            },
        },
    )
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    checks: Checks,
}

#[derive(Debug, Serialize)]
struct Checks {
    table: &'static str,
    /// Seconds since the stalest imported calendar synced (`null`: none is imported).
    oldest_calendar_sync_seconds: Option<i64>,
}
