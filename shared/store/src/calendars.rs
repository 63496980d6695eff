//! Imported calendars and their blocks: a calendar item beside its resource, and per unit a
//! lock owned by the calendar written together with the calendar's record of it, so that a
//! sync interrupted anywhere leaves no orphan lock and the next one converges.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use holdfast_domain::ids::{BookingId, CalendarId, ResourceId};
use holdfast_domain::{
    BookingCalendarConflict, Calendar, CalendarConflict, Notice, SyncStatus, Unit,
};
use jiff::Timestamp;

use crate::bookings::{Owner, calendar_conflict_item, epoch, lock_key};
use crate::item::{Item, ItemError, n, s};
use crate::keys::{self, attr, kind};
use crate::locks::{Claimant, Contested};
use crate::transact::Refused;
use crate::{Store, StoreError, index};

/// Partitions the calendars-to-sync list spreads over.
pub const SYNC_SHARDS: u32 = 4;

/// Units written per transaction: each is two actions (the lock and the calendar's record).
const UNITS_PER_TRANSACTION: usize = 40;

fn sync_shard(calendar_id: &CalendarId) -> u32 {
    keys::held_shard(calendar_id) % SYNC_SHARDS
}

fn conflict_item(conflict: &CalendarConflict) -> AttributeValue {
    AttributeValue::M(HashMap::from([
        (attr::UID.to_string(), s(&conflict.uid)),
        (attr::START.to_string(), s(keys::instant(conflict.start))),
        (attr::END.to_string(), s(keys::instant(conflict.end))),
        (attr::BOOKING_ID.to_string(), s(&conflict.booking_id)),
    ]))
}

fn read_conflict(item: &Item, value: &AttributeValue) -> Result<CalendarConflict, ItemError> {
    let map = value
        .as_m()
        .map_err(|_| item.error(attr::CONFLICTS, "holds a non-map"))?;
    let text = |name: &str| {
        map.get(name)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| item.error(attr::CONFLICTS, "holds a conflict without its fields"))
    };
    let instant = |name: &str| {
        text(name)?
            .parse::<Timestamp>()
            .map_err(|_| item.error(attr::CONFLICTS, "holds an unreadable instant"))
    };
    Ok(CalendarConflict {
        uid: text(attr::UID)?.to_string(),
        start: instant(attr::START)?,
        end: instant(attr::END)?,
        booking_id: text(attr::BOOKING_ID)?.into(),
    })
}

impl From<&Calendar> for Item {
    fn from(calendar: &Calendar) -> Item {
        let mut item = Item::keyed(keys::calendar(&calendar.resource_id, &calendar.calendar_id));
        item.put(attr::TYPE, s(kind::CALENDAR));
        item.put(attr::CALENDAR_ID, s(&calendar.calendar_id));
        item.put(attr::RESOURCE_ID, s(&calendar.resource_id));
        item.put(attr::VENUE_ID, s(&calendar.venue_id));
        item.put(attr::NAME, s(&calendar.name));
        item.put(attr::URL, s(&calendar.url));
        item.put(attr::STATUS, s(calendar.status.as_str()));
        // Soonest due first: the job takes what it owes a sync, most overdue first, and health
        // reads the stalest from the head.
        item.put(
            attr::GSI3PK,
            s(keys::calendars_to_sync(sync_shard(&calendar.calendar_id))),
        );
        item.put(
            attr::GSI3SK,
            s(format!(
                "{}#{}",
                keys::instant(calendar.due_at()),
                calendar.calendar_id
            )),
        );
        if calendar.unfinished {
            item.put(attr::UNFINISHED, AttributeValue::Bool(true));
        }
        for (name, value) in [
            (attr::LAST_SYNC_AT, calendar.last_sync_at),
            (attr::LAST_SUCCESS_AT, calendar.last_success_at),
        ] {
            if let Some(at) = value {
                item.put(name, s(keys::instant(at)));
            }
        }
        for (name, value) in [
            (attr::LAST_ERROR, &calendar.last_error),
            (attr::ETAG, &calendar.etag),
            (attr::LAST_MODIFIED, &calendar.last_modified),
        ] {
            if let Some(text) = value {
                item.put(name, s(text));
            }
        }
        item.put(attr::CONSECUTIVE_FAILURES, n(calendar.consecutive_failures));
        item.put(attr::BLOCKS, n(calendar.blocks));
        item.put(attr::UNHELD, n(calendar.unheld));
        item.put(attr::RESOURCE_REVISION, n(calendar.resource_revision));
        item.put(
            attr::CONFLICTS,
            AttributeValue::L(calendar.conflicts.iter().map(conflict_item).collect()),
        );
        if !calendar.skipped.is_empty() {
            item.put(
                attr::SKIPPED,
                AttributeValue::M(
                    calendar
                        .skipped
                        .iter()
                        .map(|(reason, count)| (reason.clone(), n(count)))
                        .collect(),
                ),
            );
        }
        item.put(attr::CREATED_AT, s(keys::instant(calendar.created_at)));
        item
    }
}

impl TryFrom<&Item> for Calendar {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<Calendar, ItemError> {
        let conflicts = match item.0.get(attr::CONFLICTS) {
            Some(AttributeValue::L(values)) => values
                .iter()
                .map(|v| read_conflict(item, v))
                .collect::<Result<_, _>>()?,
            _ => Vec::new(),
        };
        let opt_text = |name: &str| -> Result<Option<String>, ItemError> {
            Ok(item.opt_string(name)?.map(str::to_string))
        };
        let opt_instant = |name: &str| -> Result<Option<Timestamp>, ItemError> {
            item.opt_string(name)?
                .map(|t| t.parse().map_err(|_| item.error(name, "does not parse")))
                .transpose()
        };
        Ok(Calendar {
            calendar_id: item.string(attr::CALENDAR_ID)?.into(),
            resource_id: item.string(attr::RESOURCE_ID)?.into(),
            venue_id: item.string(attr::VENUE_ID)?.into(),
            name: item.string(attr::NAME)?.to_string(),
            url: item.string(attr::URL)?.to_string(),
            status: SyncStatus::parse(item.string(attr::STATUS)?)
                .ok_or_else(|| item.error(attr::STATUS, "is no sync status"))?,
            last_sync_at: opt_instant(attr::LAST_SYNC_AT)?,
            last_success_at: opt_instant(attr::LAST_SUCCESS_AT)?,
            last_error: opt_text(attr::LAST_ERROR)?,
            consecutive_failures: item.opt_number(attr::CONSECUTIVE_FAILURES)?.unwrap_or(0),
            blocks: item.opt_number(attr::BLOCKS)?.unwrap_or(0),
            unheld: item.opt_number(attr::UNHELD)?.unwrap_or(0),
            resource_revision: item.opt_number(attr::RESOURCE_REVISION)?.unwrap_or(0),
            conflicts,
            etag: opt_text(attr::ETAG)?,
            last_modified: opt_text(attr::LAST_MODIFIED)?,
            unfinished: match item.0.get(attr::UNFINISHED) {
                None => false,
                Some(AttributeValue::Bool(unfinished)) => *unfinished,
                Some(_) => return Err(item.error(attr::UNFINISHED, "is not a boolean")),
            },
            skipped: match item.0.get(attr::SKIPPED) {
                None => BTreeMap::new(),
                Some(AttributeValue::M(counts)) => counts
                    .iter()
                    .map(|(reason, count)| match count {
                        AttributeValue::N(count) => count
                            .parse()
                            .map(|count| (reason.clone(), count))
                            .map_err(|_| {
                                item.error(attr::SKIPPED, "holds a count that is no number")
                            }),
                        _ => Err(item.error(attr::SKIPPED, "holds a count that is no number")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(item.error(attr::SKIPPED, "is not a map")),
            },
            created_at: item.parsed(attr::CREATED_AT)?,
        })
    }
}

/// Who holds a unit, as an export shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitOwner {
    Booking(String),
    Block {
        calendar_id: CalendarId,
        uid: String,
    },
}

/// What taking a calendar's units came to: the units now its, and those a booking holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Taken {
    pub taken: Vec<Unit>,
    /// Units another owner holds, with the booking that holds each (when it is a booking).
    pub refused: Vec<(Unit, Option<String>)>,
}

impl Store {
    pub async fn put_calendar(&self, calendar: &Calendar) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Item::from(calendar).0));
        put.send().await?;
        Ok(())
    }

    /// Records what a sync came to, with `notice` (staff's alert that it keeps failing) in the
    /// same transaction, on condition the calendar is still registered: `false` when it was
    /// removed meanwhile, and then nothing is written (the caller gives back what it took).
    pub async fn save_sync(
        &self,
        calendar: &Calendar,
        notice: Option<&Notice>,
    ) -> Result<bool, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Item::from(calendar).0))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", attr::PK)
            .build()?;
        let mut actions = vec![TransactWriteItem::builder().put(put).build()];
        if let Some(notice) = notice {
            actions.push(self.put_notice(notice)?);
        }
        match self.transact(actions).await {
            Ok(()) => Ok(true),
            Err(Refused::Conditions(_)) => Ok(false),
            Err(Refused::Store(err)) => Err(err),
        }
    }

    pub async fn calendar(
        &self,
        resource_id: &ResourceId,
        calendar_id: &CalendarId,
    ) -> Result<Option<Calendar>, StoreError> {
        match self.get(keys::calendar(resource_id, calendar_id)).await? {
            Some(item) => Ok(Some(Calendar::try_from(&item)?)),
            None => Ok(None),
        }
    }

    /// A resource's calendars, oldest first.
    pub async fn resource_calendars(
        &self,
        resource_id: &ResourceId,
    ) -> Result<Vec<Calendar>, StoreError> {
        let (pk, _) = keys::calendar(resource_id, "");
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :calendars)")
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_names("#sk", attr::SK)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":calendars", s(keys::CALENDARS))
            .consistent_read(true);
        let items = self.query_items(query, 100).await?;
        Ok(items
            .iter()
            .map(Calendar::try_from)
            .collect::<Result<_, _>>()?)
    }

    pub async fn delete_calendar_item(&self, calendar: &Calendar) -> Result<(), StoreError> {
        self.delete(keys::calendar(&calendar.resource_id, &calendar.calendar_id))
            .await
    }

    /// Calendars due a sync by `now` ([`Calendar::due_at`]), most overdue first per shard, at
    /// most `limit`; an unreadable item is handed back as its error.
    pub async fn calendars_to_sync(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Result<Calendar, ItemError>>, StoreError> {
        let shards = (0..SYNC_SHARDS).map(keys::calendars_to_sync);
        // `~` sorts after every id: one due at this very instant is due.
        let due_by = format!("{}#~", keys::instant(now));
        let items = self
            .sorted_before(
                Some(index::HELD),
                (attr::GSI3PK, attr::GSI3SK),
                shards,
                &due_by,
                limit,
            )
            .await?;
        Ok(items.iter().map(Calendar::try_from).collect())
    }

    /// When the stalest calendar last synced (or was added, if it never has): the head of each
    /// shard of the to-sync list, one item read per shard. The list is in order of when a sync
    /// is due, which puts a calendar never synced up to [`RESYNC_AFTER`] ahead of one synced as
    /// long ago: the age read is the stalest's within that minute.
    ///
    /// [`RESYNC_AFTER`]: holdfast_domain::calendar::RESYNC_AFTER
    pub async fn oldest_calendar_sync(&self) -> Result<Option<Timestamp>, StoreError> {
        let mut oldest: Option<Timestamp> = None;
        for shard in 0..SYNC_SHARDS {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index::HELD)
                .key_condition_expression("#gsi3pk = :pk")
                .expression_attribute_names("#gsi3pk", attr::GSI3PK)
                .expression_attribute_values(":pk", s(keys::calendars_to_sync(shard)))
                .projection_expression("#last_sync_at, #created_at")
                .expression_attribute_names("#last_sync_at", attr::LAST_SYNC_AT)
                .expression_attribute_names("#created_at", attr::CREATED_AT)
                .limit(1)
                .send()
                .await?;
            let head = out.items().first().and_then(|item| {
                [attr::LAST_SYNC_AT, attr::CREATED_AT]
                    .iter()
                    .find_map(|name| item.get(*name).and_then(|v| v.as_s().ok()))
                    .and_then(|at| at.parse::<Timestamp>().ok())
            });
            oldest = match (oldest, head) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(oldest)
    }

    /// The units `calendar_id` holds, each with the UID of the event that holds it.
    pub async fn held_blocks(
        &self,
        calendar_id: &CalendarId,
    ) -> Result<BTreeMap<Unit, String>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_values(":pk", s(keys::calendar_blocks(calendar_id)))
            .consistent_read(true);
        let mut held = BTreeMap::new();
        for item in self.query_items(query, usize::MAX).await? {
            let unit = keys::unit_from(item.string(attr::SK)?)
                .ok_or_else(|| item.error(attr::SK, "is no unit"))?;
            held.insert(unit, item.string(attr::UID)?.to_string());
        }
        Ok(held)
    }

    /// Takes `units` for `calendar_id`: each lock (free, lapsed, or the calendar's already)
    /// with the calendar's record of it, a few dozen per transaction. A unit another owner
    /// holds is refused and named, and the rest are taken all the same.
    pub async fn take_blocks(
        &self,
        resource_id: &ResourceId,
        calendar_id: &CalendarId,
        units: &[(Unit, String)],
        now: Timestamp,
    ) -> Result<Taken, StoreError> {
        let mut outcome = Taken::default();
        for chunk in units.chunks(UNITS_PER_TRANSACTION) {
            let mut pending: Vec<&(Unit, String)> = chunk.iter().collect();
            while !pending.is_empty() {
                let mut actions = Vec::with_capacity(pending.len() * 2);
                let mut contested = Contested {
                    resource_id,
                    claimant: Claimant::Block(calendar_id),
                    locks: Vec::with_capacity(pending.len()),
                    now,
                };
                for (unit, uid) in &pending {
                    contested.locks.push((actions.len(), *unit));
                    actions.push(self.block_lock(resource_id, calendar_id, unit, uid, now)?);
                    actions.push(self.block_record(calendar_id, unit, uid)?);
                }
                match self.transact_claiming(actions, &contested).await {
                    Ok(()) => {
                        outcome.taken.extend(pending.iter().map(|(u, _)| *u));
                        pending.clear();
                    }
                    Err(Refused::Conditions(failed)) => {
                        // Only the locks carry conditions: action 2k is unit k's.
                        let refused: Vec<usize> = failed.iter().map(|i| i / 2).collect();
                        let units: Vec<Unit> = refused
                            .iter()
                            .filter_map(|&k| pending.get(k).map(|(unit, _)| *unit))
                            .collect();
                        // Who holds them, in one read: the booking, when a booking does.
                        let holders = self.read_locks(resource_id, &units).await?;
                        for (unit, lock) in units.into_iter().zip(holders) {
                            outcome
                                .refused
                                .push((unit, lock.and_then(|lock| lock.booking_id)));
                        }
                        pending = pending
                            .into_iter()
                            .enumerate()
                            .filter(|(k, _)| !refused.contains(k))
                            .map(|(_, unit)| unit)
                            .collect();
                    }
                    Err(Refused::Store(err)) => return Err(err),
                }
            }
        }
        Ok(outcome)
    }

    /// Gives `units` back: each lock the calendar still owns, with its record; a record whose
    /// lock is not the calendar's any more is dropped alone.
    pub async fn release_blocks(
        &self,
        resource_id: &ResourceId,
        calendar_id: &CalendarId,
        units: &[Unit],
    ) -> Result<(), StoreError> {
        for chunk in units.chunks(UNITS_PER_TRANSACTION) {
            let mut with_locks = true;
            loop {
                let mut actions = Vec::with_capacity(chunk.len() * 2);
                for unit in chunk {
                    if with_locks {
                        let delete = Delete::builder()
                            .table_name(&self.table)
                            .set_key(Some(lock_key(resource_id, unit)))
                            .condition_expression("attribute_not_exists(#pk) OR #block_of = :cal")
                            .expression_attribute_names("#pk", attr::PK)
                            .expression_attribute_names("#block_of", attr::BLOCK_OF)
                            .expression_attribute_values(":cal", s(calendar_id))
                            .build()?;
                        actions.push(TransactWriteItem::builder().delete(delete).build());
                    }
                    let record = Delete::builder()
                        .table_name(&self.table)
                        .key(attr::PK, s(keys::calendar_blocks(calendar_id)))
                        .key(attr::SK, s(keys::unit(unit)))
                        .build()?;
                    actions.push(TransactWriteItem::builder().delete(record).build());
                }
                match self.transact(actions).await {
                    Ok(()) => break,
                    // A lock someone else holds now (it never was ours to keep): drop the
                    // records of this chunk and let the locks that are ours go one by one.
                    Err(Refused::Conditions(_)) if with_locks => {
                        for unit in chunk {
                            self.delete_lock_of(resource_id, unit, Owner::Calendar(calendar_id))
                                .await?;
                        }
                        with_locks = false;
                    }
                    Err(Refused::Conditions(_)) => break,
                    Err(Refused::Store(err)) => return Err(err),
                }
            }
        }
        Ok(())
    }

    fn block_lock(
        &self,
        resource_id: &ResourceId,
        calendar_id: &CalendarId,
        unit: &Unit,
        uid: &str,
        now: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut lock = Item(lock_key(resource_id, unit));
        lock.put(attr::TYPE, s(kind::LOCK));
        lock.put(attr::RESOURCE_ID, s(resource_id));
        lock.put(attr::BLOCK_OF, s(calendar_id));
        lock.put(attr::BLOCK_UID, s(uid));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(lock.0))
            // Free: no lock, a lapsed hold's, a class's counter with no place taken, or ours.
            .condition_expression(
                "attribute_not_exists(#pk) OR #block_of = :cal OR (attribute_exists(#expires_at) AND #expires_at <= :now) OR #taken = :none",
            )
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_names("#block_of", attr::BLOCK_OF)
            .expression_attribute_names("#expires_at", attr::EXPIRES_AT)
            .expression_attribute_names("#taken", attr::TAKEN)
            .expression_attribute_values(":cal", s(calendar_id))
            .expression_attribute_values(":now", epoch(now))
            .expression_attribute_values(":none", n(0))
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn block_record(
        &self,
        calendar_id: &CalendarId,
        unit: &Unit,
        uid: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut record = Item::keyed((keys::calendar_blocks(calendar_id), keys::unit(unit)));
        record.put(attr::TYPE, s(kind::BLOCK));
        record.put(attr::UID, s(uid));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(record.0))
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Keeps the hash of a resource's export token (the token itself is never stored).
    pub async fn set_ical_token_hash(
        &self,
        resource_id: &ResourceId,
        hash: &str,
    ) -> Result<(), StoreError> {
        let mut item = Item::keyed(keys::ical_token(resource_id));
        item.put(attr::TYPE, s(kind::ICAL_TOKEN));
        item.put(attr::TOKEN_HASH, s(hash));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.0))
            .send()
            .await?;
        Ok(())
    }

    pub async fn ical_token_hash(
        &self,
        resource_id: &ResourceId,
    ) -> Result<Option<String>, StoreError> {
        match self.get(keys::ical_token(resource_id)).await? {
            Some(item) => Ok(Some(item.string(attr::TOKEN_HASH)?.to_string())),
            None => Ok(None),
        }
    }

    /// Every unit of `resource_id` in `units` held at `now`, and who holds it (a booking, or a
    /// calendar's block), in time order; lapsed holds are free and counted places have no one
    /// owner, so neither is listed.
    pub async fn unit_owners(
        &self,
        resource_id: &ResourceId,
        units: impl keys::UnitRange,
        now: Timestamp,
    ) -> Result<Vec<(Unit, UnitOwner)>, StoreError> {
        let mut owners = Vec::new();
        let (from_key, to_key) = units.keys();
        let locks = self
            .lock_items(
                resource_id,
                (&from_key, &to_key),
                &[
                    attr::SK,
                    attr::BOOKING_ID,
                    attr::BLOCK_OF,
                    attr::BLOCK_UID,
                    attr::EXPIRES_AT,
                ],
            )
            .await?;
        for item in locks {
            if item
                .opt_number::<i64>(attr::EXPIRES_AT)?
                .is_some_and(|at| at <= now.as_second())
            {
                continue;
            }
            let Some(unit) = keys::unit_from(item.string(attr::SK)?) else {
                continue;
            };
            let owner = match (
                item.opt_string(attr::BOOKING_ID)?,
                item.opt_string(attr::BLOCK_OF)?,
            ) {
                (Some(booking), _) => UnitOwner::Booking(booking.to_string()),
                (None, Some(calendar)) => UnitOwner::Block {
                    calendar_id: calendar.into(),
                    uid: item
                        .opt_string(attr::BLOCK_UID)?
                        .unwrap_or_default()
                        .to_string(),
                },
                (None, None) => continue,
            };
            owners.push((unit, owner));
        }
        Ok(owners)
    }

    /// Replaces what `calendar_id` says clashes with `booking_id` by `conflicts` (empty: none
    /// now), keeping what other calendars say, with `notice` (staff's alert of a new clash) in
    /// the same transaction; on condition of the version read, again when the booking changed
    /// meanwhile. A booking that is gone is left alone.
    pub async fn set_calendar_conflicts(
        &self,
        booking_id: &BookingId,
        calendar_id: &CalendarId,
        conflicts: &[BookingCalendarConflict],
        notice: Option<&Notice>,
    ) -> Result<(), StoreError> {
        for _ in 0..crate::transact::TRANSACTION_ATTEMPTS {
            let Some((booking, version)) = self.booking_version(booking_id).await? else {
                return Ok(());
            };
            let mut listed: Vec<BookingCalendarConflict> = booking
                .calendar_conflicts
                .into_iter()
                .filter(|c| c.calendar_id != *calendar_id)
                .collect();
            listed.extend(conflicts.iter().cloned());
            let (pk, sk) = keys::booking(booking_id);
            let update = Update::builder()
                .table_name(&self.table)
                .key(attr::PK, s(pk))
                .key(attr::SK, s(sk))
                .update_expression("SET #calendar_conflicts = :list ADD #version :one")
                .expression_attribute_names("#calendar_conflicts", attr::CALENDAR_CONFLICTS)
                .expression_attribute_names("#version", attr::VERSION)
                .expression_attribute_values(
                    ":list",
                    AttributeValue::L(listed.iter().map(calendar_conflict_item).collect()),
                )
                .expression_attribute_values(":one", n(1));
            let update = if version.0 == 0 {
                update
                    .condition_expression(
                        "attribute_exists(#pk) AND attribute_not_exists(#version)",
                    )
                    .expression_attribute_names("#pk", attr::PK)
            } else {
                update
                    .condition_expression("#version = :read")
                    .expression_attribute_values(":read", n(version.0))
            };
            let mut actions = vec![TransactWriteItem::builder().update(update.build()?).build()];
            if let Some(notice) = notice {
                actions.push(self.put_notice(notice)?);
            }
            match self.transact(actions).await {
                Ok(()) => return Ok(()),
                // The booking changed since it was read: read it again.
                Err(Refused::Conditions(_)) => {}
                Err(Refused::Store(err)) => return Err(err),
            }
        }
        Err(StoreError::Contended {
            attempts: crate::transact::TRANSACTION_ATTEMPTS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendars_round_trip_through_their_item() {
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let calendar = Calendar {
            calendar_id: "cal_1".into(),
            resource_id: "res_1".into(),
            venue_id: "ven_1".into(),
            name: "Airbnb".into(),
            url: "https://www.airbnb.com/calendar/ical/1.ics?s=secret".into(),
            status: SyncStatus::Failing,
            last_sync_at: Some(now),
            last_success_at: None,
            last_error: Some("timed out".into()),
            consecutive_failures: 2,
            blocks: 3,
            unheld: 2,
            resource_revision: 7,
            conflicts: vec![CalendarConflict {
                uid: "a1".into(),
                start: now,
                end: now,
                booking_id: "bkg_1".into(),
            }],
            etag: Some("\"abc\"".into()),
            last_modified: None,
            unfinished: true,
            skipped: BTreeMap::from([("unreadable_line".into(), 2), ("no_start".into(), 1)]),
            created_at: now,
        };
        let item = Item::from(&calendar);
        assert_eq!(item.string("sk").unwrap(), "CALENDAR#cal_1");
        // Unfinished: due at once, not a minute after its last sync.
        assert!(
            item.string("gsi3sk")
                .unwrap()
                .starts_with("2026-11-23T10:00:00Z#")
        );
        assert_eq!(Calendar::try_from(&item).unwrap(), calendar);

        // An item written before `unheld` was kept reads as holding all it blocks.
        let mut older = item;
        older.0.remove("unheld");
        assert_eq!(Calendar::try_from(&older).unwrap().unheld, 0);

        // Finished, it is due a minute on; the flag is not written at all.
        let finished = Calendar {
            unfinished: false,
            skipped: BTreeMap::new(),
            ..calendar
        };
        let item = Item::from(&finished);
        assert!(
            item.string("gsi3sk")
                .unwrap()
                .starts_with("2026-11-23T10:01:00Z#")
        );
        assert!(!item.0.contains_key("unfinished"));
        assert_eq!(Calendar::try_from(&item).unwrap(), finished);
    }
}
