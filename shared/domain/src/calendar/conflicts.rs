//! A feed's clashes with our bookings: its events over units a booking holds, those that are
//! not echoes of the booking, and what each booking lists of them after a sync.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::holding::UnitHolders;
use super::{Calendar, CalendarConflict, ImportedBlock, UnitsByDay, is_echo};
use crate::{Booking, BookingCalendarConflict, BookingId, Resource};

/// The feed's events over units bookings hold, each with those bookings once: every event over
/// a booking's unit counts, not only the first that covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsOverBookings<'a> {
    events: Vec<(&'a ImportedBlock, Vec<&'a str>)>,
}

impl<'a> EventsOverBookings<'a> {
    /// Only units before `until` count, as when the feed's blocks were worked out.
    pub fn new(
        resource: &Resource,
        zone: &TimeZone,
        blocks: &'a [ImportedBlock],
        holders: &'a UnitHolders,
        until: Timestamp,
    ) -> EventsOverBookings<'a> {
        let mut events = Vec::new();
        if holders.is_empty() {
            // Nothing held by another: a feed's thousands of events need not be worked out again.
            return EventsOverBookings { events };
        }
        let mut units = UnitsByDay::new(resource, zone);
        for block in blocks {
            let over: BTreeSet<&str> = units
                .blocked_by(&block.span, until)
                .iter()
                .filter_map(|unit| holders.holders().get(unit))
                .flatten()
                .map(String::as_str)
                .collect();
            if !over.is_empty() {
                events.push((block, over.into_iter().collect()));
            }
        }
        EventsOverBookings { events }
    }

    /// The bookings to read to tell echoes from clashes, each once.
    pub fn booking_ids(&self) -> BTreeSet<&'a str> {
        self.events
            .iter()
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect()
    }

    /// One clash per event and booking, but for an event that echoes the booking. A booking
    /// missing from `bookings` is gone, and clashes with nothing.
    pub fn conflicts(
        &self,
        bookings: &BTreeMap<String, Booking>,
        zone: &TimeZone,
    ) -> Vec<CalendarConflict> {
        let mut conflicts = Vec::new();
        for (block, booking_ids) in &self.events {
            for booking_id in booking_ids {
                let Some(booking) = bookings.get(*booking_id) else {
                    continue;
                };
                if is_echo(block, booking, zone) {
                    continue;
                }
                let (start, end) = block.span.instants(zone);
                conflicts.push(CalendarConflict {
                    uid: block.uid.clone(),
                    start,
                    end,
                    booking_id: BookingId::new(*booking_id),
                });
            }
        }
        conflicts
    }
}

/// What one booking lists of a calendar's clashes after its sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingConflicts {
    pub booking_id: BookingId,
    /// Empty when the calendar clashed with the booking before and no longer does: the
    /// booking's list from it is cleared.
    pub conflicts: Vec<BookingCalendarConflict>,
    /// The calendar shows a clash over the booking it did not show before: staff hear of a
    /// clash once, when it first shows.
    pub first_shown: bool,
}

impl Calendar {
    /// Both sides list a clash: each booking this calendar clashed with before its sync
    /// (`self.conflicts`) or does now (`conflicts`) hears what the calendar says of it now.
    pub fn booking_conflicts(&self, conflicts: &[CalendarConflict]) -> Vec<BookingConflicts> {
        let told_before: BTreeSet<&str> = self
            .conflicts
            .iter()
            .map(|c| c.booking_id.as_str())
            .collect();
        let mut by_booking: BTreeMap<&str, Vec<BookingCalendarConflict>> = told_before
            .iter()
            .map(|booking_id| (*booking_id, Vec::new()))
            .collect();
        for conflict in conflicts {
            by_booking
                .entry(conflict.booking_id.as_str())
                .or_default()
                .push(BookingCalendarConflict {
                    calendar_id: self.calendar_id.clone(),
                    name: self.name.clone(),
                    start: conflict.start,
                    end: conflict.end,
                });
        }
        by_booking
            .into_iter()
            .map(|(booking_id, listed)| BookingConflicts {
                booking_id: BookingId::from(booking_id),
                first_shown: !listed.is_empty() && !told_before.contains(booking_id),
                conflicts: listed,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Unit;
    use crate::calendar::BlockSpan;
    use crate::calendar::fixtures::{at, booking, cabin, court, madrid};

    /// An event of 2030-01-07 (a Monday) between two UTC times of day.
    fn event(uid: &str, summary: &str, start: &str, end: &str) -> ImportedBlock {
        let on_the_day = |time| at(&format!("2030-01-07T{time}:00Z"));
        ImportedBlock {
            uid: uid.into(),
            summary: Some(summary.into()),
            span: BlockSpan::Instants {
                start: on_the_day(start),
                end: on_the_day(end),
            },
        }
    }

    fn slot(raw: &str) -> Unit {
        Unit::Slot(at(raw))
    }

    fn until() -> Timestamp {
        at("2031-01-01T00:00:00Z")
    }

    /// 2030-01-07 is a Monday: 09:00 to 10:00 in Madrid is booked, 10:00 to 10:30 another
    /// calendar's.
    fn holders() -> UnitHolders {
        UnitHolders::new(
            &court(),
            vec![
                (slot("2030-01-07T08:00:00Z"), Some("bkg_1".into())),
                (slot("2030-01-07T08:30:00Z"), Some("bkg_1".into())),
                (slot("2030-01-07T09:00:00Z"), None),
            ],
        )
    }

    fn bkg_1() -> Booking {
        booking(
            "bkg_1",
            &court(),
            vec![slot("2030-01-07T08:00:00Z"), slot("2030-01-07T08:30:00Z")],
            (at("2030-01-07T08:00:00Z"), at("2030-01-07T09:00:00Z")),
        )
    }

    #[test]
    fn every_event_over_a_booking_clashes_with_it_once_but_its_echo() {
        let (court, zone, holders) = (court(), madrid(), holders());
        let blocks = [
            event("wide", "Reserved", "07:00", "10:00"),
            event("echo", "Not available", "08:00", "09:00"),
            event("late", "Reserved", "08:30", "09:00"),
            event("other", "Reserved", "09:00", "09:30"),
            event("free", "Reserved", "12:00", "13:00"),
        ];
        let over = EventsOverBookings::new(&court, &zone, &blocks, &holders, until());
        assert_eq!(over.booking_ids(), BTreeSet::from(["bkg_1"]));
        let bookings = BTreeMap::from([("bkg_1".to_string(), bkg_1())]);
        let conflicts = over.conflicts(&bookings, &zone);
        let uids: Vec<&str> = conflicts.iter().map(|c| c.uid.as_str()).collect();
        assert_eq!(
            uids,
            ["wide", "late"],
            "the echo and the events over no booking go"
        );
        assert_eq!(
            conflicts[0],
            CalendarConflict {
                uid: "wide".into(),
                start: at("2030-01-07T07:00:00Z"),
                end: at("2030-01-07T10:00:00Z"),
                booking_id: "bkg_1".into(),
            },
            "one clash for the event, though it covers two of the booking's units"
        );
        assert!(
            over.conflicts(&BTreeMap::new(), &zone).is_empty(),
            "a booking gone clashes with nothing"
        );
    }

    #[test]
    fn an_event_past_the_horizon_or_with_nothing_held_over_nothing() {
        let (court, zone, holders) = (court(), madrid(), holders());
        let blocks = [event("wide", "Reserved", "07:00", "10:00")];
        let soon = at("2030-01-01T00:00:00Z");
        let past = EventsOverBookings::new(&court, &zone, &blocks, &holders, soon);
        assert!(past.booking_ids().is_empty());
        let none = UnitHolders::new(&court, Vec::new());
        let free = EventsOverBookings::new(&court, &zone, &blocks, &none, until());
        assert!(free.conflicts(&BTreeMap::new(), &zone).is_empty());
        assert!(free.booking_ids().is_empty());
    }

    fn clash(booking_id: &str, start: &str) -> CalendarConflict {
        CalendarConflict {
            uid: format!("{booking_id}-{start}"),
            start: at(start),
            end: at("2030-07-10T00:00:00Z"),
            booking_id: booking_id.into(),
        }
    }

    #[test]
    fn each_booking_hears_what_the_calendar_says_of_it_now_and_staff_hear_once() {
        let mut calendar = Calendar::new(
            "cal_1".into(),
            &cabin(),
            ("Airbnb".into(), "https://example.com/a.ics".into()),
            at("2030-01-01T00:00:00Z"),
        );
        calendar.conflicts = vec![
            clash("bkg_still", "2030-07-01T00:00:00Z"),
            clash("bkg_gone", "2030-07-02T00:00:00Z"),
        ];
        let now = [
            clash("bkg_still", "2030-07-03T00:00:00Z"),
            clash("bkg_new", "2030-07-04T00:00:00Z"),
            clash("bkg_new", "2030-07-05T00:00:00Z"),
        ];
        let listed = calendar.booking_conflicts(&now);
        let shown: Vec<(&str, usize, bool)> = listed
            .iter()
            .map(|b| (b.booking_id.as_str(), b.conflicts.len(), b.first_shown))
            .collect();
        assert_eq!(
            shown,
            [
                ("bkg_gone", 0, false),
                ("bkg_new", 2, true),
                ("bkg_still", 1, false)
            ]
        );
        assert_eq!(
            listed[1].conflicts[0],
            BookingCalendarConflict {
                calendar_id: "cal_1".into(),
                name: "Airbnb".into(),
                start: at("2030-07-04T00:00:00Z"),
                end: at("2030-07-10T00:00:00Z"),
            }
        );
        calendar.conflicts = Vec::new();
        assert!(
            calendar.booking_conflicts(&[]).is_empty(),
            "nothing to tell"
        );
    }
}
