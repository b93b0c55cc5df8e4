//! Microsoft Graph v1.0/beta service principals of the seed: one per managed identity
//! (`servicePrincipalType` `ManagedIdentity`, `appId` = its client id, `alternativeNames`
//! `isExplicit=True|False` plus the resource id) and one per application
//! (`servicePrincipalType` `Application`). Read-only: by id, by `appId` alternate key,
//! listed with `$filter` (`id` or `appId`, `eq '…'` or `in ('…', …)`: at most 15 values
//! outside advanced queries, as Graph allows), `$select`, and `POST
//! /directoryObjects/getByIds` (up to 1,000 ids; full objects for `Directory.Read.All`,
//! `id` and `@odata.type` only for a caller that may read applications but not the
//! directory, as Graph documents).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::caller::{authorize_caller, Caller};
use super::odata::{err, not_found, values_filter};
use super::Req;
use crate::seed::{SeedApplication, SeedIdentity, SeedTenant};
use crate::Shared;

/// `GET /{version}/servicePrincipals…`.
pub fn handle(shared: &Shared, req: &Req) -> Response {
    let caller = match authorize_caller(shared, req, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let state = shared.lock();
    let tenant = match readable_tenant(&state, req, &caller) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let segs = req.segments();
    let version = segs.first().copied().unwrap_or("v1.0");
    let context = format!("https://graph.microsoft.com/{version}/$metadata#servicePrincipals");
    let entity = |v: Option<Value>, key: &str| match v {
        Some(mut v) => {
            v["@odata.context"] = json!(format!("{context}/$entity"));
            Json(v).into_response()
        }
        None => not_found(req, key),
    };
    match segs.get(1..).unwrap_or_default() {
        ["servicePrincipals"] => {
            let filter = match values_filter(req, &["id", "appId", "servicePrincipalType"]) {
                Ok(f) => f,
                Err(r) => return r,
            };
            let list: Vec<Value> = all(tenant)
                .into_iter()
                .filter(|sp| {
                    filter.as_ref().is_none_or(|(field, wanted)| {
                        wanted
                            .iter()
                            .any(|w| text(sp, field).eq_ignore_ascii_case(w))
                    })
                })
                .map(|sp| selected(sp, req.query("$select")))
                .collect();
            page(shared, req, context, list)
        }
        [key] if key.starts_with("servicePrincipals(") => {
            let app_id = key
                .trim_start_matches("servicePrincipals(")
                .trim_end_matches(')')
                .trim_start_matches("appId=")
                .trim_matches('\'');
            let found = all(tenant)
                .into_iter()
                .find(|sp| text(sp, "appId").eq_ignore_ascii_case(app_id));
            entity(found, app_id)
        }
        ["servicePrincipals", id] => {
            let found = all(tenant)
                .into_iter()
                .find(|sp| text(sp, "id").eq_ignore_ascii_case(id));
            entity(found, id)
        }
        _ => err(
            req,
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Unsupported segment.",
        ),
    }
}

/// Ids per `getByIds` request, Graph's limit.
const GET_BY_IDS_MAX: usize = 1000;

/// The caller's tenant, unless its service principal reads are refused.
#[allow(clippy::result_large_err)] // the error is the answer, built once per request
fn readable_tenant<'s>(
    state: &'s crate::state::State,
    req: &Req,
    caller: &Caller,
) -> Result<&'s SeedTenant, Response> {
    let Some(tenant) = state.tenant(&caller.tenant) else {
        return Err(not_found(req, &caller.tenant));
    };
    let denied = tenant
        .applications
        .iter()
        .any(|a| a.client_id.eq_ignore_ascii_case(&caller.app) && a.deny_service_principal_read);
    if denied {
        return Err(err(
            req,
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ));
    }
    Ok(tenant)
}

/// `sp` with only the properties `$select` names (and `id`); all without `$select`.
fn selected(sp: Value, select: Option<&str>) -> Value {
    let Some(select) = select else {
        return sp;
    };
    let wanted: Vec<&str> = select.split(',').map(str::trim).collect();
    match sp {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| k == "id" || wanted.contains(&k.as_str()))
                .collect(),
        ),
        other => other,
    }
}

/// Graph's default page size for directory objects, and the largest `$top` it accepts.
const PAGE_DEFAULT: usize = 100;
const PAGE_MAX: usize = 999;

/// One page of `items`: `$top` of them (Graph's default 100, at most 999) from the offset
/// in `$skiptoken`, with `@odata.nextLink` (the same query, the next offset) while more
/// remain.
fn page(shared: &Shared, req: &Req, context: String, items: Vec<Value>) -> Response {
    let top = match req.query("$top").map(str::parse::<usize>) {
        None => PAGE_DEFAULT,
        Some(Ok(n)) if (1..=PAGE_MAX).contains(&n) => n,
        Some(_) => {
            let m = format!(
                "Invalid page size specified: '{}'. Must be between 1 and {PAGE_MAX} inclusive.",
                req.query("$top").unwrap_or_default()
            );
            return err(req, StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", &m);
        }
    };
    let from: usize = req
        .query("$skiptoken")
        .and_then(|t| t.strip_prefix("offset-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let end = items.len().min(from.saturating_add(top));
    let value: Vec<Value> = items
        .get(from..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let mut body = json!({"@odata.context": context, "value": value});
    if end < items.len() {
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in req.query.iter().filter(|(k, _)| k != "$skiptoken") {
            next.append_pair(k, v);
        }
        next.append_pair("$skiptoken", &format!("offset-{end}"));
        let version = req
            .segments()
            .first()
            .copied()
            .unwrap_or("v1.0")
            .to_string();
        body["@odata.nextLink"] = json!(format!(
            "{}/{version}/servicePrincipals?{}",
            shared.base_url,
            next.finish()
        ));
    }
    Json(body).into_response()
}

#[derive(serde::Deserialize)]
struct GetByIdsBody {
    ids: Vec<String>,
    #[serde(default)]
    types: Option<Vec<String>>,
}

/// `POST /{version}/directoryObjects/getByIds`: the seed's service principals (and
/// applications) among `ids`, in no particular order; unknown ids are left out.
pub fn get_by_ids(shared: &Shared, req: &Req) -> Response {
    let caller = match authorize_caller(shared, req, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if req.method != axum::http::Method::POST {
        return err(
            req,
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            "Method not allowed.",
        );
    }
    let body: GetByIdsBody = match serde_json::from_slice(&req.body) {
        Ok(b) => b,
        Err(e) => {
            let m = format!("Unable to read JSON request payload: {e}");
            return err(req, StatusCode::BAD_REQUEST, "BadRequest", &m);
        }
    };
    if body.ids.len() > GET_BY_IDS_MAX {
        let m = format!(
            "Too many ids: {}. At most {GET_BY_IDS_MAX} are allowed.",
            body.ids.len()
        );
        return err(req, StatusCode::BAD_REQUEST, "Request_BadRequest", &m);
    }
    if let Some(bad) = body
        .ids
        .iter()
        .find(|i| !terraform_provider_entra::rules::guid::is_guid(i))
    {
        let m = format!("Invalid object identifier '{bad}'.");
        return err(req, StatusCode::BAD_REQUEST, "Request_BadRequest", &m);
    }
    let wants = |t: &str| {
        body.types
            .as_ref()
            .is_none_or(|ts| ts.iter().any(|x| x.eq_ignore_ascii_case(t)))
    };
    let state = shared.lock();
    let tenant = match readable_tenant(&state, req, &caller) {
        Ok(t) => t,
        Err(r) => return r,
    };
    // Graph documents the whole answer for Directory.Read.All; a caller that may only read
    // applications gets each object's id and type.
    let full = caller.roles.iter().any(|r| r.starts_with("Directory.Read"));
    let mut found: Vec<Value> = Vec::new();
    if wants("servicePrincipal") {
        found.extend(
            all(tenant)
                .into_iter()
                .map(|sp| typed(sp, "servicePrincipal")),
        );
    }
    if wants("application") {
        found.extend(tenant.applications.iter().map(|a| {
            typed(
                json!({"id": a.object_id, "appId": a.client_id, "displayName": a.display_name}),
                "application",
            )
        }));
    }
    let value: Vec<Value> = found
        .into_iter()
        .filter(|o| {
            body.ids
                .iter()
                .any(|i| text(o, "id").eq_ignore_ascii_case(i))
        })
        .map(|o| if full { o } else { limited(o) })
        .collect();
    let version = req
        .segments()
        .first()
        .copied()
        .unwrap_or("v1.0")
        .to_string();
    Json(json!({
        "@odata.context": format!("https://graph.microsoft.com/{version}/$metadata#directoryObjects"),
        "value": value,
    }))
    .into_response()
}

fn typed(mut v: Value, kind: &str) -> Value {
    v["@odata.type"] = json!(format!("#microsoft.graph.{kind}"));
    v
}

/// An object as Graph shows it to a caller without the permission to read its type:
/// `@odata.type` and `id`, every other property null.
fn limited(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| match k.as_str() {
                    "id" | "@odata.type" => (k, v),
                    _ => (k, Value::Null),
                })
                .collect(),
        ),
        other => other,
    }
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Every service principal of the tenant: its identities', then its applications'.
fn all(tenant: &SeedTenant) -> Vec<Value> {
    let identities = tenant.managed_identities.iter().map(identity_json);
    let apps = tenant
        .applications
        .iter()
        .map(|a| application_json(a, &tenant.id));
    identities.chain(apps).collect()
}

fn identity_json(m: &SeedIdentity) -> Value {
    let explicit = if m.system_assigned {
        "isExplicit=False"
    } else {
        "isExplicit=True"
    };
    json!({
        "id": m.principal_id,
        "appId": m.client_id,
        "displayName": m.name,
        "accountEnabled": true,
        "servicePrincipalType": "ManagedIdentity",
        "alternativeNames": [explicit, m.resource_id],
        "servicePrincipalNames": [m.client_id, m.resource_id],
    })
}

fn application_json(a: &SeedApplication, tenant: &str) -> Value {
    json!({
        "id": a.service_principal_id(),
        "appId": a.client_id,
        "displayName": a.display_name,
        "accountEnabled": true,
        "servicePrincipalType": "Application",
        "alternativeNames": [],
        "appOwnerOrganizationId": tenant,
        "servicePrincipalNames": [a.client_id],
    })
}
