//! The platform's application at Mercado Pago as the stand-in knows it: client credentials and
//! the webhook secret, from the environment.

/// The platform's application at Mercado Pago (no `Debug`: it holds secrets).
pub struct Config {
    pub client_id: String,
    pub client_secret: String,
    pub webhook_secret: String,
}

impl Config {
    /// `HOLDFAST_MERCADOPAGO_{CLIENT_ID,CLIENT_SECRET,WEBHOOK_SECRET}`, else the dev defaults.
    pub fn from_env() -> Self {
        let var = |name: &str, default: &str| {
            let value = std::env::var(format!("HOLDFAST_MERCADOPAGO_{name}")).ok();
            value.filter(|v| !v.is_empty()).unwrap_or(default.into())
        };
        Config {
            client_id: var("CLIENT_ID", "holdfast-dev-client"),
            client_secret: var("CLIENT_SECRET", "holdfast-dev-client-secret"),
            webhook_secret: var("WEBHOOK_SECRET", "holdfast-dev-webhook-secret"),
        }
    }
}
