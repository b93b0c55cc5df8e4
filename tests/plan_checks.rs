//! What plan tells about a configuration: drift in derived values, going back to a
//! default, and problems between resources of one configuration — with the real
//! terraform against the emulator.

mod common;

use common::*;
use serde_json::json;

/// A principal id per index, all distinct.
fn principal(i: usize) -> String {
    format!("b00000{i:02}-2b3c-4d5e-8f90-a1b2c3d4e5f1")
}

/// The emulator, with a user-assigned identity for every [`principal`] (the live identity
/// check refuses principal ids that are not in the tenant).
fn emu_with_principals() -> Emu {
    let mut seed = entra_emulator::Seed::default_seed();
    for i in 0..=40 {
        add_identity(&mut seed, &principal(i));
    }
    Emu::start(entra_emulator::EmulatorConfig {
        seed,
        ..Default::default()
    })
}

fn many(count: usize) -> String {
    format!(
        "resource \"entra_mi_federated_credential\" \"many\" {{\n  count = {count}\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"many-${{count.index}}\"\n  subject = format(\"b00000%02d-2b3c-4d5e-8f90-a1b2c3d4e5f1\", count.index)\n}}\n"
    )
}

/// Two credentials on the workload application, as `a`/`b` or as given.
fn pair(emu: &Emu, first: (&str, &str, &str), second: (&str, &str, &str)) -> String {
    format!(
        "{}{}{}",
        emu.provider_block(),
        mi_credential(first.0, first.1, first.2),
        mi_credential(second.0, second.1, second.2)
    )
}

#[test]
fn drift_in_defaulted_issuer_and_audience_is_planned_and_repaired() {
    let emu = Emu::default();
    let h = Harness::ready(&emu, &mi_credential("deploy", "deploy", DEPLOY_PRINCIPAL));
    h.ok(APPLY);
    let id = credential_named(&emu.credentials(WORKLOAD_OBJECT), "deploy")["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Someone "fixes" it by hand to the v1 issuer: exactly the AADSTS700211 mistake.
    emu.oob_patch(
        WORKLOAD_OBJECT,
        &id,
        json!({"issuer": format!("https://sts.windows.net/{TENANT}/")}),
    );
    let (code, plan) = h.plan_exit();
    assert_eq!(code, 2, "issuer drift must show: {plan}");
    assert!(plan.contains("1 to change, 0 to destroy"), "{plan}");
    assert!(plan.contains("sts.windows.net"), "{plan}");
    h.ok(APPLY);
    assert_eq!(
        credential_named(&emu.credentials(WORKLOAD_OBJECT), "deploy")["issuer"],
        json!(entra_issuer())
    );

    emu.oob_patch(WORKLOAD_OBJECT, &id, json!({"audiences": ["api://Other"]}));
    let (code, plan) = h.plan_exit();
    assert_eq!(code, 2, "audience drift must show: {plan}");
    h.ok(APPLY);
    let repaired = credential_named(&emu.credentials(WORKLOAD_OBJECT), "deploy").clone();
    assert_eq!(repaired["audiences"], json!([EXCHANGE]));
    assert_eq!(repaired["id"], json!(id), "repaired in place");
    assert_eq!(h.plan_exit().0, 0);
}

#[test]
fn removing_explicit_values_goes_back_to_the_defaults() {
    let emu = Emu::default();
    let h = Harness::new();
    let explicit = format!(
        "resource \"entra_mi_federated_credential\" \"c\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"explicit\"\n  subject = \"{BUILD_PRINCIPAL}\"\n  issuer = \"https://token.actions.githubusercontent.com\"\n  audiences = [\"api://Custom\"]\n}}\n"
    );
    h.main_tf(&format!("{}{explicit}", emu.provider_block()));
    h.init();
    h.ok(APPLY);
    let before = credential_named(&emu.credentials(WORKLOAD_OBJECT), "explicit").clone();
    assert_eq!(before["audiences"], json!(["api://Custom"]));

    let defaults = format!(
        "resource \"entra_mi_federated_credential\" \"c\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"explicit\"\n  subject = \"{BUILD_PRINCIPAL}\"\n}}\n"
    );
    h.main_tf(&format!("{}{defaults}", emu.provider_block()));
    let (code, plan) = h.plan_exit();
    assert_eq!(code, 2, "{plan}");
    assert!(plan.contains("1 to change, 0 to destroy"), "{plan}");
    h.ok(APPLY);
    let after = credential_named(&emu.credentials(WORKLOAD_OBJECT), "explicit").clone();
    assert_eq!(after["issuer"], json!(entra_issuer()));
    assert_eq!(after["audiences"], json!([EXCHANGE]));
    assert_eq!(after["id"], before["id"]);
    assert_eq!(h.plan_exit().0, 0);
}

#[test]
fn twenty_one_on_one_application_are_refused_at_plan() {
    let emu = Emu::default();
    let h = Harness::new();
    h.main_tf(&format!("{}{}", emu.provider_block(), many(21)));
    h.init();
    let out = h.tf(&["plan", "-no-color", "-input=false"]);
    assert!(!out.status.success(), "{}", all_output(&out));
    let text = all_output(&out);
    assert_eq!(
        text.matches("more than 20 federated identity credentials")
            .count(),
        1,
        "exactly one resource is beyond the limit:\n{text}"
    );
    assert!(
        text.contains("entra_mi_federated_credential.many["),
        "{text}"
    );
    assert!(text.contains("would be number 21"), "{text}");
    assert!(emu.credentials(WORKLOAD_OBJECT).is_empty());
}

#[test]
fn duplicates_inside_one_configuration_are_refused_at_plan() {
    let emu = Emu::default();
    let h = Harness::new();
    h.main_tf(&pair(
        &emu,
        ("a", "same-name", DEPLOY_PRINCIPAL),
        ("b", "same-name", BUILD_PRINCIPAL),
    ));
    h.init();
    let text = h.fails(PLAN);
    assert!(
        text.contains("also creates a credential named \"same-name\""),
        "{text}"
    );

    h.main_tf(&pair(
        &emu,
        ("a", "first", DEPLOY_PRINCIPAL),
        ("b", "second", DEPLOY_PRINCIPAL),
    ));
    let text = h.fails(PLAN);
    assert!(
        text.contains("trusts the same issuer and subject")
            && (text.contains("\"first\"") || text.contains("\"second\"")),
        "{text}"
    );
    assert!(emu.credentials(WORKLOAD_OBJECT).is_empty());
}

#[test]
fn destroying_one_and_creating_another_on_a_full_application_plans() {
    let emu = emu_with_principals();
    let h = Harness::new();
    h.main_tf(&format!("{}{}", emu.provider_block(), many(20)));
    h.init();
    h.ok(APPLY);
    assert_eq!(emu.credentials(WORKLOAD_OBJECT).len(), 20);

    h.main_tf(&format!(
        "{}{}{}",
        emu.provider_block(),
        many(19),
        mi_credential("extra", "extra", &principal(40))
    ));
    let (code, plan) = h.plan_exit();
    assert_eq!(code, 2, "{plan}");
    assert!(
        plan.contains("1 to add, 0 to change, 1 to destroy"),
        "{plan}"
    );
}

#[test]
fn replace_and_taint_keep_the_name_and_leave_one_credential() {
    let emu = Emu::default();
    let h = Harness::ready(&emu, &mi_credential("deploy", "deploy", DEPLOY_PRINCIPAL));
    h.ok(APPLY);
    let first = credential_named(&emu.credentials(WORKLOAD_OBJECT), "deploy")["id"].clone();

    h.ok(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-replace=entra_mi_federated_credential.deploy",
    ]);
    let creds = emu.credentials(WORKLOAD_OBJECT);
    assert_eq!(creds.len(), 1, "{creds:?}");
    let second = credential_named(&creds, "deploy")["id"].clone();
    assert_ne!(first, second, "-replace makes a new credential");

    h.ok(&["taint", "-no-color", "entra_mi_federated_credential.deploy"]);
    h.ok(APPLY);
    let creds = emu.credentials(WORKLOAD_OBJECT);
    assert_eq!(creds.len(), 1, "{creds:?}");
    assert_ne!(
        credential_named(&creds, "deploy")["id"],
        second,
        "taint replaces"
    );

    // A credential of that name this configuration does not manage is still refused.
    let managed_and_twin = pair(
        &emu,
        ("deploy", "deploy", DEPLOY_PRINCIPAL),
        ("twin", "deploy", BUILD_PRINCIPAL),
    );
    h.main_tf(&managed_and_twin);
    assert_contains_all(&h.fails(PLAN), &["already exists", "import"]);
}

/// The id of the workload application's only credential, `deploy`.
fn only_id(emu: &Emu) -> serde_json::Value {
    let creds = emu.credentials(WORKLOAD_OBJECT);
    assert_eq!(creds.len(), 1, "{creds:?}");
    credential_named(&creds, "deploy")["id"].clone()
}

/// With `create_before_destroy`, a replacement under the same name would need two
/// credentials of one name on the application at once, which Graph refuses: the create
/// fails before any write, saying so, and the old credential stays until the user drops
/// `create_before_destroy`.
#[test]
fn create_before_destroy_under_the_same_name_is_refused_before_any_write() {
    let emu = Emu::default();
    let lifecycle = "  lifecycle {\n    create_before_destroy = true\n  }\n}\n";
    let resource = mi_credential("deploy", "deploy", DEPLOY_PRINCIPAL).replace("}\n", lifecycle);
    let h = Harness::ready(&emu, &resource);
    h.ok(APPLY);
    let first = only_id(&emu);
    let posts = || emu.route_count("POST /v1.0/applications/{id}/federatedIdentityCredentials");
    let posts_before = posts();
    assert_eq!(posts_before, 1, "{}", emu.requests());

    let out = h.fails(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-replace=entra_mi_federated_credential.deploy",
    ]);
    let text = out.replace('\n', " ");
    assert_contains_all(&text, &["already exists", "create_before_destroy"]);
    assert_eq!(only_id(&emu), first, "the old credential is kept");
    assert_eq!(posts(), posts_before, "no create was sent");

    // Terraform keeps the old credential as a deposed object and would try the create
    // first again, with or without create_before_destroy. The way out the message gives:
    // take the resource out of state and import the credential that exists.
    h.ok(&[
        "state",
        "rm",
        "-no-color",
        "entra_mi_federated_credential.deploy",
    ]);
    let id = first.as_str().unwrap_or_default();
    let import = format!(
        "import {{\n  to = entra_mi_federated_credential.deploy\n  id = \"{WORKLOAD_OBJECT}/federatedIdentityCredentials/{id}\"\n}}\n"
    );
    let resource = mi_credential("deploy", "deploy", DEPLOY_PRINCIPAL);
    h.main_tf(&format!("{}{resource}{import}", emu.provider_block()));
    let out = h.ok(APPLY);
    assert!(
        out.contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{out}"
    );
    assert_eq!(only_id(&emu), first, "the same credential, managed again");
    let (code, plan) = h.plan_exit();
    assert_eq!(code, 0, "{plan}");
}
