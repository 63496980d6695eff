//! Payment accounts: an admin stores the venue's credentials at a provider (sealed with KMS,
//! never shown again), lists what is set up, or removes one.

use holdfast_domain::{AccountSummary, PaymentProvider, ProviderAccount, VenueId, Zone};
use holdfast_vault::{Owner, Vault, VaultError};

use super::administered_venue;
use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;

/// The provider a path names; only the online ones have accounts.
pub fn provider_of(raw: &str) -> Result<PaymentProvider, ApiError> {
    PaymentProvider::parse(raw)
        .filter(|p| *p != PaymentProvider::None)
        .ok_or(ApiError::NotFound("payment provider"))
}

impl From<VaultError> for ApiError {
    fn from(err: VaultError) -> ApiError {
        match err {
            VaultError::Unavailable(_) => ApiError::Unavailable(Box::new(err)),
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

fn vault(app: &App) -> Result<&Vault, ApiError> {
    app.vault
        .as_ref()
        .ok_or_else(|| ApiError::Internal("payment accounts need HOLDFAST_KMS_KEY_ID".into()))
}

/// Credentials are sealed for their venue and provider: they open for that account alone.
fn owner<'a>(venue_id: &'a str, provider: PaymentProvider) -> Owner<'a> {
    Owner {
        venue_id,
        provider: provider.as_str(),
    }
}

/// Fails unless accounts can be sealed here: checked before anything is asked of a provider.
pub(crate) fn can_seal(app: &App) -> Result<(), ApiError> {
    vault(app).map(|_| ())
}

/// `account` sealed for `venue_id` with KMS: the only form credentials are stored in.
pub(crate) async fn seal(
    app: &App,
    venue_id: &VenueId,
    account: &ProviderAccount,
) -> Result<Vec<u8>, ApiError> {
    let owner = owner(venue_id, account.provider());
    Ok(vault(app)?.seal(&account.to_sealable(), owner).await?)
}

/// The credentials `sealed` holds, for the one call at hand.
pub(crate) async fn open(
    app: &App,
    venue_id: &VenueId,
    provider: PaymentProvider,
    sealed: &[u8],
) -> Result<ProviderAccount, ApiError> {
    let plain = vault(app)?.open(sealed, owner(venue_id, provider)).await?;
    ProviderAccount::from_sealed(provider, &plain)
        .ok_or_else(|| ApiError::Internal("a sealed payment account does not read".into()))
}

/// Stores `account` as `venue_id`'s account at its provider, sealed, replacing any before it
/// (and its refresh failures): what an admin's PUT and a finished OAuth connect both do.
pub async fn store_account(
    app: &App,
    venue_id: &VenueId,
    account: &ProviderAccount,
) -> Result<AccountSummary, ApiError> {
    let sealed = seal(app, venue_id, account).await?;
    let summary = account.summary(app.clock.now());
    app.store.put_account(venue_id, &summary, sealed).await?;
    tracing::info!(
        %venue_id,
        provider = account.provider().as_str(),
        "payment account stored"
    );
    Ok(summary)
}

/// The admin's PUT: the account stored, with the venue's zone to show its instants in.
pub async fn put_account(
    app: &App,
    caller: &Caller,
    venue_id: &VenueId,
    provider: PaymentProvider,
    body: &serde_json::Value,
) -> Result<(AccountSummary, Zone), ApiError> {
    let venue = administered_venue(app, caller, venue_id).await?;
    let account = ProviderAccount::read(provider, body)?;
    let summary = store_account(app, venue_id, &account).await?;
    Ok((summary, venue.zone.clone()))
}

/// The venue's accounts, with its zone to show their instants in.
pub async fn list_accounts(
    app: &App,
    caller: &Caller,
    venue_id: &VenueId,
) -> Result<(Vec<AccountSummary>, Zone), ApiError> {
    let venue = administered_venue(app, caller, venue_id).await?;
    Ok((app.store.accounts(venue_id).await?, venue.zone.clone()))
}

pub async fn delete_account(
    app: &App,
    caller: &Caller,
    venue_id: &VenueId,
    provider: PaymentProvider,
) -> Result<(), ApiError> {
    administered_venue(app, caller, venue_id).await?;
    if app.store.delete_account(venue_id, provider).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound("payment account"))
    }
}
