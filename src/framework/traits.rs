//! What a provider implements: one trait per kind of object Terraform manages, in the
//! spirit of terraform-plugin-framework. Values are whole cty objects of the schema's
//! type; the framework decodes and encodes them and applies Terraform's planning rules.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::context::{Ctx, ProviderData};
use super::declaration::Declaration;
use super::diag::Diagnostics;
use super::list::ListResource;
use super::resource::Resource;
use super::schema::Schema;
use crate::codec::Value;

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

/// A data source type: read on every plan, stored in state but never managed.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    /// The type's name, schema and static checks; asked once, when the server starts.
    fn declaration(&self) -> Declaration;

    /// The result for a wholly known configuration (ReadDataSource). Errors fail the plan
    /// or apply.
    async fn read(&self, req: ReadDataRequest<'_>, ctx: &Ctx) -> ReadDataResponse;
}

/// A data source read (ReadDataSource).
pub struct ReadDataRequest<'a> {
    /// The data source block, wholly known.
    pub config: &'a Value,
}

/// What a data source read found.
#[derive(Default)]
pub struct ReadDataResponse {
    /// The configuration with computed attributes filled, wholly known.
    pub state: Option<Value>,
    /// Warnings and errors.
    pub diagnostics: Diagnostics,
}

impl ReadDataResponse {
    /// The result, or the errors that stopped it.
    pub fn from_result(result: Result<Value, Diagnostics>) -> ReadDataResponse {
        let (state, diagnostics) = Diagnostics::split(result);
        ReadDataResponse { state, diagnostics }
    }
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

/// An ephemeral resource opened (OpenEphemeralResource).
pub struct OpenRequest<'a> {
    /// The ephemeral block, wholly known.
    pub config: &'a Value,
}

/// What opening acquired.
#[derive(Default)]
pub struct OpenResponse {
    /// The result; `None` (with errors) fails the run.
    pub opened: Option<Opened>,
    /// Warnings and errors.
    pub diagnostics: Diagnostics,
}

impl OpenResponse {
    /// The result, or the errors that stopped it.
    pub fn from_result(result: Result<Opened, Diagnostics>) -> OpenResponse {
        let (opened, diagnostics) = Diagnostics::split(result);
        OpenResponse {
            opened,
            diagnostics,
        }
    }
}

/// A renewal (RenewEphemeralResource) and its answer.
pub struct RenewResponse {
    /// The next renewal time; `None`: no more renewals.
    pub renew_at: Option<OffsetDateTime>,
    /// Warnings and errors.
    pub diagnostics: Diagnostics,
}

/// An ephemeral resource type (Terraform >= 1.10): opened when a run needs it, closed
/// at the end of the run, its values never stored in state or plan.
#[async_trait]
pub trait EphemeralResource: Send + Sync + 'static {
    /// The type's name, schema and static checks; asked once, when the server starts.
    fn declaration(&self) -> Declaration;

    /// Acquires the result (OpenEphemeralResource). No result or errors fail the run.
    async fn open(&self, req: OpenRequest<'_>, ctx: &Ctx) -> OpenResponse;

    /// Extends what `open` acquired (RenewEphemeralResource, at `renew_at`), given the
    /// private bytes `open` returned.
    async fn renew(&self, _private: &[u8], _ctx: &Ctx) -> RenewResponse {
        RenewResponse {
            renew_at: None,
            diagnostics: Diagnostics::new(),
        }
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
