//! Venues: a club or a rental owner's property, with the time zone every local time is read in.

use std::fmt;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::error::{DomainError, FieldErrors};
use crate::ids::VenueId;
use crate::money::Currency;
use crate::settings::VenueSettings;
use crate::validate::{checked_name, is_email};

/// An IANA time zone from the bundled tz database, remembered by its name.
#[derive(Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// The zone named `name` (e.g. `Europe/Madrid`), if the tz database knows it.
    pub fn parse(name: &str) -> Option<Zone> {
        // Only real IANA names: jiff would also take a POSIX TZ string, which is no place.
        if name.is_empty() || !name.contains('/') && name != "UTC" {
            return None;
        }
        let tz = TimeZone::get(name).ok()?;
        Some(Zone {
            name: name.to_string(),
            tz,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every name [`Zone::parse`] takes, sorted: what `openapi.yaml` lists for a venue's zone.
    pub fn names() -> Vec<String> {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.to_string())
            .filter(|name| Zone::parse(name).is_some())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Es,
    En,
}

impl Language {
    pub fn parse(code: &str) -> Option<Language> {
        match code {
            "es" => Some(Language::Es),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Language::Es => "es",
            Language::En => "en",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Venue {
    pub venue_id: VenueId,
    pub org_id: String,
    pub name: String,
    pub zone: Zone,
    pub currency: Currency,
    pub contact_email: String,
    pub language: Language,
    pub settings: VenueSettings,
    pub created_at: Timestamp,
}

/// `POST /v1/venues` as the caller sent it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueDraft {
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub contact_email: String,
    #[serde(default)]
    pub language: Option<String>,
}

impl VenueDraft {
    /// The venue this draft describes, or every field that is wrong with it.
    pub fn into_venue(
        self,
        venue_id: VenueId,
        org_id: String,
        now: Timestamp,
    ) -> Result<Venue, DomainError> {
        let mut errors = FieldErrors::new();
        let name = checked_name(&self.name, "name", &mut errors);
        let zone = Zone::parse(&self.time_zone);
        if zone.is_none() {
            errors.add(
                "time_zone",
                "must be an IANA time zone such as Europe/Madrid",
            );
        }
        let currency = Currency::parse(&self.currency);
        if currency.is_none() {
            errors.add(
                "currency",
                "must be an ISO 4217 code such as EUR, MXN or PEN",
            );
        }
        if !is_email(&self.contact_email) {
            errors.add("contact_email", "must be an email address");
        }
        let language = match self.language.as_deref() {
            None => Some(Language::Es),
            Some(code) => Language::parse(code),
        };
        if language.is_none() {
            errors.add("language", "must be es or en");
        }
        match (zone, currency, language) {
            (Some(zone), Some(currency), Some(language)) if errors.is_empty() => Ok(Venue {
                venue_id,
                org_id,
                name,
                zone,
                currency,
                contact_email: self.contact_email,
                language,
                settings: VenueSettings::default(),
                created_at: now,
            }),
            _ => Err(DomainError::Invalid(errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> VenueDraft {
        VenueDraft {
            name: "Club Padel Norte".into(),
            time_zone: "Europe/Madrid".into(),
            currency: "EUR".into(),
            contact_email: "desk@padelnorte.example".into(),
            language: None,
        }
    }

    #[test]
    fn a_valid_draft_becomes_a_venue_in_spanish_by_default() {
        let venue = draft()
            .into_venue("v".into(), "o".into(), Timestamp::UNIX_EPOCH)
            .unwrap();
        assert_eq!(venue.zone.name(), "Europe/Madrid");
        assert_eq!(venue.language, Language::Es);
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = VenueDraft {
            name: "  ".into(),
            time_zone: "Mars/Olympus".into(),
            currency: "EURO".into(),
            contact_email: "not-an-email".into(),
            language: Some("fr".into()),
        };
        let Err(DomainError::Invalid(errors)) =
            bad.into_venue("v".into(), "o".into(), Timestamp::UNIX_EPOCH)
        else {
            panic!("expected field errors");
        };
        for field in ["name", "time_zone", "currency", "contact_email", "language"] {
            assert!(errors.get(field).is_some(), "{field} not named in {errors}");
        }
    }

    #[test]
    fn posix_tz_strings_and_offsets_are_not_zones() {
        assert!(Zone::parse("EST5EDT,M3.2.0,M11.1.0").is_none());
        assert!(Zone::parse("+01:00").is_none());
        assert!(Zone::parse("").is_none());
        assert!(Zone::parse("America/Lima").is_some());
        assert!(Zone::parse("UTC").is_some());
    }
}
