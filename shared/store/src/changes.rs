//! A booking's change decided by the domain (paid, cancelled, refunded…) written whole: its new
//! state, its locks, its notices, the month's counters and the provider's event id, at once.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use holdfast_domain::ids::BookingId;
use holdfast_domain::{
    Booking, BookingStatus, Claim, LockWork, Notice, PaymentProvider, ReportDelta, Settlement, Unit,
};
use jiff::{SignedDuration, Timestamp};

use crate::bookings::{epoch, lock_key};
use crate::catalog::Version;
use crate::item::{Item, ItemError, n, s};
use crate::keys::{self, attr, kind};
use crate::locks::{Claimant, Contested};
use crate::transact::Refused;
use crate::{Store, StoreError, index};

/// How long a provider's event id is remembered: far longer than any provider retries.
const EVENT_MEMORY: SignedDuration = SignedDuration::from_hours(24 * 90);

/// A provider's event, recorded once with the change it makes.
#[derive(Debug, Clone, Copy)]
pub struct ProviderEvent<'a> {
    pub provider: PaymentProvider,
    pub event_id: &'a str,
}

/// Everything one change writes.
#[derive(Debug, Clone, Copy)]
pub struct BookingChange<'a> {
    pub before: &'a Booking,
    /// The version `before` was read at: the change lands only on that version.
    pub version: Version,
    pub settlement: &'a Settlement,
    pub event: Option<ProviderEvent<'a>>,
    /// The resource's places per unit, for counted places taken again.
    pub capacity: u32,
    pub tally: &'a [ReportDelta],
    pub now: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The provider's event was applied already: a duplicate delivery.
    #[error("the event was applied already")]
    Duplicate,
    /// The booking changed since it was read: read it again and decide again.
    #[error("the booking changed meanwhile")]
    Stale,
    /// The units a lapsed hold wanted to keep were taken by another booking.
    #[error("the booking's units were taken")]
    Taken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// A booking and the version read, for a change that must not lose another's.
    pub async fn booking_version(
        &self,
        booking_id: &BookingId,
    ) -> Result<Option<(Booking, Version)>, StoreError> {
        self.read_versioned(keys::booking(booking_id)).await
    }

    /// Writes `change` in one transaction and answers the notices it wrote; a lapsed hold's
    /// leftover locks are tidied after it.
    pub async fn apply_change(
        &self,
        change: &BookingChange<'_>,
    ) -> Result<Vec<Notice>, ChangeError> {
        let settled = &change.settlement.booking;
        let mut booking = Item::from(settled);
        booking.put(attr::VERSION, n(change.version.0 + 1));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(booking.0))
            .expression_attribute_names("#version", attr::VERSION);
        let put = if change.version.0 == 0 {
            put.condition_expression("attribute_exists(#pk) AND attribute_not_exists(#version)")
                .expression_attribute_names("#pk", attr::PK)
        } else {
            put.condition_expression("#version = :read")
                .expression_attribute_values(":read", n(change.version.0))
        };
        let mut actions = vec![
            TransactWriteItem::builder()
                .put(put.build().map_err(StoreError::from)?)
                .build(),
        ];
        let event_index = match change.event {
            Some(event) => {
                actions.push(self.put_event(event, change.now)?);
                Some(actions.len() - 1)
            }
            None => None,
        };
        let first_lock = actions.len();
        let before = change.before;
        let mut contested = Contested {
            resource_id: &before.resource_id,
            claimant: match before.claim {
                Claim::Place => Claimant::Place {
                    capacity: change.capacity,
                },
                Claim::Whole => Claimant::Keeping(&before.booking_id),
            },
            locks: Vec::new(),
            now: change.now,
        };
        match change.settlement.locks {
            LockWork::Keep => {
                for unit in &before.units {
                    if let Some(action) = self.keep_unit(change, unit)? {
                        contested.locks.push((actions.len(), *unit));
                        actions.push(action);
                    }
                }
            }
            LockWork::Release => {
                for unit in &change.before.units {
                    actions.push(self.release_unit(change.before, unit)?);
                }
            }
            LockWork::None | LockWork::Tidy => {}
        }
        let locks = first_lock..actions.len();
        let notices: Vec<Notice> = change
            .settlement
            .notices
            .iter()
            .map(|kind| Notice::new(*kind, &settled.booking_id, change.now))
            .collect();
        for notice in &notices {
            actions.push(self.put_notice(notice)?);
        }
        actions.extend(self.tally_actions(&settled.venue_id, &settled.booking_id, change.tally)?);

        // With no lock to keep, nothing is contested and a race in flight is simply retried.
        match self.transact_claiming(actions, &contested).await {
            Ok(()) => {}
            Err(Refused::Conditions(failed)) => {
                return Err(if event_index.is_some_and(|i| failed.contains(&i)) {
                    ChangeError::Duplicate
                } else if failed.contains(&0) {
                    ChangeError::Stale
                } else if failed.iter().any(|i| locks.contains(i)) {
                    ChangeError::Taken
                } else {
                    ChangeError::Stale
                });
            }
            Err(Refused::Store(err)) => return Err(err.into()),
        }
        if change.settlement.locks == LockWork::Tidy {
            self.tidy_locks(change.before).await?;
        }
        Ok(notices)
    }

    /// The action that keeps `unit` for a booking being confirmed: its own lock (lapsed or
    /// not) made permanent, or a free or lapsed one taken; counted places are taken again only
    /// if the hold had given them back.
    fn keep_unit(
        &self,
        change: &BookingChange<'_>,
        unit: &Unit,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let booking = change.before;
        if booking.claim == Claim::Place {
            if booking.status != BookingStatus::Expired {
                return Ok(None);
            }
            return self
                .take_unit(booking, unit, change.capacity, change.now)
                .map(Some);
        }
        let mut lock = Item(lock_key(&booking.resource_id, unit));
        lock.put(attr::TYPE, s(kind::LOCK));
        lock.put(attr::RESOURCE_ID, s(&booking.resource_id));
        lock.put(attr::BOOKING_ID, s(&booking.booking_id));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(lock.0))
            .condition_expression(
                "#booking_id = :id OR attribute_not_exists(#pk) OR #expires_at <= :now",
            )
            .expression_attribute_names("#booking_id", attr::BOOKING_ID)
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_names("#expires_at", attr::EXPIRES_AT)
            .expression_attribute_values(":id", s(&booking.booking_id))
            .expression_attribute_values(":now", epoch(change.now))
            .build()?;
        Ok(Some(TransactWriteItem::builder().put(put).build()))
    }

    fn put_event(
        &self,
        event: ProviderEvent<'_>,
        now: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = Item::keyed(keys::provider_event(
            event.provider.as_str(),
            event.event_id,
        ));
        item.put(attr::TYPE, s(kind::PROVIDER_EVENT));
        item.put(
            attr::TTL,
            n(now.checked_add(EVENT_MEMORY).unwrap_or(now).as_second()),
        );
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item.0))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", attr::PK)
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Whether the provider's event was applied already.
    pub async fn event_seen(&self, event: ProviderEvent<'_>) -> Result<bool, StoreError> {
        Ok(self
            .get(keys::provider_event(
                event.provider.as_str(),
                event.event_id,
            ))
            .await?
            .is_some())
    }

    /// Bookings owing a refund the provider was not asked for, decided before `before`, at
    /// most `limit`, from every shard; an unreadable item is handed back as its error.
    pub async fn refunds_owed(
        &self,
        before: Timestamp,
        limit: usize,
    ) -> Result<Vec<Result<Booking, ItemError>>, StoreError> {
        let shards = (0..index::HELD_SHARDS).map(keys::refunds_owed);
        let before = keys::instant(before);
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
}
