//! Notices: what a customer or the venue's staff must hear of a booking, or staff of their
//! venue's payment account or of an imported calendar. Each has an id fixed by what happened (a
//! booking is confirmed once, cancelled once; a failing account or calendar alerts once a
//! streak), so that however often a notice is delivered, each recipient is mailed once.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::ids::{BookingId, CalendarId, NoticeId, ResourceId, VenueId};
use crate::status::BookingStatus;

/// What happened that someone must hear of: to a booking, to a venue's payment account
/// (`AccountFailing`) or to an imported calendar (`CalendarFailing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Booked (paid at the desk, or paid online): the customer's confirmation, staff's alert.
    Confirmed,
    Cancelled,
    /// A hold lapsed unpaid.
    Expired,
    /// The booking starts in `reminder_hours`.
    Reminder,
    /// Paid after the hold lapsed and the units were taken: refunded in full.
    PaymentConflict,
    /// Refunded in full from the provider's side: the units are freed.
    Refunded,
    /// A payment of another amount or currency than the price: it confirms nothing and is
    /// refunded; staff must know.
    PaymentMismatch,
    /// The venue's Mercado Pago tokens failed to refresh [`crate::oauth::ALERT_AFTER`] times in
    /// a row: an admin must connect the account again before they expire. About a venue.
    AccountFailing,
    /// An imported calendar has an event over this booking that is not an echo of it: the
    /// booking keeps its units, and staff must sort it out with the platform.
    CalendarConflict,
    /// An imported calendar failed to sync [`crate::calendar::ALERT_AFTER_FAILURES`] times in
    /// a row: what it blocked still holds, but new stays on the platform are not seen. About a
    /// calendar.
    CalendarFailing,
}

/// What notices of a kind are about, and so what their mail is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Booking,
    Venue,
    Calendar,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 10] = [
        NoticeKind::Confirmed,
        NoticeKind::Cancelled,
        NoticeKind::Expired,
        NoticeKind::Reminder,
        NoticeKind::PaymentConflict,
        NoticeKind::Refunded,
        NoticeKind::PaymentMismatch,
        NoticeKind::AccountFailing,
        NoticeKind::CalendarConflict,
        NoticeKind::CalendarFailing,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            NoticeKind::Confirmed => "confirmed",
            NoticeKind::Cancelled => "cancelled",
            NoticeKind::Expired => "expired",
            NoticeKind::Reminder => "reminder",
            NoticeKind::PaymentConflict => "payment_conflict",
            NoticeKind::Refunded => "refunded",
            NoticeKind::PaymentMismatch => "payment_mismatch",
            NoticeKind::AccountFailing => "account_failing",
            NoticeKind::CalendarConflict => "calendar_conflict",
            NoticeKind::CalendarFailing => "calendar_failing",
        }
    }

    pub fn parse(raw: &str) -> Option<NoticeKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// What notices of this kind are about.
    pub fn subject(&self) -> Subject {
        match self {
            NoticeKind::AccountFailing => Subject::Venue,
            NoticeKind::CalendarFailing => Subject::Calendar,
            _ => Subject::Booking,
        }
    }

    /// The notice a booking's move into `status` gives, if anyone must hear of it. A new hold
    /// is told nothing until it is paid or lapses.
    pub fn of_status(status: BookingStatus) -> Option<NoticeKind> {
        match status {
            BookingStatus::Confirmed => Some(NoticeKind::Confirmed),
            BookingStatus::Cancelled => Some(NoticeKind::Cancelled),
            BookingStatus::Expired => Some(NoticeKind::Expired),
            BookingStatus::PaymentConflict => Some(NoticeKind::PaymentConflict),
            BookingStatus::Refunded => Some(NoticeKind::Refunded),
            BookingStatus::Held => None,
        }
    }

    /// Who hears of it: the customer of what happened to their booking, but not of a
    /// mismatched payment or a calendar's clash; staff, when the venue wants alerts, of new
    /// bookings and cancellations, and always of money that needs them and of an account or a
    /// calendar that needs an admin.
    pub fn recipients(&self, staff_alerts: bool) -> Vec<Recipient> {
        let mut to = Vec::new();
        if self.subject() == Subject::Booking
            && !matches!(
                self,
                NoticeKind::PaymentMismatch | NoticeKind::CalendarConflict
            )
        {
            to.push(Recipient::Customer);
        }
        let staff = match self {
            NoticeKind::Confirmed | NoticeKind::Cancelled => staff_alerts,
            NoticeKind::PaymentConflict
            | NoticeKind::PaymentMismatch
            | NoticeKind::AccountFailing
            | NoticeKind::CalendarConflict
            | NoticeKind::CalendarFailing => true,
            NoticeKind::Expired | NoticeKind::Reminder | NoticeKind::Refunded => false,
        };
        if staff {
            to.push(Recipient::Staff);
        }
        to
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a notice is mailed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// The booking's customer.
    Customer,
    /// The venue's contact email.
    Staff,
}

impl Recipient {
    pub fn as_str(&self) -> &'static str {
        match self {
            Recipient::Customer => "customer",
            Recipient::Staff => "staff",
        }
    }
}

/// What a notice is about: the one thing its mail is read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum About {
    /// A booking, by its id.
    Booking(BookingId),
    /// A venue, by its id (its payment account).
    Venue(VenueId),
    /// An imported calendar, by its resource's id and its own (the calendar is kept beside its
    /// resource).
    Calendar {
        resource_id: ResourceId,
        calendar_id: CalendarId,
    },
}

impl About {
    /// The id of what it is about.
    pub fn id(&self) -> &str {
        match self {
            About::Booking(id) => id.as_str(),
            About::Venue(id) => id.as_str(),
            About::Calendar { calendar_id, .. } => calendar_id.as_str(),
        }
    }

    pub fn subject(&self) -> Subject {
        match self {
            About::Booking(_) => Subject::Booking,
            About::Venue(_) => Subject::Venue,
            About::Calendar { .. } => Subject::Calendar,
        }
    }
}

/// One thing to tell about one booking, venue or calendar. On the queue (and in the outbox) it
/// is a flat message naming `booking_id`, `venue_id` or `resource_id` and `calendar_id`: a
/// booking notice reads exactly as it did before other notices were told, so messages in flight
/// across a deploy read either way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Wire", into = "Wire")]
pub struct Notice {
    pub notice_id: NoticeId,
    pub kind: NoticeKind,
    pub about: About,
    pub occurred_at: Timestamp,
}

/// Why a message does not read as a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("a notice names one of a booking_id, a venue_id or a calendar, never two")]
    TwoSubjects,
    #[error(
        "a notice names a booking_id, a venue_id or a calendar (its resource_id and calendar_id)"
    )]
    NoSubject,
    #[error("a notice of kind {kind} is about a {:?}, not a {:?}", kind.subject(), named)]
    WrongSubject { kind: NoticeKind, named: Subject },
}

/// A notice as the queue carries it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    notice_id: NoticeId,
    kind: NoticeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    booking_id: Option<BookingId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    venue_id: Option<VenueId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource_id: Option<ResourceId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    calendar_id: Option<CalendarId>,
    occurred_at: Timestamp,
}

impl TryFrom<Wire> for Notice {
    type Error = NoticeError;

    fn try_from(wire: Wire) -> Result<Notice, NoticeError> {
        let calendar = match (wire.resource_id, wire.calendar_id) {
            (Some(resource_id), Some(calendar_id)) => Some(About::Calendar {
                resource_id,
                calendar_id,
            }),
            (None, None) => None,
            _ => return Err(NoticeError::NoSubject),
        };
        let named = [
            wire.booking_id.map(About::Booking),
            wire.venue_id.map(About::Venue),
            calendar,
        ];
        let mut named = named.into_iter().flatten();
        let about = named.next().ok_or(NoticeError::NoSubject)?;
        if named.next().is_some() {
            return Err(NoticeError::TwoSubjects);
        }
        Notice::read(wire.notice_id, wire.kind, about, wire.occurred_at)
    }
}

impl From<Notice> for Wire {
    fn from(notice: Notice) -> Wire {
        let mut wire = Wire {
            notice_id: notice.notice_id,
            kind: notice.kind,
            booking_id: None,
            venue_id: None,
            resource_id: None,
            calendar_id: None,
            occurred_at: notice.occurred_at,
        };
        match notice.about {
            About::Booking(id) => wire.booking_id = Some(id),
            About::Venue(id) => wire.venue_id = Some(id),
            About::Calendar {
                resource_id,
                calendar_id,
            } => {
                wire.resource_id = Some(resource_id);
                wire.calendar_id = Some(calendar_id);
            }
        }
        wire
    }
}

impl Notice {
    /// The notice of `kind` for `booking_id`: its id names both, so it is the same notice
    /// however many times it is made. `kind` is one about a booking.
    pub fn new(kind: NoticeKind, booking_id: &BookingId, occurred_at: Timestamp) -> Notice {
        debug_assert_eq!(kind.subject(), Subject::Booking, "{kind}");
        Notice {
            notice_id: format!("{booking_id}.{kind}").into(),
            kind,
            about: About::Booking(booking_id.clone()),
            occurred_at,
        }
    }

    /// The alert that `calendar_id` clashes with `booking_id`: once per booking and calendar,
    /// however often the clash is seen again.
    pub fn calendar_conflict(
        booking_id: &BookingId,
        calendar_id: &CalendarId,
        occurred_at: Timestamp,
    ) -> Notice {
        let kind = NoticeKind::CalendarConflict;
        Notice {
            notice_id: format!("{booking_id}.{kind}.{calendar_id}").into(),
            kind,
            about: About::Booking(booking_id.clone()),
            occurred_at,
        }
    }

    /// The alert that `venue_id`'s payment account keeps failing, for the streak of failures
    /// `streak` names (`[0-9A-Za-z_-]`, the same for every failure of one streak and never
    /// again after it): one notice a streak, however often it is made.
    pub fn account_failing(venue_id: &VenueId, streak: &str, occurred_at: Timestamp) -> Notice {
        let kind = NoticeKind::AccountFailing;
        Notice {
            notice_id: format!("{venue_id}.{kind}.{streak}").into(),
            kind,
            about: About::Venue(venue_id.clone()),
            occurred_at,
        }
    }

    /// The alert that `calendar` keeps failing to sync: one notice a streak of failures, named
    /// by the last success before it (or the calendar's registration, if it never synced), so
    /// that the same streak seen by two syncs at once is still one notice.
    pub fn calendar_failing(calendar: &Calendar, occurred_at: Timestamp) -> Notice {
        let kind = NoticeKind::CalendarFailing;
        let streak = calendar
            .last_success_at
            .unwrap_or(calendar.created_at)
            .as_millisecond();
        Notice {
            notice_id: format!("{}.{kind}.{streak}", calendar.calendar_id).into(),
            kind,
            about: About::Calendar {
                resource_id: calendar.resource_id.clone(),
                calendar_id: calendar.calendar_id.clone(),
            },
            occurred_at,
        }
    }

    /// A notice read back (from the queue or the outbox), if its kind fits what it is about.
    pub fn read(
        notice_id: NoticeId,
        kind: NoticeKind,
        about: About,
        occurred_at: Timestamp,
    ) -> Result<Notice, NoticeError> {
        let named = about.subject();
        if kind.subject() != named {
            return Err(NoticeError::WrongSubject { kind, named });
        }
        Ok(Notice {
            notice_id,
            kind,
            about,
            occurred_at,
        })
    }

    /// The booking it is about, if it is about one.
    pub fn booking_id(&self) -> Option<&str> {
        match &self.about {
            About::Booking(id) => Some(id),
            _ => None,
        }
    }

    /// The venue it is about, if it is about one.
    pub fn venue_id(&self) -> Option<&str> {
        match &self.about {
            About::Venue(id) => Some(id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_the_same_however_often_it_is_made() {
        let at: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let later: Timestamp = "2026-12-01T10:05:00Z".parse().unwrap();
        let first = Notice::new(NoticeKind::Confirmed, &"bkg_1".into(), at);
        assert_eq!(
            first.notice_id,
            Notice::new(NoticeKind::Confirmed, &"bkg_1".into(), later).notice_id
        );
        assert_ne!(
            first.notice_id,
            Notice::new(NoticeKind::Cancelled, &"bkg_1".into(), at).notice_id
        );
        let wire = serde_json::to_string(&first).unwrap();
        assert_eq!(serde_json::from_str::<Notice>(&wire).unwrap(), first);
        assert!(wire.contains("\"kind\":\"confirmed\""), "{wire}");
        assert_eq!(first.booking_id(), Some("bkg_1"));
        assert_eq!(first.venue_id(), None);
    }

    #[test]
    fn a_booking_notice_keeps_the_wire_format_it_had_and_reads_old_messages() {
        let at: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let notice = Notice::new(NoticeKind::Cancelled, &"bkg_1".into(), at);
        // Exactly what the queue carried before venue notices: no field more, none less.
        let old = r#"{"notice_id":"bkg_1.cancelled","kind":"cancelled","booking_id":"bkg_1","occurred_at":"2026-12-01T10:00:00Z"}"#;
        assert_eq!(serde_json::to_string(&notice).unwrap(), old);
        let read: Notice = serde_json::from_str(old).unwrap();
        assert_eq!(read, notice);
        assert_eq!(read.about, About::Booking("bkg_1".into()));
    }

    #[test]
    fn a_venue_notice_names_its_venue_on_the_wire_and_reads_back() {
        let at: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let notice = Notice::account_failing(&"ven_1".into(), "0123abcd", at);
        assert_eq!(notice.notice_id, "ven_1.account_failing.0123abcd");
        assert_eq!(notice.about, About::Venue("ven_1".into()));
        assert_eq!(
            (notice.venue_id(), notice.booking_id()),
            (Some("ven_1"), None)
        );
        let wire = serde_json::to_value(&notice).unwrap();
        assert_eq!(
            wire,
            serde_json::json!({"notice_id": "ven_1.account_failing.0123abcd",
                               "kind": "account_failing", "venue_id": "ven_1",
                               "occurred_at": "2026-12-01T10:00:00Z"})
        );
        assert_eq!(serde_json::from_value::<Notice>(wire).unwrap(), notice);
    }

    #[test]
    fn one_streak_of_failures_is_one_notice_and_the_next_streak_another() {
        let at: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let later: Timestamp = "2026-12-01T16:00:00Z".parse().unwrap();
        let first = Notice::account_failing(&"ven_1".into(), "aaaa", at);
        assert_eq!(
            first.notice_id,
            Notice::account_failing(&"ven_1".into(), "aaaa", later).notice_id
        );
        assert_ne!(
            first.notice_id,
            Notice::account_failing(&"ven_1".into(), "bbbb", at).notice_id
        );
        assert_ne!(
            first.notice_id,
            Notice::account_failing(&"ven_2".into(), "aaaa", at).notice_id
        );
    }

    fn failing_calendar() -> Calendar {
        let at: Timestamp = "2026-11-01T09:00:00Z".parse().unwrap();
        Calendar {
            calendar_id: "cal_1".into(),
            resource_id: "res_1".into(),
            venue_id: "ven_1".into(),
            name: "Airbnb".into(),
            url: "https://www.airbnb.com/calendar/ical/1.ics?s=secret".into(),
            status: crate::calendar::SyncStatus::Pending,
            last_sync_at: None,
            last_success_at: None,
            last_error: None,
            consecutive_failures: 0,
            blocks: 0,
            unheld: 0,
            resource_revision: 0,
            conflicts: Vec::new(),
            etag: None,
            last_modified: None,
            unfinished: false,
            skipped: std::collections::BTreeMap::new(),
            created_at: at,
        }
    }

    #[test]
    fn a_calendar_alerts_once_a_streak_of_failures_and_names_its_calendar_on_the_wire() {
        let at: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let later: Timestamp = "2026-12-01T10:45:00Z".parse().unwrap();
        let mut calendar = failing_calendar();
        let alerts: Vec<bool> = (0..5).map(|_| calendar.failed(at, "timed out")).collect();
        assert_eq!(
            alerts,
            [false, false, true, false, false],
            "the third, once"
        );
        let first = Notice::calendar_failing(&calendar, at);
        assert_eq!(first.notice_id, "cal_1.calendar_failing.1793523600000");
        assert_eq!(
            first.notice_id,
            Notice::calendar_failing(&calendar, later).notice_id,
            "the same streak, seen again, is the same notice"
        );
        // A success ends the streak; the next one alerts again, as another notice.
        calendar.synced(later, (0, 0), Vec::new());
        let alerts: Vec<bool> = (0..3).map(|_| calendar.failed(later, "404")).collect();
        assert_eq!(alerts, [false, false, true]);
        assert_ne!(
            first.notice_id,
            Notice::calendar_failing(&calendar, later).notice_id
        );

        let wire = serde_json::to_value(&first).unwrap();
        assert_eq!(
            wire,
            serde_json::json!({"notice_id": "cal_1.calendar_failing.1793523600000",
                               "kind": "calendar_failing", "resource_id": "res_1",
                               "calendar_id": "cal_1", "occurred_at": "2026-12-01T10:00:00Z"})
        );
        assert!(!wire.to_string().contains("secret"), "never the feed's URL");
        assert_eq!(serde_json::from_value::<Notice>(wire).unwrap(), first);
        assert_eq!(first.about.id(), "cal_1");
        assert_eq!((first.booking_id(), first.venue_id()), (None, None));
    }

    #[test]
    fn a_message_that_names_no_subject_two_or_the_wrong_one_does_not_read() {
        let read = |json: serde_json::Value| serde_json::from_value::<Notice>(json);
        let base = |extra: serde_json::Value| {
            let mut json =
                serde_json::json!({"notice_id": "x", "occurred_at": "2026-12-01T10:00:00Z"});
            for (k, v) in extra.as_object().unwrap() {
                json[k] = v.clone();
            }
            json
        };
        let both =
            base(serde_json::json!({"kind": "confirmed", "booking_id": "b", "venue_id": "v"}));
        assert!(read(both).unwrap_err().to_string().contains("never two"));
        let none = base(serde_json::json!({"kind": "confirmed"}));
        assert!(read(none).is_err());
        let venue_kind_of_booking =
            base(serde_json::json!({"kind": "account_failing", "booking_id": "b"}));
        assert!(read(venue_kind_of_booking).is_err());
        let booking_kind_of_venue = base(serde_json::json!({"kind": "confirmed", "venue_id": "v"}));
        assert!(read(booking_kind_of_venue).is_err());
        let half_a_calendar =
            base(serde_json::json!({"kind": "calendar_failing", "calendar_id": "c"}));
        assert!(read(half_a_calendar).is_err());
        let calendar_and_booking = base(serde_json::json!({"kind": "calendar_failing",
            "calendar_id": "c", "resource_id": "r", "booking_id": "b"}));
        assert!(read(calendar_and_booking).is_err());
        let calendar_kind_of_venue =
            base(serde_json::json!({"kind": "calendar_failing", "venue_id": "v"}));
        assert!(read(calendar_kind_of_venue).is_err());
        let unknown = base(serde_json::json!({"kind": "confirmed", "booking_id": "b", "extra": 1}));
        assert!(read(unknown).is_err());
        assert_eq!(
            Notice::read(
                "x".into(),
                NoticeKind::AccountFailing,
                About::Booking("b".into()),
                "2026-12-01T10:00:00Z".parse().unwrap()
            ),
            Err(NoticeError::WrongSubject {
                kind: NoticeKind::AccountFailing,
                named: Subject::Booking
            })
        );
    }

    #[test]
    fn staff_hear_of_new_bookings_and_cancellations_only_when_they_asked() {
        use Recipient::{Customer, Staff};
        assert_eq!(NoticeKind::Confirmed.recipients(true), [Customer, Staff]);
        assert_eq!(NoticeKind::Confirmed.recipients(false), [Customer]);
        assert_eq!(NoticeKind::Cancelled.recipients(true), [Customer, Staff]);
        assert_eq!(NoticeKind::Expired.recipients(true), [Customer]);
        assert_eq!(NoticeKind::Reminder.recipients(true), [Customer]);
        assert_eq!(
            NoticeKind::PaymentConflict.recipients(false),
            [Customer, Staff]
        );
        assert_eq!(NoticeKind::PaymentMismatch.recipients(false), [Staff]);
        assert_eq!(NoticeKind::Refunded.recipients(true), [Customer]);
        // An account that needs an admin: staff always, the customers never.
        assert_eq!(NoticeKind::AccountFailing.recipients(false), [Staff]);
        assert_eq!(NoticeKind::AccountFailing.recipients(true), [Staff]);
        // A calendar that needs an admin: staff always.
        assert_eq!(NoticeKind::CalendarFailing.recipients(false), [Staff]);
        assert_eq!(NoticeKind::CalendarConflict.recipients(true), [Staff]);
        for kind in NoticeKind::ALL {
            let expected = match kind {
                NoticeKind::AccountFailing => Subject::Venue,
                NoticeKind::CalendarFailing => Subject::Calendar,
                _ => Subject::Booking,
            };
            assert_eq!(kind.subject(), expected);
        }
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NoticeKind::of_status(BookingStatus::Held), None);
    }
}
