//! Bookings as items: their index keys (owner, venue-day, held, reminders, refunds owed),
//! payment and calendar conflicts.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use holdfast_domain::{
    Booking, BookingCalendarConflict, BookingStatus, Checkout, Claim, Customer, Money, Paid,
    Payment, PaymentProvider, Period, Zone,
};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::item::{Item, ItemError, n, s};
use crate::keys::{self, attr, kind};

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
mod tests {
    use holdfast_domain::{BookingDraft, NewBooking, Resource};

    use super::*;
    use crate::catalog::fixtures::{cabin, court, now};

    fn booking(resource: &Resource, draft: serde_json::Value) -> Booking {
        let draft: BookingDraft = serde_json::from_value(draft).unwrap();
        let request = draft.read(&resource.schedule).unwrap();
        let zone = jiff::tz::TimeZone::get("Europe/Madrid").unwrap();
        let plan = resource.plan(request.period, &zone, now()).unwrap();
        Booking::new(NewBooking {
            booking_id: "bkg_1".into(),
            owner: "user-1".into(),
            resource,
            time_zone: &holdfast_domain::Zone::parse("Europe/Madrid").unwrap(),
            request,
            plan,
            reminder_hours: 24,
            now: now(),
        })
    }

    #[test]
    fn a_held_slot_booking_round_trips_and_is_filed_for_expiry() {
        let booking = booking(
            &court(),
            serde_json::json!({
                "resource_id": "res_1", "start": "2026-12-01T10:00:00+01:00", "end": "2026-12-01T11:30:00+01:00",
                "customer": {"name": "Ana Ruiz", "email": "ana@example.com", "phone": "+34600000000"},
                "payment_provider": "stripe"
            }),
        );
        assert_eq!(booking.status, BookingStatus::Held);
        let item = Item::from(&booking);
        assert_eq!(item.string("gsi2pk").unwrap(), "VENUE#ven_1#DAY#2026-12-01");
        assert!(item.string("gsi3pk").unwrap().starts_with("HELD#"));
        assert_eq!(item.string("gsi3sk").unwrap(), "2026-11-22T10:20:00Z#bkg_1");
        assert_eq!(
            item.string("gsi1sk").unwrap(),
            "2026-11-22T10:00:00.000Z#bkg_1"
        );
        assert_eq!(Booking::try_from(&item).unwrap(), booking);
    }

    #[test]
    fn a_confirmed_stay_round_trips_and_is_not_filed_for_expiry() {
        let booking = booking(
            &cabin(),
            serde_json::json!({
                "resource_id": "res_1", "check_in": "2026-12-20", "check_out": "2026-12-23",
                "customer": {"name": "Ana Ruiz", "email": "ana@example.com"}, "payment_provider": "none"
            }),
        );
        let item = Item::from(&booking);
        assert!(!item.0.contains_key("gsi3pk"));
        assert!(!item.0.contains_key("customer_phone"));
        assert_eq!(item.string("gsi2pk").unwrap(), "VENUE#ven_1#DAY#2026-12-20");
        assert_eq!(Booking::try_from(&item).unwrap(), booking);
    }

    #[test]
    fn a_booking_keeps_how_it_holds_its_units() {
        let class = booking(
            &court(),
            serde_json::json!({
                "resource_id": "res_1", "start": "2026-12-01T10:00:00+01:00", "end": "2026-12-01T11:00:00+01:00",
                "customer": {"name": "Ana Ruiz", "email": "ana@example.com"}, "payment_provider": "none"
            }),
        );
        assert_eq!(class.claim, Claim::Place, "court() has four places");
        let stay = booking(
            &cabin(),
            serde_json::json!({
                "resource_id": "res_1", "check_in": "2026-12-20", "check_out": "2026-12-23",
                "customer": {"name": "Ana Ruiz", "email": "ana@example.com"}, "payment_provider": "none"
            }),
        );
        assert_eq!(stay.claim, Claim::Whole);
        let mut item = Item::from(&class);
        assert_eq!(item.string("claim").unwrap(), "place");
        item.0.remove("claim");
        assert_eq!(Booking::try_from(&item).unwrap_err().attribute, "claim");
    }
}
