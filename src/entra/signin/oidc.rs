//! Workload identity federation: an external OIDC token (GitHub Actions, Azure DevOps,
//! Kubernetes, a file or the token itself) is the client assertion.

use async_trait::async_trait;

use super::inputs::{Applies, Inputs};
use super::Cached;
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

/// Applies when `use_oidc` is true (and AKS workload identity, which takes its place,
/// is not): the token from `oidc_token`, `oidc_token_file_path`, or the CI system's
/// request endpoint; one of them is required, and `client_id` and `tenant_id`.
pub(super) fn from_settings(i: &Inputs<'_>) -> Result<Applies, String> {
    let s = i.settings();
    if !s.use_oidc {
        return Ok(Applies::No(format!(
            "{} is not true",
            i.describe("use_oidc")
        )));
    }
    if s.use_aks_workload_identity {
        return Ok(Applies::No(format!(
            "{} is on and takes its place",
            i.describe("use_aks_workload_identity")
        )));
    }
    let source = if let Some(t) = &s.oidc_token {
        OidcSource::Token(t.clone())
    } else if let Some(f) = &s.oidc_token_file_path {
        OidcSource::File(f.into())
    } else if let (Some(url), Some(token)) = (&s.oidc_request_url, &s.oidc_request_token) {
        OidcSource::Request {
            url: url.clone(),
            token: token.clone(),
            audience: s.exchange_audience().to_string(),
        }
    } else {
        return Err(format!(
            "OIDC sign-in is on ({}) but no token is configured: set {}, {}, or {} with {}",
            i.describe("use_oidc"),
            i.describe("oidc_token"),
            i.describe("oidc_token_file_path"),
            i.describe("oidc_request_url"),
            i.describe("oidc_request_token")
        ));
    };
    let app = i.app("OIDC")?;
    Ok(Applies::Yes(std::sync::Arc::new(Cached::new(
        "OIDC",
        Oidc { app, source },
    ))))
}

/// Applies when `use_aks_workload_identity` is true: the token file, client id and
/// tenant the workload identity webhook sets (`AZURE_FEDERATED_TOKEN_FILE`,
/// `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`), `client_id` and `tenant_id` first.
pub(super) fn aks_from_settings(i: &Inputs<'_>) -> Result<Applies, String> {
    let s = i.settings();
    if !s.use_aks_workload_identity {
        return Ok(Applies::No(format!(
            "{} is not true",
            i.describe("use_aks_workload_identity")
        )));
    }
    let file = i.env("AZURE_FEDERATED_TOKEN_FILE").ok_or(
        "AKS workload identity needs AZURE_FEDERATED_TOKEN_FILE (set by the workload identity webhook)",
    )?;
    let client_id = i
        .client_id()?
        .or_else(|| i.env("AZURE_CLIENT_ID"))
        .ok_or("AKS workload identity needs AZURE_CLIENT_ID")?;
    let tenant = s
        .tenant_id
        .clone()
        .or_else(|| i.env("AZURE_TENANT_ID"))
        .ok_or("AKS workload identity needs AZURE_TENANT_ID")?;
    let app = i.app_for(client_id, tenant);
    let source = OidcSource::File(file.into());
    Ok(Applies::Yes(std::sync::Arc::new(Cached::new(
        "AKS workload identity",
        Oidc { app, source },
    ))))
}
