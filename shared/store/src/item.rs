//! Items of the one table and their conversions to and from the domain's types, both ways.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use holdfast_domain::{
    Booking, BookingCalendarConflict, BookingStatus, CancellationPolicy, Checkout, Claim, Currency,
    Customer, FieldErrors, Language, LocalTime, Money, NightRules, OpeningHours, OpeningHoursDraft,
    Paid, Payment, PaymentProvider, Period, RefundRule, Resource, Schedule, SlotRules, Unit, Venue,
    VenueSettings, Zone, format_utc,
};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::index::HELD_SHARDS;
use crate::keys;

/// A stored item was not what this code writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored item {key}: attribute {attribute} {reason}")]
pub struct ItemError {
    pub key: String,
    pub attribute: String,
    pub reason: &'static str,
}

/// One item of the table: attribute name to value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item(pub HashMap<String, AttributeValue>);

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl Item {
    pub(crate) fn keyed((pk, sk): (String, String)) -> Item {
        let mut item = Item::default();
        item.put("pk", s(pk));
        item.put("sk", s(sk));
        item
    }

    pub(crate) fn put(&mut self, name: &str, value: AttributeValue) {
        self.0.insert(name.to_string(), value);
    }

    fn put_opt(&mut self, name: &str, value: Option<AttributeValue>) {
        if let Some(value) = value {
            self.put(name, value);
        }
    }

    pub(crate) fn error(&self, attribute: &str, reason: &'static str) -> ItemError {
        let key = [self.0.get("pk"), self.0.get("sk")]
            .iter()
            .map(|v| {
                v.and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    .unwrap_or("?")
            })
            .collect::<Vec<_>>()
            .join("/");
        ItemError {
            key,
            attribute: attribute.to_string(),
            reason,
        }
    }

    pub fn string(&self, name: &str) -> Result<&str, ItemError> {
        self.opt_string(name)?
            .ok_or_else(|| self.error(name, "is missing"))
    }

    pub fn opt_string(&self, name: &str) -> Result<Option<&str>, ItemError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v)),
            Some(_) => Err(self.error(name, "is not a string")),
        }
    }

    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Result<T, ItemError> {
        self.opt_number(name)?
            .ok_or_else(|| self.error(name, "is missing"))
    }

    pub fn opt_number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ItemError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v
                .parse()
                .map(Some)
                .map_err(|_| self.error(name, "is not a valid number")),
            Some(_) => Err(self.error(name, "is not a number")),
        }
    }

    fn opt_bool(&self, name: &str) -> Result<Option<bool>, ItemError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::Bool(v)) => Ok(Some(*v)),
            Some(_) => Err(self.error(name, "is not a boolean")),
        }
    }

    fn boolean(&self, name: &str) -> Result<bool, ItemError> {
        match self.0.get(name) {
            Some(AttributeValue::Bool(v)) => Ok(*v),
            _ => Err(self.error(name, "is not a boolean")),
        }
    }

    fn strings(&self, name: &str) -> Result<Vec<&str>, ItemError> {
        match self.0.get(name) {
            Some(AttributeValue::L(values)) => values
                .iter()
                .map(|v| {
                    v.as_s()
                        .map(String::as_str)
                        .map_err(|_| self.error(name, "holds a non-string"))
                })
                .collect(),
            _ => Err(self.error(name, "is not a list")),
        }
    }

    pub(crate) fn parsed<T: std::str::FromStr>(&self, name: &str) -> Result<T, ItemError> {
        self.string(name)?
            .parse()
            .map_err(|_| self.error(name, "does not parse"))
    }

    fn opt_parsed<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ItemError> {
        self.opt_string(name)?
            .map(|v| v.parse().map_err(|_| self.error(name, "does not parse")))
            .transpose()
    }

    fn money(&self, amount: &str, currency: &str) -> Result<Money, ItemError> {
        let currency = Currency::parse(self.string(currency)?)
            .ok_or_else(|| self.error(currency, "is not ISO 4217"))?;
        Ok(Money {
            amount: self.number(amount)?,
            currency,
        })
    }
}

impl From<&Venue> for Item {
    fn from(venue: &Venue) -> Item {
        let mut item = Item::keyed(keys::venue(&venue.venue_id));
        item.put("type", s("venue"));
        item.put("venue_id", s(&venue.venue_id));
        item.put("org_id", s(&venue.org_id));
        item.put("name", s(&venue.name));
        item.put("time_zone", s(venue.zone.name()));
        item.put("currency", s(venue.currency.as_str()));
        item.put("contact_email", s(&venue.contact_email));
        item.put("language", s(venue.language.as_str()));
        item.put(
            "staff_alerts",
            AttributeValue::Bool(venue.settings.staff_alerts),
        );
        item.put("reminder_hours", n(venue.settings.reminder_hours));
        item.put(
            "refund_rules",
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
        item.put("created_at", s(format_utc(venue.created_at)));
        item
    }
}

/// A venue's settings; a venue written before settings existed has the defaults.
fn venue_settings_of(item: &Item) -> Result<VenueSettings, ItemError> {
    let defaults = VenueSettings::default();
    let refund_rules = match item.0.get("refund_rules") {
        None => defaults.cancellation_policy.refund_rules,
        Some(_) => item
            .strings("refund_rules")?
            .into_iter()
            .map(|rule| {
                let (hours, percent) = rule.split_once(':').unwrap_or_default();
                match (hours.parse(), percent.parse()) {
                    (Ok(hours_before), Ok(percent)) => Ok(RefundRule {
                        hours_before,
                        percent,
                    }),
                    _ => Err(item.error("refund_rules", "holds a rule that is not hours:percent")),
                }
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(VenueSettings {
        staff_alerts: match item.0.get("staff_alerts") {
            None => defaults.staff_alerts,
            Some(_) => item.boolean("staff_alerts")?,
        },
        reminder_hours: item
            .opt_number("reminder_hours")?
            .unwrap_or(defaults.reminder_hours),
        cancellation_policy: CancellationPolicy { refund_rules },
    })
}

impl TryFrom<&Item> for Venue {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<Venue, ItemError> {
        Ok(Venue {
            venue_id: item.string("venue_id")?.to_string(),
            org_id: item.string("org_id")?.to_string(),
            name: item.string("name")?.to_string(),
            zone: Zone::parse(item.string("time_zone")?)
                .ok_or_else(|| item.error("time_zone", "is no known zone"))?,
            currency: Currency::parse(item.string("currency")?)
                .ok_or_else(|| item.error("currency", "is not ISO 4217"))?,
            contact_email: item.string("contact_email")?.to_string(),
            language: Language::parse(item.string("language")?)
                .ok_or_else(|| item.error("language", "is unknown"))?,
            settings: venue_settings_of(item)?,
            created_at: item.parsed("created_at")?,
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
            "opening_hours",
            "is not a map of day to HH:MM-HH:MM strings",
        )
    };
    let Some(AttributeValue::M(days)) = item.0.get("opening_hours") else {
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
        item.put("type", s("resource"));
        item.put("gsi1pk", s(keys::venue_resources(&resource.venue_id)));
        item.put(
            "gsi1sk",
            s(format!(
                "{}#{}",
                format_utc(resource.created_at),
                resource.resource_id
            )),
        );
        item.put("resource_id", s(&resource.resource_id));
        item.put("venue_id", s(&resource.venue_id));
        item.put("name", s(&resource.name));
        item.put("kind", s(resource.schedule.kind()));
        item.put("capacity", n(resource.capacity));
        item.put("unit_price", n(resource.unit_price.amount));
        item.put("currency", s(resource.unit_price.currency.as_str()));
        item.put("hold_minutes", n(resource.hold_minutes));
        item.put("active", AttributeValue::Bool(resource.active));
        item.put("created_at", s(format_utc(resource.created_at)));
        match &resource.schedule {
            Schedule::Slots(rules) => {
                item.put("slot_minutes", n(rules.slot_minutes));
                item.put("grid_origin", n(rules.grid_origin.minutes()));
                item.put(
                    "durations",
                    AttributeValue::L(rules.durations.iter().map(n).collect()),
                );
                item.put("opening_hours", opening_hours_value(&rules.opening_hours));
            }
            Schedule::Nights(rules) => {
                item.put("check_in_time", s(rules.check_in_time.to_string()));
                item.put("check_out_time", s(rules.check_out_time.to_string()));
                item.put("min_nights", n(rules.min_nights));
                item.put("max_nights", n(rules.max_nights));
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
        let schedule = match item.string("kind")? {
            "slots" => {
                let slot_minutes = item.number("slot_minutes")?;
                let opening_hours = opening_hours_of(item)?;
                let grid_origin = match item.opt_number::<u16>("grid_origin")? {
                    Some(minutes) => LocalTime::from_minutes(minutes)
                        .filter(|t| u32::from(t.minutes()) < slot_minutes)
                        .ok_or_else(|| {
                            item.error("grid_origin", "is not within one slot of midnight")
                        })?,
                    // Written before grids were stored: the grid creation would have chosen.
                    None => SlotRules::grid_origin_of(&opening_hours, slot_minutes),
                };
                Schedule::Slots(SlotRules {
                    slot_minutes,
                    grid_origin,
                    durations: match item.0.get("durations") {
                        Some(AttributeValue::L(list)) => {
                            list.iter()
                                .map(|v| {
                                    v.as_n().ok().and_then(|n| n.parse().ok()).ok_or_else(|| {
                                        item.error("durations", "holds a non-number")
                                    })
                                })
                                .collect::<Result<_, _>>()?
                        }
                        _ => return Err(item.error("durations", "is not a list")),
                    },
                    opening_hours,
                })
            }
            "nights" => Schedule::Nights(NightRules {
                check_in_time: time("check_in_time")?,
                check_out_time: time("check_out_time")?,
                min_nights: item.number("min_nights")?,
                max_nights: item.number("max_nights")?,
            }),
            _ => return Err(item.error("kind", "is neither slots nor nights")),
        };
        Ok(Resource {
            resource_id: item.string("resource_id")?.to_string(),
            venue_id: item.string("venue_id")?.to_string(),
            name: item.string("name")?.to_string(),
            schedule,
            capacity: item.number("capacity")?,
            unit_price: item.money("unit_price", "currency")?,
            hold_minutes: item.number("hold_minutes")?,
            active: item.boolean("active")?,
            created_at: item.parsed("created_at")?,
        })
    }
}

/// The held-bookings shard a booking's expiry is filed under.
pub(crate) fn held_shard(booking_id: &str) -> u32 {
    // FNV-1a: stable across processes, unlike the std hasher.
    let hash = booking_id.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % HELD_SHARDS
}

/// The local date a booking is listed under in its venue's day partitions.
pub(crate) fn local_day(booking: &Booking) -> String {
    match booking.period {
        Period::Nights { check_in, .. } => check_in.to_string(),
        Period::Slots { start, .. } => match jiff::tz::TimeZone::get(&booking.time_zone) {
            Ok(tz) => start.to_zoned(tz).date().to_string(),
            Err(_) => start.to_zoned(jiff::tz::TimeZone::UTC).date().to_string(),
        },
    }
}

impl From<&Booking> for Item {
    fn from(booking: &Booking) -> Item {
        let mut item = Item::keyed(keys::booking(&booking.booking_id));
        item.put("type", s("booking"));
        item.put("gsi1pk", s(keys::owner(&booking.owner)));
        // Milliseconds, so that "newest first" holds within a second too.
        let created = booking.created_at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ");
        item.put("gsi1sk", s(format!("{created}#{}", booking.booking_id)));
        item.put(
            "gsi2pk",
            s(keys::venue_day(&booking.venue_id, &local_day(booking))),
        );
        item.put(
            "gsi2sk",
            s(format!(
                "{}#{}",
                format_utc(booking.start),
                booking.booking_id
            )),
        );
        if booking.status == BookingStatus::Held {
            if let Some(at) = booking.hold_expires_at {
                item.put(
                    "gsi3pk",
                    s(format!("HELD#{}", held_shard(&booking.booking_id))),
                );
                item.put(
                    "gsi3sk",
                    s(format!("{}#{}", format_utc(at), booking.booking_id)),
                );
            }
        }
        if let (BookingStatus::Confirmed, Some(at)) = (booking.status, booking.remind_at) {
            item.put(
                "gsi4pk",
                s(keys::reminders(held_shard(&booking.booking_id))),
            );
            item.put(
                "gsi4sk",
                s(format!("{}#{}", format_utc(at), booking.booking_id)),
            );
        }
        item.put_opt("remind_at", booking.remind_at.map(|t| s(format_utc(t))));
        item.put("booking_id", s(&booking.booking_id));
        item.put("resource_id", s(&booking.resource_id));
        item.put("venue_id", s(&booking.venue_id));
        item.put("owner", s(&booking.owner));
        item.put("status", s(booking.status.as_str()));
        item.put("start", s(format_utc(booking.start)));
        item.put("end", s(format_utc(booking.end)));
        if let Period::Nights {
            check_in,
            check_out,
        } = booking.period
        {
            item.put("check_in", s(check_in.to_string()));
            item.put("check_out", s(check_out.to_string()));
        }
        item.put(
            "units",
            AttributeValue::L(booking.units.iter().map(|u| s(u.key())).collect()),
        );
        item.put("claim", s(booking.claim.as_str()));
        item.put("price", n(booking.price.amount));
        item.put("currency", s(booking.price.currency.as_str()));
        item.put_opt(
            "hold_expires_at",
            booking.hold_expires_at.map(|t| s(format_utc(t))),
        );
        if let Some(payment) = &booking.payment {
            put_payment(&mut item, booking, payment);
        }
        item.put("customer_name", s(&booking.customer.name));
        item.put("customer_email", s(&booking.customer.email));
        item.put_opt("customer_phone", booking.customer.phone.as_ref().map(s));
        item.put("time_zone", s(&booking.time_zone));
        if !booking.calendar_conflicts.is_empty() {
            item.put(
                "calendar_conflicts",
                AttributeValue::L(
                    booking
                        .calendar_conflicts
                        .iter()
                        .map(calendar_conflict_item)
                        .collect(),
                ),
            );
        }
        item.put("created_at", s(format_utc(booking.created_at)));
        item.put("updated_at", s(format_utc(booking.updated_at)));
        item
    }
}

/// A booking's payment: what the provider holds, what was paid, refunds decided, asked and
/// made. A refund still to ask for puts the booking on the refunds-owed list (`gsi4`, which a
/// booking owing a refund never uses for a reminder: it is not confirmed).
fn put_payment(item: &mut Item, booking: &Booking, payment: &Payment) {
    item.put("payment_provider", s(payment.provider.as_str()));
    item.put("payment_status", s(payment.status().as_str()));
    match &payment.checkout {
        Some(Checkout::Stripe {
            payment_intent_id,
            client_secret,
        }) => {
            item.put("checkout_id", s(payment_intent_id));
            item.put("checkout_secret", s(client_secret));
        }
        Some(Checkout::MercadoPago {
            preference_id,
            checkout_url,
        }) => {
            item.put("checkout_id", s(preference_id));
            item.put("checkout_url", s(checkout_url));
        }
        None => {}
    }
    if let Some(paid) = &payment.paid {
        item.put("paid_id", s(&paid.payment_id));
        item.put("paid_amount", n(paid.amount.amount));
        item.put("paid_currency", s(paid.amount.currency.as_str()));
        item.put("paid_at", s(format_utc(paid.at)));
    }
    if payment.failed {
        item.put("payment_failed", AttributeValue::Bool(true));
    }
    item.put("refund_due", n(payment.refund_due));
    item.put("refund_requested", n(payment.refund_requested));
    item.put("refunded", n(payment.refunded));
    item.put_opt("refund_percent", payment.refund_percent.map(n));
    if payment.refund_to_request(&booking.booking_id).is_some() {
        item.put(
            "gsi4pk",
            s(keys::refunds_owed(held_shard(&booking.booking_id))),
        );
        item.put(
            "gsi4sk",
            s(format!(
                "{}#{}",
                format_utc(booking.updated_at),
                booking.booking_id
            )),
        );
    }
}

pub(crate) fn calendar_conflict_item(conflict: &BookingCalendarConflict) -> AttributeValue {
    AttributeValue::M(HashMap::from([
        ("calendar_id".to_string(), s(&conflict.calendar_id)),
        ("name".to_string(), s(&conflict.name)),
        ("start".to_string(), s(format_utc(conflict.start))),
        ("end".to_string(), s(format_utc(conflict.end))),
    ]))
}

fn read_calendar_conflicts(item: &Item) -> Result<Vec<BookingCalendarConflict>, ItemError> {
    let Some(AttributeValue::L(values)) = item.0.get("calendar_conflicts") else {
        return Ok(Vec::new());
    };
    values
        .iter()
        .map(|value| {
            let map = value
                .as_m()
                .map_err(|_| item.error("calendar_conflicts", "holds a non-map"))?;
            let text = |name: &str| {
                map.get(name)
                    .and_then(|v| v.as_s().ok())
                    .ok_or_else(|| item.error("calendar_conflicts", "holds an incomplete conflict"))
            };
            let instant = |name: &str| {
                text(name)?
                    .parse::<Timestamp>()
                    .map_err(|_| item.error("calendar_conflicts", "holds an unreadable instant"))
            };
            Ok(BookingCalendarConflict {
                calendar_id: text("calendar_id")?.to_string(),
                name: text("name")?.to_string(),
                start: instant("start")?,
                end: instant("end")?,
            })
        })
        .collect()
}

fn read_payment(item: &Item, provider: &str, price: Money) -> Result<Payment, ItemError> {
    let provider = PaymentProvider::parse(provider)
        .ok_or_else(|| item.error("payment_provider", "is unknown"))?;
    let mut payment = Payment::pending(provider, price);
    if let Some(id) = item.opt_string("checkout_id")? {
        payment.checkout = match (
            provider,
            item.opt_string("checkout_secret")?,
            item.opt_string("checkout_url")?,
        ) {
            (PaymentProvider::Stripe, Some(secret), _) => Some(Checkout::Stripe {
                payment_intent_id: id.to_string(),
                client_secret: secret.to_string(),
            }),
            (PaymentProvider::MercadoPago, _, Some(url)) => Some(Checkout::MercadoPago {
                preference_id: id.to_string(),
                checkout_url: url.to_string(),
            }),
            _ => return Err(item.error("checkout_id", "has no secret or url of its provider")),
        };
    }
    if let Some(id) = item.opt_string("paid_id")? {
        payment.paid = Some(Paid {
            payment_id: id.to_string(),
            amount: item.money("paid_amount", "paid_currency")?,
            at: item.parsed("paid_at")?,
        });
    }
    payment.failed = item.opt_bool("payment_failed")?.unwrap_or(false);
    payment.refund_due = item.opt_number("refund_due")?.unwrap_or(0);
    payment.refund_requested = item.opt_number("refund_requested")?.unwrap_or(0);
    payment.refunded = item.opt_number("refunded")?.unwrap_or(0);
    payment.refund_percent = item.opt_number("refund_percent")?;
    Ok(payment)
}

impl TryFrom<&Item> for Booking {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<Booking, ItemError> {
        let start: Timestamp = item.parsed("start")?;
        let end: Timestamp = item.parsed("end")?;
        let period = match (
            item.opt_parsed::<Date>("check_in")?,
            item.opt_parsed::<Date>("check_out")?,
        ) {
            (Some(check_in), Some(check_out)) => Period::Nights {
                check_in,
                check_out,
            },
            _ => Period::Slots { start, end },
        };
        let units = item
            .strings("units")?
            .into_iter()
            .map(|k| {
                Unit::from_key(k).ok_or_else(|| item.error("units", "holds an unreadable unit"))
            })
            .collect::<Result<_, _>>()?;
        let price = item.money("price", "currency")?;
        let payment = match item.opt_string("payment_provider")? {
            None => None,
            Some(provider) => Some(read_payment(item, provider, price)?),
        };
        Ok(Booking {
            booking_id: item.string("booking_id")?.to_string(),
            resource_id: item.string("resource_id")?.to_string(),
            venue_id: item.string("venue_id")?.to_string(),
            owner: item.string("owner")?.to_string(),
            status: BookingStatus::parse(item.string("status")?)
                .ok_or_else(|| item.error("status", "is unknown"))?,
            period,
            start,
            end,
            units,
            claim: Claim::parse(item.string("claim")?)
                .ok_or_else(|| item.error("claim", "is neither whole nor place"))?,
            price,
            hold_expires_at: item.opt_parsed("hold_expires_at")?,
            // A reminder taken off the due list is due no more.
            remind_at: match item.opt_string("reminder_settled_at")? {
                Some(_) => None,
                None => item.opt_parsed("remind_at")?,
            },
            payment,
            customer: Customer {
                name: item.string("customer_name")?.to_string(),
                email: item.string("customer_email")?.to_string(),
                phone: item.opt_string("customer_phone")?.map(str::to_string),
            },
            time_zone: item.string("time_zone")?.to_string(),
            calendar_conflicts: read_calendar_conflicts(item)?,
            created_at: item.parsed("created_at")?,
            updated_at: item.parsed("updated_at")?,
        })
    }
}

#[cfg(test)]
mod tests;
