//! The ids of the things Holdfast books: one type each, so that a venue's id can never be passed
//! where a resource's is wanted. Opaque strings inside; stored and shown as given.
//!
//! ```compile_fail
//! fn release_blocks(_: &holdfast_domain::ResourceId, _: &holdfast_domain::CalendarId) {}
//! let (resource, calendar) = (holdfast_domain::ResourceId::new("res_1"), holdfast_domain::CalendarId::new("cal_1"));
//! release_blocks(&calendar, &resource); // swapped: does not compile
//! ```

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(raw: impl Into<String>) -> $name {
                $name(raw.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// Read as text wherever text is wanted (keys, logs, views); written only through
        /// `new` or `From`, so one kind of id never turns into another.
        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(raw: String) -> $name {
                $name(raw)
            }
        }

        impl From<&str> for $name {
            fn from(raw: &str) -> $name {
                $name(raw.to_string())
            }
        }

        impl From<&String> for $name {
            fn from(raw: &String) -> $name {
                $name(raw.clone())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

id!(
    /// A venue's id (`ven_…`).
    VenueId
);
id!(
    /// A bookable resource's id (`res_…`): a court, a class, a cabin.
    ResourceId
);
id!(
    /// A booking's id (`bkg_…`).
    BookingId
);
id!(
    /// An imported calendar's id (`cal_…`).
    CalendarId
);
id!(
    /// A notice's id (`ntc_…`), which the mail of it is deduplicated by.
    NoticeId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_serialises_as_its_text() {
        let id = VenueId::new("ven_1");
        assert_eq!(id.as_str(), "ven_1");
        assert_eq!(id, "ven_1");
        assert_eq!(id.to_string(), "ven_1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"ven_1\"");
        let back: VenueId = serde_json::from_str("\"ven_1\"").unwrap();
        assert_eq!(back, id);
        assert_eq!(String::from(&id), "ven_1");
    }
}
