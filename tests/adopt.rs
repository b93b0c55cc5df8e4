//! Adopting credentials made by hand (SPEC §3c): `import` blocks with
//! `-generate-config-out`, import by resource identity, and the warnings that keep an old
//! mistake from hiding behind an import. The credentials are made through the emulator's
//! Graph API, as a person in the portal or a script would have made them.

mod common;

use common::*;
use serde_json::{json, Value};

const GITHUB: &str = "https://token.actions.githubusercontent.com";

/// Graph writes to credentials the emulator has seen (POST, PATCH, DELETE).
fn credential_writes(emu: &Emu) -> u64 {
    let requests = emu.requests();
    let Some(routes) = requests["routes"].as_object() else {
        panic!("no routes in {requests}")
    };
    routes
        .iter()
        .filter(|(route, _)| {
            route.contains("federatedIdentityCredentials")
                && ["POST ", "PATCH ", "DELETE "]
                    .iter()
                    .any(|m| route.starts_with(m))
                && !route.contains("/_emulator/")
        })
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum()
}

fn import_block(to: &str, app: &str, credential: &str) -> String {
    format!(
        "import {{\n  to = entra_mi_federated_credential.{to}\n  id = \"{app}/federatedIdentityCredentials/{credential}\"\n}}\n"
    )
}

#[test]
fn generated_configuration_adopts_three_hand_made_credentials() {
    let emu = Emu::default();
    let defaults = emu.oob_create(
        WORKLOAD_OBJECT,
        json!({"name": "portal-deploy", "issuer": entra_issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}),
    );
    emu.oob_create(
        WORKLOAD_OBJECT,
        json!({"name": "github-main", "issuer": GITHUB, "subject": "repo:o/r:ref:refs/heads/main", "audiences": [EXCHANGE], "description": "made in the portal"}),
    );
    emu.oob_create(
        ADMIN_OBJECT,
        json!({"name": "script-build", "issuer": entra_issuer(), "subject": BUILD_PRINCIPAL, "audiences": [EXCHANGE]}),
    );
    let h = Harness::new();
    // Two are generated; the third is written by hand, naming its application by client id.
    h.main_tf(&format!(
        "{}{}{}{}resource \"entra_mi_federated_credential\" \"build\" {{\n  application_client_id = \"{ADMIN_CLIENT}\"\n  name = \"script-build\"\n  managed_identity_principal_id = \"{BUILD_PRINCIPAL}\"\n}}\n",
        emu.provider_block(),
        import_block("deploy", WORKLOAD_OBJECT, defaults["id"].as_str().unwrap_or_default()),
        import_block("github", WORKLOAD_OBJECT, "github-main"),
        import_block("build", ADMIN_OBJECT, "script-build"),
    ));
    h.init();
    h.ok(&[
        "plan",
        "-no-color",
        "-input=false",
        "-generate-config-out=generated.tf",
    ]);
    let generated = std::fs::read_to_string(h.work().join("generated.tf")).expect("generated.tf");
    assert!(
        generated.contains("portal-deploy") && generated.contains("github-main"),
        "{generated}"
    );
    if h.terraform.at_least(1, 14) {
        // The provider writes the block (GenerateResourceConfig): defaults left out, the
        // application by object id, the identity by principal id.
        let deploy = block_of(&generated, "deploy");
        assert!(deploy.contains(DEPLOY_PRINCIPAL), "{deploy}");
        for absent in [
            "application_client_id",
            "issuer",
            "audiences",
            "subject",
            "credential_id",
        ] {
            assert!(!deploy.contains(absent), "{absent} in {deploy}");
        }
        let github = block_of(&generated, "github");
        assert!(
            github.contains(GITHUB) && github.contains("made in the portal"),
            "{github}"
        );
        assert!(
            !github.contains("managed_identity_principal_id = \""),
            "{github}"
        );
    }
    let plan = h.ok(PLAN);
    assert!(
        plan.contains("3 to import, 0 to add, 0 to change, 0 to destroy"),
        "{plan}\n{generated}"
    );
    let writes = credential_writes(&emu);
    let out = h.ok(APPLY);
    assert!(
        out.contains("3 imported, 0 added, 0 changed, 0 destroyed"),
        "{out}"
    );
    assert_eq!(
        credential_writes(&emu),
        writes,
        "the adoption wrote to Graph"
    );
    let (code, out) = h.plan_exit();
    assert_eq!(code, 0, "{out}");
    assert_eq!(emu.credential_count(), 3);
}

/// The `resource` block Terraform generated for `name`.
fn block_of<'a>(generated: &'a str, name: &str) -> &'a str {
    let start = generated
        .find(&format!("\"entra_mi_federated_credential\" \"{name}\""))
        .unwrap_or_else(|| panic!("no block {name} in {generated}"));
    let rest = &generated[start..];
    &rest[..rest.find("\n}").map_or(rest.len(), |e| e + 2)]
}

#[test]
fn an_inconsistent_pair_is_refused_naming_both_values() {
    let emu = Emu::default();
    emu.oob_create(
        WORKLOAD_OBJECT,
        json!({"name": "pair", "issuer": entra_issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}),
    );
    let h = Harness::initialised(&format!(
        "{}resource \"entra_mi_federated_credential\" \"pair\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  application_client_id = \"{ADMIN_CLIENT}\"\n  name = \"fresh\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n  subject = \"{BUILD_PRINCIPAL}\"\n}}\n",
        emu.provider_block(),
    ));
    let out = h.fails(PLAN);
    // The subject and the principal id disagree: an error naming both, before Graph.
    assert_contains_all(
        &out,
        &[
            "subject differs from managed_identity_principal_id",
            DEPLOY_PRINCIPAL,
            BUILD_PRINCIPAL,
        ],
    );
    h.main_tf(&format!(
        "{}resource \"entra_mi_federated_credential\" \"pair\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  application_client_id = \"{ADMIN_CLIENT}\"\n  name = \"fresh\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n}}\n",
        emu.provider_block(),
    ));
    let out = h.fails(PLAN);
    assert_contains_all(
        &out,
        &[
            "name different applications",
            WORKLOAD_OBJECT,
            ADMIN_CLIENT,
            WORKLOAD_CLIENT,
        ],
    );
    assert_eq!(emu.credentials(WORKLOAD_OBJECT).len(), 1);
}

#[test]
fn an_adopted_mistake_is_a_warning_that_names_the_fix() {
    let emu = Emu::default();
    // Made in the portal with the identity's client id as subject: Graph took it.
    emu.oob_create(
        WORKLOAD_OBJECT,
        json!({"name": "by-client-id", "issuer": entra_issuer(), "subject": DEPLOY_CLIENT, "audiences": [EXCHANGE]}),
    );
    let h = Harness::new();
    h.main_tf(&format!(
        "{}{}",
        emu.provider_block(),
        import_block("mistake", WORKLOAD_OBJECT, "by-client-id"),
    ));
    h.init();
    let out = h.ok(&[
        "plan",
        "-no-color",
        "-input=false",
        "-generate-config-out=generated.tf",
    ]);
    let text = out.replace('\n', " ");
    assert_contains_all(
        &text,
        &[
            "Warning: Adopted credential",
            DEPLOY_PRINCIPAL,
            "imported as it is",
        ],
    );
    let out = h.ok(APPLY).replace('\n', " ");
    assert!(
        out.contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{out}"
    );
    // Reported once, when adopted: later plans of the unchanged credential are quiet.
    let (code, out) = h.plan_exit();
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("Adopted credential"), "{out}");
}

/// The identity `terraform show -json` reports for the credential at `address`.
fn identity_in_state(h: &Harness, address: &str) -> Value {
    let show: Value =
        serde_json::from_str(&h.ok(&["show", "-json", "-no-color"])).expect("show -json");
    let resources = show["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let r = resources
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in {show}"));
    r["identity"].clone()
}

#[test]
fn import_by_identity_and_the_identity_never_changes() {
    let emu = Emu::default();
    emu.oob_create(
        WORKLOAD_OBJECT,
        json!({"name": "by-identity", "issuer": entra_issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}),
    );
    let resource = format!(
        "resource \"entra_mi_federated_credential\" \"x\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"by-identity\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n}}\n"
    );
    let identity_import = |name: &str| {
        format!(
            "import {{\n  to = entra_mi_federated_credential.x\n  identity = {{\n    application_object_id = \"{WORKLOAD_OBJECT}\"\n    name = \"{name}\"\n  }}\n}}\n"
        )
    };
    // A name the application does not have: an error naming both values.
    let wrong = Harness::at_least(1, 12);
    wrong.main_tf(&format!(
        "{}{resource}{}",
        emu.provider_block(),
        identity_import("nope")
    ));
    wrong.init();
    let out = wrong.fails(PLAN);
    assert_contains_all(&out, &[WORKLOAD_OBJECT, "\"nope\""]);

    let h = Harness::at_least(1, 12);
    h.main_tf(&format!(
        "{}{resource}{}",
        emu.provider_block(),
        identity_import("by-identity")
    ));
    h.init();
    let out = h.ok(APPLY);
    assert!(
        out.contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{out}"
    );
    let expected = json!({"application_object_id": WORKLOAD_OBJECT, "name": "by-identity"});
    assert_eq!(
        identity_in_state(&h, "entra_mi_federated_credential.x"),
        expected
    );

    // A replacement makes a new credential under the same name: the identity stays.
    let before = emu.credentials(WORKLOAD_OBJECT)[0]["id"].clone();
    h.ok(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-replace=entra_mi_federated_credential.x",
    ]);
    let after = emu.credentials(WORKLOAD_OBJECT);
    assert_eq!(after.len(), 1);
    assert_ne!(after[0]["id"], before, "-replace made a new credential");
    assert_eq!(
        identity_in_state(&h, "entra_mi_federated_credential.x"),
        expected
    );
    let (code, out) = h.plan_exit();
    assert_eq!(code, 0, "{out}");
}
