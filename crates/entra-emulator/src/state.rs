//! The emulator's directory: the seed plus the credentials created since, and counters
//! for the inspection API.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::seed::{Seed, SeedApplication, SeedIdentity, SeedTenant};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Fic {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StoredFic {
    pub fic: Fic,
    pub created: Instant,
}

#[derive(Default)]
pub struct Counters {
    pub total: u64,
    pub routes: BTreeMap<String, u64>,
    pub faults: BTreeMap<String, u64>,
    /// TLS connections whose handshake failed (a client refusing the certificate).
    pub tls_handshake_failures: u64,
}

pub struct State {
    pub seed: Seed,
    /// Credentials per application object id (lower case).
    pub creds: HashMap<String, Vec<StoredFic>>,
    pub counters: Counters,
    /// The signature part of every token issued, so tests can prove a token never
    /// reached a state or plan file.
    pub issued: Vec<String>,
}

impl State {
    pub fn new(seed: Seed) -> State {
        State {
            seed,
            creds: HashMap::new(),
            counters: Counters::default(),
            issued: Vec::new(),
        }
    }

    pub fn tenant(&self, id: &str) -> Option<&SeedTenant> {
        self.seed
            .tenants
            .iter()
            .find(|t| t.id.eq_ignore_ascii_case(id))
    }

    pub fn app_by_object_id(&self, id: &str) -> Option<(&SeedTenant, &SeedApplication)> {
        self.app_where(|a| &a.object_id, id)
    }

    pub fn app_by_client_id(&self, id: &str) -> Option<(&SeedTenant, &SeedApplication)> {
        self.app_where(|a| &a.client_id, id)
    }

    /// The application whose `key` is `id` (ignoring case), with its tenant.
    fn app_where(
        &self,
        key: fn(&SeedApplication) -> &String,
        id: &str,
    ) -> Option<(&SeedTenant, &SeedApplication)> {
        self.seed.tenants.iter().find_map(|t| {
            t.applications
                .iter()
                .find(|a| key(a).eq_ignore_ascii_case(id))
                .map(|a| (t, a))
        })
    }

    /// Every identity of every tenant: the emulator stands for a host with all assigned.
    pub fn identities(&self) -> Vec<(&SeedTenant, &SeedIdentity)> {
        self.seed
            .tenants
            .iter()
            .flat_map(|t| t.managed_identities.iter().map(move |m| (t, m)))
            .collect()
    }

    pub fn creds_of(&self, app_object_id: &str) -> &[StoredFic] {
        self.creds
            .get(&app_object_id.to_ascii_lowercase())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn creds_mut(&mut self, app_object_id: &str) -> &mut Vec<StoredFic> {
        self.creds
            .entry(app_object_id.to_ascii_lowercase())
            .or_default()
    }

    /// Credentials Graph reads show: new ones are invisible for `lag` (replication).
    pub fn visible(&self, app_object_id: &str, lag: Duration) -> Vec<Fic> {
        self.creds_of(app_object_id)
            .iter()
            .filter(|s| s.created.elapsed() >= lag)
            .map(|s| s.fic.clone())
            .collect()
    }

    pub fn reset(&mut self) {
        self.creds.clear();
        self.counters = Counters::default();
    }
}
