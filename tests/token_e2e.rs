//! entra_mi_access_token end to end: data source and ephemeral resource, identity sources,
//! mismatch diagnosis, propagation, and caching across 50 data sources.

mod common;

use std::time::Duration;

use common::*;
use entra_emulator::EmulatorConfig;
use serde_json::{json, Value};

fn deploy_fic() -> String {
    format!(
        "resource \"entra_mi_federated_credential\" \"deploy\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"deploy\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n}}\n"
    )
}

fn provider_with_msi(emu: &Emu) -> String {
    format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n  client_secret = \"{ADMIN_SECRET}\"\n  msi_client_id = \"{DEPLOY_CLIENT}\"\n  authority_host = \"{u}\"\n  graph_endpoint = \"{u}\"\n  msi_endpoint = \"{u}/metadata/identity/oauth2/token\"\n}}\n",
        u = emu.url
    )
}

fn data_source(extra: &str) -> String {
    format!(
        "data \"entra_mi_access_token\" \"t\" {{\n  client_id = \"{WORKLOAD_CLIENT}\"\n  scopes = [\"api://workload-resource/.default\"]\n{extra}\n}}\noutput \"claims\" {{\n  value = data.entra_mi_access_token.t.claims\n}}\noutput \"expires_on\" {{\n  value = data.entra_mi_access_token.t.expires_on\n}}\n"
    )
}

fn outputs(h: &Harness) -> Value {
    serde_json::from_str(&h.ok(&["output", "-json"])).unwrap()
}

#[test]
fn data_source_after_the_credential_it_needs() {
    let emu = Emu::default();
    let h = Harness::initialised(&format!(
        "{}{}{}",
        provider_with_msi(&emu),
        deploy_fic(),
        data_source("  depends_on = [entra_mi_federated_credential.deploy]")
    ));
    h.ok(APPLY);
    let o = outputs(&h);
    let claims = &o["claims"]["value"];
    assert_eq!(claims["appid"], json!(WORKLOAD_CLIENT));
    assert_eq!(claims["tid"], json!(TENANT));
    assert_eq!(claims["aud"], json!("api://workload-resource"));
    let expires = time::OffsetDateTime::parse(
        o["expires_on"]["value"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expires > time::OffsetDateTime::now_utc());
}

#[test]
fn ephemeral_token_signs_in_an_aliased_provider_and_never_reaches_files() {
    let emu = Emu::default();
    let h = Harness::initialised(&format!(
        "{}{}\nephemeral \"entra_mi_access_token\" \"w\" {{\n  client_id = entra_mi_federated_credential.deploy.application_client_id\n  scopes = [\"https://graph.microsoft.com/.default\"]\n}}\n\
         provider \"entra\" {{\n  alias = \"as_workload\"\n  access_token = ephemeral.entra_mi_access_token.w.access_token\n  graph_endpoint = \"{u}\"\n}}\n\
         resource \"entra_mi_federated_credential\" \"build\" {{\n  provider = entra.as_workload\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"build\"\n  managed_identity_principal_id = \"{BUILD_PRINCIPAL}\"\n  issuer = entra_mi_federated_credential.deploy.issuer\n}}\n",
        provider_with_msi(&emu),
        deploy_fic(),
        u = emu.url
    ));
    h.ok(APPLY);
    assert!(
        emu.credentials(WORKLOAD_OBJECT)
            .iter()
            .any(|c| c["name"] == "build"),
        "the aliased provider did not create its credential"
    );
    h.ok(&["plan", "-out=tfplan", "-no-color", "-input=false"]);
    let plan_json = h.ok(&["show", "-json", "tfplan"]);
    let state_json = h.ok(&["show", "-json"]);
    let state_file = std::fs::read_to_string(h.work().join("terraform.tfstate")).unwrap();
    let plan_file = std::fs::read(h.work().join("tfplan")).unwrap();
    let issued = emu.get("/_emulator/issued")["signatures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!issued.is_empty());
    for sig in issued.iter().filter_map(Value::as_str) {
        assert!(
            !plan_json.contains(sig) && !state_json.contains(sig) && !state_file.contains(sig),
            "a token reached the plan or state"
        );
        assert!(
            !plan_file.windows(sig.len()).any(|w| w == sig.as_bytes()),
            "a token reached the plan file"
        );
    }
    h.ok(DESTROY);
    assert_eq!(emu.credential_count(), 0);
}

fn ready_emulator() -> Emu {
    let emu = Emu::default();
    emu.oob_create(WORKLOAD_OBJECT, json!({"name": "deploy", "issuer": entra_issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}));
    emu
}

#[test]
fn app_service_and_imds_sources() {
    let emu = ready_emulator();
    // App Service: detected from IDENTITY_ENDPOINT + IDENTITY_HEADER.
    let mut h = Harness::new();
    h.set_env("IDENTITY_ENDPOINT", &format!("{}/msi/token", emu.url));
    h.set_env("IDENTITY_HEADER", "emulator-identity-header");
    h.main_tf(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  msi_client_id = \"{DEPLOY_CLIENT}\"\n  authority_host = \"{u}\"\n  graph_endpoint = \"{u}\"\n}}\n{}",
        data_source(""),
        u = emu.url
    ));
    h.init();
    h.ok(APPLY);
    assert_eq!(
        outputs(&h)["claims"]["value"]["appid"],
        json!(WORKLOAD_CLIENT)
    );
    assert!(emu.route_count("GET /msi/token") >= 1);

    // IMDS through AZURE_POD_IDENTITY_AUTHORITY_HOST (loopback stand-in for 169.254.169.254).
    let mut h = Harness::new();
    h.set_env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &emu.url);
    h.main_tf(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  authority_host = \"{u}\"\n  graph_endpoint = \"{u}\"\n}}\n{}",
        data_source(&format!("  managed_identity_client_id = \"{DEPLOY_CLIENT}\"")),
        u = emu.url
    ));
    h.init();
    h.ok(APPLY);
    assert!(emu.route_count("GET /metadata/identity/oauth2/token") >= 1);
}

fn failing_read(emu: &Emu, provider_extra: &str, ds_extra: &str) -> String {
    let h = Harness::initialised(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n  client_secret = \"{ADMIN_SECRET}\"\n  authority_host = \"{u}\"\n  graph_endpoint = \"{u}\"\n{provider_extra}\n}}\n{}",
        data_source(&format!("{ds_extra}\n  propagation_timeout = \"3s\"")),
        u = emu.url
    ));
    let out = h.tf(PLAN);
    assert!(
        !out.status.success(),
        "expected a failure:\n{}",
        all_output(&out)
    );
    // Terraform wraps long lines: compare with single spaces.
    all_output(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn identity_source_failures_are_told_apart() {
    let emu = ready_emulator();
    let u = emu.url.clone();
    let missing_header = failing_read(&emu, &format!("  msi_endpoint = \"{u}/_emulator/proxy/metadata/identity/oauth2/token\"\n  msi_client_id = \"{DEPLOY_CLIENT}\""), "");
    assert!(
        missing_header.contains("Metadata: true"),
        "{missing_header}"
    );
    let unassigned = failing_read(
        &emu,
        &format!("  msi_endpoint = \"{u}/metadata/identity/oauth2/token\""),
        "  managed_identity_client_id = \"99999999-0000-4000-8000-000000000000\"",
    );
    assert!(unassigned.contains("not assigned"), "{unassigned}");
    let unreachable = failing_read(&emu, &format!("  msi_endpoint = \"http://127.0.0.1:1/metadata/identity/oauth2/token\"\n  msi_client_id = \"{DEPLOY_CLIENT}\""), "");
    assert!(
        unreachable.contains("no managed identity endpoint reachable"),
        "{unreachable}"
    );
}

#[test]
fn each_mismatch_is_explained_with_both_values() {
    let iss = entra_issuer();
    let cases: Vec<(Value, &str, String, String)> = vec![
        (
            json!({"name": "slash", "issuer": format!("{iss}/"), "subject": DEPLOY_PRINCIPAL}),
            "issuer differs",
            format!("{iss}/"),
            "trailing slash".into(),
        ),
        (
            json!({"name": "v1", "issuer": format!("https://sts.windows.net/{TENANT}/"), "subject": DEPLOY_PRINCIPAL}),
            "issuer differs",
            format!("https://sts.windows.net/{TENANT}/"),
            "v1 issuer".into(),
        ),
        (
            json!({"name": "clientid", "issuer": iss, "subject": DEPLOY_CLIENT}),
            "subject differs",
            DEPLOY_CLIENT.to_string(),
            "client id".into(),
        ),
        (
            json!({"name": "usgov", "issuer": iss, "subject": DEPLOY_PRINCIPAL, "audiences": ["api://AzureADTokenExchangeUSGov"]}),
            "audience differs",
            "api://AzureADTokenExchangeUSGov".into(),
            "another cloud".into(),
        ),
    ];
    for (fic, field, credential_value, why) in cases {
        let emu = Emu::default();
        emu.oob_create(WORKLOAD_OBJECT, fic);
        let text = failing_read(&emu, &format!("  msi_client_id = \"{DEPLOY_CLIENT}\"\n  msi_endpoint = \"{}/metadata/identity/oauth2/token\"", emu.url), "").replace('\n', " ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains(field), "{field}: {text}");
        assert!(
            text.contains(&format!("credential has \"{credential_value}\"")),
            "{field}: {text}"
        );
        assert!(text.contains("token has \""), "{field}: {text}");
        assert!(text.contains(&why), "{why}: {text}");
        assert!(text.contains("was not retried"), "{text}");
    }
    // Wrong tenant and unknown app name both values too.
    let emu = ready_emulator();
    let msi = format!("  msi_client_id = \"{DEPLOY_CLIENT}\"\n  msi_endpoint = \"{}/metadata/identity/oauth2/token\"", emu.url);
    let other_tenant = "00000000-1111-4222-8333-444444444444";
    let text = failing_read(&emu, &msi, &format!("  tenant_id = \"{other_tenant}\""))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("AADSTS90002") && text.contains(other_tenant) && text.contains(TENANT),
        "{text}"
    );
    let h = Harness::initialised(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  authority_host = \"{u}\"\n{msi}\n}}\ndata \"entra_mi_access_token\" \"t\" {{\n  client_id = \"99999999-aaaa-4bbb-8ccc-dddddddddddd\"\n  scopes = [\"https://graph.microsoft.com/.default\"]\n}}\n",
        u = emu.url
    ));
    let out = h.tf(PLAN);
    let text = all_output(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("AADSTS700016")
            && text.contains("99999999-aaaa-4bbb-8ccc-dddddddddddd")
            && text.contains(TENANT),
        "{text}"
    );
}

#[test]
fn a_fresh_credential_is_retried_until_it_propagates() {
    let emu = Emu::start(EmulatorConfig {
        fic_propagation_delay: Duration::from_secs(5),
        ..EmulatorConfig::default()
    });
    let h = Harness::initialised(&format!(
        "{}{}{}",
        provider_with_msi(&emu),
        deploy_fic(),
        data_source("  depends_on = [entra_mi_federated_credential.deploy]")
    ));
    let started = std::time::Instant::now();
    h.ok(APPLY);
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "the exchange cannot have succeeded before propagation"
    );
    assert_eq!(
        outputs(&h)["claims"]["value"]["appid"],
        json!(WORKLOAD_CLIENT)
    );
    let exchanges = emu.route_count("POST /{id}/oauth2/v2.0/token");
    assert!(
        exchanges >= 3,
        "expected retries, saw {exchanges} token requests"
    );
}

#[test]
fn fifty_data_sources_cost_one_identity_token_and_one_exchange() {
    let emu = ready_emulator();
    let h = Harness::initialised(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  msi_client_id = \"{DEPLOY_CLIENT}\"\n  authority_host = \"{u}\"\n  graph_endpoint = \"{u}\"\n  msi_endpoint = \"{u}/metadata/identity/oauth2/token\"\n}}\n\
         data \"entra_mi_access_token\" \"t\" {{\n  count = 50\n  client_id = \"{WORKLOAD_CLIENT}\"\n  scopes = [\"https://graph.microsoft.com/.default\"]\n}}\n\
         output \"n\" {{\n  value = length(distinct([for t in data.entra_mi_access_token.t : t.claims.appid]))\n}}\n",
        u = emu.url
    ));
    emu.reset();
    emu.oob_create(WORKLOAD_OBJECT, json!({"name": "deploy", "issuer": entra_issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}));
    let out = h.ok(PLAN);
    assert!(out.contains("n = 1"), "{out}");
    let routes = emu.requests()["routes"].clone();
    assert_eq!(
        routes["GET /metadata/identity/oauth2/token"],
        json!(1),
        "{routes}"
    );
    assert_eq!(routes["POST /{id}/oauth2/v2.0/token"], json!(1), "{routes}");
}
