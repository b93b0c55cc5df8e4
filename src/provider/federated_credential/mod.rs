//! `entra_mi_federated_credential`: an application trusts tokens with this issuer,
//! subject and audience.
//!
//! - [`model`]: the typed attributes and their conversions (Terraform value, Graph wire
//!   shapes, rule input).
//! - [`plan`]: validation and plan-time checks (defaults, collisions, the 20 limit).
//! - [`apply`]: create, update and delete, serialised per application.
//! - [`read`]: refresh and import.
//! - [`moved`]: state moved from azuread's `azuread_application_federated_identity_credential`.
//! - [`identity`]: the live check that the principal id is a user-assigned managed identity.

mod apply;
mod id;
mod identity;
mod model;
mod moved;
mod plan;
mod read;
mod schema;
mod siblings;

use std::sync::Arc;

use async_trait::async_trait;

pub use id::{parse_import_id, resource_id, ImportId};
pub use model::{AppIds, FicModel, Operation, Timeouts};
pub use schema::{schema, TYPE_NAME};
pub use siblings::PlannedSet;

use super::client::EntraClient;
use crate::codec::Value;
use crate::entra::graph::{GraphClient, GraphError};
use crate::entra::retry::Deadline;
use crate::framework::{Ctx, Declaration, Diagnostics, MoveSource, PlanRequest, Resource};
use crate::rules;

pub struct FederatedCredentialResource;

#[async_trait]
impl Resource for FederatedCredentialResource {
    fn declaration(&self) -> Declaration {
        Declaration::new(TYPE_NAME, schema(), |config, ctx| {
            plan::validate(&FicModel::from_value(config), ctx)
        })
    }

    async fn modify_plan(&self, plan: &mut PlanRequest<'_>, ctx: &Ctx) -> Diagnostics {
        plan::modify_plan(plan, ctx).await
    }

    async fn plan_destroy(&self, prior: &Value, ctx: &Ctx) -> Diagnostics {
        plan::plan_destroy(&FicModel::from_value(prior), ctx).await;
        Diagnostics::new()
    }

    async fn create(
        &self,
        planned: &Value,
        _config: &Value,
        ctx: &Ctx,
    ) -> (Option<Value>, Diagnostics) {
        into_state(apply::create(FicModel::from_value(planned), ctx).await)
    }

    async fn read(&self, state: &Value, ctx: &Ctx) -> (Option<Value>, Diagnostics) {
        let (model, d) = read::read(FicModel::from_value(state), ctx).await;
        (model.map(|m| m.to_value()), d)
    }

    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        _config: &Value,
        ctx: &Ctx,
    ) -> (Option<Value>, Diagnostics) {
        let prior = FicModel::from_value(prior);
        into_state(apply::update(&prior, FicModel::from_value(planned), ctx).await)
    }

    async fn delete(&self, prior: &Value, ctx: &Ctx) -> Diagnostics {
        apply::delete(&FicModel::from_value(prior), ctx).await
    }

    async fn import(&self, id: &str, ctx: &Ctx) -> (Vec<Value>, Diagnostics) {
        match read::import(id, ctx).await {
            Ok(model) => (vec![model.to_value()], Diagnostics::new()),
            Err(d) => (vec![], d),
        }
    }

    fn move_state(&self, source: &MoveSource<'_>) -> Result<Value, Diagnostics> {
        moved::from_azuread(source)
    }
}

fn into_state((model, d): (Option<FicModel>, Diagnostics)) -> (Option<Value>, Diagnostics) {
    (model.map(|m| m.to_value()), d)
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
