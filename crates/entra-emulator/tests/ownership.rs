//! Seeds for Azure compute scenarios: a managed identity with Graph permissions signs in
//! to Graph itself, `Application.ReadWrite.OwnedBy` reaches only the applications it owns,
//! and a multi-tenant application signs in at the tenants it is provisioned in.

mod common;

use common::*;
use entra_emulator::{Emulator, EmulatorConfig, Seed};
use serde_json::{json, Value};

const BUILD_CLIENT: &str = "d0000002-2b3c-4d5e-8f90-a1b2c3d4e5f2";
const PARTNER: &str = "9b000000-0000-4000-8000-000000000000";
const GRAPH: &str = "https://graph.microsoft.com";

/// The built-in seed; the `deploy` identity holds OwnedBy and owns the workload app, which
/// is provisioned in a partner tenant; `build` holds no Graph permission.
fn seed() -> Seed {
    let mut seed = Seed::default_seed();
    let t = &mut seed.tenants[0];
    t.managed_identities[0].graph_permissions = vec!["Application.ReadWrite.OwnedBy".into()];
    t.applications[1].owners = vec![DEPLOY_PRINCIPAL.into()];
    t.applications[1].provisioned_in = vec![PARTNER.into()];
    seed.tenants.push(entra_emulator::seed::SeedTenant {
        id: PARTNER.into(),
        applications: vec![],
        managed_identities: vec![],
    });
    seed
}

async fn start() -> (Emulator, Client) {
    let e = Emulator::start(EmulatorConfig {
        seed: seed(),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let c = Client::new(&e);
    (e, c)
}

async fn get(c: &Client, token: &str, path: &str) -> (u16, Value) {
    let r = c
        .http
        .get(format!("{}/v1.0/{path}", c.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn owned_by_reaches_only_owned_applications() {
    let (_e, c) = start().await;
    let token = c.mi_token(DEPLOY_CLIENT, GRAPH).await;
    assert_eq!(
        claims(&token)["roles"],
        json!(["Application.ReadWrite.OwnedBy"])
    );
    let (s, owned) = get(&c, &token, &format!("applications/{WORKLOAD_OBJECT}")).await;
    assert_eq!((s, owned["appId"].as_str()), (200, Some(WORKLOAD_CLIENT)));
    let (s, other) = get(&c, &token, &format!("applications/{ADMIN_OBJECT}")).await;
    assert_eq!(s, 403, "{other}");
    assert_eq!(other["error"]["code"], json!("Authorization_RequestDenied"));
    let (_, list) = get(&c, &token, "applications").await;
    let ids: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, [WORKLOAD_OBJECT]);
    // A write on the owned application passes, on another one is refused.
    let body = |name: &str| json!({"name": name, "issuer": issuer(), "subject": BUILD_PRINCIPAL, "audiences": [EXCHANGE]});
    let post = |app: &str, name: &str| {
        c.http
            .post(format!(
                "{}/v1.0/applications/{app}/federatedIdentityCredentials",
                c.base
            ))
            .bearer_auth(&token)
            .json(&body(name))
            .send()
    };
    assert_eq!(post(WORKLOAD_OBJECT, "owned").await.unwrap().status(), 201);
    assert_eq!(post(ADMIN_OBJECT, "other").await.unwrap().status(), 403);
    // OwnedBy does not read service principals; an identity without roles reads nothing.
    let (s, _) = get(&c, &token, &format!("servicePrincipals/{DEPLOY_PRINCIPAL}")).await;
    assert_eq!(s, 403);
    let none = c.mi_token(BUILD_CLIENT, GRAPH).await;
    let (s, _) = get(&c, &none, &format!("applications/{WORKLOAD_OBJECT}")).await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn a_multi_tenant_app_signs_in_where_it_is_provisioned() {
    let (_e, c) = start().await;
    let admin = c.admin_token().await;
    let created = c
        .http
        .post(format!(
            "{}/v1.0/applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials",
            c.base
        ))
        .bearer_auth(&admin)
        .json(&json!({"name": "deploy", "issuer": issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let assertion = c.mi_token(DEPLOY_CLIENT, EXCHANGE).await;
    let scope = "https://graph.microsoft.com/.default";
    let (s, v) = c
        .exchange(PARTNER, WORKLOAD_CLIENT, &assertion, scope)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        claims(v["access_token"].as_str().unwrap())["tid"],
        json!(PARTNER)
    );
    // Not provisioned there: the admin app is unknown in the partner tenant.
    let (s, v) = c.exchange(PARTNER, ADMIN_CLIENT, &assertion, scope).await;
    assert_eq!(s, 400);
    assert_eq!(v["error_codes"], json!([700016]), "{v}");
}
