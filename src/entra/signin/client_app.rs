//! The building block of every method that ends at Entra's token endpoint (client secret,
//! certificate, OIDC, managed identity as federated credential): an app registration
//! signing in with the client credentials flow. The methods differ only in how the app
//! proves who it is.

use std::future::Future;

use crate::entra::retry::Deadline;
use crate::entra::token_endpoint::{
    request_token, token_url, ClientAuth, TokenError, TokenRequest,
};
use crate::entra::{AccessToken, Secret};

/// An app registration that signs in: where, to which tenant, as which client.
#[derive(Clone, Debug)]
pub struct ClientApp {
    /// The client for sign-in requests.
    pub http: reqwest::Client,
    /// The sign-in host, e.g. `https://login.microsoftonline.com`.
    pub authority_host: String,
    /// The tenant to sign in to.
    pub tenant: String,
    /// The application (client) id.
    pub client_id: String,
}

impl ClientApp {
    /// `{authority}/{tenant}/oauth2/v2.0/token`, the audience of client assertions.
    pub fn token_url(&self) -> String {
        token_url(&self.authority_host, &self.tenant)
    }

    fn request<'a>(&'a self, scope: &'a str, auth: ClientAuth<'a>) -> TokenRequest<'a> {
        TokenRequest {
            authority_host: &self.authority_host,
            tenant: &self.tenant,
            client_id: &self.client_id,
            scope,
            auth,
        }
    }

    /// A token for `scope`, the app proving itself with `auth`. On failure, the message
    /// says what Entra answered and, for a refused proof, to check `proof_hint` (the
    /// setting the proof came from).
    pub async fn sign_in(
        &self,
        scope: &str,
        auth: ClientAuth<'_>,
        proof_hint: &str,
        deadline: &Deadline,
    ) -> Result<AccessToken, String> {
        let req = self.request(scope, auth);
        request_token(&self.http, &req, deadline)
            .await
            .map_err(|e| {
                let extra = match &e {
                    TokenError::Entra(a) if a.is(7000215) || a.is(7000222) => {
                        format!("\n\nCheck {proof_hint}.")
                    }
                    TokenError::Entra(a) if a.is(700016) || a.is(90002) => {
                        "\n\nCheck `client_id` (ARM_CLIENT_ID) and `tenant_id` (ARM_TENANT_ID)."
                            .to_string()
                    }
                    _ => String::new(),
                };
                format!("{e}{extra}")
            })
    }

    /// [`sign_in`](Self::sign_in) with the client assertion `assertion` obtains first (a
    /// signed JWT, an external OIDC token, a managed identity token).
    pub async fn sign_in_with_assertion(
        &self,
        scope: &str,
        assertion: impl Future<Output = Result<Secret, String>>,
        proof_hint: &str,
        deadline: &Deadline,
    ) -> Result<AccessToken, String> {
        let assertion = assertion.await?;
        let auth = ClientAuth::Assertion(&assertion);
        self.sign_in(scope, auth, proof_hint, deadline).await
    }
}
