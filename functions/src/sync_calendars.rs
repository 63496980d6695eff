//! The scheduled calendar sync: every imported feed not synced for a while is fetched and
//! applied, several at once, so that one slow feed never delays the others. EventBridge calls
//! it (every 15 minutes by default); so does the local server.

use holdfast_api::services::calendars;
use holdfast_api::{App, Error};
use lambda_runtime::LambdaEvent;
use serde_json::Value;

/// Runs once; its summary is the job's result (and what `/_local/jobs/sync-calendars` shows).
pub async fn handler(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let _ = event;
    Ok(serde_json::to_value(calendars::sync_calendars(app).await?)?)
}
