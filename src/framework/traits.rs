//! What a provider implements: one trait per kind of object Terraform manages, in the
//! spirit of terraform-plugin-framework. Values are whole cty objects of the schema's
//! type; the framework decodes and encodes them and applies Terraform's planning rules.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::diag::Diagnostics;
use super::list::ListResource;
use super::resource::Resource;
use super::schema::Schema;
use crate::codec::Value;

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

    /// The list resource types (Terraform >= 1.14, `terraform query`); none by default.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        Vec::new()
    }

    /// The provider-defined functions (Terraform >= 1.8); none by default.
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
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
