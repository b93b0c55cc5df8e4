//! Create, update and delete. Writes to one application's credentials are serialised
//! through its writer lock, which also holds the credential list kept current with this
//! run's own writes (so the preflight of the next create needs no Graph call).

use super::model::{AppIds, FicModel, Operation};
use super::plan::preflight;
use super::read::{resolve_app, shared_list};
use super::Call;
use super::{import_block, import_hint};
use crate::entra::graph::{
    codes, AppRef, CreateFailed, FederatedCredential, GraphClient, GraphError, GraphErrorKind,
    NewCredential,
};
use crate::entra::retry::{poll, Backoff, Deadline, Interrupted, NotReady, Poll};
use crate::framework::AttrPath;
use crate::framework::{Ctx, Diagnostics};
use crate::provider::pending_trusts::KnownApp;

/// Creates the planned credential after checking the application's list. A credential
/// of its name is adopted only when this create's own earlier POST may have landed
/// (SPEC §3); anyone else's is refused with its import ID.
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
    let entry = client.app_named(&ids.object_id);
    let mut writer = lock_writer(&entry).await;
    if writer.is_none() {
        // The list this run's plan read (kept current with our writes) will do; else it
        // is read now, batched with other applications' reads.
        match shared_list(client, g, &ids.object_id, d).await {
            Ok(l) => *writer = Some(l.as_ref().clone()),
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
        Err(failed) => {
            match after_refused_create(g, &app, &ids.object_id, &new, &failed, d).await {
                Ok(ours) => ours,
                Err(diag) => return (None, call_diag_or(&call, diag, &failed.error)),
            }
        }
    };
    entry.record(&mut writer, &created.id, Some(&created)).await;
    drop(writer);
    client
        .pending_trusts
        .created(&KnownApp::parse(&ids.object_id, &ids.client_id), &new.name);
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

/// What a refused create means. Graph's code decides, never its message: a name taken
/// (409) or a value refused (400, e.g. an issuer+subject pair taken) may be this
/// create's own earlier POST whose answer was lost; the credential of that name is
/// looked up and adopted only when it is identical **and** an earlier POST of this
/// create went unanswered. Otherwise it belongs to someone else (another workspace, a
/// person in the portal) and the create fails with its import ID. `Err(None)` asks for
/// Graph's own refusal as the diagnostic.
async fn after_refused_create(
    g: &GraphClient,
    app: &AppRef,
    app_object_id: &str,
    new: &NewCredential,
    failed: &CreateFailed,
    d: &Deadline,
) -> Result<FederatedCredential, Option<Diagnostics>> {
    let e = &failed.error;
    let name_taken = e.is_name_taken();
    if !name_taken && e.code != codes::INVALID_CREDENTIAL_VALUE {
        return Err(None);
    }
    // A taken name exists: read until visible, since a lost POST's credential may still
    // be replicating. A refused value gets one look by name.
    let found = if name_taken {
        read_back(g, app, &new.name, d).await
    } else {
        g.get_credential(app, &new.name, d).await
    };
    let found = found.ok();
    match judge(failed, found.as_ref(), new) {
        Verdict::Adopt(c) => Ok(c.clone()),
        Verdict::OursButDifferent(c) => {
            let diag = preflight(app_object_id, std::slice::from_ref(c), &[], new);
            Err(diag.has_errors().then_some(diag))
        }
        Verdict::SomeoneElses(c) => Err(Some(taken_by_another(app_object_id, c, e))),
        Verdict::SomeoneElsesUnseen => {
            let by_name = new.clone().stored_as(&new.name);
            Err(Some(taken_by_another(app_object_id, &by_name, e)))
        }
        Verdict::GraphSays => Err(None),
    }
}

/// What a refused create's credential of the same name (`found`, when Graph showed it) is.
#[derive(Debug, PartialEq)]
enum Verdict<'a> {
    /// This create's own lost POST, identical: the create succeeded.
    Adopt(&'a FederatedCredential),
    /// Possibly this create's own, but not what the configuration says.
    OursButDifferent(&'a FederatedCredential),
    /// Someone else's (this create sent nothing unanswered), whatever its content.
    SomeoneElses(&'a FederatedCredential),
    /// The name is taken, but Graph would not show the credential.
    SomeoneElsesUnseen,
    /// Nothing of this name: Graph's refusal says why.
    GraphSays,
}

fn judge<'a>(
    failed: &CreateFailed,
    found: Option<&'a FederatedCredential>,
    new: &NewCredential,
) -> Verdict<'a> {
    match found {
        Some(c) if failed.earlier_post_unanswered && c.same_content(new) => Verdict::Adopt(c),
        Some(c) if failed.earlier_post_unanswered => Verdict::OursButDifferent(c),
        Some(c) => Verdict::SomeoneElses(c),
        None if failed.error.is_name_taken() => Verdict::SomeoneElsesUnseen,
        None => Verdict::GraphSays,
    }
}

/// `diag`, or Graph's refusal `e` when there is nothing more precise to say.
fn call_diag_or(call: &Call, diag: Option<Diagnostics>, e: &GraphError) -> Diagnostics {
    diag.unwrap_or_else(|| call.diag("Cannot create the federated identity credential", e))
}

/// The error for a credential of the planned name that this create did not send.
/// `existing.id` is Graph's id, or the name when Graph would not show it (both import).
fn taken_by_another(
    app_object_id: &str,
    existing: &FederatedCredential,
    e: &GraphError,
) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error_at(
        AttrPath::attr("name"),
        format!(
            "A federated identity credential named {:?} was created by someone else before this apply",
            existing.name
        ),
        format!(
            "Graph refused the create ({}): the name is taken on application {app_object_id}, and this create did not send that credential. Another workspace applying the same configuration, or a person in the portal, created it after this plan was made. It is not taken over silently, even when its content is the same, so that two workspaces never both believe they own one credential.\n\nTo manage it from this workspace instead, add this import block, with `to` set to this resource's address (the `with` line of this message):\n\n{}\n\nor run `{}`. Otherwise give this resource another name.",
            if e.code.is_empty() { "HTTP 409".to_string() } else { format!("code {}", e.code) },
            import_block(app_object_id, &existing.id),
            import_hint(app_object_id, &existing.id),
        ),
    );
    d
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
        let entry = call.client.app_named(app_object_id);
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
/// create of the same name does not collide. The first read normally says 404 already,
/// so a delete costs two calls; the wait matters for a replacement of the same name,
/// whose create follows at once.
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
    let entry = client.app_named(app_object_id);
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

/// Reads a credential back until it is visible (Entra replicates new credentials), and
/// stops at the first sighting. Graph answers the POST from where the write landed; a
/// read may reach a replica that has not seen it yet (404: read again), and once a read
/// shows it, the replica this provider's next reads are likely to reach holds it. Entra
/// promises no read-your-writes, so reading it a second time would add a call per
/// credential without making any guarantee stronger.
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
    fn only_this_creates_own_unanswered_post_is_adopted() {
        let new = NewCredential {
            name: "n".into(),
            issuer: "https://i".into(),
            subject: "s".into(),
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        };
        let same = new.clone().stored_as("id-1");
        let other = NewCredential {
            subject: "t".into(),
            ..new.clone()
        }
        .stored_as("id-2");
        let refused = |code: &str, unanswered| CreateFailed {
            error: GraphError {
                code: code.into(),
                ..GraphError::new(GraphErrorKind::Conflict, "any words")
            },
            earlier_post_unanswered: unanswered,
        };
        let taken = codes::NAME_TAKEN;
        let value = codes::INVALID_CREDENTIAL_VALUE;
        #[rustfmt::skip]
        let cases = [
            (refused(taken, true), Some(&same), Verdict::Adopt(&same)),
            (refused(taken, true), Some(&other), Verdict::OursButDifferent(&other)),
            (refused(taken, false), Some(&same), Verdict::SomeoneElses(&same)),
            (refused(taken, false), Some(&other), Verdict::SomeoneElses(&other)),
            (refused(taken, false), None, Verdict::SomeoneElsesUnseen),
            (refused(taken, true), None, Verdict::SomeoneElsesUnseen),
            (refused(value, true), Some(&same), Verdict::Adopt(&same)),
            (refused(value, false), Some(&same), Verdict::SomeoneElses(&same)),
            (refused(value, true), None, Verdict::GraphSays),
        ];
        for (failed, found, want) in cases {
            assert_eq!(judge(&failed, found, &new), want, "{failed:?} {found:?}");
        }
    }

    #[test]
    fn conflicts_are_told_by_code_not_by_message() {
        let with = |kind, code: &str, message: &str| GraphError {
            code: code.into(),
            ..GraphError::new(kind, message)
        };
        assert!(with(GraphErrorKind::Conflict, codes::NAME_TAKEN, "reworded").is_name_taken());
        assert!(with(GraphErrorKind::BadRequest, codes::NAME_TAKEN, "").is_name_taken());
        assert!(!with(
            GraphErrorKind::BadRequest,
            "Request_BadRequest",
            "FederatedIdentityCredential with name x already exists."
        )
        .is_name_taken());
    }
}
