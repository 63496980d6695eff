//! The local notifier wiring: the notifications queue fed to the notifier as SQS's event source
//! mapping would, and `GET /_local/mail`, the mail moto's SES received, read back as people
//! would see it.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use holdfast_api::services::notifier::Notifier;
use lambda_runtime::{Context, LambdaEvent};
use serde::Serialize;
use serde_json::{Value, json};

/// Makes the notifier's sender an identity moto's SES sends from (verified at once there; in
/// AWS the sender is verified once, by hand, before deploying).
pub async fn verify_sender(notifier: &Notifier) -> Result<(), String> {
    let created = notifier
        .mailer
        .client()
        .create_email_identity()
        .email_identity(notifier.mailer.from_address())
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_already_exists_exception()) =>
        {
            Ok(())
        }
        Err(err) => Err(format!(
            "could not verify the sender {}: {}",
            notifier.mailer.from_address(),
            aws_sdk_sesv2::Error::from(err)
        )),
    }
}

/// How soon a notice the notifier reported failed is delivered again locally. In AWS it is the
/// queue's visibility timeout (180 s); locally a shorter wait lets people and tests watch a
/// poison notice reach the dead-letter queue in seconds, while the fifth receive still comes
/// after a mail claim's 10-second lease has lapsed.
const LOCAL_RETRY: i32 = 3;

/// Receives from the queue forever and hands each batch to the notifier, deleting what it
/// mailed and making what failed visible again soon.
pub async fn feed_notifier(notifier: Arc<Notifier>, sqs: aws_sdk_sqs::Client, queue_url: String) {
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await;
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(err) => {
                tracing::warn!(error = %aws_sdk_sqs::Error::from(err), "could not read the notifications queue");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attributes: serde_json::Map<String, Value> = m
                    .attributes()
                    .map(|a| a.iter().map(|(k, v)| (k.as_str().to_string(), json!(v))).collect())
                    .unwrap_or_default();
                json!({"messageId": m.message_id(), "receiptHandle": m.receipt_handle(),
                       "body": m.body(), "attributes": attributes, "messageAttributes": {},
                       "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:local:notifications",
                       "awsRegion": "us-east-1"})
            })
            .collect();
        let event = match serde_json::from_value(json!({ "Records": records })) {
            Ok(event) => event,
            Err(err) => {
                tracing::error!(error = %err, "could not build an SQS event");
                continue;
            }
        };
        let failed: Vec<String> = match holdfast_functions::notifier::handler(
            &notifier,
            LambdaEvent::new(event, Context::default()),
        )
        .await
        {
            Ok(response) => response
                .batch_item_failures
                .into_iter()
                .map(|f| f.item_identifier)
                .collect(),
            Err(err) => {
                tracing::error!(error = %err, "the notifier failed a whole batch");
                messages
                    .iter()
                    .filter_map(|m| m.message_id.clone())
                    .collect()
            }
        };
        for message in &messages {
            let handle = message.receipt_handle().unwrap_or_default();
            let call = if failed
                .iter()
                .any(|id| Some(id.as_str()) == message.message_id())
            {
                sqs.change_message_visibility()
                    .queue_url(&queue_url)
                    .receipt_handle(handle)
                    .visibility_timeout(LOCAL_RETRY)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws_sdk_sqs::Error::from)
            } else {
                sqs.delete_message()
                    .queue_url(&queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(aws_sdk_sqs::Error::from)
            };
            if let Err(err) = call {
                tracing::warn!(error = %err, "could not settle a notifications message");
            }
        }
    }
}

/// One mail as `GET /_local/mail` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SentMail {
    pub to: Vec<String>,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Every mail moto's SES took, oldest first, optionally only those to `to`.
pub async fn sent_mail(
    client: &reqwest::Client,
    aws_endpoint: &str,
    to: Option<&str>,
) -> Result<Vec<SentMail>, String> {
    let url = format!("{}/moto-api/data.json", aws_endpoint.trim_end_matches('/'));
    let data: Value = client
        .get(&url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("moto at {aws_endpoint} did not answer: {e}"))?
        .json()
        .await
        .map_err(|e| format!("moto's data is not JSON: {e}"))?;
    let raw_messages = data["ses"]["RawMessage"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut mails = Vec::new();
    for raw in raw_messages {
        let Some(mail) = parse(raw["raw_data"].as_str().unwrap_or_default()) else {
            continue;
        };
        if to.is_none_or(|t| mail.to.iter().any(|m| m.eq_ignore_ascii_case(t))) {
            mails.push(mail);
        }
    }
    Ok(mails)
}

fn addresses(address: Option<&mail_parser::Address<'_>>) -> Vec<String> {
    address
        .map(|a| {
            a.iter()
                .filter_map(|addr| addr.address().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn parse(raw: &str) -> Option<SentMail> {
    let message = mail_parser::MessageParser::default().parse(raw.as_bytes())?;
    Some(SentMail {
        to: addresses(message.to()),
        from: addresses(message.from())
            .into_iter()
            .next()
            .unwrap_or_default(),
        subject: message.subject().unwrap_or_default().to_string(),
        text: message
            .body_text(0)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        html: message
            .body_html(0)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mime_mail_reads_back_as_written() {
        let raw = mail_builder::MessageBuilder::new()
            .from("no-reply@holdfast.example")
            .to("ana@example.com")
            .subject("Reserva confirmada: Pista 1, 2031-12-02, 10:00–11:30")
            .text_body("Hola Ana")
            .html_body("<p>Hola Ana</p>")
            .write_to_string()
            .unwrap();
        let mail = parse(&raw).unwrap();
        assert_eq!(mail.to, ["ana@example.com"]);
        assert_eq!(
            mail.subject,
            "Reserva confirmada: Pista 1, 2031-12-02, 10:00–11:30"
        );
        assert_eq!(mail.text.trim(), "Hola Ana");
        assert_eq!(mail.html.trim(), "<p>Hola Ana</p>");
    }
}
