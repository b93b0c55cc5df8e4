//! Which certificate authorities the HTTP clients trust: the operating system's store plus
//! the certificates named by `SSL_CERT_FILE` (a PEM bundle) and `SSL_CERT_DIR` (a directory
//! of PEM files), what Go providers, curl and the Azure CLI honour. That is how the provider
//! works behind a TLS-inspecting corporate proxy whose CA the machine (or the user) trusts.
//! Mozilla's roots (built in) are only a fallback for a machine whose store is empty or
//! cannot be read, so a minimal container still reaches Entra.
//!
//! The environment is read in one place ([`TrustSources::from_env`]); everything else takes
//! paths, so tests never touch the process environment.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// The variable naming a PEM bundle of extra CA certificates.
pub const CERT_FILE_VAR: &str = "SSL_CERT_FILE";
/// The variable naming a directory of PEM files of extra CA certificates.
pub const CERT_DIR_VAR: &str = "SSL_CERT_DIR";

/// The user's extra CA certificates, by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustSources {
    /// `SSL_CERT_FILE`: one PEM file holding one or more certificates.
    pub cert_file: Option<PathBuf>,
    /// `SSL_CERT_DIR`: a directory whose files hold PEM certificates.
    pub cert_dir: Option<PathBuf>,
}

impl TrustSources {
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` of this process; an empty value counts as unset.
    pub fn from_env() -> TrustSources {
        let path = |name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        TrustSources {
            cert_file: path(CERT_FILE_VAR),
            cert_dir: path(CERT_DIR_VAR),
        }
    }

    /// Whether neither variable is set.
    pub fn is_empty(&self) -> bool {
        self.cert_file.is_none() && self.cert_dir.is_none()
    }
}

/// A file named by `SSL_CERT_FILE` / `SSL_CERT_DIR` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustError {
    /// The variable that named it.
    pub variable: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: String,
}

impl std::fmt::Display for TrustError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}={}: {}. Point {} at PEM-encoded CA certificates (-----BEGIN CERTIFICATE-----), or unset it.",
            self.variable,
            self.path.display(),
            self.problem,
            self.variable
        )
    }
}

/// The roots the clients verify servers against, and where they came from (for the log).
pub struct TrustStore {
    /// Every trusted root.
    pub roots: RootCertStore,
    /// How many came from the operating system's store.
    pub from_os: usize,
    /// How many came from `SSL_CERT_FILE` / `SSL_CERT_DIR` (copies of one already trusted
    /// are not counted).
    pub from_user: usize,
    /// Whether Mozilla's built-in roots were added because the OS store gave none.
    pub fallback: bool,
}

/// The OS store's certificates plus `extra`'s, with Mozilla's roots when `os` is empty. An
/// OS certificate rustls cannot use is skipped (stores hold odd ones); a user's is an error,
/// since it was named on purpose.
pub fn build(
    os: Vec<CertificateDer<'static>>,
    extra: &TrustSources,
) -> Result<TrustStore, TrustError> {
    let mut roots = RootCertStore::empty();
    // Each certificate once: on Debian-like hosts `SSL_CERT_FILE` is the OS bundle and
    // `SSL_CERT_DIR` holds it again, once per file and once per hash link (four copies
    // of every root, each parsed and kept by every provider process).
    // (Only certificates in use count as seen: a user's copy of an OS certificate rustls
    // cannot use is still an error.)
    let mut seen: HashSet<CertificateDer<'static>> = HashSet::new();
    let mut from_os = 0;
    for cert in os {
        if !seen.contains(&cert) && roots.add(cert.clone()).is_ok() {
            seen.insert(cert);
            from_os += 1;
        }
    }
    let mut from_user = 0;
    for (variable, path, cert) in user_certificates(extra)? {
        if seen.contains(&cert) {
            continue;
        }
        seen.insert(cert.clone());
        roots.add(cert).map_err(|e| TrustError {
            variable,
            path,
            problem: format!("a certificate in it cannot be used as a trust anchor: {e}"),
        })?;
        from_user += 1;
    }
    let fallback = from_os == 0;
    if fallback {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    Ok(TrustStore {
        roots,
        from_os,
        from_user,
        fallback,
    })
}

type Named = (&'static str, PathBuf, CertificateDer<'static>);

/// Every certificate of `SSL_CERT_FILE` and of the files in `SSL_CERT_DIR`, each with the
/// variable and file it came from.
fn user_certificates(extra: &TrustSources) -> Result<Vec<Named>, TrustError> {
    let mut out = Vec::new();
    if let Some(file) = &extra.cert_file {
        let certs = pem_certificates(CERT_FILE_VAR, file)?;
        if certs.is_empty() {
            return Err(TrustError {
                variable: CERT_FILE_VAR,
                path: file.clone(),
                problem: "the file holds no PEM certificate".into(),
            });
        }
        out.extend(certs.into_iter().map(|c| (CERT_FILE_VAR, file.clone(), c)));
    }
    if let Some(dir) = &extra.cert_dir {
        let unreadable = |e: std::io::Error| TrustError {
            variable: CERT_DIR_VAR,
            path: dir.clone(),
            problem: format!("cannot read the directory: {e}"),
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(unreadable)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            let certs = pem_certificates(CERT_DIR_VAR, &file)?;
            out.extend(certs.into_iter().map(|c| (CERT_DIR_VAR, file.clone(), c)));
        }
    }
    Ok(out)
}

/// The PEM certificates of one file (other PEM sections, such as CRLs, are skipped).
fn pem_certificates(
    variable: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TrustError> {
    let error = |problem: String| TrustError {
        variable,
        path: path.to_path_buf(),
        problem,
    };
    let bytes = std::fs::read(path).map_err(|e| error(format!("cannot read it: {e}")))?;
    CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| error(format!("it is not valid PEM: {e}")))
}

/// The operating system's store. On Linux and the BSDs: the system's CA directories (the
/// bundle file and the per-certificate files inside them), read without looking at
/// `SSL_CERT_FILE` / `SSL_CERT_DIR`, which are added separately. On macOS and Windows the
/// keychain / system store is read through rustls-native-certs, which reads only the
/// variables' files instead when one is set: then the OS store is taken as unreadable and
/// Mozilla's roots stand in for it next to the user's certificates.
pub fn os_certificates(extra: &TrustSources) -> Vec<CertificateDer<'static>> {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let _ = extra;
        let mut certs = Vec::new();
        for dir in openssl_probe::candidate_cert_dirs() {
            let found = rustls_native_certs::load_certs_from_paths(None, Some(dir));
            for e in &found.errors {
                tracing::debug!(error = %e, dir = %dir.display(), "skipped part of the OS trust store");
            }
            certs.extend(found.certs);
        }
        certs.sort_unstable_by(|a, b| a.as_ref().cmp(b.as_ref()));
        certs.dedup();
        certs
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        if !extra.is_empty() {
            return Vec::new();
        }
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::debug!(error = %e, "skipped part of the OS trust store");
        }
        found.certs
    }
}

/// A rustls client configuration (ring, TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1 by ALPN)
/// verifying servers against `store`.
pub fn client_config(store: TrustStore) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot configure TLS: {e}"))?
        .with_root_certificates(store.roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem(name: &str) -> String {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    fn one_os_root() -> Vec<CertificateDer<'static>> {
        let pem = ca_pem("os root");
        vec![CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()]
    }

    #[test]
    fn a_bundle_in_ssl_cert_file_is_added_to_the_os_store() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("corp.pem");
        std::fs::write(&file, format!("{}{}", ca_pem("corp a"), ca_pem("corp b"))).unwrap();
        let extra = TrustSources {
            cert_file: Some(file),
            cert_dir: None,
        };
        let store = build(one_os_root(), &extra).unwrap();
        assert_eq!((store.from_os, store.from_user), (1, 2));
        assert!(!store.fallback);
        assert_eq!(store.roots.len(), 3);
    }

    #[test]
    fn copies_of_one_root_are_trusted_once() {
        // Debian's layout: the bundle in SSL_CERT_FILE, and SSL_CERT_DIR holding the
        // bundle again, the root's own file and its hash link.
        let root_pem = ca_pem("os root");
        let os = vec![CertificateDer::from_pem_slice(root_pem.as_bytes()).unwrap()];
        let corp = ca_pem("corp");
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("ca-certificates.crt");
        std::fs::write(&bundle, format!("{root_pem}{corp}")).unwrap();
        std::fs::write(dir.path().join("root.pem"), &root_pem).unwrap();
        std::fs::write(dir.path().join("1a2b3c4d.0"), &root_pem).unwrap();
        std::fs::write(dir.path().join("corp.pem"), &corp).unwrap();
        let extra = TrustSources {
            cert_file: Some(bundle),
            cert_dir: Some(dir.path().to_path_buf()),
        };
        let store = build([os.clone(), os].concat(), &extra).unwrap();
        assert_eq!((store.from_os, store.from_user), (1, 1));
        assert_eq!(store.roots.len(), 2);
    }

    #[test]
    fn every_pem_file_of_ssl_cert_dir_is_added() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.pem"), ca_pem("a")).unwrap();
        std::fs::write(dir.path().join("1a2b3c4d.0"), ca_pem("b")).unwrap();
        std::fs::write(dir.path().join("README"), "no certificate here").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let extra = TrustSources {
            cert_file: None,
            cert_dir: Some(dir.path().to_path_buf()),
        };
        let store = build(one_os_root(), &extra).unwrap();
        assert_eq!(store.from_user, 2);
        assert_eq!(store.roots.len(), 3);
    }

    #[test]
    fn an_empty_os_store_falls_back_to_mozillas_roots() {
        let store = build(Vec::new(), &TrustSources::default()).unwrap();
        assert!(store.fallback);
        assert_eq!(store.roots.len(), webpki_roots::TLS_SERVER_ROOTS.len());
        let store = build(one_os_root(), &TrustSources::default()).unwrap();
        assert!(!store.fallback);
        assert_eq!(store.roots.len(), 1);
    }

    #[test]
    fn unusable_files_are_errors_naming_the_variable_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a certificate").unwrap();
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let missing = dir.path().join("missing.pem");
        let cases = [
            (
                Some(garbage.clone()),
                None,
                "SSL_CERT_FILE",
                &garbage,
                "holds no PEM certificate",
            ),
            (
                Some(broken.clone()),
                None,
                "SSL_CERT_FILE",
                &broken,
                "not valid PEM",
            ),
            (
                Some(missing.clone()),
                None,
                "SSL_CERT_FILE",
                &missing,
                "cannot read it",
            ),
            (
                None,
                Some(missing.clone()),
                "SSL_CERT_DIR",
                &missing,
                "cannot read the directory",
            ),
        ];
        for (cert_file, cert_dir, variable, path, problem) in cases {
            let extra = TrustSources {
                cert_file,
                cert_dir,
            };
            let e = build(one_os_root(), &extra).err().unwrap();
            assert_eq!(e.variable, variable);
            assert_eq!(&e.path, path);
            let text = e.to_string();
            assert!(text.contains(problem), "{text}");
            assert!(
                text.starts_with(&format!("{variable}={}", path.display())),
                "{text}"
            );
            assert!(text.contains(&format!("Point {variable} at PEM")), "{text}");
        }
    }

    #[test]
    fn the_client_configuration_offers_http2() {
        let store = build(one_os_root(), &TrustSources::default()).unwrap();
        let config = client_config(store).unwrap();
        assert_eq!(config.alpn_protocols[0], b"h2");
    }
}
