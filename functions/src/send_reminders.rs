//! The scheduled reminder run: each confirmed booking is reminded once, `reminder_hours` before
//! it starts (at the next run when booked inside that window). EventBridge calls it every 15
//! minutes; so does the local server.

use holdfast_api::services::jobs;
use holdfast_api::{App, Error};
use lambda_runtime::LambdaEvent;
use serde_json::Value;

/// Runs once; its summary is the job's result (and what `/_local/jobs/send-reminders` shows).
pub async fn handler(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let _ = event;
    Ok(serde_json::to_value(jobs::send_reminders(app).await?)?)
}
