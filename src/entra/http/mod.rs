//! The HTTP clients of a provider process: rustls (ring) verifying servers against the
//! OS trust store plus `SSL_CERT_FILE` / `SSL_CERT_DIR` ([`trust`]), HTTP/2 where the server
//! offers it, pooled connections, a user agent naming the provider, no redirects, and
//! failures classified once ([`TransportError`]).

mod proxy;
mod transport;
mod trust;

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

pub use proxy::{proxy_setting, proxy_used, ProxySetting};
pub use transport::{CertProblem, RedirectRefused, TransportError, TransportKind};
pub use trust::TrustSources;

/// `terraform-provider-entra/<version>`, sent with every request.
pub const USER_AGENT: &str = concat!("terraform-provider-entra/", env!("CARGO_PKG_VERSION"));

/// The variable that sets how long a sign-in or Graph request waits for its answer.
pub const RESPONSE_TIMEOUT_VAR: &str = "ENTRA_RESPONSE_TIMEOUT";

/// How long a sign-in or Graph request waits for its answer unless
/// [`RESPONSE_TIMEOUT_VAR`] says otherwise.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a managed identity request waits for its answer.
pub const MANAGED_IDENTITY_RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The response timeout of sign-in and Graph requests from `lookup` (the environment,
/// in production): [`RESPONSE_TIMEOUT_VAR`] as a Terraform duration (`90s`, `2m`), else
/// [`DEFAULT_RESPONSE_TIMEOUT`]. Zero or a malformed value is an error naming the variable.
pub fn response_timeout(lookup: impl Fn(&str) -> Option<String>) -> Result<Duration, String> {
    let Some(raw) = lookup(RESPONSE_TIMEOUT_VAR).filter(|v| !v.trim().is_empty()) else {
        return Ok(DEFAULT_RESPONSE_TIMEOUT);
    };
    match crate::rules::duration::parse(raw.trim()) {
        Ok(d) if d > Duration::ZERO => Ok(d),
        Ok(_) => Err(format!(
            "{RESPONSE_TIMEOUT_VAR} must be longer than zero (it is how long each sign-in or Graph request waits for its answer)"
        )),
        Err(e) => Err(format!("{RESPONSE_TIMEOUT_VAR}: {e}")),
    }
}

/// How a client reaches servers, which decides what a failure means: whether the
/// environment's proxies are in the way, and how long it waits for an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Whether `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` apply.
    pub proxies: bool,
    /// How long a request waits for its answer.
    pub response_timeout: Duration,
    /// The variable that sets `response_timeout`, when a user can.
    pub response_timeout_var: Option<&'static str>,
}

impl Route {
    /// Sign-in and Graph ([`client`]): through the environment's proxies, waiting as long
    /// as the environment says.
    pub fn signin_and_graph() -> Route {
        Route {
            proxies: true,
            response_timeout: response_timeout(|k| std::env::var(k).ok())
                .unwrap_or(DEFAULT_RESPONSE_TIMEOUT),
            response_timeout_var: Some(RESPONSE_TIMEOUT_VAR),
        }
    }

    /// Managed identity endpoints ([`managed_identity_client`]): never through a proxy.
    pub const MANAGED_IDENTITY: Route = Route {
        proxies: false,
        response_timeout: MANAGED_IDENTITY_RESPONSE_TIMEOUT,
        response_timeout_var: None,
    };
}

/// The client for Entra sign-in and Graph, trusting what the environment says. Proxies
/// come from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (reqwest reads them); the
/// response timeout from [`RESPONSE_TIMEOUT_VAR`].
pub fn client() -> Result<reqwest::Client, String> {
    let timeout = response_timeout(|k| std::env::var(k).ok())?;
    signin_and_graph(process_tls()?, timeout)
}

/// [`client`] trusting the OS store plus `sources` (tests pass their throwaway CA here
/// instead of changing the process environment).
pub fn client_trusting(sources: &TrustSources) -> Result<reqwest::Client, String> {
    let timeout = response_timeout(|k| std::env::var(k).ok())?;
    signin_and_graph(tls_config(sources)?, timeout)
}

fn signin_and_graph(
    tls: rustls::ClientConfig,
    response_timeout: Duration,
) -> Result<reqwest::Client, String> {
    builder(tls)
        // The connect timeout ends well inside the response timeout, so a connect that
        // hangs is told as a connect timeout, never as a request without an answer.
        .connect_timeout(CONNECT_TIMEOUT.min(response_timeout / 2))
        .timeout(response_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .http2_adaptive_window(true)
        .build()
        .map_err(|e| format!("cannot create the HTTP client: {e}"))
}

/// The client for managed identity endpoints: never through a proxy (IMDS is link-local
/// and a proxy in the way is the classic cause of "identity not found" HTML answers),
/// and a short connect timeout so "not on Azure" shows quickly.
pub fn managed_identity_client() -> Result<reqwest::Client, String> {
    builder(process_tls()?)
        .no_proxy()
        .connect_timeout(Duration::from_secs(3))
        .timeout(MANAGED_IDENTITY_RESPONSE_TIMEOUT)
        .build()
        .map_err(|e| format!("cannot create the HTTP client: {e}"))
}

/// What every client shares: the TLS configuration, the user agent, no redirects, and
/// the resolver.
fn builder(tls: rustls::ClientConfig) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .user_agent(USER_AGENT)
        .redirect(refuse_redirects())
        .dns_resolver(std::sync::Arc::new(SystemResolver))
}

/// The process's TLS configuration, built once from its environment.
fn process_tls() -> Result<rustls::ClientConfig, String> {
    static TLS: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    TLS.get_or_init(|| tls_config(&TrustSources::from_env()))
        .clone()
}

fn tls_config(sources: &TrustSources) -> Result<rustls::ClientConfig, String> {
    let os = trust::os_certificates(sources);
    let store = trust::build(os, sources)
        .map_err(|e| format!("Cannot load the certificate authorities to trust for HTTPS: {e}"))?;
    tracing::debug!(
        from_os = store.from_os,
        from_ssl_cert_file_or_dir = store.from_user,
        mozilla_fallback = store.fallback,
        "TLS trust store"
    );
    trust::client_config(store)
}

/// Redirects are never followed: a 307 from the token endpoint would re-send the client
/// secret or assertion to wherever it points. The refusal names both URLs (without
/// their query strings).
fn refuse_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let without_query = |u: &url::Url| {
            let mut u = u.clone();
            u.set_query(None);
            u.to_string()
        };
        let from = attempt
            .previous()
            .last()
            .map(without_query)
            .unwrap_or_default();
        let to = without_query(attempt.url());
        attempt.error(RedirectRefused { from, to })
    })
}

/// The system resolver, except that names under `.invalid` fail at once without a lookup
/// (RFC 6761: they never resolve).
struct SystemResolver;

impl reqwest::dns::Resolve for SystemResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        Box::pin(async move {
            if host == "invalid" || host.ends_with(".invalid") {
                return Err(Box::new(transport::NoSuchHost(host)) as _);
            }
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let addrs: Vec<SocketAddr> = found.collect();
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
