//! `entra_mi_federated_credential`: an application trusts tokens with this issuer,
//! subject and audience.
//!
//! - [`model`]: the typed attributes and their conversions (Terraform value, Graph wire
//!   shapes, rule input).
//! - [`plan`]: validation and plan-time checks (defaults, collisions, the 20 limit).
//! - [`apply`]: create, update and delete, serialised per application.
//! - [`read`]: refresh and import.
//! - [`moved`]: state moved from azuread's `azuread_application_federated_identity_credential`.
//! - [`adopt`]: the checks on the first read after an import or a move (warnings).
//! - [`generate`]: the configuration `-generate-config-out` writes for a stored credential.
//! - [`attrs`]: the attribute names, held against the schema by a test.
//! - [`principal_check`]: the live check that the principal id is a user-assigned managed
//!   identity.

mod adopt;
mod apply;
mod attrs;
mod generate;
mod id;
mod list;
mod model;
mod moved;
mod plan;
mod principal_check;
mod read;
mod schema;

use std::sync::Arc;

use async_trait::async_trait;

pub use id::{parse_import_id, resource_id, ImportId};
pub use list::CredentialsList;
pub use model::{AppIds, FicModel, Operation, Timeouts};
pub use schema::{identity_schema, schema, TYPE_NAME};

use super::client::EntraClient;
use crate::codec::Value;
use crate::entra::graph::{GraphClient, GraphError};
use crate::entra::retry::Deadline;
use crate::framework::{
    ApplyResponse, CreateRequest, Ctx, Declaration, Diagnostics, IdentitySchema, ImportRequest,
    ImportResponse, ImportTarget, Imported, MoveSource, Moved, PlanRequest, ReadRequest,
    ReadResponse, Resource, UpdateRequest,
};
use crate::rules;

pub struct FederatedCredentialResource;

#[async_trait]
impl Resource for FederatedCredentialResource {
    fn declaration(&self) -> Declaration {
        Declaration::new(TYPE_NAME, schema(), |config, ctx| {
            plan::validate(&FicModel::from_value(config), ctx)
        })
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity_schema())
    }

    async fn modify_plan(&self, plan: &mut PlanRequest<'_>, ctx: &Ctx) -> Diagnostics {
        let d = plan::modify_plan(plan, ctx).await;
        if !plan.planned.is_null() {
            plan.planned_identity = Some(FicModel::from_value(&plan.planned).identity());
        }
        d
    }

    async fn plan_destroy(&self, prior: &Value, ctx: &Ctx) -> Diagnostics {
        plan::plan_destroy(&FicModel::from_value(prior), ctx).await;
        Diagnostics::new()
    }

    async fn create(&self, req: CreateRequest<'_>, ctx: &Ctx) -> ApplyResponse {
        applied(apply::create(FicModel::from_value(req.planned), ctx).await)
    }

    async fn read(&self, req: ReadRequest<'_>, ctx: &Ctx) -> ReadResponse {
        let adopted = adopt::Adopted::decode(req.private);
        let (model, mut diagnostics) = read::read(FicModel::from_value(req.state), ctx).await;
        if let (Some(how), Some(m), false) = (adopted, &model, diagnostics.has_errors()) {
            diagnostics.extend(adopt::check(how, m, ctx).await);
        }
        ReadResponse {
            identity: model.as_ref().map(FicModel::identity),
            state: model.map(|m| m.to_value()),
            // Checked once: the marker goes with this read.
            private: adopted.map(|_| Vec::new()),
            diagnostics,
        }
    }

    async fn update(&self, req: UpdateRequest<'_>, ctx: &Ctx) -> ApplyResponse {
        let prior = FicModel::from_value(req.prior);
        applied(apply::update(&prior, FicModel::from_value(req.planned), ctx).await)
    }

    async fn delete(&self, prior: &Value, ctx: &Ctx) -> Diagnostics {
        apply::delete(&FicModel::from_value(prior), ctx).await
    }

    async fn import(&self, req: ImportRequest<'_>, ctx: &Ctx) -> ImportResponse {
        let found = match req.target {
            ImportTarget::Id(id) => read::import(id, ctx).await,
            ImportTarget::Identity(identity) => read::import_by_identity(identity, ctx).await,
        };
        match found {
            Ok(model) => ImportResponse {
                imported: vec![Imported {
                    identity: Some(model.identity()),
                    state: model.to_value(),
                    private: adopt::Adopted::Imported.encode(),
                }],
                diagnostics: Diagnostics::new(),
            },
            Err(diagnostics) => ImportResponse {
                imported: vec![],
                diagnostics,
            },
        }
    }

    fn move_state(&self, source: &MoveSource<'_>) -> Result<Moved, Diagnostics> {
        let state = moved::from_azuread(source)?;
        Ok(Moved {
            identity: Some(FicModel::from_value(&state).identity()),
            state,
            private: adopt::Adopted::Moved.encode(),
        })
    }

    fn generate_config(&self, state: &Value, ctx: &Ctx) -> Option<Value> {
        Some(generate::config(&FicModel::from_value(state), ctx).to_value())
    }
}

fn applied((model, diagnostics): (Option<FicModel>, Diagnostics)) -> ApplyResponse {
    ApplyResponse {
        identity: model.as_ref().map(FicModel::identity),
        state: model.map(|m| m.to_value()),
        diagnostics,
    }
}

/// What every Graph-calling operation starts with: the provider's client, a signed-in
/// Graph client, and the operation's deadline (which Terraform's Stop cancels).
struct Call {
    client: Arc<EntraClient>,
    graph: Arc<GraphClient>,
    deadline: Deadline,
    /// The operation's timeout, named in errors of a Graph that gave no answer in time.
    timeout: std::time::Duration,
}

impl Call {
    async fn start(ctx: &Ctx, timeout: std::time::Duration) -> Result<Call, Diagnostics> {
        let client = EntraClient::from_ctx(ctx)?;
        let graph = client
            .graph()
            .await
            .map_err(|e| Diagnostics::from_error("Cannot sign in to Microsoft Graph", e))?;
        Ok(Call {
            client,
            graph,
            deadline: Deadline::after(timeout, ctx.cancel.clone()),
            timeout,
        })
    }

    /// A Graph failure as a diagnostic; when the operation's timeout was really reached
    /// (never for an early give-up such as a redirect), it names the timeout, which
    /// gives Graph longer.
    fn diag(&self, summary: &str, e: &GraphError) -> Diagnostics {
        let (summary, mut detail) = e.headed(summary);
        if e.kind == crate::entra::graph::GraphErrorKind::TimedOut {
            detail.push_str(&format!(
                "\n\nThe operation ended at its timeout {} (the resource's `timeouts` block sets it).",
                rules::duration::format(self.timeout)
            ));
        }
        Diagnostics::from_error(summary, detail)
    }
}

fn import_hint(app_object_id: &str, name: &str) -> String {
    format!(
        "terraform import <address> {}",
        resource_id(app_object_id, name)
    )
}

/// An `import` block for the credential, indented so Terraform prints it as is.
fn import_block(app_object_id: &str, credential_id: &str) -> String {
    format!(
        "  import {{\n    to = {TYPE_NAME}.<name>\n    id = \"{}\"\n  }}",
        resource_id(app_object_id, credential_id)
    )
}
