//! Request routing by hand: Graph's `applications(appId='…')` keys do not fit a path
//! router, and one place that knows every route also names it for counters and logs.

pub mod applications;
mod caller;
pub mod graph;
pub mod identity;
pub mod inspect;
mod odata;
pub mod service_principals;
pub mod token;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::Shared;

/// A request, read whole (bodies here are small).
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub request_id: String,
    pub client_request_id: String,
}

impl Req {
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers.get(key).and_then(|v| v.to_str().ok())
    }

    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    pub fn segments(&self) -> Vec<&str> {
        self.path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Graph,
    SignIn,
    Identity,
    Inspect,
    Unknown,
}

/// The route template (ids replaced) and its kind.
pub fn classify(method: &Method, path: &str) -> (String, Kind) {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let kind = match segs.as_slice() {
        ["v1.0" | "beta", ..] => Kind::Graph,
        ["_emulator", ..] => Kind::Inspect,
        ["metadata", "identity", "oauth2", "token"] | ["msi", "token"] => Kind::Identity,
        [_, "oauth2", "v2.0", "token"]
        | [_, "v2.0", ".well-known", "openid-configuration"]
        | [_, "discovery", "v2.0", "keys"] => Kind::SignIn,
        _ => Kind::Unknown,
    };
    let templ: Vec<String> = segs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if s.starts_with("applications(") {
                "applications(appId={id})".to_string()
            } else if s.starts_with("servicePrincipals(") {
                "servicePrincipals(appId={id})".to_string()
            } else if terraform_provider_entra::rules::guid::is_guid(s)
                || (kind == Kind::SignIn && i == 0)
                || (kind == Kind::Graph
                    && i > 0
                    && segs.get(i - 1) == Some(&"federatedIdentityCredentials"))
            {
                "{id}".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    (format!("{method} /{}", templ.join("/")), kind)
}

/// The strings of a JSON array (other elements skipped); `None` when `v` is no array.
pub fn strings(v: Option<&serde_json::Value>) -> Option<Vec<String>> {
    let items = v?.as_array()?;
    Some(
        items
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
    )
}

/// Graph's APIs: service principals (and `getByIds` over them) apart from applications.
fn graph_api(shared: &Shared, req: &Req) -> Response {
    let segs = req.segments();
    match segs.as_slice() {
        [_, "directoryObjects", "getByIds"] => service_principals::get_by_ids(shared, req),
        [_, first, ..] if first.starts_with("servicePrincipals") => {
            service_principals::handle(shared, req)
        }
        _ => graph::handle(shared, req),
    }
}

/// Answers `req`, of `kind` ([`classify`]'s, which the server has already worked out).
pub async fn dispatch(shared: &Shared, req: &Req, kind: Kind) -> Response {
    match kind {
        Kind::Graph => graph_api(shared, req),
        Kind::SignIn => token::handle(shared, req),
        Kind::Identity => identity::handle(shared, req),
        Kind::Inspect => inspect::handle(shared, req),
        Kind::Unknown => (StatusCode::NOT_FOUND, "no such route in entra-emulator").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        let c = |m: Method, p: &str| classify(&m, p);
        assert_eq!(
            c(Method::GET, "/v1.0/applications/0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02/federatedIdentityCredentials/deploy"),
            ("GET /v1.0/applications/{id}/federatedIdentityCredentials/{id}".to_string(), Kind::Graph)
        );
        assert_eq!(
            c(Method::POST, "/v1.0/applications(appId='c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02')/federatedIdentityCredentials").0,
            "POST /v1.0/applications(appId={id})/federatedIdentityCredentials"
        );
        assert_eq!(
            c(Method::POST, "/contoso.com/oauth2/v2.0/token"),
            ("POST /{id}/oauth2/v2.0/token".to_string(), Kind::SignIn)
        );
        assert_eq!(
            c(Method::GET, "/metadata/identity/oauth2/token").1,
            Kind::Identity
        );
        assert_eq!(c(Method::GET, "/_emulator/state").1, Kind::Inspect);
    }
}
