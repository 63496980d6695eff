//! Tests that take the whole machine: bursts of 300 customers on a stack started moments before,
//! and a feed of 40,000 events. A binary of their own, one test at a time within it.

// Cargo runs test binaries one after another, so nothing else in `make test` runs beside these,
// and no other test's timing has to survive them: a burst beside the rest of the suite once
// turned a 40,000-event sync (and a fresh engine's start) into failures of luck.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod big_feed;
mod bursts;

/// The turn of one heavy test: held for the whole test.
pub(crate) type Turn = tokio::sync::MutexGuard<'static, ()>;

/// Waits for the machine: one heavy test at a time, as two at once would be a load neither
/// was measured under.
pub(crate) async fn one_at_a_time() -> Turn {
    static ONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    ONE.lock().await
}
