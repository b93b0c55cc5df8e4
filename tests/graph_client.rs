//! The Graph client against a loopback mock: correlation headers, OData errors,
//! pagination, retries honouring Retry-After, and PATCH bodies without `name`.

mod common;

use common::fixed_token::FixedToken;
use common::{fast_backoff, serve, ten_seconds};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Json;
use serde_json::{json, Value};
use terraform_provider_entra::entra::graph::{AppRef, GraphClient, GraphErrorKind, NewCredential};

#[derive(Default)]
struct Seen {
    calls: AtomicU32,
    client_request_ids: Mutex<Vec<String>>,
    patch_bodies: Mutex<Vec<Value>>,
}

async fn list(
    State(seen): State<Arc<Seen>>,
    headers: HeaderMap,
    query: axum::extract::RawQuery,
) -> axum::response::Response {
    let n = seen.calls.fetch_add(1, Ordering::SeqCst);
    if let Some(id) = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
    {
        seen.client_request_ids.lock().unwrap().push(id.to_string());
    }
    assert_eq!(
        headers.get("authorization").unwrap(),
        "Bearer fixed-test-token"
    );
    if n == 0 {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("Retry-After", "0")],
            Json(json!({"error": {"code": "TooManyRequests", "message": "slow down"}})),
        )
            .into_response();
    }
    let fic = |i: u32| json!({"id": format!("id-{i}"), "name": format!("n{i}"), "issuer": "https://i", "subject": "s", "audiences": ["a"], "description": null});
    if query.0.as_deref() == Some("page=2") {
        Json(json!({"value": [fic(2)]})).into_response()
    } else {
        let base = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_string();
        Json(json!({"value": [fic(1)], "@odata.nextLink": format!("http://{base}/v1.0/applications/app/federatedIdentityCredentials?page=2")})).into_response()
    }
}

async fn one(
    State(seen): State<Arc<Seen>>,
    method: axum::http::Method,
    body: String,
) -> axum::response::Response {
    match method {
        axum::http::Method::PATCH => {
            seen.patch_bodies.lock().unwrap().push(serde_json::from_str(&body).unwrap());
            StatusCode::NO_CONTENT.into_response()
        }
        _ => (
            StatusCode::FORBIDDEN,
            [("request-id", "rid-123")],
            Json(json!({"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation.", "innerError": {"request-id": "rid-123"}}})),
        )
            .into_response(),
    }
}

async fn client() -> (GraphClient, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let router = axum::Router::new()
        .route(
            "/v1.0/applications/app/federatedIdentityCredentials",
            get(list),
        )
        .route(
            "/v1.0/applications/app/federatedIdentityCredentials/{id}",
            get(one).patch(one),
        )
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
async fn lists_all_pages_after_a_throttle() {
    let (g, seen) = client().await;
    let all = g
        .list_credentials(&AppRef::ObjectId("app".into()), &ten_seconds())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec!["n1", "n2"]
    );
    assert_eq!(seen.calls.load(Ordering::SeqCst), 3);
    let ids = seen.client_request_ids.lock().unwrap().clone();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|i| uuid::Uuid::parse_str(i).is_ok()));
    assert_ne!(ids[0], ids[1], "every call gets its own client-request-id");
}

#[tokio::test]
async fn errors_say_what_they_mean() {
    let (g, _) = client().await;
    let e = g
        .get_credential(&AppRef::ObjectId("app".into()), "x", &ten_seconds())
        .await
        .unwrap_err();
    assert_eq!(e.kind, GraphErrorKind::Forbidden);
    assert_eq!(e.request_id.as_deref(), Some("rid-123"));
    let text = e.to_string();
    assert!(
        text.contains("Application.ReadWrite.All")
            && text.contains("Authorization_RequestDenied")
            && text.contains("rid-123"),
        "{text}"
    );
}

#[tokio::test]
async fn patch_never_sends_the_name() {
    let (g, seen) = client().await;
    let p = NewCredential {
        name: "immutable".into(),
        issuer: "https://i".into(),
        subject: "s".into(),
        audiences: vec!["a".into()],
        description: None,
    };
    g.update_credential(&AppRef::ObjectId("app".into()), "id-1", &p, &ten_seconds())
        .await
        .unwrap();
    let body = seen.patch_bodies.lock().unwrap()[0].clone();
    assert!(body.get("name").is_none(), "{body}");
    assert_eq!(body["issuer"], json!("https://i"));
}
