//! The `entra` provider: configuration, `entra_mi_federated_credential`,
//! `entra_mi_access_token` (data source and ephemeral resource), and the audit data
//! source `entra_mi_federated_credentials`.

pub mod access_token;
pub mod app_lookup;
pub mod audit_selection;
pub mod client;
pub mod config;
pub mod credentials_audit;
pub mod federated_credential;
mod findings;
pub mod lookup_batch;
pub mod model;
pub mod pending_trusts;
pub mod plan_reads;
pub mod planned_set;
pub mod principal_lookup;
pub mod selector;

use std::sync::Arc;

use async_trait::async_trait;

use crate::codec::Value;
use crate::framework::{
    Ctx, DataSource, Diagnostics, EphemeralResource, ListResource, ProviderData, ProviderDef,
    Resource, Schema, Server,
};

pub struct EntraProvider;

#[async_trait]
impl ProviderDef for EntraProvider {
    fn schema(&self) -> Schema {
        config::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        config::validate(config)
    }

    async fn configure(&self, config: &Value, _ctx: &Ctx) -> Result<ProviderData, Diagnostics> {
        let env = |k: &str| std::env::var(k).ok();
        let refused = config::check_env_endpoints(config, &env);
        if refused.has_errors() {
            return Err(refused);
        }
        let settings = config::resolve(config, &env);
        if !settings.is_known() {
            tracing::debug!(unknown = ?settings.unknown, "provider configuration not fully known yet; Graph calls wait for apply");
        }
        let client = client::EntraClient::new(settings)
            .map_err(|e| Diagnostics::from_error("Cannot configure the entra provider", e))?;
        Ok(Arc::new(client))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(federated_credential::FederatedCredentialResource)]
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        vec![Arc::new(federated_credential::CredentialsList)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![
            Arc::new(access_token::AccessTokenDataSource),
            Arc::new(credentials_audit::FederatedCredentialsDataSource),
        ]
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn EphemeralResource>> {
        vec![Arc::new(access_token::AccessTokenEphemeral)]
    }
}

/// The gRPC service the plugin binary serves.
pub fn new_server() -> Server {
    Server::new(EntraProvider)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{check_schema, SchemaKind};

    /// Every schema the provider serves keeps Terraform's rules, so a broken one fails
    /// here rather than in a user's `terraform init`.
    #[test]
    fn every_schema_follows_terraform_rules() {
        let p = EntraProvider;
        let mut schemas = vec![(SchemaKind::Provider, "provider", p.schema())];
        for r in p.resources() {
            let d = r.declaration();
            schemas.push((SchemaKind::Resource, d.type_name, d.schema));
        }
        for r in p.data_sources() {
            let d = r.declaration();
            schemas.push((SchemaKind::DataSource, d.type_name, d.schema));
        }
        for r in p.ephemeral_resources() {
            let d = r.declaration();
            schemas.push((SchemaKind::EphemeralResource, d.type_name, d.schema));
        }
        assert_eq!(schemas.len(), 5);
        for (kind, name, schema) in schemas {
            assert_eq!(check_schema(kind, &schema), Vec::<String>::new(), "{name}");
        }
    }
}
