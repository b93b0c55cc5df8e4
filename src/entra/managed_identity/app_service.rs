//! App Service, Functions and Container Apps: `IDENTITY_ENDPOINT` with the
//! `IDENTITY_HEADER` secret, and their own names for object and resource ids.

use super::{query, Identity};
use crate::entra::Secret;

pub(super) fn request(
    http: &reqwest::Client,
    endpoint: &str,
    header: &Secret,
    identity: &Identity,
    resource: &str,
) -> reqwest::RequestBuilder {
    let id = identity.param("principal_id", "mi_res_id");
    http.get(endpoint)
        .query(&query(Some("2019-08-01"), resource, id))
        .header("X-IDENTITY-HEADER", header.expose())
}
