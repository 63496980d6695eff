//! The domain's one error type: invalid input (field by field) and refused state changes.

use std::collections::BTreeMap;
use std::fmt;

use crate::status::{BookingEvent, BookingStatus, RefusedTransition};

/// Each invalid field with the reason a person can act on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// One invalid field; the first reason given for a field is kept.
    pub fn single(field: impl Into<String>, why: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, why);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, why: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| why.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// `Ok(value)` when no field was invalid.
    pub fn into_result<T>(self, value: T) -> Result<T, DomainError> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(DomainError::Invalid(self))
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (field, why) in &self.0 {
            if !first {
                f.write_str("; ")?;
            }
            write!(f, "{field} {why}")?;
            first = false;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("a booking that is {from} cannot be {}", event.past_tense())]
    InvalidTransition {
        from: BookingStatus,
        event: BookingEvent,
    },
}

impl From<RefusedTransition> for DomainError {
    fn from(refused: RefusedTransition) -> DomainError {
        DomainError::InvalidTransition {
            from: refused.from,
            event: refused.event,
        }
    }
}

impl DomainError {
    pub fn field(field: impl Into<String>, why: impl Into<String>) -> Self {
        Self::Invalid(FieldErrors::single(field, why))
    }
}
