//! What every function shares: typed config, the app state built once at cold start, callers
//! from JWT claims, request parsing, the one error shape, and the booking use cases.

mod app;
mod caller;
mod config;
mod error;
pub mod gate;
mod http;
pub mod logs;
pub mod metrics;
pub mod services;
pub mod views;

pub use app::{App, Clock, Providers, VenueFacts, sdk_config};
pub use caller::Caller;
pub use config::{CalendarsConfig, Config, ConfigError, PaymentsConfig, Timeouts};
pub use error::ApiError;
pub use holdfast_domain::{ids, limits};
pub use http::{
    ACCEPTED, BODY_LIMIT, CREATED, NO_CONTENT, OK, Query, WEBHOOK_BODY_LIMIT, body_bytes,
    bytes_within, json_body, path_param, request_id, respond, respond_json, webhook_body,
};
pub use lambda_http::{Body, Error, Request, Response};

/// Logs as JSON lines (Lambda's JSON log format keeps them whole), or for people locally
/// (`HOLDFAST_LOG_FORMAT=pretty`), masked either way; metrics as EMF lines beside them.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let format = match std::env::var("HOLDFAST_LOG_FORMAT").as_deref() {
        Ok("pretty") => logs::LogFormat::Pretty,
        _ => logs::LogFormat::Json,
    };
    let _ =
        tracing::subscriber::set_global_default(logs::subscriber(filter, format, std::io::stdout));
}
