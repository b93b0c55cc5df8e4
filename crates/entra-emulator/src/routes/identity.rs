//! Managed identity endpoints: IMDS (`/metadata/identity/oauth2/token`, `Metadata: true`)
//! and App Service (`/msi/token`, `X-IDENTITY-HEADER`), with their own error bodies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::token::identity_token;
use super::Req;
use crate::seed::SeedIdentity;
use crate::Shared;

/// Why no identity answers a token request.
enum NoIdentity {
    /// Several identities are assigned and the request names none.
    Ambiguous,
    /// The request names an identity that is not assigned.
    NotFound,
}

/// The identity a token request names (and its tenant's id), by the endpoint's parameters
/// for the client id, the principal (object) id and the resource id, in that order of
/// precedence; with none of them, the only identity assigned.
fn select(
    shared: &Shared,
    req: &Req,
    [client_id, principal_id, resource_id]: [&str; 3],
) -> Result<(String, SeedIdentity), NoIdentity> {
    let state = shared.lock();
    let ids = state.identities();
    let by = |wanted: &str, field: fn(&SeedIdentity) -> &str| {
        ids.iter()
            .find(|(_, m)| field(m).eq_ignore_ascii_case(wanted))
            .copied()
    };
    let found = if let Some(v) = req.query(client_id) {
        by(v, |m| &m.client_id)
    } else if let Some(v) = req.query(principal_id) {
        by(v, |m| &m.principal_id)
    } else if let Some(v) = req.query(resource_id) {
        by(v, |m| &m.resource_id)
    } else if let [only] = ids.as_slice() {
        Some(*only)
    } else {
        return Err(NoIdentity::Ambiguous);
    };
    found
        .map(|(t, m)| (t.id.clone(), m.clone()))
        .ok_or(NoIdentity::NotFound)
}

pub fn handle(shared: &Shared, req: &Req) -> Response {
    if req.path.trim_end_matches('/') == "/msi/token" {
        app_service(shared, req)
    } else {
        imds(shared, req)
    }
}

fn imds_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn imds(shared: &Shared, req: &Req) -> Response {
    if req
        .header("Metadata")
        .map(|v| v.eq_ignore_ascii_case("true"))
        != Some(true)
    {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required metadata header not specified",
        );
    }
    let Some(resource) = req.query("resource").filter(|r| !r.is_empty()) else {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required audience parameter not specified",
        );
    };
    let (tenant, mi) = match select(shared, req, ["client_id", "object_id", "msi_res_id"]) {
        Ok(found) => found,
        Err(NoIdentity::Ambiguous) => return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request",
        ),
        Err(NoIdentity::NotFound) => return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Identity not found",
        ),
    };
    match identity_token(shared, &tenant, &mi, resource) {
        Ok((token, exp)) => Json(json!({
            "access_token": token,
            "refresh_token": "",
            "client_id": mi.client_id,
            "expires_in": (exp - crate::tokens::now()).to_string(),
            "expires_on": exp.to_string(),
            "ext_expires_in": "86399",
            "not_before": crate::tokens::now().to_string(),
            "resource": resource,
            "token_type": "Bearer",
        }))
        .into_response(),
        Err(e) => imds_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e),
    }
}

fn app_service(shared: &Shared, req: &Req) -> Response {
    let app_error = |status: StatusCode, message: &str| {
        (status, Json(json!({"statusCode": status.as_u16(), "message": message, "correlationId": uuid::Uuid::new_v4().to_string()}))).into_response()
    };
    if req.header("X-IDENTITY-HEADER") != Some(shared.identity_header.as_str()) {
        return app_error(
            StatusCode::BAD_REQUEST,
            "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.",
        );
    }
    if req.query("api-version") != Some("2019-08-01") {
        return app_error(
            StatusCode::BAD_REQUEST,
            "Unsupported api-version: use 2019-08-01.",
        );
    }
    let resource = req.query("resource").filter(|r| !r.is_empty());
    let selected = select(shared, req, ["client_id", "principal_id", "mi_res_id"]);
    let refused = |message| app_error(StatusCode::BAD_REQUEST, message);
    let (resource, tenant, mi) = match (resource, selected) {
        (Some(r), Ok((tenant, mi))) => (r, tenant, mi),
        (None, _) => return refused("The resource parameter is required."),
        (_, Err(NoIdentity::Ambiguous)) => return refused("Unable to load the proper Managed Identity: several identities are assigned; specify client_id, principal_id or mi_res_id."),
        (_, Err(NoIdentity::NotFound)) => return refused("Unable to load the proper Managed Identity: identity not found."),
    };
    match identity_token(shared, &tenant, &mi, resource) {
        Ok((token, exp)) => Json(json!({
            "access_token": token,
            "expires_on": exp.to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": mi.client_id,
        }))
        .into_response(),
        Err(e) => app_error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}
