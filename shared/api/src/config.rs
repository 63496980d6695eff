//! Configuration from the environment, read once at cold start; a missing or malformed
//! variable fails the start with its name.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `HOLDFAST_TABLE`: the DynamoDB table.
    pub table: String,
    /// `HOLDFAST_DYNAMODB_ENDPOINT`: DynamoDB Local's URL; unset in AWS.
    pub dynamodb_endpoint: Option<String>,
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
        let dynamodb_endpoint = match vars
            .get("HOLDFAST_DYNAMODB_ENDPOINT")
            .filter(|v| !v.is_empty())
        {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.clone())
            }
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "HOLDFAST_DYNAMODB_ENDPOINT",
                    reason: "must be an http:// or https:// URL",
                });
            }
            None => None,
        };
        Ok(Config {
            table,
            dynamodb_endpoint,
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
                dynamodb_endpoint: Some("http://127.0.0.1:8000".into())
            })
        );
    }
}
