//! The table's key formats: every `pk`, `sk` and index key Holdfast writes is spelled here.
//! Parts are joined with `#`, so a part that comes from a caller has its own `#` escaped.

use std::borrow::Cow;

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
pub fn report(venue_id: &str, month: &holdfast_domain::Month, shard: u32) -> (String, String) {
    (
        format!("VENUE#{venue_id}"),
        format!("REPORT#{month}#{shard:02}"),
    )
}

/// The partition and sort-key prefix of every shard of a venue-month's counters.
pub fn report_shards(venue_id: &str, month: &holdfast_domain::Month) -> (String, String) {
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

/// A calendar a resource imports, beside the resource.
pub fn calendar(resource_id: &str, calendar_id: &str) -> (String, String) {
    (
        format!("RESOURCE#{resource_id}"),
        format!("CALENDAR#{calendar_id}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_of_different_callers_never_collide() {
        // Without escaping, both would be IDEMPOTENCY#ana#x#y.
        assert_ne!(idempotency("ana#x", "y"), idempotency("ana", "x#y"));
        assert_ne!(idempotency("ana%23x", "y"), idempotency("ana#x", "y"));
        assert_eq!(idempotency("ana", "key-1").0, "IDEMPOTENCY#ana#key-1");
    }
}
