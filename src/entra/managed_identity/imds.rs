//! The Azure Instance Metadata Service (VMs, scale sets, AKS nodes; pod identity's NMI
//! through `AZURE_POD_IDENTITY_AUTHORITY_HOST`): a GET with `Metadata: true`.

use super::{query, Identity};

/// IMDS's token URL, on its link-local address.
pub const IMDS_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// The token URL when `AZURE_POD_IDENTITY_AUTHORITY_HOST` points elsewhere.
pub(super) fn endpoint(pod_identity_host: Option<String>) -> String {
    match pod_identity_host {
        Some(host) => format!(
            "{}/metadata/identity/oauth2/token",
            host.trim_end_matches('/')
        ),
        None => IMDS_ENDPOINT.to_string(),
    }
}

pub(super) fn request(
    http: &reqwest::Client,
    endpoint: &str,
    identity: &Identity,
    resource: &str,
) -> reqwest::RequestBuilder {
    http.get(endpoint)
        .query(&query(
            Some("2018-02-01"),
            resource,
            identity.standard_param(),
        ))
        .header("Metadata", "true")
}
