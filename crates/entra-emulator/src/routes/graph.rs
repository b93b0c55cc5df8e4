//! Microsoft Graph v1.0/beta: applications and their federated identity credentials, with
//! Graph's rules (shared with the provider through `terraform_provider_entra::rules`).
//! Who may call is [`super::caller`]'s; the answers' shapes are [`super::odata`]'s; the
//! application list is [`super::applications`]' and service principals are
//! [`super::service_principals`]' (dispatched beside this module, not through it).

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::caller::{authorize_apps, forbidden};
use super::odata::{eq_filter, err, fic_json, not_found};
use super::Req;
use crate::seed::SeedApplication;
use crate::state::{Fic, StoredFic};
use crate::Shared;
use terraform_provider_entra::rules::{fic, Severity};

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
    let caller = match authorize_apps(shared, req, needs_write) {
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
                .filter(|f| match &filter {
                    Some(("name", wanted)) => f.name == *wanted,
                    Some((_, wanted)) => f.subject == *wanted,
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
