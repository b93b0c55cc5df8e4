//! Client secret sign-in.

use async_trait::async_trait;

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
