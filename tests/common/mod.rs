//! The Terraform harness shared by the end-to-end tests: the provider built by cargo,
//! installed in a temporary filesystem mirror, driven by the real `terraform` with its
//! own CLI configuration. Only loopback is ever contacted.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const SOURCE: &str = "registry.terraform.io/entra-mi/entra";

/// The provider binary cargo built for the tests.
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-entra"))
}

pub fn emulator_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_entra-emulator"))
}

/// Fails loudly when terraform is missing: these tests never skip silently.
pub fn terraform_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("terraform"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("`terraform` (>= 1.10) is not on PATH: the end-to-end tests need the real Terraform CLI"))
}

fn os_arch() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os}_{arch}")
}

/// A temporary Terraform working directory with the provider installed.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Harness {
    pub fn new() -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let version = env!("CARGO_PKG_VERSION");
        let plugin_dir = dir
            .path()
            .join("mirror")
            .join(SOURCE)
            .join(version)
            .join(os_arch());
        std::fs::create_dir_all(&plugin_dir).expect("mirror dir");
        std::fs::copy(
            provider_binary(),
            plugin_dir.join(format!("terraform-provider-entra_v{version}")),
        )
        .expect("install provider");
        let rc = dir.path().join("terraform.rc");
        std::fs::write(
            &rc,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/entra-mi/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/entra-mi/*\"]\n  }}\n}}\n",
                dir.path().join("mirror").display()
            ),
        )
        .expect("cli config");
        std::fs::create_dir_all(dir.path().join("work")).expect("work dir");
        Harness {
            env: vec![("TF_CLI_CONFIG_FILE".into(), rc.display().to_string())],
            dir,
        }
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn write(&self, name: &str, content: &str) {
        std::fs::write(self.work().join(name), content).expect("write file");
    }

    pub fn main_tf(&self, body: &str) {
        self.write("main.tf", &format!("{}\n{body}", required_providers()));
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// Runs terraform in the work dir with a clean, test-owned environment.
    pub fn tf(&self, args: &[&str]) -> Output {
        self.tf_in(&self.work(), args)
    }

    pub fn tf_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new(terraform_path());
        cmd.current_dir(dir).args(args);
        for k in [
            "TF_LOG",
            "TF_LOG_PROVIDER",
            "TF_LOG_PATH",
            "TF_CLI_ARGS",
            "TF_DATA_DIR",
        ] {
            cmd.env_remove(k);
        }
        for (k, _) in std::env::vars() {
            if k.starts_with("ARM_")
                || k.starts_with("AZURE_")
                || k.starts_with("IDENTITY_")
                || k.starts_with("MSI_")
                || k == "ENTRA_ACCESS_TOKEN"
                || k.starts_with("ACTIONS_ID_TOKEN")
                || k.starts_with("SYSTEM_")
            {
                cmd.env_remove(k);
            }
        }
        cmd.env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("ARM_USE_CLI", "false")
            .env("NO_COLOR", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.output().expect("run terraform")
    }

    /// Runs and asserts success, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.tf(args);
        assert!(
            out.status.success(),
            "terraform {args:?} failed:\n{}",
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    pub fn init(&self) {
        self.ok(&["init", "-input=false", "-no-color"]);
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

pub fn required_providers() -> &'static str {
    "terraform {\n  required_providers {\n    entra = {\n      source = \"registry.terraform.io/entra-mi/entra\"\n    }\n  }\n}\n"
}

pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
