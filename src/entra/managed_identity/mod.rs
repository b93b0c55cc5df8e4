//! Managed identity tokens, from whichever source the host offers. One file per source
//! (App Service / Functions / Container Apps, Azure Arc, Cloud Shell, IMDS); this file
//! detects the source in the Azure SDKs' order, an explicit endpoint (the provider's
//! `msi_endpoint`) winning over detection, and fetches and caches tokens from it.

mod app_service;
mod azure_arc;
mod cloud_shell;
mod imds;
mod response;

use std::time::Duration;

use super::http::{Route, TransportError, TransportKind};
use super::retry::{self, Attempt, Backoff, Deadline, Interrupted, Policy};
use super::token::TokenCache;
use super::{AccessToken, Secret};

/// Which managed identity: the host's only one, or a user-assigned one by some id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ManagedIdentityId {
    /// The host's only (or system-assigned) identity.
    Default,
    /// A user-assigned identity by client id.
    ClientId(String),
    /// A user-assigned identity by object (principal) id.
    ObjectId(String),
    /// A user-assigned identity by Azure resource id.
    ResourceId(String),
}

impl ManagedIdentityId {
    /// The query parameter naming this identity, given the source's names for object
    /// and resource ids (`None` for the default identity).
    fn param(&self, (object_id, resource_id): IdNames) -> Option<(&'static str, &str)> {
        match self {
            ManagedIdentityId::Default => None,
            ManagedIdentityId::ClientId(v) => Some(("client_id", v)),
            ManagedIdentityId::ObjectId(v) => Some((object_id, v)),
            ManagedIdentityId::ResourceId(v) => Some((resource_id, v)),
        }
    }
}

/// A source's query parameter names for an identity's object id and resource id.
type IdNames = (&'static str, &'static str);

/// The names IMDS, Azure Arc and Cloud Shell use.
const STANDARD_ID_NAMES: IdNames = ("object_id", "msi_res_id");

/// What a token request asks for: a token for `resource`, of `identity`.
struct Wanted<'a> {
    identity: &'a ManagedIdentityId,
    resource: &'a str,
}

impl<'a> Wanted<'a> {
    /// The request's parameters: API version (if the source has one), resource, identity.
    fn query(&self, api_version: Option<&'a str>, names: IdNames) -> Vec<(&'a str, &'a str)> {
        let mut q = Vec::with_capacity(3);
        q.extend(api_version.map(|v| ("api-version", v)));
        q.push(("resource", self.resource));
        q.extend(self.identity.param(names));
        q
    }
}

/// Where managed identity tokens come from on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// App Service, Functions, Container Apps: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`.
    AppService {
        /// The token URL.
        endpoint: String,
        /// The secret the platform expects back in `X-IDENTITY-HEADER`.
        header: Secret,
    },
    /// Azure Arc: `IDENTITY_ENDPOINT` with `IMDS_ENDPOINT`.
    AzureArc {
        /// The token URL.
        endpoint: String,
    },
    /// Cloud Shell: `MSI_ENDPOINT`.
    CloudShell {
        /// The token URL.
        endpoint: String,
    },
    /// IMDS, or the provider's explicit `msi_endpoint`.
    Imds {
        /// The token URL.
        endpoint: String,
    },
}

impl Source {
    /// The source in words, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Source::AppService { .. } => "App Service managed identity (IDENTITY_ENDPOINT)",
            Source::AzureArc { .. } => "Azure Arc managed identity",
            Source::CloudShell { .. } => "Cloud Shell managed identity (MSI_ENDPOINT)",
            Source::Imds { .. } => "IMDS managed identity",
        }
    }

    fn endpoint(&self) -> &str {
        match self {
            Source::AppService { endpoint, .. }
            | Source::AzureArc { endpoint }
            | Source::CloudShell { endpoint }
            | Source::Imds { endpoint } => endpoint,
        }
    }

    /// Why this source's endpoint must not be used: plain `http://` on a host that is
    /// neither loopback nor the IMDS address (SPEC §2: endpoints from the environment
    /// follow the rule of configured ones), named by the variable that set it.
    pub fn refusal(&self) -> Option<String> {
        let variable = match self {
            Source::AppService { .. } | Source::AzureArc { .. } => "IDENTITY_ENDPOINT",
            Source::CloudShell { .. } => "MSI_ENDPOINT",
            // `msi_endpoint` is checked with the configuration; what is left comes from
            // AZURE_POD_IDENTITY_AUTHORITY_HOST (or is the IMDS address itself).
            Source::Imds { .. } => "AZURE_POD_IDENTITY_AUTHORITY_HOST",
        };
        crate::rules::endpoint::check_endpoint(variable, self.endpoint()).map(|f| {
            format!(
                "{} (environment variable {variable}). {}",
                f.summary, f.detail
            )
        })
    }

    /// Picks the source like the Azure SDKs; `explicit` is the provider's `msi_endpoint`.
    pub fn detect(env: &dyn Fn(&str) -> Option<String>, explicit: Option<&str>) -> Source {
        let get = |k: &str| env(k).filter(|v| !v.is_empty());
        if let Some(endpoint) = explicit {
            return Source::Imds {
                endpoint: endpoint.to_string(),
            };
        }
        if let (Some(endpoint), Some(header)) = (get("IDENTITY_ENDPOINT"), get("IDENTITY_HEADER")) {
            return Source::AppService {
                endpoint,
                header: Secret::new(header),
            };
        }
        if let (Some(endpoint), Some(_)) = (get("IDENTITY_ENDPOINT"), get("IMDS_ENDPOINT")) {
            return Source::AzureArc { endpoint };
        }
        if let Some(endpoint) = get("MSI_ENDPOINT") {
            return Source::CloudShell { endpoint };
        }
        Source::Imds {
            endpoint: imds::endpoint(get("AZURE_POD_IDENTITY_AUTHORITY_HOST")),
        }
    }
}

/// Why no managed identity token was obtained: the source, its endpoint, the cause.
#[derive(Debug, Clone)]
pub struct ManagedIdentityError {
    /// The source in words ([`Source::name`]).
    pub source: &'static str,
    /// The endpoint without its query.
    pub endpoint: String,
    /// What went wrong, in words a user can act on.
    pub cause: String,
}

impl std::fmt::Display for ManagedIdentityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.endpoint.is_empty() {
            write!(f, "{}: {}", self.source, self.cause)
        } else {
            write!(f, "{} at {}: {}", self.source, self.endpoint, self.cause)
        }
    }
}

impl From<Interrupted> for ManagedIdentityError {
    fn from(i: Interrupted) -> Self {
        ManagedIdentityError {
            source: "managed identity",
            endpoint: String::new(),
            cause: i.to_string(),
        }
    }
}

/// Fetches managed identity tokens from one source under
/// [`Policy::MANAGED_IDENTITY`], caching per (identity, resource) and letting concurrent
/// callers share one request.
pub struct ManagedIdentityClient {
    source: Source,
    http: reqwest::Client,
    cache: TokenCache<(ManagedIdentityId, String)>,
    policy: Policy,
    arc_key_dir: std::path::PathBuf,
    requests: std::sync::atomic::AtomicU64,
}

impl ManagedIdentityClient {
    /// A client for `source`; `http` must not use a proxy (see
    /// [`crate::entra::http::managed_identity_client`]).
    pub fn new(source: Source, http: reqwest::Client) -> ManagedIdentityClient {
        ManagedIdentityClient {
            source,
            http,
            cache: TokenCache::default(),
            policy: Policy::MANAGED_IDENTITY,
            arc_key_dir: azure_arc::default_key_dir(),
            requests: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Short waits for tests: the backoff, and how long 410 Gone is retried.
    pub fn with_backoff(mut self, backoff: Backoff, gone_for: Duration) -> Self {
        self.policy = Policy {
            gone_for,
            ..self.policy.with_backoff(backoff)
        };
        self
    }

    /// Where Azure Arc's challenge key files must be (tests use a temporary directory).
    pub fn with_arc_key_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.arc_key_dir = dir;
        self
    }

    /// The source tokens come from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// How many token requests reached the endpoint (cache hits excluded).
    pub fn request_count(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A token for `resource` (an audience like `api://AzureADTokenExchange`, or a
    /// resource URI), from cache while more than 5 minutes remain; a fetch ends at
    /// `deadline` or when Terraform stops.
    pub async fn get_token(
        &self,
        identity: &ManagedIdentityId,
        resource: &str,
        deadline: &Deadline,
    ) -> Result<AccessToken, ManagedIdentityError> {
        self.cache
            .get_or_fetch(&(identity.clone(), resource.to_string()), || {
                self.fetch(identity, resource, deadline)
            })
            .await
    }

    /// Drops a cached token (e.g. Entra said the assertion expired).
    pub async fn forget(&self, identity: &ManagedIdentityId, resource: &str) {
        self.cache
            .forget(&(identity.clone(), resource.to_string()))
            .await;
    }

    fn err(&self, cause: impl Into<String>) -> ManagedIdentityError {
        let endpoint = self.source.endpoint();
        ManagedIdentityError {
            source: self.source.name(),
            endpoint: endpoint.split('?').next().unwrap_or(endpoint).to_string(),
            cause: cause.into(),
        }
    }

    async fn fetch(
        &self,
        identity: &ManagedIdentityId,
        resource: &str,
        deadline: &Deadline,
    ) -> Result<AccessToken, ManagedIdentityError> {
        if let Some(why) = self.source.refusal() {
            return Err(self.err(why));
        }
        retry::run(&self.policy, deadline, |_| async move {
            self.requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let resp = match self.request(identity, resource, None).send().await {
                Ok(r) => r,
                Err(e) => return self.no_answer(&e),
            };
            let resp = match (&self.source, resp.status().as_u16()) {
                (Source::AzureArc { .. }, 401) => {
                    let secret = match azure_arc::challenge_secret(&resp, &self.arc_key_dir) {
                        Ok(s) => s,
                        Err(e) => return Attempt::Fail(self.err(e)),
                    };
                    match self.request(identity, resource, Some(&secret)).send().await {
                        Ok(r) => r,
                        Err(e) => return self.no_answer(&e),
                    }
                }
                _ => resp,
            };
            let status = resp.status().as_u16();
            let retry_after = retry::retry_after(resp.headers());
            let body = match resp.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) => return self.no_answer(&e),
            };
            if (200..300).contains(&status) {
                return match response::parse_token(&body) {
                    Ok(t) => Attempt::Done(t),
                    Err(e) => Attempt::Fail(self.err(e)),
                };
            }
            Attempt::Answered {
                status,
                error: self.err(response::explain(status, &body, identity)),
                retry_after,
            }
        })
        .await
    }

    /// A request without an answer. Nothing there (refused, no such host) means no
    /// managed identity endpoint on this host, which no retry changes; other permanent
    /// failures (a refused certificate, a redirect) say their own cause. A timeout is a
    /// slow endpoint, not an absent one: retried within the budget and reported as slow.
    fn no_answer<T>(&self, e: &reqwest::Error) -> Attempt<T, ManagedIdentityError> {
        let t = TransportError::from_reqwest_on(e, &Route::MANAGED_IDENTITY);
        if matches!(
            t.kind,
            TransportKind::ConnectTimeout | TransportKind::ResponseTimeout { .. }
        ) {
            return Attempt::NoAnswer(self.err(format!(
                "{}: the managed identity endpoint is slow to answer (it was retried until the attempts or the operation's timeout ran out)",
                t.why()
            )));
        }
        let nothing_there = matches!(
            t.kind,
            TransportKind::Refused | TransportKind::UnknownHost | TransportKind::Dns(_)
        );
        if nothing_there {
            return Attempt::Fail(self.err(format!(
                "{}: no managed identity endpoint reachable — not running on Azure compute with a managed identity, or `msi_endpoint` is wrong (managed identity requests never go through a proxy)",
                t.why()
            )));
        }
        t.attempt(|t| self.err(t.to_string()))
    }

    fn request(
        &self,
        identity: &ManagedIdentityId,
        resource: &str,
        arc_secret: Option<&Secret>,
    ) -> reqwest::RequestBuilder {
        let http = &self.http;
        let want = &Wanted { identity, resource };
        match &self.source {
            Source::AppService { endpoint, header } => {
                app_service::request(http, endpoint, header, want)
            }
            Source::AzureArc { endpoint } => azure_arc::request(http, endpoint, want, arc_secret),
            Source::CloudShell { endpoint } => cloud_shell::request(http, endpoint, want),
            Source::Imds { endpoint } => imds::request(http, endpoint, want),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::imds::IMDS_ENDPOINT;
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn endpoints_from_the_environment_follow_the_https_rule() {
        let secret = || Secret::new("h");
        #[rustfmt::skip]
        let cases = [
            (Source::AppService { endpoint: "http://10.1.2.3:8081/msi/token".into(), header: secret() }, Some("IDENTITY_ENDPOINT")),
            (Source::AppService { endpoint: "http://localhost:8081/msi/token".into(), header: secret() }, None),
            (Source::AppService { endpoint: "https://mi.example/token".into(), header: secret() }, None),
            (Source::AzureArc { endpoint: "http://arc.example:40342/metadata/identity/oauth2/token".into() }, Some("IDENTITY_ENDPOINT")),
            (Source::AzureArc { endpoint: "http://127.0.0.1:40342/metadata/identity/oauth2/token".into() }, None),
            (Source::CloudShell { endpoint: "http://shell.example:50342/oauth2/token".into() }, Some("MSI_ENDPOINT")),
            (Source::CloudShell { endpoint: "http://localhost:50342/oauth2/token".into() }, None),
            (Source::Imds { endpoint: "http://10.0.0.1:2579/metadata/identity/oauth2/token".into() }, Some("AZURE_POD_IDENTITY_AUTHORITY_HOST")),
            (Source::Imds { endpoint: IMDS_ENDPOINT.into() }, None),
        ];
        for (source, refused_by) in cases {
            let why = source.refusal();
            match refused_by {
                Some(v) => {
                    let why = why.unwrap_or_default();
                    assert!(
                        why.contains(v) && why.contains("must use https"),
                        "{source:?}: {why}"
                    );
                }
                None => assert_eq!(why, None, "{source:?}"),
            }
        }
    }

    #[test]
    fn detection_order() {
        assert!(matches!(
            Source::detect(
                &env(&[("IDENTITY_ENDPOINT", "http://a"), ("IDENTITY_HEADER", "h")]),
                None
            ),
            Source::AppService { .. }
        ));
        assert!(matches!(
            Source::detect(
                &env(&[
                    ("IDENTITY_ENDPOINT", "http://a"),
                    ("IMDS_ENDPOINT", "http://b")
                ]),
                None
            ),
            Source::AzureArc { .. }
        ));
        assert!(matches!(
            Source::detect(&env(&[("MSI_ENDPOINT", "http://c")]), None),
            Source::CloudShell { .. }
        ));
        assert_eq!(
            Source::detect(&env(&[]), None),
            Source::Imds {
                endpoint: IMDS_ENDPOINT.into()
            }
        );
        assert_eq!(
            Source::detect(
                &env(&[("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://10.0.0.1:2579/")]),
                None
            ),
            Source::Imds {
                endpoint: "http://10.0.0.1:2579/metadata/identity/oauth2/token".into()
            }
        );
        assert_eq!(
            Source::detect(
                &env(&[("IDENTITY_ENDPOINT", "http://a"), ("IDENTITY_HEADER", "h")]),
                Some("http://127.0.0.1:9/x")
            ),
            Source::Imds {
                endpoint: "http://127.0.0.1:9/x".into()
            }
        );
    }
}
