//! The provider block: its schema (SPEC §2), static validation, and the resolved
//! settings with environment fallbacks.

use crate::cloud::Cloud;
use crate::codec::Value;
use crate::framework::{AttrPath, Attribute, Block, Diagnostics, Schema};
use crate::rules::{endpoint, guid, token};

use super::model::get_str;

/// Each attribute with its environment variables, first set wins (SPEC §2).
pub const ENV_FALLBACKS: &[(&str, &[&str])] = &[
    ("tenant_id", &["ARM_TENANT_ID", "AZURE_TENANT_ID"]),
    ("client_id", &["ARM_CLIENT_ID", "AZURE_CLIENT_ID"]),
    ("client_id_file_path", &["ARM_CLIENT_ID_FILE_PATH"]),
    (
        "client_secret",
        &["ARM_CLIENT_SECRET", "AZURE_CLIENT_SECRET"],
    ),
    ("client_secret_file_path", &["ARM_CLIENT_SECRET_FILE_PATH"]),
    ("client_certificate_path", &["ARM_CLIENT_CERTIFICATE_PATH"]),
    (
        "client_certificate_password",
        &["ARM_CLIENT_CERTIFICATE_PASSWORD"],
    ),
    ("use_oidc", &["ARM_USE_OIDC"]),
    ("oidc_token", &["ARM_OIDC_TOKEN"]),
    ("oidc_token_file_path", &["ARM_OIDC_TOKEN_FILE_PATH"]),
    (
        "oidc_request_url",
        &[
            "ARM_OIDC_REQUEST_URL",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "SYSTEM_OIDCREQUESTURI",
        ],
    ),
    (
        "oidc_request_token",
        &[
            "ARM_OIDC_REQUEST_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "SYSTEM_ACCESSTOKEN",
        ],
    ),
    (
        "use_aks_workload_identity",
        &["ARM_USE_AKS_WORKLOAD_IDENTITY"],
    ),
    ("use_msi", &["ARM_USE_MSI"]),
    ("use_msi_fic", &["ARM_USE_MSI_FIC"]),
    ("msi_client_id", &["ARM_MSI_CLIENT_ID"]),
    ("use_cli", &["ARM_USE_CLI"]),
    ("access_token", &["ENTRA_ACCESS_TOKEN"]),
    ("environment", &["ARM_ENVIRONMENT"]),
    ("authority_host", &["AZURE_AUTHORITY_HOST"]),
    ("graph_endpoint", &["ARM_MSGRAPH_ENDPOINT"]),
    ("msi_endpoint", &["ARM_MSI_ENDPOINT"]),
];

pub fn env_vars_of(attribute: &str) -> &'static [&'static str] {
    ENV_FALLBACKS
        .iter()
        .find(|(a, _)| *a == attribute)
        .map(|(_, e)| *e)
        .unwrap_or(&[])
}

/// "`client_secret` (or ARM_CLIENT_SECRET / AZURE_CLIENT_SECRET)", for messages.
pub fn attribute_and_env(attribute: &str) -> String {
    let env = env_vars_of(attribute);
    if env.is_empty() {
        format!("`{attribute}`")
    } else {
        format!("`{attribute}` (or {})", env.join(" / "))
    }
}

fn s(name: &'static str, description: &str) -> Attribute {
    let env = env_vars_of(name);
    let text = if env.is_empty() {
        description.to_string()
    } else {
        format!(
            "{description} Environment: {}.",
            env.iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Attribute::string(name).optional().describe(text)
}

fn b(name: &'static str, description: &str) -> Attribute {
    let Attribute { description, .. } = s(name, description);
    Attribute::bool(name).optional().describe(description)
}

pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new("The `entra` provider manages Microsoft Entra ID federated identity credentials that let an app registration trust a user-assigned managed identity, and exchanges managed identity tokens for app tokens.")
            .attribute(s("tenant_id", "The home tenant (GUID or domain name)."))
            .attribute(s("client_id", "The application (client) id the provider signs in as (client secret, certificate, OIDC, `use_msi_fic`); with `use_msi` alone, the user-assigned identity's client id."))
            .attribute(s("client_id_file_path", "A file holding `client_id`."))
            .attribute(s("client_secret", "Client secret sign-in.").sensitive())
            .attribute(s("client_secret_file_path", "A file holding the client secret."))
            .attribute(s("client_certificate_path", "A PEM or PKCS#12 file for certificate sign-in."))
            .attribute(s("client_certificate_password", "The PKCS#12 file's password.").sensitive())
            .attribute(b("use_oidc", "Sign in with an external OIDC token (workload identity federation)."))
            .attribute(s("oidc_token", "The OIDC token.").sensitive())
            .attribute(s("oidc_token_file_path", "A file holding the OIDC token."))
            .attribute(s("oidc_request_url", "GitHub Actions / Azure DevOps URL to request the OIDC token from."))
            .attribute(s("oidc_request_token", "The bearer token for `oidc_request_url`.").sensitive())
            .attribute(b("use_aks_workload_identity", "AKS workload identity: reads `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`, re-reading the file as Kubernetes rotates it."))
            .attribute(b("use_msi", "Sign in to Graph as the managed identity itself."))
            .attribute(b("use_msi_fic", "Sign in as `client_id` with a managed identity token as the client assertion."))
            .attribute(s("msi_client_id", "Which user-assigned managed identity to use (its client id)."))
            .attribute(b("use_cli", "Use the Azure CLI (`az account get-access-token`) as the last resort. Defaults to `true`."))
            .attribute(s("access_token", "A ready Microsoft Graph bearer token, used as is (e.g. from the ephemeral `entra_mi_access_token`).").sensitive())
            .attribute(s("environment", "The cloud: `public` (default; alias `global`), `usgovernment` (`usgovernmentl4`), `dod` (`usgovernmentl5`) or `china`. Sets the sign-in host, the Graph host and the token exchange audience."))
            .attribute(s("authority_host", "Overrides the sign-in host, e.g. `https://login.microsoftonline.com`. Only changes where requests go, not the issuer."))
            .attribute(s("graph_endpoint", "Overrides the Microsoft Graph host, e.g. `https://graph.microsoft.com`."))
            .attribute(s("msi_endpoint", "Overrides the managed identity token URL (default IMDS `http://169.254.169.254/metadata/identity/oauth2/token`); App Service's `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` are detected automatically.")),
    )
}

/// Static checks of the provider block; unknown values are skipped.
pub fn validate(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(env) = get_str(config, "environment") {
        if Cloud::from_name(env).is_none() {
            d.error_at(
                AttrPath::attr("environment"),
                "environment must name an Entra cloud",
                format!("Got {env:?}; expected one of {}.", Cloud::NAMES.join(", ")),
            );
        }
    }
    for attr in [
        "authority_host",
        "graph_endpoint",
        "msi_endpoint",
        "oidc_request_url",
    ] {
        if let Some(url) = get_str(config, attr) {
            if let Some(f) = endpoint::check_endpoint(attr, url) {
                d.add(f.into());
            }
        }
    }
    if let Some(t) = get_str(config, "tenant_id") {
        if let Some(f) = token::check_tenant("tenant_id", t) {
            d.add(f.into());
        }
    }
    for attr in ["client_id", "msi_client_id"] {
        if let Some(id) = get_str(config, attr) {
            if !guid::is_guid(id) {
                d.error_at(
                    AttrPath::attr(attr),
                    format!("{attr} must be a GUID"),
                    format!("Expected an application (client) id like 00000000-0000-0000-0000-000000000000; got {id:?}."),
                );
            }
        }
    }
    d
}

/// The provider settings after environment fallbacks: each value known, or absent.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    values: std::collections::BTreeMap<&'static str, String>,
    /// Attributes whose value was unknown at configure time (plan with unknown config).
    pub unknown: Vec<&'static str>,
}

impl Settings {
    pub fn resolve(config: &Value, env: &dyn Fn(&str) -> Option<String>) -> Settings {
        let mut out = Settings::default();
        for (attr, vars) in ENV_FALLBACKS {
            match config.attr(attr) {
                Some(Value::String(s)) => {
                    out.values.insert(attr, s.clone());
                }
                Some(Value::Bool(b)) => {
                    out.values.insert(attr, b.to_string());
                }
                Some(Value::Unknown) => out.unknown.push(attr),
                _ => {
                    if let Some(v) = vars.iter().find_map(|k| env(k).filter(|v| !v.is_empty())) {
                        out.values.insert(attr, v);
                    }
                }
            }
        }
        out
    }

    pub fn get(&self, attribute: &str) -> Option<&str> {
        self.values.get(attribute).map(String::as_str)
    }

    pub fn flag(&self, attribute: &str) -> Option<bool> {
        self.get(attribute)
            .map(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
    }

    pub fn is_known(&self) -> bool {
        self.unknown.is_empty()
    }

    pub fn cloud(&self) -> Cloud {
        self.get("environment")
            .and_then(Cloud::from_name)
            .unwrap_or(Cloud::Public)
    }

    pub fn authority_host(&self) -> String {
        self.get("authority_host")
            .map(|h| h.trim_end_matches('/').to_string())
            .unwrap_or_else(|| self.cloud().authority_host().to_string())
    }

    pub fn graph_endpoint(&self) -> String {
        self.get("graph_endpoint")
            .map(|h| h.trim_end_matches('/').to_string())
            .unwrap_or_else(|| self.cloud().graph_endpoint().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{check_schema, SchemaKind};
    use std::collections::BTreeMap;

    #[test]
    fn schema_follows_terraform_rules() {
        assert_eq!(
            check_schema(SchemaKind::Provider, &schema()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn every_spec_attribute_is_in_the_schema() {
        let s = schema();
        for (attr, _) in ENV_FALLBACKS {
            assert!(s.attribute(attr).is_some(), "{attr}");
        }
        for sensitive in [
            "client_secret",
            "client_certificate_password",
            "oidc_token",
            "oidc_request_token",
            "access_token",
        ] {
            assert!(
                s.attribute(sensitive).is_some_and(|a| a.sensitive),
                "{sensitive}"
            );
        }
    }

    #[test]
    fn configuration_beats_environment_and_first_env_wins() {
        let mut m: BTreeMap<String, Value> = schema()
            .block
            .attributes
            .iter()
            .map(|a| (a.name.to_string(), Value::Null))
            .collect();
        m.insert("tenant_id".into(), Value::string("from-config"));
        m.insert("graph_endpoint".into(), Value::Unknown);
        let env = |k: &str| match k {
            "ARM_TENANT_ID" => Some("arm".to_string()),
            "ARM_CLIENT_ID" => Some(String::new()),
            "AZURE_CLIENT_ID" => Some("azure".to_string()),
            "ACTIONS_ID_TOKEN_REQUEST_URL" => Some("https://gh".to_string()),
            _ => None,
        };
        let s = Settings::resolve(&Value::Object(m), &env);
        assert_eq!(s.get("tenant_id"), Some("from-config"));
        assert_eq!(s.get("client_id"), Some("azure"));
        assert_eq!(s.get("oidc_request_url"), Some("https://gh"));
        assert_eq!(s.unknown, vec!["graph_endpoint"]);
        assert!(!s.is_known());
    }
}
