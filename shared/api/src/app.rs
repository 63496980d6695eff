//! The state a function builds once at cold start and hands to every request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use holdfast_domain::{CancellationPolicy, Currency, RateLimits, Venue, VenueId, Zone};

use aws_config::BehaviorVersion;
use holdfast_messaging::Publisher;
use holdfast_store::Store;
use holdfast_vault::Vault;
use jiff::{SignedDuration, Timestamp};

use holdfast_payments::mercadopago::MercadoPago;
use holdfast_payments::stripe::Stripe;
use holdfast_payments::{ClientError, ProviderHttp};

use crate::config::{Config, PaymentsConfig, Timeouts};

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

/// What a booking needs of its venue: what never changes once created (organisation, zone,
/// currency), how long before a booking its customer is reminded and what a cancellation
/// refunds.
#[derive(Debug, Clone, PartialEq)]
pub struct VenueFacts {
    pub venue_id: VenueId,
    pub org_id: String,
    pub zone: Zone,
    pub currency: Currency,
    pub reminder_hours: u32,
    /// What a customer's cancellation refunds.
    pub cancellation_policy: CancellationPolicy,
}

impl From<&Venue> for VenueFacts {
    fn from(venue: &Venue) -> VenueFacts {
        VenueFacts {
            venue_id: venue.venue_id.clone(),
            org_id: venue.org_id.clone(),
            zone: venue.zone.clone(),
            currency: venue.currency,
            reminder_hours: venue.settings.reminder_hours,
            cancellation_policy: venue.settings.cancellation_policy.clone(),
        }
    }
}

/// Venue facts a warm function has read in the last minute: every booking after the first
/// skips one read of the table. The immutable facts never go stale; a changed `reminder_hours`
/// or cancellation policy applies a minute later at most.
#[derive(Debug, Clone, Default)]
pub struct VenueFactsCache(Arc<RwLock<HashMap<VenueId, CachedFacts>>>);

/// Facts and when they were read.
type CachedFacts = (Arc<VenueFacts>, Instant);

/// How long a warm function trusts the venue settings it read.
const VENUE_CACHE_TTL: Duration = Duration::from_secs(60);

/// A bound on the cache, so that a long-lived process never grows without end.
const VENUE_CACHE_LIMIT: usize = 10_000;

impl VenueFactsCache {
    pub fn get(&self, venue_id: &VenueId) -> Option<Arc<VenueFacts>> {
        let map = self.0.read().ok()?;
        let (facts, read_at) = map.get(venue_id)?;
        (read_at.elapsed() < VENUE_CACHE_TTL).then(|| facts.clone())
    }

    pub fn insert(&self, facts: Arc<VenueFacts>) {
        if let Ok(mut map) = self.0.write() {
            if map.len() >= VENUE_CACHE_LIMIT {
                map.clear();
            }
            map.insert(facts.venue_id.clone(), (facts, Instant::now()));
        }
    }
}

#[derive(Debug, Clone)]
pub struct App {
    pub store: Store,
    pub clock: Clock,
    pub venues: VenueFactsCache,
    /// A request still running after this is answered 503 (see `respond`).
    pub request_timeout: std::time::Duration,
    /// The notifications queue; without one, notices wait in the outbox.
    pub publisher: Option<Publisher>,
    /// KMS, for payment credentials; without a key, accounts cannot be stored.
    pub vault: Option<Vault>,
    /// Stripe and Mercado Pago, and how Holdfast is known to them.
    pub providers: Option<Providers>,
    /// Fetches imported calendar feeds, refusing what must not be reached.
    pub feeds: Option<holdfast_fetch::FeedFetcher>,
    /// The quotas counted per caller; `None`: nothing is limited.
    pub rate_limits: Option<RateLimits>,
}

/// The payment providers' clients, built once.
#[derive(Debug, Clone)]
pub struct Providers {
    pub stripe: Stripe,
    pub mercadopago: MercadoPago,
    pub config: PaymentsConfig,
}

impl Providers {
    pub fn from_config(config: &PaymentsConfig) -> Result<Providers, ClientError> {
        let http = ProviderHttp::new(config.timeouts)?;
        Ok(Providers {
            stripe: Stripe::new(http.clone(), &config.stripe_api_base),
            mercadopago: MercadoPago::new(http, &config.mercadopago_api_base),
            config: config.clone(),
        })
    }
}

impl App {
    /// Builds the clients once: DynamoDB (DynamoDB Local locally) and, when a queue is
    /// configured, SQS (moto locally).
    pub async fn from_config(config: &Config) -> App {
        App::from_sdk(config, &sdk_config(config).await)
    }

    /// The app's clients from AWS settings already loaded.
    pub fn from_sdk(config: &Config, shared: &aws_config::SdkConfig) -> App {
        // DynamoDB may have an endpoint of its own (DynamoDB Local); every other service uses
        // the shared one (moto locally, AWS's own when none is set).
        // The table is waited for while it answers anyone and given up on once it is silent
        // (its pulse), within the busy bound, rather than after a fixed attempt timeout.
        let pulse = holdfast_store::Pulse::new(config.timeouts.silence);
        let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(shared)
            .http_client(holdfast_store::pulsed_client(shared.http_client(), pulse))
            .timeout_config(store_timeouts(&config.timeouts));
        if let Some(endpoint) = &config.dynamodb_endpoint {
            dynamodb = dynamodb.endpoint_url(endpoint);
        }
        let client = aws_sdk_dynamodb::Client::from_conf(dynamodb.build());
        let mut app = App::with_store(Store::new(client, config.table.clone()), Clock::default());
        app.request_timeout = config.timeouts.request;
        app.rate_limits = config.rate_limits.clone();
        if let Some(queue_url) = &config.notifications_queue_url {
            let client = aws_sdk_sqs::Client::new(shared);
            app.publisher = Some(Publisher::new(client, queue_url.clone()));
        }
        if let Some(key_id) = &config.kms_key_id {
            let client = aws_sdk_kms::Client::new(shared);
            app.vault = Some(Vault::new(client, key_id.clone()));
        }
        match holdfast_fetch::FeedFetcher::new(config.calendars.fetch) {
            Ok(feeds) => app.feeds = Some(feeds),
            Err(err) => tracing::error!(error = %err, "the feed fetcher did not build"),
        }
        match Providers::from_config(&config.payments) {
            Ok(providers) => app.providers = Some(providers),
            // Only a TLS backend that cannot start gets here: online payments answer 500.
            Err(err) => {
                tracing::error!(error = %err, "the payment providers' client did not build")
            }
        }
        app
    }

    /// Reads the config from the environment (a missing variable fails, named) and builds
    /// the clients: what every function's `main` does once at cold start.
    pub async fn from_env() -> Result<App, crate::config::ConfigError> {
        Ok(App::from_config(&Config::from_env()?).await)
    }

    pub fn with_store(store: Store, clock: Clock) -> App {
        App {
            store,
            clock,
            venues: VenueFactsCache::default(),
            request_timeout: Timeouts::default().request,
            publisher: None,
            vault: None,
            providers: None,
            feeds: None,
            rate_limits: None,
        }
    }
}

/// The AWS settings every client shares: bounded timeouts and retries, and locally the stand-in
/// region and key the emulators accept.
pub async fn sdk_config(config: &Config) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::v2026_01_12())
        .timeout_config(sdk_timeouts(&config.timeouts))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3));
    if let Some(endpoint) = &config.aws_endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    if config.dynamodb_endpoint.is_some() || config.aws_endpoint.is_some() {
        // The local stand-ins take any region and key; these stand in when the machine has
        // none, so that a fresh checkout runs without AWS settings.
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
    loader.load().await
}

/// Every AWS call is bounded: connecting, each attempt, and the whole call with its
/// retries. SQS and KMS are bounded by `attempt` and `operation`; DynamoDB by `busy` alone
/// (the whole call however busy the table), as silence (its pulse) ends an attempt on a table
/// that answers no one. A store that does not answer becomes `StoreError::Unavailable`, a 503.
fn bounds(
    connect: Duration,
    attempt: Duration,
    call: Duration,
) -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(connect)
        .read_timeout(attempt)
        .operation_attempt_timeout(attempt)
        .operation_timeout(call)
        .build()
}

fn sdk_timeouts(timeouts: &Timeouts) -> aws_config::timeout::TimeoutConfig {
    bounds(timeouts.connect, timeouts.attempt, timeouts.operation)
}

fn store_timeouts(timeouts: &Timeouts) -> aws_config::timeout::TimeoutConfig {
    bounds(timeouts.connect, timeouts.busy, timeouts.busy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: &str) -> Arc<VenueFacts> {
        Arc::new(VenueFacts {
            venue_id: id.into(),
            org_id: "org".into(),
            zone: Zone::parse("Europe/Madrid").unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            reminder_hours: 24,
            cancellation_policy: CancellationPolicy::default(),
        })
    }

    #[test]
    fn the_venue_cache_remembers_and_stays_bounded() {
        let cache = VenueFactsCache::default();
        assert!(cache.get(&"v1".into()).is_none());
        cache.insert(facts("v1"));
        assert_eq!(
            cache.get(&"v1".into()).map(|f| f.org_id.clone()),
            Some("org".into())
        );
        for i in 0..VENUE_CACHE_LIMIT {
            cache.insert(facts(&format!("v{i}-x")));
        }
        assert!(cache.0.read().unwrap().len() <= VENUE_CACHE_LIMIT);
    }

    #[test]
    fn the_clock_moves_forward_only_when_told() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(3600);
        assert!(clock.now().duration_since(before).as_secs() >= 3600);
    }
}
