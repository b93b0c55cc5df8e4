//! What a provider implements: one trait per kind of object Terraform manages, in the
//! spirit of terraform-plugin-framework. Values are whole cty objects of the schema's
//! type; the framework decodes and encodes them and applies Terraform's planning rules.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::diag::{AttrPath, Diagnostics};
use super::schema::Schema;
use crate::codec::{Type, Value};

/// What `ProviderDef::configure` hands to resources: typically an API client.
pub type ProviderData = Arc<dyn Any + Send + Sync>;

/// Per-call context: the configured provider (absent when the provider configuration is
/// not known yet, e.g. during a plan with unknown provider arguments) and cancellation by
/// Terraform's Stop.
#[derive(Clone)]
pub struct Ctx {
    /// What [`ProviderDef::configure`] returned; `None` before ConfigureProvider.
    pub provider: Option<ProviderData>,
    /// Fires when Terraform sends Stop (e.g. on Ctrl-C): long waits must end and return
    /// an error diagnostic.
    pub cancel: CancellationToken,
}

impl Ctx {
    /// The provider's data as its concrete type.
    pub fn provider<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.provider.clone().and_then(|p| p.downcast::<T>().ok())
    }
}

/// The provider itself: its block in the configuration and the objects it serves.
/// [`crate::framework::Server::new`] asks for the schemas and the lists of objects once.
#[async_trait]
pub trait ProviderDef: Send + Sync + 'static {
    /// The `provider` block's schema (GetProviderSchema).
    fn schema(&self) -> Schema;

    /// Static checks of the provider block (PrepareProviderConfig, on validate, plan and
    /// apply). Values may be unknown. Errors stop Terraform before any configure.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Builds what resources need (ConfigureProvider, once per Terraform run, before any
    /// read, plan or apply). Called with unknown values when the configuration depends on
    /// other resources; then return data that defers its errors to first use. An `Err`
    /// fails the run.
    async fn configure(&self, config: &Value, ctx: &Ctx) -> Result<ProviderData, Diagnostics>;

    /// The managed resource types, each under the type name of its [`Resource::declaration`].
    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    /// The data source types; none by default.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    /// The ephemeral resource types (Terraform >= 1.10); none by default.
    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource>> {
        Vec::new()
    }

    /// The provider-defined functions (Terraform >= 1.8); none by default.
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }
}

/// A plan being made: the resource may fill computed values it can know in advance,
/// mark replacements, and add diagnostics (e.g. live checks).
pub struct PlanRequest<'a> {
    /// `None` on create.
    pub prior: Option<&'a Value>,
    /// The resource block as written; unknown where it depends on other resources.
    pub config: &'a Value,
    /// Terraform's proposal with the framework's rules applied; edit in place.
    pub planned: Value,
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

/// What Terraform knows an object type by (resource, data source or ephemeral
/// resource): its name in configuration, its schema (GetProviderSchema), and the static
/// checks of one block (the Validate*Config RPCs, on validate, plan and apply). Values
/// checked may be unknown and the provider may not be configured yet: check only what
/// the configuration alone decides.
pub struct Declaration {
    /// The type name in configuration, e.g. `entra_mi_federated_credential`.
    pub type_name: &'static str,
    /// The schema; for a resource its version is the state's version.
    pub schema: Schema,
    /// The static checks of one block.
    pub validate: fn(&Value, &Ctx) -> Diagnostics,
}

impl Declaration {
    /// A type with static checks beyond what the schema says.
    pub fn new(
        type_name: &'static str,
        schema: Schema,
        validate: fn(&Value, &Ctx) -> Diagnostics,
    ) -> Declaration {
        Declaration {
            type_name,
            schema,
            validate,
        }
    }

    /// A type whose schema says all there is to check.
    pub fn unchecked(type_name: &'static str, schema: Schema) -> Declaration {
        Declaration::new(type_name, schema, |_, _| Diagnostics::new())
    }
}

/// A managed resource type: objects Terraform creates, reads, updates and deletes.
/// Values are whole objects of its schema's type.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The type's name, schema and static checks; asked once, when the server starts.
    fn declaration(&self) -> Declaration;

    /// Refines a create or update plan (PlanResourceChange): fill computed values known
    /// in advance, change `requires_replace`, add diagnostics (e.g. live checks against
    /// the API). Not called for destroy (see [`Resource::plan_destroy`]). Errors stop the
    /// plan.
    async fn modify_plan(&self, _plan: &mut PlanRequest<'_>, _ctx: &Ctx) -> Diagnostics {
        Diagnostics::new()
    }

    /// Sees a planned destroy (PlanResourceChange with a null proposal: the block was
    /// removed, or `terraform destroy`). Nothing can be changed; errors stop the plan.
    async fn plan_destroy(&self, _prior: &Value, _ctx: &Ctx) -> Diagnostics {
        Diagnostics::new()
    }

    /// Creates the object (ApplyResourceChange with no prior state) and returns its new
    /// state, wholly known. A state returned with errors is still saved: the object
    /// exists. `None` with errors: nothing was created.
    async fn create(
        &self,
        planned: &Value,
        config: &Value,
        ctx: &Ctx,
    ) -> (Option<Value>, Diagnostics);

    /// Refreshes the state from the real object (ReadResource, on plan, refresh and after
    /// import). `None`: the object is gone and leaves the state. With errors, the prior
    /// state is kept whatever is returned.
    async fn read(&self, state: &Value, ctx: &Ctx) -> (Option<Value>, Diagnostics);

    /// Updates the object in place (ApplyResourceChange with a prior and a planned
    /// state) and returns its new state, wholly known. `None` with errors keeps the
    /// prior state.
    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        config: &Value,
        ctx: &Ctx,
    ) -> (Option<Value>, Diagnostics);

    /// Deletes the object (ApplyResourceChange with a null plan). With errors the object
    /// stays in state; an object already gone is success.
    async fn delete(&self, prior: &Value, ctx: &Ctx) -> Diagnostics;

    /// The state objects an import ID stands for (ImportResourceState), each wholly
    /// known; Terraform reads them afterwards. Errors: nothing is imported.
    async fn import(&self, id: &str, ctx: &Ctx) -> (Vec<Value>, Diagnostics);

    /// State stored by an older schema version (UpgradeResourceState, before any read),
    /// as decoded (leniently) from its JSON: return it in the current schema's shape, or
    /// diagnostics that say why it cannot be.
    fn upgrade_state(&self, _from_version: i64, state: Value) -> Result<Value, Diagnostics> {
        Ok(state)
    }

    /// This resource's state for another type's object named in a `moved` block
    /// (MoveResourceState, on plan with Terraform >= 1.8, before any read). Build it from
    /// [`MoveSource::decode_state`] without calling the API: Terraform reads the object
    /// right afterwards. Return it wholly known; it starts with no private bytes. A source
    /// the resource does not know is an error that names what it accepts (provider, type,
    /// schema versions). By default every source is refused.
    fn move_state(&self, source: &MoveSource<'_>) -> Result<Value, Diagnostics> {
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
}

/// A data source type: read on every plan, stored in state but never managed.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The type's name, schema and static checks; asked once, when the server starts.
    fn declaration(&self) -> Declaration;

    /// The result for a wholly known configuration (ReadDataSource): the configuration
    /// with computed attributes filled, wholly known. Errors fail the plan or apply.
    async fn read(&self, config: &Value, ctx: &Ctx) -> (Option<Value>, Diagnostics);
}

/// An ephemeral resource's result: values never stored in state or plan.
pub struct Opened {
    /// The configuration with computed attributes filled, wholly known.
    pub result: Value,
    /// When Terraform should call [`EphemeralResource::renew`]; `None`: never.
    pub renew_at: Option<OffsetDateTime>,
    /// Opaque bytes Terraform hands back to `renew` and `close` (never to the user).
    pub private: Vec<u8>,
}

/// An ephemeral resource type (Terraform >= 1.10): opened when a run needs it, closed
/// at the end of the run, its values never stored in state or plan.
#[async_trait]
pub trait EphemeralResource: Send + Sync + 'static {
    /// The type's name, schema and static checks; asked once, when the server starts.
    fn declaration(&self) -> Declaration;

    /// Acquires the result (OpenEphemeralResource). `None` or errors fail the run.
    async fn open(&self, config: &Value, ctx: &Ctx) -> (Option<Opened>, Diagnostics);

    /// Extends what `open` acquired (RenewEphemeralResource, at `renew_at`): the next
    /// renewal time, or `None` for no more renewals.
    async fn renew(&self, _private: &[u8], _ctx: &Ctx) -> (Option<OffsetDateTime>, Diagnostics) {
        (None, Diagnostics::new())
    }

    /// Releases what `open` acquired (CloseEphemeralResource, at the end of the run).
    async fn close(&self, _private: &[u8], _ctx: &Ctx) -> Diagnostics {
        Diagnostics::new()
    }
}

/// A provider-defined function (Terraform >= 1.8). The provider has none today; the
/// trait keeps the dispatch complete.
#[async_trait]
pub trait Function: Send + Sync + 'static {
    /// The name in configuration: `provider::entra::NAME(...)`.
    fn name(&self) -> &'static str;
    /// One line, shown in `terraform providers schema`.
    fn summary(&self) -> &'static str;
    /// The parameters' names and types, in call order (GetFunctions).
    fn parameters(&self) -> Vec<(&'static str, crate::codec::Type)>;
    /// The result's type.
    fn return_type(&self) -> crate::codec::Type;
    /// Calls the function with arguments of the parameters' types (CallFunction); an
    /// `Err` is the error text Terraform shows.
    async fn call(&self, args: Vec<Value>) -> Result<Value, String>;
}
