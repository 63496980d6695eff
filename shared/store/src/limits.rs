//! Rate-limit counters: one item per caller and window, counted by a conditional `UpdateItem`
//! so that the quota holds across every concurrent instance; DynamoDB's TTL purges old windows.

use aws_sdk_dynamodb::types::ReturnValue;
use holdfast_domain::{LimitGroup, Quota, Window};

use crate::conditions::if_condition_held;
use crate::item::{Item, n, s};
use crate::keys::{self, attr, kind};
use crate::{Store, StoreError};

/// How long a window's counter is kept after the window ends, so that a clock a little behind
/// on another instance still finds it (TTL purges lazily in any case).
const KEEP_AFTER_WINDOW: i64 = 60;

impl Store {
    /// Counts one request of `caller` in `group`'s `window`: the window's count with this
    /// request, or `None` when the quota was already spent (and nothing is written).
    pub async fn count_request(
        &self,
        group: LimitGroup,
        caller: &str,
        quota: Quota,
        window: Window,
    ) -> Result<Option<u32>, StoreError> {
        let (pk, sk) = keys::rate_window(group.as_str(), caller, window.start);
        let ttl = window.start + i64::from(quota.window_seconds) + KEEP_AFTER_WINDOW;
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::PK, s(pk))
            .key(attr::SK, s(sk))
            .update_expression("ADD #requests :one SET #type = :type, #ttl = :ttl")
            .condition_expression("attribute_not_exists(#requests) OR #requests < :quota")
            .expression_attribute_names("#requests", attr::REQUESTS)
            .expression_attribute_names("#type", attr::TYPE)
            .expression_attribute_names("#ttl", attr::TTL)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":type", s(kind::RATE_WINDOW))
            .expression_attribute_values(":ttl", n(ttl))
            .expression_attribute_values(":quota", n(quota.requests))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match if_condition_held(updated)? {
            Some(out) => Ok(Some(
                Item(out.attributes.unwrap_or_default()).number(attr::REQUESTS)?,
            )),
            None => Ok(None),
        }
    }
}
