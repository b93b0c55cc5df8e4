//! Credentials this run plans to create and has not created yet, by application.
//!
//! Terraform opens ephemeral resources and reads data sources during plan whenever their
//! arguments are known, even with `depends_on`. A token requested then for an application
//! whose credential only apply creates cannot succeed, and waiting for propagation cannot
//! help: `entra_mi_access_token` asks here so it fails at once and says why, with the fix.

use std::sync::Mutex;

/// One planned create: the application's ids known at plan (lower case) and the name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    app_ids: Vec<String>,
    name: String,
}

/// The planned, not yet created credentials of one run (one provider process).
#[derive(Debug, Default)]
pub struct PendingTrusts {
    pending: Mutex<Vec<Pending>>,
}

fn lower(ids: &[&str]) -> Vec<String> {
    ids.iter()
        .filter(|id| !id.is_empty())
        .map(|id| id.to_ascii_lowercase())
        .collect()
}

impl PendingTrusts {
    /// Plan decided to create credential `name` on the application known by `app_ids`
    /// (its object id, its client id, or both, as far as they are known at plan).
    pub fn planned(&self, app_ids: &[&str], name: &str) {
        let entry = Pending {
            app_ids: lower(app_ids),
            name: name.to_string(),
        };
        if entry.app_ids.is_empty() {
            return;
        }
        if let Ok(mut p) = self.pending.lock() {
            if !p.contains(&entry) {
                p.push(entry);
            }
        }
    }

    /// Apply created credential `name` on the application with these ids.
    pub fn created(&self, app_ids: &[&str], name: &str) {
        let ids = lower(app_ids);
        if let Ok(mut p) = self.pending.lock() {
            p.retain(|e| e.name != name || !e.app_ids.iter().any(|a| ids.contains(a)));
        }
    }

    /// Whether no credential is pending.
    pub fn is_empty(&self) -> bool {
        self.pending.lock().map_or(true, |p| p.is_empty())
    }

    /// The names of the credentials pending on the application known by any of `app_ids`.
    pub fn for_app(&self, app_ids: &[&str]) -> Vec<String> {
        let ids = lower(app_ids);
        let Ok(p) = self.pending.lock() else {
            return Vec::new();
        };
        let mut names: Vec<String> = p
            .iter()
            .filter(|e| e.app_ids.iter().any(|a| ids.contains(a)))
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

    #[test]
    fn pending_until_created_by_either_id() {
        let cases: [(&[&str], &[&str], &[&str]); 4] = [
            // planned with, asked with, still pending after the create by object id
            (&[OBJECT], &[CLIENT], &[]),
            (&[OBJECT, ""], &[OBJECT], &["deploy"]),
            (
                &[CLIENT],
                &["c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02"],
                &["deploy"],
            ),
            (&[""], &[OBJECT], &[]),
        ];
        for (planned, asked, want) in cases {
            let p = PendingTrusts::default();
            p.planned(planned, "deploy");
            p.planned(planned, "deploy"); // the apply walk plans again
            assert_eq!(p.for_app(asked), want, "{planned:?} asked {asked:?}");
            p.created(&[OBJECT, "c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02"], "deploy");
            assert!(p.for_app(asked).is_empty(), "{planned:?}: created");
        }
    }

    #[test]
    fn another_name_stays_pending() {
        let p = PendingTrusts::default();
        p.planned(&[OBJECT], "deploy");
        p.planned(&[OBJECT], "build");
        p.created(&[OBJECT], "deploy");
        assert_eq!(p.for_app(&[OBJECT]), ["build"]);
    }
}
