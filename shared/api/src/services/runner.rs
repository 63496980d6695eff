//! One way a job works through its items: a few at a time, none started once its budget is
//! spent. What the budget does not reach is left, and counted, for the job's next run.

use std::collections::HashMap;
use std::future::Future;

use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;

/// Runs `work` on each `(key, item)`, at most `in_flight` at once, starting none at or after
/// `stop_starting`. Each outcome goes to `done` with its item's key as it finishes (`Err`: the
/// task panicked). Answers how many items were left unstarted.
pub async fn in_flight<K, T, R, Fut>(
    items: impl IntoIterator<Item = (K, T)>,
    in_flight: usize,
    stop_starting: Instant,
    mut work: impl FnMut(T) -> Fut,
    mut done: impl FnMut(K, Result<R, JoinError>),
) -> usize
where
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    let mut items = items.into_iter();
    let mut running = JoinSet::new();
    let mut keys = HashMap::new();
    loop {
        while running.len() < in_flight.max(1) && Instant::now() < stop_starting {
            let Some((key, item)) = items.next() else {
                break;
            };
            let task = running.spawn(work(item));
            keys.insert(task.id(), key);
        }
        let Some(joined) = running.join_next_with_id().await else {
            break;
        };
        let (task, outcome) = match joined {
            Ok((task, result)) => (task, Ok(result)),
            Err(err) => (err.id(), Err(err)),
        };
        if let Some(key) = keys.remove(&task) {
            done(key, outcome);
        }
    }
    items.count()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn at_most_in_flight_run_at_once_and_each_outcome_keeps_its_key() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut outcomes = Vec::new();
        let left = in_flight(
            (0..10).map(|i| (i, i)),
            3,
            Instant::now() + Duration::from_secs(60),
            |i| {
                let (running, most) = (running.clone(), most.clone());
                async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10 * (10 - i))).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    i * 2
                }
            },
            |key, outcome| outcomes.push((key, outcome.ok())),
        )
        .await;
        assert_eq!(left, 0);
        assert_eq!(most.load(Ordering::SeqCst), 3);
        outcomes.sort();
        let expected: Vec<(u64, Option<u64>)> = (0..10).map(|i| (i, Some(i * 2))).collect();
        assert_eq!(outcomes, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_starts_once_the_budget_is_spent_and_the_rest_is_counted() {
        let stop = Instant::now() + Duration::from_secs(25);
        let mut finished = Vec::new();
        let left = in_flight(
            (0..10).map(|i| (i, i)),
            2,
            stop,
            |i| async move {
                tokio::time::sleep(Duration::from_secs(10)).await;
                i
            },
            |key, _| finished.push(key),
        )
        .await;
        // Two start at 0 s, two at 10 s, two at 20 s; at 30 s the budget is spent.
        assert_eq!(finished.len(), 6);
        assert_eq!(left, 4);
    }

    #[tokio::test]
    async fn a_task_that_panics_is_reported_under_its_key() {
        let mut outcomes = Vec::new();
        in_flight(
            [("fine", false), ("broken", true)],
            2,
            Instant::now() + Duration::from_secs(60),
            |panics| async move {
                assert!(!panics, "this task panics on purpose");
            },
            |key, outcome| outcomes.push((key, outcome.is_err())),
        )
        .await;
        outcomes.sort();
        assert_eq!(outcomes, [("broken", true), ("fine", false)]);
    }
}
