//! AutoMTLS: a fresh self-signed server certificate per process.
//!
//! Terraform pins the certificate from the handshake line as its only root and checks
//! the name `localhost`, so the certificate needs SAN `localhost`, must be valid now
//! (backdated a little for clock skew). Go accepts a leaf that is itself its only
//! root. The client's
//! certificate is not verified: it is ECDSA P-521 and CA:TRUE, which rustls with ring
//! cannot verify and webpki refuses as an end entity; the connection is loopback-only
//! and the server certificate is pinned by the client, as in other non-Go providers.

use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use tonic::transport::{Identity, ServerTlsConfig};

/// The plugin's own throwaway TLS certificate and key for AutoMTLS (a new one each start).
pub struct ServerCertificate {
    cert_der: Vec<u8>,
    cert_pem: String,
    key_pem: String,
}

impl ServerCertificate {
    pub fn generate() -> Result<ServerCertificate, rcgen::Error> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "terraform-provider-entra");
        params.subject_alt_names = vec![SanType::DnsName("localhost".try_into()?)];
        // Not a CA: Go trusts a leaf that is itself in RootCAs, and rustls-based clients
        // (tests, other hosts) refuse a CA certificate used as an end entity.
        params.is_ca = IsCa::NoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::seconds(30);
        params.not_after = now + time::Duration::days(365 * 30);
        let cert = params.self_signed(&key)?;
        Ok(ServerCertificate {
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    pub fn handshake_field(&self) -> String {
        super::handshake::cert_field(&self.cert_der)
    }

    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    pub fn tls_config(&self) -> ServerTlsConfig {
        ServerTlsConfig::new().identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
    }
}
