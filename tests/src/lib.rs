//! Helpers for the tests that run against the local stack: a local server of our own on a free
//! port in front of DynamoDB Local, callers with tokens, and replies that fail with context.
//!
//! `make test` starts DynamoDB Local and sets `HOLDFAST_TEST_DYNAMODB_ENDPOINT`; each `Stack`
//! makes its own table there, so stacks never see each other's data.

// Test helpers exist to stop a test loudly, with context, when the stack misbehaves.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod api;
mod audits;
mod browser;
mod feeds;
mod fixtures;
pub mod payments;
mod providers;
mod security;
mod services;
mod stack;
mod tokens;

pub use api::*;
pub use audits::*;
pub use browser::*;
pub use feeds::*;
pub use fixtures::*;
pub use providers::*;
pub use security::*;
pub use services::*;
pub use stack::*;
pub use tokens::*;
