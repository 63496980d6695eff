//! Opaque list cursors: DynamoDB's last evaluated key, with where a multi-partition list stood.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// One page of a list and the cursor to the next, if any.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

/// Where a list stopped: the partition (for lists over several) and the key to start after.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "p")]
    pub partition: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", rename = "k")]
    pub key: BTreeMap<String, String>,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(raw: &str) -> Result<Cursor, StoreError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| StoreError::BadCursor)?;
        serde_json::from_slice(&bytes).map_err(|_| StoreError::BadCursor)
    }

    pub(crate) fn from_key(
        partition: Option<String>,
        key: &HashMap<String, AttributeValue>,
    ) -> Cursor {
        let key = key
            .iter()
            .filter_map(|(k, v)| v.as_s().ok().map(|s| (k.clone(), s.clone())))
            .collect();
        Cursor { partition, key }
    }

    /// The exclusive start key, checked to be this list's own kind of key.
    pub(crate) fn start_key(
        &self,
        allowed: &[&str],
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        if self.key.is_empty() {
            return Ok(None);
        }
        if self.key.keys().any(|k| !allowed.contains(&k.as_str()))
            || self.key.len() != allowed.len()
        {
            return Err(StoreError::BadCursor);
        }
        Ok(Some(
            self.key
                .iter()
                .map(|(k, v)| (k.clone(), AttributeValue::S(v.clone())))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            partition: Some("2026-12-01".into()),
            key: [
                ("pk".to_string(), "BOOKING#1".to_string()),
                ("sk".to_string(), "BOOKING".to_string()),
            ]
            .into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        assert!(matches!(
            Cursor::decode("not a cursor"),
            Err(StoreError::BadCursor)
        ));
        assert!(matches!(
            cursor.start_key(&["pk", "sk", "gsi1pk"]),
            Err(StoreError::BadCursor)
        ));
        assert_eq!(
            cursor.start_key(&["pk", "sk"]).unwrap().map(|k| k.len()),
            Some(2)
        );
    }
}
