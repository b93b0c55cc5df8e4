//! A tenant of 12 applications served in pages of 2, for the tenant-wide and
//! per-identity reads (the audit data source and the list resource), and a proxy that
//! fails the second page.

use entra_emulator::EmulatorConfig;
use serde_json::json;

use super::*;

const GITHUB: &str = "https://token.actions.githubusercontent.com";
/// The route every tenant-wide or per-identity page is counted under.
pub const PAGES: &str = "GET /v1.0/applications";

/// 12 applications besides the seed's two, in pages of 2: applications 0, 3 and 7 trust
/// `deploy`, application 5 trusts `build`, and every one has a GitHub credential.
pub fn tenant() -> Emu {
    let emu = Emu::start(EmulatorConfig {
        seed: seed_with_apps(0..12),
        page_size: Some(2),
        ..EmulatorConfig::default()
    });
    for i in 0..12 {
        let app = extra_app_object_id(i);
        emu.oob_create(
            &app,
            json!({"name": "github", "issuer": GITHUB, "subject": format!("repo:o/r{i}:ref:refs/heads/main")}),
        );
        let trusted = match i {
            0 | 3 | 7 => Some(DEPLOY_PRINCIPAL),
            5 => Some(BUILD_PRINCIPAL),
            _ => None,
        };
        if let Some(p) = trusted {
            emu.oob_create(
                &app,
                json!({"name": "deploy", "issuer": entra_issuer(), "subject": p}),
            );
        }
    }
    emu
}

/// Forwards everything to `emu`, but answers the second page of the application list
/// 500 (not retried), as a Graph failing mid-way would.
pub fn failing_second_page(emu: &Emu, rt: &tokio::runtime::Runtime) -> String {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::response::{IntoResponse, Response};
    let upstream = emu.url.clone();
    let client = reqwest::Client::new();
    let router = axum::Router::new().fallback(move |req: Request| {
        let upstream = upstream.clone();
        let client = client.clone();
        async move {
            let uri = req.uri().clone();
            let query = uri.query().unwrap_or("");
            if uri.path() == "/v1.0/applications" && query.contains("skiptoken") {
                let body = json!({"error": {"code": "generalException", "message": "page lost", "innerError": {"request-id": "mid-way-failure"}}});
                return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response();
            }
            let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let mut fwd = client.request(req.method().clone(), format!("{upstream}{pq}"));
            for (k, v) in req.headers() {
                if k != "host" {
                    fwd = fwd.header(k, v);
                }
            }
            // The emulator builds next links on the host it was called on: this proxy.
            if let Some(host) = req.headers().get("host") {
                fwd = fwd.header("host", host);
            }
            let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
            let answer = fwd.body(body).send().await.expect("emulator answers");
            let mut out = Response::builder().status(answer.status().as_u16());
            for (k, v) in answer.headers() {
                out = out.header(k, v);
            }
            out.body(Body::from(answer.bytes().await.unwrap_or_default()))
                .expect("response")
        }
    });
    rt.block_on(serve(router))
}
