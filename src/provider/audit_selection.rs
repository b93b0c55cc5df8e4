//! The Graph reads behind each selection of `entra_mi_federated_credentials`
//! ([`Selector`], shared with the list resource): one application's credentials, every
//! credential trusting one managed identity, or the whole tenant's.
//!
//! Tenant-wide and per-identity reads page through Graph's application list with the
//! credentials expanded ([`GraphClient::application_credentials_page`]): a few pages, never
//! one request per application. A page that fails ends the read with an error, never a
//! shorter list.

use super::client::EntraClient;
use super::selector::Selector;
use crate::entra::graph::{AppRef, FederatedCredential, GraphClient, GraphError};
use crate::entra::ids::{AppKey, ObjectId};
use crate::entra::queries::{ApplicationCredentials, ApplicationScope};
use crate::entra::retry::Deadline;
use crate::framework::Diagnostics;
use crate::rules::fic;

/// Whether a credential found by a tenant-wide or per-identity read is listed.
pub fn keep(selection: &Selector, c: &FederatedCredential) -> bool {
    let entra = fic::is_entra_issuer(c.issuer.trim());
    match selection {
        Selector::Application(_) => true,
        // Graph compares GUIDs regardless of case; a credential whose subject differs only
        // in case is listed, and its findings say why it would not match.
        Selector::TrustingIdentity(p) => {
            entra && ObjectId::parse(c.subject.trim()).as_ref() == Some(p)
        }
        Selector::Tenant { all_issuers } => *all_issuers || entra,
    }
}

/// One listed credential with its application.
#[derive(Debug, Clone)]
pub struct Listed {
    pub application_object_id: String,
    pub application_client_id: String,
    pub application_display_name: String,
    pub credential: FederatedCredential,
}

/// The credentials `selection` covers, sorted by application (name, then id) and name.
pub async fn read(
    client: &EntraClient,
    g: &GraphClient,
    selection: &Selector,
    d: &Deadline,
) -> Result<Vec<Listed>, Diagnostics> {
    let mut out = match selection {
        Selector::Application(app) => read_application(client, g, app, d).await?,
        other => match scope_of(other) {
            Some(scope) => read_pages(g, selection, &scope, d).await?,
            None => Vec::new(),
        },
    };
    out.sort_by(|a, b| {
        (
            &a.application_display_name,
            &a.application_object_id,
            &a.credential.name,
        )
            .cmp(&(
                &b.application_display_name,
                &b.application_object_id,
                &b.credential.name,
            ))
    });
    Ok(out)
}

/// One application: its ids and name (shared with the rest of the run), and its list.
async fn read_application(
    client: &EntraClient,
    g: &GraphClient,
    app: &AppKey,
    d: &Deadline,
) -> Result<Vec<Listed>, Diagnostics> {
    let app = &AppRef::from(app);
    let failed = |e: GraphError| {
        let (summary, detail) =
            e.headed("Cannot list the application's federated identity credentials");
        Diagnostics::from_error(summary, detail)
    };
    let a = client.application(g, app, d).await.map_err(failed)?;
    let listed = g.list_credentials(app, d).await.map_err(failed)?;
    Ok(listed
        .into_iter()
        .map(|credential| Listed {
            application_object_id: a.id.clone(),
            application_client_id: a.app_id.clone(),
            application_display_name: a.display_name.clone().unwrap_or_default(),
            credential,
        })
        .collect())
}

/// Every page of `scope`, keeping what `selection` lists.
async fn read_pages(
    g: &GraphClient,
    selection: &Selector,
    scope: &ApplicationScope,
    d: &Deadline,
) -> Result<Vec<Listed>, Diagnostics> {
    let mut out = Vec::new();
    let mut cursor = PageCursor::default();
    while let Some(listed) = cursor.next(g, selection, scope, d).await? {
        out.extend(listed);
    }
    Ok(out)
}

/// The Graph scope that covers a tenant-wide or per-identity selection; `None` for one
/// application (read by its own list call).
pub fn scope_of(selection: &Selector) -> Option<ApplicationScope> {
    match selection {
        Selector::Application(_) => None,
        Selector::TrustingIdentity(p) => Some(ApplicationScope::TrustingSubject(p.to_string())),
        Selector::Tenant { .. } => Some(ApplicationScope::Tenant),
    }
}

/// Where a paged read stands: pages read so far and the next page's link. The list
/// resource reads page by page, so that results stream as Graph answers.
#[derive(Default)]
pub struct PageCursor {
    pages: usize,
    next: Option<String>,
    done: bool,
}

impl PageCursor {
    /// The credentials of the next page that `selection` lists; `None` after the last
    /// page. A page that fails is an error that says how many pages were read before.
    pub async fn next(
        &mut self,
        g: &GraphClient,
        selection: &Selector,
        scope: &ApplicationScope,
        d: &Deadline,
    ) -> Result<Option<Vec<Listed>>, Diagnostics> {
        if self.done {
            return Ok(None);
        }
        let page = g
            .application_credentials_page(scope, self.next.as_deref(), d)
            .await
            .map_err(|e| page_failed(scope, self.pages, &e))?;
        self.pages += 1;
        self.next = page.next;
        self.done = self.next.is_none();
        Ok(Some(
            page.applications
                .into_iter()
                .flat_map(|a| listed(selection, a))
                .collect(),
        ))
    }
}

fn listed(selection: &Selector, a: ApplicationCredentials) -> Vec<Listed> {
    let ApplicationCredentials {
        object_id,
        client_id,
        display_name,
        credentials,
    } = a;
    credentials
        .into_iter()
        .filter(|c| keep(selection, c))
        .map(|credential| Listed {
            application_object_id: object_id.clone(),
            application_client_id: client_id.clone(),
            application_display_name: display_name.clone(),
            credential,
        })
        .collect()
}

/// The error of a page that failed after `read` pages succeeded: the audit stops, so a
/// pipeline never passes on a shorter list.
fn page_failed(scope: &ApplicationScope, read: usize, e: &GraphError) -> Diagnostics {
    let what = match scope {
        ApplicationScope::Tenant => "the tenant's applications".to_string(),
        ApplicationScope::TrustingSubject(s) => format!("the applications trusting {s}"),
    };
    let attempted = format!(
        "Cannot list {what} with their federated identity credentials (page {} failed)",
        read + 1
    );
    let (summary, detail) = e.headed(&attempted);
    let detail = if read > 0 {
        format!("{detail}\n\nThe {read} page(s) read before are not reported: an incomplete audit could pass a check it should fail. Run it again.")
    } else {
        detail
    };
    Diagnostics::from_error(summary, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02";

    #[test]
    fn what_each_selection_lists() {
        let entra = "https://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0";
        let github = "https://token.actions.githubusercontent.com";
        let c = |issuer: &str, subject: &str| FederatedCredential {
            id: "i".into(),
            name: "n".into(),
            issuer: issuer.into(),
            subject: subject.into(),
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
        };
        let upper = G.to_ascii_uppercase();
        let g = ObjectId::parse(G).unwrap();
        let identity = Selector::TrustingIdentity(g.clone());
        let tenant = Selector::Tenant { all_issuers: false };
        let everything = Selector::Tenant { all_issuers: true };
        // (selection, credential, listed)
        let cases = [
            (&identity, c(entra, G), true),
            (&identity, c(entra, &upper), true),
            (
                &identity,
                c(entra, "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1"),
                false,
            ),
            (&identity, c(github, G), false),
            (&identity, c(entra, &format!(" {G} ")), true),
            (&identity, c(entra, "not-a-guid"), false),
            (&tenant, c(entra, "anything"), true),
            (&tenant, c(github, "repo:o/r:ref:refs/heads/main"), false),
            (&everything, c(github, "repo:o/r:ref:refs/heads/main"), true),
            (
                &Selector::Application(AppKey::Object(g)),
                c(github, "x"),
                true,
            ),
        ];
        for (s, cred, want) in cases {
            assert_eq!(keep(s, &cred), want, "{s:?} {cred:?}");
        }
    }

    #[test]
    fn a_failed_page_says_the_list_is_not_partial() {
        let e = GraphError::new(crate::entra::graph::GraphErrorKind::Server, "HTTP 500");
        let d = page_failed(&ApplicationScope::Tenant, 2, &e);
        let text = format!("{d:?}");
        assert!(
            text.contains("page 3 failed") && text.contains("not reported"),
            "{text}"
        );
    }
}
