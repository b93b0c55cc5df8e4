//! `entra_mi_access_token` (data source and ephemeral resource): its plan-time rules
//! (client id a GUID, tenant a GUID or domain, scopes ending in `/.default`, and so on).

use super::{fic, guid, quote, Finding, Input};
use crate::cloud::Cloud;

/// What plan-time checks see of an `entra_mi_access_token` configuration.
#[derive(Debug, Clone)]
pub struct TokenRequestInput<'a> {
    pub client_id: Input<&'a str>,
    pub tenant_id: Input<&'a str>,
    pub scopes: Input<Vec<Input<&'a str>>>,
    pub managed_identity_client_id: Input<&'a str>,
    pub token_exchange_audience: Input<&'a str>,
    /// The provider's cloud, when known.
    pub cloud: Option<Cloud>,
}

pub fn check_config(c: &TokenRequestInput) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Input::Known(id) = c.client_id {
        let what = "the application (client) id of the app that trusts the managed identity";
        out.extend(guid::check("client_id", id, what));
    }
    if let Input::Known(t) = c.tenant_id {
        if let Some(f) = check_tenant("tenant_id", t) {
            out.push(f);
        }
    }
    if let Input::Known(id) = c.managed_identity_client_id {
        let what = "the user-assigned identity's client id";
        out.extend(guid::check("managed_identity_client_id", id, what));
    }
    if let Input::Known(scopes) = &c.scopes {
        if scopes.is_empty() {
            out.push(Finding::error(
                "scopes",
                "scopes.required",
                "scopes must hold at least one scope",
                "The client credentials flow needs the resource's \"/.default\" scope, e.g. \"https://graph.microsoft.com/.default\".",
            ));
        }
        for (i, scope) in scopes.iter().enumerate() {
            if let Input::Known(s) = scope {
                if let Some(f) = check_scope(s) {
                    out.push(f.at(i));
                }
            }
        }
    }
    if let Input::Known(aud) = c.token_exchange_audience {
        if aud.trim().is_empty() || aud.trim() != aud || aud.contains('*') {
            out.push(Finding::error(
                "token_exchange_audience",
                "audience.format",
                "token_exchange_audience must be a non-empty value without whitespace or wildcards",
                format!("Got {}.", quote(aud)),
            ));
        } else {
            if !fic::is_exchange_audience(aud, c.cloud) {
                let want = c.cloud.unwrap_or(Cloud::Public).token_exchange_audience();
                out.push(Finding::error(
                    "token_exchange_audience",
                    "audience.not_exchange_audience",
                    format!("Entra's exchange audience in this cloud is {want}"),
                    format!(
                        "Got {}. The app's federated credential must list the same audience, or the exchange fails with AADSTS700212.",
                        quote(aud)
                    ),
                ).warning_only());
            }
        }
    }
    out
}

/// Client credentials take `{resource}/.default` scopes only.
pub fn check_scope(scope: &str) -> Option<Finding> {
    let resource = scope.strip_suffix("/.default");
    let problem = match resource {
        None => "the client credentials flow only accepts \"{resource}/.default\" scopes",
        Some("") => "the resource before \"/.default\" is missing",
        Some(r) if r.chars().any(|c| c.is_whitespace()) => "scopes must not contain whitespace",
        Some(_) => return None,
    };
    Some(Finding::error(
        "scopes",
        "scopes.default_suffix",
        "each scope must be {resource}/.default",
        format!(
            "Got {}: {problem}. For example \"https://graph.microsoft.com/.default\" or \"api://{{app id}}/.default\"; otherwise Entra answers AADSTS70011.",
            quote(scope)
        ),
    ))
}

/// A tenant: its id (GUID) or one of its domain names.
pub fn is_tenant(s: &str) -> bool {
    guid::is_guid(s)
        || (!s.is_empty()
            && s.len() <= 253
            && s.contains('.')
            && !s.starts_with(['.', '-'])
            && !s.ends_with(['.', '-'])
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'))
}

/// `common`, `organizations` and `consumers` are sign-in aliases that the client
/// credentials flow refuses, so they are called out by name.
pub fn check_tenant(attribute: &'static str, tenant: &str) -> Option<Finding> {
    if is_tenant(tenant) {
        return None;
    }
    let why = match tenant.to_ascii_lowercase().as_str() {
        "common" | "organizations" | "consumers" => {
            "multi-tenant aliases cannot be used with the client credentials flow; name the resource tenant"
        }
        _ => "expected a tenant id (GUID) or a verified domain name such as contoso.onmicrosoft.com",
    };
    Some(Finding::error(
        attribute,
        "tenant.format",
        format!("{attribute} must be a tenant id or domain name"),
        format!("Got {}: {why}.", quote(tenant)),
    ))
}

/// The runners of the rules' table tests, here and in `fic`: `base()` and each of `edits`
/// applied to it have no findings.
#[cfg(test)]
pub(crate) fn assert_no_findings<I, E: Fn(&mut I)>(
    base: fn() -> I,
    check: fn(&I) -> Vec<Finding>,
    edits: Vec<E>,
) {
    assert_eq!(check(&base()), vec![], "the base configuration");
    for (i, edit) in edits.into_iter().enumerate() {
        let mut c = base();
        edit(&mut c);
        assert_eq!(check(&c), vec![], "edit {i}");
    }
}

/// The counterpart of [`assert_no_findings`]: for each case (an input with one thing
/// wrong), `check` must report the case's attribute and rule, as an error or as a warning
/// as the case says.
#[cfg(test)]
pub(crate) fn assert_each_case<'a, I>(
    check: fn(&I) -> Vec<Finding>,
    cases: impl IntoIterator<Item = (I, &'a str, &'a str, bool)>,
) {
    for (i, (input, attribute, rule, is_error)) in cases.into_iter().enumerate() {
        let found: Vec<_> = check(&input)
            .into_iter()
            .map(|f| (f.attribute, f.rule, f.is_error()))
            .collect();
        assert!(
            found.contains(&(attribute, rule, is_error)),
            "case {i}: want ({attribute}, {rule}, error={is_error}), got {found:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> TokenRequestInput<'static> {
        TokenRequestInput {
            client_id: Input::Known("c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02"),
            tenant_id: Input::Known("6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01"),
            scopes: Input::Known(vec![Input::Known("https://graph.microsoft.com/.default")]),
            managed_identity_client_id: Input::Known("d0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1"),
            token_exchange_audience: Input::Null,
            cloud: Some(Cloud::Public),
        }
    }

    #[test]
    fn valid_has_no_findings() {
        let domain_and_custom_scope: fn(&mut TokenRequestInput) = |c| {
            c.tenant_id = Input::Known("contoso.onmicrosoft.com");
            c.scopes = Input::Known(vec![Input::Known(
                "api://c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02/.default",
            )]);
            c.token_exchange_audience = Input::Known("api://AzureADTokenExchange");
        };
        assert_no_findings(base, check_config, vec![domain_and_custom_scope]);
    }

    #[test]
    fn table() {
        type Edit = fn(&mut TokenRequestInput<'static>);
        #[rustfmt::skip]
        let cases: [(Edit, &str, &str, bool); 9] = [
            (|c| c.client_id = Input::Known("app"), "client_id", "guid", true),
            (|c| c.tenant_id = Input::Known("common"), "tenant_id", "tenant.format", true),
            (|c| c.tenant_id = Input::Known("contoso_com"), "tenant_id", "tenant.format", true),
            (|c| c.managed_identity_client_id = Input::Known("x"), "managed_identity_client_id", "guid", true),
            (|c| c.scopes = Input::Known(vec![]), "scopes", "scopes.required", true),
            (|c| c.scopes = Input::Known(vec![Input::Known("User.Read")]), "scopes", "scopes.default_suffix", true),
            (|c| c.scopes = Input::Known(vec![Input::Known("/.default")]), "scopes", "scopes.default_suffix", true),
            (|c| c.token_exchange_audience = Input::Known(""), "token_exchange_audience", "audience.format", true),
            (|c| c.token_exchange_audience = Input::Known("api://AzureADTokenExchangeUSGov"), "token_exchange_audience", "audience.not_exchange_audience", false),
        ];
        let cases = cases.into_iter().map(|(edit, attribute, rule, is_error)| {
            let mut c = base();
            edit(&mut c);
            (c, attribute, rule, is_error)
        });
        assert_each_case(check_config, cases);
    }

    #[test]
    fn scope_index_is_reported() {
        let mut c = base();
        c.scopes = Input::Known(vec![
            Input::Known("https://graph.microsoft.com/.default"),
            Input::Known("bad"),
        ]);
        let f = check_config(&c);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path(), "scopes[1]");
    }

    #[test]
    fn unknown_skipped() {
        let c = TokenRequestInput {
            client_id: Input::Unknown,
            tenant_id: Input::Unknown,
            scopes: Input::Unknown,
            managed_identity_client_id: Input::Unknown,
            token_exchange_audience: Input::Unknown,
            cloud: None,
        };
        assert_eq!(check_config(&c), vec![]);
    }
}
