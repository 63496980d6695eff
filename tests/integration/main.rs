//! One test binary for everything that runs against the local stack (DynamoDB Local behind
//! the local server): races, booking lifecycle, access rules, bad input, and the sample events.

mod access;
mod bad_input;
mod events;
mod lifecycle;
mod race;
