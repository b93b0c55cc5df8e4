//! Certificate sign-in: a JWT assertion signed with the certificate's private key,
//! carrying the certificate's SHA-256 (`x5t#S256`) and SHA-1 (`x5t`) thumbprints. The
//! certificate and key come from a PEM file or a PKCS#12 (.pfx) file; either way the key
//! reaches the signer as DER.

use async_trait::async_trait;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey};
use pkcs8::ObjectIdentifier;

use super::inputs::{Applies, Inputs};
use super::Cached;
use super::{ClientApp, TokenSource};
use crate::entra::retry::Deadline;
use crate::entra::{AccessToken, Secret};

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// An app registration signing in with a certificate registered on it.
pub struct ClientCertificate {
    /// The app.
    pub app: ClientApp,
    key: EncodingKey,
    algorithm: Algorithm,
    x5t_s256: String,
    x5t: String,
}

impl ClientCertificate {
    /// From a PEM file holding the certificate and its private key (PKCS#8
    /// `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`).
    pub fn from_pem(app: ClientApp, pem: &str) -> Result<ClientCertificate, String> {
        let blocks = pem::parse_many(pem).map_err(|e| format!("the file is not valid PEM: {e}"))?;
        let block = |tag: &str| blocks.iter().find(|b| b.tag() == tag);
        let cert = block("CERTIFICATE").ok_or("the file holds no PEM CERTIFICATE block")?;
        let (key, algorithm) = if let Some(k) = block("PRIVATE KEY") {
            signing_key(k.contents())?
        } else if let Some(k) = block("RSA PRIVATE KEY") {
            (EncodingKey::from_rsa_der(k.contents()), Algorithm::RS256)
        } else if block("EC PRIVATE KEY").is_some() {
            return Err("the EC key is in SEC1 form (EC PRIVATE KEY); convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt`".into());
        } else {
            return Err("the file holds no PEM private key".into());
        };
        Ok(ClientCertificate::new(app, cert.contents(), key, algorithm))
    }

    /// From a PKCS#12 (.pfx) file: its first key with its leaf certificate.
    pub fn from_pkcs12(
        app: ClientApp,
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
        let (key, algorithm) = signing_key(chain.key().as_der())?;
        Ok(ClientCertificate::new(app, cert.as_der(), key, algorithm))
    }

    fn new(app: ClientApp, cert_der: &[u8], key: EncodingKey, algorithm: Algorithm) -> Self {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let s256 = ring::digest::digest(&ring::digest::SHA256, cert_der);
        let s1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, cert_der);
        ClientCertificate {
            app,
            key,
            algorithm,
            x5t_s256: b64.encode(s256.as_ref()),
            x5t: b64.encode(s1.as_ref()),
        }
    }

    /// The signed assertion for one request to `token_url`.
    pub fn assertion(&self, token_url: &str) -> Result<Secret, String> {
        let mut header = jsonwebtoken::Header::new(self.algorithm);
        header.x5t_s256 = Some(self.x5t_s256.clone());
        header.x5t = Some(self.x5t.clone());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = serde_json::json!({
            "aud": token_url,
            "iss": self.app.client_id,
            "sub": self.app.client_id,
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

/// The signer for a PKCS#8 private key (DER): RS256 for RSA keys (the signer takes the
/// PKCS#1 key inside), ES256 / ES384 for P-256 / P-384 keys (the signer takes PKCS#8).
fn signing_key(pkcs8_der: &[u8]) -> Result<(EncodingKey, Algorithm), String> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(pkcs8_der)
        .map_err(|e| format!("the private key is not PKCS#8: {e}"))?;
    let (algorithm, curve) = info
        .algorithm
        .oids()
        .map_err(|e| format!("the private key's algorithm cannot be read: {e}"))?;
    match (algorithm, curve) {
        (RSA_ENCRYPTION, _) => Ok((
            EncodingKey::from_rsa_der(info.private_key.as_bytes()),
            Algorithm::RS256,
        )),
        (EC_PUBLIC_KEY, Some(P256)) => Ok((EncodingKey::from_ec_der(pkcs8_der), Algorithm::ES256)),
        (EC_PUBLIC_KEY, Some(P384)) => Ok((EncodingKey::from_ec_der(pkcs8_der), Algorithm::ES384)),
        (other, curve) => Err(format!(
            "the private key's algorithm {other} (curve {}) cannot sign client assertions: use an RSA, P-256 or P-384 key",
            curve.map(|c| c.to_string()).unwrap_or_else(|| "none".into())
        )),
    }
}

#[async_trait]
impl TokenSource for ClientCertificate {
    async fn fetch(&self, scope: &str, d: &Deadline) -> Result<AccessToken, String> {
        let assertion = std::future::ready(self.assertion(&self.app.token_url()));
        let hint = "`client_certificate_path` (ARM_CLIENT_CERTIFICATE_PATH)";
        self.app
            .sign_in_with_assertion(scope, assertion, hint, d)
            .await
    }
}

/// Applies when `client_certificate_path` is set: a PEM file, or PKCS#12 (.pfx / .p12)
/// opened with `client_certificate_password`; `client_id` and `tenant_id` are required.
pub(super) fn from_settings(i: &Inputs<'_>) -> Result<Applies, String> {
    let s = i.settings();
    let Some(path) = &s.client_certificate_path else {
        return Ok(Applies::No(format!(
            "{} is not set",
            i.describe("client_certificate_path")
        )));
    };
    let app = i.app("client certificate")?;
    let named = |e: String| format!("{}: {e}", i.describe("client_certificate_path"));
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "cannot read {} ({path}): {e}",
            i.describe("client_certificate_path")
        )
    })?;
    let cert = match std::str::from_utf8(&bytes) {
        Ok(pem) if pem.contains("-----BEGIN") => ClientCertificate::from_pem(app, pem),
        // Anything else is taken as PKCS#12 (.pfx / .p12).
        _ => {
            let password = s.client_certificate_password.as_ref();
            ClientCertificate::from_pkcs12(app, &bytes, password.map_or("", Secret::expose))
        }
    }
    .map_err(named)?;
    Ok(Applies::Yes(std::sync::Arc::new(Cached::new(
        "client certificate",
        cert,
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> ClientApp {
        ClientApp {
            http: reqwest::Client::new(),
            authority_host: "https://login.example".into(),
            tenant: "t".into(),
            client_id: "c".into(),
        }
    }

    /// A self-signed RSA certificate with its PKCS#8 key and public key (made with
    /// `openssl req -x509 -newkey rsa:2048`; rcgen with ring cannot generate RSA keys).
    const RSA_CLIENT: &str = include_str!("testdata/rsa-client.pem");

    const TOKEN_URL: &str = "https://login.example/t/oauth2/v2.0/token";

    /// A PKCS#12 file with one key (PKCS#8 DER) and its certificate (DER).
    fn pfx(key_der: &[u8], cert_der: &[u8], password: &str) -> Vec<u8> {
        let mut store = p12_keystore::KeyStore::new();
        let chain = p12_keystore::PrivateKeyChain::new(
            vec![1u8, 2, 3],
            p12_keystore::PrivateKey::from_der(key_der).unwrap(),
            [p12_keystore::Certificate::from_der(cert_der).unwrap()],
        );
        store.add_entry(
            "client",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
        store.writer(password).write().unwrap()
    }

    /// A self-signed P-256 certificate and its key.
    fn ec_certificate() -> (rcgen::KeyPair, rcgen::Certificate) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (key, cert)
    }

    /// The assertion's `x5t#S256` is the certificate's SHA-256 thumbprint.
    fn assert_thumbprint(cc: &ClientCertificate, cert_der: &[u8]) {
        let jwt = cc.assertion(TOKEN_URL).unwrap();
        let header = jsonwebtoken::decode_header(jwt.expose()).unwrap();
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA256, cert_der).as_ref());
        assert_eq!(header.x5t_s256.as_deref(), Some(expected.as_str()));
    }

    #[test]
    fn rsa_keys_sign_from_pem_and_pkcs12() {
        let blocks = pem::parse_many(RSA_CLIENT).unwrap();
        let der = |tag: &str| blocks.iter().find(|b| b.tag() == tag).unwrap().contents();
        let public = pem::encode(&pem::Pem::new("PUBLIC KEY", der("PUBLIC KEY")));
        let verify = |cc: &ClientCertificate| {
            let jwt = cc.assertion(TOKEN_URL).unwrap();
            let mut v = jsonwebtoken::Validation::new(Algorithm::RS256);
            v.set_audience(&[TOKEN_URL]);
            let key = jsonwebtoken::DecodingKey::from_rsa_pem(public.as_bytes()).unwrap();
            jsonwebtoken::decode::<serde_json::Value>(jwt.expose(), &key, &v).unwrap();
            assert_thumbprint(cc, der("CERTIFICATE"));
        };
        verify(&ClientCertificate::from_pem(app(), RSA_CLIENT).unwrap());
        let pfx = pfx(der("PRIVATE KEY"), der("CERTIFICATE"), "pw");
        verify(&ClientCertificate::from_pkcs12(app(), &pfx, "pw").unwrap());
    }

    #[test]
    fn pkcs12_files_are_read() {
        let (key, cert) = ec_certificate();
        let pfx = pfx(&key.serialize_der(), cert.der(), "pfx-password");
        let cc = ClientCertificate::from_pkcs12(app(), &pfx, "pfx-password").unwrap();
        assert_thumbprint(&cc, cert.der());
        assert!(ClientCertificate::from_pkcs12(app(), &pfx, "wrong").is_err());
    }

    #[test]
    fn certificate_assertion_carries_thumbprints() {
        let (key, cert) = ec_certificate();
        let pem = format!("{}\n{}", cert.pem(), key.serialize_pem());
        let cc = ClientCertificate::from_pem(app(), &pem).unwrap();
        assert_thumbprint(&cc, cert.der());
        let jwt = cc.assertion(TOKEN_URL).unwrap();
        let claims = crate::entra::jwt::claims(jwt.expose()).unwrap();
        assert_eq!(claims.get("aud").and_then(|v| v.as_str()), Some(TOKEN_URL));
        assert_eq!(claims.get("sub").and_then(|v| v.as_str()), Some("c"));
    }

    #[test]
    fn sec1_keys_and_missing_keys_are_explained() {
        let (key, cert) = ec_certificate();
        let sec1 = pem::encode(&pem::Pem::new("EC PRIVATE KEY", vec![0u8; 8]));
        let err = ClientCertificate::from_pem(app(), &format!("{}{sec1}", cert.pem()))
            .err()
            .unwrap();
        assert!(err.contains("openssl pkcs8"), "{err}");
        let err = ClientCertificate::from_pem(app(), &cert.pem())
            .err()
            .unwrap();
        assert!(err.contains("no PEM private key"), "{err}");
        let err = ClientCertificate::from_pem(app(), &key.serialize_pem())
            .err()
            .unwrap();
        assert!(err.contains("CERTIFICATE"), "{err}");
    }
}
