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
use crate::codec::Value;

/// What `ProviderDef::configure` hands to resources: typically an API client.
pub type ProviderData = Arc<dyn Any + Send + Sync>;

/// Per-call context: the configured provider (absent when the provider configuration is
/// not known yet, e.g. during a plan with unknown provider arguments) and cancellation by
/// Terraform's Stop.
#[derive(Clone)]
pub struct Ctx {
    pub provider: Option<ProviderData>,
    pub cancel: CancellationToken,
}

impl Ctx {
    /// The provider's data as its concrete type.
    pub fn provider<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.provider.clone().and_then(|p| p.downcast::<T>().ok())
    }
}

#[async_trait]
pub trait ProviderDef: Send + Sync + 'static {
    fn schema(&self) -> Schema;

    /// Static checks of the provider block (`PrepareProviderConfig`).
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Builds what resources need. Called with unknown values when the configuration
    /// depends on other resources; then return data that defers its errors to first use.
    async fn configure(&self, config: &Value, ctx: &Ctx) -> Result<ProviderData, Diagnostics>;

    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource>> {
        Vec::new()
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }
}

/// A plan being made: the resource may fill computed values it can know in advance,
/// mark replacements, and add diagnostics (e.g. live checks).
pub struct PlanRequest<'a> {
    /// `None` on create.
    pub prior: Option<&'a Value>,
    pub config: &'a Value,
    /// Terraform's proposal with the framework's rules applied; edit in place.
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
}

#[async_trait]
pub trait Resource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value, _ctx: &Ctx) -> Diagnostics {
        Diagnostics::new()
    }

    async fn modify_plan(&self, _plan: &mut PlanRequest<'_>, _ctx: &Ctx) -> Diagnostics {
        Diagnostics::new()
    }

    /// Returns the new state. A state with errors is still saved (the object exists).
    async fn create(
        &self,
        planned: &Value,
        config: &Value,
        ctx: &Ctx,
    ) -> (Option<Value>, Diagnostics);

    /// `None`: the object is gone and leaves the state.
    async fn read(&self, state: &Value, ctx: &Ctx) -> (Option<Value>, Diagnostics);

    async fn update(
        &self,
        prior: &Value,
        planned: &Value,
        config: &Value,
        ctx: &Ctx,
    ) -> (Option<Value>, Diagnostics);

    async fn delete(&self, prior: &Value, ctx: &Ctx) -> Diagnostics;

    /// The state objects an import ID stands for; Terraform reads them afterwards.
    async fn import(&self, id: &str, ctx: &Ctx) -> (Vec<Value>, Diagnostics);

    /// State stored by an older schema version, as decoded (leniently) from its JSON.
    fn upgrade_state(&self, _from_version: i64, state: Value) -> Result<Value, Diagnostics> {
        Ok(state)
    }
}

#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value, _ctx: &Ctx) -> Diagnostics {
        Diagnostics::new()
    }

    async fn read(&self, config: &Value, ctx: &Ctx) -> (Option<Value>, Diagnostics);
}

/// An ephemeral resource's result: values never stored in state or plan.
pub struct Opened {
    pub result: Value,
    pub renew_at: Option<OffsetDateTime>,
    pub private: Vec<u8>,
}

#[async_trait]
pub trait EphemeralResource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value, _ctx: &Ctx) -> Diagnostics {
        Diagnostics::new()
    }

    async fn open(&self, config: &Value, ctx: &Ctx) -> (Option<Opened>, Diagnostics);

    async fn renew(&self, _private: &[u8], _ctx: &Ctx) -> (Option<OffsetDateTime>, Diagnostics) {
        (None, Diagnostics::new())
    }

    async fn close(&self, _private: &[u8], _ctx: &Ctx) -> Diagnostics {
        Diagnostics::new()
    }
}

/// A provider-defined function (Terraform >= 1.8). The provider has none today; the
/// trait keeps the dispatch complete.
#[async_trait]
pub trait Function: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn summary(&self) -> &'static str;
    fn parameters(&self) -> Vec<(&'static str, crate::codec::Type)>;
    fn return_type(&self) -> crate::codec::Type;
    async fn call(&self, args: Vec<Value>) -> Result<Value, String>;
}
