//! What every call of the provider's code gets: the configured provider and Terraform's
//! Stop.

use std::any::Any;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

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
