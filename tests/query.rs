//! `terraform query` (Terraform >= 1.14) with the list resource
//! `entra_mi_federated_credential`: results with identities and display names, Terraform's
//! `limit`, and `-generate-config-out` that plans as imports only. Always runs on a
//! Terraform that has `query` (the repository's 1.15 wrapper when the default is older).

mod common;

use common::tenant;
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

/// The lines of `terraform query` output for list block `name`.
fn results<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    let prefix = format!("list.entra_mi_federated_credential.{name} ");
    out.lines().filter(|l| l.starts_with(&prefix)).collect()
}

#[test]
fn per_identity_and_tenant_wide_lists_stream_pages() {
    let emu = tenant::tenant();
    let h = query_harness(
        &emu,
        &format!(
            "list \"entra_mi_federated_credential\" \"deploy\" {{\n  provider = entra\n  config {{\n    managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n  }}\n}}\n\
             list \"entra_mi_federated_credential\" \"tenant\" {{\n  provider = entra\n  config {{}}\n}}\n\
             list \"entra_mi_federated_credential\" \"everything\" {{\n  provider = entra\n  config {{\n    all_issuers = true\n  }}\n}}\n"
        ),
    );
    let out = h.ok(&["query", "-no-color"]);
    // Which applications `deploy` can act as: 0, 3 and 7 of 12.
    let deploy = results(&out, "deploy");
    assert_eq!(deploy.len(), 3, "{out}");
    for i in [0, 3, 7] {
        let app = extra_app_object_id(i);
        assert!(
            deploy.iter().any(
                |l| l.contains(&format!("application_object_id={app},name=deploy"))
                    && l.contains(&format!("app-{i} / deploy"))
            ),
            "app {i}:\n{out}"
        );
    }
    // The tenant: Entra-issued credentials only (4); with all_issuers the 12 GitHub ones too.
    assert_eq!(results(&out, "tenant").len(), 4, "{out}");
    let everything = results(&out, "everything");
    assert_eq!(everything.len(), 16, "{out}");
    assert_eq!(
        everything.iter().filter(|l| l.contains("/ github")).count(),
        12
    );
    // Pages of 2 over 14 applications: 7 pages a tenant-wide list, never one per app.
    let per_app = emu.route_count("GET /v1.0/applications/{id}/federatedIdentityCredentials");
    assert_eq!(per_app, 0, "no request per application");
    assert!(
        emu.route_count(tenant::PAGES) <= 2 + 7 + 7,
        "{}",
        emu.requests()
    );
}

#[test]
fn the_limit_stops_reading_pages() {
    let emu = tenant::tenant();
    let h = query_harness(
        &emu,
        "list \"entra_mi_federated_credential\" \"everything\" {\n  provider = entra\n  limit = 1\n  config {\n    all_issuers = true\n  }\n}\n",
    );
    let out = h.ok(&["query", "-no-color"]);
    assert_eq!(results(&out, "everything").len(), 1, "{out}");
    // The first page holds the seed's two applications, without credentials; the second
    // has the first result. The other 5 pages of the tenant are never asked for.
    assert_eq!(emu.route_count(tenant::PAGES), 2, "{}", emu.requests());
}

#[test]
fn a_page_failing_mid_stream_ends_the_query_with_an_error() {
    let emu = tenant::tenant();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let proxy = tenant::failing_second_page(&emu, &rt);
    let provider = emu.provider_block().replace(
        &format!("graph_endpoint = \"{}\"", emu.url),
        &format!("graph_endpoint = \"{proxy}\""),
    );
    assert!(provider.contains(&proxy), "{provider}");
    let h = Harness::at_least(1, 14);
    h.main_tf(&provider);
    h.write(
        "search.tfquery.hcl",
        "list \"entra_mi_federated_credential\" \"everything\" {\n  provider = entra\n  config {\n    all_issuers = true\n  }\n}\n",
    );
    h.init();
    let out = h.fails(&["query", "-no-color"]);
    assert_contains_all(
        &out,
        &["page 2 failed", "generalException", "mid-way-failure"],
    );
    assert_eq!(emu.route_count(tenant::PAGES), 1);
}

/// The registry example as written, its placeholder ids replaced by the emulator's.
#[test]
fn the_list_resource_example_runs() {
    let emu = tenant::tenant();
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/list-resources/entra_mi_federated_credential/list-resource.tfquery.hcl"
    ))
    .expect("example");
    let app = extra_app_object_id(0);
    let query = example
        .replace("22222222-2222-2222-2222-222222222222", DEPLOY_PRINCIPAL)
        .replace("33333333-3333-3333-3333-333333333333", &app);
    assert_ne!(query, example, "the example's placeholders changed");
    let h = query_harness(&emu, &query);
    let out = h.ok(&["query", "-no-color"]);
    assert_eq!(results(&out, "trusting_deploy").len(), 3, "{out}");
    // Application 0 holds a GitHub credential and a `deploy` one.
    assert_eq!(results(&out, "workload").len(), 2, "{out}");
    assert_eq!(results(&out, "tenant").len(), 4, "{out}");
}
