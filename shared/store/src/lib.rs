//! The DynamoDB adapter: Holdfast's one table, its items, and the lock transactions that keep
//! a unit of time sold once. Depends on the domain; the domain knows nothing of it.

mod accounts;
mod bookings;
mod calendars;
mod catalog;
mod changes;
mod conditions;
mod idempotency;
mod item;
pub mod keys;
mod limits;
mod lists;
mod locks;
mod mail;
mod oauth;
mod outbox;
mod page;
mod projection;
mod pulse;
mod reports;
mod transact;

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{BuildError, SdkError};

pub use bookings::{BookError, LockState};
pub use calendars::{Taken, UnitOwner};
pub use catalog::Version;
pub use changes::{BookingChange, ChangeError, ProviderEvent};
pub use idempotency::IdempotencyRecord;
pub use item::{Item, ItemError};
pub use keys::TOKEN_SHARDS;
pub use mail::MailClaim;
pub use oauth::{DueAccount, PENDING_CONNECT_LIFETIME, PendingConnect};
pub use page::Page;
pub use pulse::{Pulse, Silent, pulsed_client};

/// The table's indexes, as template.yaml defines them.
pub mod index {
    /// A customer's bookings newest first (`OWNER#{sub}`) and a venue's resources.
    pub const BY_OWNER: &str = "gsi1";
    /// A venue's bookings by local day (`VENUE#{id}#DAY#{date}`): one partition per venue-day.
    pub const BY_VENUE_DAY: &str = "gsi2";
    /// Held bookings by hold expiry, sharded (`HELD#{0..7}`).
    /// Also Mercado Pago accounts by token expiry (`TOKENS#{0..3}`), for the refresh job.
    pub const HELD: &str = "gsi3";
    /// Confirmed bookings by when their reminder is due, sharded (`REMIND#{0..7}`).
    pub const REMINDERS: &str = "gsi4";
    /// How many partitions the held-bookings index spreads over.
    pub const HELD_SHARDS: u32 = 8;
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The table did not answer (timeout, connection refused): say 503, not 500.
    #[error("the table did not answer")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("DynamoDB refused the request")]
    Dynamo(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("a DynamoDB request could not be built")]
    Build(#[from] BuildError),
    #[error(transparent)]
    Corrupt(#[from] ItemError),
    #[error("the transaction still conflicted after {attempts} attempts")]
    Contended { attempts: u32 },
    #[error("a new item's key is already taken (an id collision)")]
    DuplicateId,
    #[error("the cursor is not one this list issued")]
    BadCursor,
}

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn from(err: SdkError<E, R>) -> Self {
        match err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
                StoreError::Unavailable(Box::new(err))
            }
            other => StoreError::Dynamo(Box::new(other)),
        }
    }
}

/// Holdfast's table and the client that reaches it; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Store {
        Store {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Every item `query` finds, page after page, stopping once `max` are read.
    pub(crate) async fn query_items(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        max: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = query.clone().set_exclusive_start_key(start).send().await?;
            items.extend(out.items().iter().map(|i| Item(i.clone())));
            start = out.last_evaluated_key().cloned();
            if start.is_none() || items.len() >= max {
                items.truncate(max);
                return Ok(items);
            }
        }
    }

    /// The items of each partition in `partitions` whose sort key is below `before`, in order,
    /// at most `limit` in all: how the jobs read their sharded work lists (held bookings, due
    /// reminders, the outbox) without a scan. `index` is `None` for the table itself.
    pub(crate) async fn sorted_before(
        &self,
        index: Option<&str>,
        (partition_key, sort_key): (&str, &str),
        partitions: impl Iterator<Item = String>,
        before: &str,
        limit: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        for partition in partitions {
            let remaining = limit.saturating_sub(found.len());
            if remaining == 0 {
                break;
            }
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .key_condition_expression("#pk = :pk AND #sk < :before")
                .expression_attribute_names("#pk", partition_key)
                .expression_attribute_names("#sk", sort_key)
                .expression_attribute_values(":pk", item::s(partition))
                .expression_attribute_values(":before", item::s(before))
                // Only the table is read consistently; an index never is.
                .set_consistent_read(index.is_none().then_some(true))
                .limit(i32::try_from(remaining).unwrap_or(i32::MAX));
            found.extend(self.query_items(query, remaining).await?);
        }
        Ok(found)
    }

    /// Whether the table answers, within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> Result<(), StoreError> {
        let call = self.client.describe_table().table_name(&self.table).send();
        match tokio::time::timeout(timeout, call).await {
            Ok(result) => result.map(|_| ()).map_err(StoreError::from),
            Err(elapsed) => Err(StoreError::Unavailable(Box::new(elapsed))),
        }
    }
}
