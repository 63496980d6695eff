#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    holdfast_api::init_tracing();
    let config = holdfast_api::Config::from_env()?;
    let notifier = holdfast_api::services::notifier::Notifier::from_config(&config).await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        notifier::handler(&notifier, event)
    }))
    .await
}
