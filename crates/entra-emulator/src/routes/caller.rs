//! Who calls Graph, from its bearer token: the tenant, the client and the application
//! permissions it holds, and whether it may read or write applications (all of them, or
//! with `Application.ReadWrite.OwnedBy` only those it owns).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::odata::err;
use super::token::{GRAPH_APP_ID, GRAPH_RESOURCE};
use super::Req;
use crate::seed::SeedApplication;
use crate::tokens::{claim_text, now};
use crate::Shared;

const WRITE: &str = "Application.ReadWrite.All";
/// Reads and writes only the applications the caller owns.
const OWNED_BY: &str = "Application.ReadWrite.OwnedBy";
const READS: [&str; 3] = [
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
];

/// A caller allowed to use the applications API: its tenant and, when it holds only
/// `Application.ReadWrite.OwnedBy`, its principal id (it may use only the applications
/// it owns).
pub(super) struct AppAccess {
    pub tenant: String,
    owner_only: Option<String>,
}

impl AppAccess {
    /// Whether the caller may read or change `app`.
    pub fn may_use(&self, app: &SeedApplication) -> bool {
        self.owner_only
            .as_ref()
            .is_none_or(|me| app.owners.iter().any(|o| o.eq_ignore_ascii_case(me)))
    }
}

#[allow(clippy::result_large_err)] // the error is the answer, built once per request
pub(super) fn authorize_apps(
    shared: &Shared,
    req: &Req,
    write: bool,
) -> Result<AppAccess, Response> {
    match authorize_caller(shared, req, write) {
        Ok(caller) => Ok(AppAccess {
            tenant: caller.tenant,
            owner_only: None,
        }),
        Err(refused) => {
            // The token is valid but lacks the tenant-wide permission: OwnedBy may do.
            let Ok(claims) = verified_claims(shared, req) else {
                return Err(refused);
            };
            let roles = super::strings(claims.get("roles")).unwrap_or_default();
            if !roles.iter().any(|r| r == OWNED_BY) {
                return Err(refused);
            }
            Ok(AppAccess {
                tenant: claim_text(&claims, "tid"),
                owner_only: Some(claim_text(&claims, "oid")),
            })
        }
    }
}

/// Who calls Graph, from its token.
pub(super) struct Caller {
    /// The tenant (`tid`).
    pub tenant: String,
    /// The client id (`appid`).
    pub app: String,
    /// The Graph application permissions granted (`roles`).
    pub roles: Vec<String>,
}

/// The caller, when its token may do this.
#[allow(clippy::result_large_err)] // the error is the answer, built once per request
pub(super) fn authorize_caller(
    shared: &Shared,
    req: &Req,
    write: bool,
) -> Result<Caller, Response> {
    let claims = verified_claims(shared, req)?;
    let roles = super::strings(claims.get("roles")).unwrap_or_default();
    let allowed = if write {
        roles.iter().any(|r| r == WRITE)
    } else {
        roles.iter().any(|r| READS.contains(&r.as_str()))
    };
    if !allowed {
        return Err(forbidden(req));
    }
    Ok(Caller {
        tenant: claim_text(&claims, "tid"),
        app: claim_text(&claims, "appid"),
        roles,
    })
}

pub(super) fn forbidden(req: &Req) -> Response {
    err(
        req,
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
}

/// The claims of the request's bearer token, when it is one of ours, unexpired, for Graph.
#[allow(clippy::result_large_err)] // the error is the answer, built once per request
fn verified_claims(shared: &Shared, req: &Req) -> Result<serde_json::Map<String, Value>, Response> {
    let unauthorized = |m: &str| {
        err(
            req,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            m,
        )
    };
    let token = req
        .header("Authorization")
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .ok_or_else(|| unauthorized("Access token is empty."))?;
    let claims = shared
        .signer
        .verify_signature(token)
        .map_err(|_| unauthorized("Access token validation failure. Invalid signature."))?;
    if claims.get("exp").and_then(Value::as_i64).unwrap_or(0) < now() {
        return Err(unauthorized(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    let aud = claim_text(&claims, "aud");
    if aud != GRAPH_RESOURCE && aud != GRAPH_APP_ID && aud != format!("{GRAPH_RESOURCE}/") {
        return Err(unauthorized(
            "Access token validation failure. Invalid audience.",
        ));
    }
    Ok(claims)
}
