//! `Idempotency-Key` records: the first response to a key, written in the booking's own
//! transaction and read back to answer the same request again.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use crate::item::{Item, n, s};
use crate::{Store, StoreError, keys};

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
            request_hash: item.string("request_hash")?.to_string(),
            status: item.number("status")?,
            body: item.string("body")?.to_string(),
            expires_at: item.number("ttl")?,
        }))
    }

    /// The put of `record` for `booking_id`, on condition that the key is new.
    pub(crate) fn put_idempotency(
        &self,
        record: &IdempotencyRecord,
        booking_id: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = Item::keyed(keys::idempotency(&record.caller, &record.key));
        item.put("type", s("idempotency"));
        item.put("request_hash", s(&record.request_hash));
        item.put("status", n(record.status));
        item.put("body", s(&record.body));
        item.put("booking_id", s(booking_id));
        item.put("ttl", n(record.expires_at));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item.0))
            .condition_expression("attribute_not_exists(pk)")
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}
