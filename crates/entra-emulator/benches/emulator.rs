//! entra-emulator throughput: 1,000 Graph list requests from 50 concurrent clients, no
//! faults, and the same with `--latency-ms 50`.
//!
//! Run: `cargo bench --bench emulator`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Client, WORKLOAD_OBJECT};
use entra_emulator::{Emulator, EmulatorConfig, Faults};

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
    let token = Client::new(&e).admin_token().await;
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
