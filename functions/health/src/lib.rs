//! `GET /health`: 200 when the table answers within a tight timeout, 503 when it does not.

use std::time::Duration;

use holdfast_api::{ApiError, App, Body, Error, OK, Request, Response, respond, respond_json};

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
    respond_json(
        OK,
        &serde_json::json!({"status": "ok", "checks": {"table": "ok"}}),
    )
}
