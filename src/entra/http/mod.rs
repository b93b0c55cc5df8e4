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

pub use proxy::{proxy_setting, ProxySetting};
pub use transport::{CertProblem, RedirectRefused, TransportError, TransportKind};
pub use trust::TrustSources;

/// `terraform-provider-entra/<version>`, sent with every request.
pub const USER_AGENT: &str = concat!("terraform-provider-entra/", env!("CARGO_PKG_VERSION"));

/// The client for Entra sign-in and Graph, trusting what the environment says. Proxies
/// come from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (reqwest reads them).
pub fn client() -> Result<reqwest::Client, String> {
    signin_and_graph(process_tls()?)
}

/// [`client`] trusting the OS store plus `sources` (tests pass their throwaway CA here
/// instead of changing the process environment).
pub fn client_trusting(sources: &TrustSources) -> Result<reqwest::Client, String> {
    signin_and_graph(tls_config(sources)?)
}

fn signin_and_graph(tls: rustls::ClientConfig) -> Result<reqwest::Client, String> {
    builder(tls)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
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
        .timeout(Duration::from_secs(30))
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
