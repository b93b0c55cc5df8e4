//! The diagnostic a user sees says what happened (SPEC §6), read from the real terraform:
//! a redirect names where it pointed and is no timeout, a dead proxy is named with the
//! variable that set it, 5xx that kept coming say how many tries over how long and that
//! the timeout was reached, a 500 no retry fixes and a malformed answer say so at once, a
//! Graph that takes the request and never answers is a response timeout.

mod common;

use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::any;
use common::*;
use entra_emulator::{EmulatorConfig, Faults};

/// A loopback listener answering every request with `answer`, on its own runtime.
struct Listener {
    url: String,
    _rt: tokio::runtime::Runtime,
}

fn listen(answer: fn() -> axum::response::Response) -> Listener {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let url = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let router = axum::Router::new().fallback(any(move || async move { answer() }));
        tokio::spawn(async move { axum::serve(l, router).await });
        url
    });
    Listener { url, _rt: rt }
}

/// A GitHub credential (no identity lookups at plan) with a create timeout of `create`.
fn github_credential(create: &str) -> String {
    format!(
        "resource \"entra_mi_federated_credential\" \"c\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"said\"\n  issuer = \"https://token.actions.githubusercontent.com\"\n  subject = \"repo:entra-mi/demo:ref:refs/heads/main\"\n  timeouts {{\n    create = \"{create}\"\n  }}\n}}\n"
    )
}

/// A provider block signing in at `emu`, with Graph at `graph`.
fn graph_at(emu: &Emu, graph: &str) -> String {
    emu.provider_block().replace(
        &format!("graph_endpoint = \"{}\"", emu.url),
        &format!("graph_endpoint = \"{graph}\""),
    )
}

#[test]
fn a_redirect_from_graph_names_its_target_and_is_no_timeout() {
    let emu = Emu::default();
    let graph = listen(|| {
        (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, "https://elsewhere.example/v1.0/stolen")],
        )
            .into_response()
    });
    let h = Harness::initialised(&format!(
        "{}{}",
        graph_at(&emu, &graph.url),
        github_credential("40s")
    ));
    let started = Instant::now();
    let text = h.fails(APPLY);
    let elapsed = started.elapsed();
    assert_contains_all(
        &text,
        &[
            "answered with a redirect to https://elsewhere.example/v1.0/stolen",
            "which the provider does not follow",
            &graph.url,
        ],
    );
    assert!(
        !text.contains("ended at its timeout"),
        "no clock ran out: {text}"
    );
    assert!(!text.contains("timed out"), "{text}");
    assert!(
        elapsed < Duration::from_secs(30),
        "a redirect is not retried: {elapsed:?}"
    );
    assert_eq!(emu.credential_count(), 0);
}

/// The address of a proxy that is not there (a port just freed).
fn dead_proxy() -> String {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", dead.local_addr().unwrap())
}

/// `terraform apply` with `variable` naming `proxy` (with a password, which must never
/// show) and no `NO_PROXY`: its failing output.
fn apply_through_proxy(h: &mut Harness, variable: &str, proxy: &str) -> String {
    let with_password = format!(
        "http://user:hunter2@{}",
        proxy.trim_start_matches("http://")
    );
    h.set_env(variable, &with_password);
    h.set_env("NO_PROXY", "");
    h.fails(APPLY)
}

#[test]
fn a_dead_proxy_is_named_with_its_variable() {
    let emu = Emu::start_https(Default::default());
    let proxy = dead_proxy();
    let mut h = Harness::new();
    let ca = h.dir.path().join("emulator-ca.pem");
    std::fs::write(&ca, emu.ca_pem.as_deref().expect("HTTPS emulator")).unwrap();
    h.set_env("SSL_CERT_FILE", &ca.display().to_string());
    h.set_env("SSL_CERT_DIR", "");
    h.main_tf(&format!(
        "{}{}",
        emu.provider_block(),
        github_credential("20s")
    ));
    h.init();
    let text = apply_through_proxy(&mut h, "HTTPS_PROXY", &proxy);
    assert_contains_all(
        &text,
        &[
            &format!(
                "the proxy {proxy} (set by HTTPS_PROXY) refused or failed the tunnel to {}",
                emu.url
            ),
            "Check HTTPS_PROXY",
        ],
    );
    assert!(
        !text.contains("hunter2"),
        "the proxy's password stays out: {text}"
    );
    assert!(!text.contains("ended at its timeout"), "{text}");
    assert_eq!(emu.requests()["total"], 0, "nothing got through");
}

#[test]
fn five_hundreds_that_kept_coming_say_tries_elapsed_and_the_timeout() {
    let emu = Emu::start(EmulatorConfig {
        faults: Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    });
    let h = Harness::ready(&emu, &github_credential("8s"));
    let text = h.fails(APPLY);
    assert_contains_all(
        &text,
        &[
            "Graph kept answering HTTP 503 (a server error) until the operation's timeout",
            "tries over",
            "The operation ended at its timeout 8s",
        ],
    );
    let tries: Vec<u32> = text
        .split(" tries over")
        .filter_map(|before| before.rsplit(' ').next()?.parse().ok())
        .collect();
    assert!(tries.iter().any(|&n| n > 1), "several tries: {text}");
    assert_eq!(emu.credential_count(), 0);
}

#[test]
fn a_500_and_a_malformed_answer_are_told_at_once_without_a_timeout() {
    let emu = Emu::default();
    for (answer, says) in [
        (
            (|| {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "{\"error\":{\"code\":\"UnknownError\",\"message\":\"boom\"}}",
                )
                    .into_response()
            }) as fn() -> axum::response::Response,
            &[
                "a server error (5xx) that a retry is not expected to fix",
                "HTTP 500 code UnknownError: boom",
            ][..],
        ),
        (
            || (StatusCode::OK, "<html>captive portal</html>").into_response(),
            &[
                "Graph's answer could not be read",
                "unexpected Graph response",
            ][..],
        ),
    ] {
        let graph = listen(answer);
        let h = Harness::initialised(&format!(
            "{}{}",
            graph_at(&emu, &graph.url),
            github_credential("40s")
        ));
        let started = Instant::now();
        let text = h.fails(APPLY);
        assert_contains_all(&text, says);
        assert!(!text.contains("ended at its timeout"), "{text}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
    }
}

/// A loopback TCP listener that accepts connections and hands each to `serve` on its own
/// thread; its port and how many connections it took.
fn raw_listener(
    serve: fn(std::net::TcpStream),
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicU32>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let count = taken.clone();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::spawn(move || serve(conn));
        }
    });
    (port, taken)
}

#[test]
fn a_refused_connection_is_said_at_once() {
    let emu = Emu::default();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let graph = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let h = Harness::initialised(&format!(
        "{}{}",
        graph_at(&emu, &graph),
        github_credential("40s")
    ));
    let started = Instant::now();
    let text = h.fails(APPLY);
    assert_contains_all(
        &text,
        &[&format!(
            "the connection to {graph} was refused: nothing listens there"
        )],
    );
    assert!(!text.contains("ended at its timeout"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

/// Graph's TLS port never finishes the handshake: each try ends at the connect timeout
/// (10 s), is retried, and the operation ends at its own timeout, which is said as such.
#[test]
fn a_connect_timeout_is_retried_until_the_operation_timeout() {
    let emu = Emu::default();
    let (port, taken) = raw_listener(|conn| {
        std::thread::sleep(Duration::from_secs(60));
        drop(conn);
    });
    let graph = format!("https://127.0.0.1:{port}");
    let h = Harness::initialised(&format!(
        "{}{}",
        graph_at(&emu, &graph),
        github_credential("25s")
    ));
    let text = h.fails(APPLY);
    assert_contains_all(
        &text,
        &[
            "Graph gave no usable answer before the operation's timeout",
            &format!("connecting to {graph} timed out"),
            "the request was not sent",
            "tries over",
            "The operation ended at its timeout 25s",
        ],
    );
    assert!(
        taken.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "retried: {text}"
    );
}

/// Graph's TLS port ends every handshake with a fatal alert: not a certificate refusal,
/// so it is retried (with backoff) like other transport faults, and said as a handshake
/// failure.
#[test]
fn a_refused_handshake_is_retried_with_backoff_and_named() {
    let emu = Emu::default();
    let (port, taken) = raw_listener(|mut conn| {
        use std::io::{Read, Write};
        let mut hello = [0u8; 4096];
        let _ = conn.read(&mut hello);
        // TLS alert record: fatal (2) handshake_failure (40).
        let _ = conn.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
    });
    let graph = format!("https://127.0.0.1:{port}");
    let h = Harness::initialised(&format!(
        "{}{}",
        graph_at(&emu, &graph),
        github_credential("6s")
    ));
    let started = Instant::now();
    let text = h.fails(APPLY);
    let elapsed = started.elapsed();
    assert_contains_all(
        &text,
        &[
            &format!("the TLS handshake with {graph} failed (not a certificate problem)"),
            "HandshakeFailure",
            "The operation ended at its timeout 6s",
        ],
    );
    assert!(!text.contains("certificate was refused"), "{text}");
    let handshakes = taken.load(std::sync::atomic::Ordering::SeqCst);
    eprintln!("{handshakes} refused handshakes in {elapsed:?}");
    // With backoff (250 ms doubling) a 6 s create makes a handful of tries, not hundreds.
    assert!(
        (2..=40).contains(&handshakes),
        "{handshakes} handshakes in {elapsed:?}: {text}"
    );
}

/// A request read and never answered: the connection stays open until the client leaves.
fn never_answer(mut conn: std::net::TcpStream) {
    use std::io::Read;
    let mut buf = [0u8; 8192];
    while conn.read(&mut buf).is_ok_and(|n| n > 0) {}
}

/// The error's part of terraform's output (after the plan-time warnings).
fn error_part(text: &str) -> &str {
    text.split_once("Error: ").map_or("", |(_, e)| e)
}

/// "N tries over X s" in `text`: (N, X).
fn tries_over(text: &str) -> Option<(u32, f64)> {
    let (before, after) = text.split_once(" tries over ")?;
    let tries = before.rsplit(' ').next()?.parse().ok()?;
    let secs = after.split(' ').next()?.parse().ok()?;
    Some((tries, secs))
}

/// Graph takes the connection and the request and never answers. Each try ends at the
/// response timeout `ENTRA_RESPONSE_TIMEOUT` sets (1 s here) and is retried; the
/// operation then ends at its own timeout, which is said because it was reached.
#[test]
fn a_response_timeout_names_the_host_the_wait_and_the_retries() {
    let emu = Emu::default();
    let (port, taken) = raw_listener(never_answer);
    let graph = format!("http://127.0.0.1:{port}");
    let mut h = Harness::initialised(&format!(
        "{}{}",
        graph_at(&emu, &graph),
        github_credential("6s")
    ));
    h.set_env("ENTRA_RESPONSE_TIMEOUT", "1s");
    let text = h.fails(APPLY);
    let error = error_part(&text);
    assert_contains_all(
        error,
        &[
            &format!(
                "{graph} took the request but sent no complete answer within the response timeout of 1s (set by ENTRA_RESPONSE_TIMEOUT)"
            ),
            "ENTRA_RESPONSE_TIMEOUT sets how long each request waits for its answer",
            "The operation ended at its timeout 6s",
        ],
    );
    for not_this in ["connecting to", "refused", "closed before an answer"] {
        assert!(!text.contains(not_this), "{not_this:?}: {text}");
    }
    let (tries, secs) = tries_over(error).unwrap_or_else(|| panic!("tries: {text}"));
    assert!(tries >= 2, "retried: {text}");
    // The operation's timeout is claimed only because its clock ran out.
    assert!(secs >= 4.5, "{secs} s is not the 6s timeout: {text}");
    let connections = taken.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        connections >= tries - 1,
        "each try reached the listener: {connections} connections, {tries} tries"
    );
    assert_eq!(emu.credential_count(), 0);
}

/// The same silent Graph with the default response timeout (60 s) and a 3 s create: the
/// operation's timeout ran out first, and no response timeout is claimed.
#[test]
fn an_operation_timeout_before_the_response_timeout_is_said_as_such() {
    let emu = Emu::default();
    let (port, taken) = raw_listener(never_answer);
    let graph = format!("http://127.0.0.1:{port}");
    let h = Harness::initialised(&format!(
        "{}{}",
        graph_at(&emu, &graph),
        github_credential("3s")
    ));
    let text = h.fails(APPLY);
    let error = error_part(&text);
    assert_contains_all(
        error,
        &[
            "no answer before the operation's timeout",
            "The operation ended at its timeout 3s",
        ],
    );
    assert!(!text.contains("response timeout"), "{text}");
    assert!(
        !error.contains("tries over"),
        "one try, cut by the deadline: {text}"
    );
    assert!(taken.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

/// A plain-http emulator on loopback behind a dead `HTTP_PROXY`: loopback goes through
/// the proxy unless `NO_PROXY` names it, so the refusal is the proxy's, named with its
/// variable, and not the emulator's.
#[test]
fn a_dead_http_proxy_is_named_for_a_plain_http_endpoint() {
    let emu = Emu::default();
    let proxy = dead_proxy();
    let mut h = Harness::initialised(&format!(
        "{}{}",
        emu.provider_block(),
        github_credential("20s")
    ));
    let text = apply_through_proxy(&mut h, "HTTP_PROXY", &proxy);
    assert_contains_all(
        &text,
        &[
            &format!(
                "the proxy {proxy} (set by HTTP_PROXY) could not forward the request to {}: the connection to the proxy was refused",
                emu.url
            ),
            "Check HTTP_PROXY",
        ],
    );
    assert!(
        !text.contains(&format!("the connection to {} was refused", emu.url)),
        "the emulator is not the one that refused: {text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("ended at its timeout"), "{text}");
    assert_eq!(emu.requests()["total"], 0, "nothing got through");
}

/// The same dead `HTTP_PROXY` with `NO_PROXY` naming loopback: requests go around the
/// proxy, so a refused Graph port is the server's refusal and no proxy is blamed.
#[test]
fn no_proxy_keeps_the_dead_proxy_out_of_the_diagnostic() {
    let emu = Emu::default();
    let ports: Vec<String> = (0..2)
        .map(|_| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", l.local_addr().unwrap())
        })
        .collect();
    let (proxy, graph) = (&ports[0], &ports[1]);
    let mut h = Harness::initialised(&format!(
        "{}{}",
        graph_at(&emu, graph),
        github_credential("20s")
    ));
    h.set_env("HTTP_PROXY", proxy);
    h.set_env("NO_PROXY", "127.0.0.1,localhost");
    let text = h.fails(APPLY);
    assert_contains_all(
        &text,
        &[&format!(
            "the connection to {graph} was refused: nothing listens there"
        )],
    );
    assert!(!text.contains("proxy http"), "no proxy was used: {text}");
    assert!(
        emu.route_count("POST /{id}/oauth2/v2.0/token") >= 1,
        "sign-in reached the emulator around the proxy"
    );
}
