//! `moved` blocks from azuread's `azuread_application_federated_identity_credential` with
//! the real terraform against the emulator. The state azuread 3.x or 2.x wrote is put in
//! `terraform.tfstate`; `hashicorp/azuread` is the test-only stand-in plugin (crate
//! `azuread-stand-in`), which serves azuread's schema and nothing else. The move itself
//! writes nothing to Graph; a later change is an in-place PATCH of the same credential.

mod common;

use std::path::Path;

use common::state::identity_in_state;
use common::*;
use serde_json::{json, Value};

/// The azuread versions installed in the mirror, one per major version.
const AZUREAD_3: &str = "3.0.2";
const AZUREAD_2: &str = "2.53.1";
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const GITHUB_SUBJECT: &str = "repo:entra-mi/demo:environment:prod";

/// A working directory whose mirror holds this provider and the azuread stand-in.
fn harness(azuread_version: &str) -> Harness {
    let mut h = Harness::new();
    let mirror = h.dir.path().join("mirror");
    let platform = platform_of_installed_provider(&mirror);
    let dir = mirror
        .join("registry.terraform.io/hashicorp/azuread")
        .join(azuread_version)
        .join(platform);
    std::fs::create_dir_all(&dir).expect("mirror dir");
    std::fs::copy(
        azuread_stand_in_binary(),
        dir.join(format!("terraform-provider-azuread_v{azuread_version}")),
    )
    .expect("install the azuread stand-in");
    std::fs::write(
        h.dir.path().join("terraform.rc"),
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/entra-mi/*\", \"registry.terraform.io/hashicorp/azuread\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/entra-mi/*\", \"registry.terraform.io/hashicorp/azuread\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("cli config");
    let major = &azuread_version[..1];
    h.set_env("AZUREAD_STAND_IN_MAJOR", major);
    h
}

/// The `{os}_{arch}` directory the harness installed this provider under.
fn platform_of_installed_provider(mirror: &Path) -> String {
    let versions = mirror.join(SOURCE).join(env!("CARGO_PKG_VERSION"));
    std::fs::read_dir(&versions)
        .expect("installed provider")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .next()
        .expect("platform directory")
}

/// `required_providers` with both providers (azuread pinned to the installed stand-in).
fn terraform_block(azuread_version: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    entra = {{\n      source = \"{SOURCE}\"\n    }}\n    azuread = {{\n      source  = \"hashicorp/azuread\"\n      version = \"{azuread_version}\"\n    }}\n  }}\n}}\n"
    )
}

/// Writes `main.tf`: both providers, `emu`'s provider block, then `body`.
fn main_tf(h: &Harness, emu: &Emu, azuread_version: &str, body: &str) {
    h.write(
        "main.tf",
        &format!(
            "{}{}{body}",
            terraform_block(azuread_version),
            emu.provider_block()
        ),
    );
}

/// A plan Terraform fails, with its output on one line.
fn failed_plan(h: &Harness) -> String {
    let (code, out) = h.plan_exit();
    assert_eq!(code, 1, "{out}");
    unwrapped(&out)
}

fn moved_block(name: &str) -> String {
    format!(
        "moved {{\n  from = azuread_application_federated_identity_credential.{name}\n  to   = entra_mi_federated_credential.{name}\n}}\n"
    )
}

/// One credential in azuread's state: its attributes as azuread `major` stores them.
struct AzureadCredential {
    name: &'static str,
    issuer: String,
    subject: &'static str,
    description: &'static str,
    timeouts: Value,
}

impl AzureadCredential {
    /// The `deploy` identity's credential, as azuread's docs write it (no description).
    fn deploy() -> AzureadCredential {
        AzureadCredential {
            name: "deploy",
            issuer: entra_issuer(),
            subject: DEPLOY_PRINCIPAL,
            description: "",
            timeouts: Value::Null,
        }
    }

    fn attributes(&self, major: char, credential_id: &str) -> Value {
        let mut a = json!({
            "audiences": [EXCHANGE],
            "credential_id": credential_id,
            "description": self.description,
            "display_name": self.name,
            "id": format!("{WORKLOAD_OBJECT}/federatedIdentityCredential/{credential_id}"),
            "issuer": self.issuer,
            "subject": self.subject,
            "timeouts": self.timeouts,
        });
        a["application_id"] = json!(format!("/applications/{WORKLOAD_OBJECT}"));
        if major == '2' {
            a["application_object_id"] = json!(WORKLOAD_OBJECT);
        }
        a
    }
}

/// Creates the credentials in the emulator (as azuread once did) and writes the state
/// azuread left, with the given schema version. Returns the credential ids by name.
fn azuread_state(
    h: &Harness,
    emu: &Emu,
    azuread_version: &str,
    schema_version: u64,
    credentials: &[AzureadCredential],
) -> Vec<(String, String)> {
    let major = azuread_version.chars().next().unwrap_or('3');
    let mut ids = Vec::new();
    let resources: Vec<Value> = credentials
        .iter()
        .map(|c| {
            let mut body =
                json!({"name": c.name, "issuer": c.issuer, "subject": c.subject, "audiences": [EXCHANGE]});
            if !c.description.is_empty() {
                body["description"] = json!(c.description);
            }
            let created = emu.oob_create(WORKLOAD_OBJECT, body);
            let id = created["id"].as_str().expect("credential id").to_string();
            ids.push((c.name.to_string(), id.clone()));
            json!({
                "mode": "managed",
                "type": "azuread_application_federated_identity_credential",
                "name": c.name,
                "provider": "provider[\"registry.terraform.io/hashicorp/azuread\"]",
                "instances": [{
                    "schema_version": schema_version,
                    "attributes": c.attributes(major, &id),
                    "sensitive_attributes": [],
                    // The SDK's private bytes: its timeouts (base64 of `{"e2bfb730-…":{…}}`).
                    "private": "eyJlMmJmYjczMC1lY2FhLTExZTYtOGY4OC0zNDM2M2JjN2M0YzAiOnsiY3JlYXRlIjo5MDAwMDAwMDAwMDB9fQ=="
                }]
            })
        })
        .collect();
    let state = json!({
        "version": 4,
        "terraform_version": "1.9.8",
        "serial": 3,
        "lineage": "7b0f3c9e-1d2a-4c5b-8e6f-0a1b2c3d4e5f",
        "outputs": {},
        "resources": resources,
        "check_results": null
    });
    h.write(
        "terraform.tfstate",
        &serde_json::to_string_pretty(&state).expect("state json"),
    );
    ids
}

/// Graph writes (POST, PATCH, DELETE on `/v1.0` or `/beta`) the emulator has served.
fn graph_writes(emu: &Emu) -> u64 {
    let routes = emu.requests()["routes"].clone();
    routes
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(route, _)| {
            let (method, path) = route.split_once(' ').unwrap_or_default();
            matches!(method, "POST" | "PATCH" | "DELETE")
                && (path.starts_with("/v1.0/") || path.starts_with("/beta/"))
        })
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum()
}

/// Terraform wraps diagnostics to the terminal width: compare text with single spaces.
fn unwrapped(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Applies a plan of one in-place update; the emulator must have served `writes` Graph
/// writes in all afterwards.
fn apply_one_update(h: &Harness, emu: &Emu, writes: u64, label: &str) {
    let out = h.ok(APPLY);
    assert!(
        out.contains("0 added, 1 changed, 0 destroyed"),
        "{label}: {out}"
    );
    assert_eq!(graph_writes(emu), writes, "{label}: Graph writes");
}

/// Moves `deploy` (configured by principal id: no change at all) and `build` (configured
/// by subject: an in-place update of `managed_identity_principal_id` to null, which writes
/// nothing), then changes a description in place.
fn move_both_forms(azuread_version: &str) {
    let emu = Emu::default();
    let h = harness(azuread_version);
    let ids = azuread_state(
        &h,
        &emu,
        azuread_version,
        0,
        &[
            AzureadCredential::deploy(),
            AzureadCredential {
                name: "build",
                issuer: entra_issuer(),
                subject: BUILD_PRINCIPAL,
                description: "builds",
                timeouts: json!({"create": "20m", "delete": null, "read": null, "update": null}),
            },
            AzureadCredential {
                name: "github",
                issuer: GITHUB.to_string(),
                subject: GITHUB_SUBJECT,
                description: "",
                timeouts: Value::Null,
            },
        ],
    );
    let config = |deploy_description: &str| {
        format!(
            "{}{}{}\
             resource \"entra_mi_federated_credential\" \"deploy\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"deploy\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n{deploy_description}}}\n\
             resource \"entra_mi_federated_credential\" \"build\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"build\"\n  subject = \"{BUILD_PRINCIPAL}\"\n  description = \"builds\"\n  timeouts {{\n    create = \"20m\"\n  }}\n}}\n\
             resource \"entra_mi_federated_credential\" \"github\" {{\n  application_client_id = \"{WORKLOAD_CLIENT}\"\n  name = \"github\"\n  issuer = \"{GITHUB}\"\n  subject = \"{GITHUB_SUBJECT}\"\n}}\n",
            moved_block("deploy"),
            moved_block("build"),
            moved_block("github"),
        )
    };
    main_tf(&h, &emu, azuread_version, &config(""));
    h.init();
    let writes_before = graph_writes(&emu);

    let (_, out) = h.plan_exit();
    for name in ["deploy", "github"] {
        assert!(
            out.contains(&format!(
                "azuread_application_federated_identity_credential.{name} has moved to entra_mi_federated_credential.{name}"
            )),
            "{azuread_version}: {name} not moved:\n{out}"
        );
    }
    assert!(
        out.contains("(moved from azuread_application_federated_identity_credential.build)"),
        "{azuread_version}: build not moved:\n{out}"
    );
    assert!(
        out.contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{azuread_version}: only `build` (subject form) changes:\n{out}"
    );
    assert!(
        out.contains("entra_mi_federated_credential.build will be updated in-place")
            && out.contains(&format!(
                "- managed_identity_principal_id = \"{BUILD_PRINCIPAL}\" -> null"
            )),
        "{azuread_version}: the subject form drops the derived principal id:\n{out}"
    );
    assert!(
        !out.contains("entra_mi_federated_credential.deploy will be")
            && !out.contains("entra_mi_federated_credential.github will be"),
        "{azuread_version}: deploy and github plan no change:\n{out}"
    );

    // `build`'s update changes state only: Graph already holds its content.
    apply_one_update(&h, &emu, writes_before, azuread_version);
    let (code, out) = h.plan_exit();
    assert_eq!(code, 0, "{azuread_version}: plan after the move:\n{out}");
    let state = h.ok(&["state", "list"]);
    assert!(
        !state.contains("azuread_"),
        "{azuread_version}: azuread left in state:\n{state}"
    );

    // Managed normally afterwards: an in-place change reaches the same credential.
    main_tf(
        &h,
        &emu,
        azuread_version,
        &config("  description = \"deployments\"\n"),
    );
    apply_one_update(&h, &emu, writes_before + 1, azuread_version);
    let creds = emu.credentials(WORKLOAD_OBJECT);
    assert_eq!(creds.len(), 3, "{azuread_version}: {creds:?}");
    let deploy = credential_named(&creds, "deploy");
    assert_eq!(deploy["description"], json!("deployments"));
    for (name, id) in &ids {
        assert_eq!(
            credential_named(&creds, name)["id"],
            json!(id),
            "{azuread_version}: {name} keeps its id"
        );
    }
    let (code, out) = h.plan_exit();
    assert_eq!(code, 0, "{azuread_version}: plan after the update:\n{out}");
    if h.terraform.at_least(1, 12) {
        // The identity a move gives is the one the credential keeps.
        assert_eq!(
            identity_in_state(&h, "entra_mi_federated_credential.deploy"),
            json!({"application_object_id": WORKLOAD_OBJECT, "name": "deploy"}),
            "{azuread_version}"
        );
    }
}

#[test]
fn moves_azuread_3_state_with_both_configuration_forms() {
    move_both_forms(AZUREAD_3);
}

#[test]
fn moves_azuread_2_state_with_both_configuration_forms() {
    move_both_forms(AZUREAD_2);
}

#[test]
fn unknown_sources_are_refused_with_what_is_accepted() {
    let emu = Emu::default();
    let h = harness(AZUREAD_3);
    // A state from a schema version azuread never wrote.
    azuread_state(&h, &emu, AZUREAD_3, 1, &[AzureadCredential::deploy()]);
    main_tf(
        &h,
        &emu,
        AZUREAD_3,
        &format!(
            "{}{}",
            moved_block("deploy"),
            mi_credential("deploy", "deploy", DEPLOY_PRINCIPAL)
        ),
    );
    h.init();
    let writes_before = graph_writes(&emu);
    let out = failed_plan(&h);
    let wanted = [
        "schema version 1",
        "accepts moves from azuread_application_federated_identity_credential",
        "schema version 0",
    ];
    assert_contains_all(&out, &wanted);

    // Another provider's type: terraform_data (Terraform's built-in provider).
    let other = "resource \"terraform_data\" \"other\" {\n  input = \"x\"\n}\n";
    main_tf(&h, &emu, AZUREAD_3, other);
    std::fs::remove_file(h.work().join("terraform.tfstate")).expect("remove state");
    h.ok(APPLY);
    let moved =
        "moved {\n  from = terraform_data.other\n  to   = entra_mi_federated_credential.other\n}\n";
    main_tf(
        &h,
        &emu,
        AZUREAD_3,
        &(moved.to_string() + &mi_credential("other", "other", DEPLOY_PRINCIPAL)),
    );
    let wanted = [
        "Cannot move terraform_data to entra_mi_federated_credential",
        "registry.terraform.io/hashicorp/azuread",
        "`removed` block",
    ];
    assert_contains_all(&failed_plan(&h), &wanted);
    assert_eq!(graph_writes(&emu), writes_before);
    assert_eq!(emu.credential_count(), 1, "nothing created or deleted");
}

/// The guide's path for Terraform before 1.8: a `removed` block forgets azuread's object
/// and an `import` block (with azuread's own id) adopts the credential.
#[test]
fn removed_and_import_blocks_switch_without_moved() {
    let emu = Emu::default();
    let h = harness(AZUREAD_2);
    let ids = azuread_state(&h, &emu, AZUREAD_2, 0, &[AzureadCredential::deploy()]);
    let credential_id = &ids[0].1;
    main_tf(
        &h,
        &emu,
        AZUREAD_2,
        &format!(
            "removed {{\n  from = azuread_application_federated_identity_credential.deploy\n  lifecycle {{\n    destroy = false\n  }}\n}}\n\
             import {{\n  to = entra_mi_federated_credential.deploy\n  id = \"{WORKLOAD_OBJECT}/federatedIdentityCredential/{credential_id}\"\n}}\n{}",
            mi_credential("deploy", "deploy", DEPLOY_PRINCIPAL)
        ),
    );
    h.init();
    let writes_before = graph_writes(&emu);
    let out = h.ok(APPLY);
    assert!(
        out.contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{out}"
    );
    assert_eq!(graph_writes(&emu), writes_before);
    let (code, out) = h.plan_exit();
    assert_eq!(code, 0, "{out}");
    let state = h.ok(&["state", "list"]);
    assert_eq!(state.trim(), "entra_mi_federated_credential.deploy");
    assert_eq!(
        emu.credentials(WORKLOAD_OBJECT)[0]["id"],
        json!(credential_id)
    );
}

/// A credential azuread managed with the identity's client id as subject: the move is not
/// blocked, and its first plan warns, naming the principal id to use instead.
#[test]
fn a_moved_mistake_is_a_warning_on_the_first_plan() {
    let emu = Emu::default();
    let h = harness(AZUREAD_3);
    let wrong = AzureadCredential {
        subject: DEPLOY_CLIENT,
        ..AzureadCredential::deploy()
    };
    azuread_state(&h, &emu, AZUREAD_3, 0, &[wrong]);
    let resource = format!(
        "resource \"entra_mi_federated_credential\" \"deploy\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"deploy\"\n  managed_identity_principal_id = \"{DEPLOY_CLIENT}\"\n}}\n"
    );
    main_tf(
        &h,
        &emu,
        AZUREAD_3,
        &format!("{}{resource}", moved_block("deploy")),
    );
    h.init();
    let writes_before = graph_writes(&emu);
    let (code, out) = h.plan_exit();
    // A move alone is a change to the state, but no action on the credential.
    assert_eq!(code, 2, "{out}");
    assert!(!out.contains("will be updated"), "{out}");
    assert_contains_all(
        &unwrapped(&out),
        &[
            "Warning: Adopted credential",
            DEPLOY_PRINCIPAL,
            "moved into this provider",
        ],
    );
    h.ok(APPLY);
    assert_eq!(graph_writes(&emu), writes_before);
    let (code, out) = h.plan_exit();
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("Adopted credential"), "warned once:\n{out}");
}
