//! Mail records: each (notice, recipient) is claimed with a conditional write before its mail
//! is sent and marked sent after, so that however often a notice is delivered, one mail goes.

use aws_sdk_dynamodb::types::AttributeValue;
use holdfast_domain::{NoticeId, Recipient};
use jiff::{SignedDuration, Timestamp};

use crate::conditions::if_condition_held;
use crate::item::{Item, n, s};
use crate::keys::{self, attr, kind};
use crate::{Store, StoreError};

/// How long mail records are kept (DynamoDB TTL): far longer than any redelivery.
const KEEP: SignedDuration = SignedDuration::from_hours(24 * 30);

/// What a claim on a mail found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailClaim {
    /// Ours to send now.
    Claimed,
    /// Sent already: nothing to do.
    AlreadySent,
    /// Another delivery is sending it right now: try again later.
    InFlight,
}

impl Store {
    /// Claims the mail of `notice_id` to `recipient` for `lease`: a claim whose lease ran out
    /// (its sender died) may be taken again.
    pub async fn claim_mail(
        &self,
        notice_id: &NoticeId,
        recipient: Recipient,
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<MailClaim, StoreError> {
        let key = keys::mail(notice_id, recipient.as_str());
        let mut item = Item::keyed(key.clone());
        item.put(attr::TYPE, s(kind::MAIL));
        item.put(attr::STATUS, s("sending"));
        item.put(
            attr::LEASE_UNTIL,
            n(now.checked_add(lease).unwrap_or(now).as_second()),
        );
        item.put(
            attr::TTL,
            n(now.checked_add(KEEP).unwrap_or(now).as_second()),
        );
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.0))
            .condition_expression(
                "attribute_not_exists(#pk) OR (#status = :sending AND #lease_until < :now)",
            )
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#lease_until", attr::LEASE_UNTIL)
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":now", n(now.as_second()))
            .send()
            .await;
        match if_condition_held(put)? {
            Some(_) => Ok(MailClaim::Claimed),
            None => {
                let status = self.get(key).await?.and_then(|item| {
                    item.opt_string(attr::STATUS)
                        .ok()
                        .flatten()
                        .map(str::to_string)
                });
                Ok(match status.as_deref() {
                    Some("sent") => MailClaim::AlreadySent,
                    _ => MailClaim::InFlight,
                })
            }
        }
    }

    /// Marks a claimed mail sent, for good.
    pub async fn mail_sent(
        &self,
        notice_id: &NoticeId,
        recipient: Recipient,
    ) -> Result<(), StoreError> {
        let (pk, sk) = keys::mail(notice_id, recipient.as_str());
        self.client
            .update_item()
            .table_name(&self.table)
            .key(attr::PK, AttributeValue::S(pk))
            .key(attr::SK, AttributeValue::S(sk))
            .update_expression("SET #status = :sent REMOVE #lease_until")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#lease_until", attr::LEASE_UNTIL)
            .expression_attribute_values(":sent", s("sent"))
            .send()
            .await?;
        Ok(())
    }

    /// Gives a claim back after a send that failed, so that the next delivery sends it.
    pub async fn release_mail(
        &self,
        notice_id: &NoticeId,
        recipient: Recipient,
    ) -> Result<(), StoreError> {
        let (pk, sk) = keys::mail(notice_id, recipient.as_str());
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(attr::PK, AttributeValue::S(pk))
            .key(attr::SK, AttributeValue::S(sk))
            .condition_expression("#status = :sending")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":sending", s("sending"))
            .send()
            .await;
        if_condition_held(deleted).map(drop)
    }
}
