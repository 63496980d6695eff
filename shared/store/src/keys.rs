//! The table's vocabulary: its key formats, attribute names and item types, spelled once.
//! Key parts are joined with `#`, so a part that comes from a caller has its own `#` escaped.

use std::borrow::Cow;
use std::ops::{RangeFrom, RangeInclusive};

use holdfast_domain::{Month, Unit};
use jiff::Timestamp;

/// Every attribute name an item of the table carries (a report's counters aside: their names
/// are made from the counter, see `reports`). Expressions name them through a placeholder of
/// their own, `#` and the name, which their characters (see the test) always make valid.
pub mod attr {
    /// The table's partition key.
    pub const PK: &str = "pk";
    /// The table's sort key.
    pub const SK: &str = "sk";
    /// `gsi1`'s partition key: a customer's bookings (`OWNER#…`), a venue's resources.
    pub const GSI1PK: &str = "gsi1pk";
    /// `gsi1`'s sort key: `{created}#{id}`.
    pub const GSI1SK: &str = "gsi1sk";
    /// `gsi2`'s partition key: a venue's bookings of one local day.
    pub const GSI2PK: &str = "gsi2pk";
    /// `gsi2`'s sort key: `{start}#{booking_id}`.
    pub const GSI2SK: &str = "gsi2sk";
    /// `gsi3`'s partition key: held bookings, calendars to sync, tokens due a refresh.
    pub const GSI3PK: &str = "gsi3pk";
    /// `gsi3`'s sort key: `{instant}#{id}`, when the hold lapses, the sync or the refresh is due.
    pub const GSI3SK: &str = "gsi3sk";
    /// `gsi4`'s partition key: reminders due, and refunds owed.
    pub const GSI4PK: &str = "gsi4pk";
    /// `gsi4`'s sort key: `{instant}#{booking_id}`, when the reminder is due or the refund owed.
    pub const GSI4SK: &str = "gsi4sk";

    /// Which kind of item this is: one of [`super::kind`].
    pub const TYPE: &str = "type";
    /// The revision of a versioned item (venue, resource, booking), checked by every replace.
    pub const VERSION: &str = "version";
    /// When DynamoDB may purge the item, in epoch seconds (the table's TTL attribute).
    pub const TTL: &str = "ttl";
    pub const CREATED_AT: &str = "created_at";
    pub const UPDATED_AT: &str = "updated_at";
    pub const VENUE_ID: &str = "venue_id";
    pub const RESOURCE_ID: &str = "resource_id";
    /// The booking an item is of, or (on a lock) the booking that holds the unit.
    pub const BOOKING_ID: &str = "booking_id";
    pub const CALENDAR_ID: &str = "calendar_id";
    pub const NOTICE_ID: &str = "notice_id";
    /// The name of a venue, resource or calendar (and of a calendar in a booking's conflicts).
    pub const NAME: &str = "name";
    /// A booking's status, a calendar's sync status, a mail's sending state, or the HTTP
    /// status an idempotency record answers with.
    pub const STATUS: &str = "status";
    /// A resource's schedule (`slots` or `nights`), or a notice's kind.
    pub const KIND: &str = "kind";
    /// An ISO 4217 code: a venue's, and that of a resource's price or a booking's.
    pub const CURRENCY: &str = "currency";
    /// A venue's IANA zone, and the zone a booking was made in.
    pub const TIME_ZONE: &str = "time_zone";

    pub const ORG_ID: &str = "org_id";
    pub const CONTACT_EMAIL: &str = "contact_email";
    pub const LANGUAGE: &str = "language";
    /// Whether new bookings, cancellations and calendar trouble are mailed to the venue.
    pub const STAFF_ALERTS: &str = "staff_alerts";
    /// Hours before a booking's start its reminder goes out; 0 sends none.
    pub const REMINDER_HOURS: &str = "reminder_hours";
    /// A venue's cancellation policy: a list of `hours:percent`.
    pub const REFUND_RULES: &str = "refund_rules";

    /// A resource's places per unit.
    pub const CAPACITY: &str = "capacity";
    /// A resource's price per slot or night, in minor units of its `currency`.
    pub const UNIT_PRICE: &str = "unit_price";
    /// How long a resource's unpaid bookings are held.
    pub const HOLD_MINUTES: &str = "hold_minutes";
    pub const ACTIVE: &str = "active";
    pub const SLOT_MINUTES: &str = "slot_minutes";
    /// Minutes after midnight a slot resource's grid starts at.
    pub const GRID_ORIGIN: &str = "grid_origin";
    /// The lengths, in minutes, a slot resource is booked for.
    pub const DURATIONS: &str = "durations";
    /// A slot resource's hours: a map of day to `HH:MM-HH:MM` strings.
    pub const OPENING_HOURS: &str = "opening_hours";
    pub const CHECK_IN_TIME: &str = "check_in_time";
    pub const CHECK_OUT_TIME: &str = "check_out_time";
    pub const MIN_NIGHTS: &str = "min_nights";
    pub const MAX_NIGHTS: &str = "max_nights";

    /// The customer's `sub` a booking belongs to.
    pub const OWNER: &str = "owner";
    /// A booking's first instant, and where a calendar conflict starts.
    pub const START: &str = "start";
    /// A booking's end, and where a calendar conflict ends.
    pub const END: &str = "end";
    pub const CHECK_IN: &str = "check_in";
    pub const CHECK_OUT: &str = "check_out";
    /// The keys of the units a booking holds.
    pub const UNITS: &str = "units";
    /// How a booking holds its units: whole, or one place of each.
    pub const CLAIM: &str = "claim";
    /// A booking's price, in minor units of its `currency`.
    pub const PRICE: &str = "price";
    /// When an unpaid booking's hold lapses.
    pub const HOLD_EXPIRES_AT: &str = "hold_expires_at";
    /// When a confirmed booking's reminder is due.
    pub const REMIND_AT: &str = "remind_at";
    /// When a booking's reminder was taken off the due list: due no more.
    pub const REMINDER_SETTLED_AT: &str = "reminder_settled_at";
    pub const CUSTOMER_NAME: &str = "customer_name";
    pub const CUSTOMER_EMAIL: &str = "customer_email";
    pub const CUSTOMER_PHONE: &str = "customer_phone";
    /// What imported calendars say clashes with a booking: a list of maps.
    pub const CALENDAR_CONFLICTS: &str = "calendar_conflicts";
    pub const PAYMENT_PROVIDER: &str = "payment_provider";
    pub const PAYMENT_STATUS: &str = "payment_status";
    /// The provider's checkout: Stripe's payment intent or Mercado Pago's preference.
    pub const CHECKOUT_ID: &str = "checkout_id";
    /// A Stripe checkout's client secret.
    pub const CHECKOUT_SECRET: &str = "checkout_secret";
    /// A Mercado Pago checkout's URL.
    pub const CHECKOUT_URL: &str = "checkout_url";
    /// The provider's id of the payment received.
    pub const PAID_ID: &str = "paid_id";
    pub const PAID_AMOUNT: &str = "paid_amount";
    pub const PAID_CURRENCY: &str = "paid_currency";
    pub const PAID_AT: &str = "paid_at";
    pub const PAYMENT_FAILED: &str = "payment_failed";
    /// The refund decided in all, in minor units of what was paid.
    pub const REFUND_DUE: &str = "refund_due";
    /// Of the refund due, what the provider was asked for so far.
    pub const REFUND_REQUESTED: &str = "refund_requested";
    /// What the provider says it refunded.
    pub const REFUNDED: &str = "refunded";
    pub const REFUND_PERCENT: &str = "refund_percent";

    /// The address a calendar is imported from.
    pub const URL: &str = "url";
    /// Whether a calendar's last sync ran out of time before the feed's last units.
    pub const UNFINISHED: &str = "unfinished";
    pub const LAST_SYNC_AT: &str = "last_sync_at";
    pub const LAST_SUCCESS_AT: &str = "last_success_at";
    pub const LAST_ERROR: &str = "last_error";
    /// The feed's `ETag`, for a conditional fetch.
    pub const ETAG: &str = "etag";
    /// The feed's `Last-Modified`, for a conditional fetch.
    pub const LAST_MODIFIED: &str = "last_modified";
    pub const CONSECUTIVE_FAILURES: &str = "consecutive_failures";
    /// How many of a calendar's events hold units.
    pub const BLOCKS: &str = "blocks";
    /// Units a calendar's feed blocks that another owner holds.
    pub const UNHELD: &str = "unheld";
    /// The revision of its resource a calendar's blocks were worked out for.
    pub const RESOURCE_REVISION: &str = "resource_revision";
    /// A calendar's events that clash with bookings: a list of maps.
    pub const CONFLICTS: &str = "conflicts";
    /// The events a calendar's last sync skipped: a map of reason to count.
    pub const SKIPPED: &str = "skipped";
    /// The UID of a calendar's event: on a block record, and in a calendar's conflicts.
    pub const UID: &str = "uid";

    /// On a lock: the calendar whose block holds the unit.
    pub const BLOCK_OF: &str = "block_of";
    /// On a lock: the UID of the calendar event that blocks the unit.
    pub const BLOCK_UID: &str = "block_uid";
    /// A hold's lapse on a lock (epoch seconds, a number); when an account's tokens or a
    /// pending connect expire (an instant, a string).
    pub const EXPIRES_AT: &str = "expires_at";
    /// On a lock of a unit counted by the place: how many places are taken.
    pub const TAKEN: &str = "taken";
    /// The hash of a resource's export token.
    pub const TOKEN_HASH: &str = "token_hash";

    /// An account's payment provider.
    pub const PROVIDER: &str = "provider";
    /// An account's credentials, sealed (a binary).
    pub const SEALED: &str = "sealed";
    /// What may be shown of an account's key.
    pub const KEY_HINT: &str = "key_hint";
    /// The account holder's user id at its provider.
    pub const USER_ID: &str = "user_id";
    pub const LAST_REFRESH_ERROR: &str = "last_refresh_error";
    pub const LAST_REFRESH_FAILED_AT: &str = "last_refresh_failed_at";
    /// Refreshes of an account's tokens failed in a row.
    pub const REFRESH_FAILURES: &str = "refresh_failures";

    /// SHA-256 of the request an idempotency record answers.
    pub const REQUEST_HASH: &str = "request_hash";
    /// The response body an idempotency record answers with.
    pub const BODY: &str = "body";
    /// Until when a mail being sent is its sender's (epoch seconds).
    pub const LEASE_UNTIL: &str = "lease_until";
    /// A pending connect's OAuth state nonce.
    pub const NONCE: &str = "nonce";
    /// A pending connect's PKCE verifier.
    pub const CODE_VERIFIER: &str = "code_verifier";
    /// The admin who started a pending connect.
    pub const STARTED_BY: &str = "started_by";
    /// When a notice's change happened, to the millisecond.
    pub const OCCURRED_AT: &str = "occurred_at";
    /// The month a report's counters are of.
    pub const MONTH: &str = "month";
    /// Requests a caller made in a rate-limit window.
    pub const REQUESTS: &str = "requests";
}

/// Every item type, as the `type` attribute names it.
pub mod kind {
    pub const VENUE: &str = "venue";
    pub const RESOURCE: &str = "resource";
    pub const BOOKING: &str = "booking";
    /// A unit's lock: a booking's, a calendar's block, or a counter of places taken.
    pub const LOCK: &str = "lock";
    /// A calendar a resource imports.
    pub const CALENDAR: &str = "calendar";
    /// A calendar's record of one unit it blocks (the unit's lock is a [`LOCK`]).
    pub const BLOCK: &str = "block";
    /// The hash of a resource's export token.
    pub const ICAL_TOKEN: &str = "ical_token";
    /// A venue's payment account at one provider.
    pub const ACCOUNT: &str = "account";
    /// A payment provider's event id, recorded once.
    pub const PROVIDER_EVENT: &str = "provider_event";
    /// The first response to an `Idempotency-Key`.
    pub const IDEMPOTENCY: &str = "idempotency";
    /// One mail of a notice to one recipient, claimed before it is sent.
    pub const MAIL: &str = "mail";
    /// A Mercado Pago connect in progress.
    pub const OAUTH_STATE: &str = "oauth_state";
    /// A notice in the outbox.
    pub const NOTICE: &str = "notice";
    /// One shard of a venue-month's report counters.
    pub const REPORT: &str = "report";
    /// A caller's requests in one window of a rate limit.
    pub const RATE_WINDOW: &str = "rate_window";
}

/// An instant as keys and sortable attributes spell it: RFC 3339 in UTC at whole seconds, fixed
/// width, so that text order is time order.
pub fn instant(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A unit's sort key among its resource's locks: a slot's UTC instant or a night's date. Each
/// kind sorts in time order, and a resource sells one kind.
pub fn unit(unit: &Unit) -> String {
    match unit {
        Unit::Slot(start) => instant(*start),
        Unit::Night(date) => date.to_string(),
    }
}

/// The unit a sort key names, if it names one.
pub fn unit_from(key: &str) -> Option<Unit> {
    if key.len() == 10 {
        key.parse().ok().map(Unit::Night)
    } else {
        key.parse().ok().map(Unit::Slot)
    }
}

/// A range of units as the store queries their locks: from one unit to another, both
/// included, or from one unit on.
pub trait UnitRange {
    /// The sort-key bounds of the range, both inclusive (`~` sorts after every key).
    fn keys(&self) -> (String, String);
}

impl UnitRange for RangeInclusive<Unit> {
    fn keys(&self) -> (String, String) {
        (unit(self.start()), unit(self.end()))
    }
}

impl UnitRange for RangeFrom<Unit> {
    fn keys(&self) -> (String, String) {
        (unit(&self.start), "~".to_string())
    }
}

/// A month as the report items name it: `2028-02`.
pub fn month(month: &Month) -> String {
    month.to_string()
}

/// A caller-given part of a composite key: `#` (and `%`, which escapes it) percent-encoded, so
/// that two different pairs of parts can never spell one key.
fn part(raw: &str) -> Cow<'_, str> {
    if raw.contains(['#', '%']) {
        Cow::Owned(raw.replace('%', "%25").replace('#', "%23"))
    } else {
        Cow::Borrowed(raw)
    }
}

pub fn venue(venue_id: &str) -> (String, String) {
    (format!("VENUE#{venue_id}"), "VENUE".into())
}

/// A venue-month's report counters: beside the venue, one item per month.
/// One shard of a venue-month's report counters.
pub fn report(venue_id: &str, month: &Month, shard: u32) -> (String, String) {
    (
        format!("VENUE#{venue_id}"),
        format!("REPORT#{month}#{shard:02}"),
    )
}

/// The partition and sort-key prefix of every shard of a venue-month's counters.
pub fn report_shards(venue_id: &str, month: &Month) -> (String, String) {
    (format!("VENUE#{venue_id}"), format!("REPORT#{month}#"))
}

pub fn resource(resource_id: &str) -> (String, String) {
    (format!("RESOURCE#{resource_id}"), "RESOURCE".into())
}

pub fn venue_resources(venue_id: &str) -> String {
    format!("VENUE#{venue_id}#RESOURCES")
}

pub fn booking(booking_id: &str) -> (String, String) {
    (format!("BOOKING#{booking_id}"), "BOOKING".into())
}

pub fn owner(owner: &str) -> String {
    format!("OWNER#{owner}")
}

pub fn venue_day(venue_id: &str, day: &str) -> String {
    format!("VENUE#{venue_id}#DAY#{day}")
}

pub fn mail(notice_id: &str, recipient: &str) -> (String, String) {
    (
        format!("MAIL#{}#{recipient}", part(notice_id)),
        "MAIL".into(),
    )
}

/// The partition of one shard of the held bookings, by hold expiry.
pub fn held(shard: u32) -> String {
    format!("HELD#{shard}")
}

/// The held-bookings shard a booking's expiry is filed under.
pub fn held_shard(booking_id: &str) -> u32 {
    // FNV-1a: stable across processes, unlike the std hasher.
    let hash = booking_id.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % crate::index::HELD_SHARDS
}

/// How many partitions the refresh list spreads over: few accounts, written rarely.
pub const TOKEN_SHARDS: u32 = 4;

/// The refresh-list shard of a venue's account.
pub fn tokens_shard(venue_id: &str) -> u32 {
    // The same stable hash as the held bookings' shards, over fewer partitions.
    held_shard(venue_id) % TOKEN_SHARDS
}

pub fn reminders(shard: u32) -> String {
    format!("REMIND#{shard}")
}

/// Bookings owing a refund the provider has not been asked for yet, sharded.
pub fn refunds_owed(shard: u32) -> String {
    format!("REFUND#{shard}")
}

pub fn outbox(shard: u32) -> String {
    format!("OUTBOX#{shard}")
}

/// A venue's payment account with `provider`, beside the venue.
pub fn account(venue_id: &str, provider: &str) -> (String, String) {
    (venue(venue_id).0, format!("{ACCOUNTS}{provider}"))
}

/// The sort-key prefix every account of a venue shares.
pub const ACCOUNTS: &str = "ACCOUNT#";

/// The sort-key prefix every calendar of a resource shares.
pub const CALENDARS: &str = "CALENDAR#";

/// A calendar a resource imports, beside the resource.
pub fn calendar(resource_id: &str, calendar_id: &str) -> (String, String) {
    (
        format!("RESOURCE#{resource_id}"),
        format!("{CALENDARS}{calendar_id}"),
    )
}

/// The hash of a resource's current export token.
pub fn ical_token(resource_id: &str) -> (String, String) {
    (format!("RESOURCE#{resource_id}"), "ICALTOKEN".into())
}

/// The units a calendar holds, one record per unit, written with its lock.
pub fn calendar_blocks(calendar_id: &str) -> String {
    format!("CALENDAR#{calendar_id}#BLOCKS")
}

/// Calendars to sync, by when each last synced, sharded.
pub fn calendars_to_sync(shard: u32) -> String {
    format!("SYNC#{shard}")
}

pub fn locks(resource_id: &str) -> String {
    format!("LOCKS#{resource_id}")
}

/// A payment provider's event (webhook) id: recorded once, with the change it made.
pub fn provider_event(provider: &str, event_id: &str) -> (String, String) {
    (
        format!("EVENT#{provider}#{}", part(event_id)),
        "EVENT".into(),
    )
}

pub fn idempotency(caller: &str, key: &str) -> (String, String) {
    (
        format!("IDEMPOTENCY#{}#{}", part(caller), part(key)),
        "IDEMPOTENCY".into(),
    )
}

/// A Mercado Pago connect in progress, by its state's nonce: taken once, on the way back.
pub fn oauth_state(nonce: &str) -> (String, String) {
    (format!("OAUTH#{}", part(nonce)), "OAUTH".into())
}

/// Mercado Pago accounts by when their tokens expire, sharded: the refresh job's work list.
pub fn tokens_due(shard: u32) -> String {
    format!("TOKENS#{shard}")
}

/// DynamoDB's bounds on a key, in bytes: 2048 for a partition key, 1024 for a sort key.
pub const MAX_PK_BYTES: usize = 2048;
pub const MAX_SK_BYTES: usize = 1024;

/// Whether an item could have this key at all: DynamoDB refuses to look a longer one up (a
/// 400 of its own, which would otherwise surface as our 500).
pub fn storable(pk: &str, sk: &str) -> bool {
    (1..=MAX_PK_BYTES).contains(&pk.len()) && (1..=MAX_SK_BYTES).contains(&sk.len())
}

/// One caller's window of a rate limit group (by its start, epoch seconds): an item a window,
/// each its own partition, so that no caller's counting is another's hot key.
pub fn rate_window(group: &str, caller: &str, start: i64) -> (String, String) {
    (
        format!("LIMIT#{group}#{}#{start}", part(caller)),
        "LIMIT".into(),
    )
}

#[cfg(test)]
mod tests {
    use holdfast_domain::Unit;
    use jiff::civil::date;

    #[test]
    fn unit_keys_round_trip_and_sort_in_time_order() {
        let instants = [0, 1, 59, 3_600, 86_399, 1_700_000_000, 3_999_999_999];
        for (a, b) in instants
            .iter()
            .flat_map(|a| instants.iter().map(move |b| (*a, *b)))
        {
            let u1 = Unit::Slot(jiff::Timestamp::from_second(a).unwrap());
            let u2 = Unit::Slot(jiff::Timestamp::from_second(b).unwrap());
            assert_eq!(super::unit_from(&super::unit(&u1)), Some(u1));
            assert_eq!(super::unit(&u1).cmp(&super::unit(&u2)), a.cmp(&b));
        }
        let night = Unit::Night(date(2026, 12, 20));
        assert_eq!(super::unit(&night), "2026-12-20");
        assert_eq!(super::unit_from("2026-12-20"), Some(night));
        assert_eq!(super::unit_from("garbage"), None);
    }

    #[test]
    fn a_unit_range_takes_exactly_its_units() {
        use super::UnitRange;
        let nights: Vec<Unit> = (1..=5).map(|d| Unit::Night(date(2026, 12, d))).collect();
        let inside = |(from, to): (String, String)| -> Vec<Unit> {
            nights
                .iter()
                .filter(|u| (from.as_str()..=to.as_str()).contains(&super::unit(u).as_str()))
                .copied()
                .collect()
        };
        assert_eq!(inside((nights[1]..=nights[3]).keys()), nights[1..=3]);
        assert_eq!(inside((nights[2]..).keys()), nights[2..]);
    }

    use super::*;

    #[test]
    fn idempotency_keys_of_different_callers_never_collide() {
        // Without escaping, both would be IDEMPOTENCY#ana#x#y.
        assert_ne!(idempotency("ana#x", "y"), idempotency("ana", "x#y"));
        assert_ne!(idempotency("ana%23x", "y"), idempotency("ana#x", "y"));
        assert_eq!(idempotency("ana", "key-1").0, "IDEMPOTENCY#ana#key-1");
    }

    #[test]
    fn attribute_names_are_distinct_and_read_as_plain_names_in_any_expression() {
        let every = [
            attr::PK,
            attr::SK,
            attr::GSI1PK,
            attr::GSI1SK,
            attr::GSI2PK,
            attr::GSI2SK,
            attr::GSI3PK,
            attr::GSI3SK,
            attr::GSI4PK,
            attr::GSI4SK,
            attr::TYPE,
            attr::VERSION,
            attr::TTL,
            attr::CREATED_AT,
            attr::UPDATED_AT,
            attr::VENUE_ID,
            attr::RESOURCE_ID,
            attr::BOOKING_ID,
            attr::CALENDAR_ID,
            attr::NOTICE_ID,
            attr::NAME,
            attr::STATUS,
            attr::KIND,
            attr::CURRENCY,
            attr::TIME_ZONE,
            attr::ORG_ID,
            attr::CONTACT_EMAIL,
            attr::LANGUAGE,
            attr::STAFF_ALERTS,
            attr::REMINDER_HOURS,
            attr::REFUND_RULES,
            attr::CAPACITY,
            attr::UNIT_PRICE,
            attr::HOLD_MINUTES,
            attr::ACTIVE,
            attr::SLOT_MINUTES,
            attr::GRID_ORIGIN,
            attr::DURATIONS,
            attr::OPENING_HOURS,
            attr::CHECK_IN_TIME,
            attr::CHECK_OUT_TIME,
            attr::MIN_NIGHTS,
            attr::MAX_NIGHTS,
            attr::OWNER,
            attr::START,
            attr::END,
            attr::CHECK_IN,
            attr::CHECK_OUT,
            attr::UNITS,
            attr::CLAIM,
            attr::PRICE,
            attr::HOLD_EXPIRES_AT,
            attr::REMIND_AT,
            attr::REMINDER_SETTLED_AT,
            attr::CUSTOMER_NAME,
            attr::CUSTOMER_EMAIL,
            attr::CUSTOMER_PHONE,
            attr::CALENDAR_CONFLICTS,
            attr::PAYMENT_PROVIDER,
            attr::PAYMENT_STATUS,
            attr::CHECKOUT_ID,
            attr::CHECKOUT_SECRET,
            attr::CHECKOUT_URL,
            attr::PAID_ID,
            attr::PAID_AMOUNT,
            attr::PAID_CURRENCY,
            attr::PAID_AT,
            attr::PAYMENT_FAILED,
            attr::REFUND_DUE,
            attr::REFUND_REQUESTED,
            attr::REFUNDED,
            attr::REFUND_PERCENT,
            attr::URL,
            attr::UNFINISHED,
            attr::LAST_SYNC_AT,
            attr::LAST_SUCCESS_AT,
            attr::LAST_ERROR,
            attr::ETAG,
            attr::LAST_MODIFIED,
            attr::CONSECUTIVE_FAILURES,
            attr::BLOCKS,
            attr::UNHELD,
            attr::RESOURCE_REVISION,
            attr::CONFLICTS,
            attr::SKIPPED,
            attr::UID,
            attr::BLOCK_OF,
            attr::BLOCK_UID,
            attr::EXPIRES_AT,
            attr::TAKEN,
            attr::TOKEN_HASH,
            attr::PROVIDER,
            attr::SEALED,
            attr::KEY_HINT,
            attr::USER_ID,
            attr::LAST_REFRESH_ERROR,
            attr::LAST_REFRESH_FAILED_AT,
            attr::REFRESH_FAILURES,
            attr::REQUEST_HASH,
            attr::BODY,
            attr::LEASE_UNTIL,
            attr::NONCE,
            attr::CODE_VERIFIER,
            attr::STARTED_BY,
            attr::OCCURRED_AT,
            attr::MONTH,
            attr::REQUESTS,
        ];
        let distinct: std::collections::HashSet<&str> = every.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            every.len(),
            "two constants spell one attribute"
        );
        for name in every {
            // `.` and `[` would read as a path, `#` and `:` as placeholders, spaces, commas,
            // parentheses and operators as the expression around the name; and `#{name}` is a
            // valid placeholder only for letters, digits and `_`.
            assert!(
                name.starts_with(|c: char| c.is_ascii_lowercase())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
        }
        // The list above is every constant of `attr`: one added there must be added here.
        let source = include_str!("keys.rs");
        let attr_module = source
            .split("pub mod attr {")
            .nth(1)
            .and_then(|rest| rest.split("\n}\n").next())
            .unwrap();
        assert_eq!(attr_module.matches("pub const ").count(), every.len());
    }

    #[test]
    fn shards_are_stable_and_spread() {
        assert_eq!(held_shard("bkg_1"), held_shard("bkg_1"));
        let used: std::collections::HashSet<u32> =
            (0..200).map(|i| held_shard(&format!("bkg_{i}"))).collect();
        assert_eq!(used.len() as u32, crate::index::HELD_SHARDS);
    }
}
