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
    // What Terraform generates for an imported credential: both application ids, and the
    // subject beside an equal principal id.
    let generated: fn(&mut FicInput) = |c| {
        c.application_client_id = Input::Known("0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4dff");
        c.subject = Input::Known(PRINCIPAL);
    };
    let by_client_id: fn(&mut FicInput) = |c| {
        c.application_object_id = Input::Null;
        c.application_client_id = Input::Known(APP);
    };
    crate::rules::token::assert_no_findings(
        base,
        check_config,
        vec![defaults, generated, by_client_id],
    );
}

#[test]
fn a_subject_other_than_the_principal_id_names_both() {
    let mut c = base();
    c.subject = Input::Known("c0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1");
    let findings = check_config(&c);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, "subject.conflicts_with_principal");
    assert!(
        findings[0].detail.contains(PRINCIPAL),
        "{}",
        findings[0].detail
    );
    assert!(
        findings[0].detail.contains("c0000001-2b3c"),
        "{}",
        findings[0].detail
    );
}

/// A value a table row gives an attribute: absent, one string, a list, or a string of
/// `n` letters after a prefix (for the length limits), or the tenant id between two strings.
#[derive(Clone, Copy)]
enum V {
    Null,
    S(&'static str),
    List(&'static [&'static str]),
    Long(&'static str, usize),
    Tenant(&'static str, &'static str),
}

/// A row's changes to `base()`: `(attribute, value)` pairs.
type Edits = &'static [(&'static str, V)];

/// `base()` with each `(attribute, value)` of `edits` set.
fn edited(edits: &[(&str, V)]) -> FicInput<'static> {
    let mut c = base();
    for &(attribute, value) in edits {
        let text = |v: V| match v {
            V::Null => Input::Null,
            V::S(s) => Input::Known(s),
            V::Long(prefix, n) => Input::Known(&*Box::leak(
                format!("{prefix}{}", "x".repeat(n)).into_boxed_str(),
            )),
            V::Tenant(before, after) => Input::Known(&*Box::leak(
                format!("{before}{TENANT}{after}").into_boxed_str(),
            )),
            V::List(_) => unreachable!("a list for {attribute}"),
        };
        match (attribute, value) {
            ("audiences", V::List(l)) => {
                c.audiences = Input::Known(l.iter().map(|a| Input::Known(*a)).collect())
            }
            ("audiences", v) => c.audiences = Input::Known(vec![text(v)]),
            ("name", v) => c.name = text(v),
            ("issuer", v) => c.issuer = text(v),
            ("subject", v) => c.subject = text(v),
            ("description", v) => c.description = text(v),
            ("managed_identity_principal_id", v) => c.managed_identity_principal_id = text(v),
            ("application_object_id", v) => c.application_object_id = text(v),
            ("application_client_id", v) => c.application_client_id = text(v),
            _ => unreachable!("no attribute {attribute}"),
        }
    }
    c
}

const ENTRA_V2: &str =
    "https://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0";
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const NO_PRINCIPAL: (&str, V) = ("managed_identity_principal_id", V::Null);
const ERROR: bool = true;
const WARNING: bool = false;

#[test]
fn each_broken_rule_is_reported() {
    use V::*;
    #[rustfmt::skip]
    let cases: &[(Edits, &str, &str, bool)] = &[
        (&[("name", S("ab"))], "name", "name.length", ERROR),
        (&[("name", Long("n", 121))], "name", "name.length", ERROR),
        (&[("name", S("-deploy"))], "name", "name.first_character", ERROR),
        (&[("name", S("_deploy"))], "name", "name.first_character", ERROR),
        (&[("name", S("de ploy"))], "name", "name.characters", ERROR),
        (&[("name", S("de/ploy"))], "name", "name.characters", ERROR),
        (&[("name", S("de@ploy"))], "name", "name.characters", ERROR),
        (&[("name", S("de.ploy"))], "name", "name.dot", WARNING),
        (&[("issuer", Tenant("http://login.microsoftonline.com/", "/v2.0"))], "issuer", "issuer.https", ERROR),
        (&[("issuer", Tenant(" https://login.microsoftonline.com/", "/v2.0"))], "issuer", "issuer.whitespace", ERROR),
        (&[("issuer", Tenant("https://login.microsoftonline.com/", "/v2.0/"))], "issuer", "issuer.trailing_slash", ERROR),
        (&[("issuer", Tenant("https://sts.windows.net/", "/"))], "issuer", "issuer.v1_with_managed_identity", ERROR),
        (&[("issuer", S("https://login.microsoftonline.com/contoso.com/v2.0"))], "issuer", "issuer.tenant_guid", ERROR),
        (&[("issuer", Tenant("https://login.microsoftonline.us/", "/v2.0"))], "issuer", "issuer.cross_cloud", ERROR),
        (&[("issuer", S(GITHUB))], "issuer", "issuer.not_entra_with_managed_identity", ERROR),
        (&[("issuer", Long(ENTRA_V2, 600))], "issuer", "issuer.length", ERROR),
        (&[("issuer", S("https://login.microsoftonline.com/*/v2.0"))], "issuer", "issuer.wildcard", ERROR),
        (&[("issuer", S(""))], "issuer", "issuer.empty", ERROR),
        (&[("audiences", List(&[]))], "audiences", "audiences.exactly_one", ERROR),
        (&[("audiences", List(&["api://AzureADTokenExchange", "api://other"]))], "audiences", "audiences.exactly_one", ERROR),
        (&[("audiences", Long("a", 600))], "audiences", "audiences.length", ERROR),
        (&[("audiences", S(""))], "audiences", "audiences.length", ERROR),
        (&[("audiences", S("api://*"))], "audiences", "audiences.wildcard", ERROR),
        (&[("audiences", S("api://custom"))], "audiences", "audiences.not_exchange_audience", WARNING),
        (&[("subject", S("x"))], "subject", "subject.conflicts_with_principal", ERROR),
        (&[("subject", S("B0000001-2B3C-4D5E-8F90-A1B2C3D4E5F1"))], "subject", "subject.conflicts_with_principal", ERROR),
        (&[NO_PRINCIPAL], "managed_identity_principal_id", "subject.required", ERROR),
        (&[("managed_identity_principal_id", S("not-a-guid"))], "managed_identity_principal_id", "guid", ERROR),
        (&[("managed_identity_principal_id", S("B0000001-2B3C-4D5E-8F90-A1B2C3D4E5F1"))], "managed_identity_principal_id", "principal_id.case", WARNING),
        (&[NO_PRINCIPAL, ("subject", S("repo:org/app:ref:refs/heads/main"))], "subject", "subject.guid_for_entra_issuer", ERROR),
        (&[NO_PRINCIPAL, ("issuer", S(GITHUB)), ("subject", Long("a", 600))], "subject", "subject.length", ERROR),
        (&[NO_PRINCIPAL, ("issuer", S(GITHUB)), ("subject", S("repo:org/*"))], "subject", "subject.wildcard", ERROR),
        (&[("description", Long("a", 600))], "description", "description.length", ERROR),
        (&[("application_object_id", S("app"))], "application_object_id", "guid", ERROR),
        (&[("application_object_id", Null), ("application_client_id", S("12345"))], "application_client_id", "guid", ERROR),
        (&[("application_object_id", Null)], "application_object_id", "application.required", ERROR),
    ];
    let cases = cases
        .iter()
        .map(|&(edits, attribute, rule, is_error)| (edited(edits), attribute, rule, is_error));
    crate::rules::token::assert_each_case(check_config, cases);
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
