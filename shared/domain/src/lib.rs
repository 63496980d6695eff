//! Holdfast's booking rules: venues, resources, the units of time they sell, validation and prices.
//! Pure Rust (no AWS, no async, no HTTP): instants are UTC inside, local time only through the tz database.

pub mod account;
pub mod booking;
pub mod calendar;
pub mod error;
pub mod ids;
pub mod limits;
pub mod money;
pub mod notice;
pub mod oauth;
pub mod payment;
pub mod report;
pub mod resource;
pub mod settings;
pub mod settlement;
pub mod signature;
pub mod status;
pub mod units;
mod validate;
pub mod venue;

pub use account::{AccountSummary, MercadoPagoAccount, ProviderAccount, Secret, StripeAccount};
pub use booking::{
    Booking, BookingCalendarConflict, BookingDraft, BookingRequest, Claim, Customer, CustomerDraft,
    NewBooking,
};
pub use calendar::{
    ALERT_AFTER_FAILURES, BlockDiff, BlockSpan, BookingConflicts, Calendar, CalendarConflict,
    CalendarDraft, EventsOverBookings, ImportedBlock, SyncStatus, UnitHolders, UnitsByDay,
    block_export_uid, booking_export_uid, desired_blocks, diff_blocks, events_holding, export_etag,
    export_from, export_token_hash, export_token_matches, is_echo, merge_owned_spans,
};
pub use error::{DomainError, FieldErrors};
pub use ids::{BookingId, CalendarId, NoticeId, ResourceId, VenueId};
pub use limits::{Audience, Counted, LimitGroup, Quota, RateLimits, Standing, Window, group_for};
pub use money::{Currency, Money, MoneyDraft};
pub use notice::{About, Notice, NoticeError, NoticeKind, Recipient, Subject};
pub use oauth::{
    OAuthError, Pkce, StateClaims, code_challenge, needs_refresh, redact, refresh_due_before,
    should_alert, sign_state, verify_state,
};
pub use payment::{Checkout, Paid, Payment, PaymentProvider, PaymentStatus, cancellation_refund};
pub use report::{
    BookingCounts, Counter, Month, MonthlyReport, ProviderLine, ReportDelta, ResourceLine, Tally,
    merge_deltas, payment_deltas, refund_deltas, status_deltas,
};
pub use resource::{
    LocalTime, MAX_UNITS_PER_BOOKING, NightRules, Opening, OpeningHours, OpeningHoursDraft,
    Resource, ResourceDraft, ResourcePatch, Schedule, SlotRules,
};
pub use settings::{CancellationPolicy, RefundRule, VenuePatch, VenueSettings};
pub use settlement::{
    LockWork, MoneyMoved, PaymentFact, Settlement, cancel, refund_asked, settle, settle_conflict,
};
pub use status::{BookingEvent, BookingStatus, RefusedTransition};
pub use units::{Period, Plan, Unit, UnitSpan};
pub use venue::{Language, Venue, VenueDraft, Zone};

/// The one way the domain writes an instant for people: RFC 3339 at the venue's offset.
pub fn format_local(instant: jiff::Timestamp, zone: &jiff::tz::TimeZone) -> String {
    instant
        .to_zoned(zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}
