//! Choosing the sign-in method: the first configured one wins, in this order: access
//! token, client secret, client certificate, OIDC / AKS workload identity, managed
//! identity as federated credential (`use_msi_fic`), managed identity (`use_msi`), Azure
//! CLI. When none is configured, the error lists every method and why it did not apply.

use std::sync::Arc;

use super::{
    AzureCli, Cached, ClientApp, ClientCertificate, ClientSecret, ManagedIdentity,
    ManagedIdentityFic, Oidc, OidcSource, SignInMethod, StaticToken,
};
use crate::entra::managed_identity::{Identity, ManagedIdentityClient};
use crate::entra::settings::Settings;
use crate::entra::Secret;

/// The methods in the order [`choose`] tries them, as its error names them when none is
/// configured.
pub const METHODS_IN_ORDER: [&str; 8] = [
    "access token",
    "client secret",
    "client certificate",
    "OIDC",
    "AKS workload identity",
    "managed identity as federated credential",
    "managed identity",
    "Azure CLI",
];

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

/// The method to sign in with, or the reasons no method applies. Reads files (client id,
/// secret, certificate) but sends nothing: the first token request does.
pub fn choose(c: &SignInConfig<'_>) -> Result<Arc<dyn SignInMethod>, String> {
    let s = c.settings;
    let d = c.describe;
    let mut tried: Vec<String> = Vec::new();

    if let Some(token) = &s.access_token {
        return Ok(Arc::new(StaticToken {
            token: token.clone(),
        }));
    }
    tried.push(format!("access token: {} is not set", d("access_token")));

    let read_file = |attr: &str, path: Option<&str>| -> Result<Option<String>, String> {
        match path {
            None => Ok(None),
            Some(path) => std::fs::read_to_string(path)
                .map(|s| Some(s.trim().to_string()))
                .map_err(|e| format!("cannot read {} ({path}): {e}", d(attr))),
        }
    };
    let client_id = match &s.client_id {
        Some(id) => Some(id.clone()),
        None => read_file("client_id_file_path", s.client_id_file_path.as_deref())?,
    };
    let tenant = s.tenant_id.clone();
    let app = |method: &str| -> Result<ClientApp, String> {
        let client_id = client_id
            .clone()
            .ok_or_else(|| format!("{method} sign-in needs {}", d("client_id")))?;
        let tenant = tenant
            .clone()
            .ok_or_else(|| format!("{method} sign-in needs {}", d("tenant_id")))?;
        Ok(ClientApp {
            http: c.http.clone(),
            authority_host: s.authority_host.clone(),
            tenant,
            client_id,
        })
    };

    // Client secret.
    let (secret, hint) = match &s.client_secret {
        Some(secret) => (Some(secret.clone()), d("client_secret")),
        None => (
            read_file(
                "client_secret_file_path",
                s.client_secret_file_path.as_deref(),
            )?
            .map(Secret::new),
            d("client_secret_file_path"),
        ),
    };
    if let Some(secret) = secret {
        let app = app("client secret")?;
        let client_secret = ClientSecret { app, secret, hint };
        return Ok(Arc::new(Cached::new("client secret", client_secret)));
    }
    tried.push(format!(
        "client secret: neither {} nor {} is set",
        d("client_secret"),
        d("client_secret_file_path")
    ));

    // Client certificate.
    if let Some(path) = &s.client_certificate_path {
        let app = app("client certificate")?;
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read {} ({path}): {e}", d("client_certificate_path")))?;
        let cert = match std::str::from_utf8(&bytes) {
            Ok(pem) if pem.contains("-----BEGIN") => ClientCertificate::from_pem(app, pem),
            // Anything else is taken as PKCS#12 (.pfx / .p12).
            _ => {
                let password = s.client_certificate_password.as_ref();
                ClientCertificate::from_pkcs12(app, &bytes, password.map_or("", Secret::expose))
            }
        }
        .map_err(|e| format!("{}: {e}", d("client_certificate_path")))?;
        return Ok(Arc::new(Cached::new("client certificate", cert)));
    }
    tried.push(format!(
        "client certificate: {} is not set",
        d("client_certificate_path")
    ));

    // OIDC and AKS workload identity.
    if s.use_aks_workload_identity {
        let file = (c.env)("AZURE_FEDERATED_TOKEN_FILE").ok_or("AKS workload identity needs AZURE_FEDERATED_TOKEN_FILE (set by the workload identity webhook)")?;
        let client_id = client_id
            .clone()
            .or_else(|| (c.env)("AZURE_CLIENT_ID"))
            .ok_or("AKS workload identity needs AZURE_CLIENT_ID")?;
        let tenant = tenant
            .clone()
            .or_else(|| (c.env)("AZURE_TENANT_ID"))
            .ok_or("AKS workload identity needs AZURE_TENANT_ID")?;
        let app = ClientApp {
            http: c.http.clone(),
            authority_host: s.authority_host.clone(),
            tenant,
            client_id,
        };
        let source = OidcSource::File(file.into());
        return Ok(Arc::new(Cached::new(
            "AKS workload identity",
            Oidc { app, source },
        )));
    }
    let oidc_source = if let Some(t) = &s.oidc_token {
        Some(OidcSource::Token(t.clone()))
    } else if let Some(f) = &s.oidc_token_file_path {
        Some(OidcSource::File(f.into()))
    } else if let (Some(url), Some(token)) = (&s.oidc_request_url, &s.oidc_request_token) {
        Some(OidcSource::Request {
            url: url.clone(),
            token: token.clone(),
            audience: s.exchange_audience().to_string(),
        })
    } else {
        None
    };
    match (s.use_oidc, oidc_source) {
        (true, Some(source)) => {
            let app = app("OIDC")?;
            return Ok(Arc::new(Cached::new("OIDC", Oidc { app, source })));
        }
        (true, None) => {
            return Err(format!(
                "OIDC sign-in is on ({}) but no token is configured: set {}, {}, or {} with {}",
                d("use_oidc"),
                d("oidc_token"),
                d("oidc_token_file_path"),
                d("oidc_request_url"),
                d("oidc_request_token")
            ))
        }
        (false, _) => tried.push(format!("OIDC: {} is not true", d("use_oidc"))),
    }
    tried.push(format!(
        "AKS workload identity: {} is not true",
        d("use_aks_workload_identity")
    ));

    let identity = match &s.msi_client_id {
        Some(id) => Identity::ClientId(id.clone()),
        None => Identity::Default,
    };
    if s.use_msi_fic {
        let msi_fic = ManagedIdentityFic {
            app: app("use_msi_fic")?,
            client: c.managed_identity.clone(),
            identity,
            exchange_audience: s.exchange_audience().to_string(),
        };
        return Ok(Arc::new(Cached::new(
            "managed identity as federated credential (use_msi_fic)",
            msi_fic,
        )));
    }
    tried.push(format!(
        "managed identity as federated credential: {} is not true",
        d("use_msi_fic")
    ));

    if s.use_msi {
        // azuread's convention: with use_msi alone, client_id names the identity.
        let identity = match (&identity, &client_id) {
            (Identity::Default, Some(id)) => Identity::ClientId(id.clone()),
            _ => identity,
        };
        let client = c.managed_identity.clone();
        return Ok(Arc::new(Cached::new(
            "managed identity (use_msi)",
            ManagedIdentity { client, identity },
        )));
    }
    tried.push(format!("managed identity: {} is not true", d("use_msi")));

    if s.use_cli {
        match find_program("az", c.env) {
            Some(program) => {
                let cli = AzureCli { program, tenant };
                return Ok(Arc::new(Cached::new("Azure CLI", cli)));
            }
            None => tried.push("Azure CLI: `az` is not on PATH".to_string()),
        }
    } else {
        tried.push(format!("Azure CLI: {} is false", d("use_cli")));
    }

    Err(format!(
        "No sign-in method is configured for Microsoft Graph. Tried, in order:\n  - {}",
        tried.join("\n  - ")
    ))
}

fn find_program(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<std::path::PathBuf> {
    let path = env("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Settings from attribute/value pairs, as the provider resolves them.
    fn settings(attrs: &[(&str, &str)]) -> Settings {
        let mut s = Settings::default();
        for (attr, v) in attrs {
            let text = Some(v.to_string());
            let secret = Some(Secret::new(*v));
            let flag = crate::entra::settings::parse_flag(v);
            match *attr {
                "tenant_id" => s.tenant_id = text,
                "client_id" => s.client_id = text,
                "client_secret" => s.client_secret = secret,
                "access_token" => s.access_token = secret,
                "oidc_token" => s.oidc_token = secret,
                "use_oidc" => s.use_oidc = flag,
                "use_msi" => s.use_msi = flag,
                "use_msi_fic" => s.use_msi_fic = flag,
                "use_cli" => s.use_cli = flag,
                other => panic!("no test setting for {other}"),
            }
        }
        s
    }

    fn build_with(
        attrs: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> Result<Arc<dyn SignInMethod>, String> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env = move |k: &str| env.get(k).cloned();
        let http = reqwest::Client::new();
        let mi = Arc::new(ManagedIdentityClient::new(
            crate::entra::managed_identity::Source::Imds {
                endpoint: "http://127.0.0.1:9".into(),
            },
            http.clone(),
        ));
        choose(&SignInConfig {
            settings: &settings(attrs),
            env: &env,
            describe: |a| format!("`{a}`"),
            http,
            managed_identity: mi,
        })
    }

    #[test]
    fn first_configured_method_in_order_wins() {
        let base = [("tenant_id", "t"), ("client_id", "c")];
        let method = |extra: &[(&str, &str)]| {
            let mut attrs = base.to_vec();
            attrs.extend_from_slice(extra);
            build_with(&attrs, &[]).map(|c| c.name())
        };
        assert_eq!(
            method(&[("access_token", "x"), ("client_secret", "s")]),
            Ok("access token")
        );
        assert_eq!(
            method(&[("client_secret", "s"), ("use_msi_fic", "true")]),
            Ok("client secret")
        );
        assert_eq!(
            method(&[
                ("use_oidc", "true"),
                ("oidc_token", "jwt"),
                ("use_msi", "true")
            ]),
            Ok("OIDC")
        );
        assert_eq!(
            method(&[("use_msi_fic", "true"), ("use_msi", "true")]),
            Ok("managed identity as federated credential (use_msi_fic)")
        );
        assert_eq!(
            method(&[("use_msi", "true")]),
            Ok("managed identity (use_msi)")
        );
    }

    #[test]
    fn none_configured_lists_every_method() {
        let err = build_with(&[("use_cli", "false")], &[]).err().unwrap();
        let tried: Vec<&str> = err.lines().filter_map(|l| l.strip_prefix("  - ")).collect();
        let methods: Vec<&str> = tried
            .iter()
            .filter_map(|l| l.split_once(':').map(|(m, _)| m))
            .collect();
        assert_eq!(methods, METHODS_IN_ORDER, "{err}");
    }

    #[test]
    fn missing_parts_name_the_attribute() {
        let err = build_with(&[("client_secret", "s")], &[]).err().unwrap();
        assert!(err.contains("`client_id`"), "{err}");
        let err = build_with(
            &[("use_oidc", "true"), ("client_id", "c"), ("tenant_id", "t")],
            &[],
        )
        .err()
        .unwrap();
        assert!(err.contains("oidc_token"), "{err}");
    }

    #[test]
    fn cli_found_on_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("az"), "#!/bin/sh\n").unwrap();
        let path = dir.path().to_string_lossy().to_string();
        let c = build_with(&[], &[("PATH", &path)]).unwrap();
        assert_eq!(c.name(), "Azure CLI");
    }
}
