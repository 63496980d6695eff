//! `GET /health`: 200 when the table answers within a tight timeout, 503 when it does not.

use std::time::Duration;

use holdfast_api::{ApiError, App, Body, Error, OK, Request, Response, respond, respond_json};

/// Health answers fast or says the table is down; it never waits on a slow dependency.
const TABLE_TIMEOUT: Duration = Duration::from_millis(1500);

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, health(app)).await)
}

async fn health(app: &App) -> Result<Response<Body>, ApiError> {
    app.store
        .ping(TABLE_TIMEOUT)
        .await
        .map_err(ApiError::Unavailable)?;
    respond_json(
        OK,
        &serde_json::json!({"status": "ok", "checks": {"table": "ok"}}),
    )
}
