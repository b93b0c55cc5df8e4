//! What the provider's Configure produces for its resources: resolved settings, one HTTP
//! client, the managed identity source, and (on first use) the Graph client signed in
//! with the chosen method.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, OnceCell};

use super::config::{attribute_and_env, Settings};
use crate::entra::cloud::Cloud;
use crate::entra::credentials::{self, AuthConfig};
use crate::entra::graph::{FederatedCredential, GraphClient};
use crate::entra::managed_identity::{ManagedIdentity, Source};
use crate::entra::{http, jwt};

pub struct EntraClient {
    pub settings: Settings,
    pub http: reqwest::Client,
    pub mi: Arc<ManagedIdentity>,
    graph: OnceCell<Result<Arc<GraphClient>, String>>,
    apps: Mutex<HashMap<String, Arc<AppEntry>>>,
    /// Credentials whose replacement this plan contains: the create half of a replacement
    /// must not collide with the credential it replaces.
    pub replacing: Mutex<std::collections::HashSet<String>>,
    pub exchange: crate::entra::exchange::TokenExchange,
}

/// Per-application coordination: writes are serialised (Graph rejects concurrent
/// credential writes on one application) and reads share one list call.
#[derive(Default)]
pub struct AppEntry {
    /// Held while writing; holds the writer's view of the credentials.
    pub writer: Mutex<Option<Vec<FederatedCredential>>>,
    /// The last list, shared by concurrent reads; cleared by writes.
    pub listed: Mutex<Option<Arc<Vec<FederatedCredential>>>>,
}

impl EntraClient {
    pub fn new(settings: Settings) -> Result<EntraClient, String> {
        let http = http::client()?;
        let mi_http = http::managed_identity_client()?;
        let env = |k: &str| std::env::var(k).ok();
        let source = Source::detect(&env, settings.get("msi_endpoint"));
        let mi = Arc::new(ManagedIdentity::new(source, mi_http));
        let exchange = crate::entra::exchange::TokenExchange::new(http.clone(), mi.clone());
        Ok(EntraClient {
            settings,
            http,
            mi,
            graph: OnceCell::new(),
            apps: Mutex::new(HashMap::new()),
            replacing: Mutex::new(std::collections::HashSet::new()),
            exchange,
        })
    }

    pub fn cloud(&self) -> Cloud {
        self.settings.cloud()
    }

    /// The home tenant: configured, or read from a configured access token's `tid`.
    pub fn tenant(&self) -> Option<String> {
        self.settings
            .get("tenant_id")
            .map(str::to_string)
            .or_else(|| {
                let token = self.settings.get("access_token")?;
                jwt::claims(token).and_then(|c| jwt::claim_text(&c, "tid"))
            })
    }

    /// The Graph client, signed in on first use.
    pub async fn graph(&self) -> Result<Arc<GraphClient>, String> {
        self.graph
            .get_or_init(|| async {
                let settings = &self.settings;
                let get = |k: &str| settings.get(k).map(str::to_string);
                let env = |k: &str| std::env::var(k).ok();
                let describe = |a: &str| attribute_and_env(a);
                let cfg = AuthConfig {
                    get: &get,
                    env: &env,
                    describe: &describe,
                    authority_host: settings.authority_host(),
                    exchange_audience: self.cloud().token_exchange_audience().to_string(),
                    http: self.http.clone(),
                    managed_identity: self.mi.clone(),
                };
                let credential = credentials::build(&cfg)?;
                tracing::debug!(
                    method = credential.method(),
                    "signing in to Microsoft Graph"
                );
                Ok(Arc::new(GraphClient::new(
                    self.http.clone(),
                    &settings.graph_endpoint(),
                    self.cloud().graph_endpoint(),
                    credential,
                )))
            })
            .await
            .clone()
    }

    pub async fn app(&self, object_id: &str) -> Arc<AppEntry> {
        self.apps
            .lock()
            .await
            .entry(object_id.to_ascii_lowercase())
            .or_default()
            .clone()
    }
}
