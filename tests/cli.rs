//! The two command lines as a person meets them: `terraform-provider-entra --help`,
//! `--version` and `--debug` (with Terraform attached through `TF_REATTACH_PROVIDERS` as
//! the help says), and `entra-emulator --version`, `--help` and a seed it refuses.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use common::*;

fn provider(args: &[&str]) -> Output {
    Command::new(provider_binary())
        .args(args)
        .env_remove("TF_LOG")
        .output()
        .expect("run the provider")
}

fn emulator(args: &[&str]) -> Output {
    Command::new(emulator_binary())
        .args(args)
        .output()
        .expect("run the emulator")
}

#[test]
fn provider_help_and_version_exit_0() {
    let out = provider(&["--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let help = stdout(&out);
    assert_contains_all(
        &help,
        &[
            "--version",
            "--debug",
            "TF_REATTACH_PROVIDERS",
            "registry.terraform.io/entra-mi/entra",
            "TF_LOG_PROVIDER",
        ],
    );
    let out = provider(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out).trim(),
        format!("terraform-provider-entra {}", env!("CARGO_PKG_VERSION"))
    );
    let out = provider(&["--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--help"));
}

/// What `--help` tells a developer works: start `--debug`, export the printed variable,
/// and Terraform plans through that process (and fails once it is gone).
#[test]
fn terraform_attaches_to_a_debug_provider_as_the_help_says() {
    let emu = Emu::default();
    let mut debug = Command::new(provider_binary())
        .arg("--debug")
        .env_remove("TF_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start --debug");
    let mut reader = BufReader::new(debug.stdout.take().expect("stdout"));
    let mut value = None;
    while value.is_none() {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        value = line
            .trim()
            .strip_prefix("TF_REATTACH_PROVIDERS='")
            .and_then(|v| v.strip_suffix('\''))
            .map(str::to_string);
    }
    let value = value.expect("the TF_REATTACH_PROVIDERS line");
    let mut h = Harness::new();
    h.main_tf(&format!(
        "{}{}",
        emu.provider_block(),
        mi_credential("c", "debugged", DEPLOY_PRINCIPAL)
    ));
    h.set_env("TF_REATTACH_PROVIDERS", &value);
    h.init();
    let plan = h.ok(PLAN);
    assert!(plan.contains("1 to add"), "{plan}");

    let _ = debug.kill();
    let _ = debug.wait();
    let out = h.tf(PLAN);
    assert!(
        !out.status.success(),
        "with the debug process gone Terraform cannot plan, so it was using it:\n{}",
        text(&out)
    );
}

#[test]
fn emulator_version_and_help() {
    let out = emulator(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out).trim(),
        format!("entra-emulator {}", env!("CARGO_PKG_VERSION"))
    );
    let out = emulator(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert_contains_all(
        &stdout(&out),
        &[
            "ENTRA_EMULATOR_URL=",
            "provider \"entra\"",
            "authority_host",
            "graph_endpoint",
            "msi_endpoint",
            "/metadata/identity/oauth2/token",
            "managed_identities[]",
            "graph_permissions[]",
        ],
    );
}

#[test]
fn a_seed_with_ids_that_are_not_guids_is_refused_with_their_paths() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut seed: serde_json::Value =
        serde_json::from_str(entra_emulator::seed::DEFAULT_SEED).expect("the built-in seed");
    seed["tenants"][0]["id"] = "contoso.onmicrosoft.com".into();
    seed["tenants"][0]["applications"][1]["client_id"] = "workload".into();
    let file = dir.path().join("seed.json");
    std::fs::write(&file, seed.to_string()).expect("write the seed");
    let out = emulator(&["--port", "0", "--seed", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_contains_all(
        &err,
        &[
            "tenants[0].id: \"contoso.onmicrosoft.com\"",
            "tenants[0].applications[1].client_id: \"workload\"",
        ],
    );
    assert!(stdout(&out).is_empty(), "it must not start");
}

/// The quickstart shows cargo's progress (no `--quiet` build) and explains the two issuers
/// it prints. (`.ci/run` and users run the script itself; it builds in release mode.)
#[test]
fn the_quickstart_shows_progress_and_explains_the_issuers() {
    let script = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/quickstart/run.sh"
    ))
    .expect("run.sh");
    let builds: Vec<&str> = script
        .lines()
        .filter(|l| l.trim_start().starts_with("cargo build"))
        .collect();
    assert_eq!(builds.len(), 2, "{builds:?}");
    assert!(builds.iter().all(|b| !b.contains("--quiet")), "{builds:?}");
    assert_contains_all(
        &script,
        &[
            "tf output -raw issuer",
            "https://login.microsoftonline.com/{tenant}/v2.0",
            "https://sts.windows.net/",
            "AADSTS700211",
        ],
    );
    let syntax = Command::new("bash")
        .args([
            "-n",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quickstart/run.sh"),
        ])
        .output()
        .expect("bash");
    assert!(syntax.status.success(), "{}", text(&syntax));
}
