//! Create, update and delete. Writes to one application's credentials are serialised
//! through its writer lock, which also holds the credential list kept current with this
//! run's own writes (so the preflight of the next create needs no Graph call).

use super::model::{AppIds, FicModel, Operation};
use super::plan::preflight;
use super::read::resolve_app;
use super::Call;
use crate::entra::graph::{AppRef, FederatedCredential, GraphClient, GraphError, GraphErrorKind};
use crate::entra::retry::{poll, Backoff, Deadline, Interrupted, NotReady, Poll};
use crate::framework::{Ctx, Diagnostics};

/// Creates the planned credential after checking the application's list, adopting an
/// identical credential whose POST answer was lost.
pub(super) async fn create(planned: FicModel, ctx: &Ctx) -> (Option<FicModel>, Diagnostics) {
    let call = match Call::start(ctx, planned.timeout(Operation::Create)).await {
        Ok(c) => c,
        Err(d) => return (None, d),
    };
    let ids = match resolve_app(&call, &planned).await {
        Ok(x) => x,
        Err(diag) => return (None, diag),
    };
    let Call {
        client,
        graph: g,
        deadline: d,
        ..
    } = &call;
    let app = AppRef::ObjectId(ids.object_id.clone());
    let new = planned.desired();
    let entry = client.app(&ids.object_id);
    let mut writer = lock_writer(&entry).await;
    if writer.is_none() {
        // The list this run's plan read (kept current with our writes) will do.
        *writer = entry.listed.lock().await.as_deref().cloned();
    }
    if writer.is_none() {
        match g.list_credentials(&app, d).await {
            Ok(l) => *writer = Some(l),
            Err(e) => {
                let diag = call.diag(
                    "Cannot list the application's federated identity credentials",
                    &e,
                );
                return (None, diag);
            }
        }
    }
    let existing = writer.clone().unwrap_or_default();
    let pre = preflight(&ids.object_id, &existing, &[], &new);
    if pre.has_errors() {
        return (None, pre);
    }
    let created = match g.create_credential(&app, &new, d).await {
        Ok(c) => c,
        Err(e) if adoptable(&e) => {
            // The POST may have been applied with its answer lost, and its retry refused:
            // adopt an identical credential, refuse a different one. A 409 says the name
            // exists: read until visible, since the lost POST's credential may still be
            // replicating. A 400 for the issuer+subject pair gets one look by name.
            let found = if e.kind == GraphErrorKind::Conflict {
                read_back(g, &app, &new.name, d).await
            } else {
                g.get_credential(&app, &new.name, d).await
            };
            match found {
                Ok(c) if c.same_content(&new) => c,
                Ok(c) => {
                    let mut diag = preflight(&ids.object_id, &[c], &[], &new);
                    if !diag.has_errors() {
                        diag = call.diag("Graph refused the credential", &e);
                    }
                    return (None, diag);
                }
                Err(_) => return (None, call.diag("Graph refused the credential", &e)),
            }
        }
        Err(e) => {
            let diag = call.diag("Cannot create the federated identity credential", &e);
            return (None, diag);
        }
    };
    entry.record(&mut writer, &created.id, Some(&created)).await;
    drop(writer);
    client
        .pending_trusts
        .created(&[&ids.object_id, &ids.client_id], &new.name);
    let state_for = |c: &FederatedCredential| planned.with_credential(&ids, c);
    match read_back(g, &app, &created.id, d).await {
        Ok(c) => (Some(state_for(&c)), Diagnostics::new()),
        // Graph answered the POST with the credential: it exists, so it is recorded as
        // created. An error here would have Terraform record it as tainted and replace
        // it; after a Ctrl-C the next apply goes on from it instead.
        Err(e) => (Some(state_for(&created)), unconfirmed_create(&e)),
    }
}

/// The warning for a created credential whose read-back did not finish (Terraform
/// stopped, the timeout passed, or Graph failed the read).
fn unconfirmed_create(e: &GraphError) -> Diagnostics {
    let why = match e.kind {
        GraphErrorKind::Cancelled => {
            "Terraform was interrupted before the new credential was read back.".to_string()
        }
        _ => format!(
            "The new credential could not be read back before the create timeout:\n\n{e}\n\n"
        ),
    };
    let mut d = Diagnostics::new();
    d.warning(
        "The credential was created; its read-back did not finish",
        format!("{why} Graph answered the create with the credential, so it is recorded in state as created; Entra may take a little longer to show it everywhere. Run `terraform apply` again to finish any remaining changes."),
    );
    d
}

/// Whether a refused POST may be our own earlier POST whose answer was lost: a 409 on
/// the name, or Graph's 400 for an issuer+subject pair that already exists. Any other 400
/// says why at once (a value Graph refuses, the 20-credential limit).
fn adoptable(e: &GraphError) -> bool {
    match e.kind {
        GraphErrorKind::Conflict => true,
        GraphErrorKind::BadRequest => e
            .message
            .contains("combination of issuer and subject must be unique"),
        _ => false,
    }
}

/// Updates issuer, subject, audiences and description in place (PATCH). When the prior
/// state (what the plan's refresh read from Graph) already holds them, e.g. only
/// `managed_identity_principal_id` or `timeouts` changed, nothing is sent to Graph.
pub(super) async fn update(
    prior: &FicModel,
    planned: FicModel,
    ctx: &Ctx,
) -> (Option<FicModel>, Diagnostics) {
    let Some((app_object_id, credential_id)) = prior.stored_ids() else {
        return (None, Diagnostics::from_error("Incomplete state", "The prior state has no application or credential id; remove it from state and import it."));
    };
    let want = planned.desired();
    let updated = want.clone().stored_as(credential_id);
    if !updated.same_content(&prior.desired()) {
        let call = match Call::start(ctx, planned.timeout(Operation::Update)).await {
            Ok(c) => c,
            Err(d) => return (None, d),
        };
        let app = AppRef::ObjectId(app_object_id.to_string());
        let entry = call.client.app(app_object_id);
        let mut writer = entry.writer.lock().await;
        if let Err(e) = call
            .graph
            .update_credential(&app, credential_id, &want, &call.deadline)
            .await
        {
            let diag = call.diag("Cannot update the federated identity credential", &e);
            return (None, diag);
        }
        entry.record(&mut writer, &updated.id, Some(&updated)).await;
    }
    let ids = prior.stored_app().unwrap_or(AppIds {
        object_id: app_object_id.to_string(),
        client_id: String::new(),
    });
    let state = planned.with_credential(&ids, &updated);
    (Some(state), Diagnostics::new())
}

/// Deletes the credential and waits until Graph no longer returns it, so a following
/// create of the same name does not collide.
pub(super) async fn delete(prior: &FicModel, ctx: &Ctx) -> Diagnostics {
    // A state naming no credential has nothing to delete: no sign-in needed.
    let Some((app_object_id, credential_id)) = prior.stored_ids() else {
        return Diagnostics::new();
    };
    let call = match Call::start(ctx, prior.timeout(Operation::Delete)).await {
        Ok(c) => c,
        Err(d) => return d,
    };
    let Call {
        client,
        graph: g,
        deadline: d,
        ..
    } = &call;
    let app = AppRef::ObjectId(app_object_id.to_string());
    let entry = client.app(app_object_id);
    let mut writer = lock_writer(&entry).await;
    match g.delete_credential(&app, credential_id, d).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => return call.diag("Cannot delete the federated identity credential", &e),
    }
    entry.record(&mut writer, credential_id, None).await;
    drop(writer);
    let gone = poll(Backoff::POLLING, d, || async {
        match g.get_credential(&app, credential_id, d).await {
            Ok(still_there) => Poll::Pending(still_there),
            Err(e) if e.is_not_found() => Poll::Ready(Ok(())),
            Err(e) => Poll::Ready(Err(e)),
        }
    })
    .await;
    match gone {
        Ok(Ok(())) => Diagnostics::new(),
        Ok(Err(e)) => call.diag("Cannot confirm the credential was deleted", &e),
        Err(NotReady {
            reason: Interrupted::TimedOut,
            ..
        }) => Diagnostics::from_error(
            "The credential still exists",
            "Graph still returns the credential after DELETE, until the delete timeout.",
        ),
        // Graph accepted the DELETE: recorded as deleted; the next plan's refresh sees
        // what Graph holds.
        Err(NotReady {
            reason: Interrupted::Cancelled,
            ..
        }) => {
            let mut diag = Diagnostics::new();
            diag.warning(
                "The credential was deleted; Terraform was interrupted before Graph confirmed it",
                "Graph accepted the DELETE, so the credential is removed from state. Run `terraform apply` again to finish any remaining changes.",
            );
            diag
        }
    }
}

/// The application's writer lock; the wait is logged at trace level (profiling tells
/// lock contention from Graph latency with it).
async fn lock_writer(
    entry: &crate::provider::client::AppEntry,
) -> tokio::sync::MutexGuard<'_, Option<Vec<FederatedCredential>>> {
    let waiting = std::time::Instant::now();
    let writer = entry.writer.lock().await;
    tracing::trace!(
        waited_ms = waiting.elapsed().as_millis() as u64,
        "writer lock acquired"
    );
    writer
}

/// Reads a credential back until it is visible (Entra replicates new credentials).
async fn read_back(
    g: &GraphClient,
    app: &AppRef,
    id: &str,
    d: &Deadline,
) -> Result<FederatedCredential, GraphError> {
    poll(Backoff::POLLING, d, || async {
        match g.get_credential(app, id, d).await {
            Err(e) if e.is_not_found() => Poll::Pending(e),
            other => Poll::Ready(other),
        }
    })
    .await
    .map_err(NotReady::into_last)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unconfirmed_create_is_a_warning_that_says_why() {
        use crate::framework::diag::Severity;
        for (e, says) in [
            (GraphError::from(Interrupted::Cancelled), "interrupted"),
            (GraphError::from(Interrupted::TimedOut), "no answer before"),
            (
                GraphError::new(GraphErrorKind::Forbidden, "denied"),
                "denied",
            ),
        ] {
            let d = unconfirmed_create(&e);
            assert!(!d.has_errors(), "an error would have Terraform taint it");
            assert_eq!(d.0.len(), 1);
            assert_eq!(d.0[0].severity, Severity::Warning);
            assert!(d.0[0].detail.contains(says), "{}", d.0[0].detail);
            assert!(d.0[0].detail.contains("recorded in state as created"));
        }
    }

    #[test]
    fn only_refusals_a_lost_post_can_cause_are_adopted() {
        let cases = [
            (GraphErrorKind::Conflict, "FederatedIdentityCredential with name x already exists.", true),
            (GraphErrorKind::BadRequest, "The combination of issuer and subject must be unique for the application. Issuer i and Subject: s already exist.", true),
            (GraphErrorKind::BadRequest, "The application already has the maximum number of federated identity credentials (20).", false),
            (GraphErrorKind::BadRequest, "Invalid value specified for property 'name'.", false),
            (GraphErrorKind::Forbidden, "Insufficient privileges", false),
        ];
        for (kind, message, adopt) in cases {
            assert_eq!(
                adoptable(&GraphError::new(kind, message)),
                adopt,
                "{message}"
            );
        }
    }
}
