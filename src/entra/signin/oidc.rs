//! Workload identity federation: an external OIDC token (GitHub Actions, Azure DevOps,
//! Kubernetes, a file or the token itself) is the client assertion.

use async_trait::async_trait;

use super::{ClientApp, TokenSource};
use crate::entra::http::TransportError;
use crate::entra::retry::Deadline;
use crate::entra::{AccessToken, Secret};

/// Where an OIDC token comes from.
pub enum OidcSource {
    /// The token itself.
    Token(Secret),
    /// A file, re-read on every sign-in (Kubernetes rotates projected tokens).
    File(std::path::PathBuf),
    /// GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL`) or Azure DevOps
    /// (`SYSTEM_OIDCREQUESTURI`) token request endpoint.
    Request {
        /// The request URL.
        url: String,
        /// Its bearer token.
        token: Secret,
        /// The audience to ask GitHub for.
        audience: String,
    },
}

/// An app registration signing in with an external OIDC token it trusts.
pub struct Oidc {
    /// The app.
    pub app: ClientApp,
    /// Where the token comes from.
    pub source: OidcSource,
}

impl Oidc {
    async fn assertion(&self, d: &Deadline) -> Result<Secret, String> {
        match &self.source {
            OidcSource::Token(t) => Ok(t.clone()),
            OidcSource::File(path) => std::fs::read_to_string(path)
                .map(|s| Secret::new(s.trim().to_string()))
                .map_err(|e| format!("cannot read the OIDC token file {}: {e}", path.display())),
            OidcSource::Request {
                url,
                token,
                audience,
            } => {
                let mut u = url::Url::parse(url)
                    .map_err(|e| format!("oidc_request_url is not a URL: {e}"))?;
                let devops = u.query_pairs().any(|(k, _)| k == "serviceConnectionId")
                    || url.contains("oidctoken");
                if !devops {
                    u.query_pairs_mut().append_pair("audience", audience);
                }
                let http = &self.app.http;
                let req = if devops {
                    http.post(u)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body("{}")
                } else {
                    http.get(u)
                };
                let send = req
                    .bearer_auth(token.expose())
                    .header(reqwest::header::ACCEPT, "application/json")
                    .send();
                let resp = d
                    .within(send)
                    .await
                    .map_err(|i| format!("OIDC token request: {i}"))?
                    .map_err(|e| {
                        format!(
                            "OIDC token request failed: {}",
                            TransportError::from_reqwest(&e)
                        )
                    })?;
                let status = resp.status();
                let body: serde_json::Value = resp
                    .json()
                    .await
                    .map_err(|_| format!("OIDC token request: HTTP {status} without JSON"))?;
                if !status.is_success() {
                    return Err(format!("OIDC token request: HTTP {status} — check oidc_request_token / ACTIONS_ID_TOKEN_REQUEST_TOKEN"));
                }
                body.get("value")
                    .or_else(|| body.get("oidcToken"))
                    .and_then(|v| v.as_str())
                    .map(|s| Secret::new(s.to_string()))
                    .ok_or_else(|| "the OIDC token response has no `value`".to_string())
            }
        }
    }
}

#[async_trait]
impl TokenSource for Oidc {
    async fn fetch(&self, scope: &str, d: &Deadline) -> Result<AccessToken, String> {
        let hint = "the OIDC token and the app's federated credential";
        self.app
            .sign_in_with_assertion(scope, self.assertion(d), hint, d)
            .await
    }
}
