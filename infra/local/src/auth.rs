//! The local stand-in for API Gateway's JWT authorizer: HS256 tokens signed with
//! `HOLDFAST_DEV_JWT_SECRET`, signature and `exp` checked, nothing else.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

/// The documented default for local development only.
pub const DEFAULT_DEV_SECRET: &str = "holdfast-local-dev-secret";

/// The claims Holdfast reads, as a local token carries them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenClaims {
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    pub exp: i64,
}

fn sign(secret: &str, message: &str) -> Vec<u8> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

pub fn mint_token(secret: &str, claims: &TokenClaims) -> String {
    mint_raw_token(secret, &serde_json::to_value(claims).unwrap_or_default())
}

/// A token with any claims at all, as a hand-made or misconfigured issuer might sign them.
pub fn mint_raw_token(secret: &str, claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signed = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(sign(secret, &signed));
    format!("{signed}.{signature}")
}

/// The claims of a valid token, as API Gateway hands them to a function: every value a
/// string, arrays as `[a b]`. `None` for a bad signature, another algorithm or no live `exp`.
pub fn verify_token(
    secret: &str,
    token: &str,
    now_seconds: i64,
) -> Option<HashMap<String, String>> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "HS256" {
        return None;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(format!("{}.{payload}", token.split('.').next()?).as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(signature).ok()?)
        .ok()?;
    let claims: serde_json::Map<String, Value> =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    if claims.get("exp")?.as_i64()? <= now_seconds {
        return None;
    }
    Some(
        claims
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    Value::Array(items) => {
                        let items: Vec<String> = items
                            .iter()
                            .map(|i| {
                                i.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| i.to_string())
                            })
                            .collect();
                        format!("[{}]", items.join(" "))
                    }
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> TokenClaims {
        TokenClaims {
            sub: "u1".into(),
            email: Some("a@b.example".into()),
            org_id: Some("org".into()),
            groups: vec!["admin".into(), "staff".into()],
            exp,
        }
    }

    #[test]
    fn a_minted_token_verifies_with_api_gateway_shaped_claims() {
        let token = mint_token("s3cret", &claims(2_000));
        let verified = verify_token("s3cret", &token, 1_000).unwrap();
        assert_eq!(verified["sub"], "u1");
        assert_eq!(verified["groups"], "[admin staff]");
        assert_eq!(verified["exp"], "2000");
    }

    #[test]
    fn bad_tokens_are_refused() {
        let token = mint_token("s3cret", &claims(2_000));
        assert!(verify_token("other", &token, 1_000).is_none());
        assert!(verify_token("s3cret", &token, 2_000).is_none(), "expired");
        let mut tampered = token.clone();
        tampered.insert(token.find('.').unwrap() + 3, 'x');
        assert!(verify_token("s3cret", &tampered, 1_000).is_none());
        assert!(verify_token("s3cret", "a.b", 1_000).is_none());
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            token.split('.').nth(1).unwrap()
        );
        assert!(verify_token("s3cret", &unsigned, 1_000).is_none());
    }

    #[test]
    fn a_token_without_a_live_exp_is_refused() {
        let mut claims = serde_json::to_value(claims(2_000)).unwrap();
        claims.as_object_mut().unwrap().remove("exp");
        assert!(verify_token("s3cret", &mint_raw_token("s3cret", &claims), 1_000).is_none());
        claims["exp"] = serde_json::json!("2000");
        assert!(
            verify_token("s3cret", &mint_raw_token("s3cret", &claims), 1_000).is_none(),
            "an exp that is not a number"
        );
    }
}
