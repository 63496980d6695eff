//! The state a function builds once at cold start and hands to every request.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use aws_config::BehaviorVersion;
use holdfast_store::Store;
use jiff::{SignedDuration, Timestamp};

use crate::config::Config;

/// The time as Holdfast sees it. In AWS it is the system clock; the local stack can move it
/// forward (`POST /_local/clock`) so that holds lapse without waiting.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        let now = Timestamp::now();
        let offset = self.offset_seconds.load(Ordering::Relaxed);
        now.checked_add(SignedDuration::from_secs(offset))
            .unwrap_or(now)
    }

    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::Relaxed);
    }
}

#[derive(Debug, Clone)]
pub struct App {
    pub store: Store,
    pub clock: Clock,
}

impl App {
    /// Builds the DynamoDB client once; locally it points at DynamoDB Local.
    pub async fn from_config(config: &Config) -> App {
        let mut loader = aws_config::defaults(BehaviorVersion::v2026_01_12());
        if let Some(endpoint) = &config.dynamodb_endpoint {
            // DynamoDB Local (run with -sharedDb) takes any region and key; these stand in when
            // the machine has none, so that a fresh checkout runs without AWS settings.
            loader = loader.endpoint_url(endpoint);
            if std::env::var_os("AWS_REGION").is_none()
                && std::env::var_os("AWS_DEFAULT_REGION").is_none()
            {
                loader = loader.region(aws_config::Region::new("us-east-1"));
            }
            if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                let local = aws_sdk_dynamodb::config::Credentials::new(
                    "local",
                    "local",
                    None,
                    None,
                    "holdfast-local",
                );
                loader = loader.credentials_provider(local);
            }
        }
        let shared = loader.load().await;
        let client = aws_sdk_dynamodb::Client::new(&shared);
        App {
            store: Store::new(client, config.table.clone()),
            clock: Clock::default(),
        }
    }

    /// Reads the config from the environment (a missing variable fails, named) and builds
    /// the clients: what every function's `main` does once at cold start.
    pub async fn from_env() -> Result<App, crate::config::ConfigError> {
        Ok(App::from_config(&Config::from_env()?).await)
    }

    pub fn with_store(store: Store, clock: Clock) -> App {
        App { store, clock }
    }
}
