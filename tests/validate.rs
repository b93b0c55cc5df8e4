//! `terraform validate` accepts valid configurations of every type and rejects each
//! broken rule with its own diagnostic at the attribute, naming the rule.

mod common;

use common::{Harness, PLAN};
use serde_json::Value;

const APP: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02";
const PRINCIPAL: &str = "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";
const ISSUER: &str = "https://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0";

fn fic(fields: &str) -> String {
    format!("resource \"entra_mi_federated_credential\" \"t\" {{\n{fields}\n}}\n")
}

/// A valid credential with one line replaced or added.
fn fic_with(replace: &str, with: &str) -> String {
    let base = format!("  application_object_id = \"{APP}\"\n  name = \"deploy\"\n  managed_identity_principal_id = \"{PRINCIPAL}\"\n");
    fic(&replace_line(&base, replace, with))
}

fn token(kind: &str, fields: &str) -> String {
    format!("{kind} \"entra_mi_access_token\" \"t\" {{\n{fields}\n}}\n")
}

fn token_with(kind: &str, replace: &str, with: &str) -> String {
    let base = "  client_id = \"c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02\"\n  scopes = [\"https://graph.microsoft.com/.default\"]\n";
    token(kind, &replace_line(base, replace, with))
}

/// `base` with its line starting with `replace` replaced by `with`, or with `with` added when
/// `replace` is empty.
fn replace_line(base: &str, replace: &str, with: &str) -> String {
    if replace.is_empty() {
        return format!("{base}{with}\n");
    }
    base.lines()
        .map(|l| {
            if l.trim_start().starts_with(replace) {
                with
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A provider block, plus a resource so that Terraform validates the provider.
fn provider_with(line: &str) -> String {
    format!("provider \"entra\" {{\n{line}\n}}\n{}", fic_with("", ""))
}

struct Outcome {
    valid: bool,
    diags: Vec<Value>,
}

fn validate(h: &Harness, body: &str) -> Outcome {
    h.main_tf(body);
    let out = h.tf(&["validate", "-json", "-no-color"]);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("validate -json output:\n{}", common::text(&out)));
    Outcome {
        valid: v["valid"].as_bool().unwrap_or(false),
        diags: v["diagnostics"].as_array().cloned().unwrap_or_default(),
    }
}

/// The diagnostic of `rule` with `severity` whose source snippet shows `attribute`.
fn find<'a>(o: &'a Outcome, severity: &str, attribute: &str, rule: &str) -> Option<&'a Value> {
    o.diags.iter().find(|d| {
        d["severity"] == severity
            && d["detail"]
                .as_str()
                .is_some_and(|t| t.contains(&format!("[rule {rule}]")))
            && d.pointer("/snippet/code")
                .and_then(Value::as_str)
                .is_some_and(|c| c.contains(attribute))
    })
}

/// A credential whose audiences are `list` (HCL).
fn audiences(list: &str) -> String {
    fic_with("", &format!("  audiences = {list}"))
}

/// A credential whose issuer is `value`.
fn issuer(value: &str) -> String {
    fic_with("", &format!("  issuer = \"{value}\""))
}

#[test]
fn valid_configurations_of_every_type_pass() {
    let h = Harness::initialised("");
    let configs = [
        fic_with("", ""),
        fic_with("", &format!("  issuer = \"{ISSUER}\"\n  audiences = [\"api://AzureADTokenExchange\"]\n  description = \"ok\"\n  timeouts {{\n    create = \"20m\"\n  }}")),
        // What Terraform generates for an imported credential: redundant but consistent.
        fic_with("", &format!("  application_client_id = \"c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02\"\n  subject = \"{PRINCIPAL}\"")),
        fic("  application_client_id = \"c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02\"\n  name = \"github-main\"\n  issuer = \"https://token.actions.githubusercontent.com\"\n  subject = \"repo:entra-mi/demo:ref:refs/heads/main\""),
        token_with("data", "", "  tenant_id = \"contoso.onmicrosoft.com\""),
        token_with("ephemeral", "", "  managed_identity_client_id = \"d0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1\"\n  propagation_timeout = \"2m\""),
        provider_with("  environment = \"usgovernment\"\n  graph_endpoint = \"http://127.0.0.1:9999\"\n  tenant_id = \"6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01\""),
    ];
    for c in configs {
        let o = validate(&h, &c);
        assert!(
            o.valid && o.diags.is_empty(),
            "expected valid:\n{c}\n{:#?}",
            o.diags
        );
    }
}

#[test]
fn each_broken_rule_has_its_own_error() {
    let h = Harness::initialised("");
    let long = "x".repeat(601);
    let cases: Vec<(String, &str, &str)> = vec![
        (fic_with("name", "  name = \"ab\""), "name", "name.length"),
        (fic_with("name", &format!("  name = \"{}\"", "n".repeat(121))), "name", "name.length"),
        (fic_with("name", "  name = \"de ploy\""), "name", "name.characters"),
        (fic_with("name", "  name = \"de/ploy\""), "name", "name.characters"),
        (fic_with("name", "  name = \"de@ploy\""), "name", "name.characters"),
        (fic_with("name", "  name = \"-deploy\""), "name", "name.first_character"),
        (fic_with("name", "  name = \"_deploy\""), "name", "name.first_character"),
        (issuer("http://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0"), "issuer", "issuer.https"),
        (issuer(&format!(" {ISSUER}")), "issuer", "issuer.whitespace"),
        (issuer(&format!("{ISSUER}/")), "issuer", "issuer.trailing_slash"),
        (issuer("https://sts.windows.net/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/"), "issuer", "issuer.v1_with_managed_identity"),
        (issuer(&format!("{ISSUER}{long}")), "issuer", "issuer.length"),
        (issuer("https://login.microsoftonline.com/*/v2.0"), "issuer", "issuer.wildcard"),
        (issuer("not a url"), "issuer", "issuer.url"),
        (issuer("https://login.microsoftonline.com/contoso.com/v2.0"), "issuer", "issuer.tenant_guid"),
        (issuer("https://token.actions.githubusercontent.com"), "issuer", "issuer.not_entra_with_managed_identity"),
        (issuer("https://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01"), "issuer", "issuer.not_v2"),
        (audiences("[]"), "audiences", "audiences.exactly_one"),
        (audiences("[\"api://AzureADTokenExchange\", \"api://other\"]"), "audiences", "audiences.exactly_one"),
        (audiences(&format!("[\"{long}\"]")), "audiences", "audiences.length"),
        (audiences("[\"\"]"), "audiences", "audiences.length"),
        (audiences("[\"api://*\"]"), "audiences", "audiences.wildcard"),
        (fic_with("", "  subject = \"x\""), "subject", "subject.conflicts_with_principal"),
        (fic_with("managed_identity_principal_id", ""), "entra_mi_federated_credential", "subject.required"),
        (fic_with("managed_identity_principal_id", "  managed_identity_principal_id = \"not-a-guid\""), "managed_identity_principal_id", "guid"),
        (fic_with("managed_identity_principal_id", "  subject = \"repo:org/app:ref:refs/heads/main\""), "subject", "subject.guid_for_entra_issuer"),
        (fic_with("managed_identity_principal_id", &format!("  issuer = \"https://token.actions.githubusercontent.com\"\n  subject = \"{long}\"")), "subject", "subject.length"),
        (fic_with("managed_identity_principal_id", "  issuer = \"https://token.actions.githubusercontent.com\"\n  subject = \"repo:org/*\""), "subject", "subject.wildcard"),
        (fic_with("managed_identity_principal_id", "  issuer = \"https://token.actions.githubusercontent.com\"\n  subject = \"\""), "subject", "subject.length"),
        (fic_with("", &format!("  description = \"{long}\"")), "description", "description.length"),
        (fic_with("application_object_id", "  application_object_id = \"app\""), "application_object_id", "guid"),
        (fic_with("application_object_id", "  application_object_id = \"0a1d7c3e1f2a4b5c8d9e0f1a2b3c4d02\""), "application_object_id", "guid"),
        (fic_with("application_object_id", "  application_client_id = \"12345\""), "application_client_id", "guid"),
        (fic_with("", "  subject = \"b0000002-2b3c-4d5e-8f90-a1b2c3d4e5f2\""), "subject", "subject.conflicts_with_principal"),
        (fic_with("application_object_id", ""), "entra_mi_federated_credential", "application.required"),
        (token_with("data", "client_id", "  client_id = \"app\""), "client_id", "guid"),
        (token_with("data", "scopes", "  scopes = []"), "scopes", "scopes.required"),
        (token_with("data", "scopes", "  scopes = [\"User.Read\"]"), "scopes", "scopes.default_suffix"),
        (token_with("data", "scopes", "  scopes = [\"https://graph.microsoft.com/.default\", \"/.default\"]"), "scopes", "scopes.default_suffix"),
        (token_with("data", "", "  tenant_id = \"common\""), "tenant_id", "tenant.format"),
        (token_with("data", "", "  tenant_id = \"contoso_com\""), "tenant_id", "tenant.format"),
        (token_with("data", "", "  managed_identity_client_id = \"x\""), "managed_identity_client_id", "guid"),
        (token_with("data", "", "  token_exchange_audience = \"\""), "token_exchange_audience", "audience.format"),
        (token_with("ephemeral", "client_id", "  client_id = \"app\""), "client_id", "guid"),
        (token_with("ephemeral", "scopes", "  scopes = [\"openid\"]"), "scopes", "scopes.default_suffix"),
        (token_with("ephemeral", "", "  tenant_id = \"organizations\""), "tenant_id", "tenant.format"),
        (provider_with("  graph_endpoint = \"http://graph.example.com\""), "graph_endpoint", "endpoint.https"),
        (provider_with("  authority_host = \"ftp://login\""), "authority_host", "endpoint.scheme"),
        (provider_with("  msi_endpoint = \"not a url\""), "msi_endpoint", "endpoint.url"),
        (provider_with("  tenant_id = \"common\""), "tenant_id", "tenant.format"),
    ];
    let mut failures = Vec::new();
    for (i, (config, attribute, rule)) in cases.iter().enumerate() {
        let o = validate(&h, config);
        if o.valid || find(&o, "error", attribute, rule).is_none() {
            failures.push(format!(
                "case {i} ({attribute}, {rule}):\n{config}\n{:#?}",
                o.diags
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 45);
}

#[test]
fn provider_environment_and_ids_are_checked() {
    let h = Harness::initialised("");
    // No rule id for these: plain diagnostics at the attribute.
    for (config, attribute) in [
        (provider_with("  environment = \"mars\""), "environment"),
        (provider_with("  client_id = \"nope\""), "client_id"),
        (
            fic_with("", "  timeouts {\n    create = \"5 minutes\"\n  }"),
            "create",
        ),
        (
            token_with("data", "", "  propagation_timeout = \"soon\""),
            "propagation_timeout",
        ),
    ] {
        let o = validate(&h, &config);
        assert!(!o.valid, "{config}");
        assert!(
            o.diags.iter().any(|d| d["severity"] == "error"
                && d.pointer("/snippet/code")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.contains(attribute))),
            "{config}\n{:#?}",
            o.diags
        );
    }
}

#[test]
fn warnings_stay_warnings() {
    let h = Harness::initialised("");
    let cases = [
        (fic_with("name", "  name = \"de.ploy\""), "name", "name.dot"),
        (
            fic_with(
                "managed_identity_principal_id",
                "  managed_identity_principal_id = \"B0000001-2B3C-4D5E-8F90-A1B2C3D4E5F1\"",
            ),
            "managed_identity_principal_id",
            "principal_id.case",
        ),
        (
            fic_with("", "  audiences = [\"api://custom-audience\"]"),
            "audiences",
            "audiences.not_exchange_audience",
        ),
        (
            token_with("data", "", "  token_exchange_audience = \"api://custom\""),
            "token_exchange_audience",
            "audience.not_exchange_audience",
        ),
    ];
    for (config, attribute, rule) in cases {
        let o = validate(&h, &config);
        assert!(
            o.valid,
            "warnings must not fail validation:\n{config}\n{:#?}",
            o.diags
        );
        assert!(
            find(&o, "warning", attribute, rule).is_some(),
            "{config}\n{:#?}",
            o.diags
        );
    }
}

#[test]
fn unknown_provider_configuration_validates_and_plans() {
    let h = Harness::new();
    h.main_tf(&format!(
        "resource \"terraform_data\" \"tenant\" {{\n  input = \"6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01\"\n}}\n\
         provider \"entra\" {{\n  tenant_id = terraform_data.tenant.output\n  graph_endpoint = \"http://127.0.0.1:9\"\n}}\n\
         resource \"entra_mi_federated_credential\" \"t\" {{\n  application_object_id = \"{APP}\"\n  name = \"deploy\"\n  managed_identity_principal_id = terraform_data.tenant.id\n}}\n"
    ));
    h.init();
    h.ok(&["validate", "-no-color"]);
    let plan = h.ok(PLAN);
    assert!(
        plan.contains("entra_mi_federated_credential.t will be created"),
        "{plan}"
    );
    assert!(
        plan.contains("issuer") && plan.contains("(known after apply)"),
        "{plan}"
    );
}
