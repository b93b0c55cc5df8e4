//! Client secret sign-in.

use async_trait::async_trait;

use super::inputs::{Applies, Inputs};
use super::Cached;
use super::{ClientApp, TokenSource};
use crate::entra::retry::Deadline;
use crate::entra::token_endpoint::ClientAuth;
use crate::entra::{AccessToken, Secret};

/// An app registration signing in with one of its client secrets.
pub struct ClientSecret {
    /// The app.
    pub app: ClientApp,
    /// The secret.
    pub secret: Secret,
    /// Which attribute, variable or file the secret came from, for the "check …" hint.
    pub hint: String,
}

#[async_trait]
impl TokenSource for ClientSecret {
    async fn fetch(&self, scope: &str, d: &Deadline) -> Result<AccessToken, String> {
        let auth = ClientAuth::Secret(&self.secret);
        self.app.sign_in(scope, auth, &self.hint, d).await
    }
}

/// Applies when `client_secret` or `client_secret_file_path` is set; then `client_id`
/// and `tenant_id` are required.
pub(super) fn from_settings(i: &Inputs<'_>) -> Result<Applies, String> {
    let s = i.settings();
    let (secret, hint) = match &s.client_secret {
        Some(secret) => (Some(secret.clone()), i.describe("client_secret")),
        None => {
            let path = s.client_secret_file_path.as_deref();
            let read = i.read_file("client_secret_file_path", path)?;
            (read.map(Secret::new), i.describe("client_secret_file_path"))
        }
    };
    let Some(secret) = secret else {
        return Ok(Applies::No(format!(
            "neither {} nor {} is set",
            i.describe("client_secret"),
            i.describe("client_secret_file_path")
        )));
    };
    let app = i.app("client secret")?;
    let method = ClientSecret { app, secret, hint };
    Ok(Applies::Yes(std::sync::Arc::new(Cached::new(
        "client secret",
        method,
    ))))
}
