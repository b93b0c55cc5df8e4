//! Graph's application queries against a loopback mock: the advanced query's header on
//! every page, the query string Graph is sent, retries of a throttled page, and a next
//! link off Graph refused without a request.

mod common;

use common::fixed_token::FixedToken;
use common::{fast_backoff, serve, ten_seconds};
use std::sync::{Arc, Mutex};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Json;
use serde_json::json;
use terraform_provider_entra::entra::graph::GraphClient;
use terraform_provider_entra::entra::queries::ApplicationScope;

/// Every request: its query string and its `ConsistencyLevel` header.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// Page 1 is throttled once, then links to page 2 on the same host.
async fn applications(
    State(seen): State<Seen>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> axum::response::Response {
    let query = query.unwrap_or_default();
    let consistency = headers
        .get("ConsistencyLevel")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let first_try = {
        let mut s = seen.lock().unwrap();
        s.push((query.clone(), consistency));
        s.len() == 1
    };
    if first_try {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("Retry-After", "0")],
            Json(json!({"error": {"code": "TooManyRequests", "message": "slow down"}})),
        )
            .into_response();
    }
    let fic = json!({"id": "f", "name": "deploy", "issuer": "https://i", "subject": "s", "audiences": ["a"]});
    if query == "page=2" {
        return Json(
            json!({"value": [{"id": "o2", "appId": "c2", "federatedIdentityCredentials": []}]}),
        )
        .into_response();
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    Json(json!({
        "@odata.count": 2,
        "value": [{"id": "o1", "appId": "c1", "displayName": "one", "federatedIdentityCredentials": [fic]}],
        "@odata.nextLink": format!("http://{host}/v1.0/applications?page=2"),
    }))
    .into_response()
}

async fn client() -> (GraphClient, Seen) {
    let seen: Seen = Arc::default();
    let router = axum::Router::new()
        .route("/v1.0/applications", get(applications))
        .with_state(seen.clone());
    let g = GraphClient::new(
        reqwest::Client::new(),
        &serve(router).await,
        "https://graph.microsoft.com",
        Arc::new(FixedToken::any()),
    )
    .with_backoff(fast_backoff());
    (g, seen)
}

#[tokio::test]
async fn the_advanced_query_sends_its_header_on_every_page() {
    let (g, seen) = client().await;
    let scope = ApplicationScope::TrustingSubject("b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1".into());
    let d = ten_seconds();
    let first = g
        .application_credentials_page(&scope, None, &d)
        .await
        .unwrap();
    assert_eq!(first.applications.len(), 1);
    let one = &first.applications[0];
    assert_eq!(
        (
            one.object_id.as_str(),
            one.client_id.as_str(),
            one.display_name.as_str()
        ),
        ("o1", "c1", "one")
    );
    assert_eq!(one.credentials[0].name, "deploy");
    let next = first.next.expect("a next link");
    let second = g
        .application_credentials_page(&scope, Some(&next), &d)
        .await
        .unwrap();
    assert_eq!(second.next, None);
    assert_eq!(
        second.applications[0].display_name, "",
        "no displayName: empty"
    );

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "the throttled page was retried: {seen:?}");
    assert_eq!(seen[0], seen[1]);
    assert!(
        seen.iter().all(|(_, c)| c.as_deref() == Some("eventual")),
        "{seen:?}"
    );
    let q = &seen[0].0;
    for part in [
        "$select=id,appId,displayName",
        "$expand=federatedIdentityCredentials",
        "$count=true",
        "$filter=federatedIdentityCredentials%2Fany%28f%3Af%2Fsubject%20eq%20%27b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1%27%29",
    ] {
        assert!(q.contains(part), "{part} missing from {q}");
    }
}

#[tokio::test]
async fn the_tenant_is_a_plain_query_and_links_off_graph_are_not_followed() {
    let (g, seen) = client().await;
    let d = ten_seconds();
    let _ = g
        .application_credentials_page(&ApplicationScope::Tenant, None, &d)
        .await
        .unwrap();
    {
        let seen = seen.lock().unwrap();
        assert!(
            seen.iter()
                .all(|(q, c)| c.is_none() && !q.contains("$filter") && !q.contains("$count")),
            "{seen:?}"
        );
    }
    let before = seen.lock().unwrap().len();
    let e = g
        .application_credentials_page(
            &ApplicationScope::Tenant,
            Some("https://elsewhere.example/v1.0/applications?page=2"),
            &d,
        )
        .await
        .unwrap_err();
    assert!(e.message.contains("not followed"), "{e}");
    assert_eq!(
        seen.lock().unwrap().len(),
        before,
        "no request for a link off Graph"
    );
}
