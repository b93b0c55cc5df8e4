//! Fault injection (deterministic under a seed), replication lag, and load from many clients.

mod common;

use std::time::Duration;

use common::*;
use entra_emulator::{Emulator, EmulatorConfig, Faults};
use serde_json::json;

/// An emulator injecting `faults`.
async fn with_faults(faults: Faults) -> Emulator {
    Emulator::start(EmulatorConfig {
        faults,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
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
        let counts = Client::new(&e).inspect("requests").await;
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
    let e = with_faults(Faults {
        throttle_rate: 1.0,
        ..Faults::default()
    })
    .await;
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
    let e = with_faults(Faults {
        replication_lag: Duration::from_millis(600),
        ..Faults::default()
    })
    .await;
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    let v = created(
        c.add_fic(&admin, "deploy", &issuer(), DEPLOY_PRINCIPAL, EXCHANGE)
            .await,
    );
    let path = format!(
        "applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials/{}",
        v["id"].as_str().unwrap()
    );
    assert_eq!(c.graph_get(&path, &admin).await.0, 404);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(c.graph_get(&path, &admin).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_from_fifty_clients() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let token = Client::new(&e).admin_token().await;
    let started = std::time::Instant::now();
    let ok = list_credentials_concurrently(&e, &token, 50, 20).await;
    assert_eq!(ok, 1000);
    let counts = Client::new(&e).inspect("requests").await;
    assert_eq!(
        counts["routes"]["GET /v1.0/applications/{id}/federatedIdentityCredentials"],
        json!(1000)
    );
    eprintln!("1000 requests from 50 clients in {:?}", started.elapsed());
}

/// What the emulator holds for `app` (its `_emulator/state`): the credentials' JSON.
async fn recorded(c: &Client, app: &str) -> Vec<serde_json::Value> {
    let state = c.inspect("state").await;
    state["tenants"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["applications"].as_array().into_iter().flatten())
        .find(|a| a["object_id"] == app)
        .and_then(|a| a["federated_identity_credentials"].as_array().cloned())
        .unwrap_or_default()
}

/// Polls the emulator's record of `app` until `done` says yes (at most 5 s): a write
/// whose client left lands when its latency has passed.
async fn recorded_once(
    c: &Client,
    app: &str,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let mut creds = recorded(c, app).await;
    for _ in 0..50 {
        if done(&creds) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        creds = recorded(c, app).await;
    }
    creds
}

/// Graph applies a write whose client went away; so does the emulator: a POST, PATCH and
/// DELETE whose clients give up during the write latency are each counted once and applied
/// all the same, and a read made meanwhile is answered at once (it sees the write not
/// applied yet instead of waiting for it).
#[tokio::test]
async fn writes_complete_after_their_client_left() {
    let slow_writes = Faults {
        write_latency: Duration::from_millis(800),
        ..Faults::default()
    };
    let e = with_faults(slow_writes).await;
    let (c, admin) = (Client::new(&e), Client::new(&e).admin_token().await);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let path = format!("applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials");
    let list = format!("{}/v1.0/{path}", e.url);
    let routes = || async { c.inspect("requests").await["routes"].clone() };

    let posted = impatient
        .post(&list)
        .bearer_auth(&admin)
        .json(&json!({"name": "left-early", "issuer": issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}))
        .send()
        .await;
    assert!(
        posted.is_err_and(|e| e.is_timeout()),
        "the client gives up before the answer"
    );
    let (status, listed) = c.graph_get(&path, &admin).await;
    assert_eq!(status, 200);
    assert_eq!(
        listed["value"],
        json!([]),
        "a read during the write is answered before the write lands"
    );
    let creds = recorded_once(&c, WORKLOAD_OBJECT, |cs| !cs.is_empty()).await;
    assert_eq!(
        creds.len(),
        1,
        "applied once after its client left: {creds:?}"
    );
    assert_eq!(creds[0]["name"], "left-early");
    assert_eq!(creds[0]["subject"], DEPLOY_PRINCIPAL);
    let id = creds[0]["id"].as_str().unwrap_or_default().to_string();
    assert!(!id.is_empty(), "{creds:?}");

    let one = format!("{list}/{id}");
    let patched = impatient
        .patch(&one)
        .bearer_auth(&admin)
        .json(&json!({"description": "patched after leaving"}))
        .send()
        .await;
    assert!(
        patched.is_err_and(|e| e.is_timeout()),
        "the client gives up before the answer"
    );
    let creds = recorded_once(&c, WORKLOAD_OBJECT, |cs| {
        cs.first()
            .is_some_and(|c| c["description"] == "patched after leaving")
    })
    .await;
    assert_eq!(creds.len(), 1, "{creds:?}");
    assert_eq!(
        (&creds[0]["id"], &creds[0]["name"], &creds[0]["description"]),
        (
            &json!(id),
            &json!("left-early"),
            &json!("patched after leaving")
        ),
        "the PATCH was applied to the same credential after its client left"
    );
    assert_eq!(
        creds[0]["subject"], DEPLOY_PRINCIPAL,
        "a PATCH of the description keeps the rest"
    );
    assert_eq!(
        routes().await["PATCH /v1.0/applications/{id}/federatedIdentityCredentials/{id}"],
        json!(1),
        "one PATCH reached the emulator"
    );

    let deleted = impatient.delete(&one).bearer_auth(&admin).send().await;
    assert!(deleted.is_err_and(|e| e.is_timeout()));
    let creds = recorded_once(&c, WORKLOAD_OBJECT, |cs| cs.is_empty()).await;
    assert_eq!(
        creds,
        Vec::<serde_json::Value>::new(),
        "the DELETE was applied after its client left"
    );
    let (status, _) = c.graph_get(&format!("{path}/{id}"), &admin).await;
    assert_eq!(status, 404, "Graph no longer has it either");
}
