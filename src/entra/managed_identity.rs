//! Managed identity token sources, one type per hosting environment, detected in the
//! Azure SDKs' order: App Service / Functions / Container Apps, Azure Arc, Cloud Shell,
//! then IMDS. An explicit endpoint (the provider's `msi_endpoint`) wins over detection.

use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;

use super::http::describe;
use super::retry::{self, Attempt, Backoff, Deadline, Interrupted};
use super::token::TokenCache;
use super::{AccessToken, Secret};

pub const IMDS_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// Which user-assigned identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// The host's only (or system-assigned) identity.
    Default,
    ClientId(String),
    ObjectId(String),
    ResourceId(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    AppService { endpoint: String, header: Secret },
    AzureArc { endpoint: String },
    CloudShell { endpoint: String },
    Imds { endpoint: String },
}

impl Source {
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
        let endpoint = match get("AZURE_POD_IDENTITY_AUTHORITY_HOST") {
            Some(host) => format!(
                "{}/metadata/identity/oauth2/token",
                host.trim_end_matches('/')
            ),
            None => IMDS_ENDPOINT.to_string(),
        };
        Source::Imds { endpoint }
    }
}

#[derive(Debug, Clone)]
pub struct MiError {
    pub source: &'static str,
    pub endpoint: String,
    pub cause: String,
}

impl std::fmt::Display for MiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}: {}", self.source, self.endpoint, self.cause)
    }
}

impl From<Interrupted> for MiError {
    fn from(_: Interrupted) -> Self {
        MiError {
            source: "managed identity",
            endpoint: String::new(),
            cause: "cancelled".into(),
        }
    }
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    refresh_in: Option<serde_json::Value>,
}

/// Fetches managed identity tokens from one source, caching per (identity, resource) and
/// letting concurrent callers share one request.
pub struct ManagedIdentity {
    source: Source,
    http: reqwest::Client,
    cache: TokenCache<(Identity, String)>,
    backoff: Backoff,
    /// IMDS's documented minimum total retry time for 410 (instance upgrading).
    gone_window: Duration,
    arc_key_dir: std::path::PathBuf,
    requests: std::sync::atomic::AtomicU64,
}

impl ManagedIdentity {
    pub fn new(source: Source, http: reqwest::Client) -> ManagedIdentity {
        ManagedIdentity {
            source,
            http,
            cache: TokenCache::default(),
            backoff: Backoff {
                base: Duration::from_millis(800),
                max: Duration::from_secs(20),
            },
            gone_window: Duration::from_secs(70),
            arc_key_dir: default_arc_key_dir(),
            requests: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Short waits for tests.
    pub fn with_backoff(mut self, backoff: Backoff, gone_window: Duration) -> Self {
        self.backoff = backoff;
        self.gone_window = gone_window;
        self
    }

    pub fn with_arc_key_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.arc_key_dir = dir;
        self
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// How many token requests reached the endpoint (cache hits excluded).
    pub fn request_count(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A token for `resource` (an audience like `api://AzureADTokenExchange`, or a
    /// resource URI), from cache while more than 5 minutes remain.
    pub async fn get_token(
        &self,
        identity: &Identity,
        resource: &str,
        d: &Deadline,
    ) -> Result<AccessToken, MiError> {
        self.cache
            .get_or_fetch(&(identity.clone(), resource.to_string()), || {
                self.fetch(identity, resource, d)
            })
            .await
    }

    /// Drops a cached token (e.g. Entra said the assertion expired).
    pub async fn forget(&self, identity: &Identity, resource: &str) {
        self.cache
            .forget(&(identity.clone(), resource.to_string()))
            .await;
    }

    fn err(&self, cause: impl Into<String>) -> MiError {
        MiError {
            source: self.source.name(),
            endpoint: strip_query(self.source.endpoint()),
            cause: cause.into(),
        }
    }

    async fn fetch(
        &self,
        identity: &Identity,
        resource: &str,
        d: &Deadline,
    ) -> Result<AccessToken, MiError> {
        let started = tokio::time::Instant::now();
        retry::run(self.backoff, d, |attempt| async move {
            if attempt >= 8 {
                return Attempt::Fail(self.err(format!("still failing after {attempt} attempts")));
            }
            self.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let resp = match self.request(identity, resource, None).send().await {
                Ok(r) => r,
                Err(e) if e.is_connect() || e.is_timeout() => {
                    return Attempt::Fail(self.err(format!(
                        "{}: no managed identity endpoint reachable — not running on Azure compute with a managed identity, or `msi_endpoint` is wrong",
                        describe(&e)
                    )))
                }
                Err(e) => return Attempt::Retry { error: self.err(describe(&e)), after: None },
            };
            let resp = match (&self.source, resp.status().as_u16()) {
                (Source::AzureArc { .. }, 401) => match self.arc_challenge(&resp) {
                    Ok(secret) => match self.request(identity, resource, Some(&secret)).send().await {
                        Ok(r) => r,
                        Err(e) => return Attempt::Retry { error: self.err(describe(&e)), after: None },
                    },
                    Err(e) => return Attempt::Fail(self.err(e)),
                },
                _ => resp,
            };
            let status = resp.status().as_u16();
            let after = retry::retry_after(resp.headers());
            let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            if (200..300).contains(&status) {
                return match parse_token(&body) {
                    Ok(t) => Attempt::Done(t),
                    Err(e) => Attempt::Fail(self.err(e)),
                };
            }
            let cause = explain(status, &body, identity);
            let retryable = match status {
                410 => started.elapsed() < self.gone_window || attempt < 3,
                404 | 408 | 429 => true,
                s if s >= 500 => true,
                _ => false,
            };
            if retryable {
                Attempt::Retry { error: self.err(cause), after }
            } else {
                Attempt::Fail(self.err(cause))
            }
        })
        .await
    }

    fn request(
        &self,
        identity: &Identity,
        resource: &str,
        arc_secret: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let (id_param, id_value) = match (&self.source, identity) {
            (_, Identity::Default) => (None, None),
            (Source::AppService { .. }, Identity::ClientId(v)) => (Some("client_id"), Some(v)),
            (Source::AppService { .. }, Identity::ObjectId(v)) => (Some("principal_id"), Some(v)),
            (Source::AppService { .. }, Identity::ResourceId(v)) => (Some("mi_res_id"), Some(v)),
            (_, Identity::ClientId(v)) => (Some("client_id"), Some(v)),
            (_, Identity::ObjectId(v)) => (Some("object_id"), Some(v)),
            (_, Identity::ResourceId(v)) => (Some("msi_res_id"), Some(v)),
        };
        let mut query: Vec<(&str, &str)> = Vec::new();
        match &self.source {
            Source::AppService { .. } => query.push(("api-version", "2019-08-01")),
            Source::AzureArc { .. } => query.push(("api-version", "2020-06-01")),
            Source::CloudShell { .. } => {}
            Source::Imds { .. } => query.push(("api-version", "2018-02-01")),
        }
        query.push(("resource", resource));
        if let (Some(p), Some(v)) = (id_param, id_value) {
            query.push((p, v.as_str()));
        }
        match &self.source {
            Source::AppService { endpoint, header } => self
                .http
                .get(endpoint)
                .query(&query)
                .header("X-IDENTITY-HEADER", header.expose()),
            Source::CloudShell { endpoint } => {
                let form: Vec<(&str, &str)> = query
                    .into_iter()
                    .filter(|(k, _)| *k != "api-version")
                    .collect();
                self.http
                    .post(endpoint)
                    .header("Metadata", "true")
                    .form(&form)
            }
            Source::AzureArc { endpoint } => {
                let r = self
                    .http
                    .get(endpoint)
                    .query(&query)
                    .header("Metadata", "true");
                match arc_secret {
                    Some(s) => r.header("Authorization", format!("Basic {s}")),
                    None => r,
                }
            }
            Source::Imds { endpoint } => self
                .http
                .get(endpoint)
                .query(&query)
                .header("Metadata", "true"),
        }
    }

    /// Arc answers 401 with `WWW-Authenticate: Basic realm=<key file>`; the key file must
    /// sit in the agent's token directory, end in `.key` and be small.
    fn arc_challenge(&self, resp: &reqwest::Response) -> Result<String, String> {
        let header = resp
            .headers()
            .get("WWW-Authenticate")
            .and_then(|v| v.to_str().ok())
            .ok_or("Azure Arc answered 401 without a WWW-Authenticate challenge")?;
        let path = header
            .split_once("realm=")
            .map(|(_, p)| p.trim().trim_matches('"'))
            .ok_or("Azure Arc's challenge has no realm (key file path)")?;
        let path = std::path::Path::new(path);
        if path.extension().and_then(|e| e.to_str()) != Some("key") {
            return Err("Azure Arc's key file does not end in .key".into());
        }
        if path.parent() != Some(self.arc_key_dir.as_path()) {
            return Err(format!(
                "Azure Arc's key file is not in the agent's token directory {}",
                self.arc_key_dir.display()
            ));
        }
        let meta = std::fs::metadata(path)
            .map_err(|e| format!("cannot read Azure Arc's key file: {e}"))?;
        if meta.len() > 4096 {
            return Err("Azure Arc's key file is larger than 4096 bytes".into());
        }
        std::fs::read_to_string(path)
            .map(|s| s.trim().to_string())
            .map_err(|e| format!("cannot read Azure Arc's key file: {e}"))
    }
}

fn default_arc_key_dir() -> std::path::PathBuf {
    if cfg!(windows) {
        let base = std::env::var("ProgramData").unwrap_or_else(|_| "C:\\ProgramData".into());
        std::path::Path::new(&base)
            .join("AzureConnectedMachineAgent")
            .join("Tokens")
    } else {
        std::path::PathBuf::from("/var/opt/azcmagent/tokens")
    }
}

/// A failure in words a user can act on.
fn explain(status: u16, body: &[u8], identity: &Identity) -> String {
    let text = String::from_utf8_lossy(body);
    let detail: String = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let d = v
                .get("error_description")
                .or_else(|| v.get("message"))
                .and_then(|x| x.as_str())
                .map(str::to_string);
            let e = v.get("error").and_then(|x| x.as_str()).map(str::to_string);
            d.or(e)
        })
        .unwrap_or_else(|| text.chars().take(200).collect());
    let lower = detail.to_ascii_lowercase();
    if status == 400 && lower.contains("metadata") {
        return format!("HTTP 400 — the endpoint requires the `Metadata: true` header (a proxy may have dropped it): {detail}");
    }
    if status == 400
        && (lower.contains("identity not found")
            || lower.contains("not assigned")
            || lower.contains("unable to load"))
    {
        return format!(
            "HTTP 400 — the identity {} is not assigned to this host: assign the user-assigned identity to the VM/App, or fix `managed_identity_client_id`/`msi_client_id`: {detail}",
            match identity {
                Identity::Default => "(default)".to_string(),
                Identity::ClientId(v) | Identity::ObjectId(v) | Identity::ResourceId(v) => format!("{v:?}"),
            }
        );
    }
    if status == 407 || text.trim_start().starts_with("<") {
        return format!("HTTP {status} — an HTTP proxy seems to be in the way; managed identity endpoints must be reached directly (set NO_PROXY for 169.254.169.254)");
    }
    format!("HTTP {status}: {detail}")
}

fn parse_token(body: &[u8]) -> Result<AccessToken, String> {
    let b: TokenBody = serde_json::from_slice(body)
        .map_err(|_| "the token response is not valid JSON".to_string())?;
    let now = OffsetDateTime::now_utc();
    let expires_on = b
        .expires_on
        .as_ref()
        .and_then(parse_expires_on)
        .or_else(|| {
            b.expires_in
                .as_ref()
                .and_then(number)
                .map(|s| now + time::Duration::seconds(s))
        })
        .unwrap_or(now + time::Duration::hours(1));
    let mut token = AccessToken::new(Secret::new(b.access_token), expires_on);
    token.refresh_on = b
        .refresh_in
        .as_ref()
        .and_then(number)
        .map(|s| now + time::Duration::seconds(s));
    Ok(token)
}

fn number(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `expires_on`: epoch seconds (number or string) or a date like
/// `11/24/2026 13:00:00 +00:00` (App Service 2017-09-01).
pub fn parse_expires_on(v: &serde_json::Value) -> Option<OffsetDateTime> {
    if let Some(secs) = number(v) {
        return OffsetDateTime::from_unix_timestamp(secs).ok();
    }
    let s = v.as_str()?.trim();
    let fmt = time::macros::format_description!(
        "[month padding:none]/[day padding:none]/[year] [hour padding:none]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
    );
    OffsetDateTime::parse(s, &fmt)
        .ok()
        .or_else(|| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn expiry_formats() {
        let epoch = serde_json::json!("1795000000");
        assert_eq!(
            parse_expires_on(&epoch).map(|t| t.unix_timestamp()),
            Some(1795000000)
        );
        assert_eq!(
            parse_expires_on(&serde_json::json!(1795000000)).map(|t| t.unix_timestamp()),
            Some(1795000000)
        );
        let date = serde_json::json!("11/24/2026 13:00:00 +00:00");
        assert!(parse_expires_on(&date).is_some());
        assert!(parse_expires_on(&serde_json::json!("soon")).is_none());
    }

    #[test]
    fn causes_in_words() {
        let unassigned = br#"{"error":"invalid_request","error_description":"Identity not found"}"#;
        assert!(explain(400, unassigned, &Identity::ClientId("x".into())).contains("not assigned"));
        let header = br#"{"error":"invalid_request","error_description":"Required metadata header not specified"}"#;
        assert!(explain(400, header, &Identity::Default).contains("Metadata: true"));
        assert!(explain(502, b"<html>proxy</html>", &Identity::Default).contains("proxy"));
    }
}
