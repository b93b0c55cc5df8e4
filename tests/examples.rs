//! Every example in examples/ passes `terraform init` + `terraform validate` with the
//! provider built by cargo, and the import example uses an ID form the provider accepts.

mod common;

use common::Harness;

fn validate_dir(rel: &str) {
    let h = Harness::new();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let mut copied = 0;
    for entry in std::fs::read_dir(&src).unwrap_or_else(|e| panic!("{rel}: {e}")) {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("tf") {
            std::fs::copy(&path, h.work().join(path.file_name().unwrap())).unwrap();
            copied += 1;
        }
    }
    assert!(copied > 0, "{rel} has no .tf files");
    h.init();
    let out = h.tf(&["validate", "-no-color"]);
    assert!(
        out.status.success(),
        "{rel} does not validate:\n{}",
        common::text(&out)
    );
}

#[test]
fn provider_example() {
    validate_dir("examples/provider");
}

#[test]
fn resource_example() {
    validate_dir("examples/resources/entra_mi_federated_credential");
}

#[test]
fn data_source_example() {
    validate_dir("examples/data-sources/entra_mi_access_token");
}

#[test]
fn audit_data_source_example() {
    validate_dir("examples/data-sources/entra_mi_federated_credentials");
}

#[test]
fn ephemeral_resource_example() {
    validate_dir("examples/ephemeral-resources/entra_mi_access_token");
}

#[test]
fn scenario_examples() {
    for s in [
        "github-actions-oidc",
        "azure-vm-user-assigned-identity",
        "cross-tenant",
    ] {
        validate_dir(&format!("examples/scenarios/{s}"));
    }
}

#[test]
fn quickstart_example() {
    validate_dir("examples/quickstart");
}

#[test]
fn import_example_ids_parse() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/resources/entra_mi_federated_credential/import.sh"
    ))
    .unwrap();
    // Every ID in the script, including commented alternatives.
    let ids: Vec<&str> = text
        .split_whitespace()
        .filter(|t| t.contains("/federatedIdentityCredential"))
        .map(|id| id.trim_matches(|c| c == '"' || c == '\''))
        .collect();
    assert!(!ids.is_empty());
    for id in ids {
        terraform_provider_entra::provider::federated_credential::parse_import_id(id)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
}
