//! The live check of managed identity principals, shared by
//! `entra_mi_federated_credential` (at plan) and `entra_mi_federated_credentials` (the
//! audit): each distinct value is looked up once per run (one provider process), in
//! batches ([`super::principal_batch`]), and judged by the pure rule
//! [`fic::check_principal`].
//!
//! Graph refusing the read (403) or not answering never fails a plan: the check is
//! skipped with one warning per run naming the permission that would enable it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use super::principal_batch::{Resolve, WindowBatcher, WINDOW};
use crate::entra::graph::{GraphClient, GraphError, GraphErrorKind};
use crate::entra::ids::ObjectId;
use crate::entra::retry::Deadline;
use crate::entra::service_principals::{PrincipalAnswer, GET_BY_IDS_MAX, READ_PERMISSIONS};
use crate::framework::diag::Severity;
use crate::framework::{AttrPath, Diagnostic};
use crate::rules::{fic, Finding};

/// This run's principal lookups: answers by value, the batches that gather them, and
/// whether the "not checked" warning was given.
pub struct PrincipalLookups {
    batcher: WindowBatcher<ObjectId, PrincipalAnswer>,
    /// `getByIds` may be tried (set off when the sign-in turns out not to be allowed it).
    get_by_ids: Arc<AtomicBool>,
    warned: AtomicBool,
}

impl Default for PrincipalLookups {
    fn default() -> Self {
        PrincipalLookups {
            batcher: WindowBatcher::new(WINDOW, GET_BY_IDS_MAX),
            get_by_ids: Arc::new(AtomicBool::new(true)),
            warned: AtomicBool::new(false),
        }
    }
}

/// The outcome of checking one value.
#[derive(Debug)]
pub enum PrincipalVerdict {
    /// A user-assigned managed identity's principal id.
    UserAssigned,
    /// The mistake, as a finding on the attribute.
    Mistake(Finding),
    /// Graph would not say; `Some` warning the first time in this run.
    Unchecked(Option<Diagnostic>),
}

/// Graph as the batcher's resolver.
struct GraphPrincipals {
    graph: Arc<GraphClient>,
    get_by_ids: Arc<AtomicBool>,
}

#[async_trait]
impl Resolve<ObjectId, PrincipalAnswer> for GraphPrincipals {
    async fn resolve(
        &self,
        keys: Vec<ObjectId>,
        d: Deadline,
    ) -> Result<HashMap<ObjectId, PrincipalAnswer>, GraphError> {
        let allowed = self.get_by_ids.load(Ordering::SeqCst);
        let answers = self.graph.answer_principals(&keys, allowed, &d).await?;
        if answers.get_by_ids_unusable {
            self.get_by_ids.store(false, Ordering::SeqCst);
        }
        Ok(answers.by_value)
    }
}

impl PrincipalLookups {
    /// What Graph says about `value`, read once per run in a batch with the other values
    /// asked at the same time. A failed read is not kept: a later caller with a longer
    /// budget (the audit data source after the resource's short plan-time read) asks
    /// again.
    pub async fn lookup(
        &self,
        g: &Arc<GraphClient>,
        value: &ObjectId,
        d: &Deadline,
    ) -> Result<PrincipalAnswer, GraphError> {
        let resolver = Arc::new(GraphPrincipals {
            graph: g.clone(),
            get_by_ids: self.get_by_ids.clone(),
        });
        self.batcher.lookup(value.clone(), d, resolver).await
    }

    /// Checks `value`, configured in `attribute`.
    pub async fn check(
        &self,
        g: &Arc<GraphClient>,
        attribute: &'static str,
        value: &ObjectId,
        d: &Deadline,
    ) -> PrincipalVerdict {
        self.verdict(attribute, value, self.lookup(g, value, d).await)
    }

    /// The verdict on `value` from what its lookup found.
    pub fn verdict(
        &self,
        attribute: &'static str,
        value: &ObjectId,
        looked_up: Result<PrincipalAnswer, GraphError>,
    ) -> PrincipalVerdict {
        match looked_up {
            Ok(found) => {
                match fic::check_principal(attribute, value.as_str(), &found.as_rule_input()) {
                    None => PrincipalVerdict::UserAssigned,
                    Some(f) => PrincipalVerdict::Mistake(f),
                }
            }
            Err(e) => {
                tracing::debug!(error = %e.message, "managed identity principal check skipped");
                let first = !self.warned.swap(true, Ordering::SeqCst);
                PrincipalVerdict::Unchecked(first.then(|| unchecked_warning(attribute, &e)))
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
