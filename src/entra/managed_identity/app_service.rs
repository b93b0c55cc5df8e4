//! App Service, Functions and Container Apps: `IDENTITY_ENDPOINT` with the
//! `IDENTITY_HEADER` secret, and their own names for object and resource ids.

use reqwest::{Client, RequestBuilder};

use super::Wanted;
use crate::entra::Secret;

/// App Service's names for an identity's object id and resource id.
const ID_NAMES: (&str, &str) = ("principal_id", "mi_res_id");

pub(super) fn request(
    http: &Client,
    endpoint: &str,
    header: &Secret,
    want: &Wanted,
) -> RequestBuilder {
    http.get(endpoint)
        .query(&want.query(Some("2019-08-01"), ID_NAMES))
        .header("X-IDENTITY-HEADER", header.expose())
}
