//! The exchange: managed identity token for the exchange audience -> client assertion ->
//! the app's access token. Managed identity tokens and app tokens are cached, so one identity
//! token serves every exchange of a run and 50 data sources cost one request each.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::aadsts::AadstsError;
use super::diagnose::{self, TokenFacts};
use super::graph::FederatedCredential;
use super::managed_identity::{ManagedIdentityClient, ManagedIdentityId};
use super::retry::{self, Backoff, Deadline, Interrupted, NotReady, Poll};
use super::token::TokenCache;
use super::token_endpoint::{request_token, ClientAuth, TokenError, TokenRequest};
use super::{jwt, AccessToken};

/// The longest wait for the managed identity token.
const IDENTITY_TOKEN_TIME: Duration = Duration::from_secs(180);
/// The longest wait for one exchange request.
const EXCHANGE_REQUEST_TIME: Duration = Duration::from_secs(60);
/// The longest wait for the app's credentials from Graph, for a diagnosis.
const LOOKUP_TIME: Duration = Duration::from_secs(30);

/// Reads an app's federated credentials (Graph), for diagnosis and propagation.
#[async_trait]
pub trait FicLookup: Send + Sync {
    /// The credentials of the app with `client_id`, read before `deadline`.
    async fn credentials(
        &self,
        client_id: &str,
        deadline: &Deadline,
    ) -> Result<Vec<FederatedCredential>, LookupError>;
}

/// Why an app's credentials could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// Graph did not answer or refused the read: a matching credential may exist, so the
    /// exchange is retried while it may still propagate.
    Unreadable(String),
    /// The provider's own sign-in to Graph was refused: no wait cures that, so the
    /// exchange is not retried for `propagation_timeout`.
    SignInRefused(String),
}

/// One exchange: which app's token, for which scopes, through which identity.
#[derive(Debug, Clone)]
pub struct ExchangeRequest {
    /// The sign-in host.
    pub authority_host: String,
    /// The resource tenant.
    pub tenant: String,
    /// The app that trusts the managed identity.
    pub client_id: String,
    /// `{resource}/.default` scopes.
    pub scopes: Vec<String>,
    /// The managed identity whose token is the assertion.
    pub identity: ManagedIdentityId,
    /// The audience of the managed identity token.
    pub exchange_audience: String,
    /// How long to keep retrying while a matching credential propagates.
    pub propagation_timeout: Duration,
}

impl ExchangeRequest {
    /// The deadline of this exchange, ended early by `cancel` (Terraform's Stop): the
    /// propagation wait plus the time to get the identity token and ask once more.
    pub fn deadline(&self, cancel: CancellationToken) -> Deadline {
        let sign_in = IDENTITY_TOKEN_TIME + EXCHANGE_REQUEST_TIME;
        Deadline::after(self.propagation_timeout + sign_in, cancel)
    }
}

type Key = (String, String, String, String);

/// Exchanges managed identity tokens for app tokens, caching both.
pub struct TokenExchange {
    http: reqwest::Client,
    mi: Arc<ManagedIdentityClient>,
    cache: TokenCache<Key>,
    backoff: Backoff,
}

impl TokenExchange {
    /// An exchange signing in through `http`, with identity tokens from `mi`.
    pub fn new(http: reqwest::Client, mi: Arc<ManagedIdentityClient>) -> TokenExchange {
        TokenExchange {
            http,
            mi,
            cache: TokenCache::default(),
            backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(15)),
        }
    }

    /// Short waits for tests (the propagation retries).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The app's token, from cache while more than 5 minutes remain; obtained before
    /// `deadline` (see [`ExchangeRequest::deadline`]) unless Terraform stops first.
    pub async fn access_token(
        &self,
        req: &ExchangeRequest,
        lookup: Option<&dyn FicLookup>,
        deadline: &Deadline,
    ) -> Result<AccessToken, String> {
        let key = (
            req.authority_host.clone(),
            req.tenant.to_ascii_lowercase(),
            req.client_id.to_ascii_lowercase(),
            req.scopes.join(" "),
        );
        self.cache
            .get_or_fetch(&key, || self.exchange(req, lookup, deadline))
            .await
    }

    async fn identity_token(
        &self,
        req: &ExchangeRequest,
        d: &Deadline,
    ) -> Result<AccessToken, String> {
        self.mi
            .get_token(
                &req.identity,
                &req.exchange_audience,
                &d.capped(IDENTITY_TOKEN_TIME),
            )
            .await
            .map_err(|e| {
                format!(
                    "Could not get a managed identity token for {}: {e}",
                    req.exchange_audience
                )
            })
    }

    /// Asks until Entra answers with a token, refuses for good, or the propagation
    /// window closes while no matching credential is visible yet.
    async fn exchange(
        &self,
        req: &ExchangeRequest,
        lookup: Option<&dyn FicLookup>,
        d: &Deadline,
    ) -> Result<AccessToken, String> {
        let started = tokio::time::Instant::now();
        let propagation = d.capped(req.propagation_timeout);
        let attempt = Attempt {
            exchange: self,
            req,
            lookup,
            deadline: d,
            scope: req.scopes.join(" "),
            mi_token: tokio::sync::Mutex::new(self.identity_token(req, d).await?),
            reacquired: AtomicBool::new(false),
        };
        let attempt = &attempt;
        let outcome = retry::poll(
            self.backoff,
            &propagation,
            || async move { attempt.run().await },
        )
        .await;
        match outcome {
            Ok(result) => result,
            Err(NotReady {
                reason: Interrupted::TimedOut,
                last: Some((aadsts, report)),
            }) => Err(format!(
                "Entra refused the token exchange for app {}: {aadsts}\n\n{report}\n\nRetried for {}s (propagation_timeout) without success.",
                req.client_id,
                started.elapsed().as_secs()
            )),
            Err(NotReady {
                reason: Interrupted::Cancelled,
                ..
            }) => Err("The token exchange was cancelled by Terraform.".into()),
            Err(NotReady { .. }) => {
                Err("The token exchange did not finish before its deadline.".into())
            }
        }
    }
}

/// One exchange in progress: the identity token (re-acquired once if it expired on the
/// way) and what a retry needs.
struct Attempt<'a> {
    exchange: &'a TokenExchange,
    req: &'a ExchangeRequest,
    lookup: Option<&'a dyn FicLookup>,
    deadline: &'a Deadline,
    scope: String,
    mi_token: tokio::sync::Mutex<AccessToken>,
    reacquired: AtomicBool,
}

/// A refusal that may pass once the credential has propagated: Entra's answer and the
/// diagnosis to show if it never does.
type Propagating = (AadstsError, String);

impl Attempt<'_> {
    async fn run(&self) -> Poll<Result<AccessToken, String>, Propagating> {
        let req = self.req;
        loop {
            let mi_token = self.mi_token.lock().await.clone();
            let token_req = TokenRequest {
                authority_host: &req.authority_host,
                tenant: &req.tenant,
                client_id: &req.client_id,
                scope: &self.scope,
                auth: ClientAuth::Assertion(&mi_token.token),
            };
            let d = self.deadline.capped(EXCHANGE_REQUEST_TIME);
            let http = &self.exchange.http;
            let aadsts = match request_token(http, &token_req, &d).await {
                Ok(t) => return Poll::Ready(Ok(t)),
                Err(TokenError::Entra(a)) => a,
                Err(other) => {
                    return Poll::Ready(Err(format!(
                        "The token exchange at {} failed: {other}",
                        token_req.url()
                    )))
                }
            };
            if aadsts.is(700024) && !self.reacquired.swap(true, Ordering::SeqCst) {
                // The identity token expired on the way: get a fresh one, once.
                let mi = &self.exchange.mi;
                mi.forget(&req.identity, &req.exchange_audience).await;
                match self.exchange.identity_token(req, self.deadline).await {
                    Ok(t) => *self.mi_token.lock().await = t,
                    Err(e) => return Poll::Ready(Err(e)),
                }
                continue;
            }
            return self.refused(&mi_token, aadsts).await;
        }
    }

    /// Entra refused: fail at once, unless a matching credential may still propagate.
    async fn refused(
        &self,
        mi_token: &AccessToken,
        aadsts: AadstsError,
    ) -> Poll<Result<AccessToken, String>, Propagating> {
        let req = self.req;
        let facts = facts_of(mi_token);
        if !aadsts.is_fic_mismatch() {
            let context = context_of(req, &facts, &aadsts);
            return Poll::Ready(Err(format!(
                "Entra refused the token exchange for app {}: {aadsts}{context}",
                req.client_id
            )));
        }
        let listed = match self.lookup {
            Some(l) => {
                let d = self.deadline.capped(LOOKUP_TIME);
                Some(l.credentials(&req.client_id, &d).await)
            }
            None => None,
        };
        let first_lines = || {
            diagnose::explain(&facts, &[], None)
                .lines()
                .take(4)
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (report, may_propagate) = match &listed {
            Some(Ok(creds)) => {
                let mi_client = match &req.identity {
                    ManagedIdentityId::ClientId(c) => Some(c.as_str()),
                    _ => None,
                };
                (
                    diagnose::explain(&facts, creds, mi_client),
                    creds.iter().any(|c| diagnose::matches(c, &facts)),
                )
            }
            Some(Err(LookupError::SignInRefused(e))) => {
                return Poll::Ready(Err(format!(
                    "Entra refused the token exchange for app {}: {aadsts}\n\n{}\n\nThe app's credentials could not be read from Graph to tell whether a matching credential exists, because the provider's own sign-in was refused:\n{e}\n\nNo wait cures a refused sign-in, so the exchange was not retried for propagation_timeout: fix the provider's sign-in to see which credential field differs.",
                    req.client_id,
                    first_lines()
                )));
            }
            Some(Err(LookupError::Unreadable(e))) => (
                format!(
                    "{}\n(The app's credentials could not be read from Graph: {e})",
                    first_lines()
                ),
                true,
            ),
            None => (first_lines(), true),
        };
        if !may_propagate {
            return Poll::Ready(Err(format!(
                "Entra refused the token exchange for app {}: {aadsts}\n\n{report}\n\nNo credential of the app can match this token, so the exchange was not retried.",
                req.client_id
            )));
        }
        tracing::debug!(
            code = aadsts.code.unwrap_or(0),
            "no matching federated credential yet; waiting for propagation"
        );
        Poll::Pending((aadsts, report))
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
fn context_of(req: &ExchangeRequest, facts: &TokenFacts, aadsts: &AadstsError) -> String {
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
