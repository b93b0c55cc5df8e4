//! entra-emulator throughput: 1,000 Graph list requests from 50 concurrent clients, no
//! faults, and the same with `--latency-ms 50`.
//!
//! Run: `cargo bench --bench emulator`.

use std::time::{Duration, Instant};

use terraform_provider_entra::emulator::{Emulator, EmulatorConfig, Faults};

const WORKLOAD_OBJECT: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02";

async fn admin_token(url: &str) -> String {
    let v: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{url}/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/oauth2/v2.0/token"
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "c11e0001-5a6b-4c7d-8e9f-0a1b2c3d4e01"),
            ("client_secret", "quickstart-admin-secret"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    v["access_token"].as_str().unwrap_or_default().to_string()
}

async fn run(latency: Duration) -> (Duration, usize) {
    let e = Emulator::start(EmulatorConfig {
        faults: Faults {
            latency,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let token = admin_token(&e.url).await;
    let started = Instant::now();
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
                    .map(|r| r.status().is_success())
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
        ok += t.await.unwrap_or(0);
    }
    (started.elapsed(), ok)
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!("| emulator load | requests OK | wall time | throughput |");
    println!("|---|---|---|---|");
    for latency in [Duration::ZERO, Duration::from_millis(50)] {
        let (elapsed, ok) = rt.block_on(run(latency));
        println!(
            "| 1,000 Graph lists, 50 clients, latency {} ms | {ok} | {:.2} s | {:.0} req/s |",
            latency.as_millis(),
            elapsed.as_secs_f64(),
            1000.0 / elapsed.as_secs_f64()
        );
    }
}
