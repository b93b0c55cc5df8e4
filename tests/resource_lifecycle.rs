//! entra_mi_federated_credential end to end with the real terraform against the emulator:
//! create, empty plan, in-place updates, replacement, drift, import, client-id addressing,
//! destroy.

mod common;

use common::*;
use serde_json::json;

fn deploy(name: &str, description: &str) -> String {
    format!(
        "resource \"entra_mi_federated_credential\" \"deploy\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"{name}\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n  description = \"{description}\"\n}}\n"
    )
}

fn github(issuer: &str) -> String {
    format!(
        "resource \"entra_mi_federated_credential\" \"gh\" {{\n  application_client_id = \"{WORKLOAD_CLIENT}\"\n  name = \"github-main\"\n  issuer = \"{issuer}\"\n  subject = \"repo:entra-mi/demo:ref:refs/heads/main\"\n}}\n"
    )
}

fn names(emu: &Emu) -> Vec<String> {
    let mut n: Vec<String> = emu
        .credentials(WORKLOAD_OBJECT)
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("").to_string())
        .collect();
    n.sort();
    n
}

#[test]
fn lifecycle() {
    let emu = Emu::default();
    let h = Harness::new();
    let gh_issuer = "https://token.actions.githubusercontent.com";
    h.main_tf(&format!(
        "{}{}{}",
        emu.provider_block(),
        deploy("deploy", "one"),
        github(gh_issuer)
    ));
    h.init();

    // Create; the second plan is empty.
    h.ok(APPLY);
    assert_eq!(names(&emu), vec!["deploy", "github-main"]);
    let creds = emu.credentials(WORKLOAD_OBJECT);
    let d = creds.iter().find(|c| c["name"] == "deploy").unwrap();
    assert_eq!(d["issuer"], json!(entra_issuer()));
    assert_eq!(d["subject"], json!(DEPLOY_PRINCIPAL));
    assert_eq!(d["audiences"], json!([EXCHANGE]));
    let deploy_id = d["id"].as_str().unwrap().to_string();
    assert_eq!(
        h.plan_exit().0,
        0,
        "second plan not empty: {}",
        h.plan_exit().1
    );

    // Description and issuer change in place.
    h.main_tf(&format!(
        "{}{}{}",
        emu.provider_block(),
        deploy("deploy", "two"),
        github("https://token.actions.githubusercontent.com/entra-mi")
    ));
    let (code, plan) = h.plan_exit();
    assert_eq!(code, 2);
    assert!(plan.contains("2 to change, 0 to destroy"), "{plan}");
    h.ok(APPLY);
    let creds = emu.credentials(WORKLOAD_OBJECT);
    assert_eq!(
        creds.iter().find(|c| c["name"] == "deploy").unwrap()["description"],
        json!("two")
    );
    assert_eq!(
        creds.iter().find(|c| c["name"] == "deploy").unwrap()["id"],
        json!(deploy_id)
    );
    assert_eq!(
        creds.iter().find(|c| c["name"] == "github-main").unwrap()["issuer"],
        json!("https://token.actions.githubusercontent.com/entra-mi")
    );
    assert_eq!(h.plan_exit().0, 0);

    // A name change replaces.
    let gh = github("https://token.actions.githubusercontent.com/entra-mi");
    h.main_tf(&format!(
        "{}{}{}",
        emu.provider_block(),
        deploy("deploy-renamed", "two"),
        gh
    ));
    let (_, plan) = h.plan_exit();
    assert!(plan.contains("must be replaced"), "{plan}");
    h.ok(APPLY);
    assert_eq!(names(&emu), vec!["deploy-renamed", "github-main"]);
    assert_eq!(h.plan_exit().0, 0);

    // Out-of-band delete shows as a create; out-of-band subject change as an update.
    let renamed = emu
        .credentials(WORKLOAD_OBJECT)
        .into_iter()
        .find(|c| c["name"] == "deploy-renamed")
        .unwrap();
    emu.oob_delete(WORKLOAD_OBJECT, renamed["id"].as_str().unwrap());
    let (code, plan) = h.plan_exit();
    assert_eq!(code, 2);
    assert!(
        plan.contains("entra_mi_federated_credential.deploy will be created"),
        "{plan}"
    );
    h.ok(APPLY);
    let again = emu
        .credentials(WORKLOAD_OBJECT)
        .into_iter()
        .find(|c| c["name"] == "deploy-renamed")
        .unwrap();
    emu.oob_patch(
        WORKLOAD_OBJECT,
        again["id"].as_str().unwrap(),
        json!({"subject": BUILD_PRINCIPAL}),
    );
    let (code, plan) = h.plan_exit();
    assert_eq!(code, 2);
    assert!(
        plan.contains("updated in-place") && plan.contains(BUILD_PRINCIPAL),
        "{plan}"
    );
    h.ok(APPLY);
    assert_eq!(h.plan_exit().0, 0);

    // Destroy leaves nothing.
    h.ok(DESTROY);
    assert_eq!(emu.credential_count(), 0);
}

#[test]
fn import_by_id_and_by_name() {
    let emu = Emu::default();
    let h = Harness::new();
    let by_id = emu.oob_create(WORKLOAD_OBJECT, json!({"name": "adopt-by-id", "issuer": entra_issuer(), "subject": DEPLOY_PRINCIPAL, "description": "made elsewhere"}));
    emu.oob_create(
        WORKLOAD_OBJECT,
        json!({"name": "adopt-by-name", "issuer": entra_issuer(), "subject": BUILD_PRINCIPAL}),
    );
    let id = by_id["id"].as_str().unwrap();
    let body = format!(
        "{}\nresource \"entra_mi_federated_credential\" \"by_id\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"adopt-by-id\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n  description = \"made elsewhere\"\n}}\n\
         import {{\n  to = entra_mi_federated_credential.by_name\n  id = \"/applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials/adopt-by-name\"\n}}\n\
         resource \"entra_mi_federated_credential\" \"by_name\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"adopt-by-name\"\n  managed_identity_principal_id = \"{BUILD_PRINCIPAL}\"\n}}\n",
        emu.provider_block()
    );
    h.main_tf(&body);
    h.init();
    h.ok(&[
        "import",
        "-no-color",
        "-input=false",
        "entra_mi_federated_credential.by_id",
        &format!("{WORKLOAD_OBJECT}/federatedIdentityCredentials/{id}"),
    ]);
    let out = h.ok(APPLY);
    assert!(
        out.contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{out}"
    );
    let out = h.tf(PLAN_DETAILED);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(emu.credential_count(), 2);

    // azuread's legacy ID form and a bad ID.
    h.ok(&["state", "rm", "entra_mi_federated_credential.by_id"]);
    h.ok(&[
        "import",
        "-no-color",
        "-input=false",
        "entra_mi_federated_credential.by_id",
        &format!("{WORKLOAD_OBJECT}/federatedIdentityCredential/{id}"),
    ]);
    h.ok(&["state", "rm", "entra_mi_federated_credential.by_id"]);
    let bad = h.tf(&[
        "import",
        "-no-color",
        "-input=false",
        "entra_mi_federated_credential.by_id",
        "nonsense",
    ]);
    assert!(!bad.status.success());
    assert!(
        all_output(&bad).contains("federatedIdentityCredentials/{credential_id or name}"),
        "{}",
        all_output(&bad)
    );
}

#[test]
fn addressing_by_client_id() {
    let emu = Emu::default();
    let h = Harness::initialised(&format!(
        "{}resource \"entra_mi_federated_credential\" \"c\" {{\n  application_client_id = \"{WORKLOAD_CLIENT}\"\n  name = \"by-client-id\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n}}\noutput \"object_id\" {{\n  value = entra_mi_federated_credential.c.application_object_id\n}}\n",
        emu.provider_block()
    ));
    let out = h.ok(APPLY);
    assert!(
        out.contains(&format!("object_id = \"{WORKLOAD_OBJECT}\"")),
        "{out}"
    );
    assert_eq!(emu.credentials(WORKLOAD_OBJECT).len(), 1);
    let plan = h.tf(PLAN_DETAILED);
    assert_eq!(plan.status.code(), Some(0), "{}", all_output(&plan));
    h.ok(DESTROY);
    assert_eq!(emu.credential_count(), 0);
}
