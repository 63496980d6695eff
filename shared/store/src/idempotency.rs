//! `Idempotency-Key` records: the first response to a key, written in the booking's own
//! transaction and read back to answer the same request again.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use holdfast_domain::ids::BookingId;

use crate::item::{Item, n, s};
use crate::keys::{self, attr, kind};
use crate::{Store, StoreError};

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

impl Store {
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
            request_hash: item.string(attr::REQUEST_HASH)?.to_string(),
            status: item.number(attr::STATUS)?,
            body: item.string(attr::BODY)?.to_string(),
            expires_at: item.number(attr::TTL)?,
        }))
    }

    /// The put of `record` for `booking_id`, on condition that the key is new.
    pub(crate) fn put_idempotency(
        &self,
        record: &IdempotencyRecord,
        booking_id: &BookingId,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = Item::keyed(keys::idempotency(&record.caller, &record.key));
        item.put(attr::TYPE, s(kind::IDEMPOTENCY));
        item.put(attr::REQUEST_HASH, s(&record.request_hash));
        item.put(attr::STATUS, n(record.status));
        item.put(attr::BODY, s(&record.body));
        item.put(attr::BOOKING_ID, s(booking_id));
        item.put(attr::TTL, n(record.expires_at));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item.0))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", attr::PK)
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}
