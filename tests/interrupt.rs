//! An apply interrupted while credentials are being written.
//!
//! The emulator applies a write even when its client goes away during the write latency,
//! as Graph does. After Ctrl-C (SIGINT to terraform, which asks the provider to stop),
//! the writes already sent complete and are recorded, so the next apply converges: no
//! error, no replacement, no duplicate. After a hard kill of the provider between a POST
//! and its answer, Terraform has no record of the credential: the next apply stops at
//! the name conflict and shows the import block that adopts it.

mod common;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use entra_emulator::{EmulatorConfig, Faults};

const POSTS: &str = "POST /v1.0/applications/{id}/federatedIdentityCredentials";
const GITHUB: &str = "https://token.actions.githubusercontent.com";

/// An emulator with the seed's apps plus apps 1..=`apps`, whose Graph writes take
/// `write_latency` before they are applied and answered.
fn slow_writes(apps: usize, write_latency: Duration) -> Emu {
    Emu::start(EmulatorConfig {
        seed: seed_with_apps(1..=apps),
        faults: Faults {
            write_latency,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
}

/// `count` credentials spread over apps 1..=`apps`, named `cred-NN`, each trusting its
/// own GitHub subject (no identity lookups at plan).
fn credentials(emu: &Emu, count: usize, apps: usize) -> Harness {
    Harness::ready(
        emu,
        &format!(
            "locals {{\n  creds = {{ for i in range({count}) : format(\"cred-%02d\", i) => format(\"a0000000-0000-4000-8000-%012d\", i % {apps} + 1) }}\n}}\n\
             resource \"entra_mi_federated_credential\" \"c\" {{\n  for_each = local.creds\n  application_object_id = each.value\n  name = each.key\n  issuer = \"{GITHUB}\"\n  subject = \"repo:entra-mi/demo:environment:${{each.key}}\"\n}}\n"
        ),
    )
}

/// Every credential name on apps 1..=`apps`, sorted.
fn names(emu: &Emu, apps: usize) -> Vec<String> {
    let mut names: Vec<String> = (1..=apps)
        .flat_map(|i| emu.credentials(&extra_app_object_id(i)))
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

/// Starts `terraform apply` in the background, its output going to a file.
fn start_apply(h: &Harness) -> (Child, std::path::PathBuf) {
    let log = h.dir.path().join("interrupted-apply.log");
    let file = std::fs::File::create(&log).expect("log file");
    let child = h
        .command(APPLY)
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log file"))
        .stderr(file)
        .spawn()
        .expect("start terraform apply");
    (child, log)
}

/// Waits until `cond` holds, for at most `within`.
fn wait_for(what: &str, within: Duration, mut cond: impl FnMut() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(started.elapsed() < within, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for `child` to exit (at most a minute) and returns its exit code and output.
fn finish(mut child: Child, log: &std::path::Path) -> (Option<i32>, String) {
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for terraform") {
            break s;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("terraform did not exit within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    std::fs::File::open(log)
        .and_then(|mut f| f.read_to_string(&mut out))
        .expect("read log");
    (status.code(), out)
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -{sig} {pid} failed");
}

/// The provider plugin process terraform started (a child of `terraform_pid`), found with
/// `pgrep -P` (procps on Linux, the BSD one on macOS; neither needs /proc).
fn provider_pid(terraform_pid: u32) -> Option<u32> {
    let out = Command::new("pgrep")
        .args([
            "-P",
            &terraform_pid.to_string(),
            "-f",
            "terraform-provider-entra",
        ])
        .output()
        .expect("run pgrep");
    let pids: Vec<u32> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    assert!(
        pids.len() <= 1,
        "several provider processes under terraform: {pids:?}"
    );
    pids.first().copied()
}

#[test]
fn ctrl_c_mid_apply_then_apply_converges() {
    const COUNT: usize = 40;
    const APPS: usize = 4;
    let emu = slow_writes(APPS, Duration::from_millis(1500));
    let h = credentials(&emu, COUNT, APPS);
    let (child, log) = start_apply(&h);
    // Interrupt once a few credentials are written and others are in flight: POSTs
    // received but not yet applied.
    wait_for("creates in flight", Duration::from_secs(60), || {
        let (sent, stored) = (emu.route_count(POSTS), emu.credential_count());
        stored >= 1 && sent > stored
    });
    let in_flight_at_interrupt = emu.route_count(POSTS) - emu.credential_count();
    signal(child.id(), "INT");
    let (code, out) = finish(child, &log);
    eprintln!("--- the interrupted apply\n{out}");
    assert_ne!(code, Some(0), "the interrupted apply should fail:\n{out}");
    // The emulator applies every POST it received, answered or abandoned.
    wait_for(
        "the writes in flight to land",
        Duration::from_secs(10),
        || emu.credential_count() == emu.route_count(POSTS),
    );
    let written = emu.credential_count() as usize;
    assert!(
        (1..COUNT).contains(&written),
        "the interrupt should stop the apply part way ({written} of {COUNT} written):\n{out}"
    );
    let recorded = h.ok(&["state", "list"]).lines().count();
    assert_eq!(
        recorded, written,
        "every credential written must be in state ({in_flight_at_interrupt} were in flight at the interrupt):\n{out}"
    );
    assert!(
        out.contains("The credential was created; its read-back did not finish"),
        "a write in flight at the interrupt completes and is recorded with a warning:\n{out}"
    );

    let again = h.tf(APPLY);
    let text = all_output(&again);
    assert!(
        again.status.success(),
        "the next apply must converge:\n{text}"
    );
    assert!(!text.contains("must be replaced"), "{text}");
    assert!(
        text.contains(&format!(
            "Apply complete! Resources: {} added, 0 changed, 0 destroyed.",
            COUNT - written
        )),
        "{text}"
    );
    let all = names(&emu, APPS);
    let mut unique = all.clone();
    unique.dedup();
    assert_eq!(all.len(), COUNT, "{all:?}");
    assert_eq!(unique.len(), COUNT, "duplicates: {all:?}");
    assert_eq!(h.tf(PLAN_DETAILED).status.code(), Some(0));
}

#[test]
fn hard_kill_between_post_and_answer_then_the_import_block() {
    let emu = slow_writes(1, Duration::from_secs(3));
    let h = credentials(&emu, 1, 1);
    let (child, log) = start_apply(&h);
    wait_for("the POST", Duration::from_secs(60), || {
        emu.route_count(POSTS) == 1
    });
    assert_eq!(emu.credential_count(), 0, "the POST is still in flight");
    let provider = provider_pid(child.id()).expect("the provider process under terraform");
    signal(provider, "KILL");
    let (code, out) = finish(child, &log);
    assert_ne!(code, Some(0), "{out}");
    // The server finishes the write its client abandoned: an orphan.
    wait_for("the orphan", Duration::from_secs(10), || {
        emu.credential_count() == 1
    });
    assert_eq!(
        h.ok(&["state", "list"]).trim(),
        "",
        "Terraform has no record"
    );
    let orphan = &emu.credentials(&extra_app_object_id(1))[0];
    let id = orphan["id"].as_str().expect("credential id");

    let again = h.tf(APPLY);
    let text = all_output(&again);
    assert!(!again.status.success(), "{text}");
    let import_block = [
        "  import {".to_string(),
        "    to = entra_mi_federated_credential.<name>".to_string(),
        format!(
            "    id = \"{}/federatedIdentityCredentials/{id}\"",
            extra_app_object_id(1)
        ),
        "  }".to_string(),
    ]
    .join("\n");
    assert_contains_all(
        &text,
        &[
            "A federated identity credential named \"cred-00\" already exists",
            "with entra_mi_federated_credential.c[\"cred-00\"]",
            &import_block,
        ],
    );
    assert_eq!(emu.credential_count(), 1, "no duplicate");
}
