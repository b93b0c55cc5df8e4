//! Federated identity credentials: the service's rules (SPEC §3) plus the checks that
//! catch, at plan time, the mistakes Graph accepts and the token exchange later rejects.

use super::{guid, quote, Finding, Input};
use crate::cloud::Cloud;

/// Graph's limit of credentials per application (no increase available).
pub const MAX_PER_APPLICATION: usize = 20;
/// Graph's limit for issuer, subject, each audience and description.
pub const MAX_FIELD_LEN: usize = 600;
pub const NAME_MIN: usize = 3;
pub const NAME_MAX: usize = 120;

/// A credential as Graph receives and stores it.
#[derive(Debug, Clone, Copy)]
pub struct Credential<'a> {
    pub name: &'a str,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub audiences: &'a [String],
    pub description: Option<&'a str>,
}

/// The rules Microsoft Graph enforces itself on create and update. Everything stricter
/// (trailing slashes, v1 issuers, non-GUID subjects) is accepted by Graph and fails only
/// at exchange, so it is not here.
pub fn graph_rules(c: &Credential) -> Vec<Finding> {
    let mut out: Vec<Finding> = check_name(c.name)
        .into_iter()
        .filter(|f| f.graph_enforced)
        .collect();
    out.extend(
        check_issuer_basics(c.issuer)
            .into_iter()
            .filter(|f| f.graph_enforced),
    );
    out.extend(check_subject(c.subject));
    out.extend(check_audiences(c.audiences));
    if let Some(d) = c.description {
        out.extend(check_description(d));
    }
    out
}

/// Plan-time configuration of `entra_mi_federated_credential`.
#[derive(Debug, Clone)]
pub struct Config<'a> {
    pub application_object_id: Input<&'a str>,
    pub application_client_id: Input<&'a str>,
    pub name: Input<&'a str>,
    pub managed_identity_principal_id: Input<&'a str>,
    pub subject: Input<&'a str>,
    pub issuer: Input<&'a str>,
    pub audiences: Input<Vec<Input<&'a str>>>,
    pub description: Input<&'a str>,
    /// The provider's cloud; `None` when the provider's environment is not known yet.
    pub cloud: Option<Cloud>,
}

/// Every rule of SPEC §3 for one resource configuration. Unknown values are skipped.
pub fn check_config(c: &Config) -> Vec<Finding> {
    let mut out = Vec::new();

    match (&c.application_object_id, &c.application_client_id) {
        (Input::Null, Input::Null) => out.push(Finding::error(
            "application_object_id",
            "application.exactly_one",
            "one of application_object_id or application_client_id is required",
            "Set application_object_id to the application's object id, or application_client_id to its application (client) id.",
        )),
        (a, b) if a.is_set() && b.is_set() => out.push(Finding::error(
            "application_client_id",
            "application.exactly_one",
            "application_object_id and application_client_id conflict",
            "Set only one of them: they name the same application, and the other is computed.",
        )),
        _ => {}
    }
    if let Input::Known(id) = c.application_object_id {
        out.extend(check_guid_attr(
            "application_object_id",
            id,
            "the application's object id",
        ));
    }
    if let Input::Known(id) = c.application_client_id {
        out.extend(check_guid_attr(
            "application_client_id",
            id,
            "the application (client) id, the appId",
        ));
    }

    if let Input::Known(name) = c.name {
        out.extend(check_name(name));
    }

    let with_identity = c.managed_identity_principal_id.is_set();
    match (&c.managed_identity_principal_id, &c.subject) {
        (Input::Null, Input::Null) => out.push(Finding::error(
            "managed_identity_principal_id",
            "subject.required",
            "one of managed_identity_principal_id or subject is required",
            "Set managed_identity_principal_id to the user-assigned identity's principal (object) id, or subject to the external identity's subject.",
        )),
        (a, b) if a.is_set() && b.is_set() => out.push(Finding::error(
            "subject",
            "subject.conflicts_with_principal",
            "subject conflicts with managed_identity_principal_id",
            "managed_identity_principal_id sets the subject; remove subject.",
        )),
        _ => {}
    }
    if let Input::Known(principal) = c.managed_identity_principal_id {
        out.extend(check_principal_id(principal));
    }
    if let Input::Known(subject) = c.subject {
        out.extend(check_subject(subject));
    }

    if let Input::Known(issuer) = c.issuer {
        out.extend(check_issuer_basics(issuer));
        if with_identity {
            out.extend(check_issuer_for_identity(issuer, c.cloud));
        } else if is_entra_issuer(issuer) && issuer.ends_with('/') && !is_v1_issuer(issuer) {
            out.push(Finding::warning(
                "issuer",
                "issuer.trailing_slash",
                "Entra v2 issuers have no trailing slash",
                format!(
                    "Got {}. Tokens from Entra carry the issuer without a trailing slash and matching is exact, so the exchange would fail with AADSTS700211.",
                    quote(issuer)
                ),
            ));
        }
        if let Input::Known(subject) = c.subject {
            if is_entra_issuer(issuer) && !guid::is_guid(subject) {
                out.push(subject_not_guid(subject));
            }
        }
    } else if c.issuer.is_null() {
        // The issuer defaults to Entra's.
        if let Input::Known(subject) = c.subject {
            if !guid::is_guid(subject) {
                out.push(subject_not_guid(subject));
            }
        }
    }

    if let Input::Known(list) = &c.audiences {
        let known: Vec<String> = list
            .iter()
            .filter_map(|a| a.known().map(|s| s.to_string()))
            .collect();
        if known.len() == list.len() {
            out.extend(check_audiences(&known));
        } else if list.len() != 1 {
            // Some elements are unknown, but their count is known already.
            out.extend(
                check_audiences(&vec![String::new(); list.len()])
                    .into_iter()
                    .filter(|f| f.rule == "audiences.exactly_one"),
            );
        }
        let issuer_is_entra = match c.issuer {
            Input::Known(i) => is_entra_issuer(i),
            Input::Null => true, // defaults to the Entra issuer
            Input::Unknown => false,
        };
        let issuer_cloud_known = match c.issuer {
            Input::Known(i) => issuer_cloud(i.trim()),
            _ => None,
        };
        if let (true, [Input::Known(aud)]) = (issuer_is_entra, list.as_slice()) {
            if let Some(f) = check_exchange_audience(aud, c.cloud.or(issuer_cloud_known)) {
                out.push(f.at(0));
            }
        }
    }

    if let Input::Known(d) = c.description {
        out.extend(check_description(d));
    }
    out
}

/// With an Entra issuer the audience should be the exchange audience of the cloud; when
/// the cloud is not known yet, any cloud's exchange audience is accepted.
pub fn check_exchange_audience(aud: &str, cloud: Option<Cloud>) -> Option<Finding> {
    if aud.is_empty() || aud.contains('*') {
        return None; // reported by check_audiences
    }
    let (ok, want) = match cloud {
        Some(cloud) => (
            aud == cloud.token_exchange_audience(),
            cloud.token_exchange_audience().to_string(),
        ),
        None => (
            Cloud::ALL
                .iter()
                .any(|c| c.token_exchange_audience() == aud),
            "api://AzureADTokenExchange (public cloud)".to_string(),
        ),
    };
    (!ok).then(|| {
        Finding::warning(
            "audiences",
            "audiences.not_exchange_audience",
            format!("Entra's token exchange audience is {want}"),
            format!(
                "Got {}. Managed identity and Entra-issued tokens for the exchange are requested for the cloud's exchange audience; another audience fails with AADSTS700212 unless your token source uses it too.",
                quote(aud)
            ),
        )
    })
}

fn subject_not_guid(subject: &str) -> Finding {
    Finding::error(
        "subject",
        "subject.guid_for_entra_issuer",
        "with an Entra issuer the subject must be a GUID",
        format!(
            "Got {}. Tokens issued by Entra carry the principal's object id as subject, so a non-GUID subject can never match (AADSTS700213). Set issuer for another token issuer.",
            quote(subject)
        ),
    )
}

fn check_guid_attr(attribute: &'static str, value: &str, what: &str) -> Option<Finding> {
    (!guid::is_guid(value)).then(|| {
        Finding::error(
            attribute,
            "guid",
            format!("{attribute} must be a GUID"),
            format!(
                "Expected {what} in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx; got {}.",
                quote(value)
            ),
        )
    })
}

/// Name: 3-120 characters of `[A-Za-z0-9_-]`, first alphanumeric. Graph itself accepts
/// dots (azuread's tests create such names), so a dot is a warning.
pub fn check_name(name: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let len = name.chars().count();
    if !(NAME_MIN..=NAME_MAX).contains(&len) {
        out.push(
            Finding::error(
                "name",
                "name.length",
                format!("name must be {NAME_MIN}-{NAME_MAX} characters"),
                format!("Got {len} characters: {}.", quote(name)),
            )
            .by_graph(),
        );
    }
    let breaks_url: Vec<char> = name
        .chars()
        .filter(|c| {
            matches!(c, '/' | '\\' | '?' | '#' | '%' | '\'' | '*')
                || c.is_whitespace()
                || c.is_control()
        })
        .collect();
    if !breaks_url.is_empty() {
        out.push(
            Finding::error(
                "name",
                "name.characters",
                "name may contain only letters, digits, '-' and '_'",
                format!(
                    "Got {} with {:?}, which cannot appear in the credential's URL.",
                    quote(name),
                    dedup(&breaks_url)
                ),
            )
            .by_graph(),
        );
    } else {
        let other: Vec<char> = name
            .chars()
            .filter(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .collect();
        if !other.is_empty() {
            out.push(Finding::error(
                "name",
                "name.characters",
                "name may contain only letters, digits, '-' and '_'",
                format!("Got {} with {:?}.", quote(name), dedup(&other)),
            ));
        } else if name.contains('.') {
            out.push(Finding::warning(
                "name",
                "name.dot",
                "a '.' in a name is accepted by Graph today but not documented",
                format!(
                    "Got {}. The documented rule is [A-Za-z0-9_-]; consider '-' instead of '.'.",
                    quote(name)
                ),
            ));
        }
    }
    if let Some(first) = name.chars().next() {
        if !first.is_ascii_alphanumeric() {
            out.push(Finding::error(
                "name",
                "name.first_character",
                "name must start with a letter or a digit",
                format!("Got {} starting with {first:?}.", quote(name)),
            ));
        }
    }
    out
}

fn dedup(chars: &[char]) -> String {
    let mut seen = String::new();
    for c in chars {
        if !seen.contains(*c) {
            seen.push(*c);
        }
    }
    seen
}

/// Rules for any issuer, managed identity or not.
pub fn check_issuer_basics(issuer: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    if issuer.is_empty() {
        out.push(
            Finding::error(
                "issuer",
                "issuer.empty",
                "issuer must not be empty",
                "Set the token issuer's URL.",
            )
            .by_graph(),
        );
        return out;
    }
    let len = issuer.chars().count();
    if len > MAX_FIELD_LEN {
        out.push(
            Finding::error(
                "issuer",
                "issuer.length",
                format!("issuer must be at most {MAX_FIELD_LEN} characters"),
                format!("Got {len} characters: {}.", quote(issuer)),
            )
            .by_graph(),
        );
    }
    if issuer.contains('*') {
        out.push(
            Finding::error(
                "issuer",
                "issuer.wildcard",
                "issuer must not contain wildcards",
                format!(
                    "Got {}. Federated credentials match the issuer exactly; '*' is not supported.",
                    quote(issuer)
                ),
            )
            .by_graph(),
        );
    }
    if issuer.trim() != issuer {
        out.push(Finding::error(
            "issuer",
            "issuer.whitespace",
            "issuer must not have leading or trailing whitespace",
            format!(
                "Got {}. Matching is exact, so the whitespace would make every exchange fail.",
                quote(issuer)
            ),
        ));
    }
    match url::Url::parse(issuer.trim()) {
        Ok(url) if url.scheme() == "https" => {}
        Ok(_) => out.push(Finding::error(
            "issuer",
            "issuer.https",
            "issuer must be an https URL",
            format!("Got {}. OIDC issuers are https URLs.", quote(issuer)),
        )),
        Err(_) => out.push(Finding::error(
            "issuer",
            "issuer.url",
            "issuer must be an https URL",
            format!("Got {}, which is not a URL.", quote(issuer)),
        )),
    }
    out
}

/// With a managed identity the token comes from Entra: the issuer must be the v2 issuer
/// of the identity's tenant, exactly as Entra writes it.
fn check_issuer_for_identity(issuer: &str, cloud: Option<Cloud>) -> Vec<Finding> {
    let mut out = Vec::new();
    let trimmed = issuer.trim();
    if is_v1_issuer(trimmed) {
        let tenant = tenant_segment(trimmed).unwrap_or("{tenant}");
        let host = cloud.unwrap_or(Cloud::Public).authority_host();
        out.push(Finding::error(
            "issuer",
            "issuer.v1_with_managed_identity",
            "managed identity tokens for the exchange carry the v2 issuer",
            format!(
                "Got the v1 issuer {}. Use \"{host}/{tenant}/v2.0\"; with a v1 issuer the exchange fails with AADSTS700211.",
                quote(issuer)
            ),
        ));
        return out;
    }
    if !is_entra_issuer(trimmed) {
        out.push(Finding::error(
            "issuer",
            "issuer.not_entra_with_managed_identity",
            "with managed_identity_principal_id the issuer must be Entra's",
            format!(
                "Got {}. A managed identity's token is issued by Entra: https://{{login host}}/{{tenant}}/v2.0. Use subject instead of managed_identity_principal_id for other issuers.",
                quote(issuer)
            ),
        ));
        return out;
    }
    if trimmed.ends_with('/') {
        out.push(Finding::error(
            "issuer",
            "issuer.trailing_slash",
            "the Entra v2 issuer has no trailing slash",
            format!(
                "Got {}. Entra writes the issuer as {} and matching is exact, so the exchange would fail with AADSTS700211.",
                quote(issuer),
                quote(trimmed.trim_end_matches('/'))
            ),
        ));
    } else if !trimmed.ends_with("/v2.0") {
        out.push(Finding::error(
            "issuer",
            "issuer.not_v2",
            "the Entra issuer must end with /v2.0",
            format!(
                "Got {}. Expected https://{{login host}}/{{tenant id}}/v2.0.",
                quote(issuer)
            ),
        ));
    }
    match tenant_segment(trimmed) {
        Some(t) if guid::is_guid(t) => {}
        Some(t) => out.push(Finding::error(
            "issuer",
            "issuer.tenant_guid",
            "the issuer's tenant must be the tenant id (GUID)",
            format!(
                "Got tenant {} in {}. Tokens carry the tenant id, never a domain name, so this would fail with AADSTS700211.",
                quote(t),
                quote(issuer)
            ),
        )),
        None => {}
    }
    if let (Some(cloud), Some(host_cloud)) = (cloud, issuer_cloud(trimmed)) {
        if cloud != host_cloud {
            out.push(Finding::error(
                "issuer",
                "issuer.cross_cloud",
                "the issuer belongs to another cloud",
                format!(
                    "Got {} ({} cloud) while the provider's environment is {}. Cross-cloud federation is not supported.",
                    quote(issuer),
                    host_cloud.name(),
                    cloud.name()
                ),
            ));
        }
    }
    out
}

/// Whether `issuer` is issued by Entra ID (any cloud, v1 or v2 form).
pub fn is_entra_issuer(issuer: &str) -> bool {
    is_v1_issuer(issuer) || issuer_cloud(issuer).is_some()
}

fn is_v1_issuer(issuer: &str) -> bool {
    host_of(issuer).is_some_and(|h| {
        h.eq_ignore_ascii_case("sts.windows.net") || h.eq_ignore_ascii_case("sts.chinacloudapi.cn")
    })
}

fn issuer_cloud(issuer: &str) -> Option<Cloud> {
    let host = host_of(issuer)?;
    Cloud::ALL.into_iter().find(|c| {
        c.authority_host()
            .trim_start_matches("https://")
            .eq_ignore_ascii_case(&host)
    })
}

fn host_of(issuer: &str) -> Option<String> {
    let url = url::Url::parse(issuer.trim()).ok()?;
    url.host_str().map(str::to_string)
}

fn tenant_segment(issuer: &str) -> Option<&str> {
    let rest = issuer.split_once("://")?.1;
    rest.split('/').nth(1).filter(|s| !s.is_empty())
}

/// The identity's principal (object) id, which becomes the subject.
pub fn check_principal_id(principal: &str) -> Vec<Finding> {
    if !guid::is_guid(principal) {
        return vec![Finding::error(
            "managed_identity_principal_id",
            "guid",
            "managed_identity_principal_id must be a GUID",
            format!(
                "Expected the identity's principal (object) id in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx; got {}.",
                quote(principal)
            ),
        )];
    }
    if guid::has_uppercase(principal) {
        return vec![Finding::warning(
            "managed_identity_principal_id",
            "principal_id.case",
            "managed_identity_principal_id has capital letters",
            format!(
                "Got {}. Entra writes object ids in lower case and matching is case-sensitive, so the exchange would fail with AADSTS700213. Use {}.",
                quote(principal),
                quote(&principal.to_ascii_lowercase())
            ),
        )];
    }
    Vec::new()
}

pub fn check_subject(subject: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let len = subject.chars().count();
    if !(1..=MAX_FIELD_LEN).contains(&len) {
        out.push(
            Finding::error(
                "subject",
                "subject.length",
                format!("subject must be 1-{MAX_FIELD_LEN} characters"),
                format!("Got {len} characters: {}.", quote(subject)),
            )
            .by_graph(),
        );
    }
    if subject.contains('*') {
        out.push(
            Finding::error(
                "subject",
                "subject.wildcard",
                "subject must not contain wildcards",
                format!(
                    "Got {}. Subjects are matched exactly; '*' is not supported.",
                    quote(subject)
                ),
            )
            .by_graph(),
        );
    }
    out
}

/// Exactly one audience of 1-600 characters without wildcards.
pub fn check_audiences(audiences: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    if audiences.len() != 1 {
        out.push(
            Finding::error(
                "audiences",
                "audiences.exactly_one",
                "audiences must hold exactly one value",
                format!(
                    "Got {} values. Entra accepts exactly one audience per federated credential; for the exchange it is api://AzureADTokenExchange in the public cloud.",
                    audiences.len()
                ),
            )
            .by_graph(),
        );
    }
    for (i, aud) in audiences.iter().enumerate() {
        let len = aud.chars().count();
        if !(1..=MAX_FIELD_LEN).contains(&len) {
            out.push(
                Finding::error(
                    "audiences",
                    "audiences.length",
                    format!("each audience must be 1-{MAX_FIELD_LEN} characters"),
                    format!("Got {len} characters: {}.", quote(aud)),
                )
                .by_graph()
                .at(i),
            );
        }
        if aud.contains('*') {
            out.push(
                Finding::error(
                    "audiences",
                    "audiences.wildcard",
                    "audiences must not contain wildcards",
                    format!("Got {}.", quote(aud)),
                )
                .by_graph()
                .at(i),
            );
        }
    }
    out
}

pub fn check_description(description: &str) -> Vec<Finding> {
    let len = description.chars().count();
    if len > MAX_FIELD_LEN {
        return vec![Finding::error(
            "description",
            "description.length",
            format!("description must be at most {MAX_FIELD_LEN} characters"),
            format!("Got {len} characters: {}.", quote(description)),
        )
        .by_graph()];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01";
    const APP: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d01";
    const PRINCIPAL: &str = "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";

    fn base() -> Config<'static> {
        Config {
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

    fn rules_of(c: &Config) -> Vec<(&'static str, &'static str, bool)> {
        check_config(c)
            .into_iter()
            .map(|f| (f.attribute, f.rule, f.is_error()))
            .collect()
    }

    #[test]
    fn valid_configuration_has_no_findings() {
        assert_eq!(check_config(&base()), vec![]);
        let mut c = base();
        c.issuer = Input::Null;
        c.audiences = Input::Null;
        assert_eq!(check_config(&c), vec![]);
    }

    #[test]
    fn each_broken_rule_is_reported() {
        let long = "a".repeat(601);
        let long_issuer = format!(
            "https://login.microsoftonline.com/{TENANT}/v2.0{}",
            "x".repeat(600)
        );
        let long_name = "n".repeat(121);
        type Edit = Box<dyn Fn(&mut Config<'static>)>;
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
                    c.issuer = Input::Known("http://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0")
                }),
                "issuer",
                "issuer.https",
                true,
            ),
            (
                Box::new(|c| {
                    c.issuer = Input::Known(" https://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0")
                }),
                "issuer",
                "issuer.whitespace",
                true,
            ),
            (
                Box::new(|c| {
                    c.issuer = Input::Known("https://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0/")
                }),
                "issuer",
                "issuer.trailing_slash",
                true,
            ),
            (
                Box::new(|c| {
                    c.issuer = Input::Known(
                        "https://sts.windows.net/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/",
                    )
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
                    c.issuer = Input::Known("https://login.microsoftonline.us/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0")
                }),
                "issuer",
                "issuer.cross_cloud",
                true,
            ),
            (
                Box::new(|c| {
                    c.issuer = Input::Known("https://token.actions.githubusercontent.com")
                }),
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
        for (i, (edit, attribute, rule, is_error)) in cases.into_iter().enumerate() {
            let mut c = base();
            edit(&mut c);
            let found = rules_of(&c);
            assert!(
                found.contains(&(attribute, rule, is_error)),
                "case {i}: want ({attribute}, {rule}, error={is_error}), got {found:?}"
            );
        }
    }

    #[test]
    fn unknown_values_are_skipped() {
        let c = Config {
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
}
