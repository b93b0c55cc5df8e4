//! Outside Azure's paths: inspection for tests and benchmarks, out-of-band changes to
//! simulate drift, and an external OIDC issuer (GitHub Actions / Azure DevOps / Kubernetes
//! stand-in).

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::odata::fic_json;
use super::Req;
use crate::state::{Fic, StoredFic};
use crate::tokens::{now, Signer};
use crate::Shared;

/// Subject of the GitHub-like token: a workflow on main.
pub const GITHUB_SUBJECT: &str = "repo:entra-mi/demo:ref:refs/heads/main";

/// Subject of the Azure DevOps-like token: this prefix, then the service connection's id.
pub const DEVOPS_SUBJECT_PREFIX: &str = "sc://emulator/demo/";

pub fn oidc_issuer(shared: &Shared) -> String {
    format!("{}/_emulator/oidc", shared.base_url)
}

pub fn handle(shared: &Shared, req: &Req) -> Response {
    let segs = req.segments();
    match (req.method.clone(), &segs[1..]) {
        (Method::GET, ["state"]) => state(shared),
        (Method::GET, ["requests"]) => requests(shared),
        (Method::GET, ["issued"]) => {
            Json(json!({"signatures": shared.lock().issued.clone()})).into_response()
        }
        // A proxy in front of IMDS that drops the Metadata header.
        (_, ["proxy", "metadata", "identity", "oauth2", "token"]) => {
            let stripped = Req {
                method: req.method.clone(),
                path: "/metadata/identity/oauth2/token".into(),
                query: req.query.clone(),
                headers: {
                    let mut h = req.headers.clone();
                    h.remove("Metadata");
                    h
                },
                body: req.body.clone(),
                request_id: req.request_id.clone(),
                client_request_id: req.client_request_id.clone(),
            };
            super::identity::handle(shared, &stripped)
        }
        (Method::POST, ["reset"]) => {
            shared.lock().reset();
            StatusCode::NO_CONTENT.into_response()
        }
        (Method::POST, ["applications", app, "federatedIdentityCredentials"]) => {
            oob_create(shared, req, app)
        }
        (Method::PATCH, ["applications", app, "federatedIdentityCredentials", id]) => {
            oob_patch(shared, req, app, id)
        }
        (Method::DELETE, ["applications", app, "federatedIdentityCredentials", id]) => {
            let mut s = shared.lock();
            let list = s.creds_mut(app);
            let before = list.len();
            list.retain(|c| c.fic.id != *id && c.fic.name != *id);
            if list.len() < before {
                StatusCode::NO_CONTENT.into_response()
            } else {
                StatusCode::NOT_FOUND.into_response()
            }
        }
        (_, ["oidc", "token"]) => {
            let subject = req.query("subject").unwrap_or(GITHUB_SUBJECT).to_string();
            let audience = req
                .query("audience")
                .unwrap_or("api://AzureADTokenExchange")
                .to_string();
            external_token_response(shared, &subject, &audience)
        }
        (Method::GET, ["github", "token"]) => {
            let expected = format!("Bearer {}", shared.github_request_token);
            if req.header("Authorization") != Some(expected.as_str()) {
                return (
                    StatusCode::UNAUTHORIZED,
                    Json(json!({"message": "Bad credentials"})),
                )
                    .into_response();
            }
            let audience = req
                .query("audience")
                .unwrap_or("api://AzureADTokenExchange")
                .to_string();
            external_token_response(shared, GITHUB_SUBJECT, &audience)
        }
        // Azure DevOps' token endpoint for a service connection (System.OidcRequestUri).
        (Method::POST, ["devops", "oidctoken"]) => devops_token(shared, req),
        (Method::GET, ["oidc", ".well-known", "openid-configuration"]) => Json(json!({
            "issuer": oidc_issuer(shared),
            "jwks_uri": format!("{}/.well-known/jwks", oidc_issuer(shared)),
            "id_token_signing_alg_values_supported": ["RS256"],
        }))
        .into_response(),
        (Method::GET, ["oidc", ".well-known", "jwks"]) => Json(Signer::jwks()).into_response(),
        _ => (StatusCode::NOT_FOUND, "no such emulator route").into_response(),
    }
}

/// Azure DevOps answers `POST {System.OidcRequestUri}?api-version=…&serviceConnectionId=…`
/// (bearer: the job's `System.AccessToken`) with `{"oidcToken": …}` for that connection.
fn devops_token(shared: &Shared, req: &Req) -> Response {
    let expected = format!("Bearer {}", shared.github_request_token);
    if req.header("Authorization") != Some(expected.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(
                json!({"message": "Access denied: the System.AccessToken is missing or invalid."}),
            ),
        )
            .into_response();
    }
    let (Some(_), Some(connection)) = (req.query("api-version"), req.query("serviceConnectionId"))
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "api-version and serviceConnectionId are required."})),
        )
            .into_response();
    };
    let subject = format!("{DEVOPS_SUBJECT_PREFIX}{connection}");
    match external_token(shared, &subject, "api://AzureADTokenExchange") {
        Some(t) => Json(json!({"oidcToken": t})).into_response(),
        None => (StatusCode::INTERNAL_SERVER_ERROR, "cannot sign").into_response(),
    }
}

fn external_token_response(shared: &Shared, subject: &str, audience: &str) -> Response {
    match external_token(shared, subject, audience) {
        Some(t) => Json(json!({"value": t, "count": 1})).into_response(),
        None => (StatusCode::INTERNAL_SERVER_ERROR, "cannot sign").into_response(),
    }
}

fn external_token(shared: &Shared, subject: &str, audience: &str) -> Option<String> {
    let now = now();
    let claims = json!({"iss": oidc_issuer(shared), "sub": subject, "aud": audience, "iat": now, "nbf": now, "exp": now + 600, "jti": uuid::Uuid::new_v4().to_string()});
    shared.issue(&claims).ok()
}

fn state(shared: &Shared) -> Response {
    let s = shared.lock();
    let tenants: Vec<Value> = s
        .seed
        .tenants
        .iter()
        .map(|t| {
            let apps: Vec<Value> = t
                .applications
                .iter()
                .map(|a| {
                    let creds: Vec<Value> = s.creds_of(&a.object_id).iter().map(|c| fic_json(&c.fic)).collect();
                    json!({"object_id": a.object_id, "client_id": a.client_id, "display_name": a.display_name, "federated_identity_credentials": creds})
                })
                .collect();
            json!({"id": t.id, "applications": apps, "managed_identities": t.managed_identities})
        })
        .collect();
    let total: usize = s.creds.values().map(Vec::len).sum();
    Json(json!({"tenants": tenants, "credential_count": total})).into_response()
}

fn requests(shared: &Shared) -> Response {
    let s = shared.lock();
    let c = &s.counters;
    Json(json!({"total": c.total, "routes": c.routes, "faults": c.faults, "tls_handshake_failures": c.tls_handshake_failures})).into_response()
}

fn oob_create(shared: &Shared, req: &Req, app: &str) -> Response {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let f = Fic {
        id: body
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        name: text("name"),
        issuer: text("issuer"),
        subject: text("subject"),
        audiences: super::strings(body.get("audiences"))
            .unwrap_or_else(|| vec!["api://AzureADTokenExchange".to_string()]),
        description: body
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    let mut s = shared.lock();
    if s.app_by_object_id(app).is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let v = fic_json(&f);
    // Out-of-band credentials are old news: visible and usable at once.
    let created = std::time::Instant::now()
        .checked_sub(std::time::Duration::from_secs(3600))
        .unwrap_or_else(std::time::Instant::now);
    s.creds_mut(app).push(StoredFic { fic: f, created });
    (StatusCode::CREATED, Json(v)).into_response()
}

fn oob_patch(shared: &Shared, req: &Req, app: &str, id: &str) -> Response {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let mut s = shared.lock();
    let Some(c) = s
        .creds_mut(app)
        .iter_mut()
        .find(|c| c.fic.id == id || c.fic.name == id)
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(v) = body.get("issuer").and_then(Value::as_str) {
        c.fic.issuer = v.to_string();
    }
    if let Some(v) = body.get("subject").and_then(Value::as_str) {
        c.fic.subject = v.to_string();
    }
    if let Some(v) = body.get("description") {
        c.fic.description = v.as_str().map(str::to_string);
    }
    if let Some(a) = super::strings(body.get("audiences")) {
        c.fic.audiences = a;
    }
    StatusCode::NO_CONTENT.into_response()
}
