//! The live check of managed identity principals at plan and the audit data source, with
//! the real terraform against the emulator: each principal mistake refused with its own message naming the
//! right value, a sign-in without the read permission warned once, and an application's
//! credentials audited with exactly the expected findings, at the stated request cost.

mod common;

use common::*;
use entra_emulator::seed::SeedIdentity;
use entra_emulator::{EmulatorConfig, Seed};
use serde_json::{json, Value};

const BUILD_CLIENT: &str = "d0000002-2b3c-4d5e-8f90-a1b2c3d4e5f2";
const SYSTEM_PRINCIPAL: &str = "b0000003-2b3c-4d5e-8f90-a1b2c3d4e5f3";
const VM: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ci/providers/Microsoft.Compute/virtualMachines/runner";
/// The workload application's service principal (the seed's default: `5e` + object id).
const WORKLOAD_SP: &str = "5e1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02";
const NOTHING: &str = "0badf00d-0000-4000-8000-000000000000";
const OTHER_TENANT: &str = "11111111-2222-4333-8444-555555555555";

/// Service principals by `$filter` (`id in (…)` or `appId in (…)`).
const SP_FILTERED: &str = "GET /v1.0/servicePrincipals";

/// Service principal reads other than the filters: one value at a time (by id, by
/// `appId` key), or `getByIds` (only for more than 15 values at once).
fn unbatched_reads(emu: &Emu) -> u64 {
    emu.route_count("GET /v1.0/servicePrincipals/{id}")
        + emu.route_count("GET /v1.0/servicePrincipals(appId={id})")
        + emu.route_count("POST /v1.0/directoryObjects/getByIds")
}

fn seed() -> Seed {
    let mut seed = seed_with_apps([1]);
    seed.tenants[0].managed_identities.push(SeedIdentity {
        name: "runner".into(),
        client_id: "d0000003-2b3c-4d5e-8f90-a1b2c3d4e5f3".into(),
        principal_id: SYSTEM_PRINCIPAL.into(),
        resource_id: VM.into(),
        system_assigned: true,
        ..Default::default()
    });
    seed
}

fn emulator(seed: Seed) -> Emu {
    Emu::start(EmulatorConfig {
        seed,
        ..EmulatorConfig::default()
    })
}

fn credential(address: &str, identity: &str, extra: &str) -> String {
    format!(
        "resource \"entra_mi_federated_credential\" \"{address}\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"{address}\"\n  {identity}\n{extra}}}\n"
    )
}

fn principal(p: &str) -> String {
    format!("managed_identity_principal_id = \"{p}\"")
}

/// The diagnostics of a failed plan, one string per `Error:` block.
fn errors(out: &str) -> Vec<String> {
    out.split("Error: ")
        .skip(1)
        .map(|e| e.replace('\n', " "))
        .collect()
}

#[test]
fn each_principal_mistake_is_refused_at_plan_with_the_right_value() {
    let emu = emulator(seed());
    let h = Harness::new();
    let config = [
        credential("good", &principal(DEPLOY_PRINCIPAL), ""),
        credential("client_id", &principal(DEPLOY_CLIENT), ""),
        credential("by_subject", &format!("subject = \"{BUILD_CLIENT}\""), ""),
        credential("system", &principal(SYSTEM_PRINCIPAL), ""),
        credential("application", &principal(WORKLOAD_SP), ""),
        credential("nothing", &principal(NOTHING), ""),
        // The same value again (another tenant's issuer keeps the pair unique): no new read.
        credential(
            "nothing_again",
            &principal(NOTHING),
            &format!("  issuer = \"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0\"\n"),
        ),
    ]
    .concat();
    h.main_tf(&format!("{}{config}", emu.provider_block()));
    h.init();
    let out = h.tf(&["plan", "-no-color", "-input=false"]);
    assert!(!out.status.success(), "{}", all_output(&out));
    let text = all_output(&out);
    let errs = errors(&text);
    let find = |address: &str| -> String {
        let hits: Vec<&String> = errs
            .iter()
            .filter(|e| e.contains(&format!("with entra_mi_federated_credential.{address},")))
            .collect();
        assert_eq!(hits.len(), 1, "{address}: one error expected in\n{text}");
        hits[0].clone()
    };
    let client_id = find("client_id");
    assert!(
        client_id.contains("is the client id of managed identity \"deploy\""),
        "{client_id}"
    );
    assert!(
        client_id.contains(&format!("Use \"{DEPLOY_PRINCIPAL}\"")),
        "{client_id}"
    );
    assert!(
        client_id.contains("managed_identity_principal_id"),
        "{client_id}"
    );
    let by_subject = find("by_subject");
    assert!(
        by_subject.contains(&format!("Use \"{BUILD_PRINCIPAL}\"")),
        "{by_subject}"
    );
    assert!(by_subject.contains("subject"), "{by_subject}");
    let system = find("system");
    assert!(
        system.contains("system-assigned") && system.contains(VM),
        "{system}"
    );
    let application = find("application");
    assert!(
        application.contains("is not a managed identity")
            && application.contains("quickstart-workload"),
        "{application}"
    );
    let nothing = find("nothing");
    assert!(nothing.contains("no managed identity"), "{nothing}");
    assert!(find("nothing_again").contains("no managed identity"));
    assert!(
        !errs
            .iter()
            .any(|e| e.contains("with entra_mi_federated_credential.good,")),
        "{text}"
    );
    assert_eq!(errs.len(), 6, "{text}");

    // The plans that run together share one lookup by id (`id in (…)`) and one by client
    // id for the values no object has (`appId in (…)`): one read per value and per way
    // would be 6 + 3. How many plans meet in one window depends on Terraform's timing, so
    // the bound is two batches (the second with the listing of managed identities).
    let lookups = emu.route_count(SP_FILTERED);
    assert!(
        (2..=4).contains(&lookups),
        "{lookups} lookups: {}",
        emu.requests()
    );
    assert_eq!(unbatched_reads(&emu), 0, "{}", emu.requests());

    // The right identity plans.
    h.main_tf(&format!(
        "{}{}",
        emu.provider_block(),
        credential("good", &principal(DEPLOY_PRINCIPAL), "")
    ));
    let out = h.tf(&["plan", "-no-color", "-input=false"]);
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(
        !all_output(&out).contains("Warning"),
        "{}",
        all_output(&out)
    );
}

#[test]
fn without_the_read_permission_plan_warns_once_and_succeeds() {
    let mut seed = seed();
    seed.tenants[0].applications[0].deny_service_principal_read = true;
    let emu = emulator(seed);
    let h = Harness::new();
    h.main_tf(&format!(
        "{}{}{}",
        emu.provider_block(),
        credential("deploy", &principal(DEPLOY_PRINCIPAL), ""),
        credential("wrong", &principal(DEPLOY_CLIENT), "")
    ));
    h.init();
    let out = h.tf(&["plan", "-no-color", "-input=false"]);
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(
        text.matches("The managed identity was not checked").count(),
        1,
        "{text}"
    );
    assert!(
        text.contains("Application.Read.All or Directory.Read.All"),
        "{text}"
    );
    assert!(text.contains("2 to add"), "{text}");
}

/// `(name, issuer, subject, audience)` of the audited application's credentials, and
/// the rules each must be reported for.
fn audited() -> Vec<(
    &'static str,
    String,
    String,
    &'static str,
    Vec<&'static str>,
)> {
    let v2 = entra_issuer();
    let gh = "https://token.actions.githubusercontent.com".to_string();
    vec![
        (
            "good-mi",
            v2.clone(),
            DEPLOY_PRINCIPAL.into(),
            EXCHANGE,
            vec![],
        ),
        (
            "github",
            gh,
            "repo:entra-mi/demo:ref:refs/heads/main".into(),
            EXCHANGE,
            vec![],
        ),
        (
            "client-id",
            v2.clone(),
            DEPLOY_CLIENT.into(),
            EXCHANGE,
            vec!["principal.client_id"],
        ),
        (
            "system",
            v2.clone(),
            SYSTEM_PRINCIPAL.into(),
            EXCHANGE,
            vec!["principal.system_assigned"],
        ),
        (
            "application",
            v2.clone(),
            WORKLOAD_SP.into(),
            EXCHANGE,
            vec!["principal.not_managed_identity"],
        ),
        (
            "nothing",
            v2.clone(),
            NOTHING.into(),
            EXCHANGE,
            vec!["principal.not_found"],
        ),
        (
            "slash",
            format!("{v2}/"),
            BUILD_PRINCIPAL.into(),
            EXCHANGE,
            vec!["issuer.trailing_slash"],
        ),
        (
            "v1-issuer",
            format!("https://sts.windows.net/{TENANT}/"),
            DEPLOY_PRINCIPAL.into(),
            EXCHANGE,
            vec!["issuer.v1_with_managed_identity"],
        ),
        (
            "space",
            format!(" {v2}"),
            BUILD_PRINCIPAL.into(),
            EXCHANGE,
            vec!["issuer.whitespace"],
        ),
        (
            "usgov-audience",
            v2.clone(),
            BUILD_PRINCIPAL.into(),
            "api://AzureADTokenExchangeUSGov",
            vec!["audiences.not_exchange_audience"],
        ),
        (
            "repo-subject",
            v2.clone(),
            "repo:entra-mi/demo".into(),
            EXCHANGE,
            vec!["subject.guid_for_entra_issuer"],
        ),
        (
            "dotted.name",
            v2,
            BUILD_PRINCIPAL.into(),
            EXCHANGE,
            vec!["name.dot"],
        ),
    ]
}

#[test]
fn the_data_source_reports_exactly_the_expected_findings() {
    let emu = emulator(seed());
    let app = extra_app_object_id(1);
    for (name, issuer, subject, aud, _) in audited() {
        emu.oob_create(
            &app,
            json!({"name": name, "issuer": issuer, "subject": subject, "audiences": [aud]}),
        );
    }
    let h = Harness::new();
    h.main_tf(&format!(
        "{}data \"entra_mi_federated_credentials\" \"app\" {{\n  application_object_id = \"{app}\"\n}}\n\
         output \"findings\" {{\n  value = {{ for c in data.entra_mi_federated_credentials.app.credentials : c.name => c.findings }}\n}}\n",
        emu.provider_block()
    ));
    h.init();
    h.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let out: Value =
        serde_json::from_str(&h.ok(&["output", "-json", "-no-color", "findings"])).unwrap();
    let expected = audited();
    assert_eq!(
        out.as_object().map(|o| o.len()),
        Some(expected.len()),
        "{out}"
    );
    for (name, _, _, _, rules) in expected {
        let findings: Vec<String> = out[name]
            .as_array()
            .unwrap_or_else(|| panic!("{name} missing: {out}"))
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect();
        let got: Vec<&str> = findings
            .iter()
            .map(|f| {
                f.rsplit_once("[rule ")
                    .and_then(|(_, rule)| rule.strip_suffix(']'))
                    .unwrap_or_else(|| panic!("{name}: a finding without its [rule …]: {f}"))
            })
            .collect();
        assert_eq!(got, rules, "{name}: {findings:?}");
    }
    let client_id = out["client-id"][0].as_str().unwrap();
    assert!(client_id.contains(DEPLOY_PRINCIPAL), "{client_id}");

    // One list call, and the lookups batched.
    let list = "GET /v1.0/applications/{id}/federatedIdentityCredentials";
    assert_eq!(emu.route_count(list), 1);
    // The six distinct Entra GUID subjects asked together: one `id in (…)` and one
    // `appId in (…)` for the two no object has.
    assert_eq!(emu.route_count(SP_FILTERED), 2, "{}", emu.requests());
    assert_eq!(unbatched_reads(&emu), 0, "{}", emu.requests());
}

#[test]
fn the_documented_precondition_fails_a_ci_job_on_any_finding() {
    let emu = emulator(seed());
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data-sources/entra_mi_federated_credentials/data-source.tf"
    ))
    .unwrap();
    let h = Harness::new();
    // The example whole, as a user copies it; an override file points its provider block
    // at the emulator. The example takes the application from a variable.
    h.write("main.tf", &example);
    h.write("emulator_override.tf", &emu.provider_block());
    h.init();
    let clean = [
        "plan",
        "-no-color",
        "-input=false",
        "-var",
        &format!("application_object_id={WORKLOAD_OBJECT}"),
    ];
    let out = h.tf(&clean);
    assert!(out.status.success(), "{}", all_output(&out));

    emu.oob_create(
        WORKLOAD_OBJECT,
        json!({"name": "mistake", "issuer": entra_issuer(), "subject": DEPLOY_CLIENT}),
    );
    let out = h.tf(&clean);
    let text = all_output(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("mistake") && text.contains(DEPLOY_PRINCIPAL),
        "{text}"
    );
}
