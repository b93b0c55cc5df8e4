//! Why a request got no answer, in words a user can act on. Built in one place
//! ([`TransportError::from_reqwest`]) by walking the error's source chain down to hyper,
//! the socket and rustls, so every caller (sign-in, Graph, managed identity, the token
//! exchange) reports the same cause the same way and retries only what a retry can fix.

use std::error::Error as StdError;
use std::time::Duration;

use rustls::CertificateError;

pub use super::proxy::origin_of;
use super::proxy::{proxy_setting, proxy_used};
use super::Route;
use crate::entra::retry::Attempt;

/// Why a server's certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// Issued by a CA this machine does not trust (a TLS-inspecting proxy, a private CA).
    UnknownIssuer,
    /// Past its validity.
    Expired,
    /// Not valid yet (or this machine's clock is behind).
    NotYetValid,
    /// Issued for other host names than the one connected to.
    WrongHost,
    /// Revoked by its issuer.
    Revoked,
    /// Something else, as rustls says it.
    Other(String),
}

/// What went wrong on the way to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportKind {
    /// TLS verification refused the server's certificate.
    Certificate(CertProblem),
    /// The host name does not exist.
    UnknownHost,
    /// Name resolution failed for another reason (a resolver that did not answer).
    Dns(String),
    /// Nothing listens on the port.
    Refused,
    /// No connection (TCP, TLS, or the proxy's tunnel) within the connect timeout: the
    /// request was never sent.
    ConnectTimeout,
    /// Connected and sent, but no complete answer within the response timeout.
    ResponseTimeout {
        /// How long the request waited, when the client's own timeout ran out (not the
        /// operating system's).
        waited: Option<Duration>,
        /// The variable that sets that timeout, when a user can.
        set_by: Option<&'static str>,
    },
    /// The connection was closed or reset before an answer came.
    Reset,
    /// An `https://` URL pointing at a server that speaks plain HTTP.
    TlsToPlainHttp,
    /// The proxy refused or failed the tunnel: which variable set it, the proxy's
    /// `scheme://host[:port]` (never its credentials), and what failed.
    Proxy {
        /// The environment variable the proxy came from (`HTTPS_PROXY`, ...), when known.
        variable: Option<String>,
        /// The proxy's `scheme://host[:port]`.
        proxy: Option<String>,
        /// What failed, as the HTTP stack says it.
        detail: String,
    },
    /// The TLS handshake failed for another reason than the certificate (the server
    /// ended it, no common protocol version or cipher): retried like other transport
    /// faults, with backoff.
    TlsHandshake(String),
    /// The server answered with a redirect, which the provider never follows.
    Redirect {
        /// The URL requested.
        from: String,
        /// The redirect's `Location`.
        to: String,
    },
    /// Anything else, as the HTTP stack says it.
    Other(String),
}

/// A request that got no usable answer: the server (`scheme://host[:port]`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// `scheme://host[:port]` of the request (never a path or query).
    pub origin: String,
    /// What went wrong.
    pub kind: TransportKind,
}

/// The error a redirect policy returns so the refusal reaches the caller with both URLs.
#[derive(Debug)]
pub struct RedirectRefused {
    /// The URL requested.
    pub from: String,
    /// Where the server redirected to.
    pub to: String,
}

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redirect from {} to {} refused", self.from, self.to)
    }
}

impl StdError for RedirectRefused {}

/// The resolver's answer for a name that cannot exist (RFC 6761 `.invalid`).
#[derive(Debug)]
pub struct NoSuchHost(pub String);

impl std::fmt::Display for NoSuchHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no such host {}", self.0)
    }
}

impl StdError for NoSuchHost {}

impl TransportError {
    /// The cause of a failed sign-in or Graph request (the client of [`super::client`]),
    /// from reqwest's error and everything beneath it.
    pub fn from_reqwest(e: &reqwest::Error) -> TransportError {
        TransportError::from_reqwest_on(e, &Route::signin_and_graph())
    }

    /// The cause of a failed request made on `route`.
    pub fn from_reqwest_on(e: &reqwest::Error, route: &Route) -> TransportError {
        let origin = e.url().map(origin_of).unwrap_or_default();
        let mut kind = match kind_in_chain(e) {
            Some(TransportKind::ConnectTimeout) | None if e.is_timeout() || is_os_timeout(e) => {
                if e.is_connect() {
                    TransportKind::ConnectTimeout
                } else {
                    // Only the client's own timeout says how long it waited.
                    let own = e.is_timeout();
                    TransportKind::ResponseTimeout {
                        waited: own.then_some(route.response_timeout),
                        set_by: route.response_timeout_var.filter(|_| own),
                    }
                }
            }
            Some(k) => k,
            None if e.is_body() || e.is_decode() => TransportKind::Reset,
            None => TransportKind::Other(innermost(e)),
        };
        // A plain-http request through a proxy connects to the proxy, not to the server:
        // failing to connect is the proxy's failure (https says so itself: a tunnel error).
        let forwarded = route.proxies
            && e.url()
                .is_some_and(|u| u.scheme() == "http" && proxy_used(u));
        if forwarded {
            if let Some(detail) = reaching_the_proxy(&kind) {
                kind = TransportKind::Proxy {
                    variable: None,
                    proxy: None,
                    detail,
                };
            }
        }
        if let TransportKind::Proxy { detail, .. } = kind {
            let scheme = e.url().map(|u| u.scheme().to_string()).unwrap_or_default();
            let set = proxy_setting(&scheme, |v| std::env::var(v).ok());
            kind = TransportKind::Proxy {
                variable: set.as_ref().map(|s| s.variable.to_string()),
                proxy: set.map(|s| s.origin),
                detail,
            };
        }
        TransportError { origin, kind }
    }

    /// The outcome of a retried attempt that ended with this error, wrapped by `wrap`:
    /// [`Attempt::Fail`] when it is permanent, [`Attempt::NoAnswer`] (worth another try)
    /// otherwise.
    pub fn attempt<T, E>(self, wrap: impl FnOnce(TransportError) -> E) -> Attempt<T, E> {
        tracing::debug!(error = %self.why(), permanent = self.is_permanent(), "request got no answer");
        if self.is_permanent() {
            Attempt::Fail(wrap(self))
        } else {
            Attempt::NoAnswer(wrap(self))
        }
    }

    /// Whether no retry can fix it: a refused certificate, a host name that does not
    /// exist, nothing listening on a loopback port, plain HTTP behind `https://`, a redirect.
    pub fn is_permanent(&self) -> bool {
        match &self.kind {
            TransportKind::Certificate(_)
            | TransportKind::UnknownHost
            | TransportKind::TlsToPlainHttp
            | TransportKind::Redirect { .. } => true,
            TransportKind::Refused => self.is_loopback(),
            _ => false,
        }
    }

    fn is_loopback(&self) -> bool {
        let Ok(url) = url::Url::parse(&self.origin) else {
            return false;
        };
        match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        }
    }

    /// Why, in words, naming the server.
    pub fn why(&self) -> String {
        let o = &self.origin;
        match &self.kind {
            TransportKind::Certificate(p) => {
                let reason = match p {
                    CertProblem::UnknownIssuer => "unknown issuer: it is not signed by a certificate authority this machine trusts".to_string(),
                    CertProblem::Expired => "it has expired".to_string(),
                    CertProblem::NotYetValid => "it is not valid yet (or this machine's clock is wrong)".to_string(),
                    CertProblem::WrongHost => "it is not valid for this host name".to_string(),
                    CertProblem::Revoked => "it has been revoked".to_string(),
                    CertProblem::Other(s) => s.clone(),
                };
                format!("the server's certificate was refused for {o}: {reason}")
            }
            TransportKind::UnknownHost => format!("the host name of {o} does not exist (DNS)"),
            TransportKind::Dns(s) => format!("the host name of {o} could not be resolved: {s}"),
            TransportKind::Refused => {
                format!("the connection to {o} was refused: nothing listens there")
            }
            TransportKind::ConnectTimeout => format!(
                "connecting to {o} timed out: no connection within the connect timeout, so the request was not sent"
            ),
            TransportKind::ResponseTimeout { waited, set_by } => {
                let how_long = match (waited, set_by) {
                    (Some(w), Some(v)) => format!(" of {} (set by {v})", short(*w)),
                    (Some(w), None) => format!(" of {}", short(*w)),
                    _ => String::new(),
                };
                format!(
                    "{o} took the request but sent no complete answer within the response timeout{how_long}"
                )
            }
            TransportKind::TlsHandshake(s) => {
                format!("the TLS handshake with {o} failed (not a certificate problem): {s}")
            }
            TransportKind::Reset => {
                format!("the connection to {o} was closed before an answer came")
            }
            TransportKind::TlsToPlainHttp => format!(
                "{o} does not speak TLS: the URL says https but the server answers plain HTTP"
            ),
            TransportKind::Proxy {
                variable,
                proxy,
                detail,
            } => {
                let which = match (proxy, variable) {
                    (Some(p), Some(v)) => format!("the proxy {p} (set by {v})"),
                    (Some(p), None) => format!("the proxy {p}"),
                    _ => "the proxy".to_string(),
                };
                if o.starts_with("http://") {
                    format!("{which} could not forward the request to {o}: {detail}")
                } else {
                    format!("{which} refused or failed the tunnel to {o}: {detail}")
                }
            }
            TransportKind::Redirect { from, to } => format!(
                "{from} answered with a redirect to {to}, which the provider does not follow"
            ),
            TransportKind::Other(s) => format!("the request to {o} failed: {s}"),
        }
    }

    /// What to do about it, when there is something to say.
    pub fn advice(&self) -> Option<String> {
        if let TransportKind::Proxy {
            variable: Some(v), ..
        } = &self.kind
        {
            return Some(format!(
                "Check {v} (the proxy's address and credentials), or list this host in NO_PROXY to bypass the proxy."
            ));
        }
        Some(match &self.kind {
            TransportKind::Certificate(CertProblem::UnknownIssuer) => "If a TLS-inspecting proxy or a private CA is in the way, trust its CA certificate in the operating system's store or point SSL_CERT_FILE (a PEM bundle) or SSL_CERT_DIR at it.",
            TransportKind::Certificate(CertProblem::WrongHost) => "Check the endpoint setting (authority_host, graph_endpoint, msi_endpoint): the server is not the one named. If a TLS-inspecting proxy or a private CA is in the way, trust its CA in the operating system's store or point SSL_CERT_FILE at it.",
            TransportKind::Certificate(_) => "Check this machine's clock and the server's certificate. If a TLS-inspecting proxy or a private CA is in the way, trust its CA in the operating system's store or point SSL_CERT_FILE at it.",
            TransportKind::UnknownHost | TransportKind::Dns(_) => "Check the host name in the endpoint settings (authority_host, graph_endpoint, msi_endpoint, environment) and this machine's DNS.",
            TransportKind::Refused => "Check the endpoint's port and that the service runs; behind a proxy, set HTTPS_PROXY.",
            TransportKind::ConnectTimeout | TransportKind::Reset => "Check the network path to the service (firewall, proxy: HTTPS_PROXY / NO_PROXY).",
            TransportKind::ResponseTimeout { set_by: Some(v), .. } => {
                return Some(format!("The service is slow or overloaded. {v} sets how long each request waits for its answer (default {}); the resource's `timeouts` block bounds the whole operation, retries included.", short(super::DEFAULT_RESPONSE_TIMEOUT)))
            }
            TransportKind::ResponseTimeout { .. } => "The service is slow or overloaded; a longer timeout (the resource's `timeouts` block) gives it more time.",
            TransportKind::TlsHandshake(_) => "Check that the endpoint is the service named (and its TLS port), and whether a proxy or firewall interferes with TLS.",
            TransportKind::TlsToPlainHttp => "Use the server's https port, or http:// where the provider allows it (loopback).",
            TransportKind::Proxy { .. } => "Check HTTPS_PROXY / HTTP_PROXY (address, credentials) and NO_PROXY.",
            TransportKind::Redirect { .. } => "Point the endpoint setting at the final URL; redirects are refused so credentials are never sent to another server.",
            TransportKind::Other(_) => return None,
        }.to_string())
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why())?;
        if let Some(a) = self.advice() {
            write!(f, ". {a}")?;
        }
        Ok(())
    }
}

/// The first cause in `e`'s chain that says what happened. `io::Error` hides the error
/// it wraps from `source()`, so it is opened with `get_ref()`.
fn kind_in_chain(e: &(dyn StdError + 'static)) -> Option<TransportKind> {
    let mut cur = Some(e);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<RedirectRefused>() {
            return Some(TransportKind::Redirect {
                from: r.from.clone(),
                to: r.to.clone(),
            });
        }
        if e.downcast_ref::<NoSuchHost>().is_some() {
            return Some(TransportKind::UnknownHost);
        }
        if let Some(t) = e.downcast_ref::<rustls::Error>() {
            return Some(from_rustls(t));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(k) = io.get_ref().and_then(|inner| kind_in_chain(inner)) {
                return Some(k);
            }
            if let Some(k) = from_io(io) {
                return Some(k);
            }
        }
        // hyper-util's connect errors say what failed only in their text; reqwest's own
        // text holds the URL, which could contain anything, so it is not read.
        if e.downcast_ref::<reqwest::Error>().is_none() {
            let text = e.to_string();
            if text.starts_with("dns error") {
                return Some(dns(e.source()));
            }
            if text.starts_with("tunnel error") {
                let detail = match e.source() {
                    Some(s) => format!("{text}: {}", innermost(s)),
                    None => text,
                };
                return Some(TransportKind::Proxy {
                    variable: None,
                    proxy: None,
                    detail,
                });
            }
        }
        cur = e.source();
    }
    None
}

fn from_rustls(e: &rustls::Error) -> TransportKind {
    let problem = match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => CertProblem::UnknownIssuer,
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                CertProblem::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                CertProblem::NotYetValid
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                CertProblem::WrongHost
            }
            CertificateError::Revoked => CertProblem::Revoked,
            other => CertProblem::Other(format!("{other:?}")),
        },
        rustls::Error::InvalidMessage(_) => return TransportKind::TlsToPlainHttp,
        other => return TransportKind::TlsHandshake(other.to_string()),
    };
    TransportKind::Certificate(problem)
}

fn from_io(e: &std::io::Error) -> Option<TransportKind> {
    use std::io::ErrorKind as K;
    Some(match e.kind() {
        K::ConnectionRefused => TransportKind::Refused,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            TransportKind::Reset
        }
        // Which phase timed out is decided by the caller (`from_reqwest`).
        K::TimedOut => TransportKind::ConnectTimeout,
        _ => return None,
    })
}

/// What failed on the way to a proxy, for a failure found connecting a request that
/// goes through one; `None` when the failure may be the server's.
fn reaching_the_proxy(kind: &TransportKind) -> Option<String> {
    Some(match kind {
        TransportKind::Refused => {
            "the connection to the proxy was refused: nothing listens there".to_string()
        }
        TransportKind::ConnectTimeout => {
            "no connection to the proxy within the connect timeout".to_string()
        }
        TransportKind::UnknownHost => "the proxy's host name does not exist (DNS)".to_string(),
        TransportKind::Dns(s) => format!("the proxy's host name could not be resolved: {s}"),
        _ => return None,
    })
}

/// `d` for messages: `1s`, `1m30s`, or milliseconds below a second or off the second.
fn short(d: Duration) -> String {
    if d.subsec_millis() == 0 && d >= Duration::from_secs(1) {
        crate::rules::duration::format(d)
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Whether the OS reported a timeout somewhere in `e`'s chain.
fn is_os_timeout(e: &(dyn StdError + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(io) = x.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        cur = x.source();
    }
    false
}

/// A resolver failure: permanent when the name does not exist (the messages of glibc,
/// musl, macOS and Windows), otherwise worth another try.
fn dns(cause: Option<&(dyn StdError + 'static)>) -> TransportKind {
    if let Some(k) = cause.and_then(kind_in_chain) {
        if k == TransportKind::UnknownHost {
            return k;
        }
    }
    let text = cause.map(innermost).unwrap_or_default();
    let lower = text.to_ascii_lowercase();
    let gone = [
        "name or service not known",
        "no address associated",
        "nodename nor servname",
        "no such host",
        "name does not resolve",
    ];
    if gone.iter().any(|g| lower.contains(g)) {
        TransportKind::UnknownHost
    } else {
        TransportKind::Dns(text)
    }
}

/// The deepest message of the chain (the root cause, without reqwest's wrapping).
fn innermost(e: &(dyn StdError + 'static)) -> String {
    let mut last = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        last = s.to_string();
        cur = s.source();
    }
    last
}

#[cfg(test)]
#[path = "transport_tests.rs"]
mod tests;
