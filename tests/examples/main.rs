//! Every example directory under examples/ applies as written against the emulator: its
//! variables and the provider's sign-in come from the environment, filled from the
//! emulator's seed (the scenarios that sign in as a managed identity do so through the
//! emulator's managed identity endpoint); then a second plan is empty and destroy removes
//! what apply created. The pipeline examples run the scenario they name with the
//! environment they give its step ([`pipelines`]). The import example uses an ID form the
//! provider accepts.

#[path = "../common/mod.rs"]
mod common;
mod pipelines;

use std::path::{Path, PathBuf};

use common::*;
use entra_emulator::{EmulatorConfig, Seed, DEVOPS_SUBJECT_PREFIX, GITHUB_SUBJECT};
use serde_json::json;

/// The tenant the registry examples (provider, resources, data sources) are written for.
const HOME: &str = "00000000-0000-0000-0000-000000000000";
/// The partner tenant of the cross-tenant scenario.
const PARTNER: &str = "9b000000-0000-4000-8000-000000000000";
/// The examples' administrator: signs in with a secret from the environment.
const ADMIN_ID: &str = "ad000000-0000-4000-8000-0000000000c1";
const SECRET: &str = "examples-admin-secret";
/// The "ci" app of the registry examples: its object id and its client id.
const CI_OBJECT: &str = "33333333-3333-3333-3333-333333333333";
const CI_CLIENT: &str = "11111111-1111-1111-1111-111111111111";
/// The app the audit data source example reads (its default `application_object_id`).
const AUDITED_OBJECT: &str = "11111111-1111-1111-1111-111111111111";
/// The "deploy" identity of the registry examples.
const IDENTITY_CLIENT: &str = "22222222-2222-2222-2222-222222222222";
const IDENTITY_PRINCIPAL: &str = "44444444-4444-4444-4444-444444444444";
/// The VM's identity of the Azure compute scenarios: signs in to Graph itself (`use_msi`)
/// with `Application.ReadWrite.OwnedBy`, owning the apps it changes.
const VM_CLIENT: &str = "d1000000-0000-4000-8000-0000000000c1";
const VM_PRINCIPAL: &str = "b1000000-0000-4000-8000-000000000001";
const REPORTS_OBJECT: &str = "7e000000-0000-4000-8000-000000000001";
const MULTI_TENANT_OBJECT: &str = "9a000000-0000-4000-8000-000000000001";
/// The GitHub Actions scenario's deployer app (trusts the repository's workflow tokens).
const DEPLOYER_OBJECT: &str = "de000000-0000-4000-8000-000000000001";
const DEPLOYER_CLIENT: &str = "de000000-0000-4000-8000-0000000000c1";
/// The Azure DevOps service connection of the pipeline example.
const SERVICE_CONNECTION: &str = "5c000000-0000-4000-8000-000000000001";

/// The directory the examples run against, read through the emulator's own seed parser.
fn seed() -> Seed {
    let app = |object: &str, client: &str, name: &str| json!({"object_id": object, "client_id": client, "display_name": name});
    let mut admin = app("ad000000-0000-4000-8000-000000000001", ADMIN_ID, "admin");
    admin["client_secret"] = json!(SECRET);
    admin["graph_permissions"] = json!(["Application.ReadWrite.All"]);
    let mut deployer = app(DEPLOYER_OBJECT, DEPLOYER_CLIENT, "deployer");
    deployer["graph_permissions"] = json!(["Application.ReadWrite.All"]);
    let mut reports = app(
        REPORTS_OBJECT,
        "7e000000-0000-4000-8000-0000000000c1",
        "reports",
    );
    reports["owners"] = json!([VM_PRINCIPAL]);
    let mut multi = app(
        MULTI_TENANT_OBJECT,
        "9a000000-0000-4000-8000-0000000000c1",
        "multi-tenant",
    );
    multi["owners"] = json!([VM_PRINCIPAL]);
    multi["provisioned_in"] = json!([PARTNER]);
    let identity = |name: &str, client: &str, principal: &str| {
        json!({"name": name, "client_id": client, "principal_id": principal,
               "resource_id": format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/examples/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}")})
    };
    let mut vm = identity("vm", VM_CLIENT, VM_PRINCIPAL);
    vm["graph_permissions"] = json!(["Application.ReadWrite.OwnedBy", "Application.Read.All"]);
    let seed = json!({"tenants": [
        {"id": HOME,
         "applications": [admin, app(CI_OBJECT, CI_CLIENT, "ci"),
                          app(AUDITED_OBJECT, "66666666-6666-6666-6666-666666666666", "audited"),
                          reports, multi, deployer],
         "managed_identities": [identity("deploy", IDENTITY_CLIENT, IDENTITY_PRINCIPAL), vm]},
        {"id": PARTNER}
    ]});
    Seed::parse(&seed.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

/// What exists before an example runs, as in the tenant its comments describe.
#[derive(Clone, Copy)]
enum Before {
    Nothing,
    /// The "ci" app already trusts the "deploy" identity (the token examples read through it).
    CiTrustsDeploy,
    /// The audited app has one well-formed credential.
    AuditedHasOne,
    /// The deployer app trusts the workflow's GitHub Actions tokens.
    DeployerTrustsGithub,
    /// The deployer app trusts the Azure DevOps service connection's tokens.
    DeployerTrustsDevOps,
}

/// How one example directory runs.
struct Example {
    dir: &'static str,
    before: Before,
    /// Variables and sign-in, `(name, value)`; `{url}` is the emulator's base URL.
    env: &'static [(&'static str, &'static str)],
    /// Credentials the apply creates, `(application object id, name)`.
    creates: &'static [(&'static str, &'static str)],
    /// Signs in through the managed identity endpoint only, so every request to the token
    /// endpoint is the ephemeral token's exchange: apply must make at least one.
    exchanges_at_apply: bool,
}

/// The administrator's client secret sign-in, from the environment.
const ADMIN: &[(&str, &str)] = &[("ARM_CLIENT_ID", ADMIN_ID), ("ARM_CLIENT_SECRET", SECRET)];

const EXAMPLES: &[Example] = &[
    Example {
        dir: "provider",
        before: Before::Nothing,
        env: ADMIN,
        creates: &[],
        exchanges_at_apply: false,
    },
    Example {
        dir: "resources/entra_mi_federated_credential",
        before: Before::Nothing,
        env: ADMIN,
        creates: &[(CI_OBJECT, "deploy-identity")],
        exchanges_at_apply: false,
    },
    Example {
        dir: "data-sources/entra_mi_access_token",
        before: Before::CiTrustsDeploy,
        env: ADMIN,
        creates: &[],
        exchanges_at_apply: false,
    },
    Example {
        dir: "data-sources/entra_mi_federated_credentials",
        before: Before::AuditedHasOne,
        env: ADMIN,
        creates: &[],
        exchanges_at_apply: false,
    },
    Example {
        dir: "ephemeral-resources/entra_mi_access_token",
        before: Before::CiTrustsDeploy,
        env: ADMIN,
        creates: &[],
        exchanges_at_apply: false,
    },
    Example {
        dir: "quickstart",
        before: Before::Nothing,
        env: &[("TF_VAR_emulator_url", "{url}")],
        creates: &[
            (WORKLOAD_OBJECT, "deploy-identity"),
            (WORKLOAD_OBJECT, "build-identity"),
        ],
        exchanges_at_apply: false,
    },
    Example {
        dir: "scenarios/azure-vm-user-assigned-identity",
        before: Before::Nothing,
        env: &[
            ("TF_VAR_tenant_id", HOME),
            ("TF_VAR_reports_app_object_id", REPORTS_OBJECT),
            ("TF_VAR_vm_identity_principal_id", VM_PRINCIPAL),
            ("TF_VAR_vm_identity_client_id", VM_CLIENT),
        ],
        creates: &[(REPORTS_OBJECT, "reports-vm")],
        exchanges_at_apply: true,
    },
    Example {
        dir: "scenarios/cross-tenant",
        before: Before::Nothing,
        env: &[
            ("TF_VAR_home_tenant_id", HOME),
            ("TF_VAR_partner_tenant_id", PARTNER),
            ("TF_VAR_multi_tenant_app_object_id", MULTI_TENANT_OBJECT),
            ("TF_VAR_identity_principal_id", VM_PRINCIPAL),
            ("TF_VAR_identity_client_id", VM_CLIENT),
        ],
        creates: &[(MULTI_TENANT_OBJECT, "partner-access")],
        exchanges_at_apply: true,
    },
    Example {
        dir: "scenarios/github-actions-oidc",
        before: Before::DeployerTrustsGithub,
        env: &[
            ("TF_VAR_tenant_id", HOME),
            ("TF_VAR_deployer_client_id", DEPLOYER_CLIENT),
            ("TF_VAR_api_application_object_id", CI_OBJECT),
            ("TF_VAR_runtime_identity_principal_id", IDENTITY_PRINCIPAL),
            // What the runner sets for a job with `permissions: id-token: write`.
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "{url}/_emulator/github/token",
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "emulator-request-token"),
        ],
        creates: &[(CI_OBJECT, "runtime-identity")],
        exchanges_at_apply: false,
    },
];

fn examples_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Directories under examples/ holding `.tf` files, relative to examples/.
fn example_dirs(dir: &Path, out: &mut Vec<String>) {
    let mut has_tf = false;
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            example_dirs(&path, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some("tf") {
            has_tf = true;
        }
    }
    if has_tf {
        let rel = dir.strip_prefix(examples_root()).unwrap();
        out.push(rel.to_string_lossy().replace('\\', "/"));
    }
}

/// The trust an example reads through: `app` accepts `principal`'s tokens.
fn trust(emu: &Emu, app: &str, name: &str, issuer: String, subject: &str) {
    emu.oob_create(
        app,
        json!({"name": name, "issuer": issuer, "subject": subject, "audiences": [EXCHANGE]}),
    );
}

fn names(emu: &Emu, app: &str) -> Vec<String> {
    let mut names: Vec<String> = emu
        .credentials(app)
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

/// An emulator holding `seed`, with `before` in place.
fn emulator(seed: Seed, before: Before) -> Emu {
    let emu = Emu::start(EmulatorConfig {
        seed,
        ..EmulatorConfig::default()
    });
    let home_issuer = terraform_provider_entra::cloud::Cloud::Public.entra_issuer(HOME);
    let ci_system = format!("{}/_emulator/oidc", emu.url);
    match before {
        Before::Nothing => {}
        Before::CiTrustsDeploy => trust(&emu, CI_OBJECT, "deploy", home_issuer, IDENTITY_PRINCIPAL),
        Before::AuditedHasOne => trust(
            &emu,
            AUDITED_OBJECT,
            "deploy",
            home_issuer,
            IDENTITY_PRINCIPAL,
        ),
        Before::DeployerTrustsGithub => trust(
            &emu,
            DEPLOYER_OBJECT,
            "github-main",
            ci_system,
            GITHUB_SUBJECT,
        ),
        Before::DeployerTrustsDevOps => {
            let subject = format!("{DEVOPS_SUBJECT_PREFIX}{SERVICE_CONNECTION}");
            trust(&emu, DEPLOYER_OBJECT, "devops", ci_system, &subject)
        }
    }
    emu
}

/// Applies `dir` as written, plans again (no changes), destroys.
fn apply_example(dir: &str) {
    let example = EXAMPLES
        .iter()
        .find(|e| e.dir == dir)
        .unwrap_or_else(|| panic!("no entry for examples/{dir} in EXAMPLES"));
    let seed = if dir == "quickstart" {
        Seed::default_seed()
    } else {
        seed()
    };
    let emu = emulator(seed, example.before);
    let env: Vec<(String, String)> = example
        .env
        .iter()
        .map(|(k, v)| (k.to_string(), v.replace("{url}", &emu.url)))
        .collect();
    apply_as_written(&emu, example, &env);
}

/// Runs `example`'s directory against `emu` with `env` (variables and sign-in): apply
/// creates what it should, a second plan is empty, destroy leaves what was there before.
fn apply_as_written(emu: &Emu, example: &Example, env: &[(String, String)]) {
    let dir = example.dir;
    let apps: Vec<&str> = example.creates.iter().map(|(app, _)| *app).collect();
    let before: Vec<(String, Vec<String>)> = apps
        .iter()
        .map(|a| (a.to_string(), names(emu, a)))
        .collect();

    let mut h = Harness::new();
    for entry in std::fs::read_dir(examples_root().join(dir)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("tf") {
            std::fs::copy(&path, h.work().join(path.file_name().unwrap())).unwrap();
        }
    }
    // The emulator's endpoints for every provider block (aliased ones too); sign-in and
    // variables as the example's comments ask for them.
    h.set_env("AZURE_AUTHORITY_HOST", &emu.url);
    h.set_env("ARM_MSGRAPH_ENDPOINT", &emu.url);
    h.set_env(
        "ARM_MSI_ENDPOINT",
        &format!("{}/metadata/identity/oauth2/token", emu.url),
    );
    for (k, v) in env {
        h.set_env(k, v);
    }
    h.init();

    h.ok(APPLY);
    for (app, name) in example.creates {
        assert!(
            names(emu, app).iter().any(|n| n == name),
            "examples/{dir}: apply did not create {name} on {app}: {:?}",
            names(emu, app)
        );
    }
    if example.exchanges_at_apply {
        let exchanges = emu.route_count("POST /{id}/oauth2/v2.0/token");
        assert!(exchanges > 0, "examples/{dir}: no token exchange at apply");
    }
    let (code, out) = h.plan_exit();
    assert_eq!(
        code, 0,
        "examples/{dir}: the second plan is not empty:\n{out}"
    );
    h.ok(DESTROY);
    for (app, was) in &before {
        assert_eq!(
            &names(emu, app),
            was,
            "examples/{dir}: destroy left credentials"
        );
    }
}

#[test]
fn every_example_directory_is_applied_by_a_test() {
    let mut dirs = Vec::new();
    example_dirs(&examples_root(), &mut dirs);
    dirs.sort();
    let mut listed: Vec<String> = EXAMPLES.iter().map(|e| e.dir.to_string()).collect();
    listed.sort();
    assert_eq!(dirs, listed, "EXAMPLES must list every example directory");
}

#[test]
fn provider_example() {
    apply_example("provider");
}

#[test]
fn resource_example() {
    apply_example("resources/entra_mi_federated_credential");
}

#[test]
fn data_source_example() {
    apply_example("data-sources/entra_mi_access_token");
}

#[test]
fn audit_data_source_example() {
    apply_example("data-sources/entra_mi_federated_credentials");
}

#[test]
fn ephemeral_resource_example() {
    apply_example("ephemeral-resources/entra_mi_access_token");
}

#[test]
fn quickstart_example() {
    apply_example("quickstart");
}

#[test]
fn azure_vm_scenario() {
    apply_example("scenarios/azure-vm-user-assigned-identity");
}

#[test]
fn cross_tenant_scenario() {
    apply_example("scenarios/cross-tenant");
}

#[test]
fn github_actions_scenario() {
    apply_example("scenarios/github-actions-oidc");
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
