//! The provider block: its schema, static validation, and its resolution into
//! [`Settings`] with environment fallbacks.

use crate::cloud::Cloud;
use crate::codec::Value;
use crate::entra::settings::parse_flag;
use crate::entra::Secret;
use crate::framework::{AttrPath, Attribute, Block, Diagnostics, Schema};
use crate::rules::{endpoint, guid, token};

use super::model::get_str;

pub use crate::entra::Settings;

/// Each attribute with its environment variables: when the configuration leaves the
/// attribute null, the first variable set (and not empty) gives its value.
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

/// The environment variables standing in for `attribute`.
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

/// The provider block's schema.
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
    for attr in ENDPOINTS {
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
    let ids = [
        (
            "client_id",
            "the application (client) id the provider signs in as",
        ),
        (
            "msi_client_id",
            "the user-assigned managed identity's client id",
        ),
    ];
    for (attr, what) in ids {
        if let Some(f) = get_str(config, attr).and_then(|id| guid::check(attr, id, what)) {
            d.add(f.into());
        }
    }
    d
}

/// The attributes whose value receives credentials or tokens: https only, except on the
/// local machine.
const ENDPOINTS: [&str; 4] = [
    "authority_host",
    "graph_endpoint",
    "msi_endpoint",
    "oidc_request_url",
];

/// The endpoint rule for values taken from environment variables, which validation (it
/// sees only the configuration) cannot check: at configure, one error per variable that
/// would send a secret or a token over plain http to another machine.
pub fn check_env_endpoints(config: &Value, env: &dyn Fn(&str) -> Option<String>) -> Diagnostics {
    let mut d = Diagnostics::new();
    for attr in ENDPOINTS {
        if config.attr(attr).is_some_and(|v| !v.is_null()) {
            continue; // validated as an attribute
        }
        let Some((var, url)) = env_vars_of(attr)
            .iter()
            .find_map(|var| env(var).filter(|v| !v.is_empty()).map(|v| (*var, v)))
        else {
            continue;
        };
        if let Some(f) = endpoint::check_endpoint(attr, &url) {
            d.error(
                format!("{var} (for {attr}) is refused: {}", f.summary),
                format!("{} Set {var} to an https URL, or unset it.", f.detail),
            );
        }
    }
    d
}

/// The settings from the provider block, each null attribute falling back to its
/// environment variables. An unknown attribute (a plan with unknown provider
/// configuration) is listed in [`Settings::unknown`] and takes no value.
pub fn resolve(config: &Value, env: &dyn Fn(&str) -> Option<String>) -> Settings {
    let mut r = Resolver {
        config,
        env,
        unknown: Vec::new(),
    };
    let environment = r.text("environment");
    let cloud = environment
        .as_deref()
        .and_then(Cloud::from_name)
        .unwrap_or_default();
    let host = |h: Option<String>, default: &str| {
        h.map(|h| h.trim_end_matches('/').to_string())
            .unwrap_or_else(|| default.to_string())
    };
    Settings {
        tenant_id: r.text("tenant_id"),
        client_id: r.text("client_id"),
        client_id_file_path: r.text("client_id_file_path"),
        client_secret: r.secret("client_secret"),
        client_secret_file_path: r.text("client_secret_file_path"),
        client_certificate_path: r.text("client_certificate_path"),
        client_certificate_password: r.secret("client_certificate_password"),
        use_oidc: r.flag("use_oidc", false),
        oidc_token: r.secret("oidc_token"),
        oidc_token_file_path: r.text("oidc_token_file_path"),
        oidc_request_url: r.text("oidc_request_url"),
        oidc_request_token: r.secret("oidc_request_token"),
        use_aks_workload_identity: r.flag("use_aks_workload_identity", false),
        use_msi: r.flag("use_msi", false),
        use_msi_fic: r.flag("use_msi_fic", false),
        msi_client_id: r.text("msi_client_id"),
        use_cli: r.flag("use_cli", true),
        access_token: r.secret("access_token"),
        environment,
        cloud,
        authority_host: host(r.text("authority_host"), cloud.authority_host()),
        graph_endpoint: host(r.text("graph_endpoint"), cloud.graph_endpoint()),
        msi_endpoint: r.text("msi_endpoint"),
        unknown: r.unknown,
    }
}

/// Reads attributes from the configuration, else from their environment variables,
/// noting the unknown ones.
struct Resolver<'a> {
    config: &'a Value,
    env: &'a dyn Fn(&str) -> Option<String>,
    unknown: Vec<&'static str>,
}

impl Resolver<'_> {
    fn value(&mut self, attribute: &'static str) -> Option<Value> {
        match self.config.attr(attribute) {
            Some(Value::Unknown) => {
                self.unknown.push(attribute);
                None
            }
            Some(v @ (Value::String(_) | Value::Bool(_))) => Some(v.clone()),
            _ => env_vars_of(attribute)
                .iter()
                .find_map(|k| (self.env)(k).filter(|v| !v.is_empty()))
                .map(Value::String),
        }
    }

    fn text(&mut self, attribute: &'static str) -> Option<String> {
        match self.value(attribute)? {
            Value::String(s) => Some(s),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn secret(&mut self, attribute: &'static str) -> Option<Secret> {
        self.text(attribute).map(Secret::new)
    }

    /// A boolean attribute; from the environment, `true`, `1` or `yes` mean true.
    fn flag(&mut self, attribute: &'static str, default: bool) -> bool {
        match self.value(attribute) {
            Some(Value::Bool(b)) => b,
            Some(Value::String(s)) => parse_flag(&s),
            _ => default,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_from_the_environment_follow_the_https_rule() {
        let config = Value::Object(Default::default());
        for (var, url, refused) in [
            ("ARM_MSGRAPH_ENDPOINT", "http://10.1.2.3", true),
            ("AZURE_AUTHORITY_HOST", "http://login.example", true),
            ("ARM_MSI_ENDPOINT", "http://10.0.0.9/token", true),
            (
                "ARM_MSI_ENDPOINT",
                "http://169.254.169.254/metadata/identity/oauth2/token",
                false,
            ),
            ("ARM_MSGRAPH_ENDPOINT", "http://127.0.0.1:8080", false),
            (
                "AZURE_AUTHORITY_HOST",
                "https://login.microsoftonline.us",
                false,
            ),
        ] {
            let env = |k: &str| (k == var).then(|| url.to_string());
            let d = check_env_endpoints(&config, &env);
            assert_eq!(d.has_errors(), refused, "{var}={url}");
            if refused {
                assert!(d.0[0].summary.contains(var), "{:?}", d.0[0]);
            }
        }
    }
    use std::collections::BTreeMap;

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
        let s = resolve(&Value::Object(m), &env);
        assert_eq!(s.tenant_id.as_deref(), Some("from-config"));
        assert_eq!(s.client_id.as_deref(), Some("azure"));
        assert_eq!(s.oidc_request_url.as_deref(), Some("https://gh"));
        assert_eq!(s.unknown, vec!["graph_endpoint"]);
        assert!(!s.is_known());
        assert_eq!(s.graph_endpoint, "https://graph.microsoft.com");
    }

    #[test]
    fn booleans_hosts_and_cloud_are_typed() {
        let mut m: BTreeMap<String, Value> = BTreeMap::new();
        m.insert("use_msi_fic".into(), Value::Bool(true));
        m.insert("use_cli".into(), Value::Bool(false));
        m.insert("environment".into(), Value::string("usgovernment"));
        m.insert(
            "authority_host".into(),
            Value::string("http://127.0.0.1:9/"),
        );
        let env = |k: &str| match k {
            "ARM_USE_OIDC" => Some("Yes".to_string()),
            "ARM_USE_MSI" => Some("false".to_string()),
            _ => None,
        };
        let s = resolve(&Value::Object(m), &env);
        assert!(s.use_msi_fic && s.use_oidc && !s.use_msi && !s.use_cli);
        assert_eq!(s.cloud, Cloud::UsGovernment);
        assert_eq!(s.environment.as_deref(), Some("usgovernment"));
        assert_eq!(s.authority_host, "http://127.0.0.1:9");
        assert_eq!(s.graph_endpoint, Cloud::UsGovernment.graph_endpoint());
        assert!(
            resolve(&Value::Null, &|_| None).use_cli,
            "use_cli defaults to true"
        );
    }
}
