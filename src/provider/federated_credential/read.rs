//! Refresh and import, and the application lookups they share with plan and apply.

use std::sync::Arc;

use super::attrs::{APPLICATION_CLIENT_ID, APPLICATION_OBJECT_ID, NAME};
use super::model::{AppIds, FicModel, Operation};
use super::{parse_import_id, Call, ImportId};
use crate::codec::Value;
use crate::entra::graph::{AppRef, FederatedCredential, GraphClient, GraphError};
use crate::entra::ids::{ClientId, ObjectId};
use crate::entra::retry::Deadline;
use crate::framework::{Ctx, Diagnostics};
use crate::provider::client::EntraClient;
use crate::rules;

/// Refreshes a stored credential. `None` when it (or its application) is gone, so the
/// next plan recreates it; the prior state with a diagnostic when Graph cannot say.
pub(super) async fn read(state: FicModel, ctx: &Ctx) -> (Option<FicModel>, Diagnostics) {
    // A state naming no credential has nothing to read: no sign-in needed to drop it.
    let Some((app_object_id, credential_id)) = state
        .stored_ids()
        .map(|(a, c)| (a.to_string(), c.to_string()))
    else {
        return (None, Diagnostics::new());
    };
    let (app_object_id, credential_id) = (app_object_id.as_str(), credential_id.as_str());
    let call = match Call::start(ctx, state.timeout(Operation::Read)).await {
        Ok(c) => c,
        Err(d) => return (Some(state), d),
    };
    let Call {
        client,
        graph: g,
        deadline: d,
        ..
    } = &call;
    let listed = match shared_list(client, g, app_object_id, d).await {
        Ok(l) => l,
        Err(e) if e.is_not_found() => return (None, Diagnostics::new()),
        Err(e) => {
            let diag = call.diag(
                "Cannot read the application's federated identity credentials",
                &e,
            );
            return (Some(state), diag);
        }
    };
    let app = AppRef::ObjectId(app_object_id.to_string());
    let found = match listed.iter().find(|c| c.id == credential_id) {
        Some(c) => c.clone(),
        // Not in the list: confirm with a direct read before dropping it from state.
        None => match g.get_credential(&app, credential_id, d).await {
            Ok(c) => c,
            Err(e) if e.is_not_found() => return (None, Diagnostics::new()),
            Err(e) => {
                let diag = call.diag("Cannot read the federated identity credential", &e);
                return (Some(state), diag);
            }
        },
    };
    client
        .plans
        .refreshed(app_object_id, credential_id, &found.name)
        .await;
    let mut ids = AppIds {
        object_id: app_object_id.to_string(),
        ..state.stored_app().unwrap_or_default()
    };
    if ids.client_id.is_empty() {
        if let Ok(a) = client.application(g, &app, d).await {
            ids.client_id = AppIds::from_graph(&a.id, &a.app_id).client_id;
        }
    }
    // The principal id stays as configured even when the subject drifted, so the plan
    // shows the subject going back to it.
    let refreshed = state.with_credential(&ids, &found);
    (Some(refreshed), Diagnostics::new())
}

/// Imports `{application_object_id}/federatedIdentityCredentials/{id or name}`.
pub(super) async fn import(id: &str, ctx: &Ctx) -> Result<FicModel, Diagnostics> {
    let parsed =
        parse_import_id(id).map_err(|e| Diagnostics::from_error("Invalid import ID", e))?;
    import_parsed(parsed, ctx).await
}

/// Imports by resource identity: `{ application_object_id = "…", name = "…" }`.
pub(super) async fn import_by_identity(
    identity: &Value,
    ctx: &Ctx,
) -> Result<FicModel, Diagnostics> {
    let text = |attr: &str| identity.attr(attr).and_then(Value::as_str).map(str::trim);
    let (app, name) = (text(APPLICATION_OBJECT_ID), text(NAME));
    let (Some(app), Some(name)) = (
        app.filter(|a| !a.is_empty()),
        name.filter(|n| !n.is_empty()),
    ) else {
        return Err(Diagnostics::from_error(
            "Invalid import identity",
            format!(
                "An import by identity needs both {APPLICATION_OBJECT_ID} and {NAME}; got {APPLICATION_OBJECT_ID} = {app:?} and {NAME} = {name:?}."
            ),
        ));
    };
    let Some(application_object_id) = ObjectId::parse(app) else {
        let refused = rules::guid::check(APPLICATION_OBJECT_ID, app, "the application's object id");
        let detail = refused.map(|f| format!("{}: {}", f.summary, f.detail));
        return Err(Diagnostics::from_error(
            "Invalid import identity",
            detail.unwrap_or_default(),
        ));
    };
    let parsed = ImportId {
        application_object_id,
        credential: name.to_string(),
    };
    import_parsed(parsed, ctx).await
}

async fn import_parsed(parsed: ImportId, ctx: &Ctx) -> Result<FicModel, Diagnostics> {
    let call = Call::start(ctx, Operation::Read.default_timeout()).await?;
    let app = AppRef::ObjectId(parsed.application_object_id.to_string());
    let c = match call
        .graph
        .get_credential(&app, &parsed.credential, &call.deadline)
        .await
    {
        Ok(c) => c,
        Err(e) if e.is_not_found() => {
            return Err(Diagnostics::from_error(
                "Cannot import: no such federated identity credential",
                format!(
                    "Application {} has no credential with id or name {:?}.\n\n{e}",
                    parsed.application_object_id, parsed.credential
                ),
            ))
        }
        Err(e) => return Err(call.diag("Cannot import the federated identity credential", &e)),
    };
    let ids = AppIds {
        object_id: parsed.application_object_id.to_string(),
        client_id: call
            .client
            .application(&call.graph, &app, &call.deadline)
            .await
            .map(|a| AppIds::from_graph(&a.id, &a.app_id).client_id)
            .unwrap_or_default(),
    };
    let principal = FicModel::imported_principal(&c);
    Ok(FicModel::from_graph(&ids, &c, principal, None))
}

/// The application's object and client ids, resolving whichever one is missing.
pub(super) async fn resolve_app(call: &Call, model: &FicModel) -> Result<AppIds, Diagnostics> {
    let lookup = |app: AppRef| async move {
        call.client
            .application(&call.graph, &app, &call.deadline)
            .await
            .map(|a| AppIds::from_graph(&a.id, &a.app_id))
    };
    match (
        model.application_object_id.known(),
        model.application_client_id.known(),
    ) {
        // Both given (configuration generated for an imported credential): they must
        // name one application.
        (Some(o), Some(c)) => {
            let found = lookup(AppRef::ObjectId(o.clone()))
                .await
                .map_err(|e| call.diag(&format!("Cannot read application {o}"), &e))?;
            match app_pair_mismatch(o, c, &found.client_id) {
                Some(d) => Err(d),
                None => Ok(found),
            }
        }
        (Some(o), None) => lookup(AppRef::ObjectId(o.clone()))
            .await
            .map_err(|e| call.diag(&format!("Cannot read application {o}"), &e)),
        (None, Some(c)) => lookup(AppRef::ClientId(c.clone())).await.map_err(|e| {
            call.diag(
                &format!("Cannot find the application with client id {c}"),
                &e,
            )
        }),
        (None, None) => Err(Diagnostics::from_error(
            "No application",
            "Set application_object_id or application_client_id.",
        )),
    }
}

/// Reads credentials of an application through the list shared by this run: concurrent
/// readers of one application make one Graph call. Text that is not an object id is
/// listed as given, unshared, so the caller sees Graph's own answer (an error) for it.
pub(super) async fn shared_list(
    client: &EntraClient,
    g: &GraphClient,
    app_object_id: &str,
    d: &Deadline,
) -> Result<Arc<Vec<FederatedCredential>>, GraphError> {
    let Some(id) = ObjectId::parse(app_object_id) else {
        let app = AppRef::ObjectId(app_object_id.to_string());
        return Ok(Arc::new(g.list_credentials(&app, d).await?));
    };
    let entry = client.app(&id);
    let mut listed = entry.listed.lock().await;
    if let Some(l) = listed.as_ref() {
        return Ok(l.clone());
    }
    let l = client.application_with_credentials(g, &id, d).await?.1;
    *listed = Some(l.clone());
    Ok(l)
}

/// An error naming both values when the configured client id is not the one of the
/// application the object id names; `None` when they agree.
pub(super) fn app_pair_mismatch(
    object_id: &str,
    client_id: &str,
    actual_client_id: &str,
) -> Option<Diagnostics> {
    if ClientId::parse(client_id).is_some_and(|c| ClientId::parse(actual_client_id) == Some(c)) {
        return None;
    }
    let mut d = Diagnostics::new();
    d.error_at(
        crate::framework::AttrPath::attr(APPLICATION_CLIENT_ID),
        "application_client_id and application_object_id name different applications",
        format!(
            "application_object_id {object_id} is the application whose client id is {actual_client_id}, but application_client_id is {client_id}. Set only one of them, or correct the other."
        ),
    );
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_agrees_when_the_client_ids_are_one() {
        const OBJECT: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d01";
        const CLIENT: &str = "c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02";
        let upper = CLIENT.to_ascii_uppercase();
        // (configured client id, the application's client id, they agree)
        let cases = [
            (CLIENT, CLIENT, true),
            (&upper[..], CLIENT, true),
            (OBJECT, CLIENT, false),
            ("not-a-guid", CLIENT, false),
        ];
        for (configured, actual, agree) in cases {
            let mismatch = app_pair_mismatch(OBJECT, configured, actual);
            assert_eq!(mismatch.is_none(), agree, "{configured} {actual}");
        }
    }
}
