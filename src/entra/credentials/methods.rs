//! The sign-in methods.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;

use super::{CredentialError, TokenCredential};
use crate::entra::managed_identity::{Identity, ManagedIdentity};
use crate::entra::retry::Deadline;
use crate::entra::token_endpoint::{request_token, ClientAuth, TokenError, TokenRequest};
use crate::entra::{AccessToken, Secret};

fn deadline() -> Deadline {
    Deadline::after(
        Duration::from_secs(120),
        tokio_util::sync::CancellationToken::new(),
    )
}

/// Where a client's identity is: authority, tenant, client id.
#[derive(Clone, Debug)]
pub struct ClientRef {
    pub authority_host: String,
    pub tenant: String,
    pub client_id: String,
}

async fn client_credentials(
    http: &reqwest::Client,
    c: &ClientRef,
    scope: &str,
    auth: ClientAuth<'_>,
    method: &'static str,
    hint: &str,
) -> Result<AccessToken, CredentialError> {
    let req = TokenRequest {
        authority_host: &c.authority_host,
        tenant: &c.tenant,
        client_id: &c.client_id,
        scope,
        auth,
    };
    request_token(http, &req, &deadline()).await.map_err(|e| {
        let extra = match &e {
            TokenError::Entra(a) if a.is(7000215) || a.is(7000222) => format!("\n\nCheck {hint}."),
            TokenError::Entra(a) if a.is(700016) || a.is(90002) => {
                "\n\nCheck `client_id` (ARM_CLIENT_ID) and `tenant_id` (ARM_TENANT_ID).".to_string()
            }
            _ => String::new(),
        };
        CredentialError {
            method,
            message: format!("{e}{extra}"),
        }
    })
}

/// `access_token`: a ready bearer token, used as is.
pub struct StaticToken {
    pub token: Secret,
}

#[async_trait]
impl TokenCredential for StaticToken {
    fn method(&self) -> &'static str {
        "access token"
    }

    async fn get_token(&self, _scope: &str) -> Result<AccessToken, CredentialError> {
        let exp = crate::entra::jwt::claims(self.token.expose())
            .and_then(|c| c.get("exp").and_then(|v| v.as_i64()))
            .and_then(|e| time::OffsetDateTime::from_unix_timestamp(e).ok())
            .unwrap_or_else(|| time::OffsetDateTime::now_utc() + time::Duration::hours(1));
        Ok(AccessToken::new(self.token.clone(), exp))
    }
}

pub struct ClientSecret {
    pub http: reqwest::Client,
    pub client: ClientRef,
    pub secret: Secret,
    /// Which attribute/env/file the secret came from, for the "check …" hint.
    pub hint: String,
}

#[async_trait]
impl TokenCredential for ClientSecret {
    fn method(&self) -> &'static str {
        "client secret"
    }

    async fn get_token(&self, scope: &str) -> Result<AccessToken, CredentialError> {
        client_credentials(
            &self.http,
            &self.client,
            scope,
            ClientAuth::Secret(&self.secret),
            self.method(),
            &self.hint,
        )
        .await
    }
}

/// Certificate sign-in: a JWT assertion signed with the certificate's key, carrying the
/// certificate's SHA-256 thumbprint (`x5t#S256`) and SHA-1 thumbprint (`x5t`).
pub struct ClientCertificate {
    pub http: reqwest::Client,
    pub client: ClientRef,
    key: jsonwebtoken::EncodingKey,
    algorithm: jsonwebtoken::Algorithm,
    x5t_s256: String,
    x5t: String,
}

impl ClientCertificate {
    /// From a PEM file holding the certificate and its private key.
    pub fn from_pem(
        http: reqwest::Client,
        client: ClientRef,
        pem: &str,
    ) -> Result<ClientCertificate, String> {
        let cert_der =
            pem_block(pem, "CERTIFICATE").ok_or("the file holds no PEM CERTIFICATE block")?;
        let key_pem = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]
            .iter()
            .find_map(|label| pem_section(pem, label))
            .ok_or("the file holds no PEM private key")?;
        let (key, algorithm) = if key_pem.contains("EC PRIVATE KEY") {
            (
                jsonwebtoken::EncodingKey::from_ec_pem(key_pem.as_bytes()),
                jsonwebtoken::Algorithm::ES256,
            )
        } else {
            match jsonwebtoken::EncodingKey::from_rsa_pem(key_pem.as_bytes()) {
                Ok(k) => (Ok(k), jsonwebtoken::Algorithm::RS256),
                Err(_) => (
                    jsonwebtoken::EncodingKey::from_ec_pem(key_pem.as_bytes()),
                    jsonwebtoken::Algorithm::ES256,
                ),
            }
        };
        let key = key.map_err(|e| format!("the private key cannot be used for signing: {e}"))?;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let s256 = ring::digest::digest(&ring::digest::SHA256, &cert_der);
        let s1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert_der);
        Ok(ClientCertificate {
            http,
            client,
            key,
            algorithm,
            x5t_s256: b64.encode(s256.as_ref()),
            x5t: b64.encode(s1.as_ref()),
        })
    }

    /// From a PKCS#12 (.pfx) file: its first key with its leaf certificate.
    pub fn from_pkcs12(
        http: reqwest::Client,
        client: ClientRef,
        data: &[u8],
        password: &str,
    ) -> Result<ClientCertificate, String> {
        let store = p12_keystore::KeyStore::from_pkcs12(
            data,
            password,
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .map_err(|e| format!("cannot open the PKCS#12 file (wrong password?): {e}"))?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or("the PKCS#12 file holds no private key")?;
        let cert = chain
            .certs()
            .first()
            .ok_or("the PKCS#12 file holds no certificate for its key")?;
        let b64 = |der: &[u8]| {
            let text = base64::engine::general_purpose::STANDARD.encode(der);
            text.as_bytes()
                .chunks(64)
                .map(|c| String::from_utf8_lossy(c).to_string())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            b64(cert.as_der()),
            b64(chain.key().as_der())
        );
        ClientCertificate::from_pem(http, client, &pem)
    }

    /// The signed assertion for one request.
    pub fn assertion(&self, token_url: &str) -> Result<Secret, String> {
        let mut header = jsonwebtoken::Header::new(self.algorithm);
        header.x5t_s256 = Some(self.x5t_s256.clone());
        header.x5t = Some(self.x5t.clone());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = serde_json::json!({
            "aud": token_url,
            "iss": self.client.client_id,
            "sub": self.client.client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now - 60,
            "iat": now,
            "exp": now + 600,
        });
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::new)
            .map_err(|e| format!("cannot sign the client assertion: {e}"))
    }
}

#[async_trait]
impl TokenCredential for ClientCertificate {
    fn method(&self) -> &'static str {
        "client certificate"
    }

    async fn get_token(&self, scope: &str) -> Result<AccessToken, CredentialError> {
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.client.authority_host.trim_end_matches('/'),
            self.client.tenant
        );
        let assertion = self.assertion(&url).map_err(|message| CredentialError {
            method: self.method(),
            message,
        })?;
        client_credentials(
            &self.http,
            &self.client,
            scope,
            ClientAuth::Assertion(&assertion),
            self.method(),
            "`client_certificate_path` (ARM_CLIENT_CERTIFICATE_PATH)",
        )
        .await
    }
}

fn pem_section<'a>(pem: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)?;
    let stop = pem[start..].find(&end)? + start + end.len();
    pem.get(start..stop)
}

fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    let section = pem_section(pem, label)?;
    let body: String = section
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
}

/// Where an OIDC token comes from.
pub enum OidcSource {
    Token(Secret),
    /// Re-read on every sign-in (Kubernetes rotates projected tokens).
    File(std::path::PathBuf),
    /// GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL`) or Azure DevOps
    /// (`SYSTEM_OIDCREQUESTURI`) token request endpoint.
    Request {
        url: String,
        token: Secret,
        audience: String,
    },
}

/// Workload identity federation: an external OIDC token as the client assertion.
pub struct Oidc {
    pub http: reqwest::Client,
    pub client: ClientRef,
    pub source: OidcSource,
    pub method: &'static str,
}

impl Oidc {
    async fn assertion(&self) -> Result<Secret, String> {
        match &self.source {
            OidcSource::Token(t) => Ok(t.clone()),
            OidcSource::File(path) => std::fs::read_to_string(path)
                .map(|s| Secret::new(s.trim().to_string()))
                .map_err(|e| format!("cannot read the OIDC token file {}: {e}", path.display())),
            OidcSource::Request {
                url,
                token,
                audience,
            } => {
                let mut u = url::Url::parse(url)
                    .map_err(|e| format!("oidc_request_url is not a URL: {e}"))?;
                let devops = u.query_pairs().any(|(k, _)| k == "serviceConnectionId")
                    || url.contains("oidctoken");
                if !devops {
                    u.query_pairs_mut().append_pair("audience", audience);
                }
                let req = if devops {
                    self.http
                        .post(u)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body("{}")
                } else {
                    self.http.get(u)
                };
                let resp = req
                    .bearer_auth(token.expose())
                    .header(reqwest::header::ACCEPT, "application/json")
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "OIDC token request failed: {}",
                            crate::entra::http::describe(&e)
                        )
                    })?;
                let status = resp.status();
                let body: serde_json::Value = resp
                    .json()
                    .await
                    .map_err(|_| format!("OIDC token request: HTTP {status} without JSON"))?;
                if !status.is_success() {
                    return Err(format!("OIDC token request: HTTP {status} — check oidc_request_token / ACTIONS_ID_TOKEN_REQUEST_TOKEN"));
                }
                body.get("value")
                    .or_else(|| body.get("oidcToken"))
                    .and_then(|v| v.as_str())
                    .map(|s| Secret::new(s.to_string()))
                    .ok_or_else(|| "the OIDC token response has no `value`".to_string())
            }
        }
    }
}

#[async_trait]
impl TokenCredential for Oidc {
    fn method(&self) -> &'static str {
        self.method
    }

    async fn get_token(&self, scope: &str) -> Result<AccessToken, CredentialError> {
        let assertion = self.assertion().await.map_err(|message| CredentialError {
            method: self.method,
            message,
        })?;
        client_credentials(
            &self.http,
            &self.client,
            scope,
            ClientAuth::Assertion(&assertion),
            self.method,
            "the OIDC token and the app's federated credential",
        )
        .await
    }
}

/// `use_msi_fic`: a managed identity token for the exchange audience as the client
/// assertion of `client_id` — no secret anywhere.
pub struct MsiFic {
    pub http: reqwest::Client,
    pub client: ClientRef,
    pub mi: Arc<ManagedIdentity>,
    pub identity: Identity,
    pub exchange_audience: String,
}

#[async_trait]
impl TokenCredential for MsiFic {
    fn method(&self) -> &'static str {
        "managed identity as federated credential (use_msi_fic)"
    }

    async fn get_token(&self, scope: &str) -> Result<AccessToken, CredentialError> {
        let mi_token = self
            .mi
            .get_token(&self.identity, &self.exchange_audience, &deadline())
            .await
            .map_err(|e| CredentialError {
                method: self.method(),
                message: e.to_string(),
            })?;
        client_credentials(
            &self.http,
            &self.client,
            scope,
            ClientAuth::Assertion(&mi_token.token),
            self.method(),
            "the app's federated identity credential for this managed identity",
        )
        .await
    }
}

/// `use_msi`: the managed identity signs in to Graph itself.
pub struct ManagedIdentityCredential {
    pub mi: Arc<ManagedIdentity>,
    pub identity: Identity,
}

#[async_trait]
impl TokenCredential for ManagedIdentityCredential {
    fn method(&self) -> &'static str {
        "managed identity (use_msi)"
    }

    async fn get_token(&self, scope: &str) -> Result<AccessToken, CredentialError> {
        let resource = scope.strip_suffix("/.default").unwrap_or(scope);
        self.mi
            .get_token(&self.identity, resource, &deadline())
            .await
            .map_err(|e| CredentialError {
                method: self.method(),
                message: e.to_string(),
            })
    }
}

/// The Azure CLI's cached sign-in.
pub struct AzureCli {
    pub program: std::path::PathBuf,
    pub tenant: Option<String>,
}

#[async_trait]
impl TokenCredential for AzureCli {
    fn method(&self) -> &'static str {
        "Azure CLI"
    }

    async fn get_token(&self, scope: &str) -> Result<AccessToken, CredentialError> {
        let err = |message: String| CredentialError {
            method: "Azure CLI",
            message,
        };
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args([
            "account",
            "get-access-token",
            "--scope",
            scope,
            "--output",
            "json",
        ]);
        if let Some(t) = &self.tenant {
            cmd.args(["--tenant", t]);
        }
        cmd.stdin(std::process::Stdio::null());
        let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
            .await
            .map_err(|_| err("`az account get-access-token` timed out".into()))?
            .map_err(|e| err(format!("cannot run {}: {e}", self.program.display())))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first = stderr
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
            return Err(err(format!(
                "`az account get-access-token` failed (run `az login`): {first}"
            )));
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|_| err("the Azure CLI printed no JSON".into()))?;
        let token = v
            .get("accessToken")
            .and_then(|t| t.as_str())
            .ok_or_else(|| err("the Azure CLI's answer has no accessToken".into()))?;
        let expires = v
            .get("expires_on")
            .and_then(|e| e.as_i64())
            .and_then(|e| time::OffsetDateTime::from_unix_timestamp(e).ok())
            .unwrap_or_else(|| time::OffsetDateTime::now_utc() + time::Duration::minutes(30));
        Ok(AccessToken::new(Secret::new(token.to_string()), expires))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[tokio::test]
    async fn azure_cli_output_is_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let az = dir.path().join("az");
        std::fs::write(
            &az,
            "#!/bin/sh\ncase \"$*\" in *--scope*https://graph.microsoft.com/.default*) echo '{\"accessToken\":\"cli-token-value\",\"expires_on\":4102444800,\"tokenType\":\"Bearer\"}' ;; *) echo 'ERROR: Please run az login' >&2; exit 1 ;; esac\n",
        )
        .unwrap();
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cli = AzureCli {
            program: az,
            tenant: Some("t".into()),
        };
        let t = cli
            .get_token("https://graph.microsoft.com/.default")
            .await
            .unwrap();
        assert_eq!(t.token.expose(), "cli-token-value");
        assert_eq!(t.expires_on.unix_timestamp(), 4102444800);
        let err = cli.get_token("https://other/.default").await.unwrap_err();
        assert!(err.message.contains("az login"), "{}", err.message);
    }

    #[test]
    fn pkcs12_files_are_read() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let mut store = p12_keystore::KeyStore::new();
        let chain = p12_keystore::PrivateKeyChain::new(
            vec![1u8, 2, 3],
            p12_keystore::PrivateKey::from_der(&key.serialize_der()).unwrap(),
            [p12_keystore::Certificate::from_der(cert.der()).unwrap()],
        );
        store.add_entry(
            "client",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
        let pfx = store.writer("pfx-password").write().unwrap();
        let client = ClientRef {
            authority_host: "https://login.example".into(),
            tenant: "t".into(),
            client_id: "c".into(),
        };
        let cc = ClientCertificate::from_pkcs12(
            reqwest::Client::new(),
            client.clone(),
            &pfx,
            "pfx-password",
        )
        .unwrap();
        let jwt = cc
            .assertion("https://login.example/t/oauth2/v2.0/token")
            .unwrap();
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA256, cert.der()).as_ref());
        assert_eq!(
            jsonwebtoken::decode_header(jwt.expose())
                .unwrap()
                .x5t_s256
                .as_deref(),
            Some(expected.as_str())
        );
        assert!(
            ClientCertificate::from_pkcs12(reqwest::Client::new(), client, &pfx, "wrong").is_err()
        );
    }

    #[test]
    fn certificate_assertion_carries_thumbprints() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let pem = format!("{}\n{}", cert.pem(), key.serialize_pem());
        let client = ClientRef {
            authority_host: "https://login.example".into(),
            tenant: "t".into(),
            client_id: "c".into(),
        };
        let cc = ClientCertificate::from_pem(reqwest::Client::new(), client, &pem).unwrap();
        let jwt = cc
            .assertion("https://login.example/t/oauth2/v2.0/token")
            .unwrap();
        let header = jsonwebtoken::decode_header(jwt.expose()).unwrap();
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA256, cert.der()).as_ref());
        assert_eq!(header.x5t_s256.as_deref(), Some(expected.as_str()));
        let claims = crate::entra::jwt::claims(jwt.expose()).unwrap();
        assert_eq!(
            claims.get("aud").and_then(|v| v.as_str()),
            Some("https://login.example/t/oauth2/v2.0/token")
        );
        assert_eq!(claims.get("sub").and_then(|v| v.as_str()), Some("c"));
    }
}
