//! The notifier: SQS hands it batches of notices; each becomes one mail per recipient. A notice
//! that could not be mailed is reported failed alone (`ReportBatchItemFailures`), so the queue
//! delivers it again, and after its last receive moves it to the dead-letter queue.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use holdfast_api::Error;
use holdfast_api::services::notifier::Notifier;
use lambda_runtime::LambdaEvent;

pub async fn handler(
    notifier: &Notifier,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    // The batch's notices at once: a slow send holds up no other.
    let deliveries = event.payload.records.into_iter().map(|record| async move {
        let message_id = record.message_id.unwrap_or_default();
        let body = record.body.unwrap_or_default();
        match notifier.deliver(&body).await {
            Ok(_) => None,
            Err(err) => {
                tracing::warn!(%message_id, error = %err, "notice not mailed: the queue will deliver it again");
                Some(message_id)
            }
        }
    });
    let mut response = SqsBatchResponse::default();
    for message_id in futures_util::future::join_all(deliveries)
        .await
        .into_iter()
        .flatten()
    {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = message_id;
        response.batch_item_failures.push(failure);
    }
    Ok(response)
}
