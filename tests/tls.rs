//! Terraform against the emulator over HTTPS with a throwaway CA: trusted through
//! `SSL_CERT_FILE` the whole lifecycle works; without it the certificate is refused at
//! once with a diagnostic that says why and what to do; and behind an `HTTPS_PROXY` (a
//! CONNECT proxy built into the test) sign-in and Graph go through the proxy while the
//! managed identity endpoint never does.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

/// A harness whose provider trusts the OS store plus, when given, `emu`'s CA through
/// `SSL_CERT_FILE` (the test process's own SSL_CERT_FILE / SSL_CERT_DIR are overridden).
fn harness(trusting: Option<&Emu>) -> Harness {
    let mut h = Harness::new();
    let file = trusting.map(|emu| {
        let path = h.dir.path().join("emulator-ca.pem");
        std::fs::write(&path, emu.ca_pem.as_deref().expect("an HTTPS emulator")).unwrap();
        path.display().to_string()
    });
    h.set_env("SSL_CERT_FILE", file.as_deref().unwrap_or(""));
    h.set_env("SSL_CERT_DIR", "");
    h
}

#[test]
fn the_lifecycle_works_over_https_with_the_ca_in_ssl_cert_file() {
    let emu = Emu::start_https(Default::default());
    assert!(emu.url.starts_with("https://127.0.0.1:"), "{}", emu.url);
    let h = harness(Some(&emu));
    h.main_tf(&format!(
        "{}{}",
        emu.provider_block(),
        mi_credential("c", "over-https", DEPLOY_PRINCIPAL)
    ));
    h.init();
    h.ok(APPLY);
    let created = emu.credentials(WORKLOAD_OBJECT);
    assert!(
        created.iter().any(|c| c["name"] == "over-https"),
        "{created:?}"
    );
    let plan = h.tf(PLAN_DETAILED);
    assert_eq!(plan.status.code(), Some(0), "{}", all_output(&plan));
    h.ok(DESTROY);
    assert!(emu.credentials(WORKLOAD_OBJECT).is_empty());
    assert_eq!(emu.handshake_failures(), 0);
}

#[test]
fn without_the_ca_the_certificate_is_refused_at_once() {
    let emu = Emu::start_https(Default::default());
    let h = harness(None);
    // A CI system's subject rather than a managed identity: no identity check, so three
    // operations need a token (the live check of the plan, of the apply's plan, and the
    // create).
    let resource = format!(
        "resource \"entra_mi_federated_credential\" \"c\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"refused\"\n  issuer = \"https://token.actions.githubusercontent.com\"\n  subject = \"repo:entra-mi/demo:ref:refs/heads/main\"\n}}\n"
    );
    h.main_tf(&format!("{}{resource}", emu.provider_block()));
    h.init();
    let started = Instant::now();
    let out = h.fails(APPLY);
    let elapsed = started.elapsed();
    let host = emu.url.trim_start_matches("https://");
    assert_contains_all(
        &out,
        &[
            "Cannot sign in to Microsoft Graph",
            "certificate was refused",
            "unknown issuer",
            host,
            "SSL_CERT_FILE",
            "TLS-inspecting proxy",
        ],
    );
    assert!(!out.contains("attempts"), "{out}");
    // At most one handshake per operation that needed a token: a retried failure would
    // make four (the token endpoint's attempts) for a single operation.
    let failures = emu.handshake_failures();
    assert!((1..=3).contains(&failures), "{failures} handshakes: {out}");
    assert_eq!(emu.requests()["total"], 0, "no request got through");
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

/// An HTTP proxy on loopback that tunnels CONNECT requests and refuses anything else,
/// recording each request line.
struct ConnectProxy {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let record = record.clone();
                std::thread::spawn(move || tunnel(client, &record));
            }
        });
        ConnectProxy { url, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// Reads one request head; for `CONNECT host:port` connects there, answers 200 and
/// copies bytes both ways until either side closes.
fn tunnel(client: TcpStream, record: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let first = first.trim_end().to_string();
    record.lock().unwrap().push(first.clone());
    let mut client = client;
    let target = match first.strip_prefix("CONNECT ") {
        Some(rest) => rest.split_whitespace().next().unwrap_or("").to_string(),
        None => {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
            return;
        }
    };
    let Ok(upstream) = TcpStream::connect(&target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (mut up_read, mut up_write) = (upstream.try_clone().unwrap(), upstream);
    let mut down_write = client;
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut reader, &mut up_write);
        let _ = up_write.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut up_read, &mut down_write);
    let _ = down_write.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}

#[test]
fn sign_in_and_graph_use_https_proxy_and_managed_identity_never_does() {
    let emu = Emu::start_https(Default::default());
    // The admin app trusts the deploy identity: sign-in is managed identity, then the
    // token exchange, then Graph.
    emu.oob_create(
        ADMIN_OBJECT,
        json!({"name": "seed", "issuer": entra_issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}),
    );
    let proxy = ConnectProxy::start();
    let mut h = harness(Some(&emu));
    for var in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] {
        h.set_env(var, &proxy.url);
    }
    // reqwest sends loopback through the proxy too unless NO_PROXY says otherwise: make
    // sure nothing inherited says so.
    h.set_env("NO_PROXY", "");
    h.set_env("no_proxy", "");
    // The identity endpoint by another name of the same emulator, so the proxy's log
    // shows whether it was ever asked for it.
    let port = emu.url.rsplit(':').next().unwrap();
    let msi = format!("https://localhost:{port}/metadata/identity/oauth2/token");
    let provider = format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n  use_msi_fic = true\n  msi_client_id = \"{DEPLOY_CLIENT}\"\n  authority_host = \"{u}\"\n  graph_endpoint = \"{u}\"\n  msi_endpoint = \"{msi}\"\n}}\n",
        u = emu.url
    );
    h.main_tf(&format!(
        "{provider}{}",
        mi_credential("c", "through-proxy", DEPLOY_PRINCIPAL)
    ));
    h.init();
    h.ok(APPLY);
    assert!(emu
        .credentials(WORKLOAD_OBJECT)
        .iter()
        .any(|c| c["name"] == "through-proxy"));
    let seen = proxy.seen();
    let to_emulator = format!("CONNECT 127.0.0.1:{port} ");
    assert!(
        seen.iter().any(|l| l.starts_with(&to_emulator)),
        "sign-in and Graph did not use the proxy: {seen:?}"
    );
    assert!(
        seen.iter().all(|l| !l.contains("localhost")),
        "the managed identity endpoint went through the proxy: {seen:?}"
    );
    let routes = emu.requests()["routes"].clone();
    let identity_calls: u64 = routes
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| route.contains("metadata/identity"))
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum();
    assert!(identity_calls >= 1, "no managed identity request: {routes}");
    h.ok(DESTROY);
}

#[test]
fn an_unusable_ssl_cert_file_is_named_at_configure() {
    let emu = Emu::start_https(Default::default());
    let mut h = harness(None);
    let bad = h.dir.path().join("not-a-ca.pem");
    std::fs::write(&bad, "this is not a certificate\n").unwrap();
    h.set_env("SSL_CERT_FILE", &bad.display().to_string());
    h.main_tf(&format!(
        "{}{}",
        emu.provider_block(),
        mi_credential("c", "never", DEPLOY_PRINCIPAL)
    ));
    h.init();
    let out = h.fails(PLAN);
    assert_contains_all(
        &out,
        &[
            "Cannot configure the entra provider",
            &format!("SSL_CERT_FILE={}", bad.display()),
            "holds no PEM certificate",
        ],
    );
    assert_eq!(emu.requests()["total"], 0);
}
