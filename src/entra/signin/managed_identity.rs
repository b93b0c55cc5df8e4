//! `use_msi`: the managed identity signs in to Graph itself.

use std::sync::Arc;

use async_trait::async_trait;

use super::inputs::{Applies, Inputs};
use super::Cached;
use super::TokenSource;
use crate::entra::managed_identity::{ManagedIdentityClient, ManagedIdentityId};
use crate::entra::retry::Deadline;
use crate::entra::AccessToken;

/// The host's managed identity, its token for Graph used directly.
pub struct ManagedIdentity {
    /// The host's managed identity endpoint.
    pub client: Arc<ManagedIdentityClient>,
    /// Which identity.
    pub identity: ManagedIdentityId,
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

/// Applies when `use_msi` is true: the identity `msi_client_id` names, else (azuread's
/// convention) `client_id`, else the host's only identity.
pub(super) fn from_settings(i: &Inputs<'_>) -> Result<Applies, String> {
    let s = i.settings();
    if !s.use_msi {
        return Ok(Applies::No(format!(
            "{} is not true",
            i.describe("use_msi")
        )));
    }
    let identity = match &s.msi_client_id {
        Some(id) => ManagedIdentityId::ClientId(id.clone()),
        None => i
            .client_id()?
            .map_or(ManagedIdentityId::Default, ManagedIdentityId::ClientId),
    };
    let client = i.config.managed_identity.clone();
    Ok(Applies::Yes(Arc::new(Cached::new(
        "managed identity (use_msi)",
        ManagedIdentity { client, identity },
    ))))
}
