//! What Holdfast prints: one JSON object a line (Lambda's JSON log format keeps such a line
//! whole), every line masked of emails, phones, tokens and secrets first, and each metric as the
//! raw Embedded Metric Format line CloudWatch reads it as.

use std::borrow::Cow;
use std::io::Write;
use std::sync::LazyLock;

use regex_lite::{Captures, Regex};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// The target metric events go by: their `line` is printed as it is, not as a log line.
pub const METRICS_TARGET: &str = "holdfast::metrics";

/// Each pattern with what its match becomes, in order: the secrets' own shapes first, then the
/// places a secret stands (a query parameter, a JSON field), then emails and phones.
static MASKS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // A JWT: three base64url parts, the first a JSON header.
        (r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*", "[jwt]"),
        (r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+", "$1 [masked]"),
        // Stripe: keys, webhook secrets, a PaymentIntent's client secret.
        (r"\b((?:sk|rk|pk)_(?:live|test))_[A-Za-z0-9]+", "${1}_[masked]"),
        (r"\bwhsec_[A-Za-z0-9]+", "whsec_[masked]"),
        (r"\b(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+", "${1}_secret_[masked]"),
        // Mercado Pago: access and refresh tokens.
        (r"\b(APP_USR|TEST|TG)-[A-Za-z0-9-]{6,}", "$1-[masked]"),
        // Values that are secrets by their name, in a query string or in JSON.
        (
            r"(?i)\b(token|code|state|code_verifier|client_secret|access_token|refresh_token|secret_key|webhook_secret|password)=[^&\s'\x22]+",
            "$1=[masked]",
        ),
        (
            r#"(?i)"(token|state|code_verifier|client_secret|access_token|refresh_token|secret_key|webhook_secret|password|authorization)"\s*:\s*"(?:[^"\\]|\\.)*""#,
            r#""$1":"[masked]""#,
        ),
        // An email keeps its domain (which mail service, for support), not its person.
        (r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})", "[masked]@$1"),
        // A phone in E.164, as bookings carry it (spaces or dashes allowed between digits).
        (r"\+[0-9](?:[ -]?[0-9]){6,14}", "+[phone]"),
    ]
    .into_iter()
    .map(|(pattern, with)| {
        let regex = Regex::new(pattern).unwrap_or_else(|e| panic!("mask {pattern}: {e}"));
        (regex, with)
    })
    .collect()
});

/// `text` with every email, phone, token and secret it holds masked: what may be logged.
pub fn mask(text: &str) -> Cow<'_, str> {
    let mut masked = Cow::Borrowed(text);
    for (pattern, with) in MASKS.iter() {
        if let Cow::Owned(replaced) = pattern.replace_all(&masked, |caps: &Captures<'_>| {
            let mut out = String::new();
            caps.expand(with, &mut out);
            out
        }) {
            masked = Cow::Owned(replaced);
        }
    }
    masked
}

/// A writer that masks each event before it goes out: a line is written whole when it is done.
#[derive(Debug, Clone)]
pub struct Masked<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Masked<M> {
    type Writer = MaskedLine<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskedLine {
            out: self.0.make_writer(),
            line: Vec::new(),
        }
    }
}

/// One event's text, masked and written when it is dropped.
#[derive(Debug)]
pub struct MaskedLine<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> Write for MaskedLine<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for MaskedLine<W> {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.line);
        let _ = self.out.write_all(mask(&text).as_bytes());
        let _ = self.out.flush();
    }
}

/// Prints metric events' `line` as it is, one a line.
struct MetricLines<M>(M);

impl<S: Subscriber, M: for<'a> MakeWriter<'a> + 'static> Layer<S> for MetricLines<M> {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != METRICS_TARGET {
            return;
        }
        let mut line = LineField(None);
        event.record(&mut line);
        if let Some(line) = line.0 {
            let mut out = self.0.make_writer();
            let _ = out.write_all(format!("{line}\n").as_bytes());
        }
    }
}

struct LineField(Option<String>);

impl Visit for LineField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "line" {
            self.0 = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "line" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object a line: Lambda, CloudWatch Logs Insights, the tests.
    Json,
    /// Coloured text for a terminal (`HOLDFAST_LOG_FORMAT=pretty`, `make dev`).
    Pretty,
}

/// The one way Holdfast's logs are made: `filter`'s events as `format` to `writer`, masked, and
/// metric lines raw beside them. Every function's `main` and the tests' log capture use it.
pub fn subscriber<M>(
    filter: EnvFilter,
    format: LogFormat,
    writer: M,
) -> impl Subscriber + Send + Sync
where
    M: for<'a> MakeWriter<'a> + Clone + Send + Sync + 'static,
{
    let logs = filter_fn(|meta| meta.target() != METRICS_TARGET);
    let (json, pretty) = match format {
        LogFormat::Json => (
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false)
                    .with_target(false)
                    .with_writer(Masked(writer.clone()))
                    .with_filter(logs.clone()),
            ),
            None,
        ),
        LogFormat::Pretty => (
            None,
            Some(
                tracing_subscriber::fmt::layer()
                    .with_ansi(true)
                    .with_target(false)
                    .without_time()
                    .with_writer(Masked(writer.clone()))
                    .with_filter(logs),
            ),
        ),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(json)
        .with(pretty)
        .with(MetricLines(writer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_phones_tokens_and_secrets_are_masked_and_the_rest_kept() {
        let cases = [
            (
                "booked by ana.ruiz+padel@example.com",
                "booked by [masked]@example.com",
            ),
            (
                "phone +34600000000 and +34 600 000 000",
                "phone +[phone] and +[phone]",
            ),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl",
                "Authorization: Bearer [jwt]",
            ),
            (
                "Authorization: Bearer opaque.token-42",
                "Authorization: Bearer [masked]",
            ),
            (
                "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln",
                "token [jwt]",
            ),
            ("key sk_test_holdfastsecret4242", "key sk_test_[masked]"),
            (
                "whsec_holdfastwebhooksecret signed",
                "whsec_[masked] signed",
            ),
            ("pi_3Ox2_secret_AbC123 paid", "pi_3Ox2_secret_[masked] paid"),
            (
                "APP_USR-holdfast-access-1234 and TG-holdfast-refresh-5678",
                "APP_USR-[masked] and TG-[masked]",
            ),
            (
                "/ical/res_1.ics?token=abcdef0123&for=cal_2",
                "/ical/res_1.ics?token=[masked]&for=cal_2",
            ),
            (
                "/oauth/mercadopago/callback?code=TG-x1y2z3a4&state=v1.abc",
                "/oauth/mercadopago/callback?code=[masked]&state=[masked]",
            ),
            (
                r#"{"access_token":"x\"y","user_id":"123"}"#,
                r#"{"access_token":"[masked]","user_id":"123"}"#,
            ),
        ];
        for (raw, masked) in cases {
            assert_eq!(mask(raw), masked, "{raw}");
        }
        // What is not personal stays readable: ids, instants, amounts, statuses.
        let plain = r#"{"booking_id":"bkg_94cc5657","start":"2031-12-02T09:00:00Z","amount":1800,"latency_ms":12,"status":201}"#;
        assert_eq!(mask(plain), plain);
        assert!(matches!(mask(plain), Cow::Borrowed(_)));
    }

    #[test]
    fn a_json_log_line_is_masked_whole_and_a_metric_line_printed_raw() {
        #[derive(Clone, Default)]
        struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Lines {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().map(|mut l| l.extend_from_slice(bytes)).ok();
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = {
            let lines = lines.clone();
            move || lines.clone()
        };
        let subscriber = subscriber(EnvFilter::new("info"), LogFormat::Json, writer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(email = "ana@example.com", booking_id = "bkg_1", "booked");
            tracing::info!(target: METRICS_TARGET, line = r#"{"_aws":{},"SlotConflicts":1}"#);
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let printed: Vec<&str> = text.lines().collect();
        assert_eq!(printed.len(), 2, "{text}");
        let log: serde_json::Value = serde_json::from_str(printed[0]).expect("a JSON log line");
        assert_eq!(log["message"], "booked");
        assert_eq!(log["booking_id"], "bkg_1");
        assert_eq!(log["email"], "[masked]@example.com");
        assert_eq!(log["level"], "INFO");
        assert_eq!(printed[1], r#"{"_aws":{},"SlotConflicts":1}"#);
    }
}
