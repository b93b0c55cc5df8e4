//! `terraform query` (Terraform >= 1.14) with the list resource
//! `entra_mi_federated_credential`: results with identities and display names, Terraform's
//! `limit`, and `-generate-config-out` that plans as imports only. Always runs on a
//! Terraform that has `query` (the repository's 1.15 wrapper when the default is older).

mod common;

use common::*;
use serde_json::json;

const GITHUB: &str = "https://token.actions.githubusercontent.com";

fn query_harness(emu: &Emu, list_blocks: &str) -> Harness {
    let h = Harness::at_least(1, 14);
    h.main_tf(&emu.provider_block());
    h.write("search.tfquery.hcl", list_blocks);
    h.init();
    h
}

/// Three credentials made by hand on the workload application.
fn hand_made(emu: &Emu) {
    for (name, issuer, subject) in [
        ("deploy", entra_issuer(), DEPLOY_PRINCIPAL.to_string()),
        ("build", entra_issuer(), BUILD_PRINCIPAL.to_string()),
        (
            "github",
            GITHUB.to_string(),
            "repo:o/r:ref:refs/heads/main".to_string(),
        ),
    ] {
        emu.oob_create(
            WORKLOAD_OBJECT,
            json!({"name": name, "issuer": issuer, "subject": subject, "audiences": [EXCHANGE]}),
        );
    }
}

#[test]
fn one_application_lists_every_credential_with_its_identity() {
    let emu = Emu::default();
    hand_made(&emu);
    let h = query_harness(
        &emu,
        &format!("list \"entra_mi_federated_credential\" \"app\" {{\n  provider = entra\n  config {{\n    application_client_id = \"{WORKLOAD_CLIENT}\"\n  }}\n}}\n"),
    );
    let out = h.ok(&["query", "-no-color"]);
    for name in ["deploy", "build", "github"] {
        assert!(out.contains(&format!("/ {name}")), "{name}:\n{out}");
    }
    assert!(
        out.contains(&format!("application_object_id={WORKLOAD_OBJECT}")),
        "{out}"
    );

    // Terraform's limit ends the stream early.
    h.write(
        "search.tfquery.hcl",
        &format!("list \"entra_mi_federated_credential\" \"app\" {{\n  provider = entra\n  limit = 1\n  config {{\n    application_object_id = \"{WORKLOAD_OBJECT}\"\n  }}\n}}\n"),
    );
    let out = h.ok(&["query", "-no-color"]);
    let listed = out
        .lines()
        .filter(|l| l.contains("list.entra_mi_federated_credential.app"))
        .count();
    assert_eq!(listed, 1, "{out}");
}

#[test]
fn query_generates_configuration_that_imports_without_writing() {
    let emu = Emu::default();
    hand_made(&emu);
    let h = query_harness(
        &emu,
        &format!("list \"entra_mi_federated_credential\" \"app\" {{\n  provider = entra\n  include_resource = true\n  config {{\n    application_object_id = \"{WORKLOAD_OBJECT}\"\n  }}\n}}\n"),
    );
    h.ok(&["query", "-no-color", "-generate-config-out=generated.tf"]);
    let generated = std::fs::read_to_string(h.work().join("generated.tf")).expect("generated.tf");
    assert_eq!(generated.matches("import {").count(), 3, "{generated}");
    assert!(
        generated.contains(DEPLOY_PRINCIPAL) && generated.contains(GITHUB),
        "{generated}"
    );
    std::fs::remove_file(h.work().join("search.tfquery.hcl")).expect("remove query");
    let plan = h.ok(PLAN);
    assert!(
        plan.contains("3 to import, 0 to add, 0 to change, 0 to destroy"),
        "{plan}\n{generated}"
    );
    let posts = emu.route_count("POST /v1.0/applications/{id}/federatedIdentityCredentials");
    let out = h.ok(APPLY);
    assert!(
        out.contains("3 imported, 0 added, 0 changed, 0 destroyed"),
        "{out}"
    );
    assert_eq!(
        emu.route_count("POST /v1.0/applications/{id}/federatedIdentityCredentials"),
        posts
    );
    let (code, out) = h.plan_exit();
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_bad_selector_is_refused_at_validate() {
    let emu = Emu::default();
    let h = query_harness(
        &emu,
        &format!("list \"entra_mi_federated_credential\" \"app\" {{\n  provider = entra\n  config {{\n    application_object_id = \"{WORKLOAD_OBJECT}\"\n    managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n  }}\n}}\n"),
    );
    let out = h.fails(&["query", "-no-color"]);
    assert!(out.contains("Choose one selector"), "{out}");
}
