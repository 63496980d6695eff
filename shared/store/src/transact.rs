//! One way to run a `TransactWriteItems`: read its cancellation reasons, retry a race in flight
//! with jittered backoff, and tell a failed condition from contention that outlasted the retries.

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use crate::locks::{Contest, Contested};
use crate::{Store, StoreError};

/// The most actions one `TransactWriteItems` may hold: DynamoDB's limit.
pub(crate) const MAX_ACTIONS: usize = 100;

/// What a booking's largest change (a late payment) writes besides one lock per unit: the
/// booking, the provider's event id, a notice, and the counters of up to five months.
const LARGEST_CHANGE_BESIDES_LOCKS: usize = 1 + 1 + 1 + 5;

// The domain's cap on a booking's units is what keeps every change of it one transaction: a
// cap raised past the limit stops the build, not a customer's booking at run time.
const _: () = assert!(
    holdfast_domain::MAX_UNITS_PER_BOOKING + LARGEST_CHANGE_BESIDES_LOCKS <= MAX_ACTIONS,
    "a booking of the most units would not fit one DynamoDB transaction"
);

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
/// `max_attempts` times; contention that outlasts them is `StoreError::Contended`. After each
/// race in flight, `settle` may decide it without another attempt (`Some`), as a read of the
/// contested locks does; `None` leaves it open.
pub(crate) async fn retrying<F, Fut, S, SFut>(
    max_attempts: u32,
    mut attempt: F,
    mut settle: S,
) -> Result<(), Refused>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt>,
    S: FnMut() -> SFut,
    SFut: Future<Output = Option<Result<(), Refused>>>,
{
    let mut backoff = Backoff::new(max_attempts);
    loop {
        match attempt().await {
            Attempt::Committed => return Ok(()),
            Attempt::Refused(refused) => return Err(refused),
            Attempt::InFlight => {
                if let Some(settled) = settle().await {
                    return settled;
                }
                if !backoff.wait().await {
                    let attempts = backoff.attempts();
                    return Err(Refused::Store(StoreError::Contended { attempts }));
                }
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
        retrying(
            TRANSACTION_ATTEMPTS,
            || self.attempt(&actions),
            || async { None },
        )
        .await
    }

    /// Runs one transaction that takes the `contested` locks. A race in flight is first judged
    /// by one consistent read of them: a live owner holding any is the race lost, answered at
    /// once as those locks' failed conditions; the transaction is tried again only while no
    /// one holds them, so that a burst's losers cost a read each, not a storm of retries.
    pub(crate) async fn transact_claiming(
        &self,
        actions: Vec<TransactWriteItem>,
        contested: &Contested<'_>,
    ) -> Result<(), Refused> {
        retrying(
            TRANSACTION_ATTEMPTS,
            || self.attempt(&actions),
            || async {
                match self.judge(contested).await {
                    Ok(Contest::Lost(held)) => Some(Err(Refused::Conditions(
                        held.iter()
                            .filter_map(|&i| contested.locks.get(i).map(|(action, _)| *action))
                            .collect(),
                    ))),
                    Ok(Contest::Committed) => Some(Ok(())),
                    Ok(Contest::Open) => None,
                    Err(err) => Some(Err(Refused::Store(err))),
                }
            },
        )
        .await
    }

    fn attempt(&self, actions: &[TransactWriteItem]) -> impl Future<Output = Attempt> + use<> {
        let send = self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions.to_vec()))
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
        let result = retrying(
            10,
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    if n < 4 {
                        Attempt::InFlight
                    } else {
                        Attempt::Committed
                    }
                }
            },
            || async { None },
        )
        .await;
        assert!(result.is_ok());
        assert_eq!(calls.get(), 4);

        calls.set(0);
        let result = retrying(
            5,
            || {
                calls.set(calls.get() + 1);
                async { Attempt::InFlight }
            },
            || async { None },
        )
        .await;
        assert!(matches!(
            result,
            Err(Refused::Store(StoreError::Contended { attempts: 5 }))
        ));
        assert_eq!(calls.get(), 5);

        calls.set(0);
        let result = retrying(
            5,
            || {
                calls.set(calls.get() + 1);
                async { Attempt::Refused(Refused::Conditions(vec![2])) }
            },
            || async { None },
        )
        .await;
        assert!(matches!(result, Err(Refused::Conditions(f)) if f == [2]));
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_race_in_flight_judged_lost_by_the_read_is_not_tried_again() {
        let calls = Cell::new(0u32);
        let reads = Cell::new(0u32);
        let result = retrying(
            10,
            || {
                calls.set(calls.get() + 1);
                async { Attempt::InFlight }
            },
            || {
                reads.set(reads.get() + 1);
                let n = reads.get();
                // Open at the first read; the second finds a live owner.
                async move { (n >= 2).then(|| Err(Refused::Conditions(vec![3]))) }
            },
        )
        .await;
        assert!(matches!(result, Err(Refused::Conditions(f)) if f == [3]));
        assert_eq!((calls.get(), reads.get()), (2, 2));

        // A read that shows this very transaction committed ends it as committed.
        calls.set(0);
        let result = retrying(
            10,
            || {
                calls.set(calls.get() + 1);
                async { Attempt::InFlight }
            },
            || async { Some(Ok(())) },
        )
        .await;
        assert!(result.is_ok());
        assert_eq!(calls.get(), 1);
    }
}
