#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    holdfast_api::init_tracing();
    let app = holdfast_api::App::from_env().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        sync_calendars::handler(&app, event)
    }))
    .await
}
