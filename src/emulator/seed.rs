//! The seed: tenants, applications and managed identities the emulator starts with.

use serde::{Deserialize, Serialize};

/// The built-in seed: the quickstart's tenant (one admin app with a secret and Graph's
/// Application.ReadWrite.All, one workload app, two user-assigned identities).
pub const DEFAULT_SEED: &str = include_str!("../../examples/quickstart/seed.json");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Seed {
    pub tenants: Vec<Tenant>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tenant {
    pub id: String,
    #[serde(default)]
    pub applications: Vec<Application>,
    #[serde(default)]
    pub managed_identities: Vec<ManagedIdentity>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Application {
    pub object_id: String,
    pub client_id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub graph_permissions: Vec<String>,
    /// PEM certificates registered for certificate sign-in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_certificates: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManagedIdentity {
    pub name: String,
    pub client_id: String,
    pub principal_id: String,
    #[serde(default)]
    pub resource_id: String,
}

impl Seed {
    pub fn parse(text: &str) -> Result<Seed, String> {
        let seed: Seed = serde_json::from_str(text).map_err(|e| format!("invalid seed: {e}"))?;
        if seed.tenants.is_empty() {
            return Err("invalid seed: no tenants".into());
        }
        Ok(seed)
    }

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
}
