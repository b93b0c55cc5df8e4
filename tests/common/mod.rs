//! The Terraform harness shared by the end-to-end tests: the provider built by cargo,
//! installed in a temporary filesystem mirror, driven by the real `terraform` with its
//! own CLI configuration. Only loopback is ever contacted.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub use entra_emulator::seed::quickstart::*;

pub mod emu;
pub use emu::Emu;
pub mod fixed_token;
pub mod state;
pub mod tenant;
pub mod terraform;

pub const SOURCE: &str = "registry.terraform.io/entra-mi/entra";

/// `terraform apply` without a saved plan, non-interactive.
pub const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];
/// `terraform destroy`, non-interactive.
pub const DESTROY: &[&str] = &["destroy", "-auto-approve", "-no-color", "-input=false"];
/// `terraform plan`, non-interactive.
pub const PLAN: &[&str] = &["plan", "-no-color", "-input=false"];
/// `terraform plan` whose exit code says whether anything would change (0 no, 2 yes).
pub const PLAN_DETAILED: &[&str] = &["plan", "-detailed-exitcode", "-no-color", "-input=false"];

/// The provider binary cargo built for the tests.
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-entra"))
}

/// The `entra-emulator` binary next to the provider binary. `cargo build`/`cargo test` at the
/// workspace root put it there; when it is missing (only this package was built, e.g.
/// `cargo test -p terraform-provider-entra`) it is built once, with the same profile and
/// target directory. Cargo only gives a test the binaries of its own package, hence the search.
pub fn emulator_binary() -> PathBuf {
    static EMULATOR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match EMULATOR.get_or_init(|| find_or_build("entra-emulator", "entra-emulator")) {
        Ok(path) => path.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// The `terraform-provider-azuread` stand-in (crate `azuread-stand-in`, test-only) next to
/// the provider binary, built like [`emulator_binary`] when missing.
pub fn azuread_stand_in_binary() -> PathBuf {
    static STAND_IN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match STAND_IN.get_or_init(|| find_or_build("azuread-stand-in", "terraform-provider-azuread")) {
        Ok(path) => path.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// Binary `bin` of workspace package `package`, next to the provider binary.
fn find_or_build(package: &str, bin: &str) -> Result<PathBuf, String> {
    let provider = provider_binary();
    let profile_dir = provider
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", provider.display()))?;
    let binary = profile_dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    if binary.is_file() {
        return Ok(binary);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(&cargo);
    build
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "-p", package, "--bin", bin]);
    // The directory is named after the profile, except the dev profile's "debug".
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some(profile) => {
            build.args(["--profile", profile]);
        }
    }
    // `<target-dir>/<profile>`, or `<target-dir>/<triple>/<profile>` when cross-building;
    // cargo marks its target directory with CACHEDIR.TAG.
    let above = profile_dir.parent().unwrap_or(profile_dir);
    match above.parent() {
        Some(target_dir)
            if !above.join("CACHEDIR.TAG").exists() && target_dir.join("CACHEDIR.TAG").exists() =>
        {
            build.arg("--target-dir").arg(target_dir);
            if let Some(triple) = above.file_name() {
                build.arg("--target").arg(triple);
            }
        }
        _ => {
            build.arg("--target-dir").arg(above);
        }
    }
    eprintln!(
        "{bin} is not in {}: building it ({build:?})",
        profile_dir.display()
    );
    let out = build
        .output()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    if !out.status.success() {
        return Err(format!(
            "the end-to-end tests need {bin} next to the provider in {}; building it failed \
             ({build:?}, {}):\n{}\nBuild it with `cargo build -p {package}` (same profile), or run \
             `cargo test` at the workspace root.",
            profile_dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!(
            "`cargo build -p {package}` succeeded but {} does not exist",
            binary.display()
        ))
    }
}

/// The Terraform the end-to-end tests run by default (see [`terraform`]).
pub fn terraform_path() -> PathBuf {
    terraform::default().path.clone()
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
    /// The Terraform this working directory is driven with.
    pub terraform: &'static terraform::Terraform,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_terraform(terraform::default())
    }

    /// A working directory for a feature that Terraform gained in `major.minor`: driven by
    /// the default Terraform when it is that new, else by the repository's 1.15 wrapper.
    pub fn at_least(major: u32, minor: u32) -> Harness {
        Harness::with_terraform(terraform::at_least(major, minor))
    }

    pub fn with_terraform(terraform: &'static terraform::Terraform) -> Harness {
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
            terraform,
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
        self.command_in(dir, args).output().expect("run terraform")
    }

    /// The terraform command [`Harness::tf`] runs, to start it in the background.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_in(&self.work(), args)
    }

    fn command_in(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.terraform.path);
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
                || k == "ENTRA_RESPONSE_TIMEOUT"
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
        cmd
    }

    /// Runs and asserts success, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.tf(args);
        assert!(
            out.status.success(),
            "terraform {args:?} failed on {}:\n{}",
            self.terraform.describe(),
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// Runs and asserts failure, returning stdout and stderr with line breaks folded into
    /// spaces (Terraform wraps long diagnostics).
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.tf(args);
        assert!(
            !out.status.success(),
            "terraform {args:?} should fail on {}:\n{}",
            self.terraform.describe(),
            text(&out)
        );
        all_output(&out).replace('\n', " ")
    }

    /// `terraform plan -detailed-exitcode`: its exit code (0 no changes, 1 error, 2
    /// changes) and its stdout and stderr.
    pub fn plan_exit(&self) -> (i32, String) {
        let out = self.tf(PLAN_DETAILED);
        (out.status.code().unwrap_or(-1), all_output(&out))
    }

    /// A working directory holding `emu`'s provider block and `resources`, initialised.
    pub fn ready(emu: &Emu, resources: &str) -> Harness {
        Harness::initialised(&format!("{}{resources}", emu.provider_block()))
    }

    /// A working directory whose `main.tf` holds `body` after the required providers,
    /// initialised.
    pub fn initialised(body: &str) -> Harness {
        let h = Harness::new();
        h.main_tf(body);
        h.init();
        h
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

/// The object id of application `i` of [`seed_with_apps`].
pub fn extra_app_object_id(i: usize) -> String {
    format!("a0000000-0000-4000-8000-{i:012}")
}

/// The built-in seed plus one application (no secret, no permissions) per number in `ids`:
/// object id [`extra_app_object_id`], client id `c0000000-0000-4000-8000-{i:012}`.
pub fn seed_with_apps(ids: impl IntoIterator<Item = usize>) -> entra_emulator::Seed {
    let mut seed = entra_emulator::Seed::default_seed();
    for i in ids {
        seed.tenants[0]
            .applications
            .push(entra_emulator::seed::SeedApplication {
                object_id: extra_app_object_id(i),
                client_id: format!("c0000000-0000-4000-8000-{i:012}"),
                display_name: format!("app-{i}"),
                client_secret: None,
                graph_permissions: vec![],
                client_certificates: vec![],
                ..Default::default()
            });
    }
    seed
}

/// The credential named `name` among `creds` ([`Emu::credentials`]).
pub fn credential_named<'a>(creds: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    creds
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no credential {name} in {creds:?}"))
}

/// An `entra_mi_federated_credential` at `address` named `name` on the workload
/// application, trusting managed identity `principal` by principal id.
pub fn mi_credential(address: &str, name: &str, principal: &str) -> String {
    format!(
        "resource \"entra_mi_federated_credential\" \"{address}\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"{name}\"\n  managed_identity_principal_id = \"{principal}\"\n}}\n"
    )
}

/// Asserts that `text` contains every one of `expected`, showing `text` otherwise.
pub fn assert_contains_all(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "{e:?} missing from:\n{text}");
    }
}

/// Serves `router` on a loopback port until the runtime ends; its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback listener");
    let addr = listener.local_addr().expect("listener address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    format!("http://{addr}")
}

/// Retry backoff short enough for tests that go through retries.
pub fn fast_backoff() -> terraform_provider_entra::entra::retry::Backoff {
    terraform_provider_entra::entra::retry::Backoff {
        base: std::time::Duration::from_millis(5),
        max: std::time::Duration::from_millis(20),
    }
}

/// A deadline ten seconds away that nothing cancels.
pub fn ten_seconds() -> terraform_provider_entra::entra::retry::Deadline {
    terraform_provider_entra::entra::retry::Deadline::after(
        std::time::Duration::from_secs(10),
        tokio_util::sync::CancellationToken::new(),
    )
}

/// A user-assigned identity for `principal_id` (client id: its first digit replaced by
/// `d`), added to the first tenant of `seed` unless there, so the live identity check finds it.
pub fn add_identity(seed: &mut entra_emulator::Seed, principal_id: &str) {
    let identities = &seed.tenants[0].managed_identities;
    if identities.iter().any(|m| m.principal_id == principal_id) {
        return;
    }
    let rest = principal_id.get(1..).unwrap_or_default();
    seed.tenants[0]
        .managed_identities
        .push(entra_emulator::seed::SeedIdentity {
            name: format!("mi-{}", &principal_id[..8.min(principal_id.len())]),
            client_id: format!("d{rest}"),
            principal_id: principal_id.to_string(),
            resource_id: format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tests/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi-{principal_id}"),
            system_assigned: false,
            ..Default::default()
        });
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

pub fn all_output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
