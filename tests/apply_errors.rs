//! Errors at apply arrive at once and say why, with the real terraform against the emulator.

mod common;

use std::time::{Duration, Instant};

use common::*;
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
