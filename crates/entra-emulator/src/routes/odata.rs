//! Graph's OData shapes as the emulator answers them: errors (with request ids), the one
//! `$filter` forms lists take (`eq` and `in`), "not found", and a federated identity credential.

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

/// Values per `in (…)` outside advanced queries, Graph's limit.
pub(super) const IN_MAX: usize = 15;

/// A list's `$filter` in one of Graph's two forms on one of `fields`: `{field} eq '…'` or
/// `{field} in ('…', …)`. The field and the values, or none without a filter; anything
/// else, and more than [`IN_MAX`] values outside an advanced query (`ConsistencyLevel:
/// eventual` with `$count=true`), gets Graph's 400 `Request_UnsupportedQuery`.
#[allow(clippy::result_large_err)] // the error is the answer, built once per request
pub(super) fn values_filter<'f>(
    req: &Req,
    fields: &[&'f str],
) -> Result<Option<(&'f str, Vec<String>)>, Response> {
    let Some(filter) = filter_text(req) else {
        return Ok(None);
    };
    let unsupported = |m: &str| err(req, StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", m);
    let Some((field, values, _)) = parse_values_filter(filter) else {
        return Err(unsupported("Unsupported query."));
    };
    let Some(field) = fields.iter().copied().find(|f| *f == field) else {
        return Err(unsupported("Unsupported query."));
    };
    if values.len() > IN_MAX && !is_advanced_count(req) {
        return Err(too_many_values(req, values.len()));
    }
    Ok(Some((field, values)))
}

/// `field eq 'v'` or `field in ('v1', 'v2')`, OData string literals (`''` is a quote):
/// the field, the values, and whether it was the `in` form.
pub(super) fn parse_values_filter(filter: &str) -> Option<(&str, Vec<String>, bool)> {
    if let Some((field, value)) = filter.split_once(" eq ") {
        return Some((field.trim(), vec![literal(value)?], false));
    }
    let (field, list) = filter.split_once(" in ")?;
    let list = list.trim().strip_prefix('(')?.strip_suffix(')')?;
    let values = list.split(',').map(literal).collect::<Option<Vec<_>>>()?;
    Some((field.trim(), values, true))
}

/// An OData string literal's value: `'…'` with quotes doubled inside. A lone quote inside
/// ends the literal early: not one value.
pub(super) fn literal(v: &str) -> Option<String> {
    let quoted = v.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    if quoted.replace("''", "").contains('\'') {
        return None;
    }
    Some(quoted.replace("''", "'"))
}

/// Whether the request is an advanced query (`ConsistencyLevel: eventual` with
/// `$count=true`), which lifts the limit on `in` values.
pub(super) fn is_advanced_count(req: &Req) -> bool {
    req.header("ConsistencyLevel")
        .is_some_and(|c| c.trim().eq_ignore_ascii_case("eventual"))
        && req.query("$count") == Some("true")
}

/// The answer to more than [`IN_MAX`] values outside an advanced query, Graph's words.
pub(super) fn too_many_values(req: &Req, count: usize) -> Response {
    err(
        req,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        &format!("Too many child clauses specified in search filter expression containing 'OR' operators: {count}. Max allowed: {IN_MAX}."),
    )
}

/// A list's `$filter` in the one form credential lists take, `{field} eq '{value}'` on
/// one of `fields`: the field and the value, or none without a filter. Anything else gets
/// Graph's 400 `Request_UnsupportedQuery`, not a silently unfiltered list.
#[allow(clippy::result_large_err)] // the error is the answer, built once per request
pub(super) fn eq_filter<'f>(
    req: &Req,
    fields: &[&'f str],
) -> Result<Option<(&'f str, String)>, Response> {
    let Some(filter) = filter_text(req) else {
        return Ok(None);
    };
    match parse_values_filter(filter) {
        Some((field, mut values, false)) => match fields.iter().find(|f| **f == field) {
            Some(field) => Ok(values.pop().map(|v| (*field, v))),
            None => Err(unsupported_query(req)),
        },
        _ => Err(unsupported_query(req)),
    }
}

/// The request's `$filter`, when it has a non-empty one.
fn filter_text(req: &Req) -> Option<&str> {
    req.query("$filter")
        .map(str::trim)
        .filter(|f| !f.is_empty())
}

fn unsupported_query(req: &Req) -> Response {
    err(
        req,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        "Unsupported query.",
    )
}

pub(super) fn not_found(req: &Req, what: &str) -> Response {
    err(req, StatusCode::NOT_FOUND, "Request_ResourceNotFound", &format!("Resource '{what}' does not exist or one of its queried reference-property objects are not present."))
}

pub fn fic_json(f: &Fic) -> Value {
    json!({"id": f.id, "name": f.name, "issuer": f.issuer, "subject": f.subject, "audiences": f.audiences, "description": f.description})
}
