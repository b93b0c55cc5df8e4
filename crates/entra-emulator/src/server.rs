//! The HTTP server: reads each request whole, applies faults and latency, dispatches,
//! adds Graph's correlation headers, counts and logs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::faults::Fault;
use crate::routes::{self, Kind, Req};
use crate::Shared;

/// Why a connection is closed without an answer (an injected drop).
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// Serves `listener` until `shutdown` is cancelled, each connection on its own task,
/// over TLS when `tls` is given.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(_) => continue,
            },
            _ = shutdown.cancelled() => return,
        };
        // Answers are small: without NODELAY each one waits for the client's delayed ACK
        // (about 40 ms a call). Best effort: a socket that refuses it is still served.
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let shutdown = shutdown.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let Some(acceptor) = tls else {
                return serve_connection(stream, shared, shutdown).await;
            };
            match acceptor.accept(stream).await {
                Ok(stream) => serve_connection(stream, shared, shutdown).await,
                // Counted so tests can tell how often a client that refused the
                // certificate tried.
                Err(_) => shared.lock().counters.tls_handshake_failures += 1,
            }
        });
    }
}

/// Serves one connection (HTTP/1.1 or HTTP/2) until it ends or `shutdown`.
async fn serve_connection<I>(io: I, shared: Arc<Shared>, shutdown: CancellationToken)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let shared = shared.clone();
        async move { finish_detached(handle(shared, req)).await }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::select! {
        _ = conn => {}
        _ = shutdown.cancelled() => {}
    }
}

/// Runs a request's handling on its own task, so it completes even when the client goes
/// away (a timeout, a killed process): Graph applies a write whose client disconnected,
/// and the emulator must too, or a client that abandons writes would look correct here.
async fn finish_detached(
    handling: impl std::future::Future<Output = Result<Response<Body>, Dropped>> + Send + 'static,
) -> Result<Response<Body>, Dropped> {
    tokio::spawn(handling).await.unwrap_or(Err(Dropped))
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Dropped> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let body = match http_body_util::BodyExt::collect(body).await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let (route, kind) = routes::classify(&parts.method, parts.uri.path());
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = parts
        .headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| request_id.clone());
    let req = Req {
        method: parts.method.clone(),
        path: parts.uri.path().to_string(),
        query: url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect(),
        headers: parts.headers,
        body,
        request_id: request_id.clone(),
        client_request_id: client_request_id.clone(),
    };

    let fault = if kind == Kind::Graph {
        let is_write = req.method != axum::http::Method::GET;
        let mut dice = shared.dice.lock().unwrap_or_else(|p| p.into_inner());
        dice.roll(&shared.faults, is_write)
    } else {
        Fault::None
    };
    if kind != Kind::Inspect {
        let mut s = shared.lock();
        s.counters.total += 1;
        *s.counters.routes.entry(route.clone()).or_default() += 1;
        if fault != Fault::None {
            *s.counters
                .faults
                .entry(fault.name().to_string())
                .or_default() += 1;
        }
    }
    let mut latency = if kind == Kind::Inspect {
        Duration::ZERO
    } else {
        shared.faults.latency
    };
    if kind == Kind::Graph && req.method != axum::http::Method::GET {
        latency += shared.faults.write_latency;
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let response = match fault {
        Fault::DropBefore => {
            log(&shared, &route, None, fault, started);
            return Err(Dropped);
        }
        Fault::Throttle => {
            let mut r = crate::errors::odata(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests. Please retry after the time specified in the Retry-After header.",
                &request_id,
                &client_request_id,
            );
            r.headers_mut()
                .insert("Retry-After", HeaderValue::from_static("1"));
            r
        }
        Fault::Error => crate::errors::odata(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry.",
            &request_id,
            &client_request_id,
        ),
        Fault::None | Fault::DropAfter => routes::dispatch(&shared, &req, kind).await,
    };
    let status = response.status();
    if fault == Fault::DropAfter {
        log(&shared, &route, Some(status), fault, started);
        return Err(Dropped);
    }
    let mut response = response.into_response();
    if kind == Kind::Graph {
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            h.insert("request-id", v);
        }
        if let Ok(v) = HeaderValue::from_str(&client_request_id) {
            h.insert("client-request-id", v);
        }
    }
    log(&shared, &route, Some(status), fault, started);
    Ok(response)
}

/// One line per request: never a query string, header or body (tokens live there).
fn log(shared: &Shared, route: &str, status: Option<StatusCode>, fault: Fault, started: Instant) {
    if !shared.log_requests {
        return;
    }
    let status = status
        .map(|s| s.as_u16().to_string())
        .unwrap_or_else(|| "-".into());
    eprintln!(
        "entra-emulator: {route} -> {status} fault={} {}ms",
        fault.name(),
        started.elapsed().as_millis()
    );
}
