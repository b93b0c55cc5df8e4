//! The provider's settings once resolved: every value from the configuration or, when
//! the configuration leaves it null, from its environment variables. The provider
//! fills this in at Configure (`provider::config::resolve`); sign-in and the clients
//! read it, never the environment variables the attributes stand for.

use crate::cloud::Cloud;

use super::Secret;

/// The provider settings after environment fallbacks, typed.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The home tenant (GUID or domain name).
    pub tenant_id: Option<String>,
    /// The app the provider signs in as; with `use_msi` alone, the identity's client id.
    pub client_id: Option<String>,
    /// A file holding `client_id`.
    pub client_id_file_path: Option<String>,
    /// Client secret sign-in.
    pub client_secret: Option<Secret>,
    /// A file holding the client secret.
    pub client_secret_file_path: Option<String>,
    /// A PEM or PKCS#12 file for certificate sign-in.
    pub client_certificate_path: Option<String>,
    /// The PKCS#12 file's password.
    pub client_certificate_password: Option<Secret>,
    /// Sign in with an external OIDC token.
    pub use_oidc: bool,
    /// The OIDC token itself.
    pub oidc_token: Option<Secret>,
    /// A file holding the OIDC token, re-read on every sign-in.
    pub oidc_token_file_path: Option<String>,
    /// GitHub Actions / Azure DevOps URL to request the OIDC token from.
    pub oidc_request_url: Option<String>,
    /// The bearer token for `oidc_request_url`.
    pub oidc_request_token: Option<Secret>,
    /// AKS workload identity (client, tenant and token file from the webhook's variables).
    pub use_aks_workload_identity: bool,
    /// Sign in to Graph as the managed identity itself.
    pub use_msi: bool,
    /// Sign in as `client_id` with a managed identity token as the client assertion.
    pub use_msi_fic: bool,
    /// Which user-assigned managed identity (its client id).
    pub msi_client_id: Option<String>,
    /// Fall back to the Azure CLI (default `true`).
    pub use_cli: bool,
    /// A ready Graph bearer token.
    pub access_token: Option<Secret>,
    /// The cloud's name as configured, also when it names no cloud (validation reports
    /// that); `None` when not set.
    pub environment: Option<String>,
    /// The cloud `environment` names; the public cloud when unset or unrecognised.
    pub cloud: Cloud,
    /// Where sign-in requests go: the `authority_host` override (without a trailing
    /// slash) or the cloud's sign-in host.
    pub authority_host: String,
    /// Where Graph requests go: the `graph_endpoint` override (without a trailing
    /// slash) or the cloud's Graph host.
    pub graph_endpoint: String,
    /// Overrides the managed identity token URL.
    pub msi_endpoint: Option<String>,
    /// Attributes whose value was unknown at Configure (a plan with unknown provider
    /// configuration); their fields hold no value.
    pub unknown: Vec<&'static str>,
}

impl Default for Settings {
    /// Nothing configured: the public cloud, the Azure CLI allowed.
    fn default() -> Self {
        let cloud = Cloud::default();
        Settings {
            tenant_id: None,
            client_id: None,
            client_id_file_path: None,
            client_secret: None,
            client_secret_file_path: None,
            client_certificate_path: None,
            client_certificate_password: None,
            use_oidc: false,
            oidc_token: None,
            oidc_token_file_path: None,
            oidc_request_url: None,
            oidc_request_token: None,
            use_aks_workload_identity: false,
            use_msi: false,
            use_msi_fic: false,
            msi_client_id: None,
            use_cli: true,
            access_token: None,
            environment: None,
            cloud,
            authority_host: cloud.authority_host().to_string(),
            graph_endpoint: cloud.graph_endpoint().to_string(),
            msi_endpoint: None,
            unknown: Vec::new(),
        }
    }
}

impl Settings {
    /// Whether every attribute was known at Configure.
    pub fn is_known(&self) -> bool {
        self.unknown.is_empty()
    }

    /// The token exchange audience of the configured cloud.
    pub fn exchange_audience(&self) -> &'static str {
        self.cloud.token_exchange_audience()
    }
}

/// A boolean from an environment variable: `true`, `1` or `yes` in any case.
pub fn parse_flag(value: &str) -> bool {
    matches!(value.to_ascii_lowercase().as_str(), "true" | "1" | "yes")
}
