//! Configuration from the environment, read once at cold start; a missing or malformed
//! variable fails the start with its name.

use std::collections::HashMap;
use std::time::Duration;

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
}

/// How long anything may wait, sized well inside the functions' 10-second Lambda timeout: a
/// dependency that does not answer is a 503 in seconds, never a hang.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// `HOLDFAST_DYNAMODB_CONNECT_TIMEOUT_MS`: opening a connection to DynamoDB.
    pub connect: Duration,
    /// `HOLDFAST_DYNAMODB_ATTEMPT_TIMEOUT_MS`: one attempt of a DynamoDB call.
    pub attempt: Duration,
    /// `HOLDFAST_DYNAMODB_OPERATION_TIMEOUT_MS`: a whole DynamoDB call, its retries included.
    pub operation: Duration,
    /// `HOLDFAST_REQUEST_TIMEOUT_MS`: a whole request to a function, every call included.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_millis(1_000),
            attempt: Duration::from_millis(2_500),
            operation: Duration::from_millis(4_000),
            request: Duration::from_millis(8_000),
        }
    }
}

impl Timeouts {
    fn from_vars(vars: &HashMap<String, String>) -> Result<Timeouts, ConfigError> {
        let defaults = Timeouts::default();
        let read = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            match vars.get(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| (1..=900_000).contains(ms))
                    .map(Duration::from_millis)
                    .ok_or(ConfigError::Invalid {
                        name,
                        reason: "must be a whole number of milliseconds from 1 to 900000",
                    }),
            }
        };
        let timeouts = Timeouts {
            connect: read("HOLDFAST_DYNAMODB_CONNECT_TIMEOUT_MS", defaults.connect)?,
            attempt: read("HOLDFAST_DYNAMODB_ATTEMPT_TIMEOUT_MS", defaults.attempt)?,
            operation: read("HOLDFAST_DYNAMODB_OPERATION_TIMEOUT_MS", defaults.operation)?,
            request: read("HOLDFAST_REQUEST_TIMEOUT_MS", defaults.request)?,
        };
        if timeouts.attempt > timeouts.operation {
            return Err(ConfigError::Invalid {
                name: "HOLDFAST_DYNAMODB_ATTEMPT_TIMEOUT_MS",
                reason: "must not exceed HOLDFAST_DYNAMODB_OPERATION_TIMEOUT_MS",
            });
        }
        if timeouts.operation > timeouts.request {
            return Err(ConfigError::Invalid {
                name: "HOLDFAST_DYNAMODB_OPERATION_TIMEOUT_MS",
                reason: "must not exceed HOLDFAST_REQUEST_TIMEOUT_MS",
            });
        }
        Ok(timeouts)
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
        Ok(Config {
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
            })
        );
    }

    #[test]
    fn timeouts_read_in_milliseconds_and_nest() {
        let config = Config::from_vars(&vars(&[
            ("HOLDFAST_TABLE", "t"),
            ("HOLDFAST_DYNAMODB_ATTEMPT_TIMEOUT_MS", "500"),
            ("HOLDFAST_REQUEST_TIMEOUT_MS", "6000"),
        ]))
        .unwrap();
        assert_eq!(config.timeouts.attempt, Duration::from_millis(500));
        assert_eq!(config.timeouts.request, Duration::from_secs(6));
        for (name, value) in [
            ("HOLDFAST_DYNAMODB_CONNECT_TIMEOUT_MS", "soon"),
            ("HOLDFAST_DYNAMODB_OPERATION_TIMEOUT_MS", "0"),
            ("HOLDFAST_DYNAMODB_ATTEMPT_TIMEOUT_MS", "9000"),
        ] {
            let err = Config::from_vars(&vars(&[("HOLDFAST_TABLE", "t"), (name, value)]));
            assert!(
                matches!(err, Err(ConfigError::Invalid { .. })),
                "{name}={value}: {err:?}"
            );
        }
    }
}
