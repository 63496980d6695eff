//! The scheduled job that marks lapsed holds `expired` and tidies their locks. EventBridge
//! calls it every minute; the local server does too.

use holdfast_api::services::jobs;
use holdfast_api::{App, Error};
use lambda_runtime::LambdaEvent;
use serde_json::Value;

/// Runs one pass; its summary is the job's result (and what `/_local/jobs/expire-holds` shows).
pub async fn handler(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let _ = event;
    Ok(serde_json::to_value(jobs::expire_holds(app).await?)?)
}
