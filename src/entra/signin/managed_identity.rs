//! `use_msi`: the managed identity signs in to Graph itself.

use std::sync::Arc;

use async_trait::async_trait;

use super::TokenSource;
use crate::entra::managed_identity::{Identity, ManagedIdentityClient};
use crate::entra::retry::Deadline;
use crate::entra::AccessToken;

/// The host's managed identity, its token for Graph used directly.
pub struct ManagedIdentity {
    /// The host's managed identity endpoint.
    pub client: Arc<ManagedIdentityClient>,
    /// Which identity.
    pub identity: Identity,
}

#[async_trait]
impl TokenSource for ManagedIdentity {
    async fn fetch(&self, scope: &str, d: &Deadline) -> Result<AccessToken, String> {
        // Managed identity endpoints take a resource, not a scope.
        let resource = scope.strip_suffix("/.default").unwrap_or(scope);
        self.client
            .get_token(&self.identity, resource, d)
            .await
            .map_err(|e| e.to_string())
    }
}
