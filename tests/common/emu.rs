//! The emulator a test runs against, in process, and the calls a test makes to it
//! directly: out-of-band changes (what a person in the portal does), its state and the
//! requests it counted.

use super::*;

/// An in-process entra-emulator for a test, on its own runtime.
pub struct Emu {
    pub url: String,
    /// The throwaway CA of an HTTPS emulator ([`Emu::start_https`]), PEM.
    pub ca_pem: Option<String>,
    client: reqwest::Client,
    _emulator: entra_emulator::Emulator,
    rt: tokio::runtime::Runtime,
}

impl Emu {
    /// An emulator serving HTTPS with a certificate for 127.0.0.1 and localhost signed by
    /// a throwaway CA ([`Emu::ca_pem`]); the helpers here trust that CA.
    pub fn start_https(mut config: entra_emulator::EmulatorConfig) -> Emu {
        let s = entra_emulator::TlsIdentity::self_signed().expect("throwaway CA");
        config.tls = Some(s.identity);
        let ca = reqwest::Certificate::from_pem(s.ca_pem.as_bytes()).expect("CA PEM");
        let client = reqwest::Client::builder()
            .add_root_certificate(ca)
            .no_proxy()
            .build()
            .expect("client");
        let mut emu = Emu::start_with(config, client);
        emu.ca_pem = Some(s.ca_pem);
        emu
    }

    pub fn start(config: entra_emulator::EmulatorConfig) -> Emu {
        Emu::start_with(config, reqwest::Client::new())
    }

    fn start_with(config: entra_emulator::EmulatorConfig, client: reqwest::Client) -> Emu {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let emulator = rt
            .block_on(entra_emulator::Emulator::start(config))
            .expect("emulator");
        Emu {
            url: emulator.url.clone(),
            ca_pem: None,
            client,
            _emulator: emulator,
            rt,
        }
    }

    pub fn default() -> Emu {
        Emu::start(Default::default())
    }

    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let url = format!("{}{path}", self.url);
        self.rt.block_on(async move {
            let mut r = self.client.request(method, url);
            if let Some(b) = body {
                r = r.json(&b);
            }
            let resp = r.send().await.expect("emulator call");
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            (
                status,
                serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
            )
        })
    }

    pub fn get(&self, path: &str) -> serde_json::Value {
        self.call(reqwest::Method::GET, path, None).1
    }

    /// The credentials of an application, as the emulator holds them.
    pub fn credentials(&self, app_object_id: &str) -> Vec<serde_json::Value> {
        let st = self.get("/_emulator/state");
        st["tenants"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|t| t["applications"].as_array().cloned().unwrap_or_default())
            .find(|a| a["object_id"] == app_object_id)
            .and_then(|a| a["federated_identity_credentials"].as_array().cloned())
            .unwrap_or_default()
    }

    pub fn credential_count(&self) -> u64 {
        self.get("/_emulator/state")["credential_count"]
            .as_u64()
            .unwrap_or(0)
    }

    pub fn requests(&self) -> serde_json::Value {
        self.get("/_emulator/requests")
    }

    /// How many requests the emulator has received on `route` (a template as it counts
    /// them, e.g. `"GET /v1.0/servicePrincipals/{id}"`), answered or not.
    pub fn route_count(&self, route: &str) -> u64 {
        self.requests()["routes"][route].as_u64().unwrap_or(0)
    }

    /// TLS handshakes the emulator saw fail (an HTTPS emulator, [`Emu::start_https`]).
    pub fn handshake_failures(&self) -> u64 {
        let requests = self.requests();
        requests["tls_handshake_failures"]
            .as_u64()
            .unwrap_or_else(|| panic!("no tls_handshake_failures in {requests}"))
    }

    pub fn oob_create(&self, app: &str, body: serde_json::Value) -> serde_json::Value {
        let (s, v) = self.call(
            reqwest::Method::POST,
            &format!("/_emulator/applications/{app}/federatedIdentityCredentials"),
            Some(body),
        );
        assert_eq!(s, 201, "out-of-band create failed: {v}");
        v
    }

    pub fn oob_patch(&self, app: &str, id: &str, body: serde_json::Value) {
        let (s, v) = self.call(
            reqwest::Method::PATCH,
            &format!("/_emulator/applications/{app}/federatedIdentityCredentials/{id}"),
            Some(body),
        );
        assert_eq!(s, 204, "out-of-band patch failed: {v}");
    }

    pub fn oob_delete(&self, app: &str, id: &str) {
        let (s, _) = self.call(
            reqwest::Method::DELETE,
            &format!("/_emulator/applications/{app}/federatedIdentityCredentials/{id}"),
            None,
        );
        assert_eq!(s, 204, "out-of-band delete failed");
    }

    pub fn reset(&self) {
        self.call(reqwest::Method::POST, "/_emulator/reset", None);
    }

    /// A Graph client for this emulator, signed in as the admin app (its token taken
    /// now), to test the client's reads directly.
    pub fn admin_graph_client(&self) -> terraform_provider_entra::entra::graph::GraphClient {
        terraform_provider_entra::entra::graph::GraphClient::new(
            reqwest::Client::new(),
            &self.url,
            "https://graph.microsoft.com",
            std::sync::Arc::new(super::fixed_token::FixedToken(self.admin_graph_token())),
        )
    }

    /// A token from the emulator's token endpoint with the admin app's secret.
    pub fn admin_graph_token(&self) -> String {
        let url = format!("{}/{TENANT}/oauth2/v2.0/token", self.url);
        self.rt.block_on(async move {
            let v: serde_json::Value = self
                .client
                .post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", ADMIN_CLIENT),
                    ("client_secret", ADMIN_SECRET),
                    ("scope", "https://graph.microsoft.com/.default"),
                ])
                .send()
                .await
                .expect("token")
                .json()
                .await
                .expect("token json");
            v["access_token"].as_str().unwrap_or_default().to_string()
        })
    }

    /// The provider block signing in with the admin app's client secret.
    pub fn provider_block(&self) -> String {
        format!(
            "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n  client_secret = \"{ADMIN_SECRET}\"\n  authority_host = \"{u}\"\n  graph_endpoint = \"{u}\"\n  msi_endpoint = \"{u}/metadata/identity/oauth2/token\"\n}}\n",
            u = self.url
        )
    }

    /// Endpoints only: sign-in comes from other attributes or the environment.
    pub fn endpoints(&self) -> String {
        format!(
            "  authority_host = \"{u}\"\n  graph_endpoint = \"{u}\"\n  msi_endpoint = \"{u}/metadata/identity/oauth2/token\"\n",
            u = self.url
        )
    }
}
