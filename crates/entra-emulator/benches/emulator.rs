//! entra-emulator throughput: 1,000 Graph list requests from 50 concurrent clients, no
//! faults, and the same with `--latency-ms 50`.
//!
//! Run: `cargo bench --bench emulator`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{list_credentials_concurrently, Client};
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
    let ok = list_credentials_concurrently(&e, &token, 50, 20).await;
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
