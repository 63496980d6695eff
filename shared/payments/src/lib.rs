//! The payment providers as Holdfast calls them: a few typed calls each to Stripe and Mercado
//! Pago over one bounded HTTP client. Credentials come in per call and never reach a log line.

mod decimal;
pub mod mercadopago;
pub mod stripe;

use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

pub use decimal::{from_decimal, to_decimal};

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// No answer in time, a refused connection or a 5xx after the retries: say 503.
    #[error("{provider} did not answer")]
    Unavailable {
        provider: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The provider refused the credentials (401/403): the venue's account needs attention.
    #[error("{provider} refused the venue's credentials")]
    Unauthorized { provider: &'static str },
    /// A 4xx other than the credentials: what was asked cannot be done.
    #[error("{provider} refused the request ({status}): {message}")]
    Refused {
        provider: &'static str,
        status: u16,
        message: String,
    },
    /// 404: no such object at the provider (or not the venue's).
    #[error("{provider} knows no such {what}")]
    NotFound {
        provider: &'static str,
        what: &'static str,
    },
    /// An answer that does not read as documented.
    #[error("{provider} answered in an unexpected shape")]
    Malformed {
        provider: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ProviderError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ProviderError::Unavailable { .. })
    }
}

/// The HTTP client could not be built.
pub type ClientError = reqwest::Error;

/// How long a provider call may take: connecting, each attempt, and the call with its retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderTimeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub total: Duration,
    pub attempts: u32,
}

impl Default for ProviderTimeouts {
    fn default() -> ProviderTimeouts {
        ProviderTimeouts {
            connect: Duration::from_millis(1000),
            attempt: Duration::from_millis(2500),
            total: Duration::from_millis(5000),
            attempts: 3,
        }
    }
}

/// One HTTP client for every provider call, built once at cold start.
#[derive(Debug, Clone)]
pub struct ProviderHttp {
    client: reqwest::Client,
    timeouts: ProviderTimeouts,
}

impl ProviderHttp {
    /// Fails only when the TLS backend cannot start.
    pub fn new(timeouts: ProviderTimeouts) -> Result<ProviderHttp, ClientError> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.attempt)
            .user_agent(concat!("holdfast/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(ProviderHttp { client, timeouts })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends the request `build` makes, again after network errors and 5xx only, with backoff,
    /// within the total budget. Every retry carries the same idempotency key, so that a
    /// request that did land is not repeated by the provider.
    async fn send(
        &self,
        provider: &'static str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, ProviderError> {
        let unavailable = |source: Box<dyn std::error::Error + Send + Sync>| {
            ProviderError::Unavailable { provider, source }
        };
        let attempts = async {
            let mut last: Option<ProviderError> = None;
            for attempt in 0..self.timeouts.attempts.max(1) {
                if attempt > 0 {
                    let base = 100u64 << attempt.min(5);
                    tokio::time::sleep(Duration::from_millis(base + fastrand::u64(0..base))).await;
                }
                match build().send().await {
                    Ok(response) if response.status().is_server_error() => {
                        last = Some(unavailable(
                            format!("status {}", response.status().as_u16()).into(),
                        ));
                    }
                    Ok(response) => return Ok(response),
                    Err(err) => last = Some(unavailable(Box::new(err.without_url()))),
                }
            }
            Err(last.unwrap_or_else(|| unavailable("no attempt was made".into())))
        };
        match tokio::time::timeout(self.timeouts.total, attempts).await {
            Ok(result) => result,
            Err(elapsed) => Err(unavailable(Box::new(elapsed))),
        }
    }

    /// Sends and reads a JSON answer of type `T`, turning the provider's refusals into errors.
    async fn json<T: DeserializeOwned>(
        &self,
        provider: &'static str,
        what: &'static str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<T, ProviderError> {
        let response = self.send(provider, build).await?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| ProviderError::Unavailable {
                provider,
                source: Box::new(e.without_url()),
            })?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| ProviderError::Malformed {
                provider,
                source: Box::new(e),
            });
        }
        Err(refusal(provider, what, status, &body))
    }
}

fn refusal(
    provider: &'static str,
    what: &'static str,
    status: StatusCode,
    body: &[u8],
) -> ProviderError {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            ProviderError::Unauthorized { provider }
        }
        StatusCode::NOT_FOUND => ProviderError::NotFound { provider, what },
        _ => {
            let message = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| {
                    v.pointer("/error/message")
                        .or_else(|| v.get("message"))
                        .and_then(|m| m.as_str())
                        .map(|m| m.chars().take(300).collect())
                })
                .unwrap_or_default();
            ProviderError::Refused {
                provider,
                status: status.as_u16(),
                message,
            }
        }
    }
}

/// A base URL without its trailing slash, so that paths join cleanly.
fn base(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}
