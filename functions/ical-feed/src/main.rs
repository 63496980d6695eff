#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    holdfast_api::init_tracing();
    let app = holdfast_api::App::from_env().await?;
    lambda_http::run(lambda_http::service_fn(|req| ical_feed::handler(&app, req))).await
}
