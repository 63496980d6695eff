//! Every Lambda of Holdfast: a module each, and `FUNCTIONS`, the one table that names them. Each
//! binary in `src/bin/` is one of them; the local server and the tests dispatch through it.

use std::future::Future;
use std::pin::Pin;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use holdfast_api::services::notifier::Notifier;
pub use holdfast_api::{App, Body, Error, Request, Response};
use lambda_runtime::LambdaEvent;
use serde_json::Value;

/// A handler's future, boxed: one type for every function of a kind, and a dispatch that is a
/// pointer in size rather than the largest handler's whole future.
pub type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// A route of the HTTP API: an API Gateway v2 request in, a response out.
pub type HttpHandler = for<'a> fn(&'a App, Request) -> Answer<'a, Response<Body>>;
/// A scheduled job: EventBridge Scheduler's event in, the run's summary out.
pub type JobHandler = for<'a> fn(&'a App, LambdaEvent<Value>) -> Answer<'a, Value>;
/// The notifications queue's consumer: a batch of SQS messages in, the failed ones out.
pub type QueueHandler =
    for<'a> fn(&'a Notifier, LambdaEvent<SqsEvent>) -> Answer<'a, SqsBatchResponse>;

/// A function's handler, by what calls it.
#[derive(Debug, Clone, Copy)]
pub enum Function {
    Http(HttpHandler),
    Job(JobHandler),
    Queue(QueueHandler),
}

macro_rules! functions {
    ($($kind:ident $name:literal => $module:ident,)*) => {
        $(pub mod $module;)*

        /// Every function, by the name its binary, its resource's `Binary` in `template.yaml`
        /// and its sample events in `events/` go by. A test holds these four lists equal.
        pub const FUNCTIONS: &[(&str, Function)] = &[$(($name, functions!(@$kind $module)),)*];
    };
    (@http $module:ident) => {
        Function::Http(|app, req| Box::pin($module::handler(app, req)))
    };
    (@job $module:ident) => {
        Function::Job(|app, event| Box::pin($module::handler(app, event)))
    };
    (@queue $module:ident) => {
        Function::Queue(|notifier, event| Box::pin($module::handler(notifier, event)))
    };
}

functions! {
    http "add-calendar" => add_calendar,
    http "availability" => availability,
    http "cancel-booking" => cancel_booking,
    http "create-booking" => create_booking,
    http "create-resource" => create_resource,
    http "create-venue" => create_venue,
    http "delete-calendar" => delete_calendar,
    http "delete-payment-account" => delete_payment_account,
    job "expire-holds" => expire_holds,
    http "get-booking" => get_booking,
    http "get-venue" => get_venue,
    http "health" => health,
    http "ical-feed" => ical_feed,
    http "ical-token" => ical_token,
    http "list-calendars" => list_calendars,
    http "mercadopago-callback" => mercadopago_callback,
    http "mercadopago-connect" => mercadopago_connect,
    http "mercadopago-webhook" => mercadopago_webhook,
    http "monthly-report" => monthly_report,
    http "my-bookings" => my_bookings,
    queue "notifier" => notifier,
    http "patch-resource" => patch_resource,
    http "patch-venue" => patch_venue,
    http "payment-accounts" => payment_accounts,
    job "publish-notices" => publish_notices,
    http "put-payment-account" => put_payment_account,
    job "refresh-tokens" => refresh_tokens,
    job "send-reminders" => send_reminders,
    http "stripe-webhook" => stripe_webhook,
    http "sync-calendar" => sync_calendar,
    job "sync-calendars" => sync_calendars,
    http "venue-bookings" => venue_bookings,
}

/// The function named `name`. A const fn, so that a binary's `main!` picks its own at compile
/// time and links no other function's handler.
pub const fn find(name: &str) -> Option<Function> {
    let mut i = 0;
    while i < FUNCTIONS.len() {
        if same(FUNCTIONS[i].0.as_bytes(), name.as_bytes()) {
            return Some(FUNCTIONS[i].1);
        }
        i += 1;
    }
    None
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A binary's whole `main`: the function of `FUNCTIONS` named as the binary is, or a build that
/// stops with the name missing from the table.
#[macro_export]
macro_rules! main {
    () => {
        const FUNCTION: $crate::Function = match $crate::find(env!("CARGO_BIN_NAME")) {
            Some(function) => function,
            None => panic!("this binary's name is not in holdfast_functions::FUNCTIONS"),
        };

        fn main() -> Result<(), $crate::Error> {
            // One arm survives compilation: a job's binary builds no HTTP runtime, and only the
            // notifier's builds a mailer.
            match FUNCTION {
                $crate::Function::Http(handler) => $crate::run_http(handler),
                $crate::Function::Job(handler) => $crate::run_job(handler),
                $crate::Function::Queue(handler) => $crate::run_queue(handler),
            }
        }
    };
}

/// Tracing, the config read once and the clients built once, then Lambda's loop around
/// `serve`, on the multi-threaded runtime `#[tokio::main]` would build.
fn serve_on_runtime<F>(serve: F) -> Result<(), Error>
where
    F: Future<Output = Result<(), Error>>,
{
    holdfast_api::init_tracing();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve)
}

/// An HTTP function's main.
pub fn run_http(handler: HttpHandler) -> Result<(), Error> {
    serve_on_runtime(async move {
        let app = App::from_env().await?;
        lambda_http::run(lambda_http::service_fn(|req| handler(&app, req))).await
    })
}

/// A scheduled job's main.
pub fn run_job(handler: JobHandler) -> Result<(), Error> {
    serve_on_runtime(async move {
        let app = App::from_env().await?;
        lambda_runtime::run(lambda_runtime::service_fn(|event| handler(&app, event))).await
    })
}

/// The notifier's main.
pub fn run_queue(handler: QueueHandler) -> Result<(), Error> {
    serve_on_runtime(async move {
        let config = holdfast_api::Config::from_env()?;
        let notifier = Notifier::from_config(&config).await?;
        lambda_runtime::run(lambda_runtime::service_fn(|event| {
            handler(&notifier, event)
        }))
        .await
    })
}
