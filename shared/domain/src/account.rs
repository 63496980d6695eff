//! A venue's payment accounts: the credentials it takes money with at Stripe or Mercado Pago.
//! Checked here when an admin writes them; secrets are never shown or logged, only a hint.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, FieldErrors};
use crate::payment::PaymentProvider;

/// A credential: its `Debug` never shows it, so no log line can.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(raw: impl Into<String>) -> Secret {
        Secret(raw.into())
    }

    /// The secret itself, for the one call that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, to tell accounts apart: `…4242`.
    pub fn hint(&self) -> String {
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// `PUT …/payment-accounts/stripe`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeAccount {
    pub secret_key: Secret,
    pub webhook_secret: Secret,
}

/// `PUT …/payment-accounts/mercadopago`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MercadoPagoAccount {
    pub access_token: Secret,
    pub refresh_token: Secret,
    pub expires_at: Timestamp,
    pub user_id: String,
}

/// A venue's account at one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderAccount {
    Stripe(StripeAccount),
    MercadoPago(MercadoPagoAccount),
}

/// What may be shown of an account: never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    pub provider: PaymentProvider,
    pub key_hint: Option<String>,
    pub user_id: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub last_refresh_error: Option<String>,
    pub updated_at: Timestamp,
}

fn check_prefix(secret: &Secret, field: &str, prefixes: &[&str], errors: &mut FieldErrors) {
    let raw = secret.expose();
    let ok = prefixes.iter().any(|p| raw.starts_with(p))
        && raw.len() <= 512
        && raw.len() > 8
        && raw.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        errors.add(
            field,
            format!("must be a key starting with {}", prefixes.join(" or ")),
        );
    }
}

impl ProviderAccount {
    /// The account `body` describes for `provider`, every bad field named (never echoed).
    pub fn read(
        provider: PaymentProvider,
        body: &serde_json::Value,
    ) -> Result<ProviderAccount, DomainError> {
        let mut errors = FieldErrors::new();
        let account = match provider {
            PaymentProvider::Stripe => {
                let account: StripeAccount = serde_json::from_value(body.clone())
                    .map_err(|e| DomainError::field("body", shape_error(&e)))?;
                check_prefix(
                    &account.secret_key,
                    "secret_key",
                    &["sk_", "rk_"],
                    &mut errors,
                );
                check_prefix(
                    &account.webhook_secret,
                    "webhook_secret",
                    &["whsec_"],
                    &mut errors,
                );
                ProviderAccount::Stripe(account)
            }
            PaymentProvider::MercadoPago => {
                let account: MercadoPagoAccount = serde_json::from_value(body.clone())
                    .map_err(|e| DomainError::field("body", shape_error(&e)))?;
                check_prefix(
                    &account.access_token,
                    "access_token",
                    &["APP_USR-", "TEST-"],
                    &mut errors,
                );
                check_prefix(
                    &account.refresh_token,
                    "refresh_token",
                    &["TG-"],
                    &mut errors,
                );
                if account.user_id.trim().is_empty() || account.user_id.len() > 64 {
                    errors.add("user_id", "must be Mercado Pago's user id");
                }
                // Tokens are from this century: an earlier instant is a typo, and would read
                // back at a zone's local mean time (an offset in seconds).
                if account.expires_at < EARLIEST_EXPIRY {
                    errors.add("expires_at", "must be an instant from 2000 on");
                }
                ProviderAccount::MercadoPago(account)
            }
            PaymentProvider::None => {
                return Err(DomainError::field(
                    "provider",
                    "must be stripe or mercadopago",
                ));
            }
        };
        errors.into_result(account)
    }

    pub fn provider(&self) -> PaymentProvider {
        match self {
            ProviderAccount::Stripe(_) => PaymentProvider::Stripe,
            ProviderAccount::MercadoPago(_) => PaymentProvider::MercadoPago,
        }
    }

    /// What may be shown of this account, as of `now`.
    pub fn summary(&self, now: Timestamp) -> AccountSummary {
        match self {
            ProviderAccount::Stripe(account) => AccountSummary {
                provider: PaymentProvider::Stripe,
                key_hint: Some(account.secret_key.hint()),
                user_id: None,
                expires_at: None,
                last_refresh_error: None,
                updated_at: now,
            },
            ProviderAccount::MercadoPago(account) => AccountSummary {
                provider: PaymentProvider::MercadoPago,
                key_hint: None,
                user_id: Some(account.user_id.clone()),
                expires_at: Some(account.expires_at),
                last_refresh_error: None,
                updated_at: now,
            },
        }
    }

    /// The credentials as one JSON document, to be sealed as a whole.
    pub fn to_sealable(&self) -> Vec<u8> {
        let value = match self {
            ProviderAccount::Stripe(a) => serde_json::to_vec(a),
            ProviderAccount::MercadoPago(a) => serde_json::to_vec(a),
        };
        value.unwrap_or_default()
    }

    /// The credentials of `provider` from what `to_sealable` wrote.
    pub fn from_sealed(provider: PaymentProvider, bytes: &[u8]) -> Option<ProviderAccount> {
        match provider {
            PaymentProvider::Stripe => serde_json::from_slice(bytes)
                .ok()
                .map(ProviderAccount::Stripe),
            PaymentProvider::MercadoPago => serde_json::from_slice(bytes)
                .ok()
                .map(ProviderAccount::MercadoPago),
            PaymentProvider::None => None,
        }
    }
}

/// The earliest a Mercado Pago token can be said to expire: 2000-01-01T00:00:00Z.
const EARLIEST_EXPIRY: Timestamp = Timestamp::constant(946_684_800, 0);

/// A shape error that names the field but never echoes a value (it may be a secret).
fn shape_error(err: &serde_json::Error) -> String {
    let message = err.to_string();
    if let Some(field) = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next())
    {
        return format!("has a field that is not one of this provider's: {field}");
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        return format!("needs the field {field}");
    }
    "must be a JSON object of this provider's credentials (strings, expires_at an RFC 3339 instant)"
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_and_hint_their_tail() {
        let account = ProviderAccount::read(
            PaymentProvider::Stripe,
            &serde_json::json!({"secret_key": "sk_test_abcdef4242", "webhook_secret": "whsec_topsecret"}),
        )
        .unwrap();
        let debug = format!("{account:?}");
        assert!(
            !debug.contains("abcdef") && !debug.contains("topsecret"),
            "{debug}"
        );
        assert_eq!(
            account.summary(Timestamp::UNIX_EPOCH).key_hint.as_deref(),
            Some("…4242")
        );
        let sealed = account.to_sealable();
        assert_eq!(
            ProviderAccount::from_sealed(PaymentProvider::Stripe, &sealed),
            Some(account)
        );
    }

    #[test]
    fn bad_credentials_are_named_and_never_echoed() {
        let bad = ProviderAccount::read(
            PaymentProvider::Stripe,
            &serde_json::json!({"secret_key": "pk_live_oops123456", "webhook_secret": "nope"}),
        );
        let Err(DomainError::Invalid(errors)) = bad else {
            panic!("expected field errors")
        };
        assert!(errors.get("secret_key").is_some() && errors.get("webhook_secret").is_some());
        assert!(!errors.to_string().contains("pk_live_oops"), "{errors}");
        let unknown = ProviderAccount::read(
            PaymentProvider::MercadoPago,
            &serde_json::json!({"access_token": "APP_USR-1", "token": "x"}),
        );
        let Err(DomainError::Invalid(errors)) = unknown else {
            panic!("expected field errors")
        };
        assert!(
            errors.get("body").is_some_and(|m| m.contains("token")),
            "{errors}"
        );
        let mp = ProviderAccount::read(
            PaymentProvider::MercadoPago,
            &serde_json::json!({"access_token": "APP_USR-123456789", "refresh_token": "TG-123456789",
                                "expires_at": "2027-01-01T00:00:00Z", "user_id": "123"}),
        )
        .unwrap();
        assert_eq!(
            mp.summary(Timestamp::UNIX_EPOCH).user_id.as_deref(),
            Some("123")
        );
    }
}
