//! The live check of managed identity principals, shared by
//! `entra_mi_federated_credential` (at plan) and `entra_mi_federated_credentials` (the
//! audit): each distinct value is looked up once per run (one provider process), in
//! batches ([`super::lookup_batch`]), and judged by the pure rule
//! [`fic::check_principal`].
//!
//! The first batch of a run is asked by value (`id in (…)`: one request for up to 15).
//! A second batch means Terraform is planning many credentials in this process, and
//! Terraform starts one process for the plan walk and another for the apply walk, whose
//! re-plans arrive one by one as creates finish (too far apart for any window): from then
//! on the run first reads the tenant's managed identities once, in at most two pages
//! ([`GraphClient::managed_identity_principals`]), which answers every identity of a
//! tenant up to that size, and asks Graph value by value only for what the listing lacks.
//!
//! Graph refusing the read (403) or not answering never fails a plan: the check is
//! skipped with one warning per run naming the permission that would enable it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use super::lookup_batch::{Resolve, WindowBatcher, WINDOW};
use crate::entra::graph::{GraphClient, GraphError, GraphErrorKind};
use crate::entra::ids::ObjectId;
use crate::entra::retry::Deadline;
use crate::entra::service_principals::{
    answers_from_listing, PrincipalAnswer, GET_BY_IDS_MAX, READ_PERMISSIONS,
};
use crate::framework::diag::Severity;
use crate::framework::{AttrPath, Diagnostic};
use crate::rules::{fic, Finding};

/// This run's principal lookups: answers by value, the batches that gather them, and
/// whether the "not checked" warning was given.
pub struct PrincipalLookups {
    batcher: WindowBatcher<ObjectId, PrincipalAnswer>,
    ways: Arc<Ways>,
    warned: AtomicBool,
}

/// How this run asks Graph, learnt as it goes.
struct Ways {
    /// `getByIds` may be tried (set off when the sign-in turns out not to be allowed it).
    get_by_ids: AtomicBool,
    /// Batches sent so far.
    batches: AtomicUsize,
    /// The tenant's managed identities, read once from the second batch on; `None` when
    /// the tenant has too many or Graph would not list them.
    listing: tokio::sync::OnceCell<Option<HashMap<ObjectId, PrincipalAnswer>>>,
    /// The listing was handed to the batcher (whose answers are kept for the run).
    listing_shared: AtomicBool,
}

impl Default for PrincipalLookups {
    fn default() -> Self {
        PrincipalLookups {
            batcher: WindowBatcher::new(WINDOW, GET_BY_IDS_MAX),
            ways: Arc::new(Ways {
                get_by_ids: AtomicBool::new(true),
                batches: AtomicUsize::new(0),
                listing: tokio::sync::OnceCell::new(),
                listing_shared: AtomicBool::new(false),
            }),
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
    ways: Arc<Ways>,
}

impl GraphPrincipals {
    /// The tenant's managed identities, listed once per run.
    async fn listing(&self, d: &Deadline) -> Option<&HashMap<ObjectId, PrincipalAnswer>> {
        // At most half the batch's time: a listing that is slow leaves the batch time to
        // ask by value.
        let half = d.capped(d.remaining() / 2);
        let listed = self.ways.listing.get_or_init(|| async {
            match self.graph.managed_identity_principals(&half).await {
                Ok(Some(listed)) => Some(answers_from_listing(listed)),
                Ok(None) => {
                    tracing::debug!("too many managed identities to list; asking by value");
                    None
                }
                Err(e) => {
                    tracing::debug!(error = %e.message, "managed identities not listed; asking by value");
                    None
                }
            }
        });
        listed.await.as_ref()
    }
}

#[async_trait]
impl Resolve<ObjectId, PrincipalAnswer> for GraphPrincipals {
    async fn resolve(
        &self,
        mut keys: Vec<ObjectId>,
        d: Deadline,
    ) -> Result<HashMap<ObjectId, PrincipalAnswer>, GraphError> {
        let mut found = HashMap::new();
        if self.ways.batches.fetch_add(1, Ordering::SeqCst) > 0 {
            if let Some(listed) = self.listing(&d).await {
                // Handed to the batcher whole, once: later lookups of listed identities
                // are answered at once, without waiting for a window.
                if !self.ways.listing_shared.swap(true, Ordering::SeqCst) {
                    found.extend(listed.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                keys.retain(|k| match listed.get(k) {
                    Some(answer) => {
                        found.insert(k.clone(), answer.clone());
                        false
                    }
                    None => true,
                });
            }
        }
        if keys.is_empty() {
            return Ok(found);
        }
        let allowed = self.ways.get_by_ids.load(Ordering::SeqCst);
        let answers = self.graph.answer_principals(&keys, allowed, &d).await?;
        if answers.get_by_ids_unusable {
            self.ways.get_by_ids.store(false, Ordering::SeqCst);
        }
        found.extend(answers.by_value);
        Ok(found)
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
            ways: self.ways.clone(),
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
