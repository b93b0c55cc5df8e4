//! The provider's HTTP clients against real loopback listeners: a certificate the client
//! does not trust, https to a plain-HTTP port, a closed port, a name under `.invalid`, and a
//! redirect. Each failure says what failed, where and why, and none is retried.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, post};
use common::*;
use terraform_provider_entra::entra::graph::{AppRef, GraphClient, GraphError, GraphErrorKind};
use terraform_provider_entra::entra::http::{self, CertProblem, TransportKind, TrustSources};
use terraform_provider_entra::entra::managed_identity::{
    ManagedIdentityClient, ManagedIdentityId, Source,
};
use terraform_provider_entra::entra::signin::{Cached, ClientApp, ClientSecret};
use terraform_provider_entra::entra::token_endpoint::{
    request_token, ClientAuth, TokenError, TokenRequest,
};
use terraform_provider_entra::entra::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Asks `authority` for a token with the admin app's secret.
async fn token(http: &reqwest::Client, authority: &str) -> Result<(), TokenError> {
    let secret = Secret::new(ADMIN_SECRET);
    let req = TokenRequest {
        authority_host: authority,
        tenant: TENANT,
        client_id: ADMIN_CLIENT,
        scope: "https://graph.microsoft.com/.default",
        auth: ClientAuth::Secret(&secret),
    };
    request_token(http, &req, &ten_seconds()).await.map(|_| ())
}

fn transport(r: Result<(), TokenError>) -> http::TransportError {
    match r {
        Err(TokenError::Transport(t)) => t,
        Err(other) => panic!("expected a transport error, got {other}"),
        Ok(()) => panic!("expected a transport error, got a token"),
    }
}

#[test]
fn an_untrusted_certificate_is_refused_once_and_a_trusted_ca_is_accepted() {
    let emu = Emu::start_https(Default::default());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let t = transport(rt.block_on(token(&http::client().unwrap(), &emu.url)));
    assert_eq!(
        t.kind,
        TransportKind::Certificate(CertProblem::UnknownIssuer)
    );
    assert_eq!(t.origin, emu.url);
    assert!(t.is_permanent());
    assert_eq!(
        emu.handshake_failures(),
        1,
        "a certificate failure is never retried"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = t.to_string();
    assert_contains_all(
        &text,
        &[
            "certificate was refused",
            "unknown issuer",
            &emu.url,
            "SSL_CERT_FILE",
        ],
    );

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, emu.ca_pem.as_deref().unwrap()).unwrap();
    let trusting = http::client_trusting(&TrustSources {
        cert_file: Some(ca),
        cert_dir: None,
    })
    .unwrap();
    rt.block_on(token(&trusting, &emu.url)).unwrap();
    assert_eq!(emu.requests()["total"], 1);
}

/// A listener that speaks plain HTTP/1.1: it reads what comes and answers 400, counting
/// connections.
async fn plain_http_port() -> (String, Arc<AtomicU32>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicU32::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (format!("127.0.0.1:{}", addr.port()), connections)
}

#[tokio::test]
async fn https_to_a_plain_http_port_says_so_and_is_not_retried() {
    let (addr, connections) = plain_http_port().await;
    let t = transport(token(&http::client().unwrap(), &format!("https://{addr}")).await);
    assert_eq!(t.kind, TransportKind::TlsToPlainHttp, "{t}");
    assert_eq!(connections.load(Ordering::SeqCst), 1, "not retried");
    assert_contains_all(&t.to_string(), &[&format!("https://{addr}"), "plain HTTP"]);
}

/// A loopback port nothing listens on.
async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_closed_loopback_port_is_refused_at_once() {
    let port = closed_port().await;
    let started = Instant::now();
    let t = transport(
        token(
            &http::client().unwrap(),
            &format!("http://127.0.0.1:{port}"),
        )
        .await,
    );
    assert_eq!(t.kind, TransportKind::Refused);
    assert!(t.is_permanent());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_contains_all(
        &t.to_string(),
        &[&format!("http://127.0.0.1:{port}"), "refused"],
    );

    // Managed identity counts its attempts: one.
    let mi = ManagedIdentityClient::new(
        Source::Imds {
            endpoint: format!("http://127.0.0.1:{port}/metadata/identity/oauth2/token"),
        },
        http::managed_identity_client().unwrap(),
    )
    .with_backoff(fast_backoff(), Duration::ZERO);
    let e = mi
        .get_token(
            &ManagedIdentityId::Default,
            "api://AzureADTokenExchange",
            &ten_seconds(),
        )
        .await
        .unwrap_err();
    assert_eq!(mi.request_count(), 1);
    assert_contains_all(
        &e.to_string(),
        &[
            "refused",
            "no managed identity endpoint reachable",
            "msi_endpoint",
        ],
    );
}

#[tokio::test]
async fn a_name_under_invalid_does_not_exist_without_asking_dns() {
    let started = Instant::now();
    let t = transport(token(&http::client().unwrap(), "https://login.example.invalid").await);
    assert_eq!(t.kind, TransportKind::UnknownHost);
    assert!(t.is_permanent());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_contains_all(
        &t.to_string(),
        &[
            "https://login.example.invalid",
            "does not exist",
            "authority_host",
        ],
    );
}

/// A server answering every request with a 307 to `target`.
async fn redirecting_to(target: String) -> String {
    let router = axum::Router::new().fallback(any(move || {
        let target = target.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]).into_response() }
    }));
    serve(router).await
}

/// A server counting the requests it gets.
async fn counting() -> (String, Arc<AtomicU32>) {
    let hits = Arc::new(AtomicU32::new(0));
    let h = hits.clone();
    let router = axum::Router::new().fallback(any(move || {
        h.fetch_add(1, Ordering::SeqCst);
        async { StatusCode::OK }
    }));
    (serve(router).await, hits)
}

#[tokio::test]
async fn a_redirect_from_the_token_endpoint_is_refused_and_the_secret_stays() {
    let (other, hits) = counting().await;
    let target = format!("{other}/{TENANT}/oauth2/v2.0/token");
    let authority = redirecting_to(target.clone()).await;
    let t = transport(token(&http::client().unwrap(), &authority).await);
    let from = format!("{authority}/{TENANT}/oauth2/v2.0/token");
    assert_eq!(
        t.kind,
        TransportKind::Redirect {
            from: from.clone(),
            to: target.clone()
        }
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the second server got nothing"
    );
    assert_contains_all(&t.to_string(), &[&from, &target, "does not follow"]);
}

#[tokio::test]
async fn a_redirect_from_graph_is_refused_naming_both_urls() {
    let (other, hits) = counting().await;
    let graph = redirecting_to(format!("{other}/elsewhere")).await;
    let (authority, _) = counting_token_endpoint().await;
    let signin = ClientSecret {
        app: ClientApp {
            http: http::client().unwrap(),
            authority_host: authority,
            tenant: TENANT.into(),
            client_id: ADMIN_CLIENT.into(),
        },
        secret: Secret::new(ADMIN_SECRET),
        hint: "client_secret".into(),
    };
    let g = GraphClient::new(
        http::client().unwrap(),
        &graph,
        "https://graph.microsoft.com",
        Arc::new(Cached::new("client secret", signin)),
    );
    let e = g
        .get_application(&AppRef::ObjectId(WORKLOAD_OBJECT.into()), &ten_seconds())
        .await
        .unwrap_err();
    assert_eq!(e.kind, GraphErrorKind::Transport);
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    assert_contains_all(
        &e.to_string(),
        &[
            "Graph read (GET)",
            &format!("{graph}/v1.0/applications/"),
            &format!("{other}/elsewhere"),
            "redirect",
        ],
    );
}

/// A token endpoint that always answers with a token.
async fn counting_token_endpoint() -> (String, Arc<AtomicU32>) {
    let hits = Arc::new(AtomicU32::new(0));
    let h = hits.clone();
    let router = axum::Router::new().route(
        "/{tenant}/oauth2/v2.0/token",
        post(move || {
            h.fetch_add(1, Ordering::SeqCst);
            async {
                axum::Json(serde_json::json!({"access_token": "a.b.c", "expires_in": 3600, "token_type": "Bearer"}))
            }
        }),
    );
    (serve(router).await, hits)
}

#[test]
fn a_sign_in_failure_reads_as_one_without_repeating_the_method() {
    let e = GraphError {
        kind: GraphErrorKind::SignIn,
        status: None,
        code: "client secret".into(),
        message: "the server's certificate was refused for https://login.example: unknown issuer"
            .into(),
        request_id: None,
        client_request_id: None,
    };
    let text = e.to_string();
    assert!(!text.contains("code client secret"), "{text}");
    assert!(!text.contains("client secret: client secret"), "{text}");
    assert!(
        text.starts_with("Signing in to Microsoft Graph failed (sign-in method: client secret)."),
        "{text}"
    );
    assert!(
        text.ends_with(
            "\n\nthe server's certificate was refused for https://login.example: unknown issuer"
        ),
        "{text}"
    );
    let (summary, detail) = e.headed("Cannot read application a0000000");
    assert_eq!(summary, "Cannot sign in to Microsoft Graph");
    assert!(
        detail.contains("Cannot read application a0000000"),
        "{detail}"
    );

    let answered = GraphError {
        kind: GraphErrorKind::Forbidden,
        status: Some(403),
        code: "Authorization_RequestDenied".into(),
        message: "Insufficient privileges".into(),
        ..e.clone()
    };
    assert!(answered
        .to_string()
        .contains("\n\nHTTP 403 code Authorization_RequestDenied: Insufficient privileges"));
    assert_eq!(
        answered.headed("Cannot read application a").0,
        "Cannot read application a"
    );
}
