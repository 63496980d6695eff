//! Lock items as a claimant sees them: one consistent read of the units a transaction wants
//! tells a race already lost (a live owner holds one: 409 at once) from one still open.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use holdfast_domain::{Booking, Claim, ResourceId, Unit};
use jiff::Timestamp;

use crate::item::{Item, ItemError, s};
use crate::keys::{self, attr};
use crate::{Store, StoreError};

/// Keys one `BatchGetItem` may ask for.
const KEYS_PER_READ: usize = 100;

/// How often unprocessed keys are asked for again before the read counts as unanswered.
const READ_ROUNDS: u32 = 5;

pub(crate) fn lock_key(resource_id: &ResourceId, unit: &Unit) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (attr::PK.to_string(), s(keys::locks(resource_id))),
        (attr::SK.to_string(), s(keys::unit(unit))),
    ])
}

/// What a lock item says of its unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LockRead {
    pub booking_id: Option<String>,
    /// The calendar whose imported block holds the unit.
    pub block_of: Option<String>,
    /// A hold's lapse, in Unix seconds.
    pub expires_at: Option<i64>,
    /// Places taken, for a unit counted by the place.
    pub taken: Option<u32>,
}

impl LockRead {
    /// How many places of its unit the lock takes at `now`: an imported block takes them all,
    /// a lapsed hold none, a whole unit's booking one, a counter what it counts.
    pub(crate) fn places_taken(&self, now: Timestamp) -> u32 {
        match self.taken {
            Some(count) => count,
            None if self.block_of.is_some() => u32::MAX,
            None if self.expires_at.is_some_and(|at| at <= now.as_second()) => 0,
            None => 1,
        }
    }
}

impl TryFrom<&Item> for LockRead {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<LockRead, ItemError> {
        Ok(LockRead {
            booking_id: item.opt_string(attr::BOOKING_ID)?.map(str::to_string),
            block_of: item.opt_string(attr::BLOCK_OF)?.map(str::to_string),
            expires_at: item.opt_number(attr::EXPIRES_AT)?,
            taken: item.opt_number(attr::TAKEN)?,
        })
    }
}

/// Who a transaction takes its units for, and so which lock leaves a unit free to it: the
/// same rule as the condition each of its lock actions carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claimant<'a> {
    /// A new booking of whole units: free or a lapsed hold's. Its own id on a lock means this
    /// very booking committed (ids are fresh).
    NewBooking(&'a str),
    /// A booking keeping its units (a paid hold confirmed): its own, free, or lapsed.
    Keeping(&'a str),
    /// A place of a unit counted by the place: no block over it and a place left.
    Place { capacity: u32 },
    /// A calendar's block: free, lapsed, its own already, or a counter with no place taken.
    Block(&'a str),
}

impl<'a> Claimant<'a> {
    /// The claimant a booking is when it is made.
    pub(crate) fn booking(booking: &'a Booking, capacity: u32) -> Claimant<'a> {
        match booking.claim {
            Claim::Place => Claimant::Place { capacity },
            Claim::Whole => Claimant::NewBooking(&booking.booking_id),
        }
    }
}

/// One unit's lock, judged for a claimant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The claimant's condition holds: the unit is its to take.
    Open,
    /// This claimant's own booking holds it already.
    Ours,
    /// A live owner holds it: the claimant's condition fails, now and on any retry.
    Held,
}

/// Judges one unit's lock (`None`: no lock item) for `claimant` at `now`.
pub(crate) fn verdict(claimant: Claimant<'_>, lock: Option<&LockRead>, now: Timestamp) -> Verdict {
    let Some(lock) = lock else {
        return Verdict::Open;
    };
    let lapsed = lock.expires_at.is_some_and(|at| at <= now.as_second());
    match claimant {
        Claimant::NewBooking(id) if lock.booking_id.as_deref() == Some(id) => Verdict::Ours,
        Claimant::NewBooking(_) if lapsed => Verdict::Open,
        Claimant::NewBooking(_) => Verdict::Held,
        Claimant::Keeping(id) if lock.booking_id.as_deref() == Some(id) || lapsed => Verdict::Open,
        Claimant::Keeping(_) => Verdict::Held,
        // A block takes every place; a counter is full at capacity.
        Claimant::Place { capacity } if lock.places_taken(now) >= capacity => Verdict::Held,
        Claimant::Place { .. } => Verdict::Open,
        Claimant::Block(calendar) => {
            let ours = lock.block_of.as_deref() == Some(calendar);
            if ours || lapsed || lock.taken == Some(0) {
                Verdict::Open
            } else {
                Verdict::Held
            }
        }
    }
}

/// What a read of a transaction's contested units comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Contest {
    /// These units (indexes into those read) have a live owner: the race is lost.
    Lost(Vec<usize>),
    /// Every unit is the claimant's own booking's: an attempt of this very transaction
    /// committed (the SDK retried one that timed out).
    Committed,
    /// No one holds them yet: the race is still open, and only a retry settles it.
    Open,
}

/// Judges every unit's lock together.
pub(crate) fn contest(verdicts: &[Verdict]) -> Contest {
    let held: Vec<usize> = verdicts
        .iter()
        .enumerate()
        .filter(|(_, v)| **v == Verdict::Held)
        .map(|(i, _)| i)
        .collect();
    if !held.is_empty() {
        return Contest::Lost(held);
    }
    if !verdicts.is_empty() && verdicts.iter().all(|v| *v == Verdict::Ours) {
        return Contest::Committed;
    }
    Contest::Open
}

/// The lock actions of one transaction: whose they are and which unit each takes.
#[derive(Debug, Clone)]
pub(crate) struct Contested<'a> {
    pub resource_id: &'a ResourceId,
    pub claimant: Claimant<'a>,
    /// Each lock action's index in the transaction, and its unit.
    pub locks: Vec<(usize, Unit)>,
    pub now: Timestamp,
}

impl Store {
    /// The lock items of `units` (`None` where there is none), read consistently, in order.
    pub(crate) async fn read_locks(
        &self,
        resource_id: &ResourceId,
        units: &[Unit],
    ) -> Result<Vec<Option<LockRead>>, StoreError> {
        let mut found: HashMap<String, LockRead> = HashMap::new();
        for chunk in units.chunks(KEYS_PER_READ) {
            let keys: Vec<_> = chunk.iter().map(|u| lock_key(resource_id, u)).collect();
            let mut wanted = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(true)
                    .projection_expression("#sk, #booking_id, #block_of, #expires_at, #taken")
                    .expression_attribute_names("#sk", attr::SK)
                    .expression_attribute_names("#booking_id", attr::BOOKING_ID)
                    .expression_attribute_names("#block_of", attr::BLOCK_OF)
                    .expression_attribute_names("#expires_at", attr::EXPIRES_AT)
                    .expression_attribute_names("#taken", attr::TAKEN)
                    .build()?,
            );
            let mut rounds = 0;
            while let Some(ask) = wanted.take() {
                rounds += 1;
                if rounds > READ_ROUNDS {
                    return Err(StoreError::Contended { attempts: rounds });
                }
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, ask)
                    .send()
                    .await?;
                for raw in out
                    .responses()
                    .and_then(|r| r.get(&self.table))
                    .into_iter()
                    .flatten()
                {
                    let item = Item(raw.clone());
                    found.insert(
                        item.string(attr::SK)?.to_string(),
                        LockRead::try_from(&item)?,
                    );
                }
                wanted = out
                    .unprocessed_keys()
                    .and_then(|u| u.get(&self.table))
                    .filter(|k| !k.keys().is_empty())
                    .cloned();
                if wanted.is_some() {
                    let pause = 10u64 << rounds.min(5);
                    tokio::time::sleep(std::time::Duration::from_millis(fastrand::u64(1..=pause)))
                        .await;
                }
            }
        }
        Ok(units.iter().map(|u| found.remove(&keys::unit(u))).collect())
    }

    /// Reads the contested units' locks and judges them: what a transaction that lost a race
    /// in flight does before it tries again.
    pub(crate) async fn judge(&self, contested: &Contested<'_>) -> Result<Contest, StoreError> {
        let units: Vec<Unit> = contested.locks.iter().map(|(_, u)| *u).collect();
        let reads = self.read_locks(contested.resource_id, &units).await?;
        let verdicts: Vec<Verdict> = reads
            .iter()
            .map(|lock| verdict(contested.claimant, lock.as_ref(), contested.now))
            .collect();
        Ok(contest(&verdicts))
    }

    /// The units of `booking` a live owner holds now, by one consistent read of their locks:
    /// a booking that would lose its race hears so for the cost of a read. The transaction
    /// still decides; this only spares it when the answer is known.
    pub async fn units_held_against(
        &self,
        booking: &Booking,
        capacity: u32,
        now: Timestamp,
    ) -> Result<Vec<Unit>, StoreError> {
        let claimant = Claimant::booking(booking, capacity);
        let reads = self
            .read_locks(&booking.resource_id, &booking.units)
            .await?;
        Ok(booking
            .units
            .iter()
            .zip(&reads)
            .filter(|(_, lock)| verdict(claimant, lock.as_ref(), now) == Verdict::Held)
            .map(|(unit, _)| *unit)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 2_000_000_000;

    fn now() -> Timestamp {
        Timestamp::from_second(NOW).unwrap()
    }

    fn booked(id: &str, expires_at: Option<i64>) -> LockRead {
        LockRead {
            booking_id: Some(id.into()),
            expires_at,
            ..LockRead::default()
        }
    }

    fn judge(claimant: Claimant<'_>, locks: &[Option<LockRead>]) -> Contest {
        let verdicts: Vec<Verdict> = locks
            .iter()
            .map(|l| verdict(claimant, l.as_ref(), now()))
            .collect();
        contest(&verdicts)
    }

    #[test]
    fn a_new_booking_loses_to_a_live_owner_and_races_on_against_none_or_a_lapsed_one() {
        let me = Claimant::NewBooking("bkg_me");
        // Owner live: a confirmed booking, and a hold that has not lapsed.
        assert_eq!(
            judge(me, &[None, Some(booked("bkg_other", None))]),
            Contest::Lost(vec![1])
        );
        assert_eq!(
            judge(me, &[Some(booked("bkg_other", Some(NOW + 1))), None]),
            Contest::Lost(vec![0])
        );
        // Owner lapsed (at the very second too): taken over, so the race is open.
        assert_eq!(
            judge(me, &[Some(booked("bkg_other", Some(NOW)))]),
            Contest::Open
        );
        assert_eq!(
            judge(me, &[Some(booked("bkg_other", Some(NOW - 60)))]),
            Contest::Open
        );
        // No owner at all.
        assert_eq!(judge(me, &[None, None, None]), Contest::Open);
        // Its own booking already committed (an attempt the SDK retried got through).
        assert_eq!(
            judge(
                me,
                &[
                    Some(booked("bkg_me", Some(NOW + 900))),
                    Some(booked("bkg_me", None))
                ]
            ),
            Contest::Committed
        );
        // An imported block is a live owner.
        let block = LockRead {
            block_of: Some("cal_1".into()),
            ..LockRead::default()
        };
        assert_eq!(judge(me, &[Some(block)]), Contest::Lost(vec![0]));
        // Every unit is named, not only the first.
        assert_eq!(
            judge(
                me,
                &[
                    Some(booked("a", None)),
                    None,
                    Some(booked("b", Some(NOW + 5)))
                ]
            ),
            Contest::Lost(vec![0, 2])
        );
    }

    #[test]
    fn a_booking_keeping_its_units_may_find_them_its_own_free_or_lapsed() {
        let me = Claimant::Keeping("bkg_me");
        assert_eq!(
            judge(me, &[Some(booked("bkg_me", Some(NOW - 5)))]),
            Contest::Open
        );
        assert_eq!(
            judge(me, &[None, Some(booked("x", Some(NOW - 5)))]),
            Contest::Open
        );
        assert_eq!(
            judge(me, &[Some(booked("x", None))]),
            Contest::Lost(vec![0])
        );
    }

    #[test]
    fn a_place_is_lost_when_the_unit_is_full_or_blocked() {
        let place = Claimant::Place { capacity: 4 };
        let counted = |taken| LockRead {
            taken: Some(taken),
            ..LockRead::default()
        };
        assert_eq!(judge(place, &[Some(counted(3)), None]), Contest::Open);
        assert_eq!(judge(place, &[Some(counted(4))]), Contest::Lost(vec![0]));
        let blocked = LockRead {
            block_of: Some("cal".into()),
            ..LockRead::default()
        };
        assert_eq!(judge(place, &[Some(blocked)]), Contest::Lost(vec![0]));
    }

    #[test]
    fn a_block_takes_what_is_free_lapsed_or_its_own_and_loses_to_anyone_else() {
        let cal = Claimant::Block("cal_1");
        let block = |of: &str| LockRead {
            block_of: Some(of.into()),
            ..LockRead::default()
        };
        let counted = |taken| LockRead {
            taken: Some(taken),
            ..LockRead::default()
        };
        assert_eq!(
            judge(cal, &[None, Some(block("cal_1")), Some(counted(0))]),
            Contest::Open
        );
        assert_eq!(
            judge(cal, &[Some(booked("b", Some(NOW - 1)))]),
            Contest::Open
        );
        assert_eq!(
            judge(
                cal,
                &[
                    Some(block("cal_2")),
                    Some(counted(1)),
                    Some(booked("b", None))
                ]
            ),
            Contest::Lost(vec![0, 1, 2])
        );
    }

    #[test]
    fn a_lock_item_reads_back_what_the_store_writes() {
        let mut item = Item(lock_key(
            &"res_1".into(),
            &Unit::Night(jiff::civil::date(2031, 12, 2)),
        ));
        item.put("booking_id", s("bkg_1"));
        item.put("expires_at", crate::item::n(NOW));
        assert_eq!(
            LockRead::try_from(&item).unwrap(),
            booked("bkg_1", Some(NOW))
        );
        item.put("taken", crate::item::n(2));
        assert_eq!(LockRead::try_from(&item).unwrap().taken, Some(2));
    }
}
