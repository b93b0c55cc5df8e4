//! Cloud Shell: `MSI_ENDPOINT`, a form POST without an API version.

use reqwest::{Client, RequestBuilder};

use super::{Wanted, STANDARD_ID_NAMES};

pub(super) fn request(http: &Client, endpoint: &str, want: &Wanted) -> RequestBuilder {
    let form = want.query(None, STANDARD_ID_NAMES);
    http.post(endpoint).header("Metadata", "true").form(&form)
}
