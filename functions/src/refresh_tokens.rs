//! The scheduled token refresh: every Mercado Pago account whose tokens expire within 30 days
//! is refreshed; three failures in a row alert the venue. EventBridge calls it on a schedule;
//! so does the local server.

use holdfast_api::services::connect;
use holdfast_api::{App, Error};
use lambda_runtime::LambdaEvent;
use serde_json::Value;

/// Runs once; its summary is the job's result (and what `/_local/jobs/refresh-tokens` shows).
pub async fn handler(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let _ = event;
    Ok(serde_json::to_value(connect::refresh_tokens(app).await?)?)
}
