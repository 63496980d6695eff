//! Provider credentials sealed with KMS: each is encrypted under an encryption context that
//! names its venue and provider, so a sealed secret opens only for the account it belongs to.

use std::collections::HashMap;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// KMS did not answer (timeout, connection): say 503.
    #[error("KMS did not answer")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("KMS refused the request")]
    Refused(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("KMS answered without a result")]
    Empty,
}

fn failed<E, R>(err: aws_sdk_kms::error::SdkError<E, R>) -> VaultError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match err {
        aws_sdk_kms::error::SdkError::TimeoutError(_)
        | aws_sdk_kms::error::SdkError::DispatchFailure(_) => {
            VaultError::Unavailable(Box::new(err))
        }
        other => VaultError::Refused(Box::new(other)),
    }
}

/// Who a sealed secret belongs to: the encryption context KMS binds it to.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub venue_id: &'a str,
    pub provider: &'a str,
}

impl Owner<'_> {
    fn context(&self) -> HashMap<String, String> {
        HashMap::from([
            ("venue_id".to_string(), self.venue_id.to_string()),
            ("provider".to_string(), self.provider.to_string()),
        ])
    }
}

/// The KMS key credentials are sealed with.
#[derive(Debug, Clone)]
pub struct Vault {
    client: Client,
    key_id: String,
}

impl Vault {
    pub fn new(client: Client, key_id: impl Into<String>) -> Vault {
        Vault {
            client,
            key_id: key_id.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// `plaintext` sealed for `owner`.
    pub async fn seal(&self, plaintext: &[u8], owner: Owner<'_>) -> Result<Vec<u8>, VaultError> {
        let out = self
            .client
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(plaintext))
            .set_encryption_context(Some(owner.context()))
            .send()
            .await
            .map_err(failed)?;
        Ok(out.ciphertext_blob.ok_or(VaultError::Empty)?.into_inner())
    }

    /// What `sealed` holds, if it was sealed for `owner`.
    pub async fn open(&self, sealed: &[u8], owner: Owner<'_>) -> Result<Vec<u8>, VaultError> {
        let out = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(sealed))
            .set_encryption_context(Some(owner.context()))
            .send()
            .await
            .map_err(failed)?;
        Ok(out.plaintext.ok_or(VaultError::Empty)?.into_inner())
    }
}
