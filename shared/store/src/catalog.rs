//! Venues and resources: written by admins, read on every booking.

use aws_sdk_dynamodb::types::AttributeValue;
use holdfast_domain::{Resource, ResourceId, Venue, VenueId};

use crate::conditions::if_condition_held;
use crate::item::{Item, n, s};
use crate::keys::{self, attr};
use crate::{Store, StoreError, index};

mod items;

#[cfg(test)]
pub(crate) use items::fixtures;

/// A resource item's version: every replace names the version it read, so that two admins
/// patching at once never overwrite each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(pub(crate) u64);

impl Version {
    /// The number of the revision read: it grows with every replace.
    pub fn revision(&self) -> u64 {
        self.0
    }
}

/// `item` as the version after `read`.
fn versioned(mut item: Item, read: Version) -> Item {
    item.put(attr::VERSION, n(read.0 + 1));
    item
}

impl Store {
    pub async fn put_venue(&self, venue: &Venue) -> Result<(), StoreError> {
        self.put_new(versioned(Item::from(venue), Version(0))).await
    }

    pub async fn venue(&self, venue_id: &VenueId) -> Result<Option<Venue>, StoreError> {
        Ok(self.venue_version(venue_id).await?.map(|(venue, _)| venue))
    }

    /// A venue and the version read, for a replace that must not lose another's change.
    pub async fn venue_version(
        &self,
        venue_id: &VenueId,
    ) -> Result<Option<(Venue, Version)>, StoreError> {
        self.read_versioned(keys::venue(venue_id)).await
    }

    /// Replaces a venue if it is still at `read`; `false` when someone changed it since.
    pub async fn replace_venue(&self, venue: &Venue, read: Version) -> Result<bool, StoreError> {
        self.put_versioned(Item::from(venue), read).await
    }

    pub async fn put_resource(&self, resource: &Resource) -> Result<(), StoreError> {
        self.put_new(versioned(Item::from(resource), Version(0)))
            .await
    }

    /// A resource and the version read, for a replace that must not lose another's change.
    pub async fn resource_version(
        &self,
        resource_id: &ResourceId,
    ) -> Result<Option<(Resource, Version)>, StoreError> {
        self.read_versioned(keys::resource(resource_id)).await
    }

    /// Replaces a resource if it is still at `read` (a PATCH never creates one); `false` when
    /// someone changed it since, and nothing was written.
    pub async fn replace_resource(
        &self,
        resource: &Resource,
        read: Version,
    ) -> Result<bool, StoreError> {
        self.put_versioned(Item::from(resource), read).await
    }

    pub(crate) async fn read_versioned<T>(
        &self,
        key: (String, String),
    ) -> Result<Option<(T, Version)>, StoreError>
    where
        T: for<'a> TryFrom<&'a Item, Error = crate::ItemError>,
    {
        match self.get(key).await? {
            Some(item) => {
                // Items written before versions were kept count as version 0.
                let version = Version(item.opt_number(attr::VERSION)?.unwrap_or(0));
                Ok(Some((T::try_from(&item)?, version)))
            }
            None => Ok(None),
        }
    }

    /// Puts `item` over the one at `read`; `false` when the stored version moved on.
    async fn put_versioned(&self, item: Item, read: Version) -> Result<bool, StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(versioned(item, read).0))
            .expression_attribute_names("#version", attr::VERSION);
        let put = if read.0 == 0 {
            put.condition_expression("attribute_exists(#pk) AND attribute_not_exists(#version)")
                .expression_attribute_names("#pk", attr::PK)
        } else {
            put.condition_expression("#version = :read")
                .expression_attribute_values(":read", n(read.0))
        };
        Ok(if_condition_held(put.send().await)?.is_some())
    }

    pub async fn resource(&self, resource_id: &ResourceId) -> Result<Option<Resource>, StoreError> {
        match self.get(keys::resource(resource_id)).await? {
            Some(item) => Ok(Some(Resource::try_from(&item)?)),
            None => Ok(None),
        }
    }

    /// Every resource of a venue, oldest first, active or not.
    pub async fn venue_resources(&self, venue_id: &VenueId) -> Result<Vec<Resource>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index::BY_OWNER)
            .key_condition_expression("#gsi1pk = :pk")
            .expression_attribute_names("#gsi1pk", attr::GSI1PK)
            .expression_attribute_values(":pk", s(keys::venue_resources(venue_id)));
        let items = self.query_items(query, usize::MAX).await?;
        Ok(items
            .iter()
            .map(Resource::try_from)
            .collect::<Result<_, _>>()?)
    }

    /// Deletes the item at `(pk, sk)`, if there is one.
    pub(crate) async fn delete(&self, (pk, sk): (String, String)) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(attr::PK, AttributeValue::S(pk))
            .key(attr::SK, AttributeValue::S(sk))
            .send()
            .await?;
        Ok(())
    }

    pub(crate) async fn get(&self, (pk, sk): (String, String)) -> Result<Option<Item>, StoreError> {
        if !keys::storable(&pk, &sk) {
            // No item has such a key (an id from a body, longer than any id): none to find.
            return Ok(None);
        }
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(attr::PK, AttributeValue::S(pk))
            .key(attr::SK, AttributeValue::S(sk))
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
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", attr::PK)
            .send()
            .await?;
        Ok(())
    }
}
