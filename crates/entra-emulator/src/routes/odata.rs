//! Graph's OData shapes as the emulator answers them: errors (with request ids), the one
//! `$filter` form most lists take, "not found", and a federated identity credential.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::Req;
use crate::errors::odata;
use crate::state::Fic;

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

pub(super) fn not_found(req: &Req, what: &str) -> Response {
    err(req, StatusCode::NOT_FOUND, "Request_ResourceNotFound", &format!("Resource '{what}' does not exist or one of its queried reference-property objects are not present."))
}

pub fn fic_json(f: &Fic) -> Value {
    json!({"id": f.id, "name": f.name, "issuer": f.issuer, "subject": f.subject, "audiences": f.audiences, "description": f.description})
}
