//! Managed resources: the [`Resource`] trait and one request and one response type per
//! call, in the spirit of terraform-plugin-framework's fwserver. A response is a struct, so
//! what an RPC can carry besides the state (resource identity, private bytes, generated
//! configuration) is a named field, not one more position in a tuple.

use async_trait::async_trait;

use super::context::Ctx;
use super::declaration::Declaration;
use super::diag::{AttrPath, Diagnostics};
use super::identity::IdentitySchema;
use crate::codec::{Type, Value};

/// A managed resource type: objects Terraform creates, reads, updates and deletes.
/// Values are whole objects of its schema's type; identities are objects of its
/// [`IdentitySchema`]'s type.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The type's name, schema and static checks; asked once, when the server starts.
    fn declaration(&self) -> Declaration;

    /// The resource identity's schema (Terraform >= 1.12), if the type has one. Asked once,
    /// when the server starts. With one, every response that carries a state should carry
    /// the identity too.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// Refines a create or update plan (PlanResourceChange): fill computed values known
    /// in advance, change `requires_replace`, set the planned identity, add diagnostics
    /// (e.g. live checks against the API). Not called for destroy (see
    /// [`Resource::plan_destroy`]). Errors stop the plan.
    async fn modify_plan(&self, _plan: &mut PlanRequest<'_>, _ctx: &Ctx) -> Diagnostics {
        Diagnostics::new()
    }

    /// Sees a planned destroy (PlanResourceChange with a null proposal: the block was
    /// removed, or `terraform destroy`). Nothing can be changed; errors stop the plan.
    async fn plan_destroy(&self, _prior: &Value, _ctx: &Ctx) -> Diagnostics {
        Diagnostics::new()
    }

    /// Creates the object (ApplyResourceChange with no prior state). A state returned
    /// with errors is still saved: the object exists. No state with errors: nothing was
    /// created.
    async fn create(&self, req: CreateRequest<'_>, ctx: &Ctx) -> ApplyResponse;

    /// Refreshes the state from the real object (ReadResource, on plan, refresh and after
    /// import or move). No state: the object is gone and leaves the state. With errors,
    /// the prior state is kept whatever is returned.
    async fn read(&self, req: ReadRequest<'_>, ctx: &Ctx) -> ReadResponse;

    /// Updates the object in place (ApplyResourceChange with a prior and a planned
    /// state). No state with errors keeps the prior state.
    async fn update(&self, req: UpdateRequest<'_>, ctx: &Ctx) -> ApplyResponse;

    /// Deletes the object (ApplyResourceChange with a null plan). With errors the object
    /// stays in state; an object already gone is success.
    async fn delete(&self, prior: &Value, ctx: &Ctx) -> Diagnostics;

    /// The state objects an import ID or identity stands for (ImportResourceState), each
    /// wholly known; Terraform reads them afterwards. Errors: nothing is imported.
    async fn import(&self, req: ImportRequest<'_>, ctx: &Ctx) -> ImportResponse;

    /// State stored by an older schema version (UpgradeResourceState, before any read),
    /// as decoded (leniently) from its JSON: return it in the current schema's shape, or
    /// diagnostics that say why it cannot be.
    fn upgrade_state(&self, _from_version: i64, state: Value) -> Result<Value, Diagnostics> {
        Ok(state)
    }

    /// This resource's state for another type's object named in a `moved` block
    /// (MoveResourceState, on plan with Terraform >= 1.8, before any read). Build it from
    /// [`MoveSource::decode_state`] without calling the API: Terraform reads the object
    /// right afterwards. A source the resource does not know is an error that names what it
    /// accepts (provider, type, schema versions). By default every source is refused.
    fn move_state(&self, source: &MoveSource<'_>) -> Result<Moved, Diagnostics> {
        Err(Diagnostics::from_error(
            "Moving resource state is not supported",
            format!(
                "{} cannot be moved from {} ({}). Remove the old object from state (a `removed` block, or `terraform state rm`) and import it instead.",
                self.declaration().type_name,
                source.type_name,
                source.provider_address
            ),
        ))
    }

    /// The configuration a person would write for a stored object (GenerateResourceConfig,
    /// Terraform >= 1.14, for `-generate-config-out`): the state with computed-only values
    /// and redundant ones left null. `None`: let Terraform derive it from the schema.
    fn generate_config(&self, _state: &Value, _ctx: &Ctx) -> Option<Value> {
        None
    }
}

/// A plan being made: the resource may fill computed values it can know in advance,
/// mark replacements, set the planned identity and add diagnostics (e.g. live checks).
pub struct PlanRequest<'a> {
    /// `None` on create.
    pub prior: Option<&'a Value>,
    /// The stored identity; `None` on create or before Terraform 1.12.
    pub prior_identity: Option<&'a Value>,
    /// The resource block as written; unknown where it depends on other resources.
    pub config: &'a Value,
    /// Terraform's proposal with the framework's rules applied; edit in place.
    pub planned: Value,
    /// The identity the plan will have (may hold unknowns on create and replace); starts
    /// as the prior identity.
    pub planned_identity: Option<Value>,
    /// The attributes whose change replaces the object, as the schema's
    /// `requires_replace` flags found them; add or remove paths to decide otherwise.
    pub requires_replace: Vec<AttrPath>,
    /// The private bytes Terraform handed in: the stored object's on an update, and on
    /// the create half of a replacement (Terraform plans a replacement twice, the second
    /// time with no prior) the first half's `planned_private`.
    pub prior_private: &'a [u8],
    /// The private bytes to keep with this plan (starts as `prior_private`); Terraform
    /// passes them back on the replacement's create half and to apply.
    pub planned_private: Vec<u8>,
}

/// A refresh (ReadResource).
pub struct ReadRequest<'a> {
    /// The stored state, never null.
    pub state: &'a Value,
    /// The stored identity, if Terraform has one.
    pub identity: Option<&'a Value>,
    /// The object's private bytes (from import, move, apply or the last read).
    pub private: &'a [u8],
}

/// What a refresh found.
#[derive(Default)]
pub struct ReadResponse {
    /// The new state, wholly known; `None`: the object is gone.
    pub state: Option<Value>,
    /// The object's identity.
    pub identity: Option<Value>,
    /// New private bytes; `None` keeps the ones Terraform sent.
    pub private: Option<Vec<u8>>,
    /// Warnings and errors.
    pub diagnostics: Diagnostics,
}

/// A create (ApplyResourceChange with no prior state).
pub struct CreateRequest<'a> {
    /// The plan, with unknowns where the provider fills values.
    pub planned: &'a Value,
    /// The resource block as written.
    pub config: &'a Value,
    /// The planned identity, if any.
    pub planned_identity: Option<&'a Value>,
}

/// An in-place update (ApplyResourceChange with a prior and a planned state).
pub struct UpdateRequest<'a> {
    /// The stored state.
    pub prior: &'a Value,
    /// The plan.
    pub planned: &'a Value,
    /// The resource block as written.
    pub config: &'a Value,
    /// The planned identity, if any.
    pub planned_identity: Option<&'a Value>,
}

/// What a create or update did.
#[derive(Default)]
pub struct ApplyResponse {
    /// The new state, wholly known; see [`Resource::create`] and [`Resource::update`].
    pub state: Option<Value>,
    /// The object's identity, wholly known.
    pub identity: Option<Value>,
    /// Warnings and errors.
    pub diagnostics: Diagnostics,
}

impl ApplyResponse {
    /// A response with diagnostics and no state.
    pub fn failed(diagnostics: Diagnostics) -> ApplyResponse {
        ApplyResponse {
            diagnostics,
            ..ApplyResponse::default()
        }
    }
}

/// What the user asked to import: an import ID (`terraform import`, `import { id = … }`)
/// or, with Terraform >= 1.12, a resource identity (`import { identity = { … } }`).
pub enum ImportTarget<'a> {
    /// The import ID as written.
    Id(&'a str),
    /// The identity object, of the type of [`Resource::identity_schema`].
    Identity(&'a Value),
}

/// An import (ImportResourceState).
pub struct ImportRequest<'a> {
    /// What to import.
    pub target: ImportTarget<'a>,
}

/// One imported object.
pub struct Imported {
    /// Its state, wholly known.
    pub state: Value,
    /// Its identity, wholly known.
    pub identity: Option<Value>,
    /// Private bytes Terraform hands to the read that follows.
    pub private: Vec<u8>,
}

/// What an import found.
#[derive(Default)]
pub struct ImportResponse {
    /// The objects, usually one.
    pub imported: Vec<Imported>,
    /// Warnings and errors; with errors nothing is imported.
    pub diagnostics: Diagnostics,
}

/// Another resource type's stored object that a `moved` block hands to this resource
/// (MoveResourceState, Terraform >= 1.8): where it comes from, and its state as that
/// type's provider wrote it.
pub struct MoveSource<'a> {
    /// The source provider's address, e.g. `registry.terraform.io/hashicorp/azuread`.
    pub provider_address: &'a str,
    /// The source resource type, e.g. `azuread_application_federated_identity_credential`.
    pub type_name: &'a str,
    /// The schema version the source state was written with (by the source provider).
    pub schema_version: i64,
    /// The source provider's private bytes for the object (opaque; e.g. its timeouts).
    pub private: &'a [u8],
    /// The stored state: JSON in the source type's schema.
    pub(crate) state_json: &'a [u8],
}

/// This resource's object built from a moved one.
pub struct Moved {
    /// The state, wholly known.
    pub state: Value,
    /// Its identity, wholly known.
    pub identity: Option<Value>,
    /// Private bytes for the read that follows (the source's stay behind).
    pub private: Vec<u8>,
}

impl MoveSource<'_> {
    /// The source state decoded as `ty`, leniently: attributes `ty` lacks are dropped and
    /// attributes the state lacks read as null, so one type can cover several versions of
    /// the source schema.
    pub fn decode_state(&self, ty: &Type) -> Result<Value, Diagnostics> {
        if self.state_json.is_empty() {
            return Err(Diagnostics::from_error(
                "No state to move",
                format!(
                    "Terraform sent no JSON state for the {} object being moved; remove it from state and import the object instead.",
                    self.type_name
                ),
            ));
        }
        crate::codec::json::decode(self.state_json, ty).map_err(|e| {
            Diagnostics::from_error(
                format!("The {} state cannot be read", self.type_name),
                format!("The stored state does not have the expected shape: {e}"),
            )
        })
    }
}
