//! `entra_mi_federated_credential`: an application trusts tokens with this issuer,
//! subject and audience (SPEC §3).

mod id;
mod schema;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use id::{parse_import_id, resource_id, ImportId};
pub use schema::{schema, TYPE_NAME};

use super::client::EntraClient;
use super::values::{get_str, get_strings, input_list, input_str};
use crate::codec::Value;
use crate::entra::graph::{
    AppRef, CredentialPatch, FederatedCredential, GraphClient, GraphError, GraphErrorKind,
    NewCredential,
};
use crate::entra::retry::{Backoff, Deadline};
use crate::framework::plan::set_attr;
use crate::framework::{AttrPath, Ctx, Diagnostics, PlanRequest, Resource, Schema};
use crate::rules::{self, fic, Input};

pub struct FederatedCredentialResource;

/// azuread's defaults.
const DEFAULT_CREATE: Duration = Duration::from_secs(15 * 60);
const DEFAULT_OTHER: Duration = Duration::from_secs(5 * 60);

fn timeout(value: &Value, op: &str) -> Duration {
    let default = if op == "create" {
        DEFAULT_CREATE
    } else {
        DEFAULT_OTHER
    };
    value
        .attr("timeouts")
        .and_then(|t| t.attr(op))
        .and_then(Value::as_str)
        .and_then(|s| rules::duration::parse(s).ok())
        .unwrap_or(default)
}

fn client(ctx: &Ctx) -> Result<Arc<EntraClient>, Diagnostics> {
    ctx.provider::<EntraClient>().ok_or_else(|| {
        Diagnostics::from_error("The provider is not configured", "The entra provider was not configured before use; this is a bug in Terraform or the provider.")
    })
}

async fn graph(ctx: &Ctx) -> Result<(Arc<EntraClient>, Arc<GraphClient>), Diagnostics> {
    let c = client(ctx)?;
    let g = c
        .graph()
        .await
        .map_err(|e| Diagnostics::from_error("Cannot sign in to Microsoft Graph", e))?;
    Ok((c, g))
}

fn graph_diag(summary: &str, e: &GraphError) -> Diagnostics {
    Diagnostics::from_error(summary, e.to_string())
}

/// The state object for a credential of an application.
fn state_of(
    app_object_id: &str,
    app_client_id: &str,
    c: &FederatedCredential,
    principal: Option<&str>,
    timeouts: Option<&Value>,
) -> Value {
    let mut m = BTreeMap::new();
    m.insert("application_object_id".into(), Value::string(app_object_id));
    m.insert("application_client_id".into(), Value::string(app_client_id));
    m.insert("name".into(), Value::string(&c.name));
    // The principal id is what the user wrote; it is kept only while it is still the subject.
    m.insert(
        "managed_identity_principal_id".into(),
        match principal {
            Some(p) => Value::string(p),
            None => Value::Null,
        },
    );
    m.insert("subject".into(), Value::string(&c.subject));
    m.insert("issuer".into(), Value::string(&c.issuer));
    m.insert(
        "audiences".into(),
        Value::List(c.audiences.iter().map(Value::string).collect()),
    );
    m.insert(
        "description".into(),
        match c.description.as_deref() {
            Some(d) if !d.is_empty() => Value::string(d),
            _ => Value::Null,
        },
    );
    m.insert("credential_id".into(), Value::string(&c.id));
    m.insert(
        "id".into(),
        Value::string(resource_id(app_object_id, &c.id)),
    );
    m.insert("timeouts".into(), timeouts.cloned().unwrap_or(Value::Null));
    Value::Object(m)
}

fn import_hint(app_object_id: &str, name: &str) -> String {
    format!(
        "terraform import <address> {}",
        resource_id(app_object_id, name)
    )
}

impl FederatedCredentialResource {
    fn config_for_rules<'a>(
        config: &'a Value,
        cloud: Option<crate::cloud::Cloud>,
    ) -> fic::Config<'a> {
        fic::Config {
            application_object_id: input_str(config, "application_object_id"),
            application_client_id: input_str(config, "application_client_id"),
            name: input_str(config, "name"),
            managed_identity_principal_id: input_str(config, "managed_identity_principal_id"),
            subject: input_str(config, "subject"),
            issuer: input_str(config, "issuer"),
            audiences: input_list(config, "audiences"),
            description: input_str(config, "description"),
            cloud,
        }
    }

    /// The application's object and client ids, resolving a client id once.
    async fn resolve_app(
        client: &EntraClient,
        g: &GraphClient,
        value: &Value,
        d: &Deadline,
    ) -> Result<(String, String), Diagnostics> {
        match (
            get_str(value, "application_object_id"),
            get_str(value, "application_client_id"),
        ) {
            (Some(o), Some(c)) => Ok((o.to_ascii_lowercase(), c.to_ascii_lowercase())),
            (Some(o), None) => client
                .application(g, &AppRef::ObjectId(o.to_string()), d)
                .await
                .map(|a| (a.id.to_ascii_lowercase(), a.app_id.to_ascii_lowercase()))
                .map_err(|e| graph_diag(&format!("Cannot read application {o}"), &e)),
            (None, Some(c)) => client
                .application(g, &AppRef::ClientId(c.to_string()), d)
                .await
                .map(|a| (a.id.to_ascii_lowercase(), a.app_id.to_ascii_lowercase()))
                .map_err(|e| {
                    graph_diag(
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

    /// Errors a create would hit, from the application's current credentials.
    fn preflight(
        app_object_id: &str,
        existing: &[FederatedCredential],
        new: &NewCredential,
    ) -> Diagnostics {
        let mut d = Diagnostics::new();
        if let Some(c) = existing.iter().find(|c| c.name == new.name) {
            d.error_at(
                AttrPath::attr("name"),
                format!("A federated identity credential named {:?} already exists on this application", new.name),
                format!(
                    "Names are unique per application. To manage the existing credential (id {}) with Terraform, import it:\n  {}\nor add an import block with id = \"{}\".",
                    c.id,
                    import_hint(app_object_id, &c.id),
                    resource_id(app_object_id, &c.id)
                ),
            );
        }
        if let Some(c) = existing
            .iter()
            .find(|c| c.issuer == new.issuer && c.subject == new.subject && c.name != new.name)
        {
            d.error_at(
                AttrPath::attr("subject"),
                "Another credential of this application already trusts this issuer and subject",
                format!(
                    "Credential {:?} (id {}) has issuer {:?} and subject {:?}; Entra requires issuer+subject to be unique per application. Import it ({}) or remove it.",
                    c.name,
                    c.id,
                    c.issuer,
                    c.subject,
                    import_hint(app_object_id, &c.id)
                ),
            );
        }
        if existing.len() >= fic::MAX_PER_APPLICATION
            && !existing.iter().any(|c| c.name == new.name)
        {
            d.error_at(
                AttrPath::attr("application_object_id"),
                format!("The application already has {} federated identity credentials", existing.len()),
                format!(
                    "Entra allows at most {} federated identity credentials per application, and the limit cannot be raised. Remove unused credentials or use another application.",
                    fic::MAX_PER_APPLICATION
                ),
            );
        }
        d
    }

    /// Reads credentials of an application through the shared list.
    async fn shared_list(
        client: &EntraClient,
        g: &GraphClient,
        app_object_id: &str,
        d: &Deadline,
    ) -> Result<Arc<Vec<FederatedCredential>>, GraphError> {
        let entry = client.app(app_object_id).await;
        let mut listed = entry.listed.lock().await;
        if let Some(l) = listed.as_ref() {
            return Ok(l.clone());
        }
        let l = Arc::new(
            g.list_credentials(&AppRef::ObjectId(app_object_id.to_string()), d)
                .await?,
        );
        *listed = Some(l.clone());
        Ok(l)
    }

    fn desired(planned: &Value) -> NewCredential {
        NewCredential {
            name: get_str(planned, "name").unwrap_or_default().to_string(),
            issuer: get_str(planned, "issuer").unwrap_or_default().to_string(),
            subject: get_str(planned, "subject").unwrap_or_default().to_string(),
            audiences: get_strings(planned, "audiences"),
            description: get_str(planned, "description").map(str::to_string),
        }
    }

    /// Reads a credential back until it is visible (Entra replicates new credentials).
    async fn read_back(
        g: &GraphClient,
        app: &AppRef,
        id: &str,
        d: &Deadline,
    ) -> Result<FederatedCredential, GraphError> {
        let backoff = Backoff {
            base: Duration::from_millis(250),
            max: Duration::from_secs(5),
        };
        let mut attempt = 0;
        loop {
            match g.get_credential(app, id, d).await {
                Err(e) if e.is_not_found() && !d.expired() => {
                    let wait = backoff
                        .delay(attempt)
                        .max(Duration::from_millis(100))
                        .min(d.remaining());
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = d.cancel.cancelled() => return Err(e),
                    }
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[async_trait]
impl Resource for FederatedCredentialResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, ctx: &Ctx) -> Diagnostics {
        let cloud = ctx
            .provider::<EntraClient>()
            .filter(|c| c.settings.environment.is_some())
            .map(|c| c.cloud());
        let mut d = Diagnostics::from(fic::check_config(&Self::config_for_rules(config, cloud)));
        if let Some(t) = config.attr("timeouts").filter(|t| !t.is_null()) {
            for op in ["create", "read", "update", "delete"] {
                if let Some(Err(e)) = t
                    .attr(op)
                    .and_then(Value::as_str)
                    .map(rules::duration::parse)
                {
                    d.error_at(
                        AttrPath::attr("timeouts").child(op),
                        format!("timeouts.{op} must be a duration"),
                        e,
                    );
                }
            }
        }
        d
    }

    async fn modify_plan(&self, plan: &mut PlanRequest<'_>, ctx: &Ctx) -> Diagnostics {
        let mut d = Diagnostics::new();
        let client = ctx.provider::<EntraClient>();
        let known_client = client.clone().filter(|c| c.settings.is_known());
        let config = plan.config;

        // subject follows the principal id.
        match config.attr("managed_identity_principal_id") {
            Some(Value::String(p)) => set_attr(&mut plan.planned, "subject", Value::string(p)),
            Some(Value::Unknown) => set_attr(&mut plan.planned, "subject", Value::Unknown),
            _ => {}
        }
        let creating = plan.prior.is_none();
        if creating {
            if let Some(c) = &known_client {
                if input_str(config, "issuer").is_null() {
                    if let Some(tenant) = c.tenant() {
                        set_attr(
                            &mut plan.planned,
                            "issuer",
                            Value::string(c.cloud().entra_issuer(&tenant)),
                        );
                    }
                }
                if input_list(config, "audiences").is_null() {
                    set_attr(
                        &mut plan.planned,
                        "audiences",
                        Value::List(vec![Value::string(c.cloud().token_exchange_audience())]),
                    );
                }
                // The cloud is known now: check what depends on it.
                let planned = plan.planned.clone();
                let mut rules_cfg = Self::config_for_rules(&planned, Some(c.cloud()));
                rules_cfg.application_object_id = Input::Null;
                rules_cfg.application_client_id = Input::Null;
                for f in fic::check_config(&rules_cfg) {
                    if matches!(f.rule, "issuer.cross_cloud")
                        && config.attr("issuer").is_some_and(|v| !v.is_null())
                    {
                        d.finding(&f);
                    }
                }
                d.extend(self.live_check(c, &plan.planned, ctx).await);
            }
        } else if let Some(prior) = plan.prior {
            if !plan.requires_replace.is_empty() {
                if let (Some(c), Some(id)) = (&client, get_str(prior, "credential_id")) {
                    c.replacing.lock().await.insert(id.to_string());
                }
            }
            // A removed principal id hands the subject back to configuration.
            if input_str(config, "managed_identity_principal_id").is_null()
                && input_str(config, "subject").is_null()
            {
                if let Some(s) = prior.attr("subject") {
                    set_attr(&mut plan.planned, "subject", s.clone());
                }
            }
        }
        d
    }

    async fn create(
        &self,
        planned: &Value,
        _config: &Value,
        ctx: &Ctx,
    ) -> (Option<Value>, Diagnostics) {
        let (client, g) = match graph(ctx).await {
            Ok(x) => x,
            Err(d) => return (None, d),
        };
        let d = Deadline::after(timeout(planned, "create"), ctx.cancel.clone());
        let (app_object_id, app_client_id) = match Self::resolve_app(&client, &g, planned, &d).await
        {
            Ok(x) => x,
            Err(diag) => return (None, diag),
        };
        let app = AppRef::ObjectId(app_object_id.clone());
        let new = Self::desired(planned);
        let entry = client.app(&app_object_id).await;
        let mut writer = entry.writer.lock().await;
        if writer.is_none() {
            // The list this run's plan read (kept current with our writes) will do.
            *writer = entry.listed.lock().await.as_deref().cloned();
        }
        if writer.is_none() {
            match g.list_credentials(&app, &d).await {
                Ok(l) => *writer = Some(l),
                Err(e) => {
                    return (
                        None,
                        graph_diag(
                            "Cannot list the application's federated identity credentials",
                            &e,
                        ),
                    )
                }
            }
        }
        let existing = writer.clone().unwrap_or_default();
        let pre = Self::preflight(&app_object_id, &existing, &new);
        if pre.has_errors() {
            return (None, pre);
        }
        let created = match g.create_credential(&app, &new, &d).await {
            Ok(c) => c,
            Err(e)
                if matches!(
                    e.kind,
                    GraphErrorKind::Conflict | GraphErrorKind::BadRequest
                ) =>
            {
                // The POST may have been applied with its answer lost: adopt an identical
                // credential, refuse a different one.
                // Read until visible: the lost POST's credential may still be replicating.
                // A 409 says the name exists; a 400 may not be ours at all, so wait less.
                let patience = if e.kind == GraphErrorKind::Conflict {
                    d.remaining()
                } else {
                    d.remaining().min(Duration::from_secs(20))
                };
                let adopt_deadline = Deadline::after(patience, ctx.cancel.clone());
                match Self::read_back(&g, &app, &new.name, &adopt_deadline).await {
                    Ok(c) if c.same_content(&new) => c,
                    Ok(c) => {
                        let mut diag = Self::preflight(&app_object_id, &[c], &new);
                        if !diag.has_errors() {
                            diag = graph_diag("Graph refused the credential", &e);
                        }
                        return (None, diag);
                    }
                    Err(_) => return (None, graph_diag("Graph refused the credential", &e)),
                }
            }
            Err(e) => {
                return (
                    None,
                    graph_diag("Cannot create the federated identity credential", &e),
                )
            }
        };
        entry.record(&mut writer, &created.id, Some(&created)).await;
        drop(writer);
        let principal = get_str(planned, "managed_identity_principal_id");
        let timeouts = planned.attr("timeouts");
        let state = state_of(
            &app_object_id,
            &app_client_id,
            &created,
            principal,
            timeouts,
        );
        match Self::read_back(&g, &app, &created.id, &d).await {
            Ok(c) => (
                Some(state_of(
                    &app_object_id,
                    &app_client_id,
                    &c,
                    principal,
                    timeouts,
                )),
                Diagnostics::new(),
            ),
            Err(e) => {
                // It exists: keep it in state, but say the apply did not finish cleanly.
                (Some(state), graph_diag("The credential was created but could not be read back before the create timeout", &e))
            }
        }
    }

    async fn read(&self, state: &Value, ctx: &Ctx) -> (Option<Value>, Diagnostics) {
        let (client, g) = match graph(ctx).await {
            Ok(x) => x,
            Err(d) => return (Some(state.clone()), d),
        };
        let d = Deadline::after(timeout(state, "read"), ctx.cancel.clone());
        let (Some(app_object_id), Some(credential_id)) = (
            get_str(state, "application_object_id"),
            get_str(state, "credential_id"),
        ) else {
            return (None, Diagnostics::new());
        };
        let app_client_id = get_str(state, "application_client_id").unwrap_or_default();
        let listed = match Self::shared_list(&client, &g, app_object_id, &d).await {
            Ok(l) => l,
            Err(e) if e.is_not_found() => return (None, Diagnostics::new()),
            Err(e) => {
                return (
                    Some(state.clone()),
                    graph_diag(
                        "Cannot read the application's federated identity credentials",
                        &e,
                    ),
                )
            }
        };
        let found = match listed.iter().find(|c| c.id == credential_id) {
            Some(c) => c.clone(),
            // Not in the list: confirm with a direct read before dropping it from state.
            None => match g
                .get_credential(
                    &AppRef::ObjectId(app_object_id.to_string()),
                    credential_id,
                    &d,
                )
                .await
            {
                Ok(c) => c,
                Err(e) if e.is_not_found() => return (None, Diagnostics::new()),
                Err(e) => {
                    return (
                        Some(state.clone()),
                        graph_diag("Cannot read the federated identity credential", &e),
                    )
                }
            },
        };
        // The principal id stays as configured even when the subject drifted, so the plan
        // shows the subject going back to it.
        let principal = get_str(state, "managed_identity_principal_id");
        let mut s = state_of(
            app_object_id,
            app_client_id,
            &found,
            principal,
            state.attr("timeouts"),
        );
        if app_client_id.is_empty() {
            if let Ok(a) = client
                .application(&g, &AppRef::ObjectId(app_object_id.to_string()), &d)
                .await
            {
                set_attr(
                    &mut s,
                    "application_client_id",
                    Value::string(a.app_id.to_ascii_lowercase()),
                );
            }
        }
        (Some(s), Diagnostics::new())
    }

    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        _config: &Value,
        ctx: &Ctx,
    ) -> (Option<Value>, Diagnostics) {
        let (client, g) = match graph(ctx).await {
            Ok(x) => x,
            Err(d) => return (None, d),
        };
        let d = Deadline::after(timeout(planned, "update"), ctx.cancel.clone());
        let (Some(app_object_id), Some(credential_id)) = (
            get_str(prior, "application_object_id"),
            get_str(prior, "credential_id"),
        ) else {
            return (None, Diagnostics::from_error("Incomplete state", "The prior state has no application or credential id; remove it from state and import it."));
        };
        let want = Self::desired(planned);
        let patch = CredentialPatch {
            issuer: want.issuer.clone(),
            subject: want.subject.clone(),
            audiences: want.audiences.clone(),
            description: want.description.clone(),
        };
        let app = AppRef::ObjectId(app_object_id.to_string());
        let entry = client.app(app_object_id).await;
        let mut writer = entry.writer.lock().await;
        if let Err(e) = g.update_credential(&app, credential_id, &patch, &d).await {
            return (
                None,
                graph_diag("Cannot update the federated identity credential", &e),
            );
        }
        let updated = FederatedCredential {
            id: credential_id.to_string(),
            name: want.name,
            issuer: want.issuer,
            subject: want.subject,
            audiences: want.audiences,
            description: want.description,
        };
        entry.record(&mut writer, &updated.id, Some(&updated)).await;
        let app_client_id = get_str(prior, "application_client_id").unwrap_or_default();
        let state = state_of(
            app_object_id,
            app_client_id,
            &updated,
            get_str(planned, "managed_identity_principal_id"),
            planned.attr("timeouts"),
        );
        (Some(state), Diagnostics::new())
    }

    async fn delete(&self, prior: &Value, ctx: &Ctx) -> Diagnostics {
        let (client, g) = match graph(ctx).await {
            Ok(x) => x,
            Err(d) => return d,
        };
        let d = Deadline::after(timeout(prior, "delete"), ctx.cancel.clone());
        let (Some(app_object_id), Some(credential_id)) = (
            get_str(prior, "application_object_id"),
            get_str(prior, "credential_id"),
        ) else {
            return Diagnostics::new();
        };
        let app = AppRef::ObjectId(app_object_id.to_string());
        let entry = client.app(app_object_id).await;
        let mut writer = entry.writer.lock().await;
        match g.delete_credential(&app, credential_id, &d).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return graph_diag("Cannot delete the federated identity credential", &e),
        }
        entry.record(&mut writer, credential_id, None).await;
        drop(writer);
        // Confirm it is gone, so a following create of the same name does not collide.
        let backoff = Backoff {
            base: Duration::from_millis(250),
            max: Duration::from_secs(5),
        };
        let mut attempt = 0;
        loop {
            match g.get_credential(&app, credential_id, &d).await {
                Err(e) if e.is_not_found() => return Diagnostics::new(),
                Err(e) => return graph_diag("Cannot confirm the credential was deleted", &e),
                Ok(_) if d.expired() => return Diagnostics::from_error(
                    "The credential still exists",
                    "Graph still returns the credential after DELETE, until the delete timeout.",
                ),
                Ok(_) => {
                    tokio::time::sleep(backoff.delay(attempt).max(Duration::from_millis(100)))
                        .await;
                    attempt += 1;
                }
            }
        }
    }

    async fn import(&self, id: &str, ctx: &Ctx) -> (Vec<Value>, Diagnostics) {
        let parsed = match parse_import_id(id) {
            Ok(p) => p,
            Err(e) => return (vec![], Diagnostics::from_error("Invalid import ID", e)),
        };
        let (client, g) = match graph(ctx).await {
            Ok(x) => x,
            Err(d) => return (vec![], d),
        };
        let d = Deadline::after(DEFAULT_OTHER, ctx.cancel.clone());
        let app = AppRef::ObjectId(parsed.application_object_id.clone());
        let c = match g.get_credential(&app, &parsed.credential, &d).await {
            Ok(c) => c,
            Err(e) if e.is_not_found() => {
                return (
                    vec![],
                    Diagnostics::from_error(
                        "Cannot import: no such federated identity credential",
                        format!(
                            "Application {} has no credential with id or name {:?}.\n\n{e}",
                            parsed.application_object_id, parsed.credential
                        ),
                    ),
                )
            }
            Err(e) => {
                return (
                    vec![],
                    graph_diag("Cannot import the federated identity credential", &e),
                )
            }
        };
        let app_client_id = client
            .application(&g, &app, &d)
            .await
            .map(|a| a.app_id.to_ascii_lowercase())
            .unwrap_or_default();
        // A GUID subject under an Entra issuer is a managed identity's principal id.
        let principal = (crate::rules::guid::is_guid(&c.subject)
            && fic::is_entra_issuer(&c.issuer))
        .then_some(c.subject.as_str());
        (
            vec![state_of(
                &parsed.application_object_id,
                &app_client_id,
                &c,
                principal,
                None,
            )],
            Diagnostics::new(),
        )
    }
}

impl FederatedCredentialResource {
    /// Plan-time checks against the live application: collisions and the limit show at
    /// plan, not at apply. Silent when the application is unknown or Graph unreachable.
    async fn live_check(&self, client: &EntraClient, planned: &Value, ctx: &Ctx) -> Diagnostics {
        let Ok(g) = client.graph().await else {
            return Diagnostics::new();
        };
        let d = Deadline::after(Duration::from_secs(30), ctx.cancel.clone());
        let app_object_id = match (
            get_str(planned, "application_object_id"),
            get_str(planned, "application_client_id"),
        ) {
            (Some(o), _) => o.to_ascii_lowercase(),
            (None, Some(c)) => match client
                .application(&g, &AppRef::ClientId(c.to_string()), &d)
                .await
            {
                Ok(a) => a.id.to_ascii_lowercase(),
                Err(_) => return Diagnostics::new(),
            },
            _ => return Diagnostics::new(),
        };
        let new = Self::desired(planned);
        match Self::shared_list(client, &g, &app_object_id, &d).await {
            Ok(list) => {
                let replacing = client.replacing.lock().await.clone();
                let remaining: Vec<FederatedCredential> = list
                    .iter()
                    .filter(|c| !replacing.contains(&c.id))
                    .cloned()
                    .collect();
                let mut diag = Self::preflight(&app_object_id, &remaining, &new);
                // Unknown issuer/subject cannot collide yet.
                if new.issuer.is_empty() || new.subject.is_empty() {
                    diag.0.retain(|x| x.path != Some(AttrPath::attr("subject")));
                }
                diag
            }
            Err(e) => {
                tracing::debug!(error = %e.message, "live plan check skipped");
                Diagnostics::new()
            }
        }
    }
}
