//! Stripe: create a PaymentIntent for a booking, read one, cancel one, refund one. Form-encoded
//! as Stripe's API is, sending only the fields Holdfast uses (localstripe refuses any other).

use holdfast_domain::{Money, Secret};
use serde::Deserialize;

use crate::{ProviderError, ProviderHttp, base};

const PROVIDER: &str = "Stripe";

/// Stripe's API at `base_url` (`https://api.stripe.com` in production).
#[derive(Debug, Clone)]
pub struct Stripe {
    http: ProviderHttp,
    base_url: String,
}

/// A PaymentIntent as far as Holdfast reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub client_secret: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
}

impl PaymentIntent {
    /// The booking this intent pays for, as Holdfast wrote it into its metadata.
    pub fn booking_id(&self) -> Option<&str> {
        self.metadata.get("booking_id").map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub status: Option<String>,
}

impl Stripe {
    pub fn new(http: ProviderHttp, base_url: &str) -> Stripe {
        Stripe {
            http,
            base_url: base(base_url),
        }
    }

    /// A PaymentIntent for `amount`, tagged with the booking; `idempotency_key` makes a retried
    /// call answer the same intent instead of making a second.
    pub async fn create_payment_intent(
        &self,
        key: &Secret,
        amount: &Money,
        booking_id: &str,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, ProviderError> {
        let form = [
            ("amount", amount.amount.to_string()),
            ("currency", amount.currency.as_str().to_ascii_lowercase()),
            ("metadata[booking_id]", booking_id.to_string()),
        ];
        self.post_form(key, "/v1/payment_intents", idempotency_key, &form)
            .await
    }

    pub async fn payment_intent(
        &self,
        key: &Secret,
        id: &str,
    ) -> Result<PaymentIntent, ProviderError> {
        let url = format!("{}/v1/payment_intents/{}", self.base_url, path_part(id));
        self.http
            .json(PROVIDER, "payment intent", || {
                self.http.client().get(&url).bearer_auth(key.expose())
            })
            .await
    }

    /// Cancels an intent nobody paid, so that it cannot be paid later.
    pub async fn cancel_payment_intent(
        &self,
        key: &Secret,
        id: &str,
    ) -> Result<PaymentIntent, ProviderError> {
        let url = format!(
            "{}/v1/payment_intents/{}/cancel",
            self.base_url,
            path_part(id)
        );
        self.http
            .json(PROVIDER, "payment intent", || {
                self.http.client().post(&url).bearer_auth(key.expose())
            })
            .await
    }

    /// Refunds `amount` of a paid intent; the amount is always given, so that a refund never
    /// takes more than Holdfast decided.
    pub async fn refund(
        &self,
        key: &Secret,
        payment_intent_id: &str,
        amount: i64,
        booking_id: &str,
        idempotency_key: &str,
    ) -> Result<Refund, ProviderError> {
        let form = [
            ("payment_intent", payment_intent_id.to_string()),
            ("amount", amount.to_string()),
            ("metadata[booking_id]", booking_id.to_string()),
        ];
        self.post_form(key, "/v1/refunds", idempotency_key, &form)
            .await
    }

    /// A form POST under Stripe's `Idempotency-Key`: a retry answers what the first made.
    async fn post_form<T: serde::de::DeserializeOwned>(
        &self,
        key: &Secret,
        path: &str,
        idempotency_key: &str,
        form: &[(&str, String)],
    ) -> Result<T, ProviderError> {
        let url = format!("{}{path}", self.base_url);
        self.http
            .json(PROVIDER, "payment intent", || {
                self.http
                    .client()
                    .post(&url)
                    .bearer_auth(key.expose())
                    .header("Idempotency-Key", idempotency_key)
                    .form(form)
            })
            .await
    }
}

/// An id placed in a URL path: only the characters Stripe's ids use.
fn path_part(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_leave_their_path_segment() {
        assert_eq!(path_part("pi_123"), "pi_123");
        assert_eq!(path_part("pi_1/../../v1/charges?x=1"), "pi_1v1chargesx1");
    }
}
