//! The errors users hit, caught at plan against the live application where possible,
//! and explained at apply otherwise.

mod common;

use common::*;
use serde_json::json;

fn resource(name: &str, principal: &str) -> String {
    format!(
        "resource \"entra_mi_federated_credential\" \"c\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"{name}\"\n  managed_identity_principal_id = \"{principal}\"\n}}\n"
    )
}

fn plan_fails(h: &Harness) -> String {
    let out = h.tf(&["plan", "-no-color", "-input=false"]);
    assert!(
        !out.status.success(),
        "plan should fail:\n{}",
        all_output(&out)
    );
    all_output(&out).replace('\n', " ")
}

#[test]
fn duplicates_and_the_limit_are_caught_at_plan() {
    let emu = Emu::default();
    let h = Harness::new();
    let taken = emu.oob_create(
        WORKLOAD_OBJECT,
        json!({"name": "taken", "issuer": entra_issuer(), "subject": BUILD_PRINCIPAL}),
    );
    let taken_id = taken["id"].as_str().unwrap();

    h.main_tf(&format!(
        "{}{}",
        emu.provider_block(),
        resource("taken", DEPLOY_PRINCIPAL)
    ));
    h.init();
    let text = plan_fails(&h);
    assert!(text.contains("already exists"), "{text}");
    assert!(
        text.contains(&format!(
            "{WORKLOAD_OBJECT}/federatedIdentityCredentials/{taken_id}"
        )),
        "import ID missing: {text}"
    );

    h.main_tf(&format!(
        "{}{}",
        emu.provider_block(),
        resource("another", BUILD_PRINCIPAL)
    ));
    let text = plan_fails(&h);
    assert!(
        text.contains("already trusts this issuer and subject") && text.contains("\"taken\""),
        "{text}"
    );

    for i in 1..20 {
        emu.oob_create(WORKLOAD_OBJECT, json!({"name": format!("filler-{i}"), "issuer": "https://token.actions.githubusercontent.com", "subject": format!("repo:x/y:environment:e{i}")}));
    }
    assert_eq!(emu.credentials(WORKLOAD_OBJECT).len(), 20);
    h.main_tf(&format!(
        "{}{}",
        emu.provider_block(),
        resource("twenty-first", DEPLOY_PRINCIPAL)
    ));
    let text = plan_fails(&h);
    assert!(
        text.contains("at most 20 federated identity credentials"),
        "{text}"
    );
}

#[test]
fn collisions_after_plan_are_refused_at_apply_with_the_import_id() {
    let emu = Emu::default();
    let h = Harness::ready(&emu, &resource("racy", DEPLOY_PRINCIPAL));
    h.ok(&["plan", "-out=tfplan", "-no-color", "-input=false"]);
    let racer = emu.oob_create(
        WORKLOAD_OBJECT,
        json!({"name": "racy", "issuer": entra_issuer(), "subject": BUILD_PRINCIPAL}),
    );
    let out = h.tf(&["apply", "-no-color", "-input=false", "tfplan"]);
    assert!(!out.status.success());
    let text = all_output(&out).replace('\n', " ");
    assert!(
        text.contains(&format!(
            "{WORKLOAD_OBJECT}/federatedIdentityCredentials/{}",
            racer["id"].as_str().unwrap()
        )),
        "{text}"
    );
    assert_eq!(
        emu.credentials(WORKLOAD_OBJECT).len(),
        1,
        "no duplicate may be created"
    );
}

#[test]
fn forbidden_names_the_permission() {
    let emu = Emu::default();
    // use_msi: the deploy identity's own Graph token carries no application permissions.
    let h = Harness::new();
    h.main_tf(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  use_msi = true\n  msi_client_id = \"{DEPLOY_CLIENT}\"\n{}}}\n{}",
        emu.endpoints(),
        resource("forbidden", DEPLOY_PRINCIPAL)
    ));
    h.init();
    let out = h.tf(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(!out.status.success());
    let text = all_output(&out).replace('\n', " ");
    assert!(text.contains("Authorization_RequestDenied"), "{text}");
    assert!(text.contains("Application.ReadWrite.All"), "{text}");
    assert!(text.contains("request-id:"), "{text}");
}
