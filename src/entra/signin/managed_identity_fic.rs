//! `use_msi_fic`: managed identity as federated identity credential. A managed identity
//! token for the exchange audience is the client assertion of `client_id`, which trusts
//! the identity: no secret anywhere.

use std::sync::Arc;

use async_trait::async_trait;

use super::inputs::{Applies, Inputs};
use super::Cached;
use super::{ClientApp, TokenSource};
use crate::entra::managed_identity::{ManagedIdentityClient, ManagedIdentityId};
use crate::entra::retry::Deadline;
use crate::entra::AccessToken;

/// An app registration signing in with its managed identity's token as the assertion.
pub struct ManagedIdentityFic {
    /// The app that trusts the identity.
    pub app: ClientApp,
    /// The host's managed identity endpoint.
    pub client: Arc<ManagedIdentityClient>,
    /// Which identity.
    pub identity: ManagedIdentityId,
    /// The audience of the identity's token (the cloud's exchange audience).
    pub exchange_audience: String,
}

#[async_trait]
impl TokenSource for ManagedIdentityFic {
    async fn fetch(&self, scope: &str, d: &Deadline) -> Result<AccessToken, String> {
        let assertion = async {
            let token = self
                .client
                .get_token(&self.identity, &self.exchange_audience, d)
                .await;
            token.map(|t| t.token).map_err(|e| e.to_string())
        };
        let hint = "the app's federated identity credential for this managed identity";
        self.app
            .sign_in_with_assertion(scope, assertion, hint, d)
            .await
    }
}

/// Applies when `use_msi_fic` is true; `client_id` and `tenant_id` name the app that
/// trusts the identity (`msi_client_id`, or the host's only identity).
pub(super) fn from_settings(i: &Inputs<'_>) -> Result<Applies, String> {
    let s = i.settings();
    if !s.use_msi_fic {
        return Ok(Applies::No(format!(
            "{} is not true",
            i.describe("use_msi_fic")
        )));
    }
    let identity = match &s.msi_client_id {
        Some(id) => ManagedIdentityId::ClientId(id.clone()),
        None => ManagedIdentityId::Default,
    };
    let method = ManagedIdentityFic {
        app: i.app("use_msi_fic")?,
        client: i.config.managed_identity.clone(),
        identity,
        exchange_audience: s.exchange_audience().to_string(),
    };
    Ok(Applies::Yes(Arc::new(Cached::new(
        "managed identity as federated credential (use_msi_fic)",
        method,
    ))))
}
