//! Bookings and their locks: one lock item per unit, written in the same transaction as the
//! booking, so that a unit is sold once however many requests race for it.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use holdfast_domain::{Booking, BookingStatus, Unit, format_utc};
use jiff::Timestamp;

use crate::item::{Item, keys, n, s};
use crate::page::{Cursor, Page};
use crate::{Backoff, Store, StoreError, index};

/// How many times a transaction that lost a race in flight is tried.
const TRANSACTION_ATTEMPTS: u32 = 10;

/// The first response to an `Idempotency-Key`, kept to answer the same request again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub caller: String,
    pub key: String,
    /// SHA-256 of the canonical request body.
    pub request_hash: String,
    pub status: u16,
    pub body: String,
    /// When the record may be forgotten (DynamoDB TTL, epoch seconds).
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error("{} unit(s) already taken", .0.len())]
    Taken(Vec<Unit>),
    #[error("the idempotency key was used by a request that committed first")]
    IdempotencyKeyUsed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// The booking changed (cancelled, expired, its hold lapsed and was taken over) meanwhile.
    #[error("the booking no longer holds its units")]
    NoLongerHeld,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many places of a unit are taken now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockState {
    pub unit: Unit,
    pub taken: u32,
}

/// Why a transaction did not commit.
enum Refused {
    /// These actions' conditions failed (indexes into the transaction).
    Conditions(Vec<usize>),
    Store(StoreError),
}

/// How a failed transaction's reasons read.
enum Cancelled {
    /// These actions' conditions failed.
    Conditions(Vec<usize>),
    /// Another transaction touched the same items: try again.
    InFlight,
}

fn cancellation(
    err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError>,
) -> Option<Cancelled> {
    let service = err.as_service_error()?;
    if let TransactWriteItemsError::TransactionCanceledException(cancelled) = service {
        let reasons = cancelled.cancellation_reasons();
        let failed: Vec<usize> = reasons
            .iter()
            .enumerate()
            .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
            .map(|(i, _)| i)
            .collect();
        if !failed.is_empty() {
            return Some(Cancelled::Conditions(failed));
        }
        if reasons
            .iter()
            .any(|r| matches!(r.code(), Some("TransactionConflict" | "ThrottlingError")))
        {
            return Some(Cancelled::InFlight);
        }
        return None;
    }
    matches!(
        service.code(),
        Some("TransactionConflictException" | "TransactionInProgressException")
    )
    .then_some(Cancelled::InFlight)
}

fn epoch(t: Timestamp) -> AttributeValue {
    n(t.as_second())
}

fn lock_key(resource_id: &str, unit: &Unit) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), s(keys::locks(resource_id))),
        ("sk".to_string(), s(unit.key())),
    ])
}

impl Store {
    /// Writes `booking` and one lock per unit in one transaction. A unit is free when no lock
    /// holds it or its hold has lapsed (then it is taken over); with `capacity > 1`, a unit
    /// counts its places instead.
    pub async fn create_booking(
        &self,
        booking: &Booking,
        capacity: u32,
        idempotency: Option<&IdempotencyRecord>,
        now: Timestamp,
    ) -> Result<(), BookError> {
        let mut actions = vec![
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(Item::from(booking).0))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .map_err(StoreError::from)?,
                )
                .build(),
        ];
        let idempotency_index = idempotency.map(|record| {
            let mut item = Item::keyed(keys::idempotency(&record.caller, &record.key));
            item.put("type", s("idempotency"));
            item.put("request_hash", s(&record.request_hash));
            item.put("status", n(record.status));
            item.put("body", s(&record.body));
            item.put("booking_id", s(&booking.booking_id));
            item.put("ttl", n(record.expires_at));
            actions.push(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(&self.table)
                            .set_item(Some(item.0))
                            .condition_expression("attribute_not_exists(pk)")
                            .build()
                            .map_err(StoreError::from)?,
                    )
                    .build(),
            );
            Ok::<usize, StoreError>(actions.len() - 1)
        });
        let idempotency_index = idempotency_index.transpose()?;
        let first_lock = actions.len();
        for unit in &booking.units {
            actions.push(self.take_unit(booking, unit, capacity, now)?);
        }

        match self.transact(actions).await {
            Ok(()) => Ok(()),
            Err(Refused::Conditions(failed)) => {
                if idempotency_index.is_some_and(|i| failed.contains(&i)) {
                    return Err(BookError::IdempotencyKeyUsed);
                }
                let taken: Vec<Unit> = failed
                    .iter()
                    .filter(|&&i| i >= first_lock)
                    .filter_map(|&i| booking.units.get(i - first_lock).copied())
                    .collect();
                if taken.is_empty() {
                    // Only the booking's own put failed: its id is taken, not a unit.
                    return Err(StoreError::DuplicateId.into());
                }
                Err(BookError::Taken(taken))
            }
            Err(Refused::Store(err)) => Err(err.into()),
        }
    }

    /// Runs one transaction, retrying it with jittered backoff while it loses races in flight.
    async fn transact(&self, actions: Vec<TransactWriteItem>) -> Result<(), Refused> {
        let mut backoff = Backoff::new(TRANSACTION_ATTEMPTS);
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(actions.clone()))
                .send()
                .await;
            let Err(err) = result else { return Ok(()) };
            match cancellation(&err) {
                Some(Cancelled::Conditions(failed)) => return Err(Refused::Conditions(failed)),
                Some(Cancelled::InFlight) if backoff.wait().await => {}
                Some(Cancelled::InFlight) => {
                    let attempts = backoff.attempts();
                    return Err(Refused::Store(StoreError::Contended { attempts }));
                }
                None => return Err(Refused::Store(err.into())),
            }
        }
    }

    fn take_unit(
        &self,
        booking: &Booking,
        unit: &Unit,
        capacity: u32,
        now: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        if capacity > 1 {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(lock_key(&booking.resource_id, unit)))
                .update_expression("SET #type = :lock, resource_id = :rid ADD taken :one")
                .condition_expression("attribute_not_exists(taken) OR taken < :capacity")
                .expression_attribute_names("#type", "type")
                .expression_attribute_values(":lock", s("lock"))
                .expression_attribute_values(":rid", s(&booking.resource_id))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":capacity", n(capacity))
                .build()?;
            return Ok(TransactWriteItem::builder().update(update).build());
        }
        let mut lock = Item(lock_key(&booking.resource_id, unit));
        lock.put("type", s("lock"));
        lock.put("resource_id", s(&booking.resource_id));
        lock.put("booking_id", s(&booking.booking_id));
        if let Some(expires) = booking.hold_expires_at {
            lock.put("expires_at", epoch(expires));
        }
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(lock.0))
            .condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
            .expression_attribute_values(":now", epoch(now))
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn release_unit(
        &self,
        booking: &Booking,
        unit: &Unit,
        capacity: u32,
    ) -> Result<TransactWriteItem, StoreError> {
        if capacity > 1 {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(lock_key(&booking.resource_id, unit)))
                .update_expression("ADD taken :minus_one")
                .condition_expression("taken > :zero")
                .expression_attribute_values(":minus_one", n(-1))
                .expression_attribute_values(":zero", n(0))
                .build()?;
            return Ok(TransactWriteItem::builder().update(update).build());
        }
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(lock_key(&booking.resource_id, unit)))
            .condition_expression("booking_id = :id")
            .expression_attribute_values(":id", s(&booking.booking_id))
            .build()?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// The booking's move from its current status to `to`, on condition that it is still
    /// current (and, for a hold, unexpired or lapsed as `hold_must_be_live` says).
    fn status_change(
        &self,
        booking: &Booking,
        to: BookingStatus,
        now: Timestamp,
        hold_must_be_live: Option<bool>,
    ) -> Result<Update, StoreError> {
        let (pk, sk) = keys::booking(&booking.booking_id);
        let mut condition = "#status = :from".to_string();
        match hold_must_be_live {
            Some(true) => condition.push_str(
                " AND (attribute_not_exists(hold_expires_at) OR hold_expires_at > :now_s)",
            ),
            Some(false) => condition.push_str(" AND hold_expires_at <= :now_s"),
            None => {}
        }
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET #status = :to, updated_at = :now_s REMOVE gsi3pk, gsi3sk")
            .condition_expression(condition)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", s(booking.status.as_str()))
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":now_s", s(format_utc(now)));
        Ok(update.build()?)
    }

    /// Cancels a held or confirmed booking and frees its units, in one transaction.
    pub async fn cancel_booking(
        &self,
        booking: &Booking,
        capacity: u32,
        now: Timestamp,
    ) -> Result<(), CancelError> {
        let live_hold = (booking.status == BookingStatus::Held).then_some(true);
        let mut actions = vec![
            TransactWriteItem::builder()
                .update(self.status_change(booking, BookingStatus::Cancelled, now, live_hold)?)
                .build(),
        ];
        for unit in &booking.units {
            actions.push(self.release_unit(booking, unit, capacity)?);
        }
        match self.transact(actions).await {
            Ok(()) => Ok(()),
            Err(Refused::Conditions(_)) => Err(CancelError::NoLongerHeld),
            Err(Refused::Store(err)) => Err(err.into()),
        }
    }

    /// Marks a lapsed hold expired and tidies its locks; `false` when it was not a lapsed hold
    /// any more (paid, cancelled or expired meanwhile).
    pub async fn expire_booking(
        &self,
        booking: &Booking,
        capacity: u32,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let change = self.status_change(booking, BookingStatus::Expired, now, Some(false))?;
        if capacity > 1 {
            // Counted places are not taken over: they come back only here, with the status, at once.
            let mut actions = vec![TransactWriteItem::builder().update(change).build()];
            for unit in &booking.units {
                actions.push(self.release_unit(booking, unit, capacity)?);
            }
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(actions))
                .send()
                .await;
            return match result {
                Ok(_) => Ok(true),
                Err(err) => match cancellation(&err) {
                    Some(Cancelled::Conditions(_)) | Some(Cancelled::InFlight) => Ok(false),
                    None => Err(err.into()),
                },
            };
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(change.key))
            .update_expression(change.update_expression)
            .set_condition_expression(change.condition_expression)
            .set_expression_attribute_names(change.expression_attribute_names)
            .set_expression_attribute_values(change.expression_attribute_values)
            .send()
            .await;
        if let Err(err) = result {
            return match err.as_service_error() {
                Some(e) if e.is_conditional_check_failed_exception() => Ok(false),
                _ => Err(err.into()),
            };
        }
        // A lapsed lock is free already; deleting it only tidies, and one taken over by a new
        // booking is not ours to delete.
        for unit in &booking.units {
            let deleted = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(lock_key(&booking.resource_id, unit)))
                .condition_expression("booking_id = :id")
                .expression_attribute_values(":id", s(&booking.booking_id))
                .send()
                .await;
            if let Err(err) = deleted {
                if !err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception())
                {
                    return Err(err.into());
                }
            }
        }
        Ok(true)
    }

    /// Holds whose time ran out by `now`, at most `limit`, read from every shard.
    pub async fn lapsed_holds(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Booking>, StoreError> {
        let mut lapsed = Vec::new();
        for shard in 0..index::HELD_SHARDS {
            let remaining = limit.saturating_sub(lapsed.len());
            if remaining == 0 {
                break;
            }
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index::HELD)
                .key_condition_expression("gsi3pk = :shard AND gsi3sk < :now")
                .expression_attribute_values(":shard", s(format!("HELD#{shard}")))
                .expression_attribute_values(":now", s(format_utc(now)))
                .limit(i32::try_from(remaining).unwrap_or(i32::MAX));
            for item in self.query_items(query, remaining).await? {
                lapsed.push(Booking::try_from(&item)?);
            }
        }
        Ok(lapsed)
    }

    pub async fn booking(&self, booking_id: &str) -> Result<Option<Booking>, StoreError> {
        match self.get(keys::booking(booking_id)).await? {
            Some(item) => Ok(Some(Booking::try_from(&item)?)),
            None => Ok(None),
        }
    }

    pub async fn idempotency_record(
        &self,
        caller: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let Some(item) = self.get(keys::idempotency(caller, key)).await? else {
            return Ok(None);
        };
        Ok(Some(IdempotencyRecord {
            caller: caller.to_string(),
            key: key.to_string(),
            request_hash: item.string("request_hash")?.to_string(),
            status: item.number("status")?,
            body: item.string("body")?.to_string(),
            expires_at: item.number("ttl")?,
        }))
    }

    /// The units of a resource with keys in `[from_key, to_key]` that are taken at `now`: one
    /// query on its locks, which carry no customer data.
    pub async fn taken_units(
        &self,
        resource_id: &str,
        from_key: &str,
        to_key: &str,
        now: Timestamp,
    ) -> Result<Vec<LockState>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(keys::locks(resource_id)))
            .expression_attribute_values(":from", s(from_key))
            .expression_attribute_values(":to", s(to_key))
            .projection_expression("sk, expires_at, taken")
            .consistent_read(true);
        let mut taken = Vec::new();
        for item in self.query_items(query, usize::MAX).await? {
            let Some(unit) = Unit::from_key(item.string("sk")?) else {
                continue;
            };
            let count = match item.opt_number::<u32>("taken")? {
                Some(count) => count,
                None => match item.opt_number::<i64>("expires_at")? {
                    Some(expires) if expires <= now.as_second() => 0,
                    _ => 1,
                },
            };
            if count > 0 {
                taken.push(LockState { unit, taken: count });
            }
        }
        Ok(taken)
    }

    /// A caller's bookings, newest first.
    pub async fn owner_bookings(
        &self,
        owner: &str,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Booking>, StoreError> {
        let start = match cursor {
            Some(c) if c.partition.is_none() => c.start_key(&["pk", "sk", "gsi1pk", "gsi1sk"])?,
            Some(_) => return Err(StoreError::BadCursor),
            None => None,
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index::BY_OWNER)
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", s(keys::owner(owner)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(100))
            .set_exclusive_start_key(start)
            .send()
            .await?;
        let items = out
            .items()
            .iter()
            .map(|i| Booking::try_from(&Item(i.clone())))
            .collect::<Result<_, _>>()?;
        let next = out.last_evaluated_key().map(|k| Cursor::from_key(None, k));
        Ok(Page { items, next })
    }

    /// A venue's bookings starting on the local `days` given (in order), by start time,
    /// optionally of one status.
    pub async fn venue_bookings(
        &self,
        venue_id: &str,
        days: &[String],
        status: Option<BookingStatus>,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Booking>, StoreError> {
        let (first_day, mut start) = match cursor {
            Some(c) => {
                let day = c.partition.as_deref().ok_or(StoreError::BadCursor)?;
                let at = days
                    .iter()
                    .position(|d| d == day)
                    .ok_or(StoreError::BadCursor)?;
                (at, c.start_key(&["pk", "sk", "gsi2pk", "gsi2sk"])?)
            }
            None => (0, None),
        };
        let mut items = Vec::new();
        for (at, day) in days.iter().enumerate().skip(first_day) {
            loop {
                let remaining = limit - items.len();
                let mut query = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(index::BY_VENUE_DAY)
                    .key_condition_expression("gsi2pk = :pk")
                    .expression_attribute_values(":pk", s(keys::venue_day(venue_id, day)))
                    .limit(i32::try_from(remaining).unwrap_or(100))
                    .set_exclusive_start_key(start.take());
                if let Some(status) = status {
                    query = query
                        .filter_expression("#status = :status")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":status", s(status.as_str()));
                }
                let out = query.send().await?;
                for item in out.items() {
                    items.push(Booking::try_from(&Item(item.clone()))?);
                }
                let last = out.last_evaluated_key().cloned();
                if items.len() >= limit {
                    let next = match (&last, days.get(at + 1)) {
                        (Some(key), _) => Some(Cursor::from_key(Some(day.clone()), key)),
                        (None, Some(next_day)) => Some(Cursor {
                            partition: Some(next_day.clone()),
                            key: Default::default(),
                        }),
                        (None, None) => None,
                    };
                    return Ok(Page { items, next });
                }
                match last {
                    Some(key) => start = Some(key),
                    None => break,
                }
            }
        }
        Ok(Page { items, next: None })
    }
}
