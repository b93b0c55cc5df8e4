//! Microsoft Graph v1.0 client for applications' federated identity credentials.
//!
//! Every call sends a fresh `client-request-id`, records Graph's `request-id`, retries
//! under [`Policy::GRAPH`] (429, 503, 504 and connection failures, honouring
//! `Retry-After`, until the operation's deadline) and turns OData errors into
//! [`GraphError`]s that say what they mean.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use super::graph_error::{codes, CreateFailed, GraphError, GraphErrorKind};
use super::graph_error::{ended_with, odata_error};
use super::http::TransportError;
use super::ids::{AppKey, ClientId, ObjectId};
use super::retry::{self, Attempt, Backoff, Deadline, Interrupted, OnStop, Policy};
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
    /// The typed id it names; `None` when its text is not a GUID (Graph answers such an
    /// id with an error of its own, so it is asked as given).
    pub fn key(&self) -> Option<AppKey> {
        match self {
            AppRef::ObjectId(id) => ObjectId::parse(id).map(AppKey::Object),
            AppRef::ClientId(id) => ClientId::parse(id).map(AppKey::Client),
        }
    }

    fn path(&self) -> String {
        match self {
            AppRef::ObjectId(id) => format!("applications/{id}"),
            AppRef::ClientId(id) => format!("applications(appId='{}')", odata_key(id)),
        }
    }
}

impl From<&AppKey> for AppRef {
    fn from(key: &AppKey) -> AppRef {
        match key {
            AppKey::Object(id) => AppRef::ObjectId(id.to_string()),
            AppKey::Client(id) => AppRef::ClientId(id.to_string()),
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

#[derive(Deserialize)]
struct Page<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// Calls Graph (applications, their federated identity credentials, service principals),
/// signed in with one method. Cloning is cheap: the HTTP client and the sign-in are
/// shared handles.
#[derive(Clone)]
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
        url: String,
        max_pages: usize,
        d: &Deadline,
    ) -> Result<Option<Vec<T>>, GraphError> {
        let (items, complete) = self.first_pages(url, max_pages, d).await?;
        Ok(complete.then_some(items))
    }

    /// The items of the first `max_pages` pages of a collection at `url`, and whether
    /// they are all of it.
    pub(super) async fn first_pages<T: for<'de> Deserialize<'de>>(
        &self,
        mut url: String,
        max_pages: usize,
        d: &Deadline,
    ) -> Result<(Vec<T>, bool), GraphError> {
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
                None => return Ok((out, true)),
            }
        }
        Ok((out, false))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_ref_names_a_typed_id_when_it_is_a_guid() {
        const ID: &str = "0A1D7C3E-1F2A-4B5C-8D9E-0F1A2B3C4D01";
        let object = ObjectId::parse(ID).map(AppKey::Object);
        let client = ClientId::parse(ID).map(AppKey::Client);
        // (ref, the key it names)
        let cases = [
            (AppRef::ObjectId(ID.into()), object.clone()),
            (AppRef::ObjectId(ID.to_ascii_lowercase()), object.clone()),
            (AppRef::ClientId(ID.into()), client.clone()),
            (AppRef::ObjectId("not-a-guid".into()), None),
            (AppRef::ClientId(String::new()), None),
        ];
        for (app, want) in cases {
            assert_eq!(app.key(), want, "{app:?}");
        }
        assert_ne!(object, client);
        for key in [object, client].into_iter().flatten() {
            let back = AppRef::from(&key);
            assert_eq!(back.key(), Some(key));
            assert!(back.path().contains(&ID.to_ascii_lowercase()), "{back:?}");
        }
    }
}
