//! The table's pulse: when DynamoDB last answered anyone in this process. A call waits for a
//! busy table as long as the table keeps answering others, and gives up once it is silent.
//!
//! A fixed per-attempt timeout cannot tell a busy table from a dead one: under a burst each
//! call waits its turn, attempts pass the timeout, and the retries add load to a table that was
//! only slow. Silence can: a frozen or unreachable table answers no one. In a Lambda instance
//! (one request at a time) silence is simply time since this call or the last answer began,
//! so the rule is an ordinary attempt timeout there.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// When the table last answered, shared by every call of one client.
#[derive(Debug)]
pub struct Pulse {
    started: Instant,
    /// Milliseconds after `started` of the last answer; 0 before the first.
    last_answer_ms: AtomicU64,
    silence: Duration,
}

/// An attempt abandoned because the table answered no one for the whole silence.
#[derive(Debug, thiserror::Error)]
#[error("DynamoDB answered no call for {0:?}")]
pub struct Silent(pub Duration);

impl Pulse {
    pub fn new(silence: Duration) -> Arc<Pulse> {
        Arc::new(Pulse {
            started: Instant::now(),
            last_answer_ms: AtomicU64::new(0),
            silence,
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn beat(&self) {
        self.last_answer_ms
            .fetch_max(self.now_ms().max(1), Ordering::Relaxed);
    }

    /// When a call begun at `begun_ms` gives up, as things stand: the silence after the later
    /// of its start and the table's last answer.
    fn deadline_ms(&self, begun_ms: u64) -> u64 {
        let last = self.last_answer_ms.load(Ordering::Relaxed);
        let silence = u64::try_from(self.silence.as_millis()).unwrap_or(u64::MAX);
        begun_ms.max(last).saturating_add(silence)
    }

    /// Resolves once the table has been silent for the whole silence since `begun_ms`.
    async fn silent_since(&self, begun_ms: u64) {
        loop {
            let now = self.now_ms();
            let deadline = self.deadline_ms(begun_ms);
            if now >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(deadline - now)).await;
        }
    }
}

#[derive(Debug)]
struct PulsedConnector {
    inner: SharedHttpConnector,
    pulse: Arc<Pulse>,
}

impl HttpConnector for PulsedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let call = self.inner.call(request);
        let pulse = self.pulse.clone();
        HttpConnectorFuture::new(async move {
            let begun = pulse.now_ms();
            tokio::select! {
                answered = call => {
                    // Any HTTP answer, an error status included, shows the table alive.
                    if answered.is_ok() {
                        pulse.beat();
                    }
                    answered
                }
                () = pulse.silent_since(begun) => {
                    Err(ConnectorError::timeout(Box::new(Silent(pulse.silence))))
                }
            }
        })
    }
}

/// `inner` (the SDK's own HTTPS client when `None`) with every call bounded by `pulse`.
pub fn pulsed_client(inner: Option<SharedHttpClient>, pulse: Arc<Pulse>) -> SharedHttpClient {
    let inner = inner.unwrap_or_else(default_https_client);
    http_client_fn(
        move |settings: &HttpConnectorSettings, components: &RuntimeComponents| {
            SharedHttpConnector::new(PulsedConnector {
                inner: inner.http_connector(settings, components),
                pulse: pulse.clone(),
            })
        },
    )
}

/// The client the SDK would build itself: hyper with rustls on aws-lc.
fn default_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::{Builder, tls};
    Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_waits_while_the_table_answers_others_and_gives_up_when_it_is_silent() {
        let pulse = Pulse {
            started: Instant::now(),
            last_answer_ms: AtomicU64::new(0),
            silence: Duration::from_millis(1_500),
        };
        // Never answered: the silence counts from the call's own start.
        assert_eq!(pulse.deadline_ms(200), 1_700);
        // The table answered another call after this one began: the wait starts again.
        pulse.last_answer_ms.store(1_000, Ordering::Relaxed);
        assert_eq!(pulse.deadline_ms(200), 2_500);
        // An answer from before the call does not shorten its wait.
        assert_eq!(pulse.deadline_ms(3_000), 4_500);
    }
}
