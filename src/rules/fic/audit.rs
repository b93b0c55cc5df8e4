//! Auditing a credential that already exists: the plan-time rules applied to what Graph
//! stores, with the issuer deciding which rules apply (an external issuer such as GitHub
//! or Kubernetes gets only the rules for any issuer).

use super::issuer::check_issuer_for_identity;
use super::subject::subject_not_guid;
use super::{
    check_audiences, check_description, check_exchange_audience, check_issuer_basics, check_name,
    check_subject, is_entra_issuer, Credential,
};
use crate::cloud::Cloud;
use crate::rules::{guid, Finding};

/// Every rule a stored credential breaks, without the live principal check (see
/// [`principal_to_check`]). `cloud` is the provider's.
pub fn audit_credential(c: &Credential, cloud: Option<Cloud>) -> Vec<Finding> {
    let mut out = check_name(c.name);
    out.extend(check_issuer_basics(c.issuer));
    let entra = is_entra_issuer(c.issuer.trim());
    if entra {
        out.extend(check_issuer_for_identity(c.issuer, cloud));
    }
    out.extend(check_subject(c.subject));
    if entra && !c.subject.is_empty() && !guid::is_guid(c.subject) {
        out.push(subject_not_guid(c.subject));
    }
    out.extend(check_audiences(c.audiences));
    if let (true, [aud]) = (entra, c.audiences) {
        out.extend(check_exchange_audience(aud, cloud).map(|f| f.at(0)));
    }
    if let Some(d) = c.description {
        out.extend(check_description(d));
    }
    out
}

/// The subject to look up in Graph: with an Entra issuer a GUID subject must be a
/// user-assigned managed identity's principal id (or, for app-to-app trust, another
/// principal's object id, which the check reports too).
pub fn principal_to_check<'a>(c: &Credential<'a>) -> Option<&'a str> {
    (is_entra_issuer(c.issuer.trim()) && guid::is_guid(c.subject)).then_some(c.subject)
}

/// A finding as one line for a user: where, what, how to fix, and the rule's id.
pub fn finding_text(f: &Finding) -> String {
    let level = if f.is_error() { "" } else { "warning: " };
    format!(
        "{level}{}: {}. {} [rule {}]",
        f.path(),
        f.summary,
        f.detail,
        f.rule
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01";
    const PRINCIPAL: &str = "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";

    fn rules(name: &str, issuer: &str, subject: &str, audience: &str) -> Vec<&'static str> {
        let audiences = vec![audience.to_string()];
        let c = Credential {
            name,
            issuer,
            subject,
            audiences: &audiences,
            description: None,
        };
        audit_credential(&c, Some(Cloud::Public))
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn each_mistake_is_found_and_good_credentials_are_clean() {
        let v2 = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
        let gh = "https://token.actions.githubusercontent.com";
        let x = "api://AzureADTokenExchange";
        let cases: Vec<(String, String, &str, &str, Vec<&str>)> = vec![
            ("deploy".into(), v2.clone(), PRINCIPAL, x, vec![]),
            (
                "github".into(),
                gh.into(),
                "repo:o/r:ref:refs/heads/main",
                x,
                vec![],
            ),
            (
                "github-custom".into(),
                gh.into(),
                "repo:o/r:environment:prod",
                "api://Custom",
                vec![],
            ),
            (
                "slash".into(),
                format!("{v2}/"),
                PRINCIPAL,
                x,
                vec!["issuer.trailing_slash"],
            ),
            (
                "v1-issuer".into(),
                format!("https://sts.windows.net/{TENANT}/"),
                PRINCIPAL,
                x,
                vec!["issuer.v1_with_managed_identity"],
            ),
            (
                "space".into(),
                format!("{v2} "),
                PRINCIPAL,
                x,
                vec!["issuer.whitespace"],
            ),
            (
                "usgov".into(),
                v2.clone(),
                PRINCIPAL,
                "api://AzureADTokenExchangeUSGov",
                vec!["audiences.not_exchange_audience"],
            ),
            (
                "wild".into(),
                gh.into(),
                "repo:o/*",
                x,
                vec!["subject.wildcard"],
            ),
            (
                "not-guid".into(),
                v2.clone(),
                "repo:o/r",
                x,
                vec!["subject.guid_for_entra_issuer"],
            ),
            (
                "with.dot".into(),
                v2.clone(),
                PRINCIPAL,
                x,
                vec!["name.dot"],
            ),
            (
                "-dash".into(),
                v2.clone(),
                PRINCIPAL,
                x,
                vec!["name.first_character"],
            ),
            (
                "gov".into(),
                format!("https://login.microsoftonline.us/{TENANT}/v2.0"),
                PRINCIPAL,
                x,
                vec!["issuer.cross_cloud"],
            ),
        ];
        for (name, issuer, subject, aud, want) in cases {
            assert_eq!(rules(&name, &issuer, subject, aud), want, "{name}");
        }
    }

    #[test]
    fn only_entra_guid_subjects_are_looked_up() {
        let aud = vec!["api://AzureADTokenExchange".to_string()];
        let c = |issuer, subject| Credential {
            name: "n",
            issuer,
            subject,
            audiences: &aud,
            description: None,
        };
        let v2 = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
        assert_eq!(principal_to_check(&c(&v2, PRINCIPAL)), Some(PRINCIPAL));
        assert_eq!(principal_to_check(&c(&v2, "repo:o/r")), None);
        assert_eq!(
            principal_to_check(&c("https://token.actions.githubusercontent.com", PRINCIPAL)),
            None
        );
    }

    #[test]
    fn text_names_path_rule_and_level() {
        let f = Finding::error("audiences", "a.b", "sum", "Detail.")
            .warning_only()
            .at(0);
        assert_eq!(
            finding_text(&f),
            "warning: audiences[0]: sum. Detail. [rule a.b]"
        );
    }
}
