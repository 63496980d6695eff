//! Mercado Pago OAuth as stored: a connect in progress (`OAUTH#{nonce}`, taken once or gone in
//! 15 minutes) and the accounts whose tokens the refresh job renews, with its failures and the
//! alert that the third in a row writes to the outbox.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem, Update};
use holdfast_domain::oauth::ALERT_AFTER;
use holdfast_domain::{AccountSummary, Notice, PaymentProvider, Secret, VenueId};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use crate::accounts::account_item;
use crate::conditions::if_condition_held;
use crate::item::{Item, ItemError, n, s};
use crate::keys::{self, attr, kind};
use crate::projection::projected;
use crate::transact::{Backoff, Refused};
use crate::{Store, StoreError, index};

/// How long a pending connect is kept: longer than its state verifies (10 minutes), so that
/// a state still good always finds its verifier; DynamoDB's TTL purges it afterwards.
pub const PENDING_CONNECT_LIFETIME: SignedDuration = SignedDuration::from_secs(15 * 60);

/// The refresh list shares `gsi3` with the held bookings: its own partitions (`TOKENS#…`),
/// so neither job ever reads the other's items.
const TOKENS_INDEX: &str = index::HELD;

/// A connect started by an admin and not yet finished: the venue it is for and the PKCE
/// verifier that alone can redeem its authorization code. The verifier never leaves the
/// server: it is sent only to Mercado Pago's token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingConnect {
    pub nonce: String,
    pub venue_id: VenueId,
    pub code_verifier: Secret,
    /// The admin who started it (their `sub`), for the log of who connected the account.
    pub started_by: String,
    /// When the item is forgotten (DynamoDB TTL).
    pub expires_at: Timestamp,
}

impl PendingConnect {
    pub fn new(
        nonce: String,
        venue_id: String,
        code_verifier: Secret,
        started_by: String,
        now: Timestamp,
    ) -> PendingConnect {
        PendingConnect {
            nonce,
            venue_id: venue_id.into(),
            code_verifier,
            started_by,
            expires_at: now
                .checked_add(PENDING_CONNECT_LIFETIME)
                .unwrap_or(Timestamp::MAX),
        }
    }
}

impl From<&PendingConnect> for Item {
    fn from(pending: &PendingConnect) -> Item {
        let mut item = Item::keyed(keys::oauth_state(&pending.nonce));
        item.put(attr::TYPE, s(kind::OAUTH_STATE));
        item.put(attr::NONCE, s(&pending.nonce));
        item.put(attr::VENUE_ID, s(&pending.venue_id));
        item.put(attr::CODE_VERIFIER, s(pending.code_verifier.expose()));
        item.put(attr::STARTED_BY, s(&pending.started_by));
        item.put(attr::EXPIRES_AT, s(keys::instant(pending.expires_at)));
        item.put(attr::TTL, n(pending.expires_at.as_second()));
        item
    }
}

impl TryFrom<&Item> for PendingConnect {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<PendingConnect, ItemError> {
        Ok(PendingConnect {
            nonce: item.string(attr::NONCE)?.to_string(),
            venue_id: item.string(attr::VENUE_ID)?.into(),
            code_verifier: Secret::new(item.string(attr::CODE_VERIFIER)?),
            started_by: item.string(attr::STARTED_BY)?.to_string(),
            expires_at: item.parsed(attr::EXPIRES_AT)?,
        })
    }
}

/// A Mercado Pago account on the refresh list, as the index shows it (a moment behind the table:
/// the refresh reads the credentials themselves again before using them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAccount {
    pub venue_id: VenueId,
    pub expires_at: Timestamp,
    /// When its credentials were last written.
    pub updated_at: Timestamp,
    /// Refreshes failed in a row since the credentials were last written.
    pub refresh_failures: u32,
}

impl TryFrom<&Item> for DueAccount {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<DueAccount, ItemError> {
        Ok(DueAccount {
            venue_id: item.string(attr::VENUE_ID)?.into(),
            expires_at: item.parsed(attr::EXPIRES_AT)?,
            updated_at: item.parsed(attr::UPDATED_AT)?,
            refresh_failures: item.opt_number(attr::REFRESH_FAILURES)?.unwrap_or(0),
        })
    }
}

fn account_key(venue_id: &VenueId) -> (String, String) {
    keys::account(venue_id, PaymentProvider::MercadoPago.as_str())
}

fn blob(bytes: &[u8]) -> AttributeValue {
    AttributeValue::B(Blob::new(bytes.to_vec()))
}

/// The count a failure finds when it is the one that alerts: only the transaction that writes
/// the alert may move the count from here.
const BEFORE_ALERT: u32 = ALERT_AFTER - 1;

// A count of zero is an absent attribute, which the conditions below do not spell: the alert
// comes from the second failure at the earliest.
const _: () = assert!(ALERT_AFTER >= 2);

/// How a failed refresh is counted (the same for the failure that alerts and those that do not),
/// through placeholders its callers name: `#last_refresh_error`, `#last_refresh_failed_at`,
/// `#refresh_failures`.
const COUNT_FAILURE: &str = "SET #last_refresh_error = :error, #last_refresh_failed_at = :at \
                             ADD #refresh_failures :one";

/// How often a failure is tried again when other failures of the same credentials keep being
/// counted between its attempts (overlapping runs): far more than can overlap.
const COUNT_ATTEMPTS: u32 = 8;

/// What one plain count of a failure came to.
enum Counted {
    /// Counted: the failures in a row now.
    Now(u32),
    /// Its condition failed: the credentials changed, or this failure is the one that alerts.
    Refused,
    /// The alert's transaction held the item at that moment: try again.
    Raced,
}

/// The name of a streak of failed refreshes: the credentials they failed with. A failure is
/// counted only against the sealed credentials it was made with, and only writing new ones (a
/// refresh that worked, tokens put by an admin, a reconnect) clears the count; sealed
/// credentials are never sealed twice alike (KMS draws a fresh IV each time). So a streak has
/// one name and the next streak another, whatever the clock says (two streaks may start in the
/// same second; a run may repeat), with nothing more to store. 64 bits of the SHA-256 of the
/// ciphertext: they tell nothing of the tokens.
pub(crate) fn streak_of(sealed: &[u8]) -> String {
    hex::encode(&Sha256::digest(sealed)[..8])
}

impl Store {
    /// Records a connect just started. Its nonce is fresh: one already taken is an id collision.
    pub async fn put_oauth_state(&self, pending: &PendingConnect) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Item::from(pending).0))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", attr::PK)
            .send()
            .await;
        if_condition_held(put)?
            .map(drop)
            .ok_or(StoreError::DuplicateId)
    }

    /// Takes the connect of `nonce` off the table and answers it, once: one conditional delete,
    /// so of two returns with the same state only one finds it, and a state used before finds
    /// nothing. Its freshness is the state's to prove (it verifies for 10 minutes, the item is
    /// kept 15), since DynamoDB purges expired items only eventually.
    pub async fn take_oauth_state(
        &self,
        nonce: &str,
    ) -> Result<Option<PendingConnect>, StoreError> {
        let (pk, sk) = keys::oauth_state(nonce);
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(attr::PK, s(pk))
            .key(attr::SK, s(sk))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", attr::PK)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match if_condition_held(deleted)?.and_then(|out| out.attributes) {
            Some(attributes) if !attributes.is_empty() => {
                Ok(Some(PendingConnect::try_from(&Item(attributes))?))
            }
            _ => Ok(None),
        }
    }

    /// Mercado Pago accounts whose tokens are still alive at `alive_at` and expire before
    /// `before`, soonest first within each shard, at most `limit`: one query per shard of the
    /// refresh list, never a scan. Expired tokens cannot be renewed (the seller must connect
    /// again), so they are not read: they would only crowd out the ones that still can be.
    /// An item that does not read is handed back as its error, so that one cannot stop the rest.
    pub async fn mercadopago_accounts_due(
        &self,
        alive_at: Timestamp,
        before: Timestamp,
        limit: usize,
    ) -> Result<Vec<Result<DueAccount, ItemError>>, StoreError> {
        let mut found = Vec::new();
        for shard in 0..keys::TOKEN_SHARDS {
            let remaining = limit.saturating_sub(found.len());
            if remaining == 0 {
                break;
            }
            // `{expires_at}#{venue_id}` sorts by expiry; `before` itself sorts below any key of
            // that instant, so BETWEEN stops short of it.
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(TOKENS_INDEX)
                .key_condition_expression("#gsi3pk = :pk AND #gsi3sk BETWEEN :from AND :to")
                .expression_attribute_names("#gsi3pk", attr::GSI3PK)
                .expression_attribute_names("#gsi3sk", attr::GSI3SK)
                .expression_attribute_values(":pk", s(keys::tokens_due(shard)))
                .expression_attribute_values(":from", s(keys::instant(alive_at)))
                .expression_attribute_values(":to", s(keys::instant(before)))
                .limit(i32::try_from(remaining).unwrap_or(i32::MAX));
            let query = projected(
                query,
                &[
                    attr::PK,
                    attr::SK,
                    attr::VENUE_ID,
                    attr::EXPIRES_AT,
                    attr::UPDATED_AT,
                    attr::REFRESH_FAILURES,
                ],
            );
            found.extend(self.query_items(query, remaining).await?);
        }
        Ok(found.iter().map(DueAccount::try_from).collect())
    }

    /// Stores the tokens a refresh of `venue_id`'s account brought, through the same item as
    /// [`Store::put_account`] (so its failures are cleared), if the stored credentials are still
    /// `seen_sealed`, the ones refreshed. Sealed credentials are never sealed twice alike (KMS
    /// draws a fresh IV each time), so they tell versions apart where a timestamp to the second
    /// could not. `false` when they changed meanwhile (reconnected, removed, or refreshed by an
    /// overlapping run): the newer write stands.
    pub async fn put_refreshed_account(
        &self,
        venue_id: &VenueId,
        summary: &AccountSummary,
        sealed: Vec<u8>,
        seen_sealed: &[u8],
    ) -> Result<bool, StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(account_item(venue_id, summary, sealed).0))
            .condition_expression("#sealed = :seen")
            .expression_attribute_names("#sealed", attr::SEALED)
            .expression_attribute_values(":seen", blob(seen_sealed))
            .send()
            .await;
        Ok(if_condition_held(put)?.is_some())
    }

    /// Counts one more failed refresh of `venue_id`'s Mercado Pago account and keeps `error`
    /// (already free of any token) to show in its listing, if the stored credentials are still
    /// `seen_sealed`, the ones that failed. Answers the failures in a row now counted and, for
    /// the failure that makes [`ALERT_AFTER`] in a row, the alert to hand to the queue
    /// ([`Notice::account_failing`], named by the streak): it is written to the outbox in the
    /// same transaction as that count, conditioned on the count before it, so however many runs
    /// overlap, exactly one failure of a streak carries it and a fourth carries none. `None`
    /// when the account changed or went meanwhile (nothing is held against newer credentials,
    /// and no item is made up for a removed account).
    pub async fn record_refresh_failure(
        &self,
        venue_id: &VenueId,
        seen_sealed: &[u8],
        error: &str,
        at: Timestamp,
    ) -> Result<Option<(u32, Option<Notice>)>, StoreError> {
        let mut backoff = Backoff::new(COUNT_ATTEMPTS);
        loop {
            // Any count but the one before the alert: a plain update, as ever.
            match self.count_failure(venue_id, seen_sealed, error, at).await? {
                Counted::Now(failures) => return Ok(Some((failures, None))),
                Counted::Raced => {}
                Counted::Refused => {
                    // The credentials changed, or this is the failure that alerts.
                    let notice = Notice::account_failing(venue_id, &streak_of(seen_sealed), at);
                    let actions = vec![
                        self.count_alerting_failure(venue_id, seen_sealed, error, at)?,
                        self.put_notice(&notice)?,
                    ];
                    match self.transact(actions).await {
                        Ok(()) => return Ok(Some((ALERT_AFTER, Some(notice)))),
                        Err(Refused::Store(err)) => return Err(err),
                        Err(Refused::Conditions(_)) => {}
                    }
                    // Refused again: the credentials changed (nothing to count), or another
                    // failure of the same ones was counted between the two (it alerted, or
                    // moved the count up to the one before the alert): count this one again.
                    if !self.still_sealed(venue_id, seen_sealed).await? {
                        return Ok(None);
                    }
                }
            }
            if !backoff.wait().await {
                return Err(StoreError::Contended {
                    attempts: backoff.attempts(),
                });
            }
        }
    }

    /// A failure counted on its own, unless the count stands one short of the alert (that move
    /// is the alert transaction's alone).
    async fn count_failure(
        &self,
        venue_id: &VenueId,
        seen_sealed: &[u8],
        error: &str,
        at: Timestamp,
    ) -> Result<Counted, StoreError> {
        let (pk, sk) = account_key(venue_id);
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::PK, s(pk))
            .key(attr::SK, s(sk))
            .update_expression(COUNT_FAILURE)
            .condition_expression(
                "#sealed = :seen AND \
                 (attribute_not_exists(#refresh_failures) OR #refresh_failures <> :before_alert)",
            )
            .expression_attribute_names("#last_refresh_error", attr::LAST_REFRESH_ERROR)
            .expression_attribute_names("#last_refresh_failed_at", attr::LAST_REFRESH_FAILED_AT)
            .expression_attribute_names("#refresh_failures", attr::REFRESH_FAILURES)
            .expression_attribute_names("#sealed", attr::SEALED)
            .expression_attribute_values(":error", s(error))
            .expression_attribute_values(":at", s(keys::instant(at)))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":seen", blob(seen_sealed))
            .expression_attribute_values(":before_alert", n(BEFORE_ALERT))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match updated {
            Ok(out) => {
                let item = Item(out.attributes.unwrap_or_default());
                Ok(Counted::Now(item.number(attr::REFRESH_FAILURES)?))
            }
            Err(err) => match err.as_service_error() {
                Some(e) if e.is_conditional_check_failed_exception() => Ok(Counted::Refused),
                // A plain write meeting a transaction in progress on its item is refused.
                Some(e) if e.is_transaction_conflict_exception() => Ok(Counted::Raced),
                _ => Err(err.into()),
            },
        }
    }

    /// The count of the failure that alerts, for the transaction with its notice: only from
    /// the count one short of the alert, so of two failures racing there one alone commits.
    fn count_alerting_failure(
        &self,
        venue_id: &VenueId,
        seen_sealed: &[u8],
        error: &str,
        at: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        let (pk, sk) = account_key(venue_id);
        let update = Update::builder()
            .table_name(&self.table)
            .key(attr::PK, s(pk))
            .key(attr::SK, s(sk))
            .update_expression(COUNT_FAILURE)
            .condition_expression("#sealed = :seen AND #refresh_failures = :before_alert")
            .expression_attribute_names("#last_refresh_error", attr::LAST_REFRESH_ERROR)
            .expression_attribute_names("#last_refresh_failed_at", attr::LAST_REFRESH_FAILED_AT)
            .expression_attribute_names("#refresh_failures", attr::REFRESH_FAILURES)
            .expression_attribute_names("#sealed", attr::SEALED)
            .expression_attribute_values(":error", s(error))
            .expression_attribute_values(":at", s(keys::instant(at)))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":seen", blob(seen_sealed))
            .expression_attribute_values(":before_alert", n(BEFORE_ALERT))
            .build()?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Whether `venue_id`'s Mercado Pago credentials are still `seen_sealed`.
    async fn still_sealed(
        &self,
        venue_id: &VenueId,
        seen_sealed: &[u8],
    ) -> Result<bool, StoreError> {
        let item = self.get(account_key(venue_id)).await?;
        Ok(matches!(
            item.as_ref().and_then(|i| i.0.get(attr::SEALED)),
            Some(AttributeValue::B(sealed)) if sealed.as_ref() == seen_sealed
        ))
    }

    /// The refreshes of `venue_id`'s Mercado Pago account failed in a row now (read
    /// consistently); `None` when it has no such account.
    pub async fn refresh_failures(&self, venue_id: &VenueId) -> Result<Option<u32>, StoreError> {
        let (pk, sk) = account_key(venue_id);
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(attr::PK, s(pk))
            .key(attr::SK, s(sk))
            .projection_expression("#pk, #refresh_failures")
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_names("#refresh_failures", attr::REFRESH_FAILURES)
            .consistent_read(true)
            .send()
            .await?;
        match out.item {
            Some(item) => Ok(Some(
                Item(item).opt_number(attr::REFRESH_FAILURES)?.unwrap_or(0),
            )),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_pending_connect_reads_back_as_written_and_expires_in_fifteen_minutes() {
        let pending = PendingConnect::new(
            "4f0c".into(),
            "ven_1".into(),
            Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "staff-1".into(),
            now(),
        );
        let item = Item::from(&pending);
        assert_eq!(item.string("pk").unwrap(), "OAUTH#4f0c");
        assert_eq!(item.string("sk").unwrap(), "OAUTH");
        assert_eq!(
            item.number::<i64>("ttl").unwrap(),
            now().as_second() + 15 * 60
        );
        assert_eq!(PendingConnect::try_from(&item).unwrap(), pending);
        assert!(!format!("{pending:?}").contains("dBjftJeZ"));
    }

    #[test]
    fn a_pending_connect_missing_its_verifier_does_not_read() {
        let mut item = Item::from(&PendingConnect::new(
            "n".into(),
            "ven_1".into(),
            Secret::new("v"),
            "staff-1".into(),
            now(),
        ));
        item.0.remove("code_verifier");
        assert_eq!(
            PendingConnect::try_from(&item).unwrap_err().attribute,
            "code_verifier"
        );
    }

    #[test]
    fn a_due_account_reads_its_failures_zero_when_none_were_counted() {
        let summary = AccountSummary {
            provider: PaymentProvider::MercadoPago,
            key_hint: None,
            user_id: Some("42".into()),
            expires_at: Some("2026-12-01T00:00:00Z".parse().unwrap()),
            last_refresh_error: None,
            updated_at: now(),
        };
        let mut item = account_item(&"ven_1".into(), &summary, vec![9]);
        let due = DueAccount::try_from(&item).unwrap();
        assert_eq!(
            due,
            DueAccount {
                venue_id: "ven_1".into(),
                expires_at: "2026-12-01T00:00:00Z".parse().unwrap(),
                updated_at: now(),
                refresh_failures: 0,
            }
        );
        item.put("refresh_failures", n(2));
        assert_eq!(DueAccount::try_from(&item).unwrap().refresh_failures, 2);
        item.put("refresh_failures", s("two"));
        assert!(DueAccount::try_from(&item).is_err());
    }

    #[test]
    fn accounts_spread_over_the_token_shards() {
        let shards: std::collections::HashSet<u32> = (0..64)
            .map(|i| keys::tokens_shard(&format!("ven_{i:032x}")))
            .collect();
        assert!(shards.iter().all(|s| *s < keys::TOKEN_SHARDS));
        assert_eq!(shards.len(), keys::TOKEN_SHARDS as usize);
        assert_eq!(keys::tokens_due(3), "TOKENS#3");
    }

    #[test]
    fn a_streak_is_named_by_the_credentials_it_failed_with() {
        let streak = streak_of(b"sealed credentials, version 1");
        assert_eq!(streak.len(), 16);
        assert!(streak.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(streak, streak_of(b"sealed credentials, version 1"));
        assert_ne!(streak, streak_of(b"sealed credentials, version 2"));
        let notice = Notice::account_failing(&"ven_1".into(), &streak, now());
        assert_eq!(notice.notice_id, format!("ven_1.account_failing.{streak}"));
    }

    #[test]
    fn nonces_cannot_reach_another_key() {
        assert_eq!(keys::oauth_state("a#b").0, "OAUTH#a%23b");
    }
}
