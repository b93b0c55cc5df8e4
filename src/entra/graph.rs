//! Microsoft Graph v1.0 client for applications' federated identity credentials.
//!
//! Every call sends a fresh `client-request-id`, records Graph's `request-id`, retries
//! under [`Policy::GRAPH`] (429, 503, 504 and connection failures, honouring
//! `Retry-After`, until the operation's deadline) and turns OData errors into
//! [`GraphError`]s that say what they mean.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::http::TransportError;
use super::retry::{self, Attempt, Backoff, Deadline, Ending, GaveUp, Interrupted, OnStop, Policy};
use super::signin::SignInMethod;

/// An application named by object id or by client id (`appId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppRef {
    /// The application object's id.
    ObjectId(String),
    /// The application's client id (`appId`).
    ClientId(String),
}

impl AppRef {
    fn path(&self) -> String {
        match self {
            AppRef::ObjectId(id) => format!("applications/{id}"),
            AppRef::ClientId(id) => format!("applications(appId='{}')", odata_key(id)),
        }
    }
}

/// An app registration as Graph returns it (`$select=id,appId,displayName`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppRegistration {
    /// The application object's id.
    pub id: String,
    /// The client id.
    pub app_id: String,
    /// The display name, when Graph returns one.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A federated identity credential as Graph returns it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct FederatedCredential {
    /// Graph's id of the credential.
    pub id: String,
    /// Unique per application; immutable.
    pub name: String,
    /// The trusted token issuer.
    pub issuer: String,
    /// The `sub` trusted tokens carry.
    pub subject: String,
    /// The `aud` trusted tokens carry (exactly one).
    pub audiences: Vec<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

impl FederatedCredential {
    /// Same trust (what Graph would store for `c`).
    pub fn same_content(&self, c: &NewCredential) -> bool {
        self.name == c.name
            && self.issuer == c.issuer
            && self.subject == c.subject
            && self.audiences == c.audiences
            && self.description.as_deref().unwrap_or("") == c.description.as_deref().unwrap_or("")
    }
}

/// A credential as written to Graph: the POST body, and (without `name`) the PATCH body.
/// [`FederatedCredential`] is the same with Graph's `id`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NewCredential {
    /// 3-120 characters, unique per application, immutable.
    pub name: String,
    /// The issuer tokens must carry (`iss`).
    pub issuer: String,
    /// The subject tokens must carry (`sub`).
    pub subject: String,
    /// Exactly one audience tokens must carry (`aud`).
    pub audiences: Vec<String>,
    /// Free text, at most 600 characters.
    pub description: Option<String>,
}

impl NewCredential {
    /// The credential Graph holds once this was written under `id`.
    pub fn stored_as(self, id: &str) -> FederatedCredential {
        FederatedCredential {
            id: id.to_string(),
            name: self.name,
            issuer: self.issuer,
            subject: self.subject,
            audiences: self.audiences,
            description: self.description,
        }
    }
}

/// The PATCH body: `name` is immutable in Graph and so is never sent.
#[derive(Serialize)]
struct PatchBody<'a> {
    issuer: &'a str,
    subject: &'a str,
    audiences: &'a [String],
    description: Option<&'a str>,
}

/// What kind of failure a [`GraphError`] is; each means one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphErrorKind {
    /// 404.
    NotFound,
    /// 409.
    Conflict,
    /// 429, given up before the timeout (a `Retry-After` longer than the time left is
    /// [`GraphErrorKind::TimedOut`]).
    Throttled,
    /// 403.
    Forbidden,
    /// 401.
    Unauthorized,
    /// Another 4xx.
    BadRequest,
    /// A 5xx answer no retry is expected to fix (Graph's policy retries 503 and 504).
    Server,
    /// An answer that could not be used: not the JSON expected, or a next page link
    /// outside Graph (never followed).
    Malformed,
    /// No answer: the transport error in the message says which (refused, proxy, TLS,
    /// connect or response timeout, redirect, ...).
    Transport,
    /// The operation's timeout was reached: during an attempt, or before the next one
    /// could start. `status` holds the last answer's, if any.
    TimedOut,
    /// Signing in failed.
    SignIn,
    /// Terraform stopped the operation.
    Cancelled,
}

/// Graph's OData error codes the provider acts on. Decisions are made on these codes,
/// never on the English message text, which Graph may reword at any time.
pub mod codes {
    /// A credential of this name already exists on the application (409).
    pub const NAME_TAKEN: &str = "Request_MultipleObjectsWithSameKeyValue";
    /// Graph refused a credential value: among others, an issuer+subject pair another
    /// credential of the application already has (400).
    pub const INVALID_CREDENTIAL_VALUE: &str = "InvalidFederatedIdentityCredentialValue";
    /// The signed-in principal lacks a permission or role (403).
    pub const REQUEST_DENIED: &str = "Authorization_RequestDenied";
}

/// A create that failed, and whether an earlier attempt of its POST was sent without an
/// answer coming back (lost, or timed out): only then may a credential of its name be
/// this create's own.
#[derive(Debug, Clone)]
pub struct CreateFailed {
    /// The last attempt's error.
    pub error: GraphError,
    /// An earlier attempt of this POST may have been applied by Graph.
    pub earlier_post_unanswered: bool,
}

/// A failed Graph call, with what it means and the ids Microsoft support asks for.
#[derive(Debug, Clone)]
pub struct GraphError {
    /// What kind of failure.
    pub kind: GraphErrorKind,
    /// The HTTP status, when Graph answered.
    pub status: Option<u16>,
    /// The OData error code (or the sign-in method, for sign-in failures).
    pub code: String,
    /// Graph's message, or ours when Graph did not answer.
    pub message: String,
    /// Graph's `request-id`.
    pub request_id: Option<String>,
    /// The `client-request-id` we sent.
    pub client_request_id: Option<String>,
}

impl GraphError {
    /// An error of ours (Graph did not answer, or its answer could not be read).
    pub(crate) fn new(kind: GraphErrorKind, message: impl Into<String>) -> GraphError {
        GraphError {
            kind,
            status: None,
            code: String::new(),
            message: message.into(),
            request_id: None,
            client_request_id: None,
        }
    }

    /// A request that got no answer: which kind (read or write) and why.
    pub(crate) fn transport(method: &reqwest::Method, t: &TransportError) -> GraphError {
        let what = if method == reqwest::Method::GET {
            "read"
        } else {
            "write"
        };
        GraphError::new(
            GraphErrorKind::Transport,
            format!("Graph {what} ({method}) got no answer: {t}"),
        )
    }

    /// The heading and text of a diagnostic for this error, when `attempted` (e.g. "Cannot
    /// read application X") failed with it. A sign-in failure is headed as one, whatever the
    /// operation needed the token for.
    pub fn headed(&self, attempted: &str) -> (String, String) {
        if self.kind == GraphErrorKind::SignIn {
            let detail = format!("{self}\n\n(Needed for: {attempted}.)");
            return ("Cannot sign in to Microsoft Graph".into(), detail);
        }
        (attempted.to_string(), self.to_string())
    }

    /// Whether Graph said 404.
    pub fn is_not_found(&self) -> bool {
        self.kind == GraphErrorKind::NotFound
    }

    /// Whether Graph refused a create because the name is taken: its 409 or its code.
    pub fn is_name_taken(&self) -> bool {
        self.code == codes::NAME_TAKEN
            || (self.kind == GraphErrorKind::Conflict && self.code.is_empty())
    }

    /// What the error means for a Terraform user, before the raw details.
    pub fn meaning(&self) -> String {
        match (self.kind, self.code.as_str()) {
            (_, codes::REQUEST_DENIED) | (GraphErrorKind::Forbidden, _) => "The signed-in principal may not change this application's credentials: grant it the Microsoft Graph application permission Application.ReadWrite.All (or Application.ReadWrite.OwnedBy and make it an owner of the application), with admin consent; or give it the Application Administrator / Cloud Application Administrator role.".into(),
            (_, codes::NAME_TAKEN) => "A federated identity credential with this name already exists on the application (names are unique per application).".into(),
            (_, codes::INVALID_CREDENTIAL_VALUE) => "Graph refused a credential value (for example the same issuer and subject as another credential, an issuer the tenant's app management policy does not allow, or a limit).".into(),
            (GraphErrorKind::NotFound, _) => "Not found: the application or credential does not exist (or has not replicated yet).".into(),
            (GraphErrorKind::Unauthorized, _) => "Graph did not accept the access token: it is missing, expired, or issued for another audience than Microsoft Graph.".into(),
            (GraphErrorKind::TimedOut, _) => match self.status {
                Some(429) => "Graph kept throttling the requests until the operation's timeout.".into(),
                Some(s) if s >= 500 => format!("Graph kept answering HTTP {s} (a server error) until the operation's timeout."),
                _ => "Graph gave no usable answer before the operation's timeout.".into(),
            },
            (GraphErrorKind::Throttled, _) => "Graph throttled the request.".into(),
            (GraphErrorKind::Server, _) => "Graph failed the request with a server error (5xx) that a retry is not expected to fix.".into(),
            (GraphErrorKind::Malformed, _) => "Graph's answer could not be read: it is not the JSON this provider expects (a proxy or another server may have answered).".into(),
            (GraphErrorKind::Transport, _) => "Graph could not be reached.".into(),
            (GraphErrorKind::SignIn, "") => "Signing in to Microsoft Graph failed.".into(),
            (GraphErrorKind::SignIn, method) => format!("Signing in to Microsoft Graph failed (sign-in method: {method})."),
            (GraphErrorKind::Cancelled, _) => "The operation was cancelled.".into(),
            _ => "Microsoft Graph refused the request.".into(),
        }
    }
}

impl From<Interrupted> for GraphError {
    fn from(i: Interrupted) -> Self {
        match i {
            Interrupted::Cancelled => {
                GraphError::new(GraphErrorKind::Cancelled, "cancelled by Terraform")
            }
            Interrupted::TimedOut => GraphError::new(
                GraphErrorKind::TimedOut,
                "no answer before the operation's timeout",
            ),
        }
    }
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.meaning())?;
        // Graph's answer: "HTTP 403 code X: message"; our own errors: the message alone
        // (a sign-in failure's method is already in the meaning).
        let mut answer: Vec<String> = Vec::new();
        if let Some(s) = self.status {
            answer.push(format!("HTTP {s}"));
        }
        if !self.code.is_empty() && self.kind != GraphErrorKind::SignIn {
            answer.push(format!("code {}", self.code));
        }
        let head = answer.join(" ");
        match (head.is_empty(), self.message.is_empty()) {
            (false, false) => write!(f, "\n\n{head}: {}", self.message)?,
            (false, true) => write!(f, "\n\n{head}")?,
            (true, false) => write!(f, "\n\n{}", self.message)?,
            (true, true) => {}
        }
        if let Some(r) = &self.request_id {
            write!(f, "\nrequest-id: {r}")?;
        }
        if let Some(c) = &self.client_request_id {
            write!(f, "\nclient-request-id: {c}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct ODataError {
    error: ODataErrorBody,
}

#[derive(Deserialize)]
struct ODataErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(rename = "innerError", default)]
    inner: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Page<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// Calls Graph (applications, their federated identity credentials, service principals),
/// signed in with one method.
pub struct GraphClient {
    http: reqwest::Client,
    /// `{graph_endpoint}/v1.0`.
    pub(super) base: String,
    scope: String,
    signin: Arc<dyn SignInMethod>,
    policy: Policy,
}

impl GraphClient {
    /// `graph_endpoint` is where requests go, e.g. `https://graph.microsoft.com`;
    /// `scope_host` the cloud's Graph host that tokens are requested for (they differ
    /// when `graph_endpoint` points at an emulator or a proxy).
    pub fn new(
        http: reqwest::Client,
        graph_endpoint: &str,
        scope_host: &str,
        signin: Arc<dyn SignInMethod>,
    ) -> GraphClient {
        GraphClient {
            http,
            base: format!("{}/v1.0", graph_endpoint.trim_end_matches('/')),
            scope: format!("{}/.default", scope_host.trim_end_matches('/')),
            signin,
            policy: Policy::GRAPH,
        }
    }

    /// Short waits for tests.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.policy = self.policy.with_backoff(backoff);
        self
    }

    /// The application's ids and name.
    pub async fn get_application(
        &self,
        app: &AppRef,
        d: &Deadline,
    ) -> Result<AppRegistration, GraphError> {
        let url = format!("{}/{}?$select=id,appId,displayName", self.base, app.path());
        let body = self.send(reqwest::Method::GET, &url, None, d).await?;
        parse(&body)
    }

    /// Every federated identity credential of the application, all pages.
    pub async fn list_credentials(
        &self,
        app: &AppRef,
        d: &Deadline,
    ) -> Result<Vec<FederatedCredential>, GraphError> {
        let url = format!("{}/{}/federatedIdentityCredentials", self.base, app.path());
        self.get_all(url, d).await
    }

    /// Every item of a collection at `url`, following `@odata.nextLink` to the end.
    pub(super) async fn get_all<T: for<'de> Deserialize<'de>>(
        &self,
        url: String,
        d: &Deadline,
    ) -> Result<Vec<T>, GraphError> {
        Ok(self
            .get_pages(url, usize::MAX, d)
            .await?
            .unwrap_or_default())
    }

    /// The items of a collection at `url` when it has at most `max_pages` pages; `None`
    /// when there are more (the rest is not read).
    pub(super) async fn get_pages<T: for<'de> Deserialize<'de>>(
        &self,
        mut url: String,
        max_pages: usize,
        d: &Deadline,
    ) -> Result<Option<Vec<T>>, GraphError> {
        let mut out = Vec::new();
        for _ in 0..max_pages {
            let body = self.send(reqwest::Method::GET, &url, None, d).await?;
            let page: Page<T> = parse(&body)?;
            out.extend(page.value);
            match page.next_link {
                // The bearer token goes with the next request: only to this Graph.
                Some(next) if next.starts_with(&format!("{}/", self.base)) => url = next,
                Some(next) => {
                    return Err(GraphError::new(
                        GraphErrorKind::Malformed,
                        format!("Graph's next page link {next} is not under {}; it was not followed, so the bearer token stays with Graph", self.base),
                    ))
                }
                None => return Ok(Some(out)),
            }
        }
        Ok(None)
    }

    /// One credential by id or name.
    pub async fn get_credential(
        &self,
        app: &AppRef,
        id_or_name: &str,
        d: &Deadline,
    ) -> Result<FederatedCredential, GraphError> {
        let url = self.credential_url(app, id_or_name);
        let body = self.send(reqwest::Method::GET, &url, None, d).await?;
        parse(&body)
    }

    /// Creates a credential; Graph answers with it. A failure says whether an earlier
    /// attempt of this POST was sent and got no answer (so it may have been applied).
    pub async fn create_credential(
        &self,
        app: &AppRef,
        c: &NewCredential,
        d: &Deadline,
    ) -> Result<FederatedCredential, CreateFailed> {
        let url = format!("{}/{}/federatedIdentityCredentials", self.base, app.path());
        let unanswered = AtomicBool::new(false);
        let failed = |error| CreateFailed {
            error,
            earlier_post_unanswered: unanswered.load(Ordering::SeqCst),
        };
        let body = serde_json::to_vec(c)
            .map_err(|e| failed(GraphError::new(GraphErrorKind::BadRequest, e.to_string())))?;
        let resp = self
            .send_noting(reqwest::Method::POST, &url, Some(body), &[], d, &unanswered)
            .await
            .map_err(failed)?;
        parse(&resp).map_err(failed)
    }

    /// Changes a credential's issuer, subject, audiences and description to `c`'s (its
    /// name cannot change).
    pub async fn update_credential(
        &self,
        app: &AppRef,
        id: &str,
        c: &NewCredential,
        d: &Deadline,
    ) -> Result<(), GraphError> {
        let url = self.credential_url(app, id);
        let patch = PatchBody {
            issuer: &c.issuer,
            subject: &c.subject,
            audiences: &c.audiences,
            description: c.description.as_deref(),
        };
        let body = serde_json::to_vec(&patch)
            .map_err(|e| GraphError::new(GraphErrorKind::BadRequest, e.to_string()))?;
        self.send(reqwest::Method::PATCH, &url, Some(body), d)
            .await
            .map(|_| ())
    }

    /// The URL of one credential of `app`, by id (or by name: Graph accepts both).
    fn credential_url(&self, app: &AppRef, id: &str) -> String {
        format!(
            "{}/{}/federatedIdentityCredentials/{}",
            self.base,
            app.path(),
            path_segment(id)
        )
    }

    /// Deletes a credential.
    pub async fn delete_credential(
        &self,
        app: &AppRef,
        id: &str,
        d: &Deadline,
    ) -> Result<(), GraphError> {
        let url = self.credential_url(app, id);
        self.send(reqwest::Method::DELETE, &url, None, d)
            .await
            .map(|_| ())
    }

    /// A token for Graph (cached by the sign-in method). After Terraform's Stop it is
    /// the cancellation, so that a request not sent yet is not sent.
    pub async fn token(&self, d: &Deadline) -> Result<super::AccessToken, GraphError> {
        match self.signin.get_token(&self.scope, d).await {
            Ok(_) | Err(_) if d.is_cancelled() => Err(Interrupted::Cancelled.into()),
            Ok(t) => Ok(t),
            Err(e) => {
                let mut err = GraphError::new(GraphErrorKind::SignIn, e.message);
                err.code = e.method.to_string();
                Err(err)
            }
        }
    }

    /// One logical request with retries. Connection failures are retried for every
    /// method: the callers make writes idempotent (a create that already happened shows
    /// as a name conflict with identical content and is adopted). A write already sent
    /// when Terraform stops runs to its answer ([`OnStop::Finish`]); one not sent yet
    /// is not sent.
    pub(super) async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Vec<u8>>,
        d: &Deadline,
    ) -> Result<Vec<u8>, GraphError> {
        self.send_with(method, url, body, &[], d).await
    }

    /// [`GraphClient::send`] with extra request headers (an advanced query's
    /// `ConsistencyLevel: eventual`).
    pub(super) async fn send_with(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Vec<u8>>,
        headers: &[(&'static str, &'static str)],
        d: &Deadline,
    ) -> Result<Vec<u8>, GraphError> {
        self.send_noting(method, url, body, headers, d, &AtomicBool::new(false))
            .await
    }

    /// [`GraphClient::send_with`], setting `unanswered` when an attempt was sent (or may
    /// have been) and its answer was lost or timed out: a write may have been applied then.
    async fn send_noting(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Vec<u8>>,
        headers: &[(&'static str, &'static str)],
        d: &Deadline,
        unanswered: &AtomicBool,
    ) -> Result<Vec<u8>, GraphError> {
        let on_stop = if method == reqwest::Method::GET {
            OnStop::Abandon
        } else {
            OnStop::Finish
        };
        let ended = retry::run_counted(&self.policy, d, on_stop, |_| {
            let method = method.clone();
            let body = body.clone();
            async move {
                let token = match self.token(d).await {
                    Ok(t) => t,
                    Err(e) => return Attempt::Fail(e),
                };
                let client_request_id = uuid::Uuid::new_v4().to_string();
                let mut req = self
                    .http
                    .request(method.clone(), url)
                    .bearer_auth(token.token.expose())
                    .header("client-request-id", &client_request_id)
                    .header("return-client-request-id", "true");
                for (name, value) in headers {
                    req = req.header(*name, *value);
                }
                if let Some(b) = body {
                    req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(b);
                }
                let started = std::time::Instant::now();
                let resp = match req.send().await {
                    Ok(r) => r,
                    Err(e) => {
                        // A failed connect never sent the request; anything later may have.
                        if !e.is_connect() {
                            unanswered.store(true, Ordering::SeqCst);
                        }
                        return TransportError::from_reqwest(&e).attempt(|t| {
                            let mut err = GraphError::transport(&method, &t);
                            err.client_request_id = Some(client_request_id);
                            err
                        });
                    }
                };
                let status = resp.status();
                let request_id = resp.headers().get("request-id").and_then(|v| v.to_str().ok()).map(str::to_string);
                let after = retry::retry_after(resp.headers());
                let bytes = match resp.bytes().await {
                    Ok(b) => b.to_vec(),
                    Err(e) => {
                        unanswered.store(true, Ordering::SeqCst);
                        return TransportError::from_reqwest(&e).attempt(|t| {
                            let mut err = GraphError::transport(&method, &t);
                            err.request_id = request_id;
                            err.client_request_id = Some(client_request_id);
                            err
                        });
                    }
                };
                tracing::debug!(%method, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, request_id = request_id.as_deref().unwrap_or(""), "Graph request");
                if status.is_success() {
                    return Attempt::Done(bytes);
                }
                // A gateway timeout: the request reached Graph, its outcome is unknown.
                if status == reqwest::StatusCode::GATEWAY_TIMEOUT {
                    unanswered.store(true, Ordering::SeqCst);
                }
                Attempt::Answered {
                    status: status.as_u16(),
                    error: odata_error(status.as_u16(), &bytes, request_id, client_request_id),
                    retry_after: after,
                }
            }
        })
        .await;
        ended.map_err(|(e, end)| ended_with(e, end))
    }
}

/// The last error of a retried request, told with how the retries ended: the timeout
/// reached (with how many tries over how long), or as it was.
fn ended_with(mut e: GraphError, end: Ending) -> GraphError {
    let timed_out = end.why == GaveUp::TimeoutReached
        || (end.why == GaveUp::Interrupted && e.kind == GraphErrorKind::TimedOut);
    if timed_out {
        e.kind = GraphErrorKind::TimedOut;
    }
    if end.tries > 1 && (timed_out || end.why == GaveUp::OutOfAttempts) {
        let tries = format!(
            "{} tries over {:.1} s",
            end.tries,
            end.elapsed.as_secs_f64()
        );
        e.message = if e.message.is_empty() {
            tries
        } else {
            format!("{}; {tries}", e.message)
        };
    }
    e
}

fn odata_error(
    status: u16,
    body: &[u8],
    request_id: Option<String>,
    client_request_id: String,
) -> GraphError {
    let kind = match status {
        404 => GraphErrorKind::NotFound,
        409 => GraphErrorKind::Conflict,
        429 => GraphErrorKind::Throttled,
        403 => GraphErrorKind::Forbidden,
        401 => GraphErrorKind::Unauthorized,
        400..=499 => GraphErrorKind::BadRequest,
        _ => GraphErrorKind::Server,
    };
    let (code, message, inner_request_id) = match serde_json::from_slice::<ODataError>(body) {
        Ok(e) => {
            let rid = e
                .error
                .inner
                .as_ref()
                .and_then(|i| i.get("request-id"))
                .and_then(|v| v.as_str())
                .map(str::to_string);
            (e.error.code, e.error.message, rid)
        }
        Err(_) => (
            String::new(),
            format!("HTTP {status} without an OData error body"),
            None,
        ),
    };
    GraphError {
        kind,
        status: Some(status),
        code,
        message,
        request_id: request_id.or(inner_request_id),
        client_request_id: Some(client_request_id),
    }
}

pub(super) fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, GraphError> {
    serde_json::from_slice(body).map_err(|e| {
        GraphError::new(
            GraphErrorKind::Malformed,
            format!("unexpected Graph response: {e}"),
        )
    })
}

/// Percent-encodes a credential id or name for a URL path segment.
pub(super) fn path_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// A value inside an OData key literal (`(appId='…')`): quotes doubled, as OData escapes
/// them, then kept in its URL segment.
pub(super) fn odata_key(s: &str) -> String {
    path_segment(&s.replace('\'', "''"))
}
