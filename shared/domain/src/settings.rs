//! What a venue decides for itself after creation: who hears of its bookings, when customers are
//! reminded, and how much a customer's cancellation refunds. Changed by `PATCH /v1/venues/{id}`.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::error::{DomainError, FieldErrors};
use crate::validate::{checked_name, is_email};
use crate::venue::{Language, Venue};

/// The most hours before a booking a reminder may go out: one week.
pub const MAX_REMINDER_HOURS: u32 = 168;
/// A rule may reach back at most a year before the start.
const MAX_RULE_HOURS: u32 = 24 * 366;
const MAX_RULES: usize = 10;

/// A customer who cancels at least `hours_before` the start gets `percent` back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RefundRule {
    pub hours_before: u32,
    pub percent: u8,
}

/// Refund rules, longest notice first; the first rule a cancellation meets applies, and one that
/// meets none refunds nothing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CancellationPolicy {
    pub refund_rules: Vec<RefundRule>,
}

impl Default for CancellationPolicy {
    /// A full refund up to 24 hours before.
    fn default() -> CancellationPolicy {
        CancellationPolicy {
            refund_rules: vec![RefundRule {
                hours_before: 24,
                percent: 100,
            }],
        }
    }
}

impl CancellationPolicy {
    /// Rules in order of notice, each within bounds, none repeated.
    pub fn checked(self, field: &str, errors: &mut FieldErrors) -> CancellationPolicy {
        if self.refund_rules.len() > MAX_RULES {
            errors.add(
                format!("{field}.refund_rules"),
                format!("has more than {MAX_RULES} rules"),
            );
        }
        for (i, rule) in self.refund_rules.iter().enumerate() {
            let path = format!("{field}.refund_rules[{i}]");
            if rule.percent > 100 {
                errors.add(format!("{path}.percent"), "must be between 0 and 100");
            }
            if rule.hours_before > MAX_RULE_HOURS {
                errors.add(
                    format!("{path}.hours_before"),
                    format!("must be at most {MAX_RULE_HOURS}"),
                );
            }
            if i > 0 && rule.hours_before >= self.refund_rules[i - 1].hours_before {
                errors.add(
                    format!("{path}.hours_before"),
                    "must be less than the rule before it: list the longest notice first",
                );
            }
        }
        self
    }

    /// The percent refunded for cancelling at `at` a booking that starts at `start`.
    pub fn refund_percent(&self, start: Timestamp, at: Timestamp) -> u8 {
        let notice = start.duration_since(at);
        self.refund_rules
            .iter()
            .find(|rule| notice >= SignedDuration::from_hours(i64::from(rule.hours_before)))
            .map_or(0, |rule| rule.percent)
    }
}

/// How staff stays informed and customers are reminded and refunded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueSettings {
    /// New bookings, cancellations and calendar trouble mailed to the contact email.
    pub staff_alerts: bool,
    /// Hours before the start a reminder goes out; 0 sends none.
    pub reminder_hours: u32,
    pub cancellation_policy: CancellationPolicy,
}

impl Default for VenueSettings {
    fn default() -> VenueSettings {
        VenueSettings {
            staff_alerts: true,
            reminder_hours: 24,
            cancellation_policy: CancellationPolicy::default(),
        }
    }
}

/// `PATCH /v1/venues/{venue_id}`: only the fields given change. The zone and currency never do:
/// every local time and price of the venue was read in them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenuePatch {
    pub name: Option<String>,
    pub contact_email: Option<String>,
    pub language: Option<String>,
    pub staff_alerts: Option<bool>,
    pub reminder_hours: Option<u32>,
    pub cancellation_policy: Option<CancellationPolicy>,
}

impl Venue {
    /// This venue with `patch` applied, or every field that is wrong with it.
    pub fn patched(&self, patch: VenuePatch) -> Result<Venue, DomainError> {
        let mut errors = FieldErrors::new();
        let mut next = self.clone();
        let VenuePatch {
            name,
            contact_email,
            language,
            staff_alerts,
            reminder_hours,
            cancellation_policy,
        } = patch;
        let empty = name.is_none()
            && contact_email.is_none()
            && language.is_none()
            && staff_alerts.is_none()
            && reminder_hours.is_none()
            && cancellation_policy.is_none();
        if empty {
            errors.add("body", "must change at least one of name, contact_email, language, staff_alerts, reminder_hours, cancellation_policy");
        }
        if let Some(name) = name {
            next.name = checked_name(&name, "name", &mut errors);
        }
        if let Some(email) = contact_email {
            let email = email.trim().to_string();
            if !is_email(&email) {
                errors.add("contact_email", "must be an email address");
            }
            next.contact_email = email;
        }
        if let Some(code) = language {
            match Language::parse(&code) {
                Some(language) => next.language = language,
                None => errors.add("language", "must be es or en"),
            }
        }
        if let Some(alerts) = staff_alerts {
            next.settings.staff_alerts = alerts;
        }
        if let Some(hours) = reminder_hours {
            if hours > MAX_REMINDER_HOURS {
                errors.add(
                    "reminder_hours",
                    format!("must be between 0 and {MAX_REMINDER_HOURS} (0 sends no reminder)"),
                );
            }
            next.settings.reminder_hours = hours;
        }
        if let Some(policy) = cancellation_policy {
            next.settings.cancellation_policy = policy.checked("cancellation_policy", &mut errors);
        }
        errors.into_result(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::VenueDraft;

    fn venue() -> Venue {
        let draft: VenueDraft = serde_json::from_value(serde_json::json!({
            "name": "Club", "time_zone": "Europe/Madrid", "currency": "EUR",
            "contact_email": "desk@club.example"
        }))
        .unwrap();
        draft
            .into_venue("v".into(), "o".into(), Timestamp::UNIX_EPOCH)
            .unwrap()
    }

    fn patch(json: serde_json::Value) -> VenuePatch {
        serde_json::from_value(json).unwrap()
    }

    fn errors(result: Result<Venue, DomainError>) -> FieldErrors {
        match result {
            Err(DomainError::Invalid(errors)) => errors,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_new_venue_alerts_staff_reminds_a_day_before_and_refunds_in_full_up_to_a_day() {
        let settings = venue().settings;
        assert!(settings.staff_alerts);
        assert_eq!(settings.reminder_hours, 24);
        let start: Timestamp = "2026-12-10T10:00:00Z".parse().unwrap();
        let policy = &settings.cancellation_policy;
        assert_eq!(
            policy.refund_percent(start, "2026-12-09T10:00:00Z".parse().unwrap()),
            100
        );
        assert_eq!(
            policy.refund_percent(start, "2026-12-09T10:00:01Z".parse().unwrap()),
            0
        );
    }

    #[test]
    fn the_first_rule_that_applies_gives_the_refund() {
        let patched = venue()
            .patched(patch(
                serde_json::json!({"cancellation_policy": {"refund_rules": [
                {"hours_before": 48, "percent": 100}, {"hours_before": 24, "percent": 50}]}}),
            ))
            .unwrap();
        let policy = &patched.settings.cancellation_policy;
        let start: Timestamp = "2026-12-10T10:00:00Z".parse().unwrap();
        let hours_before = |h: i64| start.checked_sub(SignedDuration::from_hours(h)).unwrap();
        assert_eq!(policy.refund_percent(start, hours_before(72)), 100);
        assert_eq!(policy.refund_percent(start, hours_before(30)), 50);
        assert_eq!(policy.refund_percent(start, hours_before(2)), 0);
        // After the start there is nothing to refund either.
        assert_eq!(policy.refund_percent(start, hours_before(-1)), 0);
    }

    #[test]
    fn settings_patch_and_bad_ones_are_named() {
        let patched = venue()
            .patched(patch(
                serde_json::json!({"staff_alerts": false, "reminder_hours": 0, "language": "en"}),
            ))
            .unwrap();
        assert!(!patched.settings.staff_alerts);
        assert_eq!(patched.settings.reminder_hours, 0);
        assert_eq!(patched.language, Language::En);
        let bad = errors(venue().patched(patch(serde_json::json!({
            "reminder_hours": 169, "contact_email": "nope", "language": "fr",
            "cancellation_policy": {"refund_rules": [{"hours_before": 24, "percent": 50},
                                                      {"hours_before": 48, "percent": 101}]}
        }))));
        for field in [
            "reminder_hours",
            "contact_email",
            "language",
            "cancellation_policy.refund_rules[1].hours_before",
            "cancellation_policy.refund_rules[1].percent",
        ] {
            assert!(bad.get(field).is_some(), "{field} not named in {bad}");
        }
        assert!(
            errors(venue().patched(VenuePatch::default()))
                .get("body")
                .is_some()
        );
        assert!(
            serde_json::from_value::<VenuePatch>(serde_json::json!({"time_zone": "UTC"})).is_err()
        );
    }
}
