//! Mercado Pago: a checkout preference per booking, reading a payment, refunding it, and the
//! OAuth token calls (authorization code with PKCE, refresh). JSON, amounts as decimals.

use holdfast_domain::{Currency, Money, Secret};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::decimal::{from_decimal, to_decimal};
use crate::{ProviderError, ProviderHttp, base};

const PROVIDER: &str = "Mercado Pago";

/// Mercado Pago's API at `base_url` (`https://api.mercadopago.com` in production).
#[derive(Debug, Clone)]
pub struct MercadoPago {
    http: ProviderHttp,
    base_url: String,
}

/// What a booking's checkout asks for.
#[derive(Debug, Clone)]
pub struct PreferenceRequest<'a> {
    pub booking_id: &'a str,
    pub title: &'a str,
    pub amount: &'a Money,
    /// Where Mercado Pago posts its notifications for this payment.
    pub notification_url: &'a str,
    /// When the checkout stops taking payment: the hold's end.
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Preference {
    pub id: String,
    pub init_point: String,
}

/// A payment as Holdfast reads it: who it is for, how much, where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpPayment {
    pub id: String,
    /// `approved`, `rejected`, `cancelled`, `refunded`, `charged_back`, `pending`, …
    pub status: String,
    pub external_reference: Option<String>,
    /// The amount paid, if it reads as an amount of `currency`.
    pub amount: Option<Money>,
    pub currency_id: String,
    /// How much of it was refunded so far, in minor units.
    pub refunded: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct RawPayment {
    id: serde_json::Value,
    status: String,
    #[serde(default)]
    external_reference: Option<String>,
    transaction_amount: serde_json::Number,
    currency_id: String,
    #[serde(default)]
    transaction_amount_refunded: Option<serde_json::Number>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MpRefund {
    pub id: serde_json::Value,
    /// `approved` once the money is on its way back.
    #[serde(default)]
    pub status: Option<String>,
}

/// Tokens from the OAuth token endpoint.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Secret,
    pub user_id: String,
    pub expires_at: Timestamp,
}

#[derive(Deserialize)]
struct RawTokens {
    access_token: String,
    refresh_token: String,
    user_id: serde_json::Value,
    expires_in: i64,
}

/// The platform's application at Mercado Pago, for OAuth.
#[derive(Debug, Clone)]
pub struct Application {
    pub client_id: String,
    pub client_secret: Secret,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    title: &'a str,
    quantity: u32,
    unit_price: serde_json::Number,
    currency_id: &'a str,
}

#[derive(Serialize)]
struct NewPreference<'a> {
    items: [Item<'a>; 1],
    external_reference: &'a str,
    notification_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_date_to: Option<String>,
}

impl MercadoPago {
    pub fn new(http: ProviderHttp, base_url: &str) -> MercadoPago {
        MercadoPago {
            http,
            base_url: base(base_url),
        }
    }

    /// A checkout preference for one booking; `idempotency_key` keeps a retried call from
    /// making a second.
    pub async fn create_preference(
        &self,
        token: &Secret,
        request: &PreferenceRequest<'_>,
        idempotency_key: &str,
    ) -> Result<Preference, ProviderError> {
        let body = NewPreference {
            items: [Item {
                id: request.booking_id,
                title: request.title,
                quantity: 1,
                unit_price: to_decimal(request.amount),
                currency_id: request.amount.currency.as_str(),
            }],
            external_reference: request.booking_id,
            notification_url: request.notification_url,
            expires: request.expires_at.map(|_| true),
            expiration_date_to: request
                .expires_at
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()),
        };
        self.post_json(
            token,
            "/checkout/preferences",
            "preference",
            idempotency_key,
            &body,
        )
        .await
    }

    /// The payment `id`, read with the venue's token (the notification carries no status).
    pub async fn payment(&self, token: &Secret, id: &str) -> Result<MpPayment, ProviderError> {
        let url = format!("{}/v1/payments/{}", self.base_url, digits(id));
        let raw: RawPayment = self
            .http
            .json(PROVIDER, "payment", || {
                self.http.client().get(&url).bearer_auth(token.expose())
            })
            .await?;
        let currency = Currency::parse(&raw.currency_id);
        Ok(MpPayment {
            id: match &raw.id {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            },
            status: raw.status,
            external_reference: raw.external_reference,
            amount: currency.and_then(|c| from_decimal(&raw.transaction_amount, c)),
            refunded: currency.and_then(|c| {
                raw.transaction_amount_refunded
                    .as_ref()
                    .and_then(|n| from_decimal(n, c))
                    .map(|m| m.amount)
            }),
            currency_id: raw.currency_id,
        })
    }

    /// Refunds `amount` of payment `id` (the amount is always given: never more than decided).
    pub async fn refund(
        &self,
        token: &Secret,
        id: &str,
        amount: &Money,
        idempotency_key: &str,
    ) -> Result<MpRefund, ProviderError> {
        let path = format!("/v1/payments/{}/refunds", digits(id));
        let body = serde_json::json!({ "amount": to_decimal(amount) });
        self.post_json(token, &path, "payment", idempotency_key, &body)
            .await
    }

    /// A JSON POST under Mercado Pago's `X-Idempotency-Key`: a retry answers what the first
    /// made.
    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        token: &Secret,
        path: &str,
        what: &'static str,
        idempotency_key: &str,
        body: &impl Serialize,
    ) -> Result<T, ProviderError> {
        let url = format!("{}{path}", self.base_url);
        self.http
            .json(PROVIDER, what, || {
                self.http
                    .client()
                    .post(&url)
                    .bearer_auth(token.expose())
                    .header("X-Idempotency-Key", idempotency_key)
                    .json(body)
            })
            .await
    }

    /// Trades an authorization code (and its PKCE verifier) for the seller's tokens.
    pub async fn exchange_code(
        &self,
        app: &Application,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        now: Timestamp,
    ) -> Result<Tokens, ProviderError> {
        let form = [
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.expose()),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", code_verifier),
        ];
        self.token(&form, now).await
    }

    /// New tokens for a refresh token (each refresh token is good once).
    pub async fn refresh(
        &self,
        app: &Application,
        refresh_token: &Secret,
        now: Timestamp,
    ) -> Result<Tokens, ProviderError> {
        let form = [
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.expose()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        self.token(&form, now).await
    }

    async fn token(&self, form: &[(&str, &str)], now: Timestamp) -> Result<Tokens, ProviderError> {
        let url = format!("{}/oauth/token", self.base_url);
        let raw: RawTokens = self
            .http
            .json(PROVIDER, "authorization", || {
                self.http.client().post(&url).form(form)
            })
            .await?;
        Ok(Tokens {
            access_token: Secret::new(raw.access_token),
            refresh_token: Secret::new(raw.refresh_token),
            user_id: match raw.user_id {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            },
            expires_at: now
                .checked_add(SignedDuration::from_secs(
                    raw.expires_in.clamp(0, 10 * 365 * 86_400),
                ))
                .unwrap_or(now),
        })
    }
}

/// A payment id in a URL path: Mercado Pago's ids are numbers.
fn digits(id: &str) -> String {
    id.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_ids_cannot_leave_their_path_segment() {
        assert_eq!(digits("1000000001"), "1000000001");
        assert_eq!(digits("1/../../oauth/token"), "1");
    }
}
