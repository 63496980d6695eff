//! CloudWatch metrics as Embedded Metric Format: each metric one JSON line with its `_aws`
//! directive, printed beside the logs; CloudWatch makes the metric from the line, no API call.

use holdfast_domain::{LimitGroup, NoticeKind, Schedule};
use serde_json::{Map, Value, json};

use crate::logs::METRICS_TARGET;

/// The namespace every metric is in (the alarms in template.yaml name it).
pub const NAMESPACE: &str = "Holdfast";

/// What Holdfast counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A booking made (not an idempotent replay), by what is booked and how it came in.
    BookingCreated { kind: BookedKind, channel: Channel },
    /// A booking refused because a unit of its time was taken (409 `SLOT_TAKEN`).
    SlotConflict { kind: BookedKind },
    /// Holds the expire-holds job let go, in one run.
    HoldsExpired(u64),
    /// A provider's webhook refused, by provider and why.
    WebhookRejected {
        provider: &'static str,
        reason: &'static str,
    },
    /// Seconds since the stalest imported calendar synced (0 when none is imported), after
    /// each scheduled sync: the alarm's input, so that a job that stops running is seen.
    CalendarSyncAge(u64),
    /// A mail sent by the notifier, by notice kind.
    NotificationSent(NoticeKind),
    /// A mail the notifier could not send this time (the queue retries it).
    NotificationFailed(NoticeKind),
    /// A request refused by its rate limit.
    RateLimited(LimitGroup),
}

/// What a booking is of: a slot grid or nights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookedKind {
    Slots,
    Nights,
}

impl From<&Schedule> for BookedKind {
    fn from(schedule: &Schedule) -> BookedKind {
        match schedule {
            Schedule::Slots(_) => BookedKind::Slots,
            Schedule::Nights(_) => BookedKind::Nights,
        }
    }
}

impl BookedKind {
    fn as_str(self) -> &'static str {
        match self {
            BookedKind::Slots => "slots",
            BookedKind::Nights => "nights",
        }
    }
}

/// How a booking came in: the HTTP API today (frontends, the desk); more channels follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Api,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Api => "api",
        }
    }
}

impl Metric {
    /// Its name, unit, value and dimensions.
    fn parts(
        &self,
    ) -> (
        &'static str,
        &'static str,
        u64,
        Vec<(&'static str, &'static str)>,
    ) {
        match *self {
            Metric::BookingCreated { kind, channel } => (
                "BookingsCreated",
                "Count",
                1,
                vec![("Kind", kind.as_str()), ("Channel", channel.as_str())],
            ),
            Metric::SlotConflict { kind } => {
                ("SlotConflicts", "Count", 1, vec![("Kind", kind.as_str())])
            }
            Metric::HoldsExpired(count) => ("HoldsExpired", "Count", count, vec![]),
            Metric::WebhookRejected { provider, reason } => (
                "WebhooksRejected",
                "Count",
                1,
                vec![("Provider", provider), ("Reason", reason)],
            ),
            Metric::CalendarSyncAge(seconds) => {
                ("CalendarSyncAgeSeconds", "Seconds", seconds, vec![])
            }
            Metric::NotificationSent(kind) => (
                "NotificationsSent",
                "Count",
                1,
                vec![("Kind", kind.as_str())],
            ),
            Metric::NotificationFailed(kind) => (
                "NotificationsFailed",
                "Count",
                1,
                vec![("Kind", kind.as_str())],
            ),
            Metric::RateLimited(group) => {
                ("RateLimited", "Count", 1, vec![("Group", group.as_str())])
            }
        }
    }

    /// The EMF line for this metric at `at_ms` (epoch milliseconds).
    pub fn line(&self, at_ms: i64) -> Value {
        let (name, unit, value, dimensions) = self.parts();
        let names: Vec<&str> = dimensions.iter().map(|(k, _)| *k).collect();
        let mut line = Map::new();
        line.insert(
            "_aws".into(),
            json!({
                "Timestamp": at_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [names],
                    "Metrics": [{"Name": name, "Unit": unit}],
                }],
            }),
        );
        for (key, dimension) in dimensions {
            line.insert(key.into(), dimension.into());
        }
        line.insert(name.into(), value.into());
        Value::Object(line)
    }
}

/// Prints `metric` now, as an EMF line beside the logs.
pub fn emit(metric: Metric) {
    let line = metric.line(jiff::Timestamp::now().as_millisecond());
    tracing::info!(target: METRICS_TARGET, line = line.to_string().as_str());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metric_line_names_its_dimensions_and_carries_their_values() {
        let line = Metric::BookingCreated {
            kind: BookedKind::Nights,
            channel: Channel::Api,
        }
        .line(1_800_000_000_000);
        assert_eq!(
            line,
            json!({
                "_aws": {"Timestamp": 1_800_000_000_000i64, "CloudWatchMetrics": [{
                    "Namespace": "Holdfast", "Dimensions": [["Kind", "Channel"]],
                    "Metrics": [{"Name": "BookingsCreated", "Unit": "Count"}]}]},
                "Kind": "nights", "Channel": "api", "BookingsCreated": 1,
            })
        );
        // The sync age has no dimension: the alarm names the metric alone.
        let age = Metric::CalendarSyncAge(120).line(0);
        assert_eq!(
            age["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
        assert_eq!(age["CalendarSyncAgeSeconds"], 120);
    }
}
