//! Graph's queries over many objects: paging through the tenant's applications with their
//! federated identity credentials expanded, and the advanced query (lambda `$filter`,
//! `$count=true`, `ConsistencyLevel: eventual`) that narrows them to one subject.
//!
//! Also the reads that answer many applications of one run at once: by object id
//! (`id in (…)`, up to [`IN_FILTER_MAX`] per request) and, for a run that plans many
//! credentials, the tenant's applications in at most [`APP_LISTING_PAGES`] pages.
//!
//! Kept apart from [`super::graph`], which holds the per-application calls, so that
//! paging, expansions and advanced queries grow here.

use serde::Deserialize;

use super::graph::{parse, FederatedCredential, GraphClient, GraphError, GraphErrorKind};
use super::retry::Deadline;
use super::service_principals::IN_FILTER_MAX;

/// Objects per page with `$expand` on directory objects: Graph returns at most 100
/// whatever `$top` asks (a documented known issue of `$expand`).
pub const EXPANDED_PAGE: usize = 100;

/// Pages of the tenant's applications read at most (1,000 applications): in a larger
/// tenant, the applications of later pages are asked by id (in batches) instead.
pub const APP_LISTING_PAGES: usize = 10;

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

impl From<ExpandedApplication> for ApplicationCredentials {
    fn from(a: ExpandedApplication) -> Self {
        ApplicationCredentials {
            object_id: a.id,
            client_id: a.app_id,
            display_name: a.display_name.unwrap_or_default(),
            credentials: a.federated_identity_credentials,
        }
    }
}

/// What every read of applications here asks for: ids, name and the credentials.
const EXPANDED: &str = "$select=id,appId,displayName&$expand=federatedIdentityCredentials";

/// The header Graph requires on an advanced query.
const EVENTUAL: (&str, &str) = ("ConsistencyLevel", "eventual");

impl ApplicationScope {
    /// The query string of the first page (after `?`).
    fn first_query(&self) -> String {
        let base = EXPANDED;
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
            applications: page.value.into_iter().map(Into::into).collect(),
            next: page.next_link,
        })
    }

    /// The applications among `object_ids` (at most [`IN_FILTER_MAX`]) with their
    /// credentials, in one request (`id in (…)`, not an advanced query). Graph leaves out
    /// what it does not show: an id that does not exist, has not replicated yet, or that
    /// the signed-in principal may not read.
    pub async fn applications_by_object_id(
        &self,
        object_ids: &[&str],
        d: &Deadline,
    ) -> Result<Vec<ApplicationCredentials>, GraphError> {
        let ids = &object_ids[..object_ids.len().min(IN_FILTER_MAX)];
        let list: Vec<String> = ids
            .iter()
            .map(|v| format!("'{}'", v.replace('\'', "''")))
            .collect();
        let filter = query_value(&format!("id in ({})", list.join(",")));
        let url = format!("{}/applications?{EXPANDED}&$filter={filter}", self.base);
        let found: Vec<ExpandedApplication> = self.get_all(url, d).await?;
        Ok(found.into_iter().map(Into::into).collect())
    }

    /// The applications the signed-in principal may read, with their credentials: all
    /// of them when they fit in [`APP_LISTING_PAGES`] pages of [`EXPANDED_PAGE`], else
    /// those of the first pages (the rest is not read). The flag says which.
    pub async fn tenant_applications(
        &self,
        d: &Deadline,
    ) -> Result<(Vec<ApplicationCredentials>, bool), GraphError> {
        let url = format!("{}/applications?{EXPANDED}&$top={EXPANDED_PAGE}", self.base);
        let (found, complete): (Vec<ExpandedApplication>, bool) =
            self.first_pages(url, APP_LISTING_PAGES, d).await?;
        Ok((found.into_iter().map(Into::into).collect(), complete))
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
