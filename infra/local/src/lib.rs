//! The local stack's HTTP server: template.yaml's routes and JWT authorizer in front of every
//! function's own `handler`, and the scheduled jobs on their schedules. Never deployed.

mod auth;
pub mod mail;
mod server;
mod template;

/// AWS settings for the local emulator (moto) at `endpoint`: its stand-in region and key.
fn emulator(endpoint: &str) -> aws_config::SdkConfig {
    let key = aws_sdk_sqs::config::Credentials::new("local", "local", None, None, "holdfast-local");
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::SharedCredentialsProvider::new(key))
        .endpoint_url(endpoint)
        .build()
}

/// An SQS client of the local emulator, for setting up and looking into the local queues.
pub fn emulator_sqs(endpoint: &str) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&emulator(endpoint))
}

/// A KMS key of the local emulator's, for sealing payment credentials (moto keeps keys in
/// memory: a new one each start).
pub async fn emulator_kms_key(endpoint: &str) -> Result<String, String> {
    let created = aws_sdk_kms::Client::new(&emulator(endpoint))
        .create_key()
        .description("holdfast local payment credentials")
        .send()
        .await
        .map_err(|e| {
            format!(
                "moto at {endpoint} made no KMS key: {}",
                aws_sdk_kms::Error::from(e)
            )
        })?;
    created
        .key_metadata
        .map(|m| m.key_id)
        .ok_or_else(|| "moto made a KMS key without an id".to_string())
}

pub use auth::{DEFAULT_DEV_SECRET, TokenClaims, mint_raw_token, mint_token, verify_token};
pub use server::{LocalServer, ROUTES, Route, router, run_job, serve};
pub use template::{Template, TemplateError};

/// template.yaml, as the cloud deploys it: the local stack builds its table and checks its
/// routes from this same text.
pub const TEMPLATE_YAML: &str = include_str!("../../../template.yaml");

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("DynamoDB Local refused to set up the table")]
    Table(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the table did not become active in time")]
    TableNotActive,
    #[error("the SQS emulator refused to set up the queues")]
    Queue(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the server stopped")]
    Io(#[from] std::io::Error),
}
