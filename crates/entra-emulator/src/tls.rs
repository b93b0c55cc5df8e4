//! HTTPS for the emulator: a certificate and key from PEM files (`--tls-cert`, `--tls-key`),
//! or a throwaway CA and a server certificate for `127.0.0.1` and `localhost` signed by it
//! (`--tls-self-signed CA_OUT_FILE`), so clients can be tested the way they meet Entra:
//! over TLS, trusting a CA they were told about (`SSL_CERT_FILE`).

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The server's certificate chain and private key, PEM.
#[derive(Clone)]
pub struct TlsIdentity {
    /// The server certificate first, then any intermediates.
    pub cert_chain_pem: String,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: String,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("TlsIdentity").finish_non_exhaustive()
    }
}

/// A throwaway CA and the identity it signed.
pub struct SelfSigned {
    /// What the server presents.
    pub identity: TlsIdentity,
    /// The CA certificate (PEM) clients must trust.
    pub ca_pem: String,
}

impl TlsIdentity {
    /// Reads the PEM files of `--tls-cert` and `--tls-key`.
    pub fn from_files(cert: &str, key: &str) -> Result<TlsIdentity, String> {
        let read = |flag: &str, path: &str| {
            std::fs::read_to_string(path).map_err(|e| format!("{flag} {path}: cannot read: {e}"))
        };
        let identity = TlsIdentity {
            cert_chain_pem: read("--tls-cert", cert)?,
            key_pem: read("--tls-key", key)?,
        };
        identity.server_config()?;
        Ok(identity)
    }

    /// A new CA and a server certificate for `127.0.0.1` and `localhost` signed by it.
    pub fn self_signed() -> Result<SelfSigned, String> {
        let failed = |e: rcgen::Error| format!("cannot create a certificate: {e}");
        let ca_key = KeyPair::generate().map_err(failed)?;
        let mut ca = CertificateParams::default();
        ca.distinguished_name
            .push(DnType::CommonName, "entra-emulator throwaway CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).map_err(failed)?;
        let issuer = Issuer::new(ca, ca_key);
        let server_key = KeyPair::generate().map_err(failed)?;
        let mut server =
            CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]).map_err(failed)?;
        server
            .distinguished_name
            .push(DnType::CommonName, "entra-emulator");
        let server_cert = server.signed_by(&server_key, &issuer).map_err(failed)?;
        Ok(SelfSigned {
            identity: TlsIdentity {
                cert_chain_pem: server_cert.pem(),
                key_pem: server_key.serialize_pem(),
            },
            ca_pem: ca_cert.pem(),
        })
    }

    /// The rustls server configuration (ring; HTTP/2 and HTTP/1.1 by ALPN).
    fn server_config(&self) -> Result<ServerConfig, String> {
        let chain = CertificateDer::pem_slice_iter(self.cert_chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the TLS certificate is not valid PEM: {e}"))?;
        if chain.is_empty() {
            return Err("the TLS certificate file holds no PEM certificate".into());
        }
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| format!("the TLS key file holds no usable PEM private key: {e}"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot configure TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| format!("the TLS certificate and key do not fit together: {e}"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }

    /// What accepts TLS connections with this identity.
    pub(crate) fn acceptor(&self) -> Result<TlsAcceptor, String> {
        Ok(TlsAcceptor::from(Arc::new(self.server_config()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_identity_makes_a_server_configuration() {
        let s = TlsIdentity::self_signed().unwrap();
        assert!(s.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(s.identity.acceptor().is_ok());
        assert!(!format!("{:?}", s.identity).contains("PRIVATE KEY"));
    }

    #[test]
    fn files_that_do_not_fit_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let a = TlsIdentity::self_signed().unwrap().identity;
        let b = TlsIdentity::self_signed().unwrap().identity;
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, &a.cert_chain_pem).unwrap();
        std::fs::write(&key, &b.key_pem).unwrap();
        let (c, k) = (cert.to_str().unwrap(), key.to_str().unwrap());
        let e = TlsIdentity::from_files(c, k).unwrap_err();
        assert!(e.contains("do not fit together"), "{e}");
        std::fs::write(&key, &a.key_pem).unwrap();
        assert!(TlsIdentity::from_files(c, k).is_ok());
        let e = TlsIdentity::from_files(c, "/nonexistent/key.pem").unwrap_err();
        assert!(e.contains("--tls-key /nonexistent/key.pem"), "{e}");
    }
}
