//! Entra's ids as their own types, parsed and normalised once: Graph compares object ids
//! and client ids without regard to case and answers in lower case, so the provider keys
//! its per-run caches and batches by the lower-case form instead of lower-casing strings
//! wherever two ids meet.

use std::fmt;

use crate::rules::guid;

/// A directory object's id (an application's, a service principal's, a managed
/// identity's principal id): a GUID, lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(String);

/// An application's or a managed identity's client id (`appId`): a GUID, lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

macro_rules! guid_id {
    ($t:ident) => {
        impl $t {
            /// `s` when it is a GUID (either case), lower-cased; `None` otherwise.
            pub fn parse(s: &str) -> Option<$t> {
                guid::is_guid(s).then(|| $t(s.to_ascii_lowercase()))
            }

            /// The id, lower case.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

guid_id!(ObjectId);
guid_id!(ClientId);

impl ObjectId {
    /// The same GUID read as a client id: a value given as a principal id may be a
    /// client id by mistake, and Graph is asked both ways.
    pub fn as_client_id(&self) -> ClientId {
        ClientId(self.0.clone())
    }
}

impl ClientId {
    /// The same GUID read as an object id (see [`ObjectId::as_client_id`]).
    pub fn as_object_id(&self) -> ObjectId {
        ObjectId(self.0.clone())
    }
}

/// An application by one of its two ids. The kinds never compare equal, so where this is
/// a key (the run's resolved applications, a one-application selection) an object id can
/// never answer for a client id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppKey {
    /// By the application object's id.
    Object(ObjectId),
    /// By its client id (`appId`).
    Client(ClientId),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_once_in_lower_case() {
        let upper = "B0000001-2B3C-4D5E-8F90-A1B2C3D4E5F1";
        let id = ObjectId::parse(upper).unwrap();
        assert_eq!(id.as_str(), upper.to_ascii_lowercase());
        assert_eq!(
            Some(id.clone()),
            ObjectId::parse(&upper.to_ascii_lowercase())
        );
        assert_eq!(id.as_client_id().as_object_id(), id);
        assert_eq!(ClientId::parse("not-a-guid"), None);
        assert_eq!(ObjectId::parse(""), None);
        assert_eq!(id.to_string(), id.as_str());
    }

    #[test]
    fn an_object_id_is_never_a_client_id() {
        let id = ObjectId::parse("B0000001-2B3C-4D5E-8F90-A1B2C3D4E5F1").unwrap();
        let by_object = AppKey::Object(id.clone());
        assert_eq!(
            by_object,
            AppKey::Object(ObjectId::parse(&id.as_str().to_ascii_uppercase()).unwrap())
        );
        assert_ne!(by_object, AppKey::Client(id.as_client_id()));
    }
}
