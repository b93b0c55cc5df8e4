//! The live identity check shared by `entra_mi_federated_credential` (at plan) and
//! `entra_mi_federated_credentials` (the audit): one Graph lookup per distinct value per
//! run, and a verdict from the pure rule [`fic::check_identity`].
//!
//! Graph refusing the read (403) or not answering never fails a plan: the check is
//! skipped with one warning per run naming the permission that would enable it.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::OnceCell;

use crate::entra::graph::{GraphClient, GraphError, GraphErrorKind};
use crate::entra::retry::Deadline;
use crate::entra::service_principals::{PrincipalLookup, READ_PERMISSIONS};
use crate::framework::diag::Severity;
use crate::framework::{AttrPath, Diagnostic};
use crate::per_key::PerKey;
use crate::rules::{fic, Finding};

/// Lookups made in this run, by value (lower case: Graph ids are case-insensitive); each
/// value's lookup is shared by every caller in the run.
#[derive(Default)]
pub struct IdentityCache {
    lookups: PerKey<String, OnceCell<PrincipalLookup>>,
    warned: AtomicBool,
}

/// The outcome of checking one value.
#[derive(Debug)]
pub enum Verdict {
    /// A user-assigned managed identity's principal id.
    UserAssigned,
    /// The mistake, as a finding on the attribute.
    Mistake(Finding),
    /// Graph would not say; `Some` warning the first time in this run.
    Unchecked(Option<Diagnostic>),
}

impl IdentityCache {
    /// What Graph says about `value`, read once per run; concurrent callers share the
    /// read. A failed read is not kept: a later caller with a longer budget (the audit
    /// data source after the resource's short plan-time read) asks again.
    pub async fn lookup(
        &self,
        g: &GraphClient,
        value: &str,
        d: &Deadline,
    ) -> Result<PrincipalLookup, GraphError> {
        let cell = self.lookups.get(value.to_ascii_lowercase());
        cell.get_or_try_init(|| g.lookup_principal(value, d))
            .await
            .cloned()
    }

    /// Checks `value`, configured in `attribute`.
    pub async fn check(
        &self,
        g: &GraphClient,
        attribute: &'static str,
        value: &str,
        d: &Deadline,
    ) -> Verdict {
        self.verdict(attribute, value, self.lookup(g, value, d).await)
    }

    /// The verdict on `value` from what its lookup found.
    pub fn verdict(
        &self,
        attribute: &'static str,
        value: &str,
        looked_up: Result<PrincipalLookup, GraphError>,
    ) -> Verdict {
        match looked_up {
            Ok(found) => match fic::check_identity(attribute, value, &found.as_rule_input()) {
                None => Verdict::UserAssigned,
                Some(f) => Verdict::Mistake(f),
            },
            Err(e) => {
                tracing::debug!(error = %e.message, "identity check skipped");
                let first = !self.warned.swap(true, Ordering::SeqCst);
                Verdict::Unchecked(first.then(|| unchecked_warning(attribute, &e)))
            }
        }
    }
}

/// Why the check was skipped, and what would enable it.
pub fn unchecked_reason(e: &GraphError) -> String {
    let enable = format!("Grant the signed-in principal the Microsoft Graph application permission {READ_PERMISSIONS} (with admin consent) to have the provider check that the value is a user-assigned managed identity's principal id.");
    match e.kind {
        GraphErrorKind::Forbidden => format!(
            "Microsoft Graph refused to read service principals (HTTP 403 {}). {enable}",
            e.code
        ),
        GraphErrorKind::SignIn => format!(
            "Signing in to Microsoft Graph failed (sign-in method: {}), so the service principal could not be read: {}",
            e.code, e.message
        ),
        _ => format!(
            "Microsoft Graph did not answer the service principal read ({}: {}). The check needs {READ_PERMISSIONS}.",
            e.meaning(),
            e.message
        ),
    }
}

fn unchecked_warning(attribute: &'static str, e: &GraphError) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        summary: "The managed identity was not checked in Microsoft Graph".into(),
        detail: format!(
            "{} Plan continues without the check; a wrong id would only show at token exchange (AADSTS700213).",
            unchecked_reason(e)
        ),
        path: Some(AttrPath::attr(attribute)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: GraphErrorKind, code: &str) -> GraphError {
        GraphError {
            kind,
            status: Some(403),
            code: code.into(),
            message: "Insufficient privileges to complete the operation.".into(),
            request_id: None,
            client_request_id: None,
        }
    }

    #[test]
    fn reasons_name_the_permission() {
        let forbidden = unchecked_reason(&error(
            GraphErrorKind::Forbidden,
            "Authorization_RequestDenied",
        ));
        assert!(forbidden.contains("Application.Read.All or Directory.Read.All"));
        assert!(forbidden.contains("Authorization_RequestDenied"));
        let down = unchecked_reason(&error(GraphErrorKind::Transport, ""));
        assert!(down.contains("did not answer") && down.contains("Application.Read.All"));
        let w = unchecked_warning("subject", &error(GraphErrorKind::Forbidden, "x"));
        assert_eq!(w.path, Some(AttrPath::attr("subject")));
    }
}
