//! Choosing the sign-in method: the first configured one in SPEC §2's order wins, and
//! when none is configured the error lists every method and why it did not apply.

use std::sync::Arc;

use super::methods::{
    AzureCli, ClientCertificate, ClientRef, ClientSecret, ManagedIdentityCredential, MsiFic, Oidc,
    OidcSource, StaticToken,
};
use super::{Cached, TokenCredential};
use crate::entra::managed_identity::{Identity, ManagedIdentity};
use crate::entra::Secret;

/// The provider's sign-in settings after environment fallbacks.
pub struct AuthConfig<'a> {
    /// Attribute name -> value (known values only).
    pub get: &'a dyn Fn(&str) -> Option<String>,
    /// Process environment, for variables that are not provider attributes
    /// (`AZURE_FEDERATED_TOKEN_FILE`, `PATH`).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// "`client_secret` (or ARM_CLIENT_SECRET / AZURE_CLIENT_SECRET)".
    pub describe: &'a dyn Fn(&str) -> String,
    pub authority_host: String,
    pub exchange_audience: String,
    pub http: reqwest::Client,
    pub managed_identity: Arc<ManagedIdentity>,
}

fn flag(v: Option<String>) -> bool {
    v.is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// The credential to sign in with, or the reasons no method applies.
pub fn build(c: &AuthConfig<'_>) -> Result<Arc<dyn TokenCredential>, String> {
    let get = c.get;
    let d = c.describe;
    let mut tried: Vec<String> = Vec::new();

    if let Some(token) = get("access_token") {
        return Ok(Arc::new(StaticToken {
            token: Secret::new(token),
        }));
    }
    tried.push(format!("access token: {} is not set", d("access_token")));

    let read_file = |attr: &str| -> Result<Option<String>, String> {
        match get(attr) {
            None => Ok(None),
            Some(path) => std::fs::read_to_string(&path)
                .map(|s| Some(s.trim().to_string()))
                .map_err(|e| format!("cannot read {} ({path}): {e}", d(attr))),
        }
    };
    let client_id = match get("client_id") {
        Some(id) => Some(id),
        None => read_file("client_id_file_path")?,
    };
    let tenant = get("tenant_id");
    let client_ref = |method: &str| -> Result<ClientRef, String> {
        let client_id = client_id
            .clone()
            .ok_or_else(|| format!("{method} sign-in needs {}", d("client_id")))?;
        let tenant = tenant
            .clone()
            .ok_or_else(|| format!("{method} sign-in needs {}", d("tenant_id")))?;
        Ok(ClientRef {
            authority_host: c.authority_host.clone(),
            tenant,
            client_id,
        })
    };

    // Client secret.
    let (secret, hint) = match get("client_secret") {
        Some(s) => (Some(s), d("client_secret")),
        None => (
            read_file("client_secret_file_path")?,
            d("client_secret_file_path"),
        ),
    };
    if let Some(secret) = secret {
        let client = client_ref("client secret")?;
        return Ok(Arc::new(Cached::new(ClientSecret {
            http: c.http.clone(),
            client,
            secret: Secret::new(secret),
            hint,
        })));
    }
    tried.push(format!(
        "client secret: neither {} nor {} is set",
        d("client_secret"),
        d("client_secret_file_path")
    ));

    // Client certificate.
    if let Some(path) = get("client_certificate_path") {
        let client = client_ref("client certificate")?;
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("cannot read {} ({path}): {e}", d("client_certificate_path")))?;
        let cert = match std::str::from_utf8(&bytes) {
            Ok(pem) if pem.contains("-----BEGIN") => {
                ClientCertificate::from_pem(c.http.clone(), client, pem)
            }
            // Anything else is taken as PKCS#12 (.pfx / .p12).
            _ => ClientCertificate::from_pkcs12(
                c.http.clone(),
                client,
                &bytes,
                &get("client_certificate_password").unwrap_or_default(),
            ),
        }
        .map_err(|e| format!("{}: {e}", d("client_certificate_path")))?;
        return Ok(Arc::new(Cached::new(cert)));
    }
    tried.push(format!(
        "client certificate: {} is not set",
        d("client_certificate_path")
    ));

    // OIDC and AKS workload identity.
    let use_oidc = flag(get("use_oidc"));
    let aks = flag(get("use_aks_workload_identity"));
    if aks {
        let file = (c.env)("AZURE_FEDERATED_TOKEN_FILE").ok_or("AKS workload identity needs AZURE_FEDERATED_TOKEN_FILE (set by the workload identity webhook)")?;
        let client_id = client_id
            .clone()
            .or_else(|| (c.env)("AZURE_CLIENT_ID"))
            .ok_or("AKS workload identity needs AZURE_CLIENT_ID")?;
        let tenant = tenant
            .clone()
            .or_else(|| (c.env)("AZURE_TENANT_ID"))
            .ok_or("AKS workload identity needs AZURE_TENANT_ID")?;
        return Ok(Arc::new(Cached::new(Oidc {
            http: c.http.clone(),
            client: ClientRef {
                authority_host: c.authority_host.clone(),
                tenant,
                client_id,
            },
            source: OidcSource::File(file.into()),
            method: "AKS workload identity",
        })));
    }
    let oidc_source = if let Some(t) = get("oidc_token") {
        Some(OidcSource::Token(Secret::new(t)))
    } else if let Some(f) = get("oidc_token_file_path") {
        Some(OidcSource::File(f.into()))
    } else if let (Some(url), Some(token)) = (get("oidc_request_url"), get("oidc_request_token")) {
        Some(OidcSource::Request {
            url,
            token: Secret::new(token),
            audience: c.exchange_audience.clone(),
        })
    } else {
        None
    };
    match (use_oidc, oidc_source) {
        (true, Some(source)) => {
            let client = client_ref("OIDC")?;
            return Ok(Arc::new(Cached::new(Oidc {
                http: c.http.clone(),
                client,
                source,
                method: "OIDC",
            })));
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

    let identity = match get("msi_client_id") {
        Some(id) => Identity::ClientId(id),
        None => Identity::Default,
    };
    if flag(get("use_msi_fic")) {
        let client = client_ref("use_msi_fic")?;
        return Ok(Arc::new(Cached::new(MsiFic {
            http: c.http.clone(),
            client,
            mi: c.managed_identity.clone(),
            identity,
            exchange_audience: c.exchange_audience.clone(),
        })));
    }
    tried.push(format!(
        "managed identity as federated credential: {} is not true",
        d("use_msi_fic")
    ));

    if flag(get("use_msi")) {
        // azuread's convention: with use_msi alone, client_id names the identity.
        let identity = match (&identity, &client_id) {
            (Identity::Default, Some(id)) => Identity::ClientId(id.clone()),
            _ => identity,
        };
        return Ok(Arc::new(Cached::new(ManagedIdentityCredential {
            mi: c.managed_identity.clone(),
            identity,
        })));
    }
    tried.push(format!("managed identity: {} is not true", d("use_msi")));

    let use_cli = get("use_cli").map(|v| flag(Some(v))).unwrap_or(true);
    if use_cli {
        match find_program("az", c.env) {
            Some(program) => return Ok(Arc::new(Cached::new(AzureCli { program, tenant }))),
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

    fn build_with(
        attrs: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> Result<Arc<dyn TokenCredential>, String> {
        let attrs: HashMap<String, String> = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let get = move |k: &str| attrs.get(k).cloned();
        let env = move |k: &str| env.get(k).cloned();
        let describe = |a: &str| format!("`{a}`");
        let http = reqwest::Client::new();
        let mi = Arc::new(ManagedIdentity::new(
            crate::entra::managed_identity::Source::Imds {
                endpoint: "http://127.0.0.1:9".into(),
            },
            http.clone(),
        ));
        build(&AuthConfig {
            get: &get,
            env: &env,
            describe: &describe,
            authority_host: "https://login.microsoftonline.com".into(),
            exchange_audience: "api://AzureADTokenExchange".into(),
            http,
            managed_identity: mi,
        })
    }

    #[test]
    fn order_of_spec_section_2() {
        let base = [("tenant_id", "t"), ("client_id", "c")];
        let method = |extra: &[(&str, &str)]| {
            let mut attrs = base.to_vec();
            attrs.extend_from_slice(extra);
            build_with(&attrs, &[]).map(|c| c.method())
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
        for m in [
            "access token",
            "client secret",
            "client certificate",
            "OIDC",
            "AKS workload identity",
            "managed identity as federated credential",
            "managed identity:",
            "Azure CLI",
        ] {
            assert!(err.contains(m), "{m} missing in {err}");
        }
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
        assert_eq!(c.method(), "Azure CLI");
    }
}
