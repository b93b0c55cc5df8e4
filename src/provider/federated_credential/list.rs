//! The list resource `entra_mi_federated_credential` (Terraform >= 1.14, `terraform query`):
//! the credentials that exist, by the selectors of the audit data source, each with its
//! resource identity, a display name and, when asked, the state an import would give, so
//! `terraform query -generate-config-out` writes blocks that plan as imports only.

use async_trait::async_trait;

use super::model::{AppIds, FicModel};
use super::schema::TYPE_NAME;
use crate::entra::graph::{AppRef, FederatedCredential, GraphClient};
use crate::entra::retry::Deadline;
use crate::framework::{
    Block, Ctx, Declaration, Diagnostics, ListRequest, ListResource, ListResult, ListResults,
    Schema,
};
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
        match selection {
            Selector::Application(app) => listing.application(&app).await,
            other => listing.tenant(&other).await,
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
    /// One application's credentials, whatever their issuer.
    async fn application(&self, app: &AppRef) -> Diagnostics {
        let found = match self
            .client
            .application(self.graph, app, self.deadline)
            .await
        {
            Ok(a) => a,
            Err(e) => {
                let (summary, detail) = e.headed("Cannot read the application");
                return Diagnostics::from_error(summary, detail);
            }
        };
        let ids = AppIds {
            object_id: found.id.to_ascii_lowercase(),
            client_id: found.app_id.to_ascii_lowercase(),
        };
        let by_id = AppRef::ObjectId(ids.object_id.clone());
        let credentials = match self.graph.list_credentials(&by_id, self.deadline).await {
            Ok(c) => c,
            Err(e) => {
                let (summary, detail) =
                    e.headed("Cannot list the application's federated identity credentials");
                return Diagnostics::from_error(summary, detail);
            }
        };
        let display = found.display_name.unwrap_or_else(|| ids.object_id.clone());
        for c in &credentials {
            if !self.send(&ids, &display, c).await {
                break;
            }
        }
        Diagnostics::new()
    }

    /// Sends one credential; `false` when no more are wanted.
    async fn send(&self, app: &AppIds, display_name: &str, c: &FederatedCredential) -> bool {
        let state = FicModel::from_graph(app, c, FicModel::imported_principal(c), None);
        self.results
            .send(ListResult {
                identity: state.identity(),
                display_name: format!("{display_name} / {}", c.name),
                resource_object: self.include_resource_object.then(|| state.to_value()),
            })
            .await
    }
}

impl Listing<'_> {
    /// Every application that trusts one identity, or the whole tenant.
    async fn tenant(&self, _selection: &Selector) -> Diagnostics {
        Diagnostics::from_error(
            "Not available yet",
            "Listing across the tenant needs Graph's application pages (in progress).",
        )
    }
}
