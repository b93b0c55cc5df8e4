//! Managed identity endpoints: IMDS (`/metadata/identity/oauth2/token`, `Metadata: true`)
//! and App Service (`/msi/token`, `X-IDENTITY-HEADER`), with their own error bodies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::token::identity_token;
use super::Req;
use crate::Shared;

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
    let selector = [("client_id", 0), ("object_id", 1), ("msi_res_id", 2)]
        .into_iter()
        .find_map(|(k, i)| req.query(k).map(|v| (i, v.to_string())));
    let state = shared.lock();
    let ids = state.identities();
    let found = match &selector {
        Some((0, v)) => ids.iter().find(|(_, m)| m.client_id.eq_ignore_ascii_case(v)),
        Some((1, v)) => ids.iter().find(|(_, m)| m.principal_id.eq_ignore_ascii_case(v)),
        Some((_, v)) => ids.iter().find(|(_, m)| m.resource_id.eq_ignore_ascii_case(v)),
        None if ids.len() == 1 => ids.first(),
        None => {
            return imds_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request",
            )
        }
    };
    let Some((tenant, mi)) = found.map(|(t, m)| (t.id.clone(), (*m).clone())) else {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Identity not found",
        );
    };
    drop(state);
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
    let Some(resource) = req.query("resource").filter(|r| !r.is_empty()) else {
        return app_error(
            StatusCode::BAD_REQUEST,
            "The resource parameter is required.",
        );
    };
    let state = shared.lock();
    let ids = state.identities();
    let found = if let Some(v) = req.query("client_id") {
        ids.iter()
            .find(|(_, m)| m.client_id.eq_ignore_ascii_case(v))
    } else if let Some(v) = req.query("principal_id") {
        ids.iter()
            .find(|(_, m)| m.principal_id.eq_ignore_ascii_case(v))
    } else if let Some(v) = req.query("mi_res_id") {
        ids.iter()
            .find(|(_, m)| m.resource_id.eq_ignore_ascii_case(v))
    } else {
        ids.first()
    };
    let Some((tenant, mi)) = found.map(|(t, m)| (t.id.clone(), (*m).clone())) else {
        return app_error(
            StatusCode::BAD_REQUEST,
            "Unable to load the proper Managed Identity: identity not found.",
        );
    };
    drop(state);
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
