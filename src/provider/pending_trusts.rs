//! Credentials this run plans to create and has not created yet, by application.
//!
//! Terraform opens ephemeral resources and reads data sources during plan whenever their
//! arguments are known, even with `depends_on`. A token requested then for an application
//! whose credential only apply creates cannot succeed, and waiting for propagation cannot
//! help: `entra_mi_access_token` asks here so it fails at once and says why, with the fix.

use std::sync::Mutex;

use crate::entra::ids::{ClientId, ObjectId};

/// An application as far as its ids are known at plan (either may still be unknown).
/// Two name the same application when they share an id of the same kind: an object id
/// is never taken for a client id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownApp {
    object_id: Option<ObjectId>,
    client_id: Option<ClientId>,
}

impl KnownApp {
    /// The ids among `object_id` and `client_id` that are GUIDs (an unknown one is `""`).
    pub fn parse(object_id: &str, client_id: &str) -> KnownApp {
        KnownApp {
            object_id: ObjectId::parse(object_id),
            client_id: ClientId::parse(client_id),
        }
    }

    /// An application known by its client id only (a token's).
    pub fn by_client_id(client_id: &str) -> KnownApp {
        KnownApp::parse("", client_id)
    }

    fn is_known(&self) -> bool {
        self.object_id.is_some() || self.client_id.is_some()
    }

    fn same_as(&self, other: &KnownApp) -> bool {
        let object = self.object_id.is_some() && self.object_id == other.object_id;
        let client = self.client_id.is_some() && self.client_id == other.client_id;
        object || client
    }
}

/// One planned create: the application as known at plan, and the name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    app: KnownApp,
    name: String,
}

/// The planned, not yet created credentials of one run (one provider process).
#[derive(Debug, Default)]
pub struct PendingTrusts {
    pending: Mutex<Vec<Pending>>,
}

impl PendingTrusts {
    /// Plan decided to create credential `name` on `app`.
    pub fn planned(&self, app: &KnownApp, name: &str) {
        if !app.is_known() {
            return;
        }
        let entry = Pending {
            app: app.clone(),
            name: name.to_string(),
        };
        if let Ok(mut p) = self.pending.lock() {
            if !p.contains(&entry) {
                p.push(entry);
            }
        }
    }

    /// Apply created credential `name` on `app`.
    pub fn created(&self, app: &KnownApp, name: &str) {
        if let Ok(mut p) = self.pending.lock() {
            p.retain(|e| e.name != name || !e.app.same_as(app));
        }
    }

    /// Whether no credential is pending.
    pub fn is_empty(&self) -> bool {
        self.pending.lock().map_or(true, |p| p.is_empty())
    }

    /// The names of the credentials pending on `app`.
    pub fn for_app(&self, app: &KnownApp) -> Vec<String> {
        let Ok(p) = self.pending.lock() else {
            return Vec::new();
        };
        let mut names: Vec<String> = p
            .iter()
            .filter(|e| e.app.same_as(app))
            .map(|e| e.name.clone())
            .collect();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJECT: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02";
    const CLIENT: &str = "C11E0002-5A6B-4C7D-8E9F-0A1B2C3D4E02";
    const CLIENT_LOWER: &str = "c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02";

    #[test]
    fn pending_until_created_by_either_id() {
        let app = KnownApp::parse;
        // planned with, asked with, pending before the create
        let cases = [
            (app(OBJECT, ""), app("", CLIENT), false),
            (app(OBJECT, ""), app(OBJECT, ""), true),
            (app("", CLIENT), app("", CLIENT_LOWER), true),
            (
                app(&OBJECT.to_ascii_uppercase(), ""),
                app(OBJECT, CLIENT),
                true,
            ),
            // An object id never answers for a client id, nor the other way round.
            (app(OBJECT, ""), app("", OBJECT), false),
            (app("", CLIENT), app(CLIENT, ""), false),
            // Nothing known at plan (or no GUID): nothing to wait for.
            (app("", ""), app(OBJECT, CLIENT), false),
            (app("not-a-guid", ""), app("not-a-guid", ""), false),
        ];
        for (planned, asked, pending) in cases {
            let p = PendingTrusts::default();
            p.planned(&planned, "deploy");
            p.planned(&planned, "deploy"); // the apply walk plans again
            let want: &[&str] = if pending { &["deploy"] } else { &[] };
            assert_eq!(p.for_app(&asked), want, "{planned:?} asked {asked:?}");
            p.created(&app(OBJECT, CLIENT_LOWER), "deploy");
            assert!(p.for_app(&asked).is_empty(), "{planned:?}: created");
        }
    }

    #[test]
    fn another_name_stays_pending() {
        let p = PendingTrusts::default();
        let app = KnownApp::parse(OBJECT, "");
        p.planned(&app, "deploy");
        p.planned(&app, "build");
        p.created(&app, "deploy");
        assert_eq!(p.for_app(&app), ["build"]);
    }
}
