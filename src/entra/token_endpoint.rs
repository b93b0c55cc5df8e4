//! The client credentials request to `{authority}/{tenant}/oauth2/v2.0/token`, shared by
//! every sign-in method that ends there (secret, certificate, OIDC, managed identity
//! assertion) and by the token exchange.

use serde::Deserialize;
use time::OffsetDateTime;

use super::aadsts::AadstsError;
use super::http::TransportError;
use super::retry::{self, Attempt, Deadline, Interrupted, Policy};
use super::{AccessToken, Secret};

/// The `client_assertion_type` of a JWT client assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the client proves who it is.
pub enum ClientAuth<'a> {
    /// A client secret.
    Secret(&'a Secret),
    /// A JWT: a signed certificate assertion, an OIDC token, or a managed identity token.
    Assertion(&'a Secret),
}

/// Why a token request failed.
#[derive(Debug, Clone)]
pub enum TokenError {
    /// Entra answered with an error.
    Entra(AadstsError),
    /// No answer: why, and from which host.
    Transport(TransportError),
    /// An answer that is not Entra's (not JSON, no AADSTS error body).
    Unreadable(String),
    /// Terraform stopped the operation, or its deadline passed.
    Interrupted(Interrupted),
}

impl From<Interrupted> for TokenError {
    fn from(i: Interrupted) -> Self {
        TokenError::Interrupted(i)
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::Entra(e) => e.fmt(f),
            TokenError::Transport(t) => t.fmt(f),
            TokenError::Unreadable(t) => f.write_str(t),
            TokenError::Interrupted(i) => i.fmt(f),
        }
    }
}

#[derive(Deserialize)]
struct Success {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// One client credentials request.
pub struct TokenRequest<'a> {
    /// The sign-in host, e.g. `https://login.microsoftonline.com`.
    pub authority_host: &'a str,
    /// The tenant to sign in to (GUID or domain name).
    pub tenant: &'a str,
    /// The application (client) id signing in.
    pub client_id: &'a str,
    /// Space-separated scopes.
    pub scope: &'a str,
    /// How the client proves who it is.
    pub auth: ClientAuth<'a>,
}

impl TokenRequest<'_> {
    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn url(&self) -> String {
        token_url(self.authority_host, self.tenant)
    }
}

/// `{authority}/{tenant}/oauth2/v2.0/token`.
pub fn token_url(authority_host: &str, tenant: &str) -> String {
    format!(
        "{}/{tenant}/oauth2/v2.0/token",
        authority_host.trim_end_matches('/')
    )
}

/// Sends the request under [`Policy::TOKEN_ENDPOINT`] (throttling, 5xx and connection
/// failures, a few times), within `deadline`.
pub async fn request_token(
    http: &reqwest::Client,
    req: &TokenRequest<'_>,
    deadline: &Deadline,
) -> Result<AccessToken, TokenError> {
    let url = req.url();
    let mut form: Vec<(&str, &str)> = vec![
        ("grant_type", "client_credentials"),
        ("client_id", req.client_id),
        ("scope", req.scope),
    ];
    match &req.auth {
        ClientAuth::Secret(s) => form.push(("client_secret", s.expose())),
        ClientAuth::Assertion(a) => {
            form.push(("client_assertion_type", JWT_BEARER));
            form.push(("client_assertion", a.expose()));
        }
    }
    retry::run(&Policy::TOKEN_ENDPOINT, deadline, |_| {
        let form = &form;
        let url = &url;
        async move {
            let resp = match http.post(url).form(form).send().await {
                Ok(r) => r,
                Err(e) => return TransportError::from_reqwest(&e).attempt(TokenError::Transport),
            };
            let status = resp.status();
            let after = retry::retry_after(resp.headers());
            let body = match resp.bytes().await {
                Ok(b) => b,
                Err(e) => return TransportError::from_reqwest(&e).attempt(TokenError::Transport),
            };
            if status.is_success() {
                return match serde_json::from_slice::<Success>(&body) {
                    Ok(s) => Attempt::Done(AccessToken::new(
                        Secret::new(s.access_token),
                        expiry(s.expires_in.as_ref()),
                    )),
                    Err(_) => Attempt::Fail(TokenError::Unreadable(format!(
                        "{url}: the token response is not valid JSON"
                    ))),
                };
            }
            let error = match AadstsError::parse(&body) {
                Some(e) => TokenError::Entra(e),
                None => TokenError::Unreadable(format!(
                    "{url}: HTTP {status} without an Entra error body"
                )),
            };
            Attempt::Answered {
                status: status.as_u16(),
                error,
                retry_after: after,
            }
        }
    })
    .await
}

/// `expires_in` may be a number or a string.
fn expiry(expires_in: Option<&serde_json::Value>) -> OffsetDateTime {
    let secs = match expires_in {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .unwrap_or(3600);
    OffsetDateTime::now_utc() + time::Duration::seconds(secs)
}
