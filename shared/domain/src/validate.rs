//! Checking what people type: names and addresses, each refusal a field error a person can act
//! on. Below every module that takes input, above only the error type.

use crate::error::FieldErrors;

/// A display name: trimmed, not empty, at most 200 characters.
pub(crate) fn checked_name(raw: &str, field: &str, errors: &mut FieldErrors) -> String {
    let name = raw.trim();
    if name.is_empty() {
        errors.add(field, "must not be empty");
    } else if name.chars().count() > 200 {
        errors.add(field, "must be at most 200 characters");
    }
    name.to_string()
}

/// A plausible address: one `@`, something on both sides, a dot in the domain, no spaces.
pub(crate) fn is_email(raw: &str) -> bool {
    let Some((local, domain)) = raw.split_once('@') else {
        return false;
    };
    raw.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control())
}
