//! Helpers shared by the emulator's HTTP tests and its benchmark: the built-in seed's ids,
//! token claims, and a client for the token, managed identity and Graph endpoints.

#![allow(dead_code)]

use entra_emulator::Emulator;
use serde_json::{json, Value};

pub use entra_emulator::seed::quickstart::*;

/// The tenant's v2.0 issuer, as in the emulator's managed identity tokens.
pub fn issuer() -> String {
    entra_issuer()
}

/// The claims of a JWT, without checking its signature (the emulator's own reading).
pub fn claims(token: &str) -> Value {
    Value::Object(entra_emulator::tokens::peek(token).expect("a JWT"))
}

/// Sends a request and reads its JSON answer (tests only: any failure panics).
pub trait FetchJson {
    /// The answer's body as JSON.
    async fn fetch_json(self) -> Value;
}

impl FetchJson for reqwest::RequestBuilder {
    async fn fetch_json(self) -> Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}

/// A client of one emulator.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    pub fn new(e: &Emulator) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: e.url.clone(),
        }
    }

    /// An inspection endpoint's JSON: `state`, `requests`, `issued`.
    pub async fn inspect(&self, what: &str) -> Value {
        self.http
            .get(format!("{}/_emulator/{what}", self.base))
            .fetch_json()
            .await
    }

    pub async fn token_form(&self, tenant: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/{tenant}/oauth2/v2.0/token", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    pub async fn admin_token(&self) -> String {
        let (s, v) = self
            .token_form(
                TENANT,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", ADMIN_CLIENT),
                    ("client_secret", ADMIN_SECRET),
                    ("scope", "https://graph.microsoft.com/.default"),
                ],
            )
            .await;
        assert_eq!(s, 200, "{v}");
        v["access_token"].as_str().unwrap().to_string()
    }

    pub async fn mi_token(&self, client_id: &str, resource: &str) -> String {
        let r = self
            .http
            .get(format!("{}/metadata/identity/oauth2/token", self.base))
            .query(&[
                ("api-version", "2018-02-01"),
                ("resource", resource),
                ("client_id", client_id),
            ])
            .header("Metadata", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        v["access_token"].as_str().unwrap().to_string()
    }

    pub async fn exchange(
        &self,
        tenant: &str,
        client_id: &str,
        assertion: &str,
        scope: &str,
    ) -> (u16, Value) {
        self.token_form(
            tenant,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("scope", scope),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion),
            ],
        )
        .await
    }

    pub async fn graph(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut r = self
            .http
            .request(method, format!("{}/v1.0/{path}", self.base))
            .bearer_auth(token)
            .header("client-request-id", "11111111-2222-3333-4444-555555555555");
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    /// A Graph GET: status and JSON body.
    pub async fn graph_get(&self, path: &str, token: &str) -> (u16, Value) {
        let (status, _, body) = self.graph(reqwest::Method::GET, path, token, None).await;
        (status, body)
    }

    pub async fn add_fic(
        &self,
        token: &str,
        name: &str,
        issuer: &str,
        subject: &str,
        aud: &str,
    ) -> (u16, Value) {
        let (s, _, v) = self
            .graph(
                reqwest::Method::POST,
                &format!("applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials"),
                token,
                Some(
                    json!({"name": name, "issuer": issuer, "subject": subject, "audiences": [aud]}),
                ),
            )
            .await;
        (s, v)
    }
}

/// The body of a create that must succeed (setup): asserts its status is 201.
pub fn created((status, body): (u16, Value)) -> Value {
    assert_eq!(status, 201, "create failed: {body}");
    body
}

/// The first AADSTS code of a token endpoint error.
pub fn code_of(v: &Value) -> u64 {
    v["error_codes"][0].as_u64().unwrap_or(0)
}

/// `clients` concurrent clients each list the workload app's credentials `requests` times;
/// returns how many answers were 200.
pub async fn list_credentials_concurrently(
    e: &Emulator,
    token: &str,
    clients: usize,
    requests: usize,
) -> usize {
    let url = format!(
        "{}/v1.0/applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials",
        e.url
    );
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (url, token) = (url.clone(), token.to_string());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut ok = 0;
                for _ in 0..requests {
                    let answer = http.get(&url).bearer_auth(&token).send().await;
                    if answer.is_ok_and(|r| r.status() == 200) {
                        ok += 1;
                    }
                }
                ok
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap_or(0);
    }
    ok
}
