//! Microsoft Graph's federated identity credential API: Graph's rules, lookups, filters,
//! updates, deletion, the limit of 20, and authorization.

mod common;

use common::*;
use entra_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};

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
    let one = format!("{base}/{id}");
    let (s, h, v) = c.graph(reqwest::Method::GET, &one, &admin, None).await;
    assert_eq!((s, v["name"].as_str().unwrap()), (200, "deploy"));
    assert!(h.get("request-id").is_some());
    assert_eq!(
        h.get("client-request-id").unwrap(),
        "11111111-2222-3333-4444-555555555555"
    );
    let (s, v) = c
        .graph_get(
            &format!("applications(appId='{WORKLOAD_CLIENT}')/federatedIdentityCredentials/deploy"),
            &admin,
        )
        .await;
    assert_eq!((s, v["id"].as_str().unwrap()), (200, id.as_str()));
    for filter in [
        "name eq 'slash'".to_string(),
        format!("subject eq '{DEPLOY_PRINCIPAL}'"),
    ] {
        let (_, v) = c
            .graph_get(&format!("{base}?$filter={filter}"), &admin)
            .await;
        assert_eq!(v["value"].as_array().unwrap().len(), 1, "{filter}");
    }
    // Any other filter is refused, as Graph does, rather than ignored.
    for list in [base.as_str(), "applications"] {
        let unsupported = format!("{list}?$filter=startswith(name, 'd')");
        let (s, v) = c.graph_get(&unsupported, &admin).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (400, Some("Request_UnsupportedQuery")),
            "{list}: {v}"
        );
    }
    let by_app_id = format!("applications?$filter=appId eq '{WORKLOAD_CLIENT}'");
    let (_, v) = c.graph_get(&by_app_id, &admin).await;
    assert_eq!(v["value"][0]["id"], json!(WORKLOAD_OBJECT));

    // Graph beta serves the same credentials.
    let beta: Value = c
        .http
        .get(format!(
            "{}/beta/applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials",
            e.url
        ))
        .bearer_auth(&admin)
        .fetch_json()
        .await;
    assert_eq!(beta["value"].as_array().unwrap().len(), 2);

    // PATCH: name immutable; description updates.
    let patched = |body| c.graph(reqwest::Method::PATCH, &one, &admin, Some(body));
    assert_eq!(patched(json!({"name": "renamed"})).await.0, 400);
    assert_eq!(patched(json!({"description": "hello"})).await.0, 204);
    let (_, v) = c.graph_get(&one, &admin).await;
    assert_eq!(v["description"], json!("hello"));

    // DELETE then 404 with OData shape.
    let (s, _, _) = c.graph(reqwest::Method::DELETE, &one, &admin, None).await;
    assert_eq!(s, 204);
    let (s, v) = c.graph_get(&one, &admin).await;
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
            let st = c.inspect("state").await;
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
    let (s, v) = c.graph_get(&base, "not-a-token").await;
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
    assert_eq!(c.graph_get(&base, &other).await.0, 401);
}
