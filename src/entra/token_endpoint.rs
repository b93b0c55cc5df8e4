//! The client credentials request to `{authority}/{tenant}/oauth2/v2.0/token`, shared by
//! every sign-in method that ends there (secret, certificate, OIDC, managed identity
//! assertion) and by the token exchange.

use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;

use super::aadsts::AadstsError;
use super::http::describe;
use super::retry::{self, Attempt, Backoff, Deadline, Interrupted};
use super::{AccessToken, Secret};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the client proves who it is.
pub enum ClientAuth<'a> {
    Secret(&'a Secret),
    /// A JWT: a signed certificate assertion, an OIDC token, or a managed identity token.
    Assertion(&'a Secret),
}

#[derive(Debug, Clone)]
pub enum TokenError {
    /// Entra answered with an error.
    Entra(AadstsError),
    /// No answer, or not Entra's.
    Transport(String),
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
            TokenError::Entra(e) => write!(f, "{e}"),
            TokenError::Transport(t) => f.write_str(t),
            TokenError::Interrupted(Interrupted::Cancelled) => f.write_str("cancelled"),
            TokenError::Interrupted(Interrupted::TimedOut) => f.write_str("timed out"),
        }
    }
}

#[derive(Deserialize)]
struct Success {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

pub struct TokenRequest<'a> {
    pub authority_host: &'a str,
    pub tenant: &'a str,
    pub client_id: &'a str,
    /// Space-separated scopes.
    pub scope: &'a str,
    pub auth: ClientAuth<'a>,
}

impl TokenRequest<'_> {
    pub fn url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.authority_host.trim_end_matches('/'),
            self.tenant
        )
    }
}

/// Sends the request, retrying throttling, 5xx and connection failures briefly.
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
    let backoff = Backoff {
        base: Duration::from_millis(200),
        max: Duration::from_secs(5),
    };
    retry::run(backoff, deadline, |attempt| {
        let form = &form;
        let url = &url;
        async move {
            if attempt >= 4 {
                // Bounded: a sign-in that keeps failing is reported, not retried forever.
                return Attempt::Fail(TokenError::Transport(format!(
                    "{url}: still failing after {attempt} attempts"
                )));
            }
            let resp = match http.post(url).form(form).send().await {
                Ok(r) => r,
                Err(e) => {
                    return Attempt::Retry {
                        error: TokenError::Transport(describe(&e)),
                        after: None,
                    }
                }
            };
            let status = resp.status();
            let after = retry::retry_after(resp.headers());
            let body = match resp.bytes().await {
                Ok(b) => b,
                Err(e) => {
                    return Attempt::Retry {
                        error: TokenError::Transport(describe(&e)),
                        after: None,
                    }
                }
            };
            if status.is_success() {
                return match serde_json::from_slice::<Success>(&body) {
                    Ok(s) => Attempt::Done(AccessToken::new(
                        Secret::new(s.access_token),
                        expiry(s.expires_in.as_ref()),
                    )),
                    Err(_) => Attempt::Fail(TokenError::Transport(format!(
                        "{url}: the token response is not valid JSON"
                    ))),
                };
            }
            let error = match AadstsError::parse(&body) {
                Some(e) => TokenError::Entra(e),
                None => TokenError::Transport(format!(
                    "{url}: HTTP {status} without an Entra error body"
                )),
            };
            if status.as_u16() == 429 || status.is_server_error() {
                Attempt::Retry { error, after }
            } else {
                Attempt::Fail(error)
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
