//! Webhook signatures of the payment providers, checked exactly as each documents: Stripe's
//! `Stripe-Signature` (`t=` and every `v1=`, HMAC-SHA256 of `"{t}.{raw body}"`) and Mercado
//! Pago's `x-signature` (`ts=`, `v1=`, HMAC-SHA256 of its manifest). Compared in constant time.

use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::Sha256;

/// How old a signed timestamp may be: Stripe's default tolerance, used for both providers.
pub const SIGNATURE_TOLERANCE: SignedDuration = SignedDuration::from_secs(300);

/// Why a webhook's signature is refused (all answered 401, nothing changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing")]
    Missing,
    #[error("the signature header is not in the provider's format")]
    Malformed,
    #[error("no signature in the header matches the body")]
    Mismatch,
    #[error("the signed timestamp is older than the tolerance")]
    Stale,
}

impl SignatureError {
    /// Why, in a word: a metric's dimension.
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::Missing => "missing",
            SignatureError::Malformed => "malformed",
            SignatureError::Mismatch => "mismatch",
            SignatureError::Stale => "stale",
        }
    }
}

fn mac(secret: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length: this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
}

/// `k=v` pairs of a signature header, in order.
fn pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    header
        .split(',')
        .filter_map(|part| part.trim().split_once('='))
}

fn signed_at(raw: &str) -> Result<Timestamp, SignatureError> {
    let number: i64 = raw.parse().map_err(|_| SignatureError::Malformed)?;
    // Seconds, or milliseconds (Mercado Pago sends either).
    let seconds = if number > 100_000_000_000 {
        number / 1000
    } else {
        number
    };
    Timestamp::from_second(seconds).map_err(|_| SignatureError::Malformed)
}

fn fresh(at: Timestamp, now: Timestamp) -> Result<Timestamp, SignatureError> {
    if now.duration_since(at) > SIGNATURE_TOLERANCE {
        return Err(SignatureError::Stale);
    }
    Ok(at)
}

/// Checks `Stripe-Signature` over the raw `body` with the endpoint's `secret` as Stripe
/// specifies: any `v1` may match (secrets being rolled sign twice), compared in constant time,
/// then the timestamp must be within the tolerance. Answers when Stripe signed it.
pub fn verify_stripe(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now: Timestamp,
) -> Result<Timestamp, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut t = None;
    let mut signatures = Vec::new();
    for (key, value) in pairs(header) {
        match key {
            "t" if t.is_none() => t = Some(value),
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let (Some(t), false) = (t, signatures.is_empty()) else {
        return Err(SignatureError::Malformed);
    };
    let at = signed_at(t)?;
    let mut expected = mac(secret);
    expected.update(t.as_bytes());
    expected.update(b".");
    expected.update(body);
    let matched = signatures
        .iter()
        .filter_map(|s| hex::decode(s).ok())
        .any(|given| expected.clone().verify_slice(&given).is_ok());
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    fresh(at, now)
}

/// What Mercado Pago signs of a notification: the resource id from the query string
/// (`data.id`, lower-cased), the `x-request-id` header and the header's `ts`. A part that is
/// absent is left out of the manifest, as Mercado Pago does.
#[derive(Debug, Clone, Copy)]
pub struct MercadoPagoNotification<'a> {
    pub signature: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub data_id: Option<&'a str>,
}

/// Checks Mercado Pago's `x-signature` with the platform's webhook `secret`.
pub fn verify_mercadopago(
    notification: MercadoPagoNotification<'_>,
    secret: &str,
    now: Timestamp,
) -> Result<Timestamp, SignatureError> {
    let header = notification.signature.ok_or(SignatureError::Missing)?;
    let (mut ts, mut v1) = (None, None);
    for (key, value) in pairs(header) {
        match key {
            "ts" if ts.is_none() => ts = Some(value),
            "v1" if v1.is_none() => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(ts), Some(v1)) = (ts, v1) else {
        return Err(SignatureError::Malformed);
    };
    let at = signed_at(ts)?;
    let given = hex::decode(v1).map_err(|_| SignatureError::Malformed)?;
    let mut manifest = String::new();
    if let Some(id) = notification.data_id.filter(|id| !id.is_empty()) {
        manifest.push_str(&format!("id:{};", id.to_ascii_lowercase()));
    }
    if let Some(request) = notification.request_id.filter(|r| !r.is_empty()) {
        manifest.push_str(&format!("request-id:{request};"));
    }
    manifest.push_str(&format!("ts:{ts};"));
    let mut expected = mac(secret);
    expected.update(manifest.as_bytes());
    expected
        .verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch)?;
    fresh(at, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    fn sign(secret: &str, message: &str) -> String {
        let mut m = mac(secret);
        m.update(message.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_795_341_600).unwrap()
    }

    #[test]
    fn a_stripe_signature_verifies_with_any_v1_and_nothing_else_does() {
        let body = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
        let t = now().as_second() - 10;
        let good = sign(
            SECRET,
            &format!("{t}.{}", std::str::from_utf8(body).unwrap()),
        );
        let header = format!("t={t},v1={good}");
        assert_eq!(
            verify_stripe(Some(&header), body, SECRET, now()),
            Timestamp::from_second(t).map_err(|_| SignatureError::Malformed)
        );
        // A rolled secret: the second v1 matches.
        let rolled = format!("t={t},v1={},v1={good},v0=ignored", sign("whsec_old", "x"));
        assert!(verify_stripe(Some(&rolled), body, SECRET, now()).is_ok());

        let mut altered = body.to_vec();
        altered[10] ^= 1;
        assert_eq!(
            verify_stripe(Some(&header), &altered, SECRET, now()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_stripe(Some(&header), body, "whsec_other", now()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_stripe(None, body, SECRET, now()),
            Err(SignatureError::Missing)
        );
        for malformed in [
            "",
            "garbage",
            &format!("v1={good}"),
            &format!("t={t}"),
            &format!("t=soon,v1={good}"),
        ] {
            assert_eq!(
                verify_stripe(Some(malformed), body, SECRET, now()),
                Err(SignatureError::Malformed),
                "{malformed}"
            );
        }
        assert_eq!(
            verify_stripe(Some(&format!("t={t},v1=zz{good}")), body, SECRET, now()),
            Err(SignatureError::Mismatch)
        );
        let late = now().checked_add(SignedDuration::from_secs(311)).unwrap();
        assert_eq!(
            verify_stripe(Some(&header), body, SECRET, late),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn a_mercadopago_signature_covers_id_request_and_ts() {
        let ts = now().as_second() - 5;
        let manifest = format!("id:abc123;request-id:req-9;ts:{ts};");
        let header = format!("ts={ts},v1={}", sign(SECRET, &manifest));
        let notification = |data_id, request_id, signature| MercadoPagoNotification {
            signature,
            request_id,
            data_id,
        };
        // The id is lower-cased before signing.
        assert!(
            verify_mercadopago(
                notification(Some("ABC123"), Some("req-9"), Some(&header)),
                SECRET,
                now()
            )
            .is_ok()
        );
        assert_eq!(
            verify_mercadopago(
                notification(Some("abc124"), Some("req-9"), Some(&header)),
                SECRET,
                now()
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_mercadopago(
                notification(Some("abc123"), Some("req-8"), Some(&header)),
                SECRET,
                now()
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_mercadopago(
                notification(Some("abc123"), Some("req-9"), None),
                SECRET,
                now()
            ),
            Err(SignatureError::Missing)
        );
        // Absent parts are left out of the manifest.
        let bare = format!("ts:{ts};");
        let header_bare = format!("ts={ts},v1={}", sign(SECRET, &bare));
        assert!(
            verify_mercadopago(notification(None, None, Some(&header_bare)), SECRET, now()).is_ok()
        );
        // Milliseconds are read too, and staleness counts.
        let ms = format!(
            "ts={},v1={}",
            ts * 1000,
            sign(SECRET, &format!("ts:{};", ts * 1000))
        );
        assert!(verify_mercadopago(notification(None, None, Some(&ms)), SECRET, now()).is_ok());
        let late = now().checked_add(SignedDuration::from_secs(400)).unwrap();
        assert_eq!(
            verify_mercadopago(
                notification(Some("abc123"), Some("req-9"), Some(&header)),
                SECRET,
                late
            ),
            Err(SignatureError::Stale)
        );
    }
}
