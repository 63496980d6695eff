//! Configuration from the environment, read once at cold start; a missing or malformed
//! variable fails the start with its name.

use std::collections::HashMap;
use std::time::Duration;

use holdfast_domain::{RateLimits, Secret};
use holdfast_payments::ProviderTimeouts;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `HOLDFAST_TABLE`: the DynamoDB table.
    pub table: String,
    /// `HOLDFAST_DYNAMODB_ENDPOINT`: DynamoDB Local's URL; unset in AWS.
    pub dynamodb_endpoint: Option<String>,
    /// `HOLDFAST_AWS_ENDPOINT`: where the AWS services are (moto locally), but for DynamoDB when
    /// it has an endpoint of its own; unset in AWS.
    pub aws_endpoint: Option<String>,
    /// `HOLDFAST_NOTIFICATIONS_QUEUE_URL`: the queue notices go to. Without it they wait in the
    /// outbox for a function that has one.
    pub notifications_queue_url: Option<String>,
    /// `HOLDFAST_MAIL_FROM`: the verified SES sender the notifier mails from.
    pub mail_from: Option<String>,
    /// `HOLDFAST_KMS_KEY_ID`: the KMS key payment credentials are sealed with.
    pub kms_key_id: Option<String>,
    pub timeouts: Timeouts,
    pub payments: PaymentsConfig,
    pub calendars: CalendarsConfig,
    /// `HOLDFAST_RATE_LIMITS` (`writes=20/60,admin=300/60,public=120/60`): the quotas counted
    /// in the table. Unset, nothing is limited (the local server's default).
    pub rate_limits: Option<RateLimits>,
}

/// How imported calendar feeds are fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarsConfig {
    /// `HOLDFAST_FEED_CONNECT_TIMEOUT_MS` and `HOLDFAST_FEED_TIMEOUT_MS` (the whole fetch,
    /// redirects and body included), `HOLDFAST_FEED_MAX_BYTES`.
    pub fetch: holdfast_fetch::FetchPolicy,
}

/// Where the payment providers are and how Holdfast is known to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentsConfig {
    /// `HOLDFAST_STRIPE_API_BASE`: Stripe's API (localstripe locally).
    pub stripe_api_base: String,
    /// `HOLDFAST_MERCADOPAGO_API_BASE`: Mercado Pago's API (the stand-in locally).
    pub mercadopago_api_base: String,
    /// `HOLDFAST_MERCADOPAGO_AUTH_BASE`: where sellers authorize Holdfast (OAuth).
    pub mercadopago_auth_base: String,
    /// `HOLDFAST_PUBLIC_BASE_URL`: this API's public URL, for webhook and OAuth return URLs.
    pub public_base_url: Option<String>,
    /// `HOLDFAST_MERCADOPAGO_WEBHOOK_SECRET`: the platform's secret Mercado Pago signs with.
    pub mercadopago_webhook_secret: Option<Secret>,
    /// `HOLDFAST_MERCADOPAGO_CLIENT_ID` and `_CLIENT_SECRET`: the platform's application, for
    /// OAuth; the secret also signs OAuth `state`.
    pub mercadopago_client_id: Option<String>,
    pub mercadopago_client_secret: Option<Secret>,
    /// `HOLDFAST_PROVIDER_CONNECT_TIMEOUT_MS`, `_ATTEMPT_TIMEOUT_MS`, `_TIMEOUT_MS`.
    pub timeouts: ProviderTimeouts,
}

/// How long anything may wait, sized well inside the functions' 10-second Lambda timeout: a
/// dependency that does not answer is a 503 in seconds, never a hang; a busy one is waited for.
/// `docs/decisions.md` ("Budgets for a busy store") has the measurements behind each default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// `HOLDFAST_DYNAMODB_CONNECT_TIMEOUT_MS`: opening a connection to DynamoDB (or SQS, KMS).
    pub connect: Duration,
    /// `HOLDFAST_DYNAMODB_SILENCE_MS`: a DynamoDB attempt gives up once the table has answered
    /// no call of this process for this long (its pulse): a busy table is waited for, a frozen
    /// or unreachable one is not.
    pub silence: Duration,
    /// `HOLDFAST_DYNAMODB_ATTEMPT_TIMEOUT_MS`: one attempt of an SQS or KMS call.
    pub attempt: Duration,
    /// `HOLDFAST_DYNAMODB_OPERATION_TIMEOUT_MS`: a whole SQS or KMS call, its retries included.
    pub operation: Duration,
    /// `HOLDFAST_DYNAMODB_BUSY_TIMEOUT_MS`: a whole DynamoDB call, its retries included, however
    /// busy the table: the longest one call waits its turn while the table answers others.
    pub busy: Duration,
    /// `HOLDFAST_REQUEST_TIMEOUT_MS`: a whole request to a function, every call included.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_millis(1_000),
            silence: Duration::from_millis(4_000),
            attempt: Duration::from_millis(2_500),
            operation: Duration::from_millis(4_000),
            busy: Duration::from_millis(6_500),
            request: Duration::from_millis(8_000),
        }
    }
}

impl Timeouts {
    fn from_vars(vars: &HashMap<String, String>) -> Result<Timeouts, ConfigError> {
        let defaults = Timeouts::default();
        let read = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            milliseconds(vars, name).map(|ms| ms.unwrap_or(default))
        };
        let timeouts = Timeouts {
            connect: read("HOLDFAST_DYNAMODB_CONNECT_TIMEOUT_MS", defaults.connect)?,
            silence: read("HOLDFAST_DYNAMODB_SILENCE_MS", defaults.silence)?,
            attempt: read("HOLDFAST_DYNAMODB_ATTEMPT_TIMEOUT_MS", defaults.attempt)?,
            operation: read("HOLDFAST_DYNAMODB_OPERATION_TIMEOUT_MS", defaults.operation)?,
            busy: read("HOLDFAST_DYNAMODB_BUSY_TIMEOUT_MS", defaults.busy)?,
            request: read("HOLDFAST_REQUEST_TIMEOUT_MS", defaults.request)?,
        };
        let nested = [
            (
                timeouts.attempt,
                timeouts.operation,
                "HOLDFAST_DYNAMODB_ATTEMPT_TIMEOUT_MS",
                "must not exceed HOLDFAST_DYNAMODB_OPERATION_TIMEOUT_MS",
            ),
            (
                timeouts.silence,
                timeouts.busy,
                "HOLDFAST_DYNAMODB_SILENCE_MS",
                "must not exceed HOLDFAST_DYNAMODB_BUSY_TIMEOUT_MS",
            ),
            (
                timeouts.operation,
                timeouts.request,
                "HOLDFAST_DYNAMODB_OPERATION_TIMEOUT_MS",
                "must not exceed HOLDFAST_REQUEST_TIMEOUT_MS",
            ),
            (
                timeouts.busy,
                timeouts.request,
                "HOLDFAST_DYNAMODB_BUSY_TIMEOUT_MS",
                "must not exceed HOLDFAST_REQUEST_TIMEOUT_MS",
            ),
        ];
        for (inner, outer, name, reason) in nested {
            if inner > outer {
                return Err(ConfigError::Invalid { name, reason });
            }
        }
        Ok(timeouts)
    }
}

fn provider_timeouts(vars: &HashMap<String, String>) -> Result<ProviderTimeouts, ConfigError> {
    let defaults = ProviderTimeouts::default();
    let read = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
        milliseconds(vars, name).map(|ms| ms.unwrap_or(default))
    };
    let timeouts = ProviderTimeouts {
        connect: read("HOLDFAST_PROVIDER_CONNECT_TIMEOUT_MS", defaults.connect)?,
        attempt: read("HOLDFAST_PROVIDER_ATTEMPT_TIMEOUT_MS", defaults.attempt)?,
        total: read("HOLDFAST_PROVIDER_TIMEOUT_MS", defaults.total)?,
        attempts: defaults.attempts,
    };
    if timeouts.attempt > timeouts.total {
        return Err(ConfigError::Invalid {
            name: "HOLDFAST_PROVIDER_ATTEMPT_TIMEOUT_MS",
            reason: "must not exceed HOLDFAST_PROVIDER_TIMEOUT_MS",
        });
    }
    Ok(timeouts)
}

/// A variable in milliseconds, 1 to 900000; `None` when unset.
fn milliseconds(
    vars: &HashMap<String, String>,
    name: &'static str,
) -> Result<Option<Duration>, ConfigError> {
    match vars.get(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|ms| (1..=900_000).contains(ms))
            .map(|ms| Some(Duration::from_millis(ms)))
            .ok_or(ConfigError::Invalid {
                name,
                reason: "must be a whole number of milliseconds from 1 to 900000",
            }),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid {
        name: &'static str,
        reason: &'static str,
    },
    #[error("environment variable HOLDFAST_RATE_LIMITS is invalid: {0}")]
    RateLimits(String),
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(&std::env::vars().collect())
    }

    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let table = vars
            .get("HOLDFAST_TABLE")
            .filter(|v| !v.trim().is_empty())
            .ok_or(ConfigError::Missing("HOLDFAST_TABLE"))?
            .clone();
        let url = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                    Ok(Some(url.to_string()))
                }
                Some(_) => Err(ConfigError::Invalid {
                    name,
                    reason: "must be an http:// or https:// URL",
                }),
                None => Ok(None),
            }
        };
        let text = |name: &'static str| {
            vars.get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let payments = PaymentsConfig {
            stripe_api_base: url("HOLDFAST_STRIPE_API_BASE")?
                .unwrap_or_else(|| "https://api.stripe.com".into()),
            mercadopago_api_base: url("HOLDFAST_MERCADOPAGO_API_BASE")?
                .unwrap_or_else(|| "https://api.mercadopago.com".into()),
            mercadopago_auth_base: url("HOLDFAST_MERCADOPAGO_AUTH_BASE")?
                .unwrap_or_else(|| "https://auth.mercadopago.com".into()),
            public_base_url: url("HOLDFAST_PUBLIC_BASE_URL")?
                .map(|u| u.trim_end_matches('/').to_string()),
            mercadopago_webhook_secret: text("HOLDFAST_MERCADOPAGO_WEBHOOK_SECRET")
                .map(Secret::new),
            mercadopago_client_id: text("HOLDFAST_MERCADOPAGO_CLIENT_ID"),
            mercadopago_client_secret: text("HOLDFAST_MERCADOPAGO_CLIENT_SECRET").map(Secret::new),
            timeouts: provider_timeouts(vars)?,
        };
        let mut fetch = holdfast_fetch::FetchPolicy::default();
        if let Some(ms) = milliseconds(vars, "HOLDFAST_FEED_CONNECT_TIMEOUT_MS")? {
            fetch.connect_timeout = ms;
        }
        if let Some(ms) = milliseconds(vars, "HOLDFAST_FEED_TIMEOUT_MS")? {
            fetch.total_timeout = ms;
        }
        if let Some(raw) = text("HOLDFAST_FEED_MAX_BYTES") {
            fetch.max_bytes = raw
                .parse::<usize>()
                .ok()
                .filter(|b| (1024..=50 * 1024 * 1024).contains(b))
                .ok_or(ConfigError::Invalid {
                    name: "HOLDFAST_FEED_MAX_BYTES",
                    reason: "must be a whole number of bytes from 1024 to 52428800",
                })?;
        }
        // Development only: lets feeds on this machine be fetched over plain http.
        fetch.allow_loopback_http = match text("HOLDFAST_FEEDS_ALLOW_LOOPBACK_HTTP").as_deref() {
            None | Some("off") => false,
            Some("on") => true,
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "HOLDFAST_FEEDS_ALLOW_LOOPBACK_HTTP",
                    reason: "must be on or off (on for development only)",
                });
            }
        };
        Ok(Config {
            calendars: CalendarsConfig { fetch },
            payments,
            table,
            dynamodb_endpoint: url("HOLDFAST_DYNAMODB_ENDPOINT")?,
            aws_endpoint: url("HOLDFAST_AWS_ENDPOINT")?,
            notifications_queue_url: url("HOLDFAST_NOTIFICATIONS_QUEUE_URL")?,
            mail_from: match vars.get("HOLDFAST_MAIL_FROM").map(|v| v.trim()) {
                None | Some("") => None,
                Some(from) if from.contains('@') && !from.contains(char::is_whitespace) => {
                    Some(from.to_string())
                }
                Some(_) => {
                    return Err(ConfigError::Invalid {
                        name: "HOLDFAST_MAIL_FROM",
                        reason: "must be an email address",
                    });
                }
            },
            kms_key_id: vars
                .get("HOLDFAST_KMS_KEY_ID")
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty()),
            timeouts: Timeouts::from_vars(vars)?,
            rate_limits: vars
                .get("HOLDFAST_RATE_LIMITS")
                .map(|raw| RateLimits::parse(raw).map_err(ConfigError::RateLimits))
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_missing_table_is_named() {
        assert_eq!(
            Config::from_vars(&vars(&[])),
            Err(ConfigError::Missing("HOLDFAST_TABLE"))
        );
        assert_eq!(
            ConfigError::Missing("HOLDFAST_TABLE").to_string(),
            "environment variable HOLDFAST_TABLE is not set"
        );
    }

    #[test]
    fn a_malformed_endpoint_is_named() {
        let err = Config::from_vars(&vars(&[
            ("HOLDFAST_TABLE", "t"),
            ("HOLDFAST_DYNAMODB_ENDPOINT", "localhost:8000"),
        ]));
        assert!(matches!(
            err,
            Err(ConfigError::Invalid {
                name: "HOLDFAST_DYNAMODB_ENDPOINT",
                ..
            })
        ));
    }

    #[test]
    fn a_full_config_reads() {
        let config = Config::from_vars(&vars(&[
            ("HOLDFAST_TABLE", "holdfast"),
            ("HOLDFAST_DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"),
        ]));
        assert_eq!(
            config,
            Ok(Config {
                table: "holdfast".into(),
                dynamodb_endpoint: Some("http://127.0.0.1:8000".into()),
                aws_endpoint: None,
                notifications_queue_url: None,
                mail_from: None,
                kms_key_id: None,
                timeouts: Timeouts::default(),
                payments: PaymentsConfig {
                    stripe_api_base: "https://api.stripe.com".into(),
                    mercadopago_api_base: "https://api.mercadopago.com".into(),
                    mercadopago_auth_base: "https://auth.mercadopago.com".into(),
                    public_base_url: None,
                    mercadopago_webhook_secret: None,
                    mercadopago_client_id: None,
                    mercadopago_client_secret: None,
                    timeouts: ProviderTimeouts::default(),
                },
                calendars: CalendarsConfig {
                    fetch: holdfast_fetch::FetchPolicy::default(),
                },
                rate_limits: None,
            })
        );
    }

    #[test]
    fn rate_limits_read_when_set_and_a_wrong_one_is_refused() {
        let read = |raw: &str| {
            Config::from_vars(&vars(&[
                ("HOLDFAST_TABLE", "t"),
                ("HOLDFAST_RATE_LIMITS", raw),
            ]))
        };
        let limits = read(RateLimits::DEFAULT).unwrap().rate_limits.unwrap();
        assert!(limits.quota(holdfast_domain::LimitGroup::Writes).is_some());
        assert!(matches!(
            read("writes=twenty/60"),
            Err(ConfigError::RateLimits(_))
        ));
    }

    #[test]
    fn the_providers_read_from_their_own_variables() {
        let config = Config::from_vars(&vars(&[
            ("HOLDFAST_TABLE", "t"),
            ("HOLDFAST_STRIPE_API_BASE", "http://127.0.0.1:8420/"),
            ("HOLDFAST_PUBLIC_BASE_URL", "https://api.holdfast.example/"),
            ("HOLDFAST_MERCADOPAGO_WEBHOOK_SECRET", "whsec-mp"),
            ("HOLDFAST_PROVIDER_TIMEOUT_MS", "4000"),
        ]))
        .unwrap();
        assert_eq!(config.payments.stripe_api_base, "http://127.0.0.1:8420/");
        assert_eq!(
            config.payments.public_base_url.as_deref(),
            Some("https://api.holdfast.example")
        );
        assert_eq!(
            config.payments.mercadopago_webhook_secret,
            Some(Secret::new("whsec-mp"))
        );
        assert!(
            !format!("{config:?}").contains("whsec-mp"),
            "secrets never print"
        );
        assert_eq!(config.payments.timeouts.total, Duration::from_secs(4));
        let refused = Config::from_vars(&vars(&[
            ("HOLDFAST_TABLE", "t"),
            ("HOLDFAST_PROVIDER_ATTEMPT_TIMEOUT_MS", "9000"),
        ]));
        assert!(matches!(refused, Err(ConfigError::Invalid { .. })));
    }

    #[test]
    fn timeouts_read_in_milliseconds_and_nest() {
        let config = Config::from_vars(&vars(&[
            ("HOLDFAST_TABLE", "t"),
            ("HOLDFAST_DYNAMODB_ATTEMPT_TIMEOUT_MS", "500"),
            ("HOLDFAST_DYNAMODB_SILENCE_MS", "1500"),
            ("HOLDFAST_DYNAMODB_BUSY_TIMEOUT_MS", "5000"),
            ("HOLDFAST_REQUEST_TIMEOUT_MS", "6000"),
        ]))
        .unwrap();
        assert_eq!(config.timeouts.attempt, Duration::from_millis(500));
        assert_eq!(config.timeouts.silence, Duration::from_millis(1500));
        assert_eq!(config.timeouts.busy, Duration::from_secs(5));
        assert_eq!(config.timeouts.request, Duration::from_secs(6));
        for (name, value) in [
            ("HOLDFAST_DYNAMODB_CONNECT_TIMEOUT_MS", "soon"),
            ("HOLDFAST_DYNAMODB_OPERATION_TIMEOUT_MS", "0"),
            ("HOLDFAST_DYNAMODB_ATTEMPT_TIMEOUT_MS", "9000"),
            ("HOLDFAST_DYNAMODB_BUSY_TIMEOUT_MS", "9000"),
            ("HOLDFAST_DYNAMODB_SILENCE_MS", "7000"),
        ] {
            let err = Config::from_vars(&vars(&[("HOLDFAST_TABLE", "t"), (name, value)]));
            assert!(
                matches!(err, Err(ConfigError::Invalid { .. })),
                "{name}={value}: {err:?}"
            );
        }
    }
}
