//! The audit data source `entra_mi_federated_credentials` per managed identity and
//! tenant-wide, with the real terraform against the emulator serving pages of 2: what
//! each selector lists, what it costs in Graph pages, and a page failing mid-way.

mod common;

use common::tenant::{failing_second_page, tenant, PAGES};
use common::*;
use serde_json::{json, Value};

const GITHUB: &str = "https://token.actions.githubusercontent.com";

/// `credentials` of data source `name`, from `terraform output -json`.
fn listed(h: &Harness, name: &str) -> Vec<Value> {
    let out: Value =
        serde_json::from_str(&h.ok(&["output", "-json", "-no-color", name])).expect("output JSON");
    out.as_array().cloned().unwrap_or_default()
}

fn field<'a>(rows: &'a [Value], key: &str) -> Vec<&'a str> {
    rows.iter().map(|r| r[key].as_str().unwrap_or("")).collect()
}

#[test]
fn per_identity_and_tenant_wide_audits_read_a_few_pages() {
    let emu = tenant();
    let h = Harness::ready(
        &emu,
        &format!(
            "data \"entra_mi_federated_credentials\" \"deploy\" {{\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n}}\n\
             data \"entra_mi_federated_credentials\" \"tenant\" {{}}\n\
             data \"entra_mi_federated_credentials\" \"everything\" {{\n  all_issuers = true\n}}\n\
             output \"deploy\" {{\n  value = data.entra_mi_federated_credentials.deploy.credentials\n}}\n\
             output \"tenant\" {{\n  value = data.entra_mi_federated_credentials.tenant.credentials\n}}\n\
             output \"everything\" {{\n  value = data.entra_mi_federated_credentials.everything.credentials\n}}\n"
        ),
    );
    h.ok(APPLY);

    // Which applications `deploy` can act as: 0, 3 and 7, with their ids and names.
    let deploy = listed(&h, "deploy");
    assert_eq!(
        field(&deploy, "application_display_name"),
        ["app-0", "app-3", "app-7"]
    );
    assert_eq!(
        field(&deploy, "application_object_id"),
        [0, 3, 7].map(extra_app_object_id)
    );
    assert_eq!(
        field(&deploy, "application_client_id"),
        [0, 3, 7].map(|i| format!("c0000000-0000-4000-8000-{i:012}"))
    );
    assert!(
        deploy.iter().all(|r| r["subject"] == DEPLOY_PRINCIPAL
            && r["findings"].as_array().is_some_and(Vec::is_empty)),
        "{deploy:?}"
    );

    // The tenant: the four Entra credentials; the twelve GitHub ones only with all_issuers.
    let tenant = listed(&h, "tenant");
    assert_eq!(
        field(&tenant, "application_display_name"),
        ["app-0", "app-3", "app-5", "app-7"]
    );
    assert!(tenant.iter().all(|r| r["issuer"] != GITHUB));
    let everything = listed(&h, "everything");
    assert_eq!(everything.len(), 16, "{everything:?}");
    assert_eq!(
        everything.iter().filter(|r| r["issuer"] == GITHUB).count(),
        12
    );

    // Pages, not applications: 2 for `deploy` (3 applications), 7 for each tenant-wide
    // read (14 applications), and no per-application list.
    assert_eq!(emu.route_count(PAGES), 2 + 7 + 7, "{}", emu.requests());
    assert_eq!(
        emu.route_count("GET /v1.0/applications/{id}/federatedIdentityCredentials"),
        0
    );
    // At most one identity lookup per distinct subject (deploy, build), batched, never one
    // per credential.
    let lookups = emu.route_count("GET /v1.0/servicePrincipals")
        + emu.route_count("GET /v1.0/servicePrincipals/{id}")
        + emu.route_count("POST /v1.0/directoryObjects/getByIds");
    assert!((1..=2).contains(&lookups), "{}", emu.requests());
}

#[test]
fn one_application_lists_every_issuer_with_its_ids() {
    let emu = tenant();
    let h = Harness::ready(
        &emu,
        "data \"entra_mi_federated_credentials\" \"app\" {\n  application_client_id = \"c0000000-0000-4000-8000-000000000003\"\n}\n\
         output \"app\" {\n  value = data.entra_mi_federated_credentials.app.credentials\n}\n",
    );
    h.ok(APPLY);
    let rows = listed(&h, "app");
    assert_eq!(field(&rows, "name"), ["deploy", "github"]);
    assert!(rows
        .iter()
        .all(|r| r["application_object_id"] == extra_app_object_id(3)
            && r["application_display_name"] == "app-3"));
    assert_eq!(emu.route_count(PAGES), 0);
}

#[test]
fn selectors_conflict_and_all_issuers_is_tenant_wide_only() {
    let h = Harness::initialised(&format!(
        "data \"entra_mi_federated_credentials\" \"x\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n  all_issuers = true\n}}\n"
    ));
    let out = h.fails(&["validate", "-no-color"]);
    assert_contains_all(
        &out,
        &["Choose one selector", "all_issuers is for the whole tenant"],
    );
}

#[test]
fn a_page_failing_mid_way_ends_the_read_with_an_error() {
    let emu = tenant();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let proxy = failing_second_page(&emu, &rt);
    let provider = emu.provider_block().replace(
        &format!("graph_endpoint = \"{}\"", emu.url),
        &format!("graph_endpoint = \"{proxy}\""),
    );
    assert!(provider.contains(&proxy), "{provider}");
    let h = Harness::initialised(&format!(
        "{provider}data \"entra_mi_federated_credentials\" \"tenant\" {{\n  all_issuers = true\n}}\n\
         output \"n\" {{\n  value = length(data.entra_mi_federated_credentials.tenant.credentials)\n}}\n"
    ));
    let out = h.fails(&["plan", "-no-color", "-input=false"]);
    assert_contains_all(
        &out,
        &[
            "page 2 failed",
            "generalException",
            "mid-way-failure",
            "not reported",
        ],
    );
    assert!(!out.contains("Changes to Outputs"), "{out}");
    // The first page came from the emulator, the second never reached it.
    assert_eq!(emu.route_count(PAGES), 1);
}

#[test]
fn the_identity_example_fails_a_pipeline_on_any_finding() {
    let emu = tenant();
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data-sources/entra_mi_federated_credentials"
    );
    let h = Harness::new();
    // The examples whole, as a user copies them; an override file points the provider
    // block at the emulator.
    for file in ["data-source.tf", "trusting-identity.tf"] {
        h.write(
            file,
            &std::fs::read_to_string(format!("{dir}/{file}")).unwrap(),
        );
    }
    h.write("emulator_override.tf", &emu.provider_block());
    h.init();
    let plan = [
        "plan",
        "-no-color",
        "-input=false",
        "-var",
        &format!("managed_identity_principal_id={DEPLOY_PRINCIPAL}"),
        "-var",
        &format!("application_object_id={WORKLOAD_OBJECT}"),
    ];
    let out = h.tf(&plan);
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(stdout(&out).contains(&format!("c0000000-0000-4000-8000-{:012}", 7)));

    // A trust of `deploy` with a trailing slash on the issuer, on application 9.
    emu.oob_create(
        &extra_app_object_id(9),
        json!({"name": "slash", "issuer": format!("{}/", entra_issuer()), "subject": DEPLOY_PRINCIPAL}),
    );
    let out = h.tf(&plan);
    let text = all_output(&out).replace('\n', " ");
    assert!(!out.status.success(), "{text}");
    assert_contains_all(&text, &[DEPLOY_PRINCIPAL, "app-9", "/ slash:", "issuer"]);
}
