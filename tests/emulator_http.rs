//! entra-emulator over HTTP: every endpoint and error case, the complete managed
//! identity as federated credential flow, faults, concurrency, and the seed round trip.

use std::time::Duration;

use serde_json::{json, Value};
use terraform_provider_entra::emulator::{Emulator, EmulatorConfig, Faults};

const TENANT: &str = "6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01";
const ADMIN_CLIENT: &str = "c11e0001-5a6b-4c7d-8e9f-0a1b2c3d4e01";
const ADMIN_SECRET: &str = "quickstart-admin-secret";
const WORKLOAD_OBJECT: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02";
const WORKLOAD_CLIENT: &str = "c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02";
const DEPLOY_CLIENT: &str = "d0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";
const DEPLOY_PRINCIPAL: &str = "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";
const EXCHANGE: &str = "api://AzureADTokenExchange";

fn issuer() -> String {
    format!("https://login.microsoftonline.com/{TENANT}/v2.0")
}

fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    fn new(e: &Emulator) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: e.url.clone(),
        }
    }

    async fn token_form(&self, tenant: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/{tenant}/oauth2/v2.0/token", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn admin_token(&self) -> String {
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

    async fn mi_token(&self, client_id: &str, resource: &str) -> String {
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

    async fn exchange(
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

    async fn graph(
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

    async fn add_fic(
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

fn code_of(v: &Value) -> u64 {
    v["error_codes"][0].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn managed_identity_as_federated_credential_flow() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    assert_eq!(
        claims(&admin)["roles"],
        json!(["Application.ReadWrite.All"])
    );
    let (s, v) = c
        .add_fic(&admin, "deploy", &issuer(), DEPLOY_PRINCIPAL, EXCHANGE)
        .await;
    assert_eq!(s, 201, "{v}");

    let mi = c.mi_token(DEPLOY_CLIENT, EXCHANGE).await;
    let mc = claims(&mi);
    assert_eq!(mc["iss"], json!(issuer()));
    assert_eq!(mc["sub"], json!(DEPLOY_PRINCIPAL));
    assert_eq!(mc["oid"], json!(DEPLOY_PRINCIPAL));
    assert_eq!(mc["aud"], json!(EXCHANGE));
    assert!(mc["xms_mirid"].as_str().unwrap().ends_with("/deploy"));

    let (s, v) = c
        .exchange(
            TENANT,
            WORKLOAD_CLIENT,
            &mi,
            "api://workload-resource/.default",
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let app = claims(v["access_token"].as_str().unwrap());
    assert_eq!(app["appid"], json!(WORKLOAD_CLIENT));
    assert_eq!(app["tid"], json!(TENANT));
    assert_eq!(app["aud"], json!("api://workload-resource"));
}

#[tokio::test]
async fn each_mismatch_has_its_own_aadsts_code() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    let mi = c.mi_token(DEPLOY_CLIENT, EXCHANGE).await;
    let scope = "https://graph.microsoft.com/.default";

    // No credential with the token's issuer (trailing slash).
    c.add_fic(
        &admin,
        "slash",
        &format!("{}/", issuer()),
        DEPLOY_PRINCIPAL,
        EXCHANGE,
    )
    .await;
    assert_eq!(
        code_of(&c.exchange(TENANT, WORKLOAD_CLIENT, &mi, scope).await.1),
        700211
    );
    // Issuer right, subject is the client id.
    c.add_fic(&admin, "clientid", &issuer(), DEPLOY_CLIENT, EXCHANGE)
        .await;
    assert_eq!(
        code_of(&c.exchange(TENANT, WORKLOAD_CLIENT, &mi, scope).await.1),
        700213
    );
    // Issuer and subject right, audience of another cloud.
    c.add_fic(
        &admin,
        "usgov",
        &issuer(),
        DEPLOY_PRINCIPAL,
        "api://AzureADTokenExchangeUSGov",
    )
    .await;
    assert_eq!(
        code_of(&c.exchange(TENANT, WORKLOAD_CLIENT, &mi, scope).await.1),
        700212
    );
    // Unknown tenant, unknown app, bad scope.
    assert_eq!(
        code_of(
            &c.exchange(
                "00000000-0000-0000-0000-000000000000",
                WORKLOAD_CLIENT,
                &mi,
                scope
            )
            .await
            .1
        ),
        90002
    );
    assert_eq!(
        code_of(
            &c.exchange(TENANT, "99999999-0000-0000-0000-000000000000", &mi, scope)
                .await
                .1
        ),
        700016
    );
    assert_eq!(
        code_of(
            &c.exchange(TENANT, WORKLOAD_CLIENT, &mi, "User.Read")
                .await
                .1
        ),
        70011
    );
    // A tampered assertion, a Graph token as assertion.
    let mut tampered = mi.clone();
    tampered.pop();
    tampered.push(if mi.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(
        code_of(
            &c.exchange(TENANT, WORKLOAD_CLIENT, &tampered, scope)
                .await
                .1
        ),
        700027
    );
    let graph_mi = c
        .mi_token(DEPLOY_CLIENT, "https://graph.microsoft.com")
        .await;
    assert_eq!(
        code_of(
            &c.exchange(TENANT, WORKLOAD_CLIENT, &graph_mi, scope)
                .await
                .1
        ),
        700222
    );
    // Wrong secret.
    let (s, v) = c
        .token_form(
            TENANT,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", ADMIN_CLIENT),
                ("client_secret", "wrong"),
                ("scope", scope),
            ],
        )
        .await;
    assert_eq!(s, 401);
    assert_eq!(code_of(&v), 7000215);
    for key in [
        "error",
        "error_description",
        "timestamp",
        "trace_id",
        "correlation_id",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert!(v["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS7000215:"));
}

#[tokio::test]
async fn propagation_delay_answers_70021_then_works() {
    let e = Emulator::start(EmulatorConfig {
        fic_propagation_delay: Duration::from_millis(700),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    c.add_fic(&admin, "deploy", &issuer(), DEPLOY_PRINCIPAL, EXCHANGE)
        .await;
    let mi = c.mi_token(DEPLOY_CLIENT, EXCHANGE).await;
    assert_eq!(
        code_of(
            &c.exchange(
                TENANT,
                WORKLOAD_CLIENT,
                &mi,
                "https://graph.microsoft.com/.default"
            )
            .await
            .1
        ),
        70021
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        c.exchange(
            TENANT,
            WORKLOAD_CLIENT,
            &mi,
            "https://graph.microsoft.com/.default"
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn expired_assertion_is_700024() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    c.add_fic(&admin, "deploy", &issuer(), DEPLOY_PRINCIPAL, EXCHANGE)
        .await;
    let signer = terraform_provider_entra::emulator::tokens::Signer::new().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let expired = signer
        .sign(&json!({"iss": issuer(), "sub": DEPLOY_PRINCIPAL, "aud": EXCHANGE, "idtyp": "app", "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}))
        .unwrap();
    assert_eq!(
        code_of(
            &c.exchange(
                TENANT,
                WORKLOAD_CLIENT,
                &expired,
                "https://graph.microsoft.com/.default"
            )
            .await
            .1
        ),
        700024
    );
}

#[tokio::test]
async fn discovery_and_external_oidc_issuer() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let r: Value = c
        .http
        .get(format!(
            "{}/{TENANT}/v2.0/.well-known/openid-configuration",
            e.url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["issuer"], json!(issuer()));
    let keys: Value = c
        .http
        .get(r["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["keys"][0]["kty"], json!("RSA"));
    let gh: Value = c
        .http
        .get(format!(
            "{}/_emulator/github/token?audience=api://AzureADTokenExchange",
            e.url
        ))
        .bearer_auth("emulator-request-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gh = gh["value"].as_str().unwrap();
    assert_eq!(
        claims(gh)["iss"],
        json!(format!("{}/_emulator/oidc", e.url))
    );
    // Its issuer is not trusted by the app yet.
    assert_eq!(
        code_of(
            &c.exchange(
                TENANT,
                WORKLOAD_CLIENT,
                gh,
                "https://graph.microsoft.com/.default"
            )
            .await
            .1
        ),
        700211
    );
    let unauth = c
        .http
        .get(format!("{}/_emulator/github/token", e.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unauth.status(), 401);
}

#[tokio::test]
async fn imds_and_app_service_endpoints() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let imds = format!("{}/metadata/identity/oauth2/token", e.url);
    // Missing Metadata header.
    let r = c
        .http
        .get(&imds)
        .query(&[("resource", EXCHANGE), ("client_id", DEPLOY_CLIENT)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(v["error_description"]
        .as_str()
        .unwrap()
        .contains("metadata header"));
    // Unassigned identity.
    let r = c
        .http
        .get(&imds)
        .header("Metadata", "true")
        .query(&[
            ("resource", EXCHANGE),
            ("client_id", "99999999-0000-0000-0000-000000000000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error_description"],
        json!("Identity not found")
    );
    // Several identities and no selector.
    let r = c
        .http
        .get(&imds)
        .header("Metadata", "true")
        .query(&[("resource", EXCHANGE)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // By object id and by resource id; string types.
    for (k, v) in [("object_id", DEPLOY_PRINCIPAL), ("msi_res_id", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/quickstart/providers/Microsoft.ManagedIdentity/userAssignedIdentities/deploy")] {
        let r: Value = c.http.get(&imds).header("Metadata", "true").query(&[("resource", EXCHANGE), (k, v)]).send().await.unwrap().json().await.unwrap();
        assert!(r["expires_on"].is_string() && r["expires_in"].is_string(), "{r}");
        assert_eq!(claims(r["access_token"].as_str().unwrap())["sub"], json!(DEPLOY_PRINCIPAL));
    }
    // App Service.
    let app = format!("{}/msi/token", e.url);
    let q = [
        ("api-version", "2019-08-01"),
        ("resource", EXCHANGE),
        ("client_id", DEPLOY_CLIENT),
    ];
    assert_eq!(
        c.http.get(&app).query(&q).send().await.unwrap().status(),
        400
    );
    let r: Value = c
        .http
        .get(&app)
        .query(&q)
        .header("X-IDENTITY-HEADER", "emulator-identity-header")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["expires_on"].is_string());
    assert_eq!(
        claims(r["access_token"].as_str().unwrap())["oid"],
        json!(DEPLOY_PRINCIPAL)
    );
    let by_principal: Value = c
        .http
        .get(&app)
        .query(&[
            ("api-version", "2019-08-01"),
            ("resource", EXCHANGE),
            ("principal_id", DEPLOY_PRINCIPAL),
        ])
        .header("X-IDENTITY-HEADER", "emulator-identity-header")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_principal["client_id"], json!(DEPLOY_CLIENT));
}

#[tokio::test]
async fn graph_credentials_follow_graph_rules() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    let base = format!("applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials");
    let (s, v) = c
        .add_fic(&admin, "deploy", &issuer(), DEPLOY_PRINCIPAL, EXCHANGE)
        .await;
    assert_eq!(s, 201);
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["description"], Value::Null);

    // Name unique: 409. Issuer+subject unique: 400.
    let (s, v) = c
        .add_fic(&admin, "deploy", &issuer(), "other", EXCHANGE)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (409, "Request_MultipleObjectsWithSameKeyValue")
    );
    let (s, v) = c
        .add_fic(&admin, "deploy2", &issuer(), DEPLOY_PRINCIPAL, EXCHANGE)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (400, "InvalidFederatedIdentityCredentialValue")
    );
    // Graph's own rules (shared with the provider): two audiences, wildcard, long subject.
    let (s, _, v) = c.graph(reqwest::Method::POST, &base, &admin, Some(json!({"name": "two", "issuer": issuer(), "subject": "s2", "audiences": ["a", "b"]}))).await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("exactly one audience"));
    let (s, _, _) = c.graph(reqwest::Method::POST, &base, &admin, Some(json!({"name": "wild", "issuer": "https://x/*", "subject": "s3", "audiences": ["a"]}))).await;
    assert_eq!(s, 400);
    let (s, _, _) = c.graph(reqwest::Method::POST, &base, &admin, Some(json!({"name": "long", "issuer": issuer(), "subject": "s".repeat(601), "audiences": ["a"]}))).await;
    assert_eq!(s, 400);
    // ...but not the provider's stricter ones: a trailing slash is accepted, as by Graph.
    let (s, _) = c
        .add_fic(&admin, "slash", &format!("{}/", issuer()), "s4", EXCHANGE)
        .await;
    assert_eq!(s, 201);

    // Get by id and by name, via object id and appId; filters; headers.
    let (s, h, v) = c
        .graph(reqwest::Method::GET, &format!("{base}/{id}"), &admin, None)
        .await;
    assert_eq!((s, v["name"].as_str().unwrap()), (200, "deploy"));
    assert!(h.get("request-id").is_some());
    assert_eq!(
        h.get("client-request-id").unwrap(),
        "11111111-2222-3333-4444-555555555555"
    );
    let (s, _, v) = c
        .graph(
            reqwest::Method::GET,
            &format!("applications(appId='{WORKLOAD_CLIENT}')/federatedIdentityCredentials/deploy"),
            &admin,
            None,
        )
        .await;
    assert_eq!((s, v["id"].as_str().unwrap()), (200, id.as_str()));
    let (_, _, v) = c
        .graph(
            reqwest::Method::GET,
            &format!("{base}?$filter=name eq 'slash'"),
            &admin,
            None,
        )
        .await;
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    let (_, _, v) = c
        .graph(
            reqwest::Method::GET,
            &format!("{base}?$filter=subject eq '{DEPLOY_PRINCIPAL}'"),
            &admin,
            None,
        )
        .await;
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    let (_, _, v) = c
        .graph(
            reqwest::Method::GET,
            &format!("applications?$filter=appId eq '{WORKLOAD_CLIENT}'"),
            &admin,
            None,
        )
        .await;
    assert_eq!(v["value"][0]["id"], json!(WORKLOAD_OBJECT));

    // Graph beta serves the same credentials.
    let beta: Value = c
        .http
        .get(format!(
            "{}/beta/applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials",
            e.url
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(beta["value"].as_array().unwrap().len(), 2);

    // PATCH: name immutable; description updates.
    let (s, _, _) = c
        .graph(
            reqwest::Method::PATCH,
            &format!("{base}/{id}"),
            &admin,
            Some(json!({"name": "renamed"})),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _, _) = c
        .graph(
            reqwest::Method::PATCH,
            &format!("{base}/{id}"),
            &admin,
            Some(json!({"description": "hello"})),
        )
        .await;
    assert_eq!(s, 204);
    let (_, _, v) = c
        .graph(reqwest::Method::GET, &format!("{base}/{id}"), &admin, None)
        .await;
    assert_eq!(v["description"], json!("hello"));

    // DELETE then 404 with OData shape.
    let (s, _, _) = c
        .graph(
            reqwest::Method::DELETE,
            &format!("{base}/{id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _, v) = c
        .graph(reqwest::Method::GET, &format!("{base}/{id}"), &admin, None)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (404, "Request_ResourceNotFound")
    );
    assert!(v["error"]["innerError"]["request-id"].is_string());

    // The 21st credential is refused.
    for i in 0..30 {
        let (s, _) = c
            .add_fic(
                &admin,
                &format!("cred-{i}"),
                &issuer(),
                &format!("subject-{i}"),
                EXCHANGE,
            )
            .await;
        if s != 201 {
            let st: Value = c
                .http
                .get(format!("{}/_emulator/state", e.url))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let n = st["tenants"][0]["applications"][1]["federated_identity_credentials"]
                .as_array()
                .unwrap()
                .len();
            assert_eq!(n, 20);
            assert_eq!(s, 400);
            return;
        }
    }
    panic!("the limit of 20 was not enforced");
}

#[tokio::test]
async fn graph_authorization() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let base = format!("applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials");
    let (s, _, v) = c
        .graph(reqwest::Method::GET, &base, "not-a-token", None)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (401, "InvalidAuthenticationToken")
    );
    // A managed identity's Graph token has no application permissions.
    let mi = c
        .mi_token(DEPLOY_CLIENT, "https://graph.microsoft.com")
        .await;
    let (s, _, v) = c
        .graph(
            reqwest::Method::POST,
            &base,
            &mi,
            Some(json!({"name": "x", "issuer": issuer(), "subject": "s", "audiences": [EXCHANGE]})),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str().unwrap()),
        (403, "Authorization_RequestDenied")
    );
    // A token for another audience.
    let other = c.mi_token(DEPLOY_CLIENT, EXCHANGE).await;
    assert_eq!(
        c.graph(reqwest::Method::GET, &base, &other, None).await.0,
        401
    );
}

async fn statuses(e: &Emulator, token: &str, n: usize) -> Vec<String> {
    let c = Client::new(e);
    let mut out = Vec::new();
    for _ in 0..n {
        let r = c
            .http
            .get(format!(
                "{}/v1.0/applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials",
                e.url
            ))
            .bearer_auth(token)
            .send()
            .await;
        out.push(match r {
            Ok(r) => r.status().as_u16().to_string(),
            Err(_) => "dropped".to_string(),
        });
    }
    out
}

#[tokio::test]
async fn faults_are_deterministic_under_a_seed() {
    let faults = Faults {
        throttle_rate: 0.3,
        error_rate: 0.1,
        drop_rate: 0.1,
        rng_seed: Some(42),
        ..Faults::default()
    };
    let run = || async {
        let e = Emulator::start(EmulatorConfig {
            faults: faults.clone(),
            ..EmulatorConfig::default()
        })
        .await
        .unwrap();
        let token = Client::new(&e).admin_token().await;
        let s = statuses(&e, &token, 60).await;
        let counts: Value = reqwest::get(format!("{}/_emulator/requests", e.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (s, counts)
    };
    let (a, counts) = run().await;
    let (b, _) = run().await;
    assert_eq!(a, b);
    for want in ["429", "503", "dropped", "200"] {
        assert!(a.iter().any(|s| s == want), "{want} never seen in {a:?}");
    }
    assert!(counts["faults"]["throttle"].as_u64().unwrap() > 0);
    // Retry-After comes with 429.
    let e = Emulator::start(EmulatorConfig {
        faults: Faults {
            throttle_rate: 1.0,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let token = Client::new(&e).admin_token().await;
    let r = reqwest::Client::new()
        .get(format!("{}/v1.0/applications/{WORKLOAD_OBJECT}", e.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("Retry-After").is_some());
}

#[tokio::test]
async fn replication_lag_hides_new_credentials() {
    let e = Emulator::start(EmulatorConfig {
        faults: Faults {
            replication_lag: Duration::from_millis(600),
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    let (_, v) = c
        .add_fic(&admin, "deploy", &issuer(), DEPLOY_PRINCIPAL, EXCHANGE)
        .await;
    let path = format!(
        "applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials/{}",
        v["id"].as_str().unwrap()
    );
    assert_eq!(
        c.graph(reqwest::Method::GET, &path, &admin, None).await.0,
        404
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        c.graph(reqwest::Method::GET, &path, &admin, None).await.0,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_from_fifty_clients() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let token = Client::new(&e).admin_token().await;
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let url = format!(
            "{}/v1.0/applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials",
            e.url
        );
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut ok = 0;
            for _ in 0..20 {
                if http
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .map(|r| r.status() == 200)
                    .unwrap_or(false)
                {
                    ok += 1;
                }
            }
            ok
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap();
    }
    assert_eq!(ok, 1000);
    let counts: Value = reqwest::get(format!("{}/_emulator/requests", e.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        counts["routes"]["GET /v1.0/applications/{id}/federatedIdentityCredentials"],
        json!(1000)
    );
    eprintln!("1000 requests from 50 clients in {:?}", started.elapsed());
}

#[tokio::test]
async fn out_of_band_changes_and_reset() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    let r = http
        .post(format!(
            "{}/_emulator/applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials",
            e.url
        ))
        .json(&json!({"name": "drift", "issuer": issuer(), "subject": DEPLOY_PRINCIPAL}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let st: Value = http
        .get(format!("{}/_emulator/state", e.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["credential_count"], json!(1));
    assert_eq!(
        http.post(format!("{}/_emulator/reset", e.url))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let st: Value = http
        .get(format!("{}/_emulator/state", e.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["credential_count"], json!(0));
}

#[test]
fn default_seed_round_trips_through_the_binary() {
    let bin = env!("CARGO_BIN_EXE_entra-emulator");
    let out = std::process::Command::new(bin)
        .arg("--print-default-seed")
        .output()
        .unwrap();
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    std::fs::write(&path, &out.stdout).unwrap();
    let mut child = std::process::Command::new(bin)
        .args(["--port", "0", "--quiet", "--seed"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(
        line.starts_with("ENTRA_EMULATOR_URL=http://127.0.0.1:"),
        "{line}"
    );
    let url = line
        .trim()
        .trim_start_matches("ENTRA_EMULATOR_URL=")
        .to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let st: Value = rt.block_on(async {
        reqwest::get(format!("{url}/_emulator/state"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["tenants"][0]["id"], printed["tenants"][0]["id"]);
    assert_eq!(
        st["tenants"][0]["managed_identities"],
        printed["tenants"][0]["managed_identities"]
    );
    // SIGTERM ends it cleanly.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
