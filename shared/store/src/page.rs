//! List cursors: opaque to callers, bound to the list that issued them. A cursor carries only a
//! position (an index sort key, and the day for lists over several partitions); every key
//! attribute DynamoDB needs is rebuilt from the query's own partition, never taken from it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use holdfast_domain::ids::VenueId;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::item::s;
use crate::keys::{self, attr};

/// One page of a list and the cursor to the next, if any.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// The longest cursor accepted; anything longer was not issued here.
const MAX_CURSOR_LEN: usize = 512;

/// Which list a cursor belongs to, by everything that selects the list's items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListId(String);

impl ListId {
    pub(crate) fn owner(owner: &str) -> ListId {
        ListId(format!("owner\u{0}{owner}"))
    }

    pub(crate) fn venue_days(venue_id: &VenueId, days: &[String], status: Option<&str>) -> ListId {
        ListId(format!(
            "venue\u{0}{venue_id}\u{0}{}\u{0}{}\u{0}{}",
            days.first().map_or("", String::as_str),
            days.last().map_or("", String::as_str),
            status.unwrap_or("")
        ))
    }

    /// A short digest: a cursor shows which list it is for without showing the list's key.
    fn fingerprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(&Sha256::digest(self.0.as_bytes())[..12])
    }
}

/// Where a list stopped: the day partition (for lists over days) and the index sort key of the
/// last item read (`{instant}#{booking_id}`), if the partition was not finished.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Position {
    pub day: Option<String>,
    pub after: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    l: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    a: Option<String>,
}

impl Position {
    pub(crate) fn encode(&self, list: &ListId) -> String {
        let wire = Wire {
            l: list.fingerprint(),
            d: self.day.clone(),
            a: self.after.clone(),
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).unwrap_or_default())
    }

    /// The position `raw` names in `list`; anything else (garbage, truncated, another list's,
    /// altered) is `BadCursor`.
    pub(crate) fn decode(list: &ListId, raw: &str) -> Result<Position, StoreError> {
        if raw.is_empty() || raw.len() > MAX_CURSOR_LEN {
            return Err(StoreError::BadCursor);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| StoreError::BadCursor)?;
        let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| StoreError::BadCursor)?;
        if wire.l != list.fingerprint() {
            return Err(StoreError::BadCursor);
        }
        if let Some(day) = &wire.d {
            if day.len() != 10 || day.parse::<Date>().is_err() {
                return Err(StoreError::BadCursor);
            }
        }
        if let Some(after) = &wire.a {
            booking_of_sort_key(after)?;
        }
        Ok(Position {
            day: wire.d,
            after: wire.a,
        })
    }

    /// The position after the last item a page read, from DynamoDB's last evaluated key.
    pub(crate) fn after_key(
        day: Option<String>,
        key: &HashMap<String, AttributeValue>,
        sort_attribute: &str,
    ) -> Position {
        Position {
            day,
            after: key.get(sort_attribute).and_then(|v| v.as_s().ok()).cloned(),
        }
    }

    /// The exclusive start key in the index partition `partition` (the query's own), with its
    /// sort key `sort_attribute`; `None` to start at the beginning.
    pub(crate) fn start_key(
        &self,
        (partition_attribute, partition): (&str, &str),
        sort_attribute: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let Some(after) = &self.after else {
            return Ok(None);
        };
        let (pk, sk) = keys::booking(booking_of_sort_key(after)?);
        Ok(Some(HashMap::from([
            (partition_attribute.to_string(), s(partition)),
            (sort_attribute.to_string(), s(after)),
            (attr::PK.to_string(), s(pk)),
            (attr::SK.to_string(), s(sk)),
        ])))
    }
}

/// The booking id of a list index's sort key `{instant}#{booking_id}`, checked strictly.
fn booking_of_sort_key(sort_key: &str) -> Result<&str, StoreError> {
    let (instant, booking_id) = sort_key.rsplit_once('#').ok_or(StoreError::BadCursor)?;
    let id_ok = !booking_id.is_empty()
        && booking_id.len() <= 64
        && booking_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !id_ok || instant.parse::<Timestamp>().is_err() {
        return Err(StoreError::BadCursor);
    }
    Ok(booking_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> Position {
        Position {
            day: Some("2026-12-01".into()),
            after: Some("2026-12-01T09:00:00Z#bkg_1".into()),
        }
    }

    #[test]
    fn cursors_round_trip_in_their_own_list_only() {
        let mine = ListId::owner("ana");
        let cursor = position().encode(&mine);
        assert_eq!(Position::decode(&mine, &cursor).unwrap(), position());
        assert!(!cursor.contains("ana"));
        for other in [
            ListId::owner("ben"),
            ListId::venue_days(&"ven_1".into(), &["2026-12-01".into()], None),
        ] {
            assert!(matches!(
                Position::decode(&other, &cursor),
                Err(StoreError::BadCursor)
            ));
        }
    }

    #[test]
    fn garbage_truncated_and_altered_cursors_are_refused() {
        let list = ListId::owner("ana");
        let cursor = position().encode(&list);
        let forged = |wire: serde_json::Value| URL_SAFE_NO_PAD.encode(wire.to_string());
        let fp = list.fingerprint();
        for bad in [
            "not a cursor".to_string(),
            cursor[..cursor.len() / 2].to_string(),
            String::new(),
            "A".repeat(MAX_CURSOR_LEN + 1),
            forged(serde_json::json!({"l": fp, "a": "OWNER#ben"})),
            forged(serde_json::json!({"l": fp, "a": "2026-12-01T09:00:00Z#BOOKING#x"})),
            forged(serde_json::json!({"l": fp, "d": "VENUE#v#DAY#2026-12-01"})),
            forged(serde_json::json!({"l": fp, "k": {"pk": "BOOKING#1"}})),
        ] {
            assert!(
                matches!(Position::decode(&list, &bad), Err(StoreError::BadCursor)),
                "{bad}"
            );
        }
    }

    #[test]
    fn start_keys_come_from_the_querys_own_partition() {
        let key = position()
            .start_key(("gsi1pk", "OWNER#ana"), "gsi1sk")
            .unwrap()
            .unwrap();
        assert_eq!(key["gsi1pk"], s("OWNER#ana"));
        assert_eq!(key["pk"], s("BOOKING#bkg_1"));
        assert_eq!(key["sk"], s("BOOKING"));
        assert_eq!(key["gsi1sk"], s("2026-12-01T09:00:00Z#bkg_1"));
        assert_eq!(
            Position::default()
                .start_key(("gsi1pk", "OWNER#ana"), "gsi1sk")
                .unwrap(),
            None
        );
    }
}
