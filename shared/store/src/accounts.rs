//! Payment accounts: one item per venue and provider beside the venue (`ACCOUNT#{provider}`),
//! holding the sealed credentials and what may be shown of them.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use holdfast_domain::{AccountSummary, PaymentProvider, VenueId};

use crate::item::{Item, ItemError, s};
use crate::keys::tokens_shard;
use crate::keys::{self, attr, kind};
use crate::projection::projected;
use crate::{Store, StoreError};

fn key(venue_id: &VenueId, provider: PaymentProvider) -> (String, String) {
    keys::account(venue_id, provider.as_str())
}

impl TryFrom<&Item> for AccountSummary {
    type Error = ItemError;

    fn try_from(item: &Item) -> Result<AccountSummary, ItemError> {
        Ok(AccountSummary {
            provider: PaymentProvider::parse(item.string(attr::PROVIDER)?)
                .filter(|p| *p != PaymentProvider::None)
                .ok_or_else(|| item.error(attr::PROVIDER, "is no payment provider"))?,
            key_hint: item.opt_string(attr::KEY_HINT)?.map(str::to_string),
            user_id: item.opt_string(attr::USER_ID)?.map(str::to_string),
            expires_at: item
                .opt_string(attr::EXPIRES_AT)?
                .map(|t| {
                    t.parse()
                        .map_err(|_| item.error(attr::EXPIRES_AT, "does not parse"))
                })
                .transpose()?,
            last_refresh_error: item
                .opt_string(attr::LAST_REFRESH_ERROR)?
                .map(str::to_string),
            updated_at: item.parsed(attr::UPDATED_AT)?,
        })
    }
}

/// The item of `venue_id`'s account: `sealed` credentials and their `summary`. A Mercado Pago
/// account is filed on the refresh job's list (`gsi3`, `TOKENS#{shard}`) by when its tokens
/// expire; a new item has no refresh failures, so writing one clears them.
pub(crate) fn account_item(venue_id: &VenueId, summary: &AccountSummary, sealed: Vec<u8>) -> Item {
    let mut item = Item::keyed(key(venue_id, summary.provider));
    item.put(attr::TYPE, s(kind::ACCOUNT));
    item.put(attr::VENUE_ID, s(venue_id));
    item.put(attr::PROVIDER, s(summary.provider.as_str()));
    item.put(attr::SEALED, AttributeValue::B(Blob::new(sealed)));
    if let Some(hint) = &summary.key_hint {
        item.put(attr::KEY_HINT, s(hint));
    }
    if let Some(user) = &summary.user_id {
        item.put(attr::USER_ID, s(user));
    }
    if let Some(at) = summary.expires_at {
        item.put(attr::EXPIRES_AT, s(keys::instant(at)));
        if summary.provider == PaymentProvider::MercadoPago {
            item.put(attr::GSI3PK, s(keys::tokens_due(tokens_shard(venue_id))));
            item.put(attr::GSI3SK, s(format!("{}#{venue_id}", keys::instant(at))));
        }
    }
    item.put(attr::UPDATED_AT, s(keys::instant(summary.updated_at)));
    item
}

impl Store {
    /// Stores `venue_id`'s account (replacing one of the same provider) as `sealed` credentials
    /// and their `summary`.
    pub async fn put_account(
        &self,
        venue_id: &VenueId,
        summary: &AccountSummary,
        sealed: Vec<u8>,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(account_item(venue_id, summary, sealed).0))
            .send()
            .await?;
        Ok(())
    }

    /// What may be shown of each of `venue_id`'s accounts.
    pub async fn accounts(&self, venue_id: &VenueId) -> Result<Vec<AccountSummary>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :accounts)")
            .expression_attribute_names("#pk", attr::PK)
            .expression_attribute_names("#sk", attr::SK)
            .expression_attribute_values(":pk", s(keys::venue(venue_id).0))
            .expression_attribute_values(":accounts", s(keys::ACCOUNTS))
            .consistent_read(true);
        let query = projected(
            query,
            &[
                attr::PROVIDER,
                attr::KEY_HINT,
                attr::USER_ID,
                attr::EXPIRES_AT,
                attr::LAST_REFRESH_ERROR,
                attr::UPDATED_AT,
            ],
        );
        let items = self.query_items(query, 10).await?;
        Ok(items
            .iter()
            .map(AccountSummary::try_from)
            .collect::<Result<_, _>>()?)
    }

    /// Whether `venue_id` takes payments through `provider`.
    pub async fn has_account(
        &self,
        venue_id: &VenueId,
        provider: PaymentProvider,
    ) -> Result<bool, StoreError> {
        Ok(self.get(key(venue_id, provider)).await?.is_some())
    }

    /// `venue_id`'s sealed credentials at `provider`, to be opened for the one call that uses
    /// them.
    pub async fn sealed_account(
        &self,
        venue_id: &VenueId,
        provider: PaymentProvider,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(item) = self.get(key(venue_id, provider)).await? else {
            return Ok(None);
        };
        match item.0.get(attr::SEALED) {
            Some(AttributeValue::B(blob)) => Ok(Some(blob.as_ref().to_vec())),
            _ => Err(item.error(attr::SEALED, "is not sealed credentials").into()),
        }
    }

    /// Removes an account; `false` when there was none.
    pub async fn delete_account(
        &self,
        venue_id: &VenueId,
        provider: PaymentProvider,
    ) -> Result<bool, StoreError> {
        let (pk, sk) = key(venue_id, provider);
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(attr::PK, s(pk))
            .key(attr::SK, s(sk))
            .return_values(ReturnValue::AllOld)
            .send()
            .await?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(provider: PaymentProvider, expires_at: Option<&str>) -> AccountSummary {
        AccountSummary {
            provider,
            key_hint: None,
            user_id: Some("987654321".into()),
            expires_at: expires_at.map(|t| t.parse().unwrap()),
            last_refresh_error: None,
            updated_at: "2026-11-22T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn mercadopago_accounts_are_filed_by_token_expiry() {
        let item = account_item(
            &"ven_1".into(),
            &summary(PaymentProvider::MercadoPago, Some("2027-05-21T10:00:00Z")),
            vec![1, 2, 3],
        );
        assert_eq!(
            item.string("gsi3pk").unwrap(),
            keys::tokens_due(tokens_shard("ven_1"))
        );
        assert_eq!(item.string("gsi3sk").unwrap(), "2027-05-21T10:00:00Z#ven_1");
        assert_eq!(item.string("venue_id").unwrap(), "ven_1");
        assert!(!item.0.contains_key("refresh_failures"));
        assert!(!item.0.contains_key("last_refresh_error"));
        let read = AccountSummary::try_from(&item).unwrap();
        assert_eq!(
            read,
            summary(PaymentProvider::MercadoPago, Some("2027-05-21T10:00:00Z"))
        );
    }

    #[test]
    fn other_accounts_stay_off_the_refresh_list() {
        let stripe = account_item(
            &"ven_1".into(),
            &summary(PaymentProvider::Stripe, None),
            vec![1],
        );
        assert!(!stripe.0.contains_key("gsi3pk") && !stripe.0.contains_key("gsi3sk"));
        let no_expiry = account_item(
            &"ven_1".into(),
            &summary(PaymentProvider::MercadoPago, None),
            vec![1],
        );
        assert!(!no_expiry.0.contains_key("gsi3pk"));
    }
}
