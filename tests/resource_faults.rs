//! Under throttling, 5xx, dropped connections and replication lag, applying 100
//! credentials over 5 applications succeeds exactly once each; destroy leaves none.

mod common;

use std::time::Duration;

use common::*;
use entra_emulator::{EmulatorConfig, Faults};

#[test]
fn hundred_credentials_under_faults() {
    let mut seed = seed_with_apps(1..=5);
    for i in 0..100 {
        add_identity(&mut seed, &format!("{i:08x}-0000-4000-8000-000000000000"));
    }
    let emu = Emu::start(EmulatorConfig {
        seed,
        faults: Faults {
            throttle_rate: 0.3,
            error_rate: 0.1,
            drop_rate: 0.05,
            replication_lag: Duration::from_secs(3),
            rng_seed: Some(20261124),
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    });
    let h = Harness::initialised(&format!(
        "{}locals {{\n  creds = {{ for i in range(100) : format(\"cred-%03d\", i) => {{ app = format(\"a0000000-0000-4000-8000-00000000000%d\", i % 5 + 1), principal = format(\"%08x-0000-4000-8000-000000000000\", i) }} }}\n}}\n\
         resource \"entra_mi_federated_credential\" \"c\" {{\n  for_each = local.creds\n  application_object_id = each.value.app\n  name = each.key\n  managed_identity_principal_id = each.value.principal\n}}\n",
        emu.provider_block()
    ));
    h.ok(APPLY);

    let mut names = Vec::new();
    for i in 1..=5 {
        let creds = emu.credentials(&extra_app_object_id(i));
        assert_eq!(creds.len(), 20, "app {i} holds {} credentials", creds.len());
        names.extend(
            creds
                .iter()
                .map(|c| c["name"].as_str().unwrap_or("").to_string()),
        );
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 100, "duplicates or missing credentials");
    let faults = emu.requests()["faults"].clone();
    assert!(
        faults["throttle"].as_u64().unwrap_or(0) > 0 && faults["error"].as_u64().unwrap_or(0) > 0,
        "faults were not injected: {faults}"
    );

    let plan = h.tf(PLAN_DETAILED);
    assert_eq!(plan.status.code(), Some(0), "{}", all_output(&plan));

    h.ok(DESTROY);
    assert_eq!(emu.credential_count(), 0);
}
