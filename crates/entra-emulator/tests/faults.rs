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

/// Graph applies a write whose client went away; so does the emulator: a POST, PATCH and
/// DELETE whose clients give up during the write latency are applied all the same, and
/// reads are not slowed by the write latency.
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
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let listed = || async {
        let started = std::time::Instant::now();
        let v = c.graph_get(&path, &admin).await.1;
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "reads are not slowed by the write latency"
        );
        v
    };

    let posted = impatient
        .post(&list)
        .bearer_auth(&admin)
        .json(&json!({"name": "left-early", "issuer": issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}))
        .send()
        .await;
    assert!(posted.is_err(), "the client gives up before the answer");
    assert!(names(&listed().await).is_empty(), "not applied yet");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let v = listed().await;
    assert_eq!(names(&v), ["left-early"], "applied after its client left");
    let id = v["value"][0]["id"].as_str().unwrap().to_string();

    let one = format!("{list}/{id}");
    let patched = impatient
        .patch(&one)
        .bearer_auth(&admin)
        .json(&json!({"description": "patched after leaving"}))
        .send()
        .await;
    assert!(patched.is_err(), "the client gives up before the answer");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let v = listed().await;
    assert_eq!(
        v["value"][0]["description"], "patched after leaving",
        "the PATCH was applied after its client left: {v}"
    );
    let deleted = impatient.delete(&one).bearer_auth(&admin).send().await;
    assert!(deleted.is_err());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        names(&listed().await).is_empty(),
        "the DELETE was applied after its client left"
    );
}
