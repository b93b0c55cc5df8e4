//! `GET /v1.0/applications` as Graph serves it: `$select`, `$expand=federatedIdentityCredentials`,
//! the lambda `$filter` (an advanced query), `$count`, `$top`, and paging with
//! `@odata.nextLink` under `--page-size`.

mod common;

use common::*;
use entra_emulator::seed::SeedApplication;
use entra_emulator::{Emulator, EmulatorConfig, Seed};
use serde_json::{json, Value};

/// The object id of extra application `i`.
fn app(i: usize) -> String {
    format!("a0000000-0000-4000-8000-{i:012}")
}

/// The built-in seed plus 12 applications; pages of 2.
async fn start() -> (Emulator, Client, String) {
    let mut seed = Seed::default_seed();
    for i in 0..12 {
        seed.tenants[0].applications.push(SeedApplication {
            object_id: app(i),
            client_id: format!("c0000000-0000-4000-8000-{i:012}"),
            display_name: format!("app-{i}"),
            ..Default::default()
        });
    }
    let e = Emulator::start(EmulatorConfig {
        seed,
        page_size: Some(2),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    // Applications 0, 3 and 7 trust `deploy`; every application has a GitHub credential.
    for i in 0..12 {
        let path = format!("applications/{}/federatedIdentityCredentials", app(i));
        let mut bodies = vec![
            json!({"name": "github", "issuer": "https://token.actions.githubusercontent.com", "subject": format!("repo:o/r{i}:ref:refs/heads/main"), "audiences": [EXCHANGE]}),
        ];
        if [0, 3, 7].contains(&i) {
            bodies.push(json!({"name": "deploy", "issuer": issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}));
        }
        for b in bodies {
            let (s, _, v) = c.graph(reqwest::Method::POST, &path, &admin, Some(b)).await;
            assert_eq!(s, 201, "{v}");
        }
    }
    (e, c, admin)
}

/// GET `url` (absolute) with `headers`: status and JSON.
async fn get(c: &Client, url: &str, token: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut r = c.http.get(url).bearer_auth(token);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Every page from `first` on: the pages' bodies.
async fn pages(c: &Client, first: &str, token: &str, headers: &[(&str, &str)]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut url = Some(first.to_string());
    while let Some(u) = url {
        let (s, v) = get(c, &u, token, headers).await;
        assert_eq!(s, 200, "{u}: {v}");
        url = v["@odata.nextLink"].as_str().map(str::to_string);
        out.push(v);
        assert!(out.len() < 50, "paging does not end");
    }
    out
}

const EXPANDED: &str =
    "applications?$select=id,appId,displayName&$expand=federatedIdentityCredentials";
const LAMBDA: &str = "$filter=federatedIdentityCredentials/any(f:f/subject eq 'b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1')";

#[tokio::test]
async fn the_tenant_pages_with_credentials_expanded() {
    let (_e, c, admin) = start().await;
    let all = pages(&c, &format!("{}/v1.0/{EXPANDED}", c.base), &admin, &[]).await;
    // 14 applications (the seed's 2 and 12 more) in pages of 2.
    assert_eq!(all.len(), 7);
    let apps: Vec<&Value> = all
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap())
        .collect();
    assert_eq!(apps.len(), 14);
    let ids: std::collections::BTreeSet<&str> =
        apps.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 14, "no application twice");
    let three = apps.iter().find(|a| a["id"] == app(3)).unwrap();
    assert_eq!(three["appId"], "c0000000-0000-4000-8000-000000000003");
    assert_eq!(three["displayName"], "app-3");
    let creds = three["federatedIdentityCredentials"].as_array().unwrap();
    let mut names: Vec<&str> = creds.iter().map(|f| f["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["deploy", "github"]);
    // Without a $count, no count; without $expand, no credentials; $select narrows.
    assert!(all[0].get("@odata.count").is_none());
    let (s, v) = c.graph_get("applications?$select=id", &admin).await;
    assert_eq!(s, 200);
    let first = &v["value"][0];
    assert!(
        first.get("id").is_some() && first.get("appId").is_none(),
        "{first}"
    );
    assert!(first.get("federatedIdentityCredentials").is_none());
    // $top below the page size makes pages smaller.
    let (_, v) = c.graph_get("applications?$top=1", &admin).await;
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    assert!(v["@odata.nextLink"].as_str().unwrap().contains("%24top=1"));
    // Refused as Graph refuses: an unknown property, expansion or page size.
    for q in ["$select=id,nope", "$expand=owners", "$top=0", "$top=1000"] {
        let (s, v) = c.graph_get(&format!("applications?{q}"), &admin).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (400, Some("Request_BadRequest")),
            "{q}"
        );
    }
}

#[tokio::test]
async fn the_lambda_filter_is_an_advanced_query() {
    let (_e, c, admin) = start().await;
    let url = format!("{}/v1.0/{EXPANDED}&{LAMBDA}", c.base);
    // Without the header and $count=true, or with only one of them: Graph's 400.
    for (u, h) in [
        (url.clone(), vec![]),
        (url.clone(), vec![("ConsistencyLevel", "eventual")]),
        (format!("{url}&$count=true"), vec![]),
    ] {
        let (s, v) = get(&c, &u, &admin, &h).await;
        assert_eq!(s, 400, "{u} {h:?}: {v}");
        assert_eq!(v["error"]["code"], "Request_UnsupportedQuery");
        assert!(v["error"]["innerError"]["request-id"].is_string(), "{v}");
    }
    let advanced = [("ConsistencyLevel", "eventual")];
    let all = pages(&c, &format!("{url}&$count=true"), &admin, &advanced).await;
    assert_eq!(all.len(), 2, "3 applications in pages of 2");
    assert_eq!(all[0]["@odata.count"], 3);
    let mut ids: Vec<&str> = all
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap())
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, [app(0), app(3), app(7)]);
    // The next page needs the header too: its link keeps the query, not the header.
    let next = all[0]["@odata.nextLink"].as_str().unwrap();
    let (s, _) = get(&c, next, &admin, &[]).await;
    assert_eq!(s, 400);
    // A subject nobody trusts: an empty list, counted.
    let none = format!(
        "{}/v1.0/applications?$count=true&$filter=federatedIdentityCredentials/any(f:f/subject eq 'it''s')",
        c.base
    );
    let (s, v) = get(&c, &none, &admin, &advanced).await;
    assert_eq!((s, v["@odata.count"].as_u64()), (200, Some(0)), "{v}");
    // Other filters on applications are refused, not ignored.
    let (s, v) = c
        .graph_get("applications?$filter=displayName eq 'app-1'", &admin)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("Request_UnsupportedQuery"))
    );
}
