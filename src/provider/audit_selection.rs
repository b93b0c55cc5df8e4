//! Which credentials `entra_mi_federated_credentials` audits: one application's, every
//! credential trusting one managed identity, or the whole tenant's — the selectors'
//! rules (pure, table-tested) and the Graph reads behind each.
//!
//! Tenant-wide and per-identity reads page through Graph's application list with the
//! credentials expanded ([`GraphClient::application_credentials_page`]): a few pages, never
//! one request per application. A page that fails ends the read with an error, never a
//! shorter list.

use super::client::EntraClient;
use crate::entra::graph::{AppRef, FederatedCredential, GraphClient, GraphError};
use crate::entra::queries::{ApplicationCredentials, ApplicationScope};
use crate::entra::retry::Deadline;
use crate::framework::Diagnostics;
use crate::rules::{fic, guid, Finding, Input};

/// What the audit covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// One application's credentials, whatever their issuer.
    Application(AppRef),
    /// Every credential in the tenant whose subject is this principal id, with an Entra
    /// issuer.
    Identity(String),
    /// The whole tenant: credentials with an Entra issuer, or every one with `all_issuers`.
    Tenant { all_issuers: bool },
}

/// The configured selectors.
#[derive(Debug, Clone, Copy)]
pub struct Selectors<'a> {
    pub application_object_id: Input<&'a str>,
    pub application_client_id: Input<&'a str>,
    pub managed_identity_principal_id: Input<&'a str>,
    pub all_issuers: Input<bool>,
}

impl Selectors<'_> {
    /// At most one of the three selectors, each a GUID; `all_issuers` only tenant-wide.
    pub fn check(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let set: Vec<&'static str> = [
            ("application_object_id", self.application_object_id),
            ("application_client_id", self.application_client_id),
            (
                "managed_identity_principal_id",
                self.managed_identity_principal_id,
            ),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_set())
        .map(|(name, _)| name)
        .collect();
        if let [first, second, ..] = set.as_slice() {
            out.push(Finding::error(
                second,
                "selector.at_most_one",
                format!("{first} and {second} conflict"),
                "Set at most one of application_object_id, application_client_id (one application) and managed_identity_principal_id (every credential trusting that identity); set none to audit the whole tenant.",
            ));
        }
        if let Input::Known(id) = self.application_object_id {
            out.extend(guid::check(
                "application_object_id",
                id,
                "the application's object id",
            ));
        }
        if let Input::Known(id) = self.application_client_id {
            out.extend(guid::check(
                "application_client_id",
                id,
                "the application (client) id, the appId",
            ));
        }
        if let Input::Known(id) = self.managed_identity_principal_id {
            out.extend(fic::check_principal_id(id));
        }
        if self.all_issuers == Input::Known(true) && !set.is_empty() {
            out.push(Finding::error(
                "all_issuers",
                "all_issuers.tenant_only",
                "all_issuers applies to the whole tenant only",
                format!("Remove all_issuers, or remove {} to audit the whole tenant: one application's credentials are listed whatever their issuer, and a managed identity can only use credentials with an Entra issuer.", set.join(" and ")),
            ));
        }
        out
    }

    /// The selection, when every selector is known and they do not conflict.
    pub fn selection(&self) -> Option<Selection> {
        use Input::{Known, Null};
        let all_issuers = match self.all_issuers {
            Null => false,
            Known(b) => b,
            Input::Unknown => return None,
        };
        match (
            self.application_object_id,
            self.application_client_id,
            self.managed_identity_principal_id,
        ) {
            (Known(o), Null, Null) => Some(Selection::Application(AppRef::ObjectId(o.into()))),
            (Null, Known(c), Null) => Some(Selection::Application(AppRef::ClientId(c.into()))),
            (Null, Null, Known(p)) => Some(Selection::Identity(p.into())),
            (Null, Null, Null) => Some(Selection::Tenant { all_issuers }),
            _ => None,
        }
    }
}

/// Whether a credential found by a tenant-wide or per-identity read is listed.
pub fn keep(selection: &Selection, c: &FederatedCredential) -> bool {
    let entra = fic::is_entra_issuer(c.issuer.trim());
    match selection {
        Selection::Application(_) => true,
        // Graph compares GUIDs regardless of case; a credential whose subject differs only
        // in case is listed, and its findings say why it would not match.
        Selection::Identity(p) => entra && c.subject.trim().eq_ignore_ascii_case(p),
        Selection::Tenant { all_issuers } => *all_issuers || entra,
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
    selection: &Selection,
    d: &Deadline,
) -> Result<Vec<Listed>, Diagnostics> {
    let mut out = match selection {
        Selection::Application(app) => read_application(client, g, app, d).await?,
        Selection::Identity(p) => {
            read_pages(
                g,
                selection,
                &ApplicationScope::TrustingSubject(p.clone()),
                d,
            )
            .await?
        }
        Selection::Tenant { .. } => read_pages(g, selection, &ApplicationScope::Tenant, d).await?,
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
    app: &AppRef,
    d: &Deadline,
) -> Result<Vec<Listed>, Diagnostics> {
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
    selection: &Selection,
    scope: &ApplicationScope,
    d: &Deadline,
) -> Result<Vec<Listed>, Diagnostics> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0usize;
    loop {
        let page = g
            .application_credentials_page(scope, next.as_deref(), d)
            .await
            .map_err(|e| page_failed(scope, pages, &e))?;
        pages += 1;
        for a in page.applications {
            out.extend(listed(selection, a));
        }
        match page.next {
            Some(link) => next = Some(link),
            None => return Ok(out),
        }
    }
}

fn listed(selection: &Selection, a: ApplicationCredentials) -> Vec<Listed> {
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
    use Input::{Known, Null, Unknown};

    const G: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02";

    fn sel<'a>(
        o: Input<&'a str>,
        c: Input<&'a str>,
        p: Input<&'a str>,
        all: Input<bool>,
    ) -> Selectors<'a> {
        Selectors {
            application_object_id: o,
            application_client_id: c,
            managed_identity_principal_id: p,
            all_issuers: all,
        }
    }

    #[test]
    fn at_most_one_selector() {
        // (selectors, rules broken, selection)
        let cases = [
            (
                sel(Null, Null, Null, Null),
                vec![],
                Some(Selection::Tenant { all_issuers: false }),
            ),
            (
                sel(Null, Null, Null, Known(true)),
                vec![],
                Some(Selection::Tenant { all_issuers: true }),
            ),
            (
                sel(Known(G), Null, Null, Null),
                vec![],
                Some(Selection::Application(AppRef::ObjectId(G.into()))),
            ),
            (
                sel(Null, Known(G), Null, Known(false)),
                vec![],
                Some(Selection::Application(AppRef::ClientId(G.into()))),
            ),
            (
                sel(Null, Null, Known(G), Null),
                vec![],
                Some(Selection::Identity(G.into())),
            ),
            (
                sel(Known(G), Known(G), Null, Null),
                vec!["selector.at_most_one"],
                None,
            ),
            (
                sel(Known(G), Null, Known(G), Null),
                vec!["selector.at_most_one"],
                None,
            ),
            (
                sel(Null, Null, Known(G), Known(true)),
                vec!["all_issuers.tenant_only"],
                Some(Selection::Identity(G.into())),
            ),
            (
                sel(Known("nope"), Null, Null, Null),
                vec!["guid"],
                Some(Selection::Application(AppRef::ObjectId("nope".into()))),
            ),
            (
                sel(Null, Null, Known("nope"), Null),
                vec!["guid"],
                Some(Selection::Identity("nope".into())),
            ),
            (sel(Unknown, Null, Null, Null), vec![], None),
            (sel(Null, Null, Null, Unknown), vec![], None),
        ];
        for (s, rules, selection) in cases {
            let got: Vec<&str> = s.check().iter().map(|f| f.rule).collect();
            assert_eq!(got, rules, "{s:?}");
            assert_eq!(s.selection(), selection, "{s:?}");
        }
    }

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
        let identity = Selection::Identity(G.into());
        let tenant = Selection::Tenant { all_issuers: false };
        let everything = Selection::Tenant { all_issuers: true };
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
            (&tenant, c(entra, "anything"), true),
            (&tenant, c(github, "repo:o/r:ref:refs/heads/main"), false),
            (&everything, c(github, "repo:o/r:ref:refs/heads/main"), true),
            (
                &Selection::Application(AppRef::ObjectId(G.into())),
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
