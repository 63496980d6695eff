//! Bookings and their locks: one lock item per unit, written in the same transaction as the
//! booking, so that a unit is sold once however many requests race for it.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use holdfast_domain::{
    Booking, BookingId, BookingStatus, Claim, Notice, NoticeKind, ReportDelta, ResourceId, Unit,
};
use jiff::Timestamp;

use crate::conditions::if_condition_held;
use crate::idempotency::IdempotencyRecord;
use crate::item::{Item, ItemError, n, s};
use crate::keys::{self, attr, kind};
pub(crate) use crate::locks::lock_key;
use crate::locks::{Claimant, Contested, LockRead};
use crate::projection::projected;
use crate::transact::Refused;
use crate::{Store, StoreError, index};

mod items;

pub(crate) use items::calendar_conflict_item;

#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error("{} unit(s) already taken", .0.len())]
    Taken(Vec<Unit>),
    #[error("the idempotency key was used by a request that committed first")]
    IdempotencyKeyUsed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many places of a unit are taken now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockState {
    pub unit: Unit,
    pub taken: u32,
}

pub(crate) fn epoch(t: Timestamp) -> AttributeValue {
    n(t.as_second())
}

/// Who a lock item names as its holder.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Owner<'a> {
    Booking(&'a str),
    /// An imported calendar, for one of its blocks.
    Calendar(&'a str),
}

impl Store {
    /// Writes `booking`, one lock per unit, its notice and its month's counters in one
    /// transaction. A unit is free
    /// when no lock holds it or its hold has lapsed (then it is taken over); with `capacity >
    /// 1`, a unit counts its places instead. Answers the notice written, if any is due.
    pub async fn create_booking(
        &self,
        booking: &Booking,
        capacity: u32,
        idempotency: Option<&IdempotencyRecord>,
        tally: &[ReportDelta],
        now: Timestamp,
    ) -> Result<Option<Notice>, BookError> {
        let mut actions = vec![
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(Item::from(booking).0))
                        .condition_expression("attribute_not_exists(#pk)")
                        .expression_attribute_names("#pk", attr::PK)
                        .build()
                        .map_err(StoreError::from)?,
                )
                .build(),
        ];
        let idempotency_index = match idempotency {
            Some(record) => {
                actions.push(self.put_idempotency(record, &booking.booking_id)?);
                Some(actions.len() - 1)
            }
            None => None,
        };
        let first_lock = actions.len();
        let mut contested = Contested {
            resource_id: &booking.resource_id,
            claimant: Claimant::booking(booking, capacity),
            locks: Vec::with_capacity(booking.units.len()),
            now,
        };
        for unit in &booking.units {
            contested.locks.push((actions.len(), *unit));
            actions.push(self.take_unit(booking, unit, capacity, now)?);
        }
        let notice = NoticeKind::of_status(booking.status)
            .map(|kind| Notice::new(kind, &booking.booking_id, now));
        if let Some(notice) = &notice {
            actions.push(self.put_notice(notice)?);
        }
        actions.extend(self.tally_actions(&booking.venue_id, &booking.booking_id, tally)?);

        match self.transact_claiming(actions, &contested).await {
            Ok(()) => Ok(notice),
            Err(Refused::Conditions(failed)) => {
                if failed.contains(&0) && self.committed_already(booking).await? {
                    // An attempt the SDK retried after a timeout had committed: it is ours.
                    return Ok(notice);
                }
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

    /// Whether `booking` is stored already, as this very booking (ids are fresh, so a match
    /// means an earlier attempt of this request committed).
    async fn committed_already(&self, booking: &Booking) -> Result<bool, StoreError> {
        Ok(self
            .booking(&booking.booking_id)
            .await?
            .is_some_and(|stored| stored.owner == booking.owner && stored.units == booking.units))
    }

    pub(crate) fn take_unit(
        &self,
        booking: &Booking,
        unit: &Unit,
        capacity: u32,
        now: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        if booking.claim == Claim::Place {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(lock_key(&booking.resource_id, unit)))
                .update_expression("SET #type = :lock, #resource_id = :rid ADD #taken :one")
                // A calendar's block holds every place of the unit.
                .condition_expression(
                    "attribute_not_exists(#block_of) AND (attribute_not_exists(#taken) OR #taken < :capacity)",
                )
                .expression_attribute_names("#type", attr::TYPE)
                .expression_attribute_names("#resource_id", attr::RESOURCE_ID)
                .expression_attribute_names("#taken", attr::TAKEN)
                .expression_attribute_names("#block_of", attr::BLOCK_OF)
                .expression_attribute_values(":lock", s(kind::LOCK))
                .expression_attribute_values(":rid", s(&booking.resource_id))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":capacity", n(capacity))
                .build()?;
            return Ok(TransactWriteItem::builder().update(update).build());
        }
        let mut lock = Item(lock_key(&booking.resource_id, unit));
        lock.put(attr::TYPE, s(kind::LOCK));
        lock.put(attr::RESOURCE_ID, s(&booking.resource_id));
        lock.put(attr::BOOKING_ID, s(&booking.booking_id));
        if let Some(expires) = booking.hold_expires_at {
            lock.put(attr::EXPIRES_AT, epoch(expires));
        }
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(lock.0))
            .condition_expression("attribute_not_exists(#pk) OR #expires_at <= :now")
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_names("#expires_at", attr::EXPIRES_AT)
            .expression_attribute_values(":now", epoch(now))
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    pub(crate) fn release_unit(
        &self,
        booking: &Booking,
        unit: &Unit,
    ) -> Result<TransactWriteItem, StoreError> {
        if booking.claim == Claim::Place {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(lock_key(&booking.resource_id, unit)))
                .update_expression("ADD #taken :minus_one")
                .condition_expression("#taken > :zero")
                .expression_attribute_names("#taken", attr::TAKEN)
                .expression_attribute_values(":minus_one", n(-1))
                .expression_attribute_values(":zero", n(0))
                .build()?;
            return Ok(TransactWriteItem::builder().update(update).build());
        }
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(lock_key(&booking.resource_id, unit)))
            .condition_expression("#booking_id = :id")
            .expression_attribute_names("#booking_id", attr::BOOKING_ID)
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
                " AND (attribute_not_exists(#hold_expires_at) OR #hold_expires_at > :now_s)",
            ),
            Some(false) => condition.push_str(" AND #hold_expires_at <= :now_s"),
            None => {}
        }
        // A confirmed booking's gsi4 is its reminder; a hold's is a refund still owed.
        let confirmed = booking.status == BookingStatus::Confirmed;
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(attr::PK, s(pk))
            .key(attr::SK, s(sk))
            .update_expression(if confirmed {
                "SET #status = :to, #updated_at = :now_s REMOVE #gsi3pk, #gsi3sk, #gsi4pk, #gsi4sk ADD #version :one"
            } else {
                "SET #status = :to, #updated_at = :now_s REMOVE #gsi3pk, #gsi3sk ADD #version :one"
            })
            .expression_attribute_names("#updated_at", attr::UPDATED_AT)
            .expression_attribute_names("#gsi3pk", attr::GSI3PK)
            .expression_attribute_names("#gsi3sk", attr::GSI3SK)
            .expression_attribute_names("#version", attr::VERSION)
            .expression_attribute_values(":one", n(1))
            .condition_expression(condition)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":from", s(booking.status.as_str()))
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":now_s", s(keys::instant(now)));
        if confirmed {
            update = update
                .expression_attribute_names("#gsi4pk", attr::GSI4PK)
                .expression_attribute_names("#gsi4sk", attr::GSI4SK);
        }
        if hold_must_be_live.is_some() {
            update = update.expression_attribute_names("#hold_expires_at", attr::HOLD_EXPIRES_AT);
        }
        Ok(update.build()?)
    }

    /// Marks a lapsed hold expired with its notice and tidies its locks; `None` when it was
    /// not a lapsed hold any more (paid, cancelled or expired meanwhile).
    pub async fn expire_booking(
        &self,
        booking: &Booking,
        tally: &[ReportDelta],
        now: Timestamp,
    ) -> Result<Option<Notice>, StoreError> {
        let change = self.status_change(booking, BookingStatus::Expired, now, Some(false))?;
        let notice = Notice::new(NoticeKind::Expired, &booking.booking_id, now);
        let mut actions = vec![
            TransactWriteItem::builder().update(change).build(),
            self.put_notice(&notice)?,
        ];
        actions.extend(self.tally_actions(&booking.venue_id, &booking.booking_id, tally)?);
        if booking.claim == Claim::Place {
            // Counted places are not taken over: they come back only here, with the status, at once.
            for unit in &booking.units {
                actions.push(self.release_unit(booking, unit)?);
            }
        }
        match self.transact(actions).await {
            Ok(()) => {}
            Err(Refused::Conditions(_)) => return Ok(None),
            Err(Refused::Store(err)) => return Err(err),
        }
        if booking.claim == Claim::Place {
            return Ok(Some(notice));
        }
        self.tidy_locks(booking).await?;
        Ok(Some(notice))
    }

    /// Deletes what is left of a lapsed hold's own locks. A lapsed lock is free already;
    /// deleting it only tidies, and one taken over by a new booking is not ours to delete.
    pub(crate) async fn tidy_locks(&self, booking: &Booking) -> Result<(), StoreError> {
        if booking.claim == Claim::Place {
            return Ok(());
        }
        for unit in &booking.units {
            self.delete_lock_of(
                &booking.resource_id,
                unit,
                Owner::Booking(&booking.booking_id),
            )
            .await?;
        }
        Ok(())
    }

    /// Deletes `unit`'s lock if `owner` still holds it; a lock someone else holds (or none) is
    /// left as it is. Only the store failing is an error.
    pub(crate) async fn delete_lock_of(
        &self,
        resource_id: &ResourceId,
        unit: &Unit,
        owner: Owner<'_>,
    ) -> Result<(), StoreError> {
        let (attribute, id) = match owner {
            Owner::Booking(id) => (attr::BOOKING_ID, id),
            Owner::Calendar(id) => (attr::BLOCK_OF, id),
        };
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(lock_key(resource_id, unit)))
            .condition_expression(format!("{attribute} = :owner"))
            .expression_attribute_values(":owner", s(id))
            .send()
            .await;
        // A lock another owner took meanwhile is not this one's to free.
        if_condition_held(deleted).map(drop)
    }

    /// Confirmed bookings whose reminder is due by `now`, at most `limit`, from every shard; an
    /// item that does not read as a booking is handed back as its error.
    pub async fn due_reminders(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Result<Booking, ItemError>>, StoreError> {
        let shards = (0..index::HELD_SHARDS).map(keys::reminders);
        let before = format!("{}~", keys::instant(now));
        let items = self
            .sorted_before(
                Some(index::REMINDERS),
                (attr::GSI4PK, attr::GSI4SK),
                shards,
                &before,
                limit,
            )
            .await?;
        Ok(items.iter().map(Booking::try_from).collect())
    }

    /// Takes a booking's reminder off the due list: with its notice when it is still useful,
    /// without when the booking has started. `None` when another run (or a cancellation) got
    /// there first: overlapping runs never remind twice.
    pub async fn settle_reminder(
        &self,
        booking: &Booking,
        now: Timestamp,
    ) -> Result<Option<Notice>, StoreError> {
        let (pk, sk) = keys::booking(&booking.booking_id);
        let update = Update::builder()
            .table_name(&self.table)
            .key(attr::PK, s(pk))
            .key(attr::SK, s(sk))
            .update_expression(
                "SET #reminder_settled_at = :now REMOVE #gsi4pk, #gsi4sk ADD #version :one",
            )
            .expression_attribute_names("#reminder_settled_at", attr::REMINDER_SETTLED_AT)
            .expression_attribute_names("#gsi4pk", attr::GSI4PK)
            .expression_attribute_names("#gsi4sk", attr::GSI4SK)
            .expression_attribute_names("#version", attr::VERSION)
            .expression_attribute_values(":one", n(1))
            .condition_expression("#status = :confirmed AND attribute_exists(#gsi4pk)")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":confirmed", s(BookingStatus::Confirmed.as_str()))
            .expression_attribute_values(":now", s(keys::instant(now)))
            .build()?;
        let mut actions = vec![TransactWriteItem::builder().update(update).build()];
        let notice = booking
            .reminder_still_useful(now)
            .then(|| Notice::new(NoticeKind::Reminder, &booking.booking_id, now));
        if let Some(notice) = &notice {
            actions.push(self.put_notice(notice)?);
        }
        match self.transact(actions).await {
            Ok(()) => Ok(notice),
            Err(Refused::Conditions(_)) => Ok(None),
            Err(Refused::Store(err)) => Err(err),
        }
    }

    /// Holds whose time ran out by `now`, at most `limit`, read from every shard; an item that
    /// does not read as a booking is handed back as its error, so that one cannot stop the rest.
    pub async fn lapsed_holds(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Result<Booking, ItemError>>, StoreError> {
        let shards = (0..index::HELD_SHARDS).map(keys::held);
        let items = self
            .sorted_before(
                Some(index::HELD),
                (attr::GSI3PK, attr::GSI3SK),
                shards,
                &keys::instant(now),
                limit,
            )
            .await?;
        Ok(items.iter().map(Booking::try_from).collect())
    }

    pub async fn booking(&self, booking_id: &BookingId) -> Result<Option<Booking>, StoreError> {
        match self.get(keys::booking(booking_id)).await? {
            Some(item) => Ok(Some(Booking::try_from(&item)?)),
            None => Ok(None),
        }
    }

    /// A resource's lock items with unit keys in `[from, to]`, with the attributes `projection`
    /// names only.
    pub(crate) async fn lock_items(
        &self,
        resource_id: &ResourceId,
        (from, to): (&str, &str),
        projection: &[&str],
    ) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_names("#sk", attr::SK)
            .expression_attribute_values(":pk", s(keys::locks(resource_id)))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to))
            .consistent_read(true);
        self.query_items(projected(query, projection), usize::MAX)
            .await
    }

    /// The units of a resource in `units` that are taken at `now`: one query on its locks,
    /// which carry no customer data.
    pub async fn taken_units(
        &self,
        resource_id: &ResourceId,
        units: impl keys::UnitRange,
        now: Timestamp,
    ) -> Result<Vec<LockState>, StoreError> {
        let mut taken = Vec::new();
        let (from_key, to_key) = units.keys();
        let locks = self
            .lock_items(
                resource_id,
                (&from_key, &to_key),
                &[attr::SK, attr::EXPIRES_AT, attr::TAKEN, attr::BLOCK_OF],
            )
            .await?;
        for item in locks {
            let Some(unit) = keys::unit_from(item.string(attr::SK)?) else {
                continue;
            };
            let count = LockRead::try_from(&item)?.places_taken(now);
            if count > 0 {
                taken.push(LockState { unit, taken: count });
            }
        }
        Ok(taken)
    }
}
