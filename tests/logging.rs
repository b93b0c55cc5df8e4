//! Provider logs reach Terraform's log at their levels, and secrets never do.

mod common;

use common::*;

#[test]
fn trace_logs_show_provider_lines_without_secrets() {
    let emu = Emu::default();
    let mut h = Harness::new();
    h.main_tf(&format!(
        "{}resource \"entra_mi_federated_credential\" \"c\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"logged\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n}}\n",
        emu.provider_block()
    ));
    h.init();
    h.set_env("TF_LOG", "trace");
    let out = h.tf(&["validate", "-no-color"]);
    assert!(out.status.success(), "{}", all_output(&out));
    let log = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        log.contains("provider.terraform-provider-entra"),
        "no provider lines in the log"
    );
    assert!(
        log.contains("[DEBUG] provider.terraform-provider-entra_v")
            && log.contains("rpc=validate_resource_type_config"),
        "debug lines missing"
    );
    assert!(
        !log.contains(ADMIN_SECRET),
        "the client secret reached the validate log"
    );

    // A full apply and destroy at trace: Graph and token traffic happen.
    let out = h.tf(APPLY);
    assert!(out.status.success(), "{}", all_output(&out));
    let mut log = String::from_utf8_lossy(&out.stderr).to_string();
    let out = h.tf(DESTROY);
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(log.contains("Graph request"), "Graph calls not logged");
    assert!(
        !log.contains(ADMIN_SECRET),
        "the client secret reached the log"
    );
    let issued = emu.get("/_emulator/issued")["signatures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!issued.is_empty());
    for sig in issued.iter().filter_map(|s| s.as_str()) {
        assert!(!log.contains(sig), "a token reached the log");
    }
    assert!(
        !log.contains("client_assertion="),
        "an assertion form field reached the log"
    );
}
