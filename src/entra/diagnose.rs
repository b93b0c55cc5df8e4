//! Why a token exchange found no matching federated credential, field by field.
//!
//! Entra only says "no match" (AADSTS70021/700211/700212/700213). Comparing the managed
//! identity token's `iss`, `sub` and `aud` with each credential of the app turns that
//! into "the issuer has a trailing slash" or "the subject is the identity's client id".

use super::graph::FederatedCredential;
use crate::cloud::Cloud;

/// The claims of the token presented as client assertion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenFacts {
    /// The issuer.
    pub iss: String,
    /// The subject (a managed identity's principal id).
    pub sub: String,
    /// The audience.
    pub aud: String,
}

/// Whether Entra would accept `facts` through `fic` (exact, case-sensitive).
pub fn matches(fic: &FederatedCredential, facts: &TokenFacts) -> bool {
    fic.issuer == facts.iss && fic.subject == facts.sub && fic.audiences.contains(&facts.aud)
}

/// One differing field.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Difference {
    /// `issuer`, `subject` or `audiences`.
    pub field: &'static str,
    /// The credential's value.
    pub credential: String,
    /// The token's value.
    pub token: String,
    /// Why they differ, in words.
    pub why: String,
}

/// The differences between one credential and the token.
fn differences(
    fic: &FederatedCredential,
    facts: &TokenFacts,
    identity_client_id: Option<&str>,
) -> Vec<Difference> {
    let mut out = Vec::new();
    if fic.issuer != facts.iss {
        out.push(Difference {
            field: "issuer",
            credential: fic.issuer.clone(),
            token: facts.iss.clone(),
            why: issuer_why(&fic.issuer, &facts.iss),
        });
    }
    if fic.subject != facts.sub {
        let why = if fic.subject.eq_ignore_ascii_case(&facts.sub) {
            "only the letter case differs, and matching is case-sensitive: use the principal id in lower case".to_string()
        } else if identity_client_id.is_some_and(|c| c.eq_ignore_ascii_case(&fic.subject)) {
            "the credential's subject is the managed identity's client id; it must be its principal (object) id".to_string()
        } else {
            "the subject must be the managed identity's principal (object) id".to_string()
        };
        out.push(Difference {
            field: "subject",
            credential: fic.subject.clone(),
            token: facts.sub.clone(),
            why,
        });
    }
    if !fic.audiences.contains(&facts.aud) {
        let listed = fic.audiences.join(", ");
        let why = if Cloud::ALL
            .iter()
            .any(|c| c.token_exchange_audience() == listed)
        {
            "the exchange audience of another cloud: use the same cloud's audience on both sides"
                .to_string()
        } else if fic
            .audiences
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&facts.aud))
        {
            "only the letter case differs".to_string()
        } else {
            "the identity token must be requested for the audience the credential lists (token_exchange_audience)".to_string()
        };
        out.push(Difference {
            field: "audience",
            credential: listed,
            token: facts.aud.clone(),
            why,
        });
    }
    out
}

fn issuer_why(cred: &str, token: &str) -> String {
    if cred.trim_end_matches('/') == token {
        return "the credential's issuer has a trailing slash; Entra's v2 issuer has none".into();
    }
    if cred.contains("sts.windows.net") && token.contains("/v2.0") {
        return "the credential has the v1 issuer (sts.windows.net); managed identity tokens for the exchange carry the v2 issuer".into();
    }
    if cred.eq_ignore_ascii_case(token) {
        return "only the letter case differs, and matching is case-sensitive".into();
    }
    let tenant = |u: &str| u.split('/').nth(3).map(str::to_string);
    let host = |u: &str| u.split('/').nth(2).map(str::to_string);
    if host(cred) == host(token) && tenant(cred) != tenant(token) {
        return "the tenant differs: the identity and the app must be in the same tenant".into();
    }
    if host(cred) != host(token) {
        return "the sign-in host differs (another cloud or another issuer)".into();
    }
    "the issuer must equal the token's `iss` exactly".into()
}

/// A report for the user: the token's claims, then each credential with its differences,
/// closest first.
pub fn explain(
    facts: &TokenFacts,
    credentials: &[FederatedCredential],
    identity_client_id: Option<&str>,
) -> String {
    let mut text = format!(
        "The managed identity token presented has:\n  iss = {:?}\n  sub = {:?}\n  aud = {:?}\n",
        facts.iss, facts.sub, facts.aud
    );
    if credentials.is_empty() {
        // Often the configuration declares the credential and the token was requested
        // first: Terraform reads tokens at plan when their arguments are known.
        text.push_str("\nThe application has no federated identity credentials. If an entra_mi_federated_credential in this configuration creates one, the token was requested before it existed: take client_id from that resource (its application_client_id) so that Terraform requests the token after the credential is created.");
        return text;
    }
    let mut ranked: Vec<(&FederatedCredential, Vec<Difference>)> = credentials
        .iter()
        .map(|c| (c, differences(c, facts, identity_client_id)))
        .collect();
    ranked.sort_by_key(|(_, d)| d.len());
    text.push_str(&format!(
        "\nThe application's {} federated identity credential(s), closest first:\n",
        ranked.len()
    ));
    for (c, diffs) in ranked.iter().take(5) {
        if diffs.is_empty() {
            text.push_str(&format!(
                "  - {:?}: matches exactly (it may not have propagated yet)\n",
                c.name
            ));
            continue;
        }
        text.push_str(&format!("  - {:?}:\n", c.name));
        for d in diffs {
            text.push_str(&format!(
                "      {} differs: credential has {:?}, token has {:?} — {}\n",
                d.field, d.credential, d.token, d.why
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01";

    fn facts() -> TokenFacts {
        TokenFacts {
            iss: format!("https://login.microsoftonline.com/{T}/v2.0"),
            sub: "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1".into(),
            aud: "api://AzureADTokenExchange".into(),
        }
    }

    fn fic() -> FederatedCredential {
        let f = facts();
        FederatedCredential {
            id: "id-1".into(),
            name: "deploy".into(),
            issuer: f.iss,
            subject: f.sub,
            audiences: vec![f.aud],
            description: None,
        }
    }

    #[test]
    fn table() {
        type Edit = Box<dyn Fn(&mut FederatedCredential)>;
        let cases: Vec<(Edit, &str, &str)> = vec![
            (Box::new(|c| c.issuer.push('/')), "issuer", "trailing slash"),
            (
                Box::new(|c| c.issuer = format!("https://sts.windows.net/{T}/")),
                "issuer",
                "v1 issuer",
            ),
            (
                Box::new(|c| {
                    c.issuer = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0".into()
                }),
                "issuer",
                "tenant differs",
            ),
            (
                Box::new(|c| c.issuer = format!("https://login.microsoftonline.us/{T}/v2.0")),
                "issuer",
                "sign-in host differs",
            ),
            (
                Box::new(|c| c.subject = c.subject.to_uppercase()),
                "subject",
                "letter case",
            ),
            (
                Box::new(|c| c.subject = "d0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1".into()),
                "subject",
                "client id",
            ),
            (
                Box::new(|c| c.audiences = vec!["api://AzureADTokenExchangeUSGov".into()]),
                "audience",
                "another cloud",
            ),
            (
                Box::new(|c| c.audiences = vec!["api://custom".into()]),
                "audience",
                "requested for the audience",
            ),
        ];
        for (edit, field, why) in cases {
            let mut c = fic();
            edit(&mut c);
            assert!(!matches(&c, &facts()));
            let d = differences(&c, &facts(), Some("d0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1"));
            assert_eq!(d.len(), 1, "{field}: {d:?}");
            assert_eq!(d[0].field, field);
            assert!(d[0].why.contains(why), "{field}: {}", d[0].why);
        }
        assert!(matches(&fic(), &facts()));
    }

    #[test]
    fn report_names_both_values() {
        let mut c = fic();
        c.issuer.push('/');
        let text = explain(&facts(), &[c], None);
        assert!(
            text.contains(&format!(
                "credential has \"https://login.microsoftonline.com/{T}/v2.0/\""
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "token has \"https://login.microsoftonline.com/{T}/v2.0\""
            )),
            "{text}"
        );
    }
}
