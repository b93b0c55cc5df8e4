//! Create, update and delete. Writes to one application's credentials are serialised
//! through its writer lock, which also holds the credential list kept current with this
//! run's own writes (so the preflight of the next create needs no Graph call).

use std::time::Duration;

use super::model::{AppIds, FicModel, Operation};
use super::plan::preflight;
use super::read::resolve_app;
use super::{graph_diag, Call};
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
    } = &call;
    let app = AppRef::ObjectId(ids.object_id.clone());
    let new = planned.desired();
    let entry = client.app(&ids.object_id).await;
    let mut writer = lock_writer(&entry).await;
    if writer.is_none() {
        // The list this run's plan read (kept current with our writes) will do.
        *writer = entry.listed.lock().await.as_deref().cloned();
    }
    if writer.is_none() {
        match g.list_credentials(&app, d).await {
            Ok(l) => *writer = Some(l),
            Err(e) => {
                let diag = graph_diag(
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
        Err(e)
            if matches!(
                e.kind,
                GraphErrorKind::Conflict | GraphErrorKind::BadRequest
            ) =>
        {
            // The POST may have been applied with its answer lost: adopt an identical
            // credential, refuse a different one. Read until visible: the lost POST's
            // credential may still be replicating. A 409 says the name exists; a 400 may
            // not be ours at all, so wait less.
            let patience = if e.kind == GraphErrorKind::Conflict {
                d.remaining()
            } else {
                d.remaining().min(Duration::from_secs(20))
            };
            let adopt_deadline = Deadline::after(patience, ctx.cancel.clone());
            match read_back(g, &app, &new.name, &adopt_deadline).await {
                Ok(c) if c.same_content(&new) => c,
                Ok(c) => {
                    let mut diag = preflight(&ids.object_id, &[c], &[], &new);
                    if !diag.has_errors() {
                        diag = graph_diag("Graph refused the credential", &e);
                    }
                    return (None, diag);
                }
                Err(_) => return (None, graph_diag("Graph refused the credential", &e)),
            }
        }
        Err(e) => {
            let diag = graph_diag("Cannot create the federated identity credential", &e);
            return (None, diag);
        }
    };
    entry.record(&mut writer, &created.id, Some(&created)).await;
    drop(writer);
    let state_for = |c: &FederatedCredential| {
        FicModel::from_graph(
            &ids,
            c,
            planned.managed_identity_principal_id.clone(),
            planned.timeouts.clone(),
        )
    };
    match read_back(g, &app, &created.id, d).await {
        Ok(c) => (Some(state_for(&c)), Diagnostics::new()),
        // It exists: keep it in state, but say the apply did not finish cleanly.
        Err(e) => (
            Some(state_for(&created)),
            graph_diag(
                "The credential was created but could not be read back before the create timeout",
                &e,
            ),
        ),
    }
}

/// Updates issuer, subject, audiences and description in place (PATCH).
pub(super) async fn update(
    prior: &FicModel,
    planned: FicModel,
    ctx: &Ctx,
) -> (Option<FicModel>, Diagnostics) {
    let call = match Call::start(ctx, planned.timeout(Operation::Update)).await {
        Ok(c) => c,
        Err(d) => return (None, d),
    };
    let Some((app_object_id, credential_id)) = prior.stored_ids() else {
        return (None, Diagnostics::from_error("Incomplete state", "The prior state has no application or credential id; remove it from state and import it."));
    };
    let app = AppRef::ObjectId(app_object_id.to_string());
    let entry = call.client.app(app_object_id).await;
    let mut writer = entry.writer.lock().await;
    let want = planned.desired();
    if let Err(e) = call
        .graph
        .update_credential(&app, credential_id, &want, &call.deadline)
        .await
    {
        let diag = graph_diag("Cannot update the federated identity credential", &e);
        return (None, diag);
    }
    let updated = want.stored_as(credential_id);
    entry.record(&mut writer, &updated.id, Some(&updated)).await;
    let ids = AppIds {
        object_id: app_object_id.to_string(),
        client_id: prior
            .application_client_id
            .known()
            .cloned()
            .unwrap_or_default(),
    };
    let state = FicModel::from_graph(
        &ids,
        &updated,
        planned.managed_identity_principal_id.clone(),
        planned.timeouts.clone(),
    );
    (Some(state), Diagnostics::new())
}

/// Deletes the credential and waits until Graph no longer returns it, so a following
/// create of the same name does not collide.
pub(super) async fn delete(prior: &FicModel, ctx: &Ctx) -> Diagnostics {
    let call = match Call::start(ctx, prior.timeout(Operation::Delete)).await {
        Ok(c) => c,
        Err(d) => return d,
    };
    let Some((app_object_id, credential_id)) = prior.stored_ids() else {
        return Diagnostics::new();
    };
    let Call {
        client,
        graph: g,
        deadline: d,
    } = &call;
    let app = AppRef::ObjectId(app_object_id.to_string());
    let entry = client.app(app_object_id).await;
    let mut writer = lock_writer(&entry).await;
    match g.delete_credential(&app, credential_id, d).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => return graph_diag("Cannot delete the federated identity credential", &e),
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
        Ok(Err(e)) => graph_diag("Cannot confirm the credential was deleted", &e),
        Err(NotReady {
            reason: Interrupted::TimedOut,
            ..
        }) => Diagnostics::from_error(
            "The credential still exists",
            "Graph still returns the credential after DELETE, until the delete timeout.",
        ),
        Err(NotReady { reason, .. }) => graph_diag(
            "Cannot confirm the credential was deleted",
            &GraphError::from(reason),
        ),
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
