//! Every Lambda of Holdfast: a module each, and `FUNCTIONS`, the one table that names them. Each
//! binary in `src/bin/` is one of them; the local server and the tests dispatch through it.

use std::future::Future;
use std::pin::Pin;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use holdfast_api::gate;
use holdfast_api::limits::Audience;
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
    /// A route, behind its rate limit ([`holdfast_api::gate`]), with who it is for.
    Http(HttpHandler, Audience),
    Job(JobHandler),
    Queue(QueueHandler),
}

macro_rules! functions {
    ($($kind:ident $(($audience:ident))? $name:literal => $module:ident,)*) => {
        $(pub mod $module;)*

        /// Every function, by the name its binary, its resource's `Binary` in `template.yaml`
        /// and its sample events in `events/` go by. A test holds these four lists equal; a
        /// route's audience is what `openapi.yaml`'s `x-audience` says.
        pub const FUNCTIONS: &[(&str, Function)] =
            &[$(($name, functions!(@$kind $module $($audience)?)),)*];
    };
    (@http $module:ident $audience:ident) => {
        Function::Http(
            |app, req| Box::pin(gate::guarded(app, req, Audience::$audience, $module::handler)),
            Audience::$audience,
        )
    };
    (@job $module:ident) => {
        Function::Job(|app, event| Box::pin($module::handler(app, event)))
    };
    (@queue $module:ident) => {
        Function::Queue(|notifier, event| Box::pin($module::handler(notifier, event)))
    };
}

functions! {
    http(Admin) "add-calendar" => add_calendar,
    http(Anyone) "availability" => availability,
    http(OwnerOrAdmin) "cancel-booking" => cancel_booking,
    http(SignedIn) "create-booking" => create_booking,
    http(Admin) "create-resource" => create_resource,
    http(Admin) "create-venue" => create_venue,
    http(Admin) "delete-calendar" => delete_calendar,
    http(Admin) "delete-payment-account" => delete_payment_account,
    job "expire-holds" => expire_holds,
    http(OwnerOrAdmin) "get-booking" => get_booking,
    http(Anyone) "get-venue" => get_venue,
    http(Health) "health" => health,
    http(Token) "ical-feed" => ical_feed,
    http(Admin) "ical-token" => ical_token,
    http(Admin) "list-calendars" => list_calendars,
    http(Provider) "mercadopago-callback" => mercadopago_callback,
    http(Admin) "mercadopago-connect" => mercadopago_connect,
    http(Provider) "mercadopago-webhook" => mercadopago_webhook,
    http(Admin) "monthly-report" => monthly_report,
    http(SignedIn) "my-bookings" => my_bookings,
    queue "notifier" => notifier,
    http(Admin) "patch-resource" => patch_resource,
    http(Admin) "patch-venue" => patch_venue,
    http(Admin) "payment-accounts" => payment_accounts,
    job "publish-notices" => publish_notices,
    http(Admin) "put-payment-account" => put_payment_account,
    job "refresh-tokens" => refresh_tokens,
    job "send-reminders" => send_reminders,
    http(Provider) "stripe-webhook" => stripe_webhook,
    http(Admin) "sync-calendar" => sync_calendar,
    job "sync-calendars" => sync_calendars,
    http(Admin) "venue-bookings" => venue_bookings,
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
                $crate::Function::Http(handler, _) => $crate::run_http(handler),
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
