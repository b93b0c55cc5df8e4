//! Errors at apply arrive at once and say why, with the real terraform against the emulator.

mod common;

use std::time::{Duration, Instant};

use common::*;
use entra_emulator::{EmulatorConfig, Faults};
use serde_json::json;

#[test]
fn slots_taken_between_plan_and_apply_fail_the_create_at_once() {
    let emu = Emu::default();
    let h = Harness::ready(
        &emu,
        &format!(
            "resource \"entra_mi_federated_credential\" \"late\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"late\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n}}\n"
        ),
    );
    h.ok(&["plan", "-out=tfplan", "-no-color", "-input=false"]);
    // Another run takes the last slots between plan and apply.
    for i in 0..20 {
        emu.oob_create(
            WORKLOAD_OBJECT,
            json!({"name": format!("other-{i}"), "issuer": "https://token.actions.githubusercontent.com", "subject": format!("repo:x/y:environment:e{i}")}),
        );
    }
    let started = Instant::now();
    let out = h.tf(&["apply", "-no-color", "-input=false", "tfplan"]);
    let elapsed = started.elapsed();
    assert!(!out.status.success());
    let text = all_output(&out).replace('\n', " ");
    assert!(
        text.contains("at most 20 federated identity credentials"),
        "{text}"
    );
    assert!(
        elapsed < Duration::from_secs(10),
        "the limit must not wait for replication: {elapsed:?}"
    );
    assert_eq!(emu.credentials(WORKLOAD_OBJECT).len(), 20);
}

/// Graph throttles every request (sign-in is not throttled): the whole `terraform apply`
/// (plan, the apply walk's re-plan, the create) ends within the create timeout plus a few
/// seconds, since plan-time reads have a short budget of their own; the error says Graph
/// kept throttling until the timeout.
#[test]
fn constant_throttling_ends_at_the_create_timeout() {
    let emu = Emu::start(EmulatorConfig {
        faults: Faults {
            throttle_rate: 1.0,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    });
    let h = Harness::ready(
        &emu,
        &format!(
            "resource \"entra_mi_federated_credential\" \"throttled\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"throttled\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n  timeouts {{\n    create = \"30s\"\n  }}\n}}\n"
        ),
    );
    let started = Instant::now();
    let out = h.tf(APPLY);
    let elapsed = started.elapsed();
    let text = all_output(&out);
    eprintln!("terraform apply under constant throttling: {elapsed:?}");
    assert!(!out.status.success(), "{text}");
    assert!(
        elapsed < Duration::from_secs(35),
        "a 30 s create timeout must bound the whole apply, took {elapsed:?}:\n{text}"
    );
    assert_contains_all(
        &text.replace('\n', " "),
        &[
            "Plan-time checks against Microsoft Graph were skipped",
            "Graph kept throttling the requests until the operation's timeout",
            "timeout 30s",
            "HTTP 429",
        ],
    );
    assert_eq!(emu.credential_count(), 0);
}
