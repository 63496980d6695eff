//! The outbox: a notice is written in the same transaction as the booking change it tells of,
//! so that a change is told even when the function dies before the queue hears of it. A notice
//! leaves the outbox once the queue has it.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use holdfast_domain::{Notice, NoticeKind};
use jiff::Timestamp;

use crate::item::{Item, ItemError, s};
use crate::{Store, StoreError, keys};

/// Partitions the outbox spreads over, so that a busy hour never makes one hot key.
pub const OUTBOX_SHARDS: u32 = 4;

fn shard(notice_id: &str) -> u32 {
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
        item.put("type", s("notice"));
        item.put("notice_id", s(&notice.notice_id));
        item.put("kind", s(notice.kind.as_str()));
        item.put("booking_id", s(&notice.booking_id));
        item.put("occurred_at", s(millis(notice.occurred_at)));
        item
    }
}

impl TryFrom<&Item> for Notice {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<Notice, ItemError> {
        Ok(Notice {
            notice_id: item.string("notice_id")?.to_string(),
            kind: NoticeKind::parse(item.string("kind")?)
                .ok_or_else(|| item.error("kind", "is no kind of notice"))?,
            booking_id: item.string("booking_id")?.to_string(),
            occurred_at: item.parsed("occurred_at")?,
        })
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
            .sorted_before(None, ("pk", "sk"), shards, &millis(before), limit)
            .await?;
        Ok(items.iter().map(Notice::try_from).collect())
    }

    /// Takes `notice` out of the outbox: the queue has it.
    pub async fn notice_sent(&self, notice: &Notice) -> Result<(), StoreError> {
        let (pk, sk) = key(notice);
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .send()
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_through_the_outbox_and_spread_over_its_shards() {
        let notice = Notice::new(
            NoticeKind::Cancelled,
            "bkg_1",
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
        let used: std::collections::HashSet<u32> = (0..100)
            .map(|i| shard(&format!("bkg_{i}.confirmed")))
            .collect();
        assert_eq!(used.len() as u32, OUTBOX_SHARDS);
    }
}
