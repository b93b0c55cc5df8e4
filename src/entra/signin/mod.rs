//! Signing in to Microsoft Graph: one type per sign-in method, each in a file named after
//! it with its constructor (`from_settings`: whether the settings configure it, and why
//! not), and [`choose`] on top (`chain.rs`), which asks them in order and picks the first
//! that applies.
//!
//! | method | type | file |
//! |---|---|---|
//! | `access_token` | [`StaticToken`] | `static_token.rs` |
//! | client secret | [`ClientSecret`] | `client_secret.rs` |
//! | client certificate | [`ClientCertificate`] | `client_certificate.rs` |
//! | OIDC, AKS workload identity | [`Oidc`] | `oidc.rs` |
//! | `use_msi_fic` | [`ManagedIdentityFic`] | `managed_identity_fic.rs` |
//! | `use_msi` | [`ManagedIdentity`] | `managed_identity.rs` |
//! | Azure CLI | [`AzureCli`] | `azure_cli.rs` |
//!
//! Each type but [`StaticToken`] is a [`TokenSource`]; [`choose`] puts the one it picks in
//! [`Cached`], with the method's name for messages and errors.
//!
//! The methods that end at Entra's token endpoint share [`ClientApp`]. Every token
//! request takes the operation's [`Deadline`], so Terraform's Stop ends a hanging
//! sign-in.

mod azure_cli;
mod chain;
mod client_app;
mod client_certificate;
mod client_secret;
mod inputs;
mod managed_identity;
mod managed_identity_fic;
mod oidc;
mod static_token;

use async_trait::async_trait;

pub use azure_cli::AzureCli;
pub use chain::{choose, METHODS_IN_ORDER};
pub use client_app::ClientApp;
pub use client_certificate::ClientCertificate;
pub use client_secret::ClientSecret;
pub use inputs::SignInConfig;
pub use managed_identity::ManagedIdentity;
pub use managed_identity_fic::ManagedIdentityFic;
pub use oidc::{Oidc, OidcSource};
pub use static_token::StaticToken;

use super::retry::Deadline;
use super::AccessToken;

/// Why a sign-in failed, naming the method. Never contains a secret.
#[derive(Debug, Clone)]
pub struct SignInError {
    /// The method's name ([`SignInMethod::name`]).
    pub method: &'static str,
    /// What went wrong and what to check.
    pub message: String,
}

impl SignInError {
    /// A failure of `method`.
    pub fn new(method: &'static str, message: impl Into<String>) -> SignInError {
        SignInError {
            method,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for SignInError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.method, self.message)
    }
}

/// A way to obtain access tokens.
#[async_trait]
pub trait SignInMethod: Send + Sync {
    /// The method in words, e.g. `client secret`.
    fn name(&self) -> &'static str;

    /// A token for one scope, e.g. `https://graph.microsoft.com/.default`, obtained before
    /// `deadline` unless Terraform stops first.
    async fn get_token(&self, scope: &str, deadline: &Deadline)
        -> Result<AccessToken, SignInError>;
}

/// How one sign-in method obtains a token. [`Cached`] makes it a [`SignInMethod`]: it
/// names the method, in its failures too, and caches its tokens.
#[async_trait]
pub trait TokenSource: Send + Sync {
    /// A token for one scope, obtained before `deadline` unless Terraform stops first; on
    /// failure, what went wrong and what to check.
    async fn fetch(&self, scope: &str, deadline: &Deadline) -> Result<AccessToken, String>;
}

/// A named [`TokenSource`] whose tokens are cached per scope; concurrent callers share one
/// refresh.
pub struct Cached<M> {
    name: &'static str,
    inner: M,
    cache: super::token::TokenCache<String>,
}

impl<M: TokenSource> Cached<M> {
    /// `inner`, the method called `name`, behind a cache.
    pub fn new(name: &'static str, inner: M) -> Self {
        Cached {
            name,
            inner,
            cache: super::token::TokenCache::default(),
        }
    }
}

#[async_trait]
impl<M: TokenSource> SignInMethod for Cached<M> {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn get_token(
        &self,
        scope: &str,
        deadline: &Deadline,
    ) -> Result<AccessToken, SignInError> {
        let fetch = || async {
            let token = self.inner.fetch(scope, deadline).await;
            token.map_err(|message| SignInError::new(self.name, message))
        };
        self.cache.get_or_fetch(&scope.to_string(), fetch).await
    }
}
