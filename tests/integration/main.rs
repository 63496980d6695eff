//! One test binary for everything that runs against the local stack (DynamoDB Local behind
//! the local server): races, booking lifecycle, access rules, bad input, and the sample events.

// Helpers here stop a test loudly, with context, when the stack misbehaves.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod access;
mod accounts;
mod bad_input;
mod browser;
mod calendar_model;
mod calendars;
mod change;
mod contract;
mod cursors;
mod events;
mod frozen;
mod lifecycle;
mod limits;
mod mail;
mod notices;
mod oauth;
mod payments;
mod race;
mod reminders;
mod report_counters;
mod security;
mod settings;
mod sync_budget;
