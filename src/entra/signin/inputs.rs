//! What each sign-in method's constructor reads ([`Inputs`]) and answers ([`Applies`]):
//! apart from the chain that asks them, so the methods and the chain both depend on this
//! file and not on each other.

use std::cell::OnceCell;
use std::sync::Arc;

use super::{ClientApp, SignInMethod};
use crate::entra::managed_identity::ManagedIdentityClient;
use crate::entra::settings::Settings;

/// A method's answer to the settings.
pub enum Applies {
    /// Configured: sign in with this.
    Yes(Arc<dyn SignInMethod>),
    /// Not configured, and why (one line of the "nothing worked" list).
    No(String),
}

/// What choosing a sign-in method needs.
pub struct SignInConfig<'a> {
    /// The provider's settings.
    pub settings: &'a Settings,
    /// Process environment, for variables that are not provider attributes
    /// (`AZURE_FEDERATED_TOKEN_FILE`, `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `PATH`).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// An attribute with its environment variables, for messages: "`client_secret` (or
    /// ARM_CLIENT_SECRET / AZURE_CLIENT_SECRET)".
    pub describe: fn(&str) -> String,
    /// The client for sign-in requests.
    pub http: reqwest::Client,
    /// The host's managed identity endpoint.
    pub managed_identity: Arc<ManagedIdentityClient>,
}

/// What the constructors read: the configuration, and the client id (from
/// `client_id` or its file), read at most once and only when a method needs it.
pub struct Inputs<'a> {
    /// The configuration.
    pub config: &'a SignInConfig<'a>,
    client_id: OnceCell<Result<Option<String>, String>>,
}

impl<'a> Inputs<'a> {
    pub(super) fn new(config: &'a SignInConfig<'a>) -> Inputs<'a> {
        Inputs {
            config,
            client_id: OnceCell::new(),
        }
    }

    /// The provider's settings.
    pub fn settings(&self) -> &'a Settings {
        self.config.settings
    }

    /// `attr` with its environment variables, for messages.
    pub fn describe(&self, attr: &str) -> String {
        (self.config.describe)(attr)
    }

    /// An environment variable of the process.
    pub fn env(&self, name: &str) -> Option<String> {
        (self.config.env)(name)
    }

    /// The trimmed content of the file `path` that `attr` names, when set.
    pub fn read_file(&self, attr: &str, path: Option<&str>) -> Result<Option<String>, String> {
        match path {
            None => Ok(None),
            Some(path) => std::fs::read_to_string(path)
                .map(|s| Some(s.trim().to_string()))
                .map_err(|e| format!("cannot read {} ({path}): {e}", self.describe(attr))),
        }
    }

    /// `client_id`, or the content of `client_id_file_path`.
    pub fn client_id(&self) -> Result<Option<String>, String> {
        self.client_id
            .get_or_init(|| match &self.settings().client_id {
                Some(id) => Ok(Some(id.clone())),
                None => self.read_file(
                    "client_id_file_path",
                    self.settings().client_id_file_path.as_deref(),
                ),
            })
            .clone()
    }

    /// The app `method` signs in as: `client_id` in `tenant_id`, both required.
    pub fn app(&self, method: &str) -> Result<ClientApp, String> {
        let needs = |attr: &str| format!("{method} sign-in needs {}", self.describe(attr));
        let client_id = self.client_id()?.ok_or_else(|| needs("client_id"))?;
        let tenant = self
            .settings()
            .tenant_id
            .clone()
            .ok_or_else(|| needs("tenant_id"))?;
        Ok(self.app_for(client_id, tenant))
    }

    /// The app `client_id` in `tenant`.
    pub fn app_for(&self, client_id: String, tenant: String) -> ClientApp {
        ClientApp {
            http: self.config.http.clone(),
            authority_host: self.settings().authority_host.clone(),
            tenant,
            client_id,
        }
    }
}
