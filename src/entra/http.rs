//! One HTTP client per provider process: rustls (ring), HTTP/2 where the server offers
//! it, pooled connections, a user agent naming the provider.

use std::time::Duration;

/// `terraform-provider-entra/<version>`, sent with every request.
pub const USER_AGENT: &str = concat!("terraform-provider-entra/", env!("CARGO_PKG_VERSION"));

/// The client for Entra sign-in and Graph.
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .user_agent(USER_AGENT)
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
    reqwest::Client::builder()
        .use_rustls_tls()
        .user_agent(USER_AGENT)
        .no_proxy()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot create the HTTP client: {e}"))
}

/// A transport error in words, without the URL's query (which may carry ids we do not
/// want repeated everywhere) and never with a body.
pub fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_connect() {
        "could not connect"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_request() {
        "request failed"
    } else if e.is_body() || e.is_decode() {
        "invalid response body"
    } else {
        "HTTP error"
    };
    match e.url() {
        Some(u) => format!(
            "{what} ({}://{}{})",
            u.scheme(),
            u.host_str().unwrap_or(""),
            port_suffix(u)
        ),
        None => what.to_string(),
    }
}

fn port_suffix(u: &url::Url) -> String {
    u.port().map(|p| format!(":{p}")).unwrap_or_default()
}
