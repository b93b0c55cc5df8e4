//! Installs the release the way a user does: `scripts/release.sh` writes the signed
//! release, a registry on loopback serves it through the provider registry protocol over
//! HTTPS (throwaway CA), and the real `terraform init` downloads and verifies it.
//!
//! Ignored on macOS, where Terraform checks TLS against the system keychain and does not
//! read `SSL_CERT_FILE`; Linux CI runs it.

mod release_support;

use release_support::{
    describe, run_ok, sha256_hex, GnuPgHome, Registry, ReleaseDir, Workdir, VERSION,
};

#[test]
#[cfg_attr(
    target_os = "macos",
    ignore = "Terraform on macOS ignores SSL_CERT_FILE"
)]
fn init_verifies_signature_and_checksums_and_locks_the_zip_hash() {
    let started = std::time::Instant::now();
    let gnupg = GnuPgHome::new();
    let key = gnupg.generate_signing_key();
    let release = ReleaseDir::build(&gnupg, &key);
    let zip = release.host_zip();
    let zip_bytes = std::fs::read(&zip).expect("read zip");
    eprintln!("release written after {:?}", started.elapsed());

    // Reproducible: a second run of the script gives the same zip bytes.
    let again = ReleaseDir::build(&gnupg, &key);
    assert!(
        std::fs::read(again.host_zip()).expect("read zip") == zip_bytes,
        "two runs of scripts/release.sh gave different bytes for {}",
        zip.display()
    );

    let registry = Registry::serve(release.path(), VERSION, &key);
    let tf = Workdir::new(&registry);
    let init = tf.init();
    assert!(
        init.status.success(),
        "terraform init failed: {}",
        describe(&init)
    );
    let stdout = String::from_utf8_lossy(&init.stdout);
    assert!(
        stdout.contains(&format!("key ID {}", key.key_id())),
        "init did not report the signing key {}: {}",
        key.key_id(),
        describe(&init)
    );

    let lock = tf.lock_file();
    let zh = format!("zh:{}", sha256_hex(&zip_bytes));
    assert!(
        lock.contains(&zh),
        "the lock file lacks the zip's hash {zh}:\n{lock}"
    );

    let schema = run_ok(
        &mut tf.command(&["providers", "schema", "-json"]),
        "terraform providers schema -json",
    );
    let schema = String::from_utf8_lossy(&schema.stdout);
    assert!(
        schema.contains("\"entra_mi_federated_credential\""),
        "the installed provider's schema lacks entra_mi_federated_credential: {schema}"
    );
    eprintln!("done after {:?}", started.elapsed());
}

#[test]
#[cfg_attr(
    target_os = "macos",
    ignore = "Terraform on macOS ignores SSL_CERT_FILE"
)]
fn init_refuses_a_zip_changed_after_signing() {
    let gnupg = GnuPgHome::new();
    let key = gnupg.generate_signing_key();
    let release = ReleaseDir::build(&gnupg, &key);
    // One byte changed in the middle of the archive, as a compromised download host could.
    let zip = release.host_zip();
    let mut bytes = std::fs::read(&zip).expect("read zip");
    let signed_sha256 = sha256_hex(&bytes);
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&zip, &bytes).expect("write tampered zip");

    let registry = Registry::serve(release.path(), VERSION, &key);
    let tf = Workdir::new(&registry);
    let init = tf.init();
    assert!(
        !init.status.success(),
        "terraform init accepted a tampered zip: {}",
        describe(&init)
    );
    // Terraform wraps its messages; compare with the line breaks taken out.
    let stderr = String::from_utf8_lossy(&init.stderr);
    let stderr = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    let expected = format!(
        "archive has incorrect checksum zh:{} (expected zh:{})",
        sha256_hex(&bytes),
        signed_sha256
    );
    assert!(
        stderr.contains(&expected),
        "init failed, but not with {expected:?}: {}",
        describe(&init)
    );
}
