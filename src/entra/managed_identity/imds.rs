//! The Azure Instance Metadata Service (VMs, scale sets, AKS nodes; pod identity's NMI
//! through `AZURE_POD_IDENTITY_AUTHORITY_HOST`): a GET with `Metadata: true`.

use reqwest::{Client, RequestBuilder};

use super::{Wanted, STANDARD_ID_NAMES};

/// IMDS's token URL, on its link-local address.
pub const IMDS_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// The token URL, on the host `AZURE_POD_IDENTITY_AUTHORITY_HOST` names if set.
pub(super) fn endpoint(pod_identity_host: Option<String>) -> String {
    match pod_identity_host {
        Some(host) => format!(
            "{}/metadata/identity/oauth2/token",
            host.trim_end_matches('/')
        ),
        None => IMDS_ENDPOINT.to_string(),
    }
}

pub(super) fn request(http: &Client, endpoint: &str, want: &Wanted) -> RequestBuilder {
    http.get(endpoint)
        .query(&want.query(Some("2018-02-01"), STANDARD_ID_NAMES))
        .header("Metadata", "true")
}
