//! Choosing the sign-in method, as the Azure SDKs' credential chains do: each method's
//! constructor (`from_settings` in its own file) decides from the settings whether it
//! applies, and says why not; [`choose`] asks them in this order and takes the first that
//! applies: access token, client secret, client certificate, OIDC, AKS workload identity,
//! managed identity as federated credential (`use_msi_fic`), managed identity
//! (`use_msi`), Azure CLI. When none applies, the error lists each method's answer.

use std::sync::Arc;

use super::inputs::{Applies, Inputs, SignInConfig};
use super::{
    azure_cli, client_certificate, client_secret, managed_identity, managed_identity_fic, oidc,
    static_token, SignInMethod,
};

/// A method's constructor: `Err` when the method is configured but cannot work (a file
/// that cannot be read, a missing `client_id`), which ends the choice with that error.
type FromSettings = fn(&Inputs<'_>) -> Result<Applies, String>;

/// The methods in the order [`choose`] asks them.
const CHAIN: [(&str, FromSettings); 8] = [
    ("access token", static_token::from_settings),
    ("client secret", client_secret::from_settings),
    ("client certificate", client_certificate::from_settings),
    ("OIDC", oidc::from_settings),
    ("AKS workload identity", oidc::aks_from_settings),
    (
        "managed identity as federated credential",
        managed_identity_fic::from_settings,
    ),
    ("managed identity", managed_identity::from_settings),
    ("Azure CLI", azure_cli::from_settings),
];

/// The methods in the order [`choose`] asks them, as its error names them.
pub const METHODS_IN_ORDER: [&str; 8] = {
    let mut names = [""; 8];
    let mut i = 0;
    while i < CHAIN.len() {
        names[i] = CHAIN[i].0;
        i += 1;
    }
    names
};

/// The method to sign in with, or each method's reason for not applying. Reads files
/// (client id, secret, certificate) but sends nothing: the first token request does.
pub fn choose(c: &SignInConfig<'_>) -> Result<Arc<dyn SignInMethod>, String> {
    let inputs = Inputs::new(c);
    let mut tried: Vec<String> = Vec::new();
    for (name, from_settings) in CHAIN {
        match from_settings(&inputs)? {
            Applies::Yes(method) => return Ok(method),
            Applies::No(why) => tried.push(format!("{name}: {why}")),
        }
    }
    Err(format!(
        "No sign-in method is configured for Microsoft Graph. Tried, in order:\n  - {}",
        tried.join("\n  - ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entra::managed_identity::ManagedIdentityClient;
    use crate::entra::settings::Settings;
    use crate::entra::Secret;
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
                "use_aks_workload_identity" => s.use_aks_workload_identity = flag,
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
    fn aks_workload_identity_takes_the_place_of_oidc_and_says_so() {
        let attrs = [
            ("tenant_id", "t"),
            ("client_id", "c"),
            ("use_oidc", "true"),
            ("oidc_token", "jwt"),
            ("use_aks_workload_identity", "true"),
        ];
        let env = [("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token")];
        let chosen = build_with(&attrs, &env).map(|m| m.name());
        assert_eq!(chosen, Ok("AKS workload identity"));
        let err = build_with(&attrs, &[]).err().unwrap_or_default();
        assert!(err.contains("AZURE_FEDERATED_TOKEN_FILE"), "{err}");
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
