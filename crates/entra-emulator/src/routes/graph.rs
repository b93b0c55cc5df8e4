//! Microsoft Graph v1.0/beta: applications and their federated identity credentials
//! (service principals are in [`super::service_principals`]), with Graph's rules (shared with the provider through `terraform_provider_entra::rules`), its errors and
//! its permissions.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::token::{GRAPH_APP_ID, GRAPH_RESOURCE};
use super::Req;
use crate::errors::odata;
use crate::seed::SeedApplication;
use crate::state::{Fic, StoredFic};
use crate::tokens::{claim_text, now};
use crate::Shared;
use terraform_provider_entra::rules::{fic, Severity};

const WRITE: &str = "Application.ReadWrite.All";
/// Reads and writes only the applications the caller owns.
const OWNED_BY: &str = "Application.ReadWrite.OwnedBy";
const READS: [&str; 3] = [
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
];

pub(super) fn err(req: &Req, status: StatusCode, code: &str, message: &str) -> Response {
    odata(
        status,
        code,
        message,
        &req.request_id,
        &req.client_request_id,
    )
}

/// A list's `$filter`, which the emulator supports in one form, `{field} eq '{value}'` on
/// one of `fields`: the field and the value, or none without a filter. Anything else gets
/// Graph's 400 `Request_UnsupportedQuery`, not a silently unfiltered list.
#[allow(clippy::result_large_err)] // the error is the answer, built once per request
pub(super) fn eq_filter<'r>(
    req: &'r Req,
    fields: &[&str],
) -> Result<Option<(&'r str, &'r str)>, Response> {
    let Some(filter) = req
        .query("$filter")
        .map(str::trim)
        .filter(|f| !f.is_empty())
    else {
        return Ok(None);
    };
    let parsed = filter.split_once(" eq ").and_then(|(field, value)| {
        let field = field.trim();
        let value = value.trim().strip_prefix('\'')?.strip_suffix('\'')?;
        fields.contains(&field).then_some((field, value))
    });
    match parsed {
        Some(p) => Ok(Some(p)),
        None => Err(err(
            req,
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Unsupported query.",
        )),
    }
}

/// Graph words a missing credential differently when it was asked for by name.
fn credential_not_found(req: &Req, id_or_name: &str) -> Response {
    if terraform_provider_entra::rules::guid::is_guid(id_or_name) {
        not_found(req, id_or_name)
    } else {
        err(
            req,
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!("FederatedIdentityCredential with name {id_or_name} not found."),
        )
    }
}

pub(super) fn not_found(req: &Req, what: &str) -> Response {
    err(req, StatusCode::NOT_FOUND, "Request_ResourceNotFound", &format!("Resource '{what}' does not exist or one of its queried reference-property objects are not present."))
}

enum AppKey {
    ObjectId(String),
    ClientId(String),
}

/// Splits `/v1.0/applications/{id}/…` or `/v1.0/applications(appId='…')/…`.
fn parse(segs: &[&str]) -> Option<(Option<AppKey>, Vec<String>)> {
    match segs {
        [_, "applications"] => Some((None, vec![])),
        [_, "applications", id, rest @ ..] => Some((
            Some(AppKey::ObjectId(id.to_string())),
            rest.iter().map(|s| s.to_string()).collect(),
        )),
        [_, first, rest @ ..] if first.starts_with("applications(") => {
            let inner = first.strip_prefix("applications(")?.strip_suffix(')')?;
            let value = inner.strip_prefix("appId=")?.trim_matches('\'');
            Some((
                Some(AppKey::ClientId(value.to_string())),
                rest.iter().map(|s| s.to_string()).collect(),
            ))
        }
        _ => None,
    }
}

pub fn handle(shared: &Shared, req: &Req) -> Response {
    let segs = req.segments();
    if segs
        .get(1)
        .is_some_and(|s| s.starts_with("servicePrincipals"))
    {
        return super::service_principals::handle(shared, req);
    }
    if let [_, "directoryObjects", "getByIds"] = segs.as_slice() {
        return super::service_principals::get_by_ids(shared, req);
    }
    let Some((key, rest)) = parse(&segs) else {
        return err(
            req,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!(
                "Resource not found for the segment '{}'.",
                segs.get(1).unwrap_or(&"")
            ),
        );
    };
    let needs_write = req.method != Method::GET;
    let caller = match authorize(shared, req, needs_write) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let version = segs.first().copied().unwrap_or("v1.0");
    let ctx_base = format!("https://graph.microsoft.com/{version}/$metadata");

    let Some(key) = key else {
        let may_use = |a: &SeedApplication| caller.may_use(a);
        return super::applications::list(shared, req, &caller.tenant, &may_use, &ctx_base);
    };

    let mut state = shared.lock();
    let found = match &key {
        AppKey::ObjectId(id) => state.app_by_object_id(id),
        AppKey::ClientId(id) => state.app_by_client_id(id),
    };
    let app = match found {
        Some((t, a)) if t.id.eq_ignore_ascii_case(&caller.tenant) => {
            if !caller.may_use(a) {
                return forbidden(req);
            }
            a.clone()
        }
        _ => {
            let id = match &key {
                AppKey::ObjectId(id) | AppKey::ClientId(id) => id.clone(),
            };
            return not_found(req, &id);
        }
    };
    let lag = shared.faults.replication_lag;
    match (req.method.clone(), rest.as_slice()) {
        (Method::GET, []) => {
            let mut v = app_json(&app);
            v["@odata.context"] = json!(format!("{ctx_base}#applications/$entity"));
            Json(v).into_response()
        }
        (Method::GET, [c]) if c == "federatedIdentityCredentials" => {
            let filter = match eq_filter(req, &["name", "subject"]) {
                Ok(f) => f,
                Err(r) => return r,
            };
            let list: Vec<Value> = state
                .visible(&app.object_id, lag)
                .iter()
                .filter(|f| match filter {
                    Some(("name", wanted)) => f.name == wanted,
                    Some((_, wanted)) => f.subject == wanted,
                    None => true,
                })
                .map(fic_json)
                .collect();
            Json(json!({"@odata.context": format!("{ctx_base}#applications('{}')/federatedIdentityCredentials", app.object_id), "value": list})).into_response()
        }
        (Method::POST, [c]) if c == "federatedIdentityCredentials" => {
            create(req, &mut state, &app, &ctx_base)
        }
        (method, [c, id]) if c == "federatedIdentityCredentials" => {
            let all = state.creds_of(&app.object_id);
            let Some(pos) = all
                .iter()
                .position(|s| s.fic.id.eq_ignore_ascii_case(id) || s.fic.name == *id)
            else {
                return credential_not_found(req, id);
            };
            let lagging = all.get(pos).is_some_and(|s| s.created.elapsed() < lag);
            match method {
                Method::GET if lagging => credential_not_found(req, id),
                Method::GET => {
                    let mut v = all
                        .get(pos)
                        .map(|s| fic_json(&s.fic))
                        .unwrap_or(Value::Null);
                    v["@odata.context"] = json!(format!(
                        "{ctx_base}#applications('{}')/federatedIdentityCredentials/$entity",
                        app.object_id
                    ));
                    Json(v).into_response()
                }
                Method::PATCH => patch(req, &mut state, &app, pos),
                Method::DELETE => {
                    state.creds_mut(&app.object_id).remove(pos);
                    StatusCode::NO_CONTENT.into_response()
                }
                _ => err(
                    req,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Request_BadRequest",
                    "Method not allowed.",
                ),
            }
        }
        _ => err(
            req,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Unsupported segment.",
        ),
    }
}

/// A caller allowed to use the applications API: its tenant and, when it holds only
/// `Application.ReadWrite.OwnedBy`, its principal id (it may use only the applications
/// it owns).
struct AppAccess {
    tenant: String,
    owner_only: Option<String>,
}

impl AppAccess {
    /// Whether the caller may read or change `app`.
    fn may_use(&self, app: &SeedApplication) -> bool {
        self.owner_only
            .as_ref()
            .is_none_or(|me| app.owners.iter().any(|o| o.eq_ignore_ascii_case(me)))
    }
}

#[allow(clippy::result_large_err)] // the error is the answer, built once per request
fn authorize(shared: &Shared, req: &Req, write: bool) -> Result<AppAccess, Response> {
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

fn forbidden(req: &Req) -> Response {
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

#[derive(Deserialize)]
struct Body {
    name: Option<String>,
    issuer: Option<String>,
    subject: Option<String>,
    audiences: Option<Vec<String>>,
    description: Option<Option<String>>,
}

fn graph_rule_error(req: &Req, f: &Fic) -> Option<Response> {
    let findings = fic::graph_rules(&fic::Credential {
        name: &f.name,
        issuer: &f.issuer,
        subject: &f.subject,
        audiences: &f.audiences,
        description: f.description.as_deref(),
    });
    let first = findings
        .into_iter()
        .find(|x| x.graph_enforced && x.severity == Severity::Error)?;
    let message = match first.rule {
        "audiences.exactly_one" => "Federated identity credentials must have exactly one audience.".to_string(),
        _ => format!("Invalid value specified for property '{}' of resource 'FederatedIdentityCredential': {}.", first.attribute, first.summary),
    };
    Some(err(
        req,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        &message,
    ))
}

fn duplicate_issuer_subject(req: &Req, others: &[StoredFic], f: &Fic) -> Option<Response> {
    others.iter().find(|s| s.fic.id != f.id && s.fic.issuer == f.issuer && s.fic.subject == f.subject).map(|_| {
        err(
            req,
            StatusCode::BAD_REQUEST,
            "InvalidFederatedIdentityCredentialValue",
            &format!(
                "The combination of issuer and subject must be unique for the application. Issuer {} and Subject: {} already exist. paramName: FederatedIdentityCredential.Subject, paramValue: {}, objectType: Microsoft.Online.DirectoryServices.Application",
                f.issuer, f.subject, f.subject
            ),
        )
    })
}

/// The request's credential JSON, or Graph's 400 for a payload it cannot read.
#[allow(clippy::result_large_err)] // the error is the answer, built once per request
fn read_body(req: &Req) -> Result<Body, Response> {
    serde_json::from_slice(&req.body).map_err(|e| {
        err(
            req,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!("Unable to read JSON request payload: {e}"),
        )
    })
}

fn create(
    req: &Req,
    state: &mut crate::state::State,
    app: &SeedApplication,
    ctx_base: &str,
) -> Response {
    let body = match read_body(req) {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    let f = Fic {
        id: uuid::Uuid::new_v4().to_string(),
        name: body.name.unwrap_or_default(),
        issuer: body.issuer.unwrap_or_default(),
        subject: body.subject.unwrap_or_default(),
        audiences: body.audiences.unwrap_or_default(),
        description: body.description.flatten(),
    };
    if let Some(r) = graph_rule_error(req, &f) {
        return r;
    }
    let existing = state.creds_of(&app.object_id);
    if existing.iter().any(|s| s.fic.name == f.name) {
        return err(
            req,
            StatusCode::CONFLICT,
            "Request_MultipleObjectsWithSameKeyValue",
            &format!(
                "FederatedIdentityCredential with name {} already exists.",
                f.name
            ),
        );
    }
    if let Some(r) = duplicate_issuer_subject(req, existing, &f) {
        return r;
    }
    if existing.len() >= fic::MAX_PER_APPLICATION {
        return err(req, StatusCode::BAD_REQUEST, "Request_BadRequest", &format!("The application already has the maximum number of federated identity credentials ({}).", fic::MAX_PER_APPLICATION));
    }
    let mut v = fic_json(&f);
    v["@odata.context"] = json!(format!(
        "{ctx_base}#applications('{}')/federatedIdentityCredentials/$entity",
        app.object_id
    ));
    state.creds_mut(&app.object_id).push(StoredFic {
        fic: f,
        created: std::time::Instant::now(),
    });
    (StatusCode::CREATED, Json(v)).into_response()
}

fn patch(
    req: &Req,
    state: &mut crate::state::State,
    app: &SeedApplication,
    pos: usize,
) -> Response {
    let body = match read_body(req) {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    let Some(current) = state
        .creds_of(&app.object_id)
        .get(pos)
        .map(|s| s.fic.clone())
    else {
        return not_found(req, "federatedIdentityCredential");
    };
    if body.name.as_ref().is_some_and(|n| *n != current.name) {
        return err(
            req,
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Property 'name' is read-only and cannot be changed.",
        );
    }
    let updated = Fic {
        id: current.id.clone(),
        name: current.name.clone(),
        issuer: body.issuer.unwrap_or(current.issuer),
        subject: body.subject.unwrap_or(current.subject),
        audiences: body.audiences.unwrap_or(current.audiences),
        description: match body.description {
            Some(d) => d,
            None => current.description,
        },
    };
    if let Some(r) = graph_rule_error(req, &updated) {
        return r;
    }
    if let Some(r) = duplicate_issuer_subject(req, state.creds_of(&app.object_id), &updated) {
        return r;
    }
    if let Some(slot) = state.creds_mut(&app.object_id).get_mut(pos) {
        slot.fic = updated;
    }
    StatusCode::NO_CONTENT.into_response()
}

fn app_json(a: &SeedApplication) -> Value {
    json!({"id": a.object_id, "appId": a.client_id, "displayName": a.display_name})
}

pub fn fic_json(f: &Fic) -> Value {
    json!({"id": f.id, "name": f.name, "issuer": f.issuer, "subject": f.subject, "audiences": f.audiences, "description": f.description})
}
