//! Mercado Pago's OAuth, the pure part: PKCE (RFC 7636, S256), the signed single-use `state`
//! that carries a connect to Mercado Pago and back, and when a seller's tokens are refreshed.

use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use crate::account::Secret;

/// The only PKCE method Holdfast uses: `plain` would send the verifier itself.
pub const CHALLENGE_METHOD: &str = "S256";

/// How long a seller has to approve at Mercado Pago before the state stops verifying: long
/// enough to sign in there, short enough that a leaked authorize URL soon goes stale.
pub const STATE_LIFETIME: SignedDuration = SignedDuration::from_secs(10 * 60);

/// Mercado Pago's tokens live 180 days and cannot be renewed once expired; refreshing from 30
/// days before leaves a month of retries, and time for an admin to reconnect, before the venue
/// stops taking payment.
pub const REFRESH_BEFORE: SignedDuration = SignedDuration::from_hours(30 * 24);

/// Consecutive failed refreshes after which the venue is alerted: one or two may be a passing
/// outage at Mercado Pago, three in a row need a person.
pub const ALERT_AFTER: u32 = 3;

/// What the state's MAC covers before its fields: the client secret keys nothing else with
/// this prefix, so no other message signed with it can pass for a state.
const STATE_CONTEXT: &str = "holdfast/mercadopago-oauth-state/v1";

/// Longest state accepted: a venue id and nonce of up to 128 characters each and the rest.
const MAX_STATE_LEN: usize = 400;

/// Why PKCE or a state is refused. A state refused for any reason is answered 401 alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    #[error("a code verifier needs 32 to 96 random bytes")]
    Entropy,
    #[error("the OAuth state is not in Holdfast's format")]
    Malformed,
    #[error("the OAuth state's signature does not match")]
    Mismatch,
    #[error("the OAuth state has expired")]
    Expired,
}

/// One authorization's PKCE pair: the verifier stays on the server (sent only to the token
/// endpoint), the challenge goes in the authorize URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

impl Pkce {
    /// The pair for `random` bytes from a cryptographic source (the caller's: the domain draws
    /// no randomness). 32 to 96 bytes make a verifier of 43 to 128 characters, RFC 7636's range.
    pub fn from_random(random: &[u8]) -> Result<Pkce, OAuthError> {
        if !(32..=96).contains(&random.len()) {
            return Err(OAuthError::Entropy);
        }
        let verifier = base64url(random);
        let challenge = code_challenge(&verifier);
        Ok(Pkce {
            verifier: Secret::new(verifier),
            challenge,
        })
    }
}

/// S256: base64url, unpadded, of the SHA-256 of the verifier's ASCII.
pub fn code_challenge(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// What a verified state says: which venue the connect is for and which pending connect
/// (the one-use record of its verifier) it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateClaims {
    pub venue_id: String,
    pub nonce: String,
}

/// A state field: URL-safe, so the state needs no encoding, and without `.`, so the four
/// fields split one way only.
fn state_field(raw: &str) -> bool {
    (1..=128).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn mac(secret: &str, venue_id: &str, nonce: &str, expires: i64) -> Hmac<Sha256> {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(format!("{STATE_CONTEXT}\n{venue_id}\n{nonce}\n{expires}").as_bytes());
    mac
}

/// The state for a connect of `venue_id`: `{venue_id}.{nonce}.{expires_unix}.{hmac_hex}`,
/// good for [`STATE_LIFETIME`] from `now`. The HMAC-SHA256 under `secret` (the platform's
/// Mercado Pago client secret) covers the venue, the nonce and the expiry, so none can be
/// changed and the state needs no storage to be checked; the nonce makes it single-use.
pub fn sign_state(
    venue_id: &str,
    nonce: &str,
    secret: &str,
    now: Timestamp,
) -> Result<String, OAuthError> {
    if !state_field(venue_id) || !state_field(nonce) {
        return Err(OAuthError::Malformed);
    }
    let expires = now.as_second().saturating_add(STATE_LIFETIME.as_secs());
    let tag = mac(secret, venue_id, nonce, expires)
        .finalize()
        .into_bytes();
    Ok(format!("{venue_id}.{nonce}.{expires}.{}", hex::encode(tag)))
}

/// The claims of a state [`sign_state`] made with `secret`, if it is unaltered and has not
/// expired by `now`. The signature is compared in constant time, and checked before the
/// expiry, so that an altered expiry reads as altered.
pub fn verify_state(raw: &str, secret: &str, now: Timestamp) -> Result<StateClaims, OAuthError> {
    if raw.len() > MAX_STATE_LEN {
        return Err(OAuthError::Malformed);
    }
    let mut fields = raw.split('.');
    let (Some(venue_id), Some(nonce), Some(expires), Some(tag), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(OAuthError::Malformed);
    };
    if !state_field(venue_id) || !state_field(nonce) {
        return Err(OAuthError::Malformed);
    }
    let expires_at: i64 = expires
        .parse()
        .ok()
        .filter(|_| !expires.is_empty() && expires.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(OAuthError::Malformed)?;
    let given = hex::decode(tag)
        .ok()
        .filter(|t| t.len() == 32)
        .ok_or(OAuthError::Malformed)?;
    mac(secret, venue_id, nonce, expires_at)
        .verify_slice(&given)
        .map_err(|_| OAuthError::Mismatch)?;
    if now.as_second() >= expires_at {
        return Err(OAuthError::Expired);
    }
    Ok(StateClaims {
        venue_id: venue_id.to_string(),
        nonce: nonce.to_string(),
    })
}

/// Whether tokens expiring at `expires_at` are due for a refresh at `now`: less than
/// [`REFRESH_BEFORE`] left.
pub fn needs_refresh(expires_at: Timestamp, now: Timestamp) -> bool {
    expires_at.duration_since(now) < REFRESH_BEFORE
}

/// The end of the refresh window at `now`: tokens expiring before it are due.
pub fn refresh_due_before(now: Timestamp) -> Timestamp {
    now.checked_add(REFRESH_BEFORE).unwrap_or(Timestamp::MAX)
}

/// Whether `consecutive_failures` refreshes in a row call for alerting the venue.
pub fn should_alert(consecutive_failures: u32) -> bool {
    consecutive_failures >= ALERT_AFTER
}

/// A refresh error as it may be stored and shown to the venue: each of `secrets` (the tokens
/// the call used) blanked out should the provider have echoed one, and at most 300 characters.
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut clean = text.to_string();
    for secret in secrets {
        let raw = secret.expose();
        if !raw.is_empty() {
            clean = clean.replace(raw, "…");
        }
    }
    clean.chars().take(300).collect()
}

/// base64url without padding (RFC 4648 §5), as PKCE spells both of its values.
fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "holdfast-dev-client-secret";

    fn now() -> Timestamp {
        Timestamp::from_second(1_795_341_600).unwrap()
    }

    fn later(seconds: i64) -> Timestamp {
        now()
            .checked_add(SignedDuration::from_secs(seconds))
            .unwrap()
    }

    #[test]
    fn the_challenge_matches_rfc_7636_appendix_b() {
        let octets = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let pkce = Pkce::from_random(&octets).unwrap();
        assert_eq!(
            pkce.verifier.expose(),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
        assert_eq!(
            pkce.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            pkce.challenge
        );
        assert!(!format!("{pkce:?}").contains("dBjftJeZ"), "{pkce:?}");
    }

    #[test]
    fn verifiers_stay_in_rfc_7636_lengths() {
        assert_eq!(Pkce::from_random(&[7; 31]), Err(OAuthError::Entropy));
        assert_eq!(Pkce::from_random(&[7; 97]), Err(OAuthError::Entropy));
        for (bytes, chars) in [(32, 43), (48, 64), (96, 128)] {
            let pkce = Pkce::from_random(&vec![0xfb; bytes]).unwrap();
            let verifier = pkce.verifier.expose();
            assert_eq!(verifier.len(), chars);
            // RFC 7636 §4.1: unreserved characters only.
            assert!(
                verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{verifier}"
            );
        }
    }

    #[test]
    fn base64url_follows_rfc_4648_without_padding() {
        for (raw, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(raw.as_bytes()), encoded);
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn a_state_verifies_once_signed_and_names_its_venue() {
        let state = sign_state("ven_1a2b", "n0nce", SECRET, now()).unwrap();
        let parts: Vec<&str> = state.split('.').collect();
        assert_eq!(parts.len(), 4, "{state}");
        assert_eq!(parts[2], (now().as_second() + 600).to_string());
        assert_eq!(
            verify_state(&state, SECRET, later(599)),
            Ok(StateClaims {
                venue_id: "ven_1a2b".into(),
                nonce: "n0nce".into()
            })
        );
    }

    #[test]
    fn a_state_expires_after_ten_minutes() {
        let state = sign_state("ven_1", "n1", SECRET, now()).unwrap();
        assert_eq!(
            verify_state(&state, SECRET, later(600)),
            Err(OAuthError::Expired)
        );
        assert_eq!(
            verify_state(&state, SECRET, later(86_400)),
            Err(OAuthError::Expired)
        );
    }

    #[test]
    fn a_tampered_state_does_not_verify() {
        let state = sign_state("ven_1", "n1", SECRET, now()).unwrap();
        let parts: Vec<&str> = state.split('.').collect();
        let (nonce, expires, tag) = (parts[1], parts[2], parts[3]);
        // Another venue's id under this state's signature.
        let other_venue = format!("ven_2.{nonce}.{expires}.{tag}");
        // A later expiry, to stretch its life.
        let stretched = format!("ven_1.{nonce}.{}.{tag}", now().as_second() + 86_400);
        let other_nonce = format!("ven_1.n2.{expires}.{tag}");
        let mut flipped = tag.to_string().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = format!(
            "ven_1.{nonce}.{expires}.{}",
            String::from_utf8(flipped).unwrap()
        );
        for tampered in [other_venue, stretched, other_nonce, flipped] {
            assert_eq!(
                verify_state(&tampered, SECRET, now()),
                Err(OAuthError::Mismatch),
                "{tampered}"
            );
        }
        // Signed with another key: another platform's, or a guess.
        let forged = sign_state("ven_1", "n1", "not-the-secret", now()).unwrap();
        assert_eq!(
            verify_state(&forged, SECRET, now()),
            Err(OAuthError::Mismatch)
        );
        // Expired and altered: altered wins, so that nothing learns about the expiry.
        let late_and_stretched = format!("ven_1.{nonce}.{}.{tag}", now().as_second() - 1);
        assert_eq!(
            verify_state(&late_and_stretched, SECRET, now()),
            Err(OAuthError::Mismatch)
        );
    }

    #[test]
    fn a_malformed_state_is_refused_before_any_mac() {
        let state = sign_state("ven_1", "n1", SECRET, now()).unwrap();
        let tag = state.rsplit('.').next().unwrap();
        let expires = now().as_second() + 600;
        for malformed in [
            String::new(),
            "garbage".into(),
            format!("ven_1.n1.{expires}"),
            format!("ven_1.n1.{expires}.{tag}.extra"),
            format!(".n1.{expires}.{tag}"),
            format!("ven_1..{expires}.{tag}"),
            format!("ven_1.n1.soon.{tag}"),
            format!("ven_1.n1.-5.{tag}"),
            format!("ven_1.n1.+{expires}.{tag}"),
            format!("ven_1.n1.{expires}.zz{}", &tag[2..]),
            format!("ven_1.n1.{expires}.{}", &tag[..62]),
            format!("ven 1.n1.{expires}.{tag}"),
            format!("ven_1.n1.{expires}.{tag}{}", "0".repeat(400)),
        ] {
            assert_eq!(
                verify_state(&malformed, SECRET, now()),
                Err(OAuthError::Malformed),
                "{malformed}"
            );
        }
        assert_eq!(
            sign_state("ven.1", "n1", SECRET, now()),
            Err(OAuthError::Malformed)
        );
        assert_eq!(
            sign_state("ven_1", "", SECRET, now()),
            Err(OAuthError::Malformed)
        );
    }

    #[test]
    fn tokens_are_refreshed_inside_thirty_days_of_expiry() {
        let day = 86_400;
        assert!(!needs_refresh(later(180 * day), now()));
        assert!(!needs_refresh(later(30 * day), now()));
        assert!(needs_refresh(later(30 * day - 1), now()));
        assert!(needs_refresh(later(day), now()));
        assert!(needs_refresh(later(-day), now()));
        assert_eq!(refresh_due_before(now()), later(30 * day));
        assert_eq!(refresh_due_before(Timestamp::MAX), Timestamp::MAX);
    }

    #[test]
    fn the_venue_is_alerted_from_the_third_failure_in_a_row() {
        assert!(!should_alert(0));
        assert!(!should_alert(2));
        assert!(should_alert(3));
        assert!(should_alert(10));
    }

    #[test]
    fn refresh_errors_never_carry_a_token() {
        let token = Secret::new("TG-abc123-42");
        let text = redact(
            "Mercado Pago refused the request (400): invalid refresh_token TG-abc123-42",
            &[&token],
        );
        assert_eq!(
            text,
            "Mercado Pago refused the request (400): invalid refresh_token …"
        );
        assert_eq!(redact(&"x".repeat(500), &[]).chars().count(), 300);
    }
}
