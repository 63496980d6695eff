//! Items of the one table and their conversions to and from the domain's types, both ways.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use holdfast_domain::{
    Booking, BookingCalendarConflict, BookingStatus, CancellationPolicy, Checkout, Claim, Currency,
    Customer, FieldErrors, Language, LocalTime, Money, NightRules, OpeningHours, OpeningHoursDraft,
    Paid, Payment, PaymentProvider, Period, RefundRule, Resource, Schedule, SlotRules, Venue,
    VenueSettings, Zone,
};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::keys::{self, attr, kind};

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
        item.put(attr::PK, s(pk));
        item.put(attr::SK, s(sk));
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
        let key = [self.0.get(attr::PK), self.0.get(attr::SK)]
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

/// The local date a booking is listed under in its venue's day partitions.
pub(crate) fn local_day(booking: &Booking) -> String {
    match booking.period {
        Period::Nights { check_in, .. } => check_in.to_string(),
        Period::Slots { start, .. } => start
            .to_zoned(booking.time_zone.tz().clone())
            .date()
            .to_string(),
    }
}

impl From<&Booking> for Item {
    fn from(booking: &Booking) -> Item {
        let mut item = Item::keyed(keys::booking(&booking.booking_id));
        item.put(attr::TYPE, s(kind::BOOKING));
        item.put(attr::GSI1PK, s(keys::owner(&booking.owner)));
        // Milliseconds, so that "newest first" holds within a second too.
        let created = booking.created_at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ");
        item.put(attr::GSI1SK, s(format!("{created}#{}", booking.booking_id)));
        item.put(
            attr::GSI2PK,
            s(keys::venue_day(&booking.venue_id, &local_day(booking))),
        );
        item.put(
            attr::GSI2SK,
            s(format!(
                "{}#{}",
                keys::instant(booking.start),
                booking.booking_id
            )),
        );
        if booking.status == BookingStatus::Held {
            if let Some(at) = booking.hold_expires_at {
                item.put(
                    attr::GSI3PK,
                    s(keys::held(keys::held_shard(&booking.booking_id))),
                );
                item.put(
                    attr::GSI3SK,
                    s(format!("{}#{}", keys::instant(at), booking.booking_id)),
                );
            }
        }
        if let (BookingStatus::Confirmed, Some(at)) = (booking.status, booking.remind_at) {
            item.put(
                attr::GSI4PK,
                s(keys::reminders(keys::held_shard(&booking.booking_id))),
            );
            item.put(
                attr::GSI4SK,
                s(format!("{}#{}", keys::instant(at), booking.booking_id)),
            );
        }
        item.put_opt(
            attr::REMIND_AT,
            booking.remind_at.map(|t| s(keys::instant(t))),
        );
        item.put(attr::BOOKING_ID, s(&booking.booking_id));
        item.put(attr::RESOURCE_ID, s(&booking.resource_id));
        item.put(attr::VENUE_ID, s(&booking.venue_id));
        item.put(attr::OWNER, s(&booking.owner));
        item.put(attr::STATUS, s(booking.status.as_str()));
        item.put(attr::START, s(keys::instant(booking.start)));
        item.put(attr::END, s(keys::instant(booking.end)));
        if let Period::Nights {
            check_in,
            check_out,
        } = booking.period
        {
            item.put(attr::CHECK_IN, s(check_in.to_string()));
            item.put(attr::CHECK_OUT, s(check_out.to_string()));
        }
        item.put(
            attr::UNITS,
            AttributeValue::L(booking.units.iter().map(|u| s(keys::unit(u))).collect()),
        );
        item.put(attr::CLAIM, s(booking.claim.as_str()));
        item.put(attr::PRICE, n(booking.price.amount));
        item.put(attr::CURRENCY, s(booking.price.currency.as_str()));
        item.put_opt(
            attr::HOLD_EXPIRES_AT,
            booking.hold_expires_at.map(|t| s(keys::instant(t))),
        );
        if let Some(payment) = &booking.payment {
            put_payment(&mut item, booking, payment);
        }
        item.put(attr::CUSTOMER_NAME, s(&booking.customer.name));
        item.put(attr::CUSTOMER_EMAIL, s(&booking.customer.email));
        item.put_opt(attr::CUSTOMER_PHONE, booking.customer.phone.as_ref().map(s));
        item.put(attr::TIME_ZONE, s(booking.time_zone.name()));
        if !booking.calendar_conflicts.is_empty() {
            item.put(
                attr::CALENDAR_CONFLICTS,
                AttributeValue::L(
                    booking
                        .calendar_conflicts
                        .iter()
                        .map(calendar_conflict_item)
                        .collect(),
                ),
            );
        }
        item.put(attr::CREATED_AT, s(keys::instant(booking.created_at)));
        item.put(attr::UPDATED_AT, s(keys::instant(booking.updated_at)));
        item
    }
}

/// A booking's payment: what the provider holds, what was paid, refunds decided, asked and
/// made. A refund still to ask for puts the booking on the refunds-owed list (`gsi4`, which a
/// booking owing a refund never uses for a reminder: it is not confirmed).
fn put_payment(item: &mut Item, booking: &Booking, payment: &Payment) {
    item.put(attr::PAYMENT_PROVIDER, s(payment.provider.as_str()));
    item.put(attr::PAYMENT_STATUS, s(payment.status().as_str()));
    match &payment.checkout {
        Some(Checkout::Stripe {
            payment_intent_id,
            client_secret,
        }) => {
            item.put(attr::CHECKOUT_ID, s(payment_intent_id));
            item.put(attr::CHECKOUT_SECRET, s(client_secret));
        }
        Some(Checkout::MercadoPago {
            preference_id,
            checkout_url,
        }) => {
            item.put(attr::CHECKOUT_ID, s(preference_id));
            item.put(attr::CHECKOUT_URL, s(checkout_url));
        }
        None => {}
    }
    if let Some(paid) = &payment.paid {
        item.put(attr::PAID_ID, s(&paid.payment_id));
        item.put(attr::PAID_AMOUNT, n(paid.amount.amount));
        item.put(attr::PAID_CURRENCY, s(paid.amount.currency.as_str()));
        item.put(attr::PAID_AT, s(keys::instant(paid.at)));
    }
    if payment.failed {
        item.put(attr::PAYMENT_FAILED, AttributeValue::Bool(true));
    }
    item.put(attr::REFUND_DUE, n(payment.refund_due));
    item.put(attr::REFUND_REQUESTED, n(payment.refund_requested));
    item.put(attr::REFUNDED, n(payment.refunded));
    item.put_opt(attr::REFUND_PERCENT, payment.refund_percent.map(n));
    if payment.refund_to_request(&booking.booking_id).is_some() {
        item.put(
            attr::GSI4PK,
            s(keys::refunds_owed(keys::held_shard(&booking.booking_id))),
        );
        item.put(
            attr::GSI4SK,
            s(format!(
                "{}#{}",
                keys::instant(booking.updated_at),
                booking.booking_id
            )),
        );
    }
}

pub(crate) fn calendar_conflict_item(conflict: &BookingCalendarConflict) -> AttributeValue {
    AttributeValue::M(HashMap::from([
        (attr::CALENDAR_ID.to_string(), s(&conflict.calendar_id)),
        (attr::NAME.to_string(), s(&conflict.name)),
        (attr::START.to_string(), s(keys::instant(conflict.start))),
        (attr::END.to_string(), s(keys::instant(conflict.end))),
    ]))
}

fn read_calendar_conflicts(item: &Item) -> Result<Vec<BookingCalendarConflict>, ItemError> {
    let Some(AttributeValue::L(values)) = item.0.get(attr::CALENDAR_CONFLICTS) else {
        return Ok(Vec::new());
    };
    values
        .iter()
        .map(|value| {
            let map = value
                .as_m()
                .map_err(|_| item.error(attr::CALENDAR_CONFLICTS, "holds a non-map"))?;
            let text = |name: &str| {
                map.get(name).and_then(|v| v.as_s().ok()).ok_or_else(|| {
                    item.error(attr::CALENDAR_CONFLICTS, "holds an incomplete conflict")
                })
            };
            let instant = |name: &str| {
                text(name)?.parse::<Timestamp>().map_err(|_| {
                    item.error(attr::CALENDAR_CONFLICTS, "holds an unreadable instant")
                })
            };
            Ok(BookingCalendarConflict {
                calendar_id: text(attr::CALENDAR_ID)?.into(),
                name: text(attr::NAME)?.to_string(),
                start: instant(attr::START)?,
                end: instant(attr::END)?,
            })
        })
        .collect()
}

fn read_payment(item: &Item, provider: &str, price: Money) -> Result<Payment, ItemError> {
    let provider = PaymentProvider::parse(provider)
        .ok_or_else(|| item.error(attr::PAYMENT_PROVIDER, "is unknown"))?;
    let mut payment = Payment::pending(provider, price);
    if let Some(id) = item.opt_string(attr::CHECKOUT_ID)? {
        payment.checkout = match (
            provider,
            item.opt_string(attr::CHECKOUT_SECRET)?,
            item.opt_string(attr::CHECKOUT_URL)?,
        ) {
            (PaymentProvider::Stripe, Some(secret), _) => Some(Checkout::Stripe {
                payment_intent_id: id.to_string(),
                client_secret: secret.to_string(),
            }),
            (PaymentProvider::MercadoPago, _, Some(url)) => Some(Checkout::MercadoPago {
                preference_id: id.to_string(),
                checkout_url: url.to_string(),
            }),
            _ => return Err(item.error(attr::CHECKOUT_ID, "has no secret or url of its provider")),
        };
    }
    if let Some(id) = item.opt_string(attr::PAID_ID)? {
        payment.paid = Some(Paid {
            payment_id: id.to_string(),
            amount: item.money(attr::PAID_AMOUNT, attr::PAID_CURRENCY)?,
            at: item.parsed(attr::PAID_AT)?,
        });
    }
    payment.failed = item.opt_bool(attr::PAYMENT_FAILED)?.unwrap_or(false);
    payment.refund_due = item.opt_number(attr::REFUND_DUE)?.unwrap_or(0);
    payment.refund_requested = item.opt_number(attr::REFUND_REQUESTED)?.unwrap_or(0);
    payment.refunded = item.opt_number(attr::REFUNDED)?.unwrap_or(0);
    payment.refund_percent = item.opt_number(attr::REFUND_PERCENT)?;
    Ok(payment)
}

impl TryFrom<&Item> for Booking {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<Booking, ItemError> {
        let start: Timestamp = item.parsed(attr::START)?;
        let end: Timestamp = item.parsed(attr::END)?;
        let period = match (
            item.opt_parsed::<Date>(attr::CHECK_IN)?,
            item.opt_parsed::<Date>(attr::CHECK_OUT)?,
        ) {
            (Some(check_in), Some(check_out)) => Period::Nights {
                check_in,
                check_out,
            },
            _ => Period::Slots { start, end },
        };
        let units = item
            .strings(attr::UNITS)?
            .into_iter()
            .map(|k| {
                keys::unit_from(k)
                    .ok_or_else(|| item.error(attr::UNITS, "holds an unreadable unit"))
            })
            .collect::<Result<_, _>>()?;
        let price = item.money(attr::PRICE, attr::CURRENCY)?;
        let payment = match item.opt_string(attr::PAYMENT_PROVIDER)? {
            None => None,
            Some(provider) => Some(read_payment(item, provider, price)?),
        };
        Ok(Booking {
            booking_id: item.string(attr::BOOKING_ID)?.into(),
            resource_id: item.string(attr::RESOURCE_ID)?.into(),
            venue_id: item.string(attr::VENUE_ID)?.into(),
            owner: item.string(attr::OWNER)?.to_string(),
            status: BookingStatus::parse(item.string(attr::STATUS)?)
                .ok_or_else(|| item.error(attr::STATUS, "is unknown"))?,
            period,
            start,
            end,
            units,
            claim: Claim::parse(item.string(attr::CLAIM)?)
                .ok_or_else(|| item.error(attr::CLAIM, "is neither whole nor place"))?,
            price,
            hold_expires_at: item.opt_parsed(attr::HOLD_EXPIRES_AT)?,
            // A reminder taken off the due list is due no more.
            remind_at: match item.opt_string(attr::REMINDER_SETTLED_AT)? {
                Some(_) => None,
                None => item.opt_parsed(attr::REMIND_AT)?,
            },
            payment,
            customer: Customer {
                name: item.string(attr::CUSTOMER_NAME)?.to_string(),
                email: item.string(attr::CUSTOMER_EMAIL)?.to_string(),
                phone: item.opt_string(attr::CUSTOMER_PHONE)?.map(str::to_string),
            },
            time_zone: Zone::parse(item.string(attr::TIME_ZONE)?)
                .ok_or_else(|| item.error(attr::TIME_ZONE, "is not a zone of the tz database"))?,
            calendar_conflicts: read_calendar_conflicts(item)?,
            created_at: item.parsed(attr::CREATED_AT)?,
            updated_at: item.parsed(attr::UPDATED_AT)?,
        })
    }
}

#[cfg(test)]
mod tests;
