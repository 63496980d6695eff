//! One way to run a `TransactWriteItems`: read its cancellation reasons, retry a race in flight
//! with jittered backoff, and tell a failed condition from contention that outlasted the retries.

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use crate::{Store, StoreError};

/// How many times a transaction that lost a race in flight is tried.
pub(crate) const TRANSACTION_ATTEMPTS: u32 = 10;

/// Why a transaction did not commit.
#[derive(Debug)]
pub(crate) enum Refused {
    /// These actions' conditions failed (indexes into the transaction).
    Conditions(Vec<usize>),
    Store(StoreError),
}

/// What one attempt came to.
#[derive(Debug)]
pub(crate) enum Attempt {
    Committed,
    /// Another transaction touched the same items: try again.
    InFlight,
    Refused(Refused),
}

/// How a cancelled transaction's reasons read: failed conditions win over a race in flight, as
/// DynamoDB reports `None` for the actions it did not get to.
pub(crate) fn cancellation(service: &TransactWriteItemsError) -> Option<Attempt> {
    if let TransactWriteItemsError::TransactionCanceledException(cancelled) = service {
        let reasons = cancelled.cancellation_reasons();
        let failed: Vec<usize> = reasons
            .iter()
            .enumerate()
            .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
            .map(|(i, _)| i)
            .collect();
        if !failed.is_empty() {
            return Some(Attempt::Refused(Refused::Conditions(failed)));
        }
        if reasons
            .iter()
            .any(|r| matches!(r.code(), Some("TransactionConflict" | "ThrottlingError")))
        {
            return Some(Attempt::InFlight);
        }
        return None;
    }
    matches!(
        service.code(),
        Some("TransactionConflictException" | "TransactionInProgressException")
    )
    .then_some(Attempt::InFlight)
}

/// Jittered exponential backoff for transactions that lost a race in flight.
#[derive(Debug)]
pub(crate) struct Backoff {
    attempt: u32,
    max_attempts: u32,
}

impl Backoff {
    pub(crate) fn new(max_attempts: u32) -> Backoff {
        Backoff {
            attempt: 0,
            max_attempts,
        }
    }

    /// Waits before the next attempt; `false` when attempts are used up.
    pub(crate) async fn wait(&mut self) -> bool {
        self.attempt += 1;
        if self.attempt >= self.max_attempts {
            return false;
        }
        // Full jitter: spread racing retries so that they do not collide again.
        let cap_ms = (10u64 << self.attempt.min(6)).min(500);
        tokio::time::sleep(Duration::from_millis(fastrand::u64(1..=cap_ms))).await;
        true
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.attempt
    }
}

/// Runs `attempt` until it commits or is refused, retrying races in flight up to
/// `max_attempts` times; contention that outlasts them is `StoreError::Contended`.
pub(crate) async fn retrying<F, Fut>(max_attempts: u32, mut attempt: F) -> Result<(), Refused>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt>,
{
    let mut backoff = Backoff::new(max_attempts);
    loop {
        match attempt().await {
            Attempt::Committed => return Ok(()),
            Attempt::Refused(refused) => return Err(refused),
            Attempt::InFlight if backoff.wait().await => {}
            Attempt::InFlight => {
                let attempts = backoff.attempts();
                return Err(Refused::Store(StoreError::Contended { attempts }));
            }
        }
    }
}

/// A fresh `ClientRequestToken`: the SDK resends it when it retries an attempt that timed out,
/// so a transaction that did commit is answered as committed instead of running twice.
fn request_token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

impl Store {
    /// Runs one transaction, retrying it with jittered backoff while it loses races in flight.
    pub(crate) async fn transact(&self, actions: Vec<TransactWriteItem>) -> Result<(), Refused> {
        retrying(TRANSACTION_ATTEMPTS, || {
            let send = self
                .client
                .transact_write_items()
                .set_transact_items(Some(actions.clone()))
                .client_request_token(request_token())
                .send();
            async move {
                match send.await {
                    Ok(_) => Attempt::Committed,
                    Err(err) => match err.as_service_error().and_then(cancellation) {
                        Some(attempt) => attempt,
                        None => Attempt::Refused(Refused::Store(err.into())),
                    },
                }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use aws_sdk_dynamodb::types::CancellationReason;
    use aws_sdk_dynamodb::types::error::TransactionCanceledException;

    use super::*;

    fn cancelled(codes: &[&str]) -> TransactWriteItemsError {
        let reasons = codes
            .iter()
            .map(|c| CancellationReason::builder().code(*c).build())
            .collect();
        TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder()
                .set_cancellation_reasons(Some(reasons))
                .build(),
        )
    }

    #[test]
    fn cancellation_reasons_tell_a_taken_unit_from_a_race_in_flight() {
        match cancellation(&cancelled(&[
            "None",
            "ConditionalCheckFailed",
            "None",
            "ConditionalCheckFailed",
        ])) {
            Some(Attempt::Refused(Refused::Conditions(failed))) => assert_eq!(failed, [1, 3]),
            other => panic!("{other:?}"),
        }
        // A failed condition is final even when another action also raced.
        assert!(matches!(
            cancellation(&cancelled(&[
                "TransactionConflict",
                "ConditionalCheckFailed"
            ])),
            Some(Attempt::Refused(Refused::Conditions(_)))
        ));
        for racing in [&["None", "TransactionConflict"][..], &["ThrottlingError"]] {
            assert!(matches!(
                cancellation(&cancelled(racing)),
                Some(Attempt::InFlight)
            ));
        }
        // Anything else is no cancellation this code understands.
        assert!(cancellation(&cancelled(&["ValidationError"])).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn races_in_flight_are_retried_and_contention_that_outlasts_them_is_reported() {
        let calls = Cell::new(0u32);
        let result = retrying(10, || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move {
                if n < 4 {
                    Attempt::InFlight
                } else {
                    Attempt::Committed
                }
            }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(calls.get(), 4);

        calls.set(0);
        let result = retrying(5, || {
            calls.set(calls.get() + 1);
            async { Attempt::InFlight }
        })
        .await;
        assert!(matches!(
            result,
            Err(Refused::Store(StoreError::Contended { attempts: 5 }))
        ));
        assert_eq!(calls.get(), 5);

        calls.set(0);
        let result = retrying(5, || {
            calls.set(calls.get() + 1);
            async { Attempt::Refused(Refused::Conditions(vec![2])) }
        })
        .await;
        assert!(matches!(result, Err(Refused::Conditions(f)) if f == [2]));
        assert_eq!(calls.get(), 1);
    }
}
