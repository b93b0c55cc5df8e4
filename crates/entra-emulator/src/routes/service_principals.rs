//! Microsoft Graph v1.0/beta service principals of the seed: one per managed identity
//! (`servicePrincipalType` `ManagedIdentity`, `appId` = its client id, `alternativeNames`
//! `isExplicit=True|False` plus the resource id) and one per application
//! (`servicePrincipalType` `Application`). Read-only: by id, by `appId` alternate key, and
//! listed with `$filter=appId eq '…'`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::graph::{authorize_caller, eq_filter, err, not_found};
use super::Req;
use crate::seed::{SeedApplication, SeedIdentity, SeedTenant};
use crate::Shared;

/// `GET /{version}/servicePrincipals…`.
pub fn handle(shared: &Shared, req: &Req) -> Response {
    let (tenant_id, caller_app) = match authorize_caller(shared, req, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let state = shared.lock();
    let Some(tenant) = state.tenant(&tenant_id) else {
        return not_found(req, &tenant_id);
    };
    let denied = tenant
        .applications
        .iter()
        .any(|a| a.client_id.eq_ignore_ascii_case(&caller_app) && a.deny_service_principal_read);
    if denied {
        return err(
            req,
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
    }
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
            let by_app_id = match eq_filter(req, &["appId"]) {
                Ok(f) => f.map(|(_, wanted)| wanted),
                Err(r) => return r,
            };
            let list: Vec<Value> = all(tenant)
                .into_iter()
                .filter(|sp| by_app_id.is_none_or(|w| text(sp, "appId").eq_ignore_ascii_case(w)))
                .collect();
            Json(json!({"@odata.context": context, "value": list})).into_response()
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
