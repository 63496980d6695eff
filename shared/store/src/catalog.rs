//! Venues and resources: written by admins, read on every booking.

use aws_sdk_dynamodb::types::AttributeValue;
use holdfast_domain::{Resource, Venue};

use crate::item::{Item, keys, s};
use crate::{Store, StoreError, index};

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
        self.put_new(Item::from(resource)).await
    }

    /// Replaces a resource that exists (a PATCH never creates one).
    pub async fn replace_resource(&self, resource: &Resource) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Item::from(resource).0))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await?;
        Ok(())
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
