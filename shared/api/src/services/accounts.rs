//! Payment accounts: an admin stores the venue's credentials at a provider (sealed with KMS,
//! never shown again), lists what is set up, or removes one.

use holdfast_domain::{AccountSummary, PaymentProvider, ProviderAccount, format_local};
use holdfast_vault::{Owner, VaultError};
use serde::Serialize;

use super::administered_venue;
use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;

/// An account as API.md shows it: never a secret.
#[derive(Debug, Serialize)]
pub struct AccountView {
    pub provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_refresh_error: Option<Option<String>>,
    pub updated_at: String,
}

#[derive(Debug, Serialize)]
pub struct AccountList {
    pub items: Vec<AccountView>,
}

fn view(summary: &AccountSummary, zone: &jiff::tz::TimeZone) -> AccountView {
    let mercadopago = summary.provider == PaymentProvider::MercadoPago;
    AccountView {
        provider: summary.provider.as_str(),
        key_hint: summary.key_hint.clone(),
        user_id: summary.user_id.clone(),
        expires_at: summary.expires_at.map(|t| format_local(t, zone)),
        last_refresh_error: mercadopago.then(|| summary.last_refresh_error.clone()),
        updated_at: format_local(summary.updated_at, zone),
    }
}

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

pub async fn put_account(
    app: &App,
    caller: &Caller,
    venue_id: &str,
    provider: PaymentProvider,
    body: &serde_json::Value,
) -> Result<AccountView, ApiError> {
    let venue = administered_venue(app, caller, venue_id).await?;
    let account = ProviderAccount::read(provider, body)?;
    let vault = app
        .vault
        .as_ref()
        .ok_or_else(|| ApiError::Internal("payment accounts need HOLDFAST_KMS_KEY_ID".into()))?;
    let owner = Owner {
        venue_id,
        provider: provider.as_str(),
    };
    let sealed = vault.seal(&account.to_sealable(), owner).await?;
    let summary = account.summary(app.clock.now());
    app.store.put_account(venue_id, &summary, sealed).await?;
    tracing::info!(
        venue_id,
        provider = provider.as_str(),
        "payment account stored"
    );
    Ok(view(&summary, venue.zone.tz()))
}

pub async fn list_accounts(
    app: &App,
    caller: &Caller,
    venue_id: &str,
) -> Result<AccountList, ApiError> {
    let venue = administered_venue(app, caller, venue_id).await?;
    let items = app
        .store
        .accounts(venue_id)
        .await?
        .iter()
        .map(|s| view(s, venue.zone.tz()))
        .collect();
    Ok(AccountList { items })
}

pub async fn delete_account(
    app: &App,
    caller: &Caller,
    venue_id: &str,
    provider: PaymentProvider,
) -> Result<(), ApiError> {
    administered_venue(app, caller, venue_id).await?;
    if app.store.delete_account(venue_id, provider).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound("payment account"))
    }
}
