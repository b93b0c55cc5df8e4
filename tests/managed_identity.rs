//! Managed identity sources against small loopback servers: IMDS retries, Azure Arc's
//! challenge, Cloud Shell's POST, and one request for many concurrent callers.

mod common;

use common::{fast_backoff, serve, ten_seconds, EXCHANGE};
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use serde_json::json;
use terraform_provider_entra::entra::managed_identity::{
    ManagedIdentityClient, ManagedIdentityId, Source,
};

fn token_body() -> Json<serde_json::Value> {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    Json(
        json!({"access_token": "header.payload.signature-of-a-test-token", "expires_on": exp.to_string(), "expires_in": "3600", "token_type": "Bearer"}),
    )
}

fn fast(mi: ManagedIdentityClient) -> ManagedIdentityClient {
    mi.with_backoff(fast_backoff(), Duration::from_millis(200))
}

/// Serves GET `path` with `answer`, given how many requests came before and the request's
/// headers; the base URL and the number of requests so far.
async fn serve_counting<F, Fut>(path: &str, answer: F) -> (String, Arc<AtomicU32>)
where
    F: Fn(u32, HeaderMap) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let router = axum::Router::new().route(
        path,
        get(move |headers: HeaderMap| answer(counter.fetch_add(1, Ordering::SeqCst), headers)),
    );
    (serve(router).await, calls)
}

#[tokio::test]
async fn imds_retries_transient_answers() {
    let (base, calls) = serve_counting(
        "/metadata/identity/oauth2/token",
        |earlier, headers| async move {
            assert_eq!(headers.get("Metadata").unwrap(), "true");
            match earlier {
                0 => StatusCode::GONE.into_response(),
                1 => StatusCode::TOO_MANY_REQUESTS.into_response(),
                2 => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                _ => token_body().into_response(),
            }
        },
    )
    .await;
    let mi = fast(ManagedIdentityClient::new(
        Source::Imds {
            endpoint: format!("{base}/metadata/identity/oauth2/token"),
        },
        reqwest::Client::new(),
    ));
    let t = mi
        .get_token(
            &ManagedIdentityId::ClientId("c".into()),
            "api://AzureADTokenExchange",
            &ten_seconds(),
        )
        .await
        .unwrap();
    assert!(t.is_fresh());
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn one_request_for_many_concurrent_callers() {
    let (base, calls) = serve_counting("/token", |_, _| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        token_body().into_response()
    })
    .await;
    let mi = Arc::new(ManagedIdentityClient::new(
        Source::Imds {
            endpoint: format!("{base}/token"),
        },
        reqwest::Client::new(),
    ));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let mi = mi.clone();
        tasks.push(tokio::spawn(async move {
            mi.get_token(&ManagedIdentityId::Default, EXCHANGE, &ten_seconds())
                .await
                .is_ok()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(mi.request_count(), 1);
}

#[tokio::test]
async fn azure_arc_challenge() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("challenge.key");
    std::fs::write(&key, "arc-secret-value").unwrap();
    let realm = key.display().to_string();
    let router = axum::Router::new().route(
        "/metadata/identity/oauth2/token",
        get(move |headers: HeaderMap| {
            let realm = realm.clone();
            async move {
                match headers.get("Authorization").and_then(|v| v.to_str().ok()) {
                    Some("Basic arc-secret-value") => token_body().into_response(),
                    _ => (
                        StatusCode::UNAUTHORIZED,
                        [("WWW-Authenticate", format!("Basic realm={realm}"))],
                    )
                        .into_response(),
                }
            }
        }),
    );
    let base = serve(router).await;
    let source = Source::AzureArc {
        endpoint: format!("{base}/metadata/identity/oauth2/token"),
    };
    let mi = fast(
        ManagedIdentityClient::new(source.clone(), reqwest::Client::new())
            .with_arc_key_dir(dir.path().to_path_buf()),
    );
    assert!(mi
        .get_token(&ManagedIdentityId::Default, EXCHANGE, &ten_seconds())
        .await
        .is_ok());
    // A key file outside the agent's directory is refused.
    let elsewhere = tempfile::tempdir().unwrap();
    let mi = fast(
        ManagedIdentityClient::new(source, reqwest::Client::new())
            .with_arc_key_dir(elsewhere.path().to_path_buf()),
    );
    let err = mi
        .get_token(&ManagedIdentityId::Default, EXCHANGE, &ten_seconds())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("token directory"), "{err}");
}

#[tokio::test]
async fn cloud_shell_posts_a_form() {
    let router = axum::Router::new().route(
        "/oauth2/token",
        post(|headers: HeaderMap, body: String| async move {
            assert_eq!(headers.get("Metadata").unwrap(), "true");
            assert!(body.contains("resource=api"), "{body}");
            token_body()
        }),
    );
    let base = serve(router).await;
    let mi = ManagedIdentityClient::new(
        Source::CloudShell {
            endpoint: format!("{base}/oauth2/token"),
        },
        reqwest::Client::new(),
    );
    assert!(mi
        .get_token(&ManagedIdentityId::Default, EXCHANGE, &ten_seconds())
        .await
        .is_ok());
}

#[tokio::test]
async fn unreachable_endpoint_says_so_quickly() {
    let mi = ManagedIdentityClient::new(
        Source::Imds {
            endpoint: "http://127.0.0.1:1/metadata/identity/oauth2/token".into(),
        },
        reqwest::Client::new(),
    );
    let started = std::time::Instant::now();
    let err = mi
        .get_token(&ManagedIdentityId::Default, EXCHANGE, &ten_seconds())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("no managed identity endpoint reachable"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A slow IMDS (no answer within the client's response timeout) is there, only slow: it
/// is retried within the budget, and when it stays slow the error says so instead of
/// "not on Azure".
#[tokio::test]
async fn a_slow_imds_is_retried_and_reported_as_slow() {
    let (base, calls) =
        serve_counting("/metadata/identity/oauth2/token", |earlier, _| async move {
            if earlier < 2 {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            token_body().into_response()
        })
        .await;
    let impatient = || {
        reqwest::Client::builder()
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap()
    };
    let source = Source::Imds {
        endpoint: format!("{base}/metadata/identity/oauth2/token"),
    };
    let mi = fast(ManagedIdentityClient::new(source.clone(), impatient()));
    let t = mi
        .get_token(&ManagedIdentityId::Default, EXCHANGE, &ten_seconds())
        .await
        .expect("the third try answers in time");
    assert!(t.is_fresh());
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let (base, calls) = serve_counting("/metadata/identity/oauth2/token", |_, _| async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        token_body().into_response()
    })
    .await;
    let mi = fast(ManagedIdentityClient::new(
        Source::Imds {
            endpoint: format!("{base}/metadata/identity/oauth2/token"),
        },
        impatient(),
    ));
    let e = mi
        .get_token(&ManagedIdentityId::Default, EXCHANGE, &ten_seconds())
        .await
        .expect_err("always slow")
        .to_string();
    assert!(calls.load(Ordering::SeqCst) > 1, "retried: {e}");
    assert!(
        e.contains("no complete answer within the response timeout") && e.contains("is slow"),
        "{e}"
    );
    assert!(!e.contains("not running on Azure"), "{e}");
}
