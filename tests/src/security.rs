//! Tokens the security tests need beyond [`crate::Who`]'s: claims signed exactly as given (no
//! `exp` added, none taken away), and the unsigned `alg: none` form a forger would send.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::tokens::SECRET;

/// A token of exactly `claims`, signed with the key the tests' stacks verify (as
/// [`crate::Who::token`] signs).
pub fn signed_token(claims: &Value) -> String {
    let secret = std::env::var("HOLDFAST_DEV_JWT_SECRET").unwrap_or_else(|_| SECRET.to_string());
    holdfast_local::mint_raw_token(&secret, claims)
}

/// `claims` under an `alg: none` header with an empty signature.
pub fn unsigned_token(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    format!("{header}.{payload}.")
}
