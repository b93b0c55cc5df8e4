//! Table tests of the plan-time rules, through `check_config` as the resource uses them.

use super::*;

const TENANT: &str = "6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01";
const APP: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d01";
const PRINCIPAL: &str = "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";

fn base() -> FicInput<'static> {
    FicInput {
        application_object_id: Input::Known(APP),
        application_client_id: Input::Null,
        name: Input::Known("deploy"),
        managed_identity_principal_id: Input::Known(PRINCIPAL),
        subject: Input::Null,
        issuer: Input::Known(
            "https://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0",
        ),
        audiences: Input::Known(vec![Input::Known("api://AzureADTokenExchange")]),
        description: Input::Null,
        cloud: Some(Cloud::Public),
    }
}

#[test]
fn valid_configuration_has_no_findings() {
    let defaults: fn(&mut FicInput) = |c| {
        c.issuer = Input::Null;
        c.audiences = Input::Null;
    };
    crate::rules::token::assert_no_findings(base, check_config, vec![defaults]);
}

#[test]
fn each_broken_rule_is_reported() {
    let long = "a".repeat(601);
    let long_issuer = format!(
        "https://login.microsoftonline.com/{TENANT}/v2.0{}",
        "x".repeat(600)
    );
    let long_name = "n".repeat(121);
    type Edit = Box<dyn Fn(&mut FicInput<'static>)>;
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let long: &'static str = leak(long);
    let long_issuer: &'static str = leak(long_issuer);
    let long_name: &'static str = leak(long_name);
    let cases: Vec<(Edit, &str, &str, bool)> = vec![
        (
            Box::new(|c| c.name = Input::Known("ab")),
            "name",
            "name.length",
            true,
        ),
        (
            Box::new(move |c| c.name = Input::Known(long_name)),
            "name",
            "name.length",
            true,
        ),
        (
            Box::new(|c| c.name = Input::Known("-deploy")),
            "name",
            "name.first_character",
            true,
        ),
        (
            Box::new(|c| c.name = Input::Known("_deploy")),
            "name",
            "name.first_character",
            true,
        ),
        (
            Box::new(|c| c.name = Input::Known("de ploy")),
            "name",
            "name.characters",
            true,
        ),
        (
            Box::new(|c| c.name = Input::Known("de/ploy")),
            "name",
            "name.characters",
            true,
        ),
        (
            Box::new(|c| c.name = Input::Known("de@ploy")),
            "name",
            "name.characters",
            true,
        ),
        (
            Box::new(|c| c.name = Input::Known("de.ploy")),
            "name",
            "name.dot",
            false,
        ),
        (
            Box::new(|c| {
                c.issuer = Input::Known(
                    "http://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0",
                )
            }),
            "issuer",
            "issuer.https",
            true,
        ),
        (
            Box::new(|c| {
                c.issuer = Input::Known(
                    " https://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0",
                )
            }),
            "issuer",
            "issuer.whitespace",
            true,
        ),
        (
            Box::new(|c| {
                c.issuer = Input::Known(
                    "https://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0/",
                )
            }),
            "issuer",
            "issuer.trailing_slash",
            true,
        ),
        (
            Box::new(|c| {
                c.issuer =
                    Input::Known("https://sts.windows.net/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/")
            }),
            "issuer",
            "issuer.v1_with_managed_identity",
            true,
        ),
        (
            Box::new(|c| {
                c.issuer = Input::Known("https://login.microsoftonline.com/contoso.com/v2.0")
            }),
            "issuer",
            "issuer.tenant_guid",
            true,
        ),
        (
            Box::new(|c| {
                c.issuer = Input::Known(
                    "https://login.microsoftonline.us/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0",
                )
            }),
            "issuer",
            "issuer.cross_cloud",
            true,
        ),
        (
            Box::new(|c| c.issuer = Input::Known("https://token.actions.githubusercontent.com")),
            "issuer",
            "issuer.not_entra_with_managed_identity",
            true,
        ),
        (
            Box::new(move |c| c.issuer = Input::Known(long_issuer)),
            "issuer",
            "issuer.length",
            true,
        ),
        (
            Box::new(|c| c.issuer = Input::Known("https://login.microsoftonline.com/*/v2.0")),
            "issuer",
            "issuer.wildcard",
            true,
        ),
        (
            Box::new(|c| c.issuer = Input::Known("")),
            "issuer",
            "issuer.empty",
            true,
        ),
        (
            Box::new(|c| c.audiences = Input::Known(vec![])),
            "audiences",
            "audiences.exactly_one",
            true,
        ),
        (
            Box::new(|c| {
                c.audiences = Input::Known(vec![
                    Input::Known("api://AzureADTokenExchange"),
                    Input::Known("api://other"),
                ])
            }),
            "audiences",
            "audiences.exactly_one",
            true,
        ),
        (
            Box::new(move |c| c.audiences = Input::Known(vec![Input::Known(long)])),
            "audiences",
            "audiences.length",
            true,
        ),
        (
            Box::new(|c| c.audiences = Input::Known(vec![Input::Known("")])),
            "audiences",
            "audiences.length",
            true,
        ),
        (
            Box::new(|c| c.audiences = Input::Known(vec![Input::Known("api://*")])),
            "audiences",
            "audiences.wildcard",
            true,
        ),
        (
            Box::new(|c| c.audiences = Input::Known(vec![Input::Known("api://custom")])),
            "audiences",
            "audiences.not_exchange_audience",
            false,
        ),
        (
            Box::new(|c| c.subject = Input::Known("x")),
            "subject",
            "subject.conflicts_with_principal",
            true,
        ),
        (
            Box::new(|c| c.managed_identity_principal_id = Input::Null),
            "managed_identity_principal_id",
            "subject.required",
            true,
        ),
        (
            Box::new(|c| c.managed_identity_principal_id = Input::Known("not-a-guid")),
            "managed_identity_principal_id",
            "guid",
            true,
        ),
        (
            Box::new(|c| {
                c.managed_identity_principal_id =
                    Input::Known("B0000001-2B3C-4D5E-8F90-A1B2C3D4E5F1")
            }),
            "managed_identity_principal_id",
            "principal_id.case",
            false,
        ),
        (
            Box::new(|c| {
                c.managed_identity_principal_id = Input::Null;
                c.subject = Input::Known("repo:org/app:ref:refs/heads/main");
            }),
            "subject",
            "subject.guid_for_entra_issuer",
            true,
        ),
        (
            Box::new(move |c| {
                c.managed_identity_principal_id = Input::Null;
                c.issuer = Input::Known("https://token.actions.githubusercontent.com");
                c.subject = Input::Known(long);
            }),
            "subject",
            "subject.length",
            true,
        ),
        (
            Box::new(|c| {
                c.managed_identity_principal_id = Input::Null;
                c.issuer = Input::Known("https://token.actions.githubusercontent.com");
                c.subject = Input::Known("repo:org/*");
            }),
            "subject",
            "subject.wildcard",
            true,
        ),
        (
            Box::new(move |c| c.description = Input::Known(long)),
            "description",
            "description.length",
            true,
        ),
        (
            Box::new(|c| c.application_object_id = Input::Known("app")),
            "application_object_id",
            "guid",
            true,
        ),
        (
            Box::new(|c| {
                c.application_object_id = Input::Null;
                c.application_client_id = Input::Known("12345");
            }),
            "application_client_id",
            "guid",
            true,
        ),
        (
            Box::new(|c| c.application_client_id = Input::Known(APP)),
            "application_client_id",
            "application.exactly_one",
            true,
        ),
        (
            Box::new(|c| c.application_object_id = Input::Null),
            "application_object_id",
            "application.exactly_one",
            true,
        ),
    ];
    crate::rules::token::assert_each_case(base, check_config, cases);
}

#[test]
fn unknown_values_are_skipped() {
    let c = FicInput {
        application_object_id: Input::Unknown,
        application_client_id: Input::Null,
        name: Input::Unknown,
        managed_identity_principal_id: Input::Unknown,
        subject: Input::Null,
        issuer: Input::Unknown,
        audiences: Input::Known(vec![Input::Unknown]),
        description: Input::Unknown,
        cloud: None,
    };
    assert_eq!(check_config(&c), vec![]);
}

#[test]
fn graph_accepts_what_only_fails_at_exchange() {
    let aud = vec!["api://AzureADTokenExchange".to_string()];
    let ok = Credential {
        name: "de.ploy",
        issuer: "https://sts.windows.net/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/",
        subject: "B0000001-2B3C-4D5E-8F90-A1B2C3D4E5F1",
        audiences: &aud,
        description: None,
    };
    assert_eq!(graph_rules(&ok), vec![]);
    let two = vec!["a".to_string(), "b".to_string()];
    let bad = Credential {
        name: "ab",
        issuer: "https://x/*",
        subject: "",
        audiences: &two,
        description: Some(&"d".repeat(601)),
    };
    let rules: Vec<&str> = graph_rules(&bad).iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        vec![
            "name.length",
            "issuer.wildcard",
            "subject.length",
            "audiences.exactly_one",
            "description.length"
        ]
    );
}

#[test]
fn findings_name_value_and_limit() {
    let f = &check_name("ab")[0];
    assert!(f.summary.contains("3-120"), "{}", f.summary);
    assert!(f.detail.contains("\"ab\""), "{}", f.detail);
    assert_eq!(f.path(), "name");
}

#[test]
fn entra_issuers_are_recognised() {
    assert!(is_entra_issuer("https://login.microsoftonline.com/t/v2.0"));
    assert!(is_entra_issuer("https://login.microsoftonline.us/t/v2.0"));
    assert!(is_entra_issuer("https://login.chinacloudapi.cn/t/v2.0"));
    assert!(is_entra_issuer("https://sts.windows.net/t/"));
    assert!(!is_entra_issuer(
        "https://token.actions.githubusercontent.com"
    ));
    assert!(!is_entra_issuer("https://oidc.prod-aks.azure.com/x/"));
}
