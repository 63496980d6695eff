//! Venues and resources as items: their attributes, and the defaults for items written
//! before an attribute existed.

use aws_sdk_dynamodb::types::AttributeValue;
use holdfast_domain::{
    CancellationPolicy, Currency, FieldErrors, Language, LocalTime, NightRules, OpeningHours,
    OpeningHoursDraft, RefundRule, Resource, Schedule, SlotRules, Venue, VenueSettings, Zone,
};

use crate::item::{Item, ItemError, n, s};
use crate::keys::{self, attr, kind};

impl From<&Venue> for Item {
    fn from(venue: &Venue) -> Item {
        let mut item = Item::keyed(keys::venue(&venue.venue_id));
        item.put(attr::TYPE, s(kind::VENUE));
        item.put(attr::VENUE_ID, s(&venue.venue_id));
        item.put(attr::ORG_ID, s(&venue.org_id));
        item.put(attr::NAME, s(&venue.name));
        item.put(attr::TIME_ZONE, s(venue.zone.name()));
        item.put(attr::CURRENCY, s(venue.currency.as_str()));
        item.put(attr::CONTACT_EMAIL, s(&venue.contact_email));
        item.put(attr::LANGUAGE, s(venue.language.as_str()));
        item.put(
            attr::STAFF_ALERTS,
            AttributeValue::Bool(venue.settings.staff_alerts),
        );
        item.put(attr::REMINDER_HOURS, n(venue.settings.reminder_hours));
        item.put(
            attr::REFUND_RULES,
            AttributeValue::L(
                venue
                    .settings
                    .cancellation_policy
                    .refund_rules
                    .iter()
                    .map(|r| s(format!("{}:{}", r.hours_before, r.percent)))
                    .collect(),
            ),
        );
        item.put(attr::CREATED_AT, s(keys::instant(venue.created_at)));
        item
    }
}

/// A venue's settings; a venue written before settings existed has the defaults.
fn venue_settings_of(item: &Item) -> Result<VenueSettings, ItemError> {
    let defaults = VenueSettings::default();
    let refund_rules = match item.0.get(attr::REFUND_RULES) {
        None => defaults.cancellation_policy.refund_rules,
        Some(_) => {
            item.strings(attr::REFUND_RULES)?
                .into_iter()
                .map(|rule| {
                    let (hours, percent) = rule.split_once(':').unwrap_or_default();
                    match (hours.parse(), percent.parse()) {
                        (Ok(hours_before), Ok(percent)) => Ok(RefundRule {
                            hours_before,
                            percent,
                        }),
                        _ => Err(item
                            .error(attr::REFUND_RULES, "holds a rule that is not hours:percent")),
                    }
                })
                .collect::<Result<_, _>>()?
        }
    };
    Ok(VenueSettings {
        staff_alerts: match item.0.get(attr::STAFF_ALERTS) {
            None => defaults.staff_alerts,
            Some(_) => item.boolean(attr::STAFF_ALERTS)?,
        },
        reminder_hours: item
            .opt_number(attr::REMINDER_HOURS)?
            .unwrap_or(defaults.reminder_hours),
        cancellation_policy: CancellationPolicy { refund_rules },
    })
}

impl TryFrom<&Item> for Venue {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<Venue, ItemError> {
        Ok(Venue {
            venue_id: item.string(attr::VENUE_ID)?.into(),
            org_id: item.string(attr::ORG_ID)?.to_string(),
            name: item.string(attr::NAME)?.to_string(),
            zone: Zone::parse(item.string(attr::TIME_ZONE)?)
                .ok_or_else(|| item.error(attr::TIME_ZONE, "is no known zone"))?,
            currency: Currency::parse(item.string(attr::CURRENCY)?)
                .ok_or_else(|| item.error(attr::CURRENCY, "is not ISO 4217"))?,
            contact_email: item.string(attr::CONTACT_EMAIL)?.to_string(),
            language: Language::parse(item.string(attr::LANGUAGE)?)
                .ok_or_else(|| item.error(attr::LANGUAGE, "is unknown"))?,
            settings: venue_settings_of(item)?,
            created_at: item.parsed(attr::CREATED_AT)?,
        })
    }
}

fn opening_hours_value(hours: &OpeningHours) -> AttributeValue {
    AttributeValue::M(
        hours
            .to_draft()
            .into_iter()
            .map(|(day, intervals)| {
                let list = intervals
                    .into_iter()
                    .map(|(open, close)| s(format!("{open}-{close}")))
                    .collect();
                (day, AttributeValue::L(list))
            })
            .collect(),
    )
}

fn opening_hours_of(item: &Item) -> Result<OpeningHours, ItemError> {
    let bad = || {
        item.error(
            attr::OPENING_HOURS,
            "is not a map of day to HH:MM-HH:MM strings",
        )
    };
    let Some(AttributeValue::M(days)) = item.0.get(attr::OPENING_HOURS) else {
        return Err(bad());
    };
    let mut draft = OpeningHoursDraft::new();
    for (day, intervals) in days {
        let AttributeValue::L(intervals) = intervals else {
            return Err(bad());
        };
        let pairs = intervals
            .iter()
            .map(|v| {
                let raw = v.as_s().map_err(|_| bad())?;
                let (open, close) = raw.split_once('-').ok_or_else(bad)?;
                Ok((open.to_string(), close.to_string()))
            })
            .collect::<Result<Vec<_>, ItemError>>()?;
        draft.insert(day.clone(), pairs);
    }
    let mut errors = FieldErrors::new();
    let hours = OpeningHours::parse(&draft, "opening_hours", &mut errors);
    if errors.is_empty() {
        Ok(hours)
    } else {
        Err(bad())
    }
}

impl From<&Resource> for Item {
    fn from(resource: &Resource) -> Item {
        let mut item = Item::keyed(keys::resource(&resource.resource_id));
        item.put(attr::TYPE, s(kind::RESOURCE));
        item.put(attr::GSI1PK, s(keys::venue_resources(&resource.venue_id)));
        item.put(
            attr::GSI1SK,
            s(format!(
                "{}#{}",
                keys::instant(resource.created_at),
                resource.resource_id
            )),
        );
        item.put(attr::RESOURCE_ID, s(&resource.resource_id));
        item.put(attr::VENUE_ID, s(&resource.venue_id));
        item.put(attr::NAME, s(&resource.name));
        item.put(attr::KIND, s(resource.schedule.kind()));
        item.put(attr::CAPACITY, n(resource.capacity));
        item.put(attr::UNIT_PRICE, n(resource.unit_price.amount));
        item.put(attr::CURRENCY, s(resource.unit_price.currency.as_str()));
        item.put(attr::HOLD_MINUTES, n(resource.hold_minutes));
        item.put(attr::ACTIVE, AttributeValue::Bool(resource.active));
        item.put(attr::CREATED_AT, s(keys::instant(resource.created_at)));
        match &resource.schedule {
            Schedule::Slots(rules) => {
                item.put(attr::SLOT_MINUTES, n(rules.slot_minutes));
                item.put(attr::GRID_ORIGIN, n(rules.grid_origin.minutes()));
                item.put(
                    attr::DURATIONS,
                    AttributeValue::L(rules.durations.iter().map(n).collect()),
                );
                item.put(
                    attr::OPENING_HOURS,
                    opening_hours_value(&rules.opening_hours),
                );
            }
            Schedule::Nights(rules) => {
                item.put(attr::CHECK_IN_TIME, s(rules.check_in_time.to_string()));
                item.put(attr::CHECK_OUT_TIME, s(rules.check_out_time.to_string()));
                item.put(attr::MIN_NIGHTS, n(rules.min_nights));
                item.put(attr::MAX_NIGHTS, n(rules.max_nights));
            }
        }
        item
    }
}

impl TryFrom<&Item> for Resource {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<Resource, ItemError> {
        let time = |name: &str| {
            LocalTime::parse(item.string(name)?, false)
                .ok_or_else(|| item.error(name, "is not HH:MM"))
        };
        let schedule = match item.string(attr::KIND)? {
            "slots" => {
                let slot_minutes = item.number(attr::SLOT_MINUTES)?;
                let opening_hours = opening_hours_of(item)?;
                let grid_origin = match item.opt_number::<u16>(attr::GRID_ORIGIN)? {
                    Some(minutes) => LocalTime::from_minutes(minutes)
                        .filter(|t| u32::from(t.minutes()) < slot_minutes)
                        .ok_or_else(|| {
                            item.error(attr::GRID_ORIGIN, "is not within one slot of midnight")
                        })?,
                    // Written before grids were stored: the grid creation would have chosen.
                    None => SlotRules::grid_origin_of(&opening_hours, slot_minutes),
                };
                Schedule::Slots(SlotRules {
                    slot_minutes,
                    grid_origin,
                    durations: match item.0.get(attr::DURATIONS) {
                        Some(AttributeValue::L(list)) => list
                            .iter()
                            .map(|v| {
                                v.as_n().ok().and_then(|n| n.parse().ok()).ok_or_else(|| {
                                    item.error(attr::DURATIONS, "holds a non-number")
                                })
                            })
                            .collect::<Result<_, _>>()?,
                        _ => return Err(item.error(attr::DURATIONS, "is not a list")),
                    },
                    opening_hours,
                })
            }
            "nights" => Schedule::Nights(NightRules {
                check_in_time: time(attr::CHECK_IN_TIME)?,
                check_out_time: time(attr::CHECK_OUT_TIME)?,
                min_nights: item.number(attr::MIN_NIGHTS)?,
                max_nights: item.number(attr::MAX_NIGHTS)?,
            }),
            _ => return Err(item.error(attr::KIND, "is neither slots nor nights")),
        };
        Ok(Resource {
            resource_id: item.string(attr::RESOURCE_ID)?.into(),
            venue_id: item.string(attr::VENUE_ID)?.into(),
            name: item.string(attr::NAME)?.to_string(),
            schedule,
            capacity: item.number(attr::CAPACITY)?,
            unit_price: item.money(attr::UNIT_PRICE, attr::CURRENCY)?,
            hold_minutes: item.number(attr::HOLD_MINUTES)?,
            active: item.boolean(attr::ACTIVE)?,
            created_at: item.parsed(attr::CREATED_AT)?,
        })
    }
}

/// Shared with the booking mapping's tests, which need resources to book.
#[cfg(test)]
pub(crate) mod fixtures {
    use holdfast_domain::{Currency, Resource, ResourceDraft};
    use jiff::Timestamp;

    pub(crate) fn now() -> Timestamp {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    fn resource(json: serde_json::Value) -> Resource {
        let draft: ResourceDraft = serde_json::from_value(json).unwrap();
        draft
            .into_resource(
                "res_1".into(),
                "ven_1".into(),
                Currency::parse("EUR").unwrap(),
                now(),
            )
            .unwrap()
    }

    pub(crate) fn court() -> Resource {
        resource(serde_json::json!({
            "name": "Court 1", "kind": "slots", "slot_minutes": 30, "durations": [60, 90],
            "opening_hours": {"tue": [["08:00", "22:00"]], "sat": [["09:00", "14:00"], ["17:00", "24:00"]]},
            "capacity": 4, "unit_price": {"amount": 600, "currency": "EUR"}, "hold_minutes": 20
        }))
    }

    pub(crate) fn cabin() -> Resource {
        resource(serde_json::json!({
            "name": "Cabaña", "kind": "nights", "check_in_time": "15:00", "check_out_time": "11:00",
            "min_nights": 2, "max_nights": 14, "unit_price": {"amount": 150000, "currency": "EUR"}
        }))
    }
}

#[cfg(test)]
mod tests {
    use holdfast_domain::VenueDraft;

    use super::fixtures::{cabin, court, now};
    use super::*;

    fn venue() -> Venue {
        let draft: VenueDraft = serde_json::from_value(serde_json::json!({
            "name": "Club Padel Norte", "time_zone": "Europe/Madrid", "currency": "EUR",
            "contact_email": "desk@padelnorte.example", "language": "en"
        }))
        .unwrap();
        draft
            .into_venue("ven_1".into(), "org_1".into(), now())
            .unwrap()
    }

    #[test]
    fn venues_round_trip() {
        let venue = venue();
        let item = Item::from(&venue);
        assert_eq!(item.string("pk").unwrap(), "VENUE#ven_1");
        assert_eq!(Venue::try_from(&item).unwrap(), venue);
    }

    #[test]
    fn resources_of_both_kinds_round_trip() {
        for resource in [court(), cabin()] {
            let item = Item::from(&resource);
            assert_eq!(item.string("gsi1pk").unwrap(), "VENUE#ven_1#RESOURCES");
            assert_eq!(Resource::try_from(&item).unwrap(), resource);
        }
    }

    #[test]
    fn an_unreadable_item_names_the_attribute() {
        let mut item = Item::from(&venue());
        item.put("currency", s("EURO"));
        let err = Venue::try_from(&item).unwrap_err();
        assert_eq!(err.attribute, "currency");
        assert_eq!(err.key, "VENUE#ven_1/VENUE");
        item.0.remove("name");
        assert_eq!(Venue::try_from(&item).unwrap_err().attribute, "name");
    }

    #[test]
    fn a_resource_keeps_its_grid_and_one_written_before_grids_reads_the_creation_grid() {
        let mut quarter = court();
        let Schedule::Slots(rules) = &mut quarter.schedule else {
            panic!("slots expected")
        };
        rules.grid_origin = LocalTime::from_minutes(15).unwrap();
        let item = Item::from(&quarter);
        assert_eq!(item.number::<u16>("grid_origin").unwrap(), 15);
        assert_eq!(Resource::try_from(&item).unwrap(), quarter);

        let mut legacy = Item::from(&court());
        legacy.0.remove("grid_origin");
        assert_eq!(Resource::try_from(&legacy).unwrap(), court());
        legacy.put("grid_origin", n(30));
        assert_eq!(
            Resource::try_from(&legacy).unwrap_err().attribute,
            "grid_origin",
            "an origin a whole slot past midnight is no origin"
        );
    }
}
