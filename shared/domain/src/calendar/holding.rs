//! Who holds the units a feed blocks: how many of its events the calendar holds units for, and
//! which bookings hold the units it could not take.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::{Booking, Resource, Unit};

/// The feed's events holding units: each unit it blocks that the calendar holds counts its
/// event once, however many units the event blocks.
pub fn events_holding(desired: &BTreeMap<Unit, String>, held: &BTreeSet<Unit>) -> usize {
    desired
        .iter()
        .filter(|(unit, _)| held.contains(unit))
        .map(|(_, uid)| uid.as_str())
        .collect::<BTreeSet<_>>()
        .len()
}

/// The units a calendar could not take, each with the bookings that hold it (none: another
/// calendar's). A whole unit's lock names its booking; a class's counter names none, so its
/// bookings are found among those of the unit's day: [`UnitHolders::days_to_read`], then
/// [`UnitHolders::add_booking`] for each booking of those days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitHolders {
    resource_id: String,
    holders: BTreeMap<Unit, Vec<String>>,
    /// Class slots whose bookings only the day's bookings tell.
    counted: Vec<Unit>,
}

impl UnitHolders {
    /// `refused` as taking the calendar's units answered it: each unit another owner holds,
    /// with the booking its lock names.
    pub fn new(resource: &Resource, refused: Vec<(Unit, Option<String>)>) -> UnitHolders {
        let mut holders: BTreeMap<Unit, Vec<String>> = BTreeMap::new();
        let mut counted = Vec::new();
        for (unit, booking) in refused {
            let listed = holders.entry(unit).or_default();
            match (booking, unit) {
                (Some(booking), _) => listed.push(booking),
                (None, Unit::Slot(_)) if resource.capacity > 1 => counted.push(unit),
                (None, _) => {}
            }
        }
        UnitHolders {
            resource_id: resource.resource_id.to_string(),
            holders,
            counted,
        }
    }

    /// The local days whose bookings may hold a class slot here (a class booking lies inside
    /// one day's opening), each once and in order: none when every lock named its booking.
    pub fn days_to_read(&self, zone: &TimeZone) -> Vec<Date> {
        let days: BTreeSet<Date> = self
            .counted
            .iter()
            .filter_map(|unit| match unit {
                Unit::Slot(start) => Some(start.to_zoned(zone.clone()).date()),
                Unit::Night(_) => None,
            })
            .collect();
        days.into_iter().collect()
    }

    /// Counts `booking` as a holder of the class slots it takes, if it holds units of this
    /// resource: a cancelled or lapsed booking of the same day holds nothing.
    pub fn add_booking(&mut self, booking: &Booking) {
        if booking.resource_id != self.resource_id || !booking.status.holds_units() {
            return;
        }
        for unit in &self.counted {
            if booking.units.contains(unit) {
                self.holders
                    .entry(*unit)
                    .or_default()
                    .push(booking.booking_id.to_string());
            }
        }
    }

    /// Each unit another owner holds, with the bookings among its holders.
    pub fn holders(&self) -> &BTreeMap<Unit, Vec<String>> {
        &self.holders
    }

    /// How many units others hold.
    pub fn len(&self) -> usize {
        self.holders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.holders.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BookingStatus;
    use crate::calendar::fixtures::{at, booking, cabin, class, court, madrid};

    fn slot(raw: &str) -> Unit {
        Unit::Slot(at(raw))
    }

    #[test]
    fn an_event_counts_once_however_many_of_its_units_are_held() {
        let desired: BTreeMap<Unit, String> = [
            (slot("2030-01-07T08:00:00Z"), "a".to_string()),
            (slot("2030-01-07T08:30:00Z"), "a".to_string()),
            (slot("2030-01-07T09:00:00Z"), "b".to_string()),
            (slot("2030-01-07T09:30:00Z"), "c".to_string()),
        ]
        .into();
        let held: BTreeSet<Unit> = [
            slot("2030-01-07T08:00:00Z"),
            slot("2030-01-07T08:30:00Z"),
            slot("2030-01-07T09:00:00Z"),
            // Held, but not a unit the feed blocks any more.
            slot("2030-01-07T12:00:00Z"),
        ]
        .into();
        assert_eq!(events_holding(&desired, &held), 2, "a and b, not c");
        assert_eq!(events_holding(&desired, &BTreeSet::new()), 0);
    }

    #[test]
    fn a_locks_booking_holds_its_unit_and_a_unit_with_none_is_another_calendars() {
        let taken = slot("2030-01-07T09:00:00Z");
        let blocked = slot("2030-01-07T10:00:00Z");
        let holders = UnitHolders::new(
            &court(),
            vec![(taken, Some("bkg_1".into())), (blocked, None)],
        );
        assert_eq!(holders.len(), 2);
        assert!(!holders.is_empty());
        assert_eq!(holders.holders()[&taken], vec!["bkg_1".to_string()]);
        assert!(holders.holders()[&blocked].is_empty());
        assert!(
            holders.days_to_read(&madrid()).is_empty(),
            "a court's locks name their bookings: nothing to look up"
        );
        let night = Unit::Night(jiff::civil::date(2030, 7, 1));
        let cabin = UnitHolders::new(&cabin(), vec![(night, None)]);
        assert!(cabin.days_to_read(&madrid()).is_empty());
        assert!(cabin.holders()[&night].is_empty());
    }

    #[test]
    fn a_class_slot_is_held_by_the_bookings_of_its_day_that_take_it() {
        let class = class();
        let zone = madrid();
        // 23:30 UTC is already Tuesday in Madrid: its own day is read, not the UTC one.
        let (nine, late) = (slot("2030-01-07T08:00:00Z"), slot("2030-01-07T23:30:00Z"));
        let mut holders = UnitHolders::new(&class, vec![(nine, None), (late, None)]);
        assert_eq!(
            holders.days_to_read(&zone),
            vec![jiff::civil::date(2030, 1, 7), jiff::civil::date(2030, 1, 8)]
        );
        let span = (at("2030-01-07T08:00:00Z"), at("2030-01-07T09:00:00Z"));
        let next = slot("2030-01-07T08:30:00Z");
        holders.add_booking(&booking("bkg_in", &class, vec![nine, next], span));
        let mut cancelled = booking("bkg_cancelled", &class, vec![nine], span);
        cancelled.status = BookingStatus::Cancelled;
        holders.add_booking(&cancelled);
        holders.add_booking(&booking("bkg_court", &court(), vec![nine], span));
        assert_eq!(
            holders.holders()[&nine],
            vec!["bkg_in".to_string()],
            "neither a cancelled booking nor another resource's holds it"
        );
        assert!(holders.holders()[&late].is_empty(), "no booking found");
        assert!(!holders.holders().contains_key(&next), "never refused");
        assert_eq!(holders.len(), 2);
    }
}
