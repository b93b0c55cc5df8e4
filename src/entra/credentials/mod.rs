//! Signing in to Microsoft Graph: one type per method (azidentity style) and a chain
//! that picks the first configured method in SPEC §2's order.

mod chain;
mod methods;

use async_trait::async_trait;

pub use chain::{build, AuthConfig};
pub use methods::{
    AzureCli, ClientCertificate, ClientSecret, ManagedIdentityCredential, MsiFic, Oidc, OidcSource,
    StaticToken,
};

use super::AccessToken;

/// Why a sign-in failed, naming the method. Never contains a secret.
#[derive(Debug, Clone)]
pub struct CredentialError {
    pub method: &'static str,
    pub message: String,
}

impl std::fmt::Display for CredentialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.method, self.message)
    }
}

#[async_trait]
pub trait TokenCredential: Send + Sync {
    fn method(&self) -> &'static str;

    /// A token for one scope, e.g. `https://graph.microsoft.com/.default`.
    async fn get_token(&self, scope: &str) -> Result<AccessToken, CredentialError>;
}

/// Caches a credential's tokens per scope; concurrent callers share one refresh.
pub struct Cached<C> {
    inner: C,
    cache: super::token::TokenCache<String>,
}

impl<C: TokenCredential> Cached<C> {
    pub fn new(inner: C) -> Self {
        Cached {
            inner,
            cache: super::token::TokenCache::default(),
        }
    }
}

#[async_trait]
impl<C: TokenCredential> TokenCredential for Cached<C> {
    fn method(&self) -> &'static str {
        self.inner.method()
    }

    async fn get_token(&self, scope: &str) -> Result<AccessToken, CredentialError> {
        self.cache
            .get_or_fetch(&scope.to_string(), || self.inner.get_token(scope))
            .await
    }
}
