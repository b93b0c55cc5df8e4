//! The seed: tenants, applications and managed identities the emulator starts with.

use serde::{Deserialize, Serialize};

/// The built-in seed: the quickstart's tenant (one admin app with a secret and Graph's
/// Application.ReadWrite.All, one workload app, two user-assigned identities).
pub const DEFAULT_SEED: &str = include_str!("../../../examples/quickstart/seed.json");

/// The ids and secret of the built-in seed, for tests, benchmarks and examples that drive it.
pub mod quickstart {
    /// The tenant.
    pub const TENANT: &str = "6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01";
    /// The admin application (client secret, `Application.ReadWrite.All`): its object id.
    pub const ADMIN_OBJECT: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d01";
    /// The admin application's client id.
    pub const ADMIN_CLIENT: &str = "c11e0001-5a6b-4c7d-8e9f-0a1b2c3d4e01";
    /// The admin application's client secret.
    pub const ADMIN_SECRET: &str = "quickstart-admin-secret";
    /// The workload application (no secret): its object id.
    pub const WORKLOAD_OBJECT: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02";
    /// The workload application's client id.
    pub const WORKLOAD_CLIENT: &str = "c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02";
    /// The `deploy` user-assigned identity's client id.
    pub const DEPLOY_CLIENT: &str = "d0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";
    /// The `deploy` identity's principal (object) id.
    pub const DEPLOY_PRINCIPAL: &str = "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";
    /// The `build` identity's principal (object) id.
    pub const BUILD_PRINCIPAL: &str = "b0000002-2b3c-4d5e-8f90-a1b2c3d4e5f2";
    /// The audience of a managed identity token used as a federated credential (public cloud).
    pub const EXCHANGE: &str = "api://AzureADTokenExchange";

    /// The tenant's v2.0 issuer in the public cloud, as in the tokens the emulator signs.
    pub fn entra_issuer() -> String {
        terraform_provider_entra::cloud::Cloud::Public.entra_issuer(TENANT)
    }
}

/// The directory the emulator starts with (the `--seed` file), and returns to on reset.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Seed {
    /// At least one.
    pub tenants: Vec<SeedTenant>,
}

/// A tenant: its applications and the managed identities it issues tokens for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SeedTenant {
    /// The tenant id (a GUID), as in `/{tenant}/oauth2/v2.0/token`.
    pub id: String,
    /// Applications that can sign in and own federated identity credentials.
    #[serde(default)]
    pub applications: Vec<SeedApplication>,
    /// User-assigned identities the managed identity endpoints serve.
    #[serde(default)]
    pub managed_identities: Vec<SeedIdentity>,
}

/// An application registration (Graph's `application`, and its `servicePrincipal`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SeedApplication {
    /// Graph's `id`: the object id in `/applications/{id}`.
    pub object_id: String,
    /// Graph's `appId`: the client id it signs in with.
    pub client_id: String,
    /// Graph's `displayName`.
    #[serde(default)]
    pub display_name: String,
    /// The secret accepted at the token endpoint; `None` for no secret sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Graph application permissions granted (the `roles` of its Graph tokens), e.g.
    /// `Application.ReadWrite.All`.
    #[serde(default)]
    pub graph_permissions: Vec<String>,
    /// PEM certificates registered for certificate sign-in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_certificates: Vec<String>,
    /// The object id of the application's service principal in its tenant; when absent,
    /// the object id with its first two digits replaced by `5e`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<String>,
    /// Graph answers this app's service principal reads with 403, as for a sign-in
    /// without `Application.Read.All`/`Directory.Read.All` (whatever its permissions).
    #[serde(default, skip_serializing_if = "is_false")]
    pub deny_service_principal_read: bool,
    /// Principal (object) ids of its owners: a caller holding only
    /// `Application.ReadWrite.OwnedBy` may read and change the applications it owns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Other tenants this (multi-tenant) application is provisioned in, by id: their token
    /// endpoints sign it in too, with the credentials of its home tenant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provisioned_in: Vec<String>,
}

impl SeedApplication {
    /// The object id of its service principal.
    pub fn service_principal_id(&self) -> String {
        self.service_principal_id.clone().unwrap_or_else(|| {
            let rest = self.object_id.get(2..).unwrap_or_default();
            format!("5e{rest}")
        })
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A managed identity: user-assigned unless `system_assigned`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SeedIdentity {
    /// Its name (the last segment of its resource id).
    pub name: String,
    /// The client id (`client_id` selector of the endpoints).
    pub client_id: String,
    /// The principal (object) id: the `sub` and `oid` of its tokens.
    pub principal_id: String,
    /// The Azure resource id (`msi_res_id` selector, `xms_mirid` claim); for a
    /// system-assigned identity, the id of the resource it belongs to (a VM, say).
    #[serde(default)]
    pub resource_id: String,
    /// A system-assigned identity: Graph's `alternativeNames` hold `isExplicit=False`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub system_assigned: bool,
    /// Graph application permissions granted to the identity (the `roles` of its Graph
    /// tokens), for `use_msi` sign-in, e.g. `Application.ReadWrite.OwnedBy`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub graph_permissions: Vec<String>,
}

impl Seed {
    /// Reads a seed file's JSON; at least one tenant is required, and every id must be a
    /// GUID (the error names the field, e.g. `tenants[0].applications[1].client_id`).
    pub fn parse(text: &str) -> Result<Seed, String> {
        let seed: Seed = serde_json::from_str(text).map_err(|e| format!("invalid seed: {e}"))?;
        if seed.tenants.is_empty() {
            return Err("invalid seed: no tenants".into());
        }
        let bad = seed.invalid_ids();
        if !bad.is_empty() {
            return Err(format!(
                "invalid seed: ids must be GUIDs (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx):\n  {}",
                bad.join("\n  ")
            ));
        }
        Ok(seed)
    }

    /// `path: "value"` for every id of the seed that is not a GUID, in the seed's order.
    pub fn invalid_ids(&self) -> Vec<String> {
        let mut ids: Vec<(String, &str)> = Vec::new();
        for (t, tenant) in self.tenants.iter().enumerate() {
            let at = format!("tenants[{t}]");
            ids.push((format!("{at}.id"), &tenant.id));
            for (a, app) in tenant.applications.iter().enumerate() {
                let at = format!("{at}.applications[{a}]");
                ids.push((format!("{at}.object_id"), &app.object_id));
                ids.push((format!("{at}.client_id"), &app.client_id));
                if let Some(sp) = &app.service_principal_id {
                    ids.push((format!("{at}.service_principal_id"), sp));
                }
                for (o, owner) in app.owners.iter().enumerate() {
                    ids.push((format!("{at}.owners[{o}]"), owner));
                }
                for (p, tenant) in app.provisioned_in.iter().enumerate() {
                    ids.push((format!("{at}.provisioned_in[{p}]"), tenant));
                }
            }
            for (m, mi) in tenant.managed_identities.iter().enumerate() {
                let at = format!("{at}.managed_identities[{m}]");
                ids.push((format!("{at}.client_id"), &mi.client_id));
                ids.push((format!("{at}.principal_id"), &mi.principal_id));
            }
        }
        ids.into_iter()
            .filter(|(_, v)| !terraform_provider_entra::rules::guid::is_guid(v))
            .map(|(path, v)| format!("{path}: {v:?}"))
            .collect()
    }

    /// The built-in seed, [`DEFAULT_SEED`].
    pub fn default_seed() -> Seed {
        // The built-in seed is part of the source; the parse is checked by a test.
        Seed::parse(DEFAULT_SEED).unwrap_or(Seed {
            tenants: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_seed_parses_and_round_trips() {
        let s = Seed::parse(DEFAULT_SEED).unwrap();
        assert_eq!(s.tenants.len(), 1);
        assert_eq!(s.tenants[0].applications.len(), 2);
        assert_eq!(s.tenants[0].managed_identities.len(), 2);
        let again = Seed::parse(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn ids_that_are_not_guids_are_refused_with_their_path() {
        let mut s = Seed::default_seed();
        assert!(s.invalid_ids().is_empty());
        s.tenants[0].id = "contoso".into();
        s.tenants[0].applications[1].client_id = "c11e0002".into();
        s.tenants[0].applications[0].owners = vec!["owner".into()];
        s.tenants[0].managed_identities[1].principal_id = String::new();
        let text = serde_json::to_string(&s).unwrap();
        let e = Seed::parse(&text).unwrap_err();
        let lines: Vec<&str> = e.lines().skip(1).map(str::trim).collect();
        assert_eq!(
            lines,
            [
                "tenants[0].id: \"contoso\"",
                "tenants[0].applications[0].owners[0]: \"owner\"",
                "tenants[0].applications[1].client_id: \"c11e0002\"",
                "tenants[0].managed_identities[1].principal_id: \"\"",
            ],
            "{e}"
        );
    }

    #[test]
    fn quickstart_ids_are_the_default_seeds() {
        use quickstart::*;
        let s = Seed::default_seed();
        let t = &s.tenants[0];
        assert_eq!(t.id, TENANT);
        let admin = &t.applications[0];
        assert_eq!(
            (admin.object_id.as_str(), admin.client_id.as_str()),
            (ADMIN_OBJECT, ADMIN_CLIENT)
        );
        assert_eq!(admin.client_secret.as_deref(), Some(ADMIN_SECRET));
        let workload = &t.applications[1];
        assert_eq!(
            (workload.object_id.as_str(), workload.client_id.as_str()),
            (WORKLOAD_OBJECT, WORKLOAD_CLIENT)
        );
        let deploy = &t.managed_identities[0];
        assert_eq!(
            (deploy.client_id.as_str(), deploy.principal_id.as_str()),
            (DEPLOY_CLIENT, DEPLOY_PRINCIPAL)
        );
        assert_eq!(t.managed_identities[1].principal_id, BUILD_PRINCIPAL);
    }
}
