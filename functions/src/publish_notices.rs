//! The scheduled sweep of the outbox: every notice a request could not hand to the queue (it
//! died, or the queue was slow) is sent here. EventBridge calls it every minute; so does the
//! local server.

use holdfast_api::services::jobs;
use holdfast_api::{App, Error};
use lambda_runtime::LambdaEvent;
use serde_json::Value;

/// Runs one sweep; its summary is the job's result (and what `/_local/jobs/publish-notices`
/// shows).
pub async fn handler(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let _ = event;
    Ok(serde_json::to_value(jobs::publish_notices(app).await?)?)
}
