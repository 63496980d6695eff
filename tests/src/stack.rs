//! The stack a test runs against: a local server of its own on a free port in front of DynamoDB
//! Local, moto and the providers' stand-ins `make test` started, and the configs that point there.

use std::sync::{Arc, OnceLock, mpsc};

use holdfast_api::services::notifier::Notifier;
use holdfast_api::{App, Clock, Config, PaymentsConfig, Timeouts};
use holdfast_domain::{RateLimits, Secret};
use holdfast_local::cors::{Cors, DEFAULT_ALLOWED_ORIGINS};
use holdfast_local::{LocalServer, TEMPLATE_YAML, Template};
use holdfast_payments::ProviderTimeouts;

use crate::Api;
use crate::tokens::SECRET;

/// A local server with its own table, served from its own thread and runtime so that it
/// outlives any one test's runtime.
#[derive(Debug, Clone)]
pub struct Stack {
    pub base_url: String,
    pub endpoint: String,
    pub table: String,
    pub clock: Clock,
    /// The functions' config: this stack's table and notifications queue.
    pub config: Config,
}

/// Where a stack's notices end: mailed by the notifier, or left on the queue for the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    Mail,
    Queue,
}

/// What a stack of a test's own is started with.
#[derive(Debug, Clone)]
pub struct StackSettings {
    pub notify: Notify,
    pub payments: PaymentsConfig,
    pub calendars: holdfast_api::CalendarsConfig,
    /// The quotas counted (`HOLDFAST_RATE_LIMITS`); none by default, as the local server.
    pub rate_limits: Option<RateLimits>,
    /// The origins browser pages may call from (`HOLDFAST_ALLOWED_ORIGINS`).
    pub allowed_origins: String,
}

impl Default for StackSettings {
    fn default() -> StackSettings {
        StackSettings {
            notify: Notify::Mail,
            payments: payments_config(None),
            calendars: calendars_config(),
            rate_limits: None,
            allowed_origins: DEFAULT_ALLOWED_ORIGINS.into(),
        }
    }
}

/// The AWS emulator (moto) `make test` starts: SQS, SES.
pub fn aws_endpoint() -> String {
    std::env::var("HOLDFAST_TEST_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!("HOLDFAST_TEST_AWS_ENDPOINT is not set: run the tests with `make test`, which starts moto")
    })
}

/// A client for the tests' own calls, bounded like every remote call: a stack that stops
/// answering fails the test in seconds, not never. `follow` says whether redirects are taken.
pub fn http_client(follow: bool) -> reqwest::Client {
    let redirects = if follow {
        reqwest::redirect::Policy::limited(5)
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(2))
        .timeout(std::time::Duration::from_secs(30))
        .redirect(redirects)
        .build()
        .expect("a client")
}

/// The DynamoDB Local `make test` starts.
pub fn dynamodb_endpoint() -> String {
    std::env::var("HOLDFAST_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("HOLDFAST_TEST_DYNAMODB_ENDPOINT is not set: run the tests with `make test`, which starts DynamoDB Local")
    })
}

/// Every log line the process wrote since [`capture_logs`].
#[derive(Debug, Clone, Default)]
pub struct LogBuffer(Arc<std::sync::Mutex<Vec<u8>>>);

/// Sends every log line of this process, debug and above, to the returned buffer. Once per
/// process: a test binary of its own (tests/logs) calls it, so that no other test's callsites
/// are cached without it.
pub fn capture_logs() -> LogBuffer {
    let logs = LogBuffer::default();
    let buffer = logs.clone();
    // The functions' own subscriber (JSON, masked, metrics raw), writing here instead of stdout.
    let subscriber = holdfast_api::logs::subscriber(
        tracing_subscriber::EnvFilter::new("debug"),
        holdfast_api::logs::LogFormat::Json,
        move || buffer.clone(),
    );
    tracing::subscriber::set_global_default(subscriber).expect("logs are captured once a process");
    logs
}

impl LogBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().map(|b| b.clone()).unwrap_or_default()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The stack most tests share (one table for the test binary).
pub fn shared() -> &'static Stack {
    static SHARED: OnceLock<Stack> = OnceLock::new();
    SHARED.get_or_init(Stack::start)
}

impl Stack {
    /// Starts a server on a free port with a table of its own.
    pub fn start() -> Stack {
        Stack::start_on(dynamodb_endpoint())
    }

    /// Starts a server on a free port in front of the DynamoDB Local at `endpoint`.
    pub fn start_on(endpoint: String) -> Stack {
        Stack::start_with(endpoint, aws_endpoint(), Notify::Mail)
    }

    /// Starts a server in front of the DynamoDB Local at `endpoint` and the AWS emulator at
    /// `aws`; with `Notify::Queue` nothing takes notices off the queue, for tests that read it.
    pub fn start_with(endpoint: String, aws: String, notify: Notify) -> Stack {
        Stack::launch_with(
            endpoint,
            aws,
            StackSettings {
                notify,
                ..StackSettings::default()
            },
        )
    }

    /// Starts a server whose payment providers are at `payments` (a localstripe or stand-in
    /// of the test's own, say).
    pub fn start_paying(payments: PaymentsConfig) -> Stack {
        Stack::start_settings(StackSettings {
            payments,
            ..StackSettings::default()
        })
    }

    /// Starts a server whose feeds are fetched under `calendars` (the development setting off,
    /// say).
    pub fn start_with_calendars(calendars: holdfast_api::CalendarsConfig) -> Stack {
        Stack::start_settings(StackSettings {
            calendars,
            ..StackSettings::default()
        })
    }

    /// Starts a server as `settings` say, on the stack `make test` started.
    pub fn start_settings(settings: StackSettings) -> Stack {
        Stack::launch_with(dynamodb_endpoint(), aws_endpoint(), settings)
    }

    fn launch_with(endpoint: String, aws: String, settings: StackSettings) -> Stack {
        let StackSettings {
            notify,
            payments,
            calendars,
            rate_limits,
            allowed_origins,
        } = settings;
        // HOLDFAST_TEST_LOG=warn (or any filter) shows the servers' own logs, for a failing test.
        if let Ok(filter) = std::env::var("HOLDFAST_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let table = format!("holdfast-test-{}", uuid::Uuid::new_v4().simple());
        let (sent, received) = mpsc::channel();
        let mut config = Config {
            table: table.clone(),
            dynamodb_endpoint: Some(endpoint.clone()),
            aws_endpoint: Some(aws),
            notifications_queue_url: None,
            mail_from: Some("no-reply@holdfast.example".into()),
            kms_key_id: None,
            timeouts: Timeouts::default(),
            payments,
            calendars,
            rate_limits,
        };
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                // Debug builds' futures are large; Lambda's release builds are far smaller.
                .thread_stack_size(8 * 1024 * 1024)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let template = Template::parse(TEMPLATE_YAML).expect("template.yaml parses");
                let sqs = holdfast_local::emulator_sqs(
                    config.aws_endpoint.as_deref().unwrap_or_default(),
                );
                let queue = template
                    .ensure_queues(&sqs, &config.table)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("creating the queues at {:?}: {e:?}", config.aws_endpoint)
                    });
                config.notifications_queue_url = Some(queue);
                config.kms_key_id = Some(
                    holdfast_local::emulator_kms_key(
                        config.aws_endpoint.as_deref().unwrap_or_default(),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
                );
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind a free port");
                let address = listener.local_addr().expect("local address");
                // Providers call this stack back (Mercado Pago's notification_url).
                config.payments.public_base_url = Some(format!("http://{address}"));
                let app = App::from_config(&config).await;
                template
                    .ensure_table(app.store.client(), &config.table)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "creating table {} at {:?}: {e:?}",
                            config.table, config.dynamodb_endpoint
                        )
                    });
                let clock = app.clock.clone();
                let notifier = Notifier::from_config(&config)
                    .await
                    .unwrap_or_else(|e| panic!("the notifier did not start: {e}"));
                let notifier = Notifier {
                    app: App {
                        clock: clock.clone(),
                        ..notifier.app
                    },
                    ..notifier
                };
                holdfast_local::mail::verify_sender(&notifier)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let server = LocalServer {
                    app,
                    jwt_secret: Arc::from(SECRET),
                    notifier: (notify == Notify::Mail).then(|| Arc::new(notifier)),
                    aws_endpoint: config.aws_endpoint.clone(),
                    routes: Template::parse(TEMPLATE_YAML)
                        .expect("template.yaml parses")
                        .routes()
                        .into(),
                    cors: Cors::new(&allowed_origins),
                };
                sent.send((address, clock, config))
                    .expect("test waits for the server");
                holdfast_local::serve(listener, server, Vec::new(), std::future::pending())
                    .await
                    .expect("server runs");
            });
        });
        let (address, clock, config) = received.recv().expect("the local server started");
        Stack {
            base_url: format!("http://{address}"),
            endpoint,
            table,
            clock,
            config,
        }
    }

    /// An app on this stack's table, with clients made in the calling test's runtime.
    pub async fn app(&self) -> App {
        let app = App::from_config(&self.config).await;
        App {
            clock: self.clock.clone(),
            ..app
        }
    }

    /// Every notice waiting in this stack's notifications queue, taken off it.
    pub async fn queued_notices(&self) -> Vec<holdfast_domain::Notice> {
        let sqs =
            holdfast_local::emulator_sqs(self.config.aws_endpoint.as_deref().unwrap_or_default());
        let queue = self
            .config
            .notifications_queue_url
            .clone()
            .expect("a queue");
        let mut notices = Vec::new();
        loop {
            let out = sqs
                .receive_message()
                .queue_url(&queue)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("receive from the notifications queue");
            if out.messages().is_empty() {
                return notices;
            }
            for message in out.messages() {
                let body = message.body().unwrap_or_default();
                notices.push(serde_json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}")));
                sqs.delete_message()
                    .queue_url(&queue)
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete a received notice");
            }
        }
    }

    pub fn api(&self) -> Api {
        Api::for_url(&self.base_url)
    }

    /// Moves this stack's clock on to `instant` (RFC 3339), as far as whole seconds go.
    pub fn advance_to(&self, instant: &str) {
        let to: jiff::Timestamp = instant
            .parse()
            .unwrap_or_else(|e| panic!("{instant} is not an instant: {e}"));
        self.clock
            .advance(to.duration_since(self.clock.now()).as_secs());
    }

    /// Every item of this stack's table by its key: two snapshots are equal only when nothing
    /// was written between them, an overwrite included.
    pub async fn table_snapshot(&self) -> TableSnapshot {
        let key = |item: &Row, name: &str| {
            item.get(name)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        scan_table(&self.app().await, &self.table)
            .await
            .into_iter()
            .map(|item| ((key(&item, "pk"), key(&item, "sk")), item))
            .collect()
    }
}

/// One item of the table, as DynamoDB returns it.
pub type Row = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// A whole table, item by `(pk, sk)`.
pub type TableSnapshot = std::collections::BTreeMap<(String, String), Row>;

/// Every item in `table` (a scan: for tests only, never the product).
pub async fn scan_table(app: &App, table: &str) -> Vec<Row> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = app
            .store
            .client()
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan the test table");
        items.extend(out.items().iter().cloned());
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            return items;
        }
    }
}

/// The config of `app`'s table with the tests' moto, for a notifier of its own.
pub fn notifier_config(app: &App) -> Config {
    Config {
        table: app.store.table().to_string(),
        dynamodb_endpoint: std::env::var("HOLDFAST_TEST_DYNAMODB_ENDPOINT").ok(),
        aws_endpoint: Some(aws_endpoint()),
        notifications_queue_url: app.publisher.as_ref().map(|p| p.queue_url().to_string()),
        mail_from: Some("no-reply@holdfast.example".into()),
        kms_key_id: None,
        timeouts: Timeouts::default(),
        payments: payments_config(None),
        calendars: calendars_config(),
        rate_limits: None,
    }
}

/// Feeds on this machine may be fetched over http (development only), with short limits so
/// that a test of a feed that does not answer is quick.
pub fn calendars_config() -> holdfast_api::CalendarsConfig {
    holdfast_api::CalendarsConfig {
        fetch: holdfast_fetch::FetchPolicy {
            connect_timeout: std::time::Duration::from_millis(1000),
            total_timeout: std::time::Duration::from_millis(2500),
            max_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            allow_loopback_http: true,
        },
    }
}

/// The secret the Mercado Pago stand-in signs its notifications with, as `make test` starts it.
pub const MERCADOPAGO_WEBHOOK_SECRET: &str = "holdfast-dev-webhook-secret";

/// localstripe, as `make test` starts it.
pub fn stripe_api_base() -> String {
    std::env::var("HOLDFAST_TEST_STRIPE_API_BASE").unwrap_or_else(|_| {
        panic!("HOLDFAST_TEST_STRIPE_API_BASE is not set: run the tests with `make test`, which starts localstripe")
    })
}

/// The Mercado Pago stand-in, as `make test` starts it.
pub fn mercadopago_api_base() -> String {
    std::env::var("HOLDFAST_TEST_MERCADOPAGO_API_BASE").unwrap_or_else(|_| {
        panic!("HOLDFAST_TEST_MERCADOPAGO_API_BASE is not set: run the tests with `make test`, which starts the Mercado Pago stand-in")
    })
}

/// The providers' local stand-ins, with short limits so that a test of one that does not
/// answer is quick; `public_base_url` is where they call back.
pub fn payments_config(public_base_url: Option<String>) -> PaymentsConfig {
    PaymentsConfig {
        stripe_api_base: stripe_api_base(),
        mercadopago_api_base: mercadopago_api_base(),
        mercadopago_auth_base: mercadopago_api_base(),
        public_base_url,
        mercadopago_webhook_secret: Some(Secret::new(MERCADOPAGO_WEBHOOK_SECRET)),
        mercadopago_client_id: Some("holdfast-dev-client".into()),
        mercadopago_client_secret: Some(Secret::new("holdfast-dev-client-secret")),
        timeouts: ProviderTimeouts {
            connect: std::time::Duration::from_millis(1000),
            attempt: std::time::Duration::from_millis(2000),
            total: std::time::Duration::from_millis(3000),
            attempts: 3,
        },
    }
}

/// An app on a table and a queue of its own, with no server: for feeding events straight to
/// handlers.
pub async fn fresh_app() -> App {
    let endpoint = std::env::var("HOLDFAST_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("HOLDFAST_TEST_DYNAMODB_ENDPOINT is not set: run the tests with `make test`, which starts DynamoDB Local")
    });
    let table = format!("holdfast-test-{}", uuid::Uuid::new_v4().simple());
    let template = Template::parse(TEMPLATE_YAML).expect("template.yaml parses");
    let queue = template
        .ensure_queues(&holdfast_local::emulator_sqs(&aws_endpoint()), &table)
        .await
        .unwrap_or_else(|e| panic!("creating the queues: {e:?}"));
    let config = Config {
        table,
        dynamodb_endpoint: Some(endpoint),
        aws_endpoint: Some(aws_endpoint()),
        notifications_queue_url: Some(queue),
        mail_from: Some("no-reply@holdfast.example".into()),
        kms_key_id: Some(
            holdfast_local::emulator_kms_key(&aws_endpoint())
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        ),
        timeouts: Timeouts::default(),
        payments: payments_config(Some("https://api.holdfast.example".into())),
        calendars: calendars_config(),
        rate_limits: None,
    };
    let app = App::from_config(&config).await;
    template
        .ensure_table(app.store.client(), &config.table)
        .await
        .unwrap_or_else(|e| panic!("creating table {}: {e:?}", config.table));
    app
}
