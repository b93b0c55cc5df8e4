//! What the release tests share: a throwaway GnuPG home and signing key, the release
//! directory `scripts/release.sh` writes, and a Terraform working directory that installs
//! the provider from a registry on loopback.

pub mod registry;
#[path = "../common/terraform.rs"]
pub mod terraform;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use registry::Registry;

/// The provider's namespace and type in its registry address.
pub const NAMESPACE: &str = "entra-mi";
pub const PROVIDER_TYPE: &str = "entra";
/// The released version: the crate's, as the release script reads it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Fails loudly when a tool the release path needs is missing: these tests never skip.
pub fn require_tool(tool: &str, why: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "`{tool}` is not installed or not on PATH: {why}");
}

/// Runs a command, panicking with its output when it fails.
pub fn run_ok(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(out.status.success(), "{what} failed: {}", describe(&out));
    out
}

/// Exit status, stdout and stderr, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "{}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Lower-case hex SHA-256, as in `SHA256SUMS` and in `zh:` lock file hashes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A GnuPG home of its own; its agent is stopped when it is dropped.
pub struct GnuPgHome {
    dir: tempfile::TempDir,
}

/// A signing key: its fingerprint and its ASCII-armored public key.
#[derive(Clone)]
pub struct SigningKey {
    pub fingerprint: String,
    pub armored_public_key: String,
}

impl SigningKey {
    /// The long key id (the fingerprint's last 16 hex digits), as registries publish it.
    pub fn key_id(&self) -> &str {
        &self.fingerprint[self.fingerprint.len().saturating_sub(16)..]
    }
}

impl GnuPgHome {
    pub fn new() -> GnuPgHome {
        require_tool("gpg", "the release is signed with GnuPG");
        // Short path: gpg-agent's socket lives here, and socket paths are short.
        let dir = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .expect("GnuPG home");
        GnuPgHome { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn gpg(&self) -> Command {
        let mut cmd = Command::new("gpg");
        cmd.env("GNUPGHOME", self.path()).arg("--batch");
        cmd
    }

    /// A new RSA key without passphrase (the public registry takes RSA keys).
    pub fn generate_signing_key(&self) -> SigningKey {
        run_ok(
            self.gpg().args([
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--quick-generate-key",
                "entra release test <release-test@example.invalid>",
                "rsa2048",
                "sign",
                "1d",
            ]),
            "gpg --quick-generate-key",
        );
        let listing = run_ok(
            self.gpg().args(["--with-colons", "--list-secret-keys"]),
            "gpg --list-secret-keys",
        );
        let listing = String::from_utf8_lossy(&listing.stdout);
        let fingerprint = listing
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|f| !f.is_empty()))
            .unwrap_or_else(|| panic!("no fingerprint in gpg's listing:\n{listing}"))
            .to_string();
        let armor = run_ok(
            self.gpg().args(["--armor", "--export", &fingerprint]),
            "gpg --export",
        );
        SigningKey {
            fingerprint,
            armored_public_key: String::from_utf8_lossy(&armor.stdout).into_owned(),
        }
    }
}

impl Drop for GnuPgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.path())
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

/// The repository root (this package's manifest directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory `scripts/release.sh` wrote, for the host platform only.
pub struct ReleaseDir {
    dir: tempfile::TempDir,
}

impl ReleaseDir {
    /// Runs `scripts/release.sh` signing with `key` from `gnupg`. The release build is
    /// cargo's own: fresh (seconds) when the quickstart has already built it.
    pub fn build(gnupg: &GnuPgHome, key: &SigningKey) -> ReleaseDir {
        require_tool("zip", "scripts/release.sh packs the provider with zip");
        let dir = tempfile::tempdir().expect("release dir");
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("scripts/release.sh"))
            .arg(dir.path())
            .env("GNUPGHOME", gnupg.path())
            .env("GPG_FINGERPRINT", &key.fingerprint)
            .env_remove("RELEASE_TARGETS");
        // The variables cargo sets for this test describe this test, not the build the
        // script asks for; build scripts watch some (ring: OUT_DIR, CARGO_PKG_NAME), and
        // passing them on would make cargo rebuild the whole release for nothing.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            let per_test = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
            ]
            .iter()
            .any(|p| name.starts_with(p))
                || name == "CARGO_PRIMARY_PACKAGE"
                || name == "CARGO_TARGET_TMPDIR"
                || name == "OUT_DIR";
            if per_test {
                cmd.env_remove(name.as_ref());
            }
        }
        run_ok(&mut cmd, "scripts/release.sh");
        ReleaseDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The zips in the directory, by name.
    pub fn zips(&self) -> Vec<PathBuf> {
        let mut zips: Vec<PathBuf> = std::fs::read_dir(self.path())
            .expect("read release dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "zip"))
            .collect();
        zips.sort();
        zips
    }

    /// The host platform's zip: the only one, since no other target was asked for.
    pub fn host_zip(&self) -> PathBuf {
        let zips = self.zips();
        assert_eq!(zips.len(), 1, "one zip expected: {zips:?}");
        zips[0].clone()
    }
}

/// A Terraform working directory whose configuration requires the provider from
/// `registry`, with a CLI configuration that installs providers directly (no mirror).
pub struct Workdir {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Workdir {
    pub fn new(registry: &Registry) -> Workdir {
        let dir = tempfile::tempdir().expect("terraform dir");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, &registry.ca_pem).expect("write CA");
        let cli_config = dir.path().join("terraform.rc");
        std::fs::write(&cli_config, "provider_installation {\n  direct {}\n}\n")
            .expect("write CLI configuration");
        let config = dir.path().join("config");
        std::fs::create_dir(&config).expect("config dir");
        std::fs::write(
            config.join("main.tf"),
            format!(
                "terraform {{\n  required_providers {{\n    {PROVIDER_TYPE} = {{\n      source  = \"{}\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n",
                registry.source()
            ),
        )
        .expect("write main.tf");
        let path = |p: &Path| p.display().to_string();
        let env = vec![
            ("TF_CLI_CONFIG_FILE".into(), path(&cli_config)),
            ("SSL_CERT_FILE".into(), path(&ca)),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("NO_PROXY".into(), "localhost,127.0.0.1".into()),
            ("no_proxy".into(), "localhost,127.0.0.1".into()),
        ];
        Workdir { dir, env }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// `terraform -chdir=config ARGS` in this directory's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&terraform::default().path);
        cmd.arg(format!("-chdir={}", self.config_dir().display()))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .env_remove("TF_DATA_DIR");
        cmd
    }

    /// Runs `terraform ARGS`, whatever its exit status.
    pub fn terraform(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run terraform")
    }

    pub fn init(&self) -> Output {
        self.terraform(&["init", "-input=false", "-no-color"])
    }

    pub fn lock_file(&self) -> String {
        std::fs::read_to_string(self.config_dir().join(".terraform.lock.hcl"))
            .expect("read .terraform.lock.hcl")
    }
}
