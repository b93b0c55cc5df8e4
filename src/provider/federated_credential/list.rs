//! The list resource `entra_mi_federated_credential` (Terraform >= 1.14, `terraform query`):
//! the credentials that exist, by the selectors of the audit data source, each with its
//! resource identity, a display name and, when asked, the state an import would give, so
//! `terraform query -generate-config-out` writes blocks that plan as imports only.

use async_trait::async_trait;

use super::model::{AppIds, FicModel};
use super::schema::TYPE_NAME;
use crate::entra::graph::GraphClient;
use crate::entra::queries::ApplicationScope;
use crate::entra::retry::Deadline;
use crate::framework::{
    Block, Ctx, Declaration, Diagnostics, ListRequest, ListResource, ListResult, ListResults,
    Schema,
};
use crate::provider::audit_selection::{self, Listed, PageCursor};
use crate::provider::client::EntraClient;
use crate::provider::selector::{self, Selector, SelectorModel};

/// How long one listing may take, throttling included.
const LIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5 * 60);

pub struct CredentialsList;

#[async_trait]
impl ListResource for CredentialsList {
    fn declaration(&self) -> Declaration {
        let mut block = Block::new("Which federated identity credentials to list: one application (`application_object_id` or `application_client_id`), every application that trusts one managed identity (`managed_identity_principal_id`), or, with none of them, the whole tenant (credentials with an Entra issuer; all of them with `all_issuers = true`).");
        for a in selector::attributes() {
            block = block.attribute(a);
        }
        Declaration::new(TYPE_NAME, Schema::new(0, block), |config, _| {
            SelectorModel::from_value(config).validate()
        })
    }

    async fn list(&self, req: ListRequest<'_>, results: &ListResults, ctx: &Ctx) -> Diagnostics {
        let model = SelectorModel::from_value(req.config);
        let Some(selection) = model.selector() else {
            return model.validate();
        };
        let client = match EntraClient::from_ctx(ctx) {
            Ok(c) => c,
            Err(d) => return d,
        };
        let graph = match client.graph().await {
            Ok(g) => g,
            Err(e) => return Diagnostics::from_error("Cannot sign in to Microsoft Graph", e),
        };
        let d = Deadline::after(LIST_TIMEOUT, ctx.cancel.clone());
        let listing = Listing {
            client: &client,
            graph: &graph,
            deadline: &d,
            results,
            include_resource_object: req.include_resource_object,
        };
        match audit_selection::scope_of(&selection) {
            None => listing.application(&selection).await,
            Some(scope) => listing.pages(&selection, &scope).await,
        }
    }
}

/// One listing in progress.
struct Listing<'a> {
    client: &'a EntraClient,
    graph: &'a GraphClient,
    deadline: &'a Deadline,
    results: &'a ListResults,
    include_resource_object: bool,
}

impl Listing<'_> {
    /// One application's credentials, whatever their issuer (the audit's read).
    async fn application(&self, selection: &Selector) -> Diagnostics {
        let listed =
            match audit_selection::read(self.client, self.graph, selection, self.deadline).await {
                Ok(l) => l,
                Err(d) => return d,
            };
        for l in &listed {
            if !self.send(l).await {
                break;
            }
        }
        Diagnostics::new()
    }

    /// Every application that trusts one identity, or the whole tenant: page by page, each
    /// page's credentials sent before the next page is asked for, until Terraform's limit.
    async fn pages(&self, selection: &Selector, scope: &ApplicationScope) -> Diagnostics {
        let mut cursor = PageCursor::default();
        loop {
            let listed = match cursor
                .next(self.graph, selection, scope, self.deadline)
                .await
            {
                Ok(Some(l)) => l,
                Ok(None) => return Diagnostics::new(),
                Err(d) => return d,
            };
            for l in &listed {
                if !self.send(l).await {
                    return Diagnostics::new();
                }
            }
        }
    }

    /// Sends one credential; `false` when no more are wanted.
    async fn send(&self, l: &Listed) -> bool {
        let app = AppIds::from_graph(&l.application_object_id, &l.application_client_id);
        let c = &l.credential;
        let state = FicModel::from_graph(&app, c, FicModel::imported_principal(c), None);
        let display = if l.application_display_name.is_empty() {
            &app.object_id
        } else {
            &l.application_display_name
        };
        self.results
            .send(ListResult {
                identity: state.identity(),
                display_name: format!("{display} / {}", c.name),
                resource_object: self.include_resource_object.then(|| state.to_value()),
            })
            .await
    }
}
