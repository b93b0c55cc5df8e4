//! A provider registry on loopback: the provider registry protocol (service discovery,
//! versions, download metadata) and the release files themselves, over HTTPS with a
//! throwaway CA, served from a release directory. Just enough HTTP/1.1 for Terraform:
//! one GET per connection, then the connection closes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use super::{SigningKey, NAMESPACE, PROVIDER_TYPE};

/// Where the service discovery document sends Terraform for provider metadata.
const PROVIDERS_V1: &str = "/v1/providers/";
/// Where the release files are served.
const FILES: &str = "/files/";

/// A running registry; it stops with the runtime that serves it.
pub struct Registry {
    /// `127.0.0.1:PORT`; Terraform addresses it as `localhost:PORT`.
    pub addr: SocketAddr,
    /// The PEM of the CA that signed the server certificate, for `SSL_CERT_FILE`.
    pub ca_pem: String,
    /// Serves the registry; dropping it stops the server.
    _runtime: tokio::runtime::Runtime,
}

impl Registry {
    /// Serves the release in `dist` (version `version`) signed by `key`.
    pub fn serve(dist: &Path, version: &str, key: &SigningKey) -> Registry {
        let (ca_pem, tls) = throwaway_tls();
        let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let release = Arc::new(Release::read(dist, version, key, addr));
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, release) = (acceptor.clone(), release.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        answer(tls, &release).await;
                    }
                });
            }
        });
        Registry {
            addr,
            ca_pem,
            _runtime: runtime,
        }
    }

    /// The provider's source address as Terraform writes it in `required_providers`.
    pub fn source(&self) -> String {
        format!("localhost:{}/{NAMESPACE}/{PROVIDER_TYPE}", self.addr.port())
    }
}

/// What the registry knows about the one version it serves.
struct Release {
    version: String,
    dir: PathBuf,
    base_url: String,
    /// `os_arch` -> (zip file name, SHA-256 from the checksum file).
    platforms: BTreeMap<String, (String, String)>,
    sums_name: String,
    key: SigningKey,
}

impl Release {
    fn read(dist: &Path, version: &str, key: &SigningKey, addr: SocketAddr) -> Release {
        let prefix = format!("terraform-provider-{PROVIDER_TYPE}_{version}_");
        let sums_name = format!("{prefix}SHA256SUMS");
        let sums = std::fs::read_to_string(dist.join(&sums_name)).expect("SHA256SUMS");
        // Like the public registry, take each zip's checksum from the signed checksum file,
        // not from the zip: a zip changed after signing must be caught by Terraform.
        let platforms = sums
            .lines()
            .filter_map(|line| line.split_once("  "))
            .filter_map(|(sum, name)| {
                let platform = name.strip_prefix(&prefix)?.strip_suffix(".zip")?;
                Some((platform.to_string(), (name.to_string(), sum.to_string())))
            })
            .collect();
        Release {
            version: version.to_string(),
            dir: dist.to_path_buf(),
            base_url: format!("https://localhost:{}", addr.port()),
            platforms,
            sums_name,
            key: key.clone(),
        }
    }

    fn versions(&self) -> Value {
        let platforms: Vec<Value> = self
            .platforms
            .keys()
            .filter_map(|p| p.split_once('_'))
            .map(|(os, arch)| json!({"os": os, "arch": arch}))
            .collect();
        json!({"versions": [{
            "version": self.version,
            "protocols": ["5.0"],
            "platforms": platforms,
        }]})
    }

    fn download(&self, os: &str, arch: &str) -> Option<Value> {
        let (filename, shasum) = self.platforms.get(&format!("{os}_{arch}"))?;
        let file_url = |name: &str| format!("{}{FILES}{name}", self.base_url);
        Some(json!({
            "protocols": ["5.0"],
            "os": os,
            "arch": arch,
            "filename": filename,
            "download_url": file_url(filename),
            "shasums_url": file_url(&self.sums_name),
            "shasums_signature_url": file_url(&format!("{}.sig", self.sums_name)),
            "shasum": shasum,
            "signing_keys": {"gpg_public_keys": [{
                "key_id": self.key.key_id(),
                "ascii_armor": self.key.armored_public_key,
            }]},
        }))
    }

    /// The answer to `GET path`: status, content type, body.
    fn route(&self, path: &str) -> (u16, &'static str, Vec<u8>) {
        let json_answer = |v: Value| (200, "application/json", v.to_string().into_bytes());
        let not_found = (404, "text/plain", b"not found\n".to_vec());
        if path == "/.well-known/terraform.json" {
            return json_answer(json!({ "providers.v1": PROVIDERS_V1 }));
        }
        if let Some(name) = path.strip_prefix(FILES) {
            if name.contains('/') || name.starts_with('.') {
                return not_found;
            }
            return match std::fs::read(self.dir.join(name)) {
                Ok(bytes) => (200, "application/octet-stream", bytes),
                Err(_) => not_found,
            };
        }
        let provider = format!("{PROVIDERS_V1}{NAMESPACE}/{PROVIDER_TYPE}/");
        let Some(rest) = path.strip_prefix(&provider) else {
            return not_found;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            ["versions"] => json_answer(self.versions()),
            [version, "download", os, arch] if *version == self.version => {
                self.download(os, arch).map_or(not_found, json_answer)
            }
            _ => not_found,
        }
    }
}

/// Reads one request head and writes one response.
async fn answer<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    release: &Release,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut request_line = head.lines().next().unwrap_or_default().split(' ');
    let (status, content_type, body) = match (request_line.next(), request_line.next()) {
        (Some("GET"), Some(target)) => release.route(target.split('?').next().unwrap_or_default()),
        _ => (405, "text/plain", b"only GET\n".to_vec()),
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let response_head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(response_head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}

/// A CA made for this run and a server certificate it signed for `localhost` and
/// 127.0.0.1; returns the CA's PEM and the server's TLS configuration.
fn throwaway_tls() -> (String, ServerConfig) {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "entra release test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().expect("server key");
    let server_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("server certificate parameters");
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .expect("server certificate");

    let chain = vec![CertificateDer::from(server_cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server TLS configuration");
    (ca_cert.pem(), config)
}
