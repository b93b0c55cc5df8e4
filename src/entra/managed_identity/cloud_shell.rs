//! Cloud Shell: `MSI_ENDPOINT`, a form POST without an API version.

use super::{query, Identity};

pub(super) fn request(
    http: &reqwest::Client,
    endpoint: &str,
    identity: &Identity,
    resource: &str,
) -> reqwest::RequestBuilder {
    http.post(endpoint).header("Metadata", "true").form(&query(
        None,
        resource,
        identity.standard_param(),
    ))
}
