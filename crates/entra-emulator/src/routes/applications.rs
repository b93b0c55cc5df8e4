//! `GET /v1.0/applications`: the tenant's applications as Graph lists them — `$select`,
//! `$expand=federatedIdentityCredentials`, `$filter` (`id` or `appId`, `eq '…'` or `in
//! ('…', …)`: at most 15 values outside advanced queries; and the lambda
//! `federatedIdentityCredentials/any(f:f/subject eq '…')`, an advanced query), `$count`,
//! `$top`, and paging with `@odata.nextLink` (`--page-size` makes pages small).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::odata::{
    err, fic_json, is_advanced_count, literal, parse_values_filter, too_many_values, IN_MAX,
};
use super::Req;
use crate::seed::SeedApplication;
use crate::Shared;

/// Graph's page size for applications without `$top`.
const DEFAULT_PAGE: usize = 100;
/// The largest `$top` Graph accepts for applications.
const MAX_TOP: usize = 999;
/// The most objects a page holds with `$expand`, whatever `$top` asks (Graph's known
/// issue with `$expand` on directory objects).
const MAX_EXPANDED_PAGE: usize = 100;
/// The properties `$select` may name here.
const SELECTABLE: [&str; 3] = ["id", "appId", "displayName"];

/// A list's `$filter`, parsed.
#[derive(Debug, PartialEq, Eq)]
enum Filter {
    /// `id eq '…'` or `id in (…)`.
    ObjectIds(Vec<String>),
    /// `appId eq '…'` or `appId in (…)`.
    AppIds(Vec<String>),
    /// `federatedIdentityCredentials/any(f:f/subject eq '…')`: an advanced query.
    CredentialSubject(String),
}

/// The filter, `Ok(None)` without one, `Err(())` for one the emulator (like Graph) does
/// not support.
fn parse_filter(text: &str) -> Result<Option<Filter>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match parse_values_filter(text) {
        Some(("id", values, _)) => return Ok(Some(Filter::ObjectIds(values))),
        Some(("appId", values, _)) => return Ok(Some(Filter::AppIds(values))),
        _ => {}
    }
    // federatedIdentityCredentials/any(x:x/subject eq '…'), with any variable name.
    let inner = text
        .strip_prefix("federatedIdentityCredentials/any(")
        .and_then(|r| r.strip_suffix(')'))
        .ok_or(())?;
    let (var, cond) = inner.split_once(':').ok_or(())?;
    let var = var.trim();
    if var.is_empty() {
        return Err(());
    }
    eq_literal(cond.trim(), &format!("{var}/subject"))
        .map(|v| Some(Filter::CredentialSubject(v)))
        .ok_or(())
}

/// The value of `{field} eq '…'` (quotes doubled inside, as OData escapes them).
fn eq_literal(text: &str, field: &str) -> Option<String> {
    let (f, v) = text.split_once(" eq ")?;
    if f.trim() != field {
        return None;
    }
    literal(v)
}

/// Whether the request carries what Graph requires of an advanced query.
fn is_advanced(req: &Req) -> bool {
    req.header("ConsistencyLevel")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
}

/// What the request asks to see of each application.
struct Shape {
    select: Vec<String>,
    expand_credentials: bool,
}

#[allow(clippy::result_large_err)] // the error is the answer, built once per request
fn shape(req: &Req) -> Result<Shape, Response> {
    let select: Vec<String> = match req.query("$select") {
        None => SELECTABLE.iter().map(|s| s.to_string()).collect(),
        Some(s) => s.split(',').map(|p| p.trim().to_string()).collect(),
    };
    if let Some(bad) = select.iter().find(|p| !SELECTABLE.contains(&p.as_str())) {
        return Err(err(
            req,
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            &format!(
                "Could not find a property named '{bad}' on type 'microsoft.graph.application'."
            ),
        ));
    }
    let expand_credentials = match req.query("$expand").map(str::trim) {
        None | Some("") => false,
        Some("federatedIdentityCredentials") => true,
        Some(other) => {
            return Err(err(
                req,
                StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                &format!(
                "Could not find a property named '{other}' on type 'microsoft.graph.application'."
            ),
            ))
        }
    };
    Ok(Shape {
        select,
        expand_credentials,
    })
}

/// The page size: `$top` (1..=999, Graph's default 100), capped by `--page-size`.
#[allow(clippy::result_large_err)] // the error is the answer, built once per request
fn page_size(shared: &Shared, req: &Req) -> Result<usize, Response> {
    let top = match req.query("$top") {
        None => DEFAULT_PAGE,
        Some(t) => match t.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_TOP).contains(&n) => n,
            _ => {
                return Err(err(
                    req,
                    StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    &format!("Invalid page size specified: '{t}'. Must be between 1 and {MAX_TOP} inclusive."),
                ))
            }
        },
    };
    Ok(shared.page_size.map_or(top, |cap| top.min(cap.max(1))))
}

/// `GET /{version}/applications` for a caller of `tenant` that may see the applications
/// `may_use` keeps (all of them, or the ones it owns with `Application.ReadWrite.OwnedBy`).
pub fn list(
    shared: &Shared,
    req: &Req,
    tenant: &str,
    may_use: &dyn Fn(&SeedApplication) -> bool,
    ctx_base: &str,
) -> Response {
    let unsupported = || {
        err(
            req,
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            "Unsupported query.",
        )
    };
    let filter = match parse_filter(req.query("$filter").unwrap_or("")) {
        Ok(f) => f,
        Err(()) => return unsupported(),
    };
    let count = req
        .query("$count")
        .is_some_and(|c| c.trim().eq_ignore_ascii_case("true"));
    // Graph serves a lambda filter and `$count` on directory objects only as an advanced
    // query: both the header and `$count=true` for the lambda, the header for `$count`.
    let lambda = matches!(filter, Some(Filter::CredentialSubject(_)));
    if (lambda && !(count && is_advanced(req))) || (count && !is_advanced(req)) {
        return unsupported();
    }
    if let Some(Filter::ObjectIds(v) | Filter::AppIds(v)) = &filter {
        if v.len() > IN_MAX && !is_advanced_count(req) {
            return too_many_values(req, v.len());
        }
    }
    let shape = match shape(req) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let size = match page_size(shared, req) {
        Ok(n) if shape.expand_credentials => n.min(MAX_EXPANDED_PAGE),
        Ok(n) => n,
        Err(r) => return r,
    };
    let skip: usize = match req.query("$skiptoken").map(str::parse) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            return err(
                req,
                StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                "Invalid $skiptoken.",
            )
        }
    };
    let lag = shared.faults.replication_lag;
    let state = shared.lock();
    let matching: Vec<Value> = state
        .seed
        .tenants
        .iter()
        .filter(|t| t.id.eq_ignore_ascii_case(tenant))
        .flat_map(|t| t.applications.iter())
        .filter(|a| may_use(a))
        .filter_map(|a| {
            let creds = state.visible(&a.object_id, lag);
            let keep = match &filter {
                None => true,
                Some(Filter::ObjectIds(w)) => w.iter().any(|w| a.object_id.eq_ignore_ascii_case(w)),
                Some(Filter::AppIds(w)) => w.iter().any(|w| a.client_id.eq_ignore_ascii_case(w)),
                Some(Filter::CredentialSubject(s)) => creds.iter().any(|c| c.subject == *s),
            };
            if !keep {
                return None;
            }
            let mut v = Map::new();
            for p in &shape.select {
                let value = match p.as_str() {
                    "id" => &a.object_id,
                    "appId" => &a.client_id,
                    _ => &a.display_name,
                };
                v.insert(p.clone(), json!(value));
            }
            if shape.expand_credentials {
                let list: Vec<Value> = creds.iter().map(fic_json).collect();
                v.insert("federatedIdentityCredentials".into(), Value::Array(list));
            }
            Some(Value::Object(v))
        })
        .collect();
    drop(state);
    let total = matching.len();
    let page: Vec<Value> = matching.into_iter().skip(skip).take(size).collect();
    let mut body = json!({"@odata.context": format!("{ctx_base}#applications"), "value": page});
    if count {
        body["@odata.count"] = json!(total);
    }
    if skip + size < total {
        body["@odata.nextLink"] = json!(next_link(shared, req, skip + size));
    }
    Json(body).into_response()
}

/// The link to the page starting at `skip`: the same query with a `$skiptoken`, on the
/// host the client called (so a proxy in front stays in the path).
fn next_link(shared: &Shared, req: &Req, skip: usize) -> String {
    let scheme = shared.base_url.split("://").next().unwrap_or("http");
    let host = req.header("host").map(str::to_string).unwrap_or_else(|| {
        shared
            .base_url
            .split("://")
            .nth(1)
            .unwrap_or("")
            .to_string()
    });
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in req.query.iter().filter(|(k, _)| k != "$skiptoken") {
        q.append_pair(k, v);
    }
    q.append_pair("$skiptoken", &skip.to_string());
    format!("{scheme}://{host}{}?{}", req.path, q.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let ok = |t: &str| parse_filter(t).unwrap();
        assert_eq!(ok(""), None);
        assert_eq!(ok("appId eq 'x'"), Some(Filter::AppIds(vec!["x".into()])));
        assert_eq!(
            ok("id in ('a', 'B')"),
            Some(Filter::ObjectIds(vec!["a".into(), "B".into()]))
        );
        assert_eq!(
            ok("federatedIdentityCredentials/any(f:f/subject eq 'it''s')"),
            Some(Filter::CredentialSubject("it's".into()))
        );
        assert_eq!(
            ok("federatedIdentityCredentials/any(c: c/subject eq 's')"),
            Some(Filter::CredentialSubject("s".into()))
        );
        for bad in [
            "displayName eq 'x'",
            "federatedIdentityCredentials/any(f:g/subject eq 's')",
            "federatedIdentityCredentials/any(f:f/issuer eq 's')",
            "federatedIdentityCredentials/any(f:f/subject eq 'a'b')",
            "appId eq x",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }
}
