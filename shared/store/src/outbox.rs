//! The outbox: a notice is written in the same transaction as the change it tells of (a
//! booking's, a payment account's or a calendar's), so that a change is told even when the
//! function dies before the queue hears of it. A notice leaves the outbox once the queue has it.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use holdfast_domain::{About, Notice, NoticeId, NoticeKind};
use jiff::Timestamp;

use crate::item::{Item, ItemError, s};
use crate::keys::{self, attr, kind};
use crate::{Store, StoreError};

/// Partitions the outbox spreads over, so that a busy hour never makes one hot key.
pub const OUTBOX_SHARDS: u32 = 4;

fn shard(notice_id: &NoticeId) -> u32 {
    // FNV-1a: stable across processes.
    let hash = notice_id.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % OUTBOX_SHARDS
}

/// Instants in the outbox to the millisecond: the sort key is rebuilt from a notice read back.
fn millis(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn key(notice: &Notice) -> (String, String) {
    (
        keys::outbox(shard(&notice.notice_id)),
        format!("{}#{}", millis(notice.occurred_at), notice.notice_id),
    )
}

impl From<&Notice> for Item {
    fn from(notice: &Notice) -> Item {
        let mut item = Item::keyed(key(notice));
        item.put(attr::TYPE, s(kind::NOTICE));
        item.put(attr::NOTICE_ID, s(&notice.notice_id));
        item.put(attr::KIND, s(notice.kind.as_str()));
        // A booking notice is the item it always was; others name their venue or calendar.
        match &notice.about {
            About::Booking(booking_id) => item.put(attr::BOOKING_ID, s(booking_id)),
            About::Venue(venue_id) => item.put(attr::VENUE_ID, s(venue_id)),
            About::Calendar {
                resource_id,
                calendar_id,
            } => {
                item.put(attr::RESOURCE_ID, s(resource_id));
                item.put(attr::CALENDAR_ID, s(calendar_id));
            }
        }
        item.put(attr::OCCURRED_AT, s(millis(notice.occurred_at)));
        item
    }
}

impl TryFrom<&Item> for Notice {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<Notice, ItemError> {
        let about = match (
            item.opt_string(attr::VENUE_ID)?,
            item.opt_string(attr::CALENDAR_ID)?,
        ) {
            (Some(venue_id), _) => About::Venue(venue_id.into()),
            (None, Some(calendar_id)) => About::Calendar {
                resource_id: item.string(attr::RESOURCE_ID)?.into(),
                calendar_id: calendar_id.into(),
            },
            (None, None) => About::Booking(item.string(attr::BOOKING_ID)?.into()),
        };
        let kind = NoticeKind::parse(item.string(attr::KIND)?)
            .ok_or_else(|| item.error(attr::KIND, "is no kind of notice"))?;
        Notice::read(
            item.string(attr::NOTICE_ID)?.into(),
            kind,
            about,
            item.parsed(attr::OCCURRED_AT)?,
        )
        .map_err(|_| item.error(attr::KIND, "does not fit what the notice is about"))
    }
}

impl Store {
    /// The put of `notice` into the outbox, for the transaction of the change it tells of. A
    /// notice already there (the same change told twice) is simply written again.
    pub(crate) fn put_notice(&self, notice: &Notice) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Item::from(notice).0))
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Notices written before `before` that the queue has not taken yet, oldest first per
    /// shard, at most `limit`; an item that does not read is handed back as its error.
    pub async fn pending_notices(
        &self,
        before: Timestamp,
        limit: usize,
    ) -> Result<Vec<Result<Notice, ItemError>>, StoreError> {
        let shards = (0..OUTBOX_SHARDS).map(keys::outbox);
        let items = self
            .sorted_before(None, (attr::PK, attr::SK), shards, &millis(before), limit)
            .await?;
        Ok(items.iter().map(Notice::try_from).collect())
    }

    /// Takes `notice` out of the outbox: the queue has it.
    pub async fn notice_sent(&self, notice: &Notice) -> Result<(), StoreError> {
        self.delete(key(notice)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_through_the_outbox_and_spread_over_its_shards() {
        let notice = Notice::new(
            NoticeKind::Cancelled,
            &"bkg_1".into(),
            "2026-12-01T10:00:00.250Z".parse().unwrap(),
        );
        let item = Item::from(&notice);
        assert!(item.string("pk").unwrap().starts_with("OUTBOX#"));
        assert_eq!(
            item.string("sk").unwrap(),
            "2026-12-01T10:00:00.250Z#bkg_1.cancelled"
        );
        let read = Notice::try_from(&item).unwrap();
        assert_eq!(read, notice);
        assert_eq!(
            key(&read),
            key(&notice),
            "a notice read back finds its item"
        );
        assert!(!item.0.contains_key("venue_id"));
        let used: std::collections::HashSet<u32> = (0..100)
            .map(|i| shard(&format!("bkg_{i}.confirmed").into()))
            .collect();
        assert_eq!(used.len() as u32, OUTBOX_SHARDS);
    }

    #[test]
    fn venue_notices_round_trip_naming_their_venue() {
        let notice = Notice::account_failing(
            &"ven_1".into(),
            "00ff",
            "2026-12-01T10:00:00.250Z".parse().unwrap(),
        );
        let item = Item::from(&notice);
        assert_eq!(item.string("venue_id").unwrap(), "ven_1");
        assert!(!item.0.contains_key("booking_id"));
        assert_eq!(
            item.string("sk").unwrap(),
            "2026-12-01T10:00:00.250Z#ven_1.account_failing.00ff"
        );
        assert_eq!(Notice::try_from(&item).unwrap(), notice);

        // A kind that does not fit what the item names does not read.
        let mut wrong = item.clone();
        wrong.put("kind", s("confirmed"));
        assert_eq!(Notice::try_from(&wrong).unwrap_err().attribute, "kind");
        let mut neither = item;
        neither.0.remove("venue_id");
        assert_eq!(
            Notice::try_from(&neither).unwrap_err().attribute,
            "booking_id"
        );
    }

    #[test]
    fn calendar_notices_round_trip_naming_their_resource_and_calendar() {
        let notice = Notice::read(
            "cal_1.calendar_failing.1793523600000".into(),
            NoticeKind::CalendarFailing,
            About::Calendar {
                resource_id: "res_1".into(),
                calendar_id: "cal_1".into(),
            },
            "2026-12-01T10:00:00.250Z".parse().unwrap(),
        )
        .unwrap();
        let item = Item::from(&notice);
        assert_eq!(item.string("resource_id").unwrap(), "res_1");
        assert_eq!(item.string("calendar_id").unwrap(), "cal_1");
        assert!(!item.0.contains_key("booking_id") && !item.0.contains_key("venue_id"));
        assert_eq!(Notice::try_from(&item).unwrap(), notice);
        assert_eq!(key(&Notice::try_from(&item).unwrap()), key(&notice));

        let mut no_resource = item;
        no_resource.0.remove("resource_id");
        assert_eq!(
            Notice::try_from(&no_resource).unwrap_err().attribute,
            "resource_id"
        );
    }
}
