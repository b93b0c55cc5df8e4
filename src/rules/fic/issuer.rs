//! Issuers: rules for any issuer, and the exact form Entra writes for managed identity tokens.

use super::subject::{field_length, no_wildcard};
use crate::cloud::Cloud;
use crate::rules::{guid, quote, Finding};

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
    out.extend(field_length("issuer", "issuer.length", "issuer", issuer, 0));
    out.extend(no_wildcard(
        "issuer",
        "issuer.wildcard",
        issuer,
        " Federated credentials match the issuer exactly; '*' is not supported.",
    ));
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
pub(super) fn check_issuer_for_identity(issuer: &str, cloud: Option<Cloud>) -> Vec<Finding> {
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
    if let Some(cloud) = cloud {
        out.extend(check_issuer_cloud(issuer, cloud));
    }
    out
}

/// An Entra issuer of another cloud than the provider's: a managed identity's token
/// carries its own cloud's issuer, and cross-cloud federation is not supported. Plan runs
/// this alone once the provider's cloud is known.
pub fn check_issuer_cloud(issuer: &str, cloud: Cloud) -> Option<Finding> {
    let host_cloud = issuer_cloud(issuer.trim())?;
    (cloud != host_cloud).then(|| {
        Finding::error(
            "issuer",
            "issuer.cross_cloud",
            "the issuer belongs to another cloud",
            format!(
                "Got {} ({} cloud) while the provider's environment is {}. Cross-cloud federation is not supported.",
                quote(issuer),
                host_cloud.name(),
                cloud.name()
            ),
        )
    })
}

/// Whether `issuer` is issued by Entra ID (any cloud, v1 or v2 form).
/// An issuer a managed identity's token can carry, exactly as Entra writes it: the
/// configuration may name its subject by `managed_identity_principal_id` without an error.
pub fn is_identity_issuer(issuer: &str) -> bool {
    issuer == issuer.trim()
        && check_issuer_basics(issuer).is_empty()
        && check_issuer_for_identity(issuer, None).is_empty()
}

pub fn is_entra_issuer(issuer: &str) -> bool {
    is_v1_issuer(issuer) || issuer_cloud(issuer).is_some()
}

pub(super) fn is_v1_issuer(issuer: &str) -> bool {
    host_of(issuer).is_some_and(|h| {
        h.eq_ignore_ascii_case("sts.windows.net") || h.eq_ignore_ascii_case("sts.chinacloudapi.cn")
    })
}

pub(super) fn issuer_cloud(issuer: &str) -> Option<Cloud> {
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
