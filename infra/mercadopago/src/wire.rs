//! Mercado Pago's values on the wire: its timestamps, amounts as decimals (kept in cents here),
//! and the random hex inside its ids and tokens.

use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) fn now() -> String {
    let now = jiff::Timestamp::now();
    now.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

pub(crate) fn money(cents: i64) -> Value {
    json!(cents as f64 / 100.0)
}

pub(crate) fn cents(amount: f64) -> Option<i64> {
    amount.is_finite().then(|| (amount * 100.0).round() as i64)
}

pub(crate) fn random_hex(len: usize) -> String {
    let mut hex = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    hex.truncate(len);
    hex
}
