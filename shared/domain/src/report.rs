//! The monthly report: counters a booking's changes move (bookings and units by the local month
//! their time falls in, money by the local month it moved) and the report built from them.

mod counter;
mod csv;
mod deltas;
#[cfg(test)]
mod fixtures;
mod month;
mod view;

pub use counter::{Counter, REPORTED_PROVIDERS, REPORTED_STATUSES, Tally};
pub use deltas::{ReportDelta, merge_deltas, payment_deltas, refund_deltas, status_deltas};
pub use month::Month;
pub use view::{BookingCounts, MonthlyReport, ProviderLine, ResourceLine};
