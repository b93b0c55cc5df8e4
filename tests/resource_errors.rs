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

/// The error planning `resources` with `emu`'s provider block in the initialised `h`.
fn plan_error(emu: &Emu, h: &Harness, resources: &str) -> String {
    h.main_tf(&format!("{}{resources}", emu.provider_block()));
    h.fails(PLAN)
}

#[test]
fn duplicates_and_the_limit_are_caught_at_plan() {
    let emu = Emu::default();
    let taken = emu.oob_create(
        WORKLOAD_OBJECT,
        json!({"name": "taken", "issuer": entra_issuer(), "subject": BUILD_PRINCIPAL}),
    );
    let taken_id = taken["id"].as_str().unwrap();

    let h = Harness::ready(&emu, &resource("taken", DEPLOY_PRINCIPAL));
    let text = h.fails(PLAN);
    assert!(text.contains("already exists"), "{text}");
    assert!(
        text.contains(&format!(
            "{WORKLOAD_OBJECT}/federatedIdentityCredentials/{taken_id}"
        )),
        "import ID missing: {text}"
    );

    let text = plan_error(&emu, &h, &resource("another", BUILD_PRINCIPAL));
    assert_contains_all(
        &text,
        &["already trusts this issuer and subject", "\"taken\""],
    );

    for i in 1..20 {
        emu.oob_create(WORKLOAD_OBJECT, json!({"name": format!("filler-{i}"), "issuer": "https://token.actions.githubusercontent.com", "subject": format!("repo:x/y:environment:e{i}")}));
    }
    assert_eq!(emu.credentials(WORKLOAD_OBJECT).len(), 20);
    let text = plan_error(&emu, &h, &resource("twenty-first", DEPLOY_PRINCIPAL));
    assert_contains_all(&text, &["at most 20 federated identity credentials"]);
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
    let text = h.fails(&["apply", "-no-color", "-input=false", "tfplan"]);
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
    let h = Harness::initialised(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  use_msi = true\n  msi_client_id = \"{DEPLOY_CLIENT}\"\n{}}}\n{}",
        emu.endpoints(),
        resource("forbidden", DEPLOY_PRINCIPAL)
    ));
    let text = h.fails(APPLY);
    assert_contains_all(
        &text,
        &[
            "Authorization_RequestDenied",
            "Application.ReadWrite.All",
            "request-id:",
        ],
    );
}

/// The provider's cloud is known only once it is configured, and when `environment` is
/// left to its default only plan knows it: an issuer of another cloud is refused there.
#[test]
fn an_issuer_of_another_cloud_is_refused_at_plan() {
    let emu = Emu::default();
    let resource = format!(
        "resource \"entra_mi_federated_credential\" \"c\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"us-gov-issuer\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n  issuer = \"https://login.microsoftonline.us/{TENANT}/v2.0\"\n}}\n"
    );
    let h = Harness::initialised(&format!("{}{resource}", emu.provider_block()));
    let out = h.fails(PLAN).replace('\n', " ");
    assert_contains_all(
        &out,
        &[
            "the issuer belongs to another cloud",
            "environment is public",
        ],
    );
    assert!(emu.credentials(WORKLOAD_OBJECT).is_empty());
}
