//! The go-plugin contract, checked by starting the binary as Terraform does: the
//! handshake line, AutoMTLS, health, Shutdown, the magic cookie, versions and ports.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use terraform_provider_entra::proto::health::health_client::HealthClient;
use terraform_provider_entra::proto::health::HealthCheckRequest;
use terraform_provider_entra::proto::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_entra::proto::plugin::Empty;

const COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);

fn provider() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_terraform-provider-entra"));
    c.env_remove("TF_LOG")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn handshake(child: &mut Child) -> Vec<String> {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim_end().split('|').map(str::to_string).collect()
}

fn client_cert_pem() -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem()
}

async fn channel(addr: &str, cert_field: &str) -> tonic::transport::Channel {
    let endpoint = tonic::transport::Endpoint::from_shared(if cert_field.is_empty() {
        format!("http://{addr}")
    } else {
        format!("https://{addr}")
    })
    .unwrap();
    let endpoint = if cert_field.is_empty() {
        endpoint
    } else {
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(cert_field)
            .unwrap();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
        endpoint
            .tls_config(
                tonic::transport::ClientTlsConfig::new()
                    .ca_certificate(tonic::transport::Certificate::from_pem(pem))
                    .domain_name("localhost"),
            )
            .unwrap()
    };
    endpoint.connect().await.unwrap()
}

fn serve_and_shut_down(tls: bool) {
    let mut cmd = provider();
    cmd.env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6,5");
    if tls {
        cmd.env("PLUGIN_CLIENT_CERT", client_cert_pem());
    }
    let mut child = cmd.spawn().unwrap();
    let fields = handshake(&mut child);
    assert_eq!(&fields[..3], &["1", "5", "tcp"]);
    assert!(fields[3].starts_with("127.0.0.1:"));
    assert_eq!(fields[4], "grpc");
    if tls {
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&fields[5])
            .expect("cert field is unpadded base64");
        assert!(der.len() > 50);
        assert!(
            der.windows(9).any(|w| w == b"localhost"),
            "SAN localhost missing"
        );
    } else {
        assert_eq!(fields[5], "");
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ch = channel(&fields[3], &fields[5]).await;
        let status = HealthClient::new(ch.clone())
            .check(HealthCheckRequest {
                service: "plugin".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, 1, "health must be SERVING");
        let started = Instant::now();
        GrpcControllerClient::new(ch)
            .shutdown(Empty {})
            .await
            .unwrap();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "the plugin did not exit within 1 s of Shutdown"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

#[test]
fn automtls_handshake_health_and_shutdown() {
    serve_and_shut_down(true);
}

#[test]
fn plaintext_handshake_health_and_shutdown() {
    serve_and_shut_down(false);
}

#[test]
fn without_the_cookie_it_explains_and_exits_1() {
    let out = provider().output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("This binary is a plugin. These are not meant to be executed directly."));
}

#[test]
fn protocol_5_must_be_offered() {
    let out = provider()
        .env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Incompatible API version"));
}

#[test]
fn port_range_is_honoured() {
    let mut child = provider()
        .env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_MIN_PORT", "23456")
        .env("PLUGIN_MAX_PORT", "23470")
        .spawn()
        .unwrap();
    let fields = handshake(&mut child);
    let port: u16 = fields[3].rsplit(':').next().unwrap().parse().unwrap();
    assert!((23456..=23470).contains(&port), "{port}");
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn version_and_debug_modes() {
    let out = provider().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("terraform-provider-entra {}", env!("CARGO_PKG_VERSION"))
    );
    let mut child = provider().arg("--debug").spawn().unwrap();
    let mut text = String::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    while !text.contains("TF_REATTACH_PROVIDERS=") {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        text.push_str(&line);
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        text.contains("TF_REATTACH_PROVIDERS='{\"registry.terraform.io/entra-mi/entra\""),
        "{text}"
    );
}

#[test]
fn sigint_is_ignored() {
    let mut child = provider().env(COOKIE.0, COOKIE.1).spawn().unwrap();
    let _ = handshake(&mut child);
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGINT must not stop a managed plugin"
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(status.success() || status.code().is_some());
}
