//! Venues and resources: written by admins, read on every booking.

use aws_sdk_dynamodb::types::AttributeValue;
use holdfast_domain::{Resource, Venue};

use crate::item::{Item, n, s};
use crate::{Store, StoreError, index, keys};

/// A resource item's version: every replace names the version it read, so that two admins
/// patching at once never overwrite each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(u64);

impl Store {
    pub async fn put_venue(&self, venue: &Venue) -> Result<(), StoreError> {
        self.put_new(Item::from(venue)).await
    }

    pub async fn venue(&self, venue_id: &str) -> Result<Option<Venue>, StoreError> {
        match self.get(keys::venue(venue_id)).await? {
            Some(item) => Ok(Some(Venue::try_from(&item)?)),
            None => Ok(None),
        }
    }

    pub async fn put_resource(&self, resource: &Resource) -> Result<(), StoreError> {
        let mut item = Item::from(resource);
        item.put("version", n(1));
        self.put_new(item).await
    }

    /// A resource and the version read, for a replace that must not lose another's change.
    pub async fn resource_version(
        &self,
        resource_id: &str,
    ) -> Result<Option<(Resource, Version)>, StoreError> {
        match self.get(keys::resource(resource_id)).await? {
            Some(item) => {
                // Items written before versions were kept count as version 0.
                let version = Version(item.opt_number("version")?.unwrap_or(0));
                Ok(Some((Resource::try_from(&item)?, version)))
            }
            None => Ok(None),
        }
    }

    /// Replaces a resource if it is still at `read` (a PATCH never creates one); `false` when
    /// someone changed it since, and nothing was written.
    pub async fn replace_resource(
        &self,
        resource: &Resource,
        read: Version,
    ) -> Result<bool, StoreError> {
        let mut item = Item::from(resource);
        item.put("version", n(read.0 + 1));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.0));
        let put = if read.0 == 0 {
            put.condition_expression("attribute_exists(pk) AND attribute_not_exists(version)")
        } else {
            put.condition_expression("version = :read")
                .expression_attribute_values(":read", n(read.0))
        };
        let result = put.send().await;
        match result {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(err.into()),
        }
    }

    pub async fn resource(&self, resource_id: &str) -> Result<Option<Resource>, StoreError> {
        match self.get(keys::resource(resource_id)).await? {
            Some(item) => Ok(Some(Resource::try_from(&item)?)),
            None => Ok(None),
        }
    }

    /// Every resource of a venue, oldest first, active or not.
    pub async fn venue_resources(&self, venue_id: &str) -> Result<Vec<Resource>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index::BY_OWNER)
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", s(keys::venue_resources(venue_id)));
        let items = self.query_items(query, usize::MAX).await?;
        Ok(items
            .iter()
            .map(Resource::try_from)
            .collect::<Result<_, _>>()?)
    }

    pub(crate) async fn get(&self, (pk, sk): (String, String)) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .consistent_read(true)
            .send()
            .await?;
        Ok(out.item.map(Item))
    }

    async fn put_new(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.0))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await?;
        Ok(())
    }
}
