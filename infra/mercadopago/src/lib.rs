//! A local stand-in for Mercado Pago: checkout preferences, payments, refunds and OAuth at Mercado
//! Pago's own paths and shapes, in memory, plus `/_standin/` routes to pay, notify and inject faults.

mod config;
mod error;
mod http;
mod notifications;
mod oauth;
mod observe;
mod payments;
mod preferences;
mod refunds;
mod state;
mod wire;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

pub use config::Config;
pub use error::Error;

use error::missing;
use notifications::redeliver;
use oauth::{authorize, revoke, token};
use observe::{add_fault, clear_faults, clear_requests, observe, requests};
use payments::{get_payment, pay, set_status};
use preferences::{create_preference, get_preference};
use refunds::{refund, refunds};
use state::{App, Shared};

/// Serves the stand-in on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    let base_url = format!("http://{}", listener.local_addr()?);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5));
    let http = http.build().map_err(std::io::Error::other)?;
    let inner = Mutex::default();
    let app = App(Arc::new(Shared {
        config,
        base_url,
        http,
        inner,
    }));
    let router = Router::new()
        .route("/checkout/preferences", post(create_preference))
        .route("/checkout/preferences/{id}", get(get_preference))
        .route("/v1/payments/{id}", get(get_payment))
        .route("/v1/payments/{id}/refunds", post(refund).get(refunds))
        .route("/authorization", get(authorize))
        .route("/oauth/token", post(token))
        .route("/_standin/preferences/{id}/pay", post(pay))
        .route("/_standin/payments/{id}/notify", post(redeliver))
        .route("/_standin/payments/{id}/status", post(set_status))
        .route("/_standin/faults", post(add_fault).delete(clear_faults))
        .route("/_standin/requests", get(requests).delete(clear_requests))
        .route("/_standin/tokens/revoke", post(revoke))
        .fallback(|| async { missing("resource") })
        .layer(from_fn_with_state(app.clone(), observe))
        .with_state(app);
    axum::serve(listener, router).await
}
