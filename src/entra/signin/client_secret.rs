//! Client secret sign-in.

use async_trait::async_trait;

use super::{ClientApp, SignInError, SignInMethod};
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
impl SignInMethod for ClientSecret {
    fn name(&self) -> &'static str {
        "client secret"
    }

    async fn get_token(&self, scope: &str, d: &Deadline) -> Result<AccessToken, SignInError> {
        let auth = ClientAuth::Secret(&self.secret);
        self.app
            .sign_in(scope, auth, &self.hint, d)
            .await
            .map_err(|message| SignInError::new(self.name(), message))
    }
}
