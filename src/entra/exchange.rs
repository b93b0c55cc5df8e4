//! The exchange: managed identity token for the exchange audience -> client assertion ->
//! the app's access token. Identity tokens and app tokens are cached, so one identity
//! token serves every exchange of a run and 50 data sources cost one request each.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::diagnose::{self, FicView, TokenFacts};
use super::managed_identity::{Identity, ManagedIdentity};
use super::retry::{Backoff, Deadline};
use super::token::TokenCache;
use super::token_endpoint::{request_token, ClientAuth, TokenError, TokenRequest};
use super::{jwt, AccessToken};

/// Reads an app's federated credentials (Graph), for diagnosis and propagation.
#[async_trait]
pub trait FicLookup: Send + Sync {
    async fn credentials(&self, client_id: &str) -> Result<Vec<FicView>, String>;
}

#[derive(Debug, Clone)]
pub struct ExchangeRequest {
    pub authority_host: String,
    pub tenant: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub identity: Identity,
    pub exchange_audience: String,
    pub propagation_timeout: Duration,
    pub cancel: CancellationToken,
}

type Key = (String, String, String, String);

pub struct TokenExchange {
    http: reqwest::Client,
    mi: Arc<ManagedIdentity>,
    cache: TokenCache<Key>,
    backoff: Backoff,
}

impl TokenExchange {
    pub fn new(http: reqwest::Client, mi: Arc<ManagedIdentity>) -> TokenExchange {
        TokenExchange {
            http,
            mi,
            cache: TokenCache::default(),
            backoff: Backoff {
                base: Duration::from_secs(1),
                max: Duration::from_secs(15),
            },
        }
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The app's token, from cache while more than 5 minutes remain.
    pub async fn access_token(
        &self,
        req: &ExchangeRequest,
        lookup: Option<&dyn FicLookup>,
    ) -> Result<AccessToken, String> {
        let key = (
            req.authority_host.clone(),
            req.tenant.to_ascii_lowercase(),
            req.client_id.to_ascii_lowercase(),
            req.scopes.join(" "),
        );
        self.cache
            .get_or_fetch(&key, || self.exchange(req, lookup))
            .await
    }

    async fn identity_token(&self, req: &ExchangeRequest) -> Result<AccessToken, String> {
        let d = Deadline::after(Duration::from_secs(180), req.cancel.clone());
        self.mi
            .get_token(&req.identity, &req.exchange_audience, &d)
            .await
            .map_err(|e| {
                format!(
                    "Could not get a managed identity token for {}: {e}",
                    req.exchange_audience
                )
            })
    }

    async fn exchange(
        &self,
        req: &ExchangeRequest,
        lookup: Option<&dyn FicLookup>,
    ) -> Result<AccessToken, String> {
        let started = tokio::time::Instant::now();
        let mut mi_token = self.identity_token(req).await?;
        let mut reacquired = false;
        let scope = req.scopes.join(" ");
        let mut attempt: u32 = 0;
        loop {
            let token_req = TokenRequest {
                authority_host: &req.authority_host,
                tenant: &req.tenant,
                client_id: &req.client_id,
                scope: &scope,
                auth: ClientAuth::Assertion(&mi_token.token),
            };
            let d = Deadline::after(Duration::from_secs(60), req.cancel.clone());
            let err = match request_token(&self.http, &token_req, &d).await {
                Ok(t) => return Ok(t),
                Err(e) => e,
            };
            let aadsts = match &err {
                TokenError::Entra(a) => a.clone(),
                other => {
                    return Err(format!(
                        "The token exchange at {} failed: {other}",
                        token_req.url()
                    ))
                }
            };
            if aadsts.is(700024) && !reacquired {
                // The identity token expired on the way: get a fresh one, once.
                reacquired = true;
                self.mi.forget(&req.identity, &req.exchange_audience).await;
                mi_token = self.identity_token(req).await?;
                continue;
            }
            let facts = facts_of(&mi_token);
            let context = context_of(req, &facts, &aadsts);
            if !aadsts.is_fic_mismatch() {
                return Err(format!(
                    "Entra refused the token exchange for app {}: {aadsts}{context}",
                    req.client_id
                ));
            }
            let listed = match lookup {
                Some(l) => Some(l.credentials(&req.client_id).await),
                None => None,
            };
            let (report, may_propagate) = match &listed {
                Some(Ok(creds)) => {
                    let mi_client = match &req.identity {
                        Identity::ClientId(c) => Some(c.as_str()),
                        _ => None,
                    };
                    (
                        diagnose::explain(&facts, creds, mi_client),
                        creds.iter().any(|c| diagnose::matches(c, &facts)),
                    )
                }
                Some(Err(e)) => (
                    format!(
                        "{}\n(The app's credentials could not be read from Graph: {e})",
                        diagnose::explain(&facts, &[], None)
                            .lines()
                            .take(4)
                            .collect::<Vec<_>>()
                            .join("\n")
                    ),
                    true,
                ),
                None => (
                    diagnose::explain(&facts, &[], None)
                        .lines()
                        .take(4)
                        .collect::<Vec<_>>()
                        .join("\n"),
                    true,
                ),
            };
            let waited = started.elapsed();
            if may_propagate && waited < req.propagation_timeout {
                let wait = self
                    .backoff
                    .delay(attempt)
                    .max(Duration::from_millis(200))
                    .min(req.propagation_timeout - waited);
                tracing::debug!(
                    code = aadsts.code.unwrap_or(0),
                    waited_ms = waited.as_millis() as u64,
                    "no matching federated credential yet; waiting for propagation"
                );
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = req.cancel.cancelled() => return Err("The token exchange was cancelled.".into()),
                }
                attempt = attempt.saturating_add(1);
                continue;
            }
            let waited_note = if may_propagate {
                format!(
                    "\n\nRetried for {}s (propagation_timeout) without success.",
                    waited.as_secs()
                )
            } else {
                "\n\nNo credential of the app can match this token, so the exchange was not retried.".to_string()
            };
            return Err(format!(
                "Entra refused the token exchange for app {}: {aadsts}\n\n{report}{waited_note}",
                req.client_id
            ));
        }
    }
}

fn facts_of(t: &AccessToken) -> TokenFacts {
    let claims = jwt::claims(t.token.expose()).unwrap_or_default();
    TokenFacts {
        iss: jwt::claim_text(&claims, "iss").unwrap_or_default(),
        sub: jwt::claim_text(&claims, "sub").unwrap_or_default(),
        aud: jwt::claim_text(&claims, "aud").unwrap_or_default(),
    }
}

/// Extra words for the codes that are about the request rather than the credential.
fn context_of(
    req: &ExchangeRequest,
    facts: &TokenFacts,
    aadsts: &super::aadsts::AadstsError,
) -> String {
    let token_tenant = facts.iss.split('/').nth(3).unwrap_or("").to_string();
    match aadsts.code {
        Some(90002) => format!("\n\ntenant_id differs: requested tenant {:?}, the managed identity's tenant is {:?}.", req.tenant, token_tenant),
        Some(700016) => format!(
            "\n\nclient_id {:?} is not an application in tenant {:?} (the managed identity's tenant is {:?}).",
            req.client_id, req.tenant, token_tenant
        ),
        _ => String::new(),
    }
}
