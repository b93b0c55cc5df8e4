//! Graph's queries over many objects: paging through the tenant's applications with their
//! federated identity credentials expanded, and the advanced query (lambda `$filter`,
//! `$count=true`, `ConsistencyLevel: eventual`) that narrows them to one subject.
//!
//! Kept apart from [`super::graph`], which holds the per-application calls, so that
//! paging, expansions and advanced queries grow here.

use serde::Deserialize;

use super::graph::{parse, FederatedCredential, GraphClient, GraphError, GraphErrorKind};
use super::retry::Deadline;

/// Which applications a tenant-wide read covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicationScope {
    /// Every application of the tenant.
    Tenant,
    /// The applications with a credential whose subject is this value (a managed
    /// identity's principal id).
    TrustingSubject(String),
}

/// One application with its federated identity credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationCredentials {
    /// The application object's id.
    pub object_id: String,
    /// The client id (`appId`).
    pub client_id: String,
    /// The display name (empty when Graph gave none).
    pub display_name: String,
    /// Every credential of the application (not only the ones matching the scope).
    pub credentials: Vec<FederatedCredential>,
}

/// One page of applications, and the link to the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationPage {
    /// The applications of this page.
    pub applications: Vec<ApplicationCredentials>,
    /// Graph's `@odata.nextLink`: pass it back for the next page; `None` on the last.
    pub next: Option<String>,
}

/// An application as Graph returns it with `$expand=federatedIdentityCredentials`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExpandedApplication {
    id: String,
    app_id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    federated_identity_credentials: Vec<FederatedCredential>,
}

#[derive(Deserialize)]
struct ExpandedPage {
    value: Vec<ExpandedApplication>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// The header Graph requires on an advanced query.
const EVENTUAL: (&str, &str) = ("ConsistencyLevel", "eventual");

impl ApplicationScope {
    /// The query string of the first page (after `?`).
    fn first_query(&self) -> String {
        let base = "$select=id,appId,displayName&$expand=federatedIdentityCredentials";
        match self {
            ApplicationScope::Tenant => base.to_string(),
            ApplicationScope::TrustingSubject(s) => format!(
                "{base}&$filter={}&$count=true",
                query_value(&subject_filter(s))
            ),
        }
    }

    /// Whether Graph treats the query as advanced (needs `ConsistencyLevel: eventual`).
    fn is_advanced(&self) -> bool {
        matches!(self, ApplicationScope::TrustingSubject(_))
    }
}

/// `federatedIdentityCredentials/any(f:f/subject eq '…')`, the value's quotes doubled as
/// OData escapes them.
pub(crate) fn subject_filter(subject: &str) -> String {
    format!(
        "federatedIdentityCredentials/any(f:f/subject eq '{}')",
        subject.replace('\'', "''")
    )
}

/// A query parameter's value, percent-encoded (spaces as `%20`, never `+`).
fn query_value(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// `next` when it points into this Graph: the bearer token goes with the request, so a
/// link elsewhere is refused rather than followed.
pub(crate) fn check_next_link(base: &str, next: &str) -> Result<(), GraphError> {
    if next.starts_with(&format!("{base}/")) {
        return Ok(());
    }
    Err(GraphError::new(
        GraphErrorKind::Malformed,
        format!("Graph's next page link {next} is not under {base}; it was not followed, so the bearer token stays with Graph"),
    ))
}

impl GraphClient {
    /// One page of applications with their credentials expanded; `next` = the previous
    /// page's next link (None for the first). Retries and the deadline as every Graph read.
    pub async fn application_credentials_page(
        &self,
        scope: &ApplicationScope,
        next: Option<&str>,
        d: &Deadline,
    ) -> Result<ApplicationPage, GraphError> {
        let url = match next {
            Some(link) => {
                check_next_link(&self.base, link)?;
                link.to_string()
            }
            None => format!("{}/applications?{}", self.base, scope.first_query()),
        };
        // The next link carries the query; the header must go with every page.
        let headers: &[(&'static str, &'static str)] = if scope.is_advanced() {
            &[EVENTUAL]
        } else {
            &[]
        };
        let body = self
            .send_with(reqwest::Method::GET, &url, None, headers, d)
            .await?;
        let page: ExpandedPage = parse(&body)?;
        Ok(ApplicationPage {
            applications: page
                .value
                .into_iter()
                .map(|a| ApplicationCredentials {
                    object_id: a.id,
                    client_id: a.app_id,
                    display_name: a.display_name.unwrap_or_default(),
                    credentials: a.federated_identity_credentials,
                })
                .collect(),
            next: page.next_link,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_escape_quotes() {
        let cases = [
            (
                "1f0c2b3a-0000-4000-8000-000000000001",
                "federatedIdentityCredentials/any(f:f/subject eq '1f0c2b3a-0000-4000-8000-000000000001')",
            ),
            (
                "it's",
                "federatedIdentityCredentials/any(f:f/subject eq 'it''s')",
            ),
        ];
        for (subject, want) in cases {
            assert_eq!(subject_filter(subject), want);
        }
    }

    #[test]
    fn first_queries() {
        assert_eq!(
            ApplicationScope::Tenant.first_query(),
            "$select=id,appId,displayName&$expand=federatedIdentityCredentials"
        );
        let q = ApplicationScope::TrustingSubject("a b'".into()).first_query();
        assert!(q.ends_with("&$count=true"), "{q}");
        assert!(
            q.contains("$filter=federatedIdentityCredentials%2Fany%28f%3Af%2Fsubject%20eq%20%27a%20b%27%27%27%29"),
            "{q}"
        );
        assert!(!ApplicationScope::Tenant.is_advanced());
    }

    #[test]
    fn next_links_stay_with_graph() {
        let base = "https://graph.microsoft.com/v1.0";
        assert!(check_next_link(
            base,
            "https://graph.microsoft.com/v1.0/applications?$skiptoken=x"
        )
        .is_ok());
        for bad in [
            "https://evil.example/v1.0/applications",
            "https://graph.microsoft.com/v1.0.evil.example/x",
            "https://graph.microsoft.com/beta/applications",
        ] {
            assert!(check_next_link(base, bad).is_err(), "{bad}");
        }
    }
}
