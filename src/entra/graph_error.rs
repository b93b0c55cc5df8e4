//! What went wrong with a Graph request: [`GraphError`], one [`GraphErrorKind`] per cause,
//! Graph's own `code` (never its English message) for conflicts, and how a retried
//! request ended. Apart from [`super::graph`], which makes the requests.

use serde::Deserialize;

use super::http::TransportError;
use super::retry::{Ending, GaveUp, Interrupted};

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

/// The last error of a retried request, told with how the retries ended: the timeout
/// reached (with how many tries over how long), or as it was.
pub(super) fn ended_with(mut e: GraphError, end: Ending) -> GraphError {
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

pub(super) fn odata_error(
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
