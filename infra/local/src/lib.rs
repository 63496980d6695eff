//! The local stack's HTTP server: template.yaml's routes and JWT authorizer in front of every
//! function's own `handler`, and the scheduled jobs on their schedules. Never deployed.

mod auth;
mod server;
mod template;

pub use auth::{DEFAULT_DEV_SECRET, TokenClaims, mint_raw_token, mint_token, verify_token};
pub use server::{LocalServer, ROUTES, Route, router, run_job, serve};
pub use template::{Template, TemplateError};

/// template.yaml, as the cloud deploys it: the local stack builds its table and checks its
/// routes from this same text.
pub const TEMPLATE_YAML: &str = include_str!("../../../template.yaml");

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("DynamoDB Local refused to set up the table")]
    Table(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the table did not become active in time")]
    TableNotActive,
    #[error("the server stopped")]
    Io(#[from] std::io::Error),
}
