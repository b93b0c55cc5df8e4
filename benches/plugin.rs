//! Plugin numbers for docs/benchmarks.md: time from process start to the handshake line
//! (median of 20), peak RSS while Terraform reads the schema, and the binary's size.
//!
//! Run: `cargo bench --bench plugin` (release build; not part of `cargo test`).

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn handshake_once(tls: bool) -> Duration {
    let mut cmd = Command::new(common::provider_binary());
    cmd.env(
        "TF_PLUGIN_MAGIC_COOKIE",
        "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
    )
    .env("PLUGIN_PROTOCOL_VERSIONS", "5")
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    if tls {
        cmd.env(
            "PLUGIN_CLIENT_CERT",
            "-----BEGIN CERTIFICATE-----\nunused\n-----END CERTIFICATE-----\n",
        );
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("handshake");
    let elapsed = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("1|5|tcp|"), "{line}");
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Peak RSS (KiB) of the provider while `terraform providers schema -json` runs.
fn schema_peak_rss_kib() -> Option<u64> {
    let h = common::Harness::new();
    let report = support::ProcessReport::install(&h)?;
    h.main_tf("");
    h.init();
    let _ = report.take(); // `init` may start the provider too
    h.ok(&["providers", "schema", "-json"]);
    report.take().map(|u| u.peak_rss_kib)
}

fn main() {
    let _ = common::terraform_path();
    for _ in 0..3 {
        handshake_once(true); // warm the page cache
    }
    let tls = median((0..20).map(|_| handshake_once(true)).collect());
    let plain = median((0..20).map(|_| handshake_once(false)).collect());
    let size = std::fs::metadata(common::provider_binary())
        .map(|m| m.len())
        .unwrap_or(0);
    let rss = schema_peak_rss_kib();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| start to handshake line, AutoMTLS (median of 20) | {:.1} ms |",
        tls.as_secs_f64() * 1000.0
    );
    println!(
        "| start to handshake line, plaintext (median of 20) | {:.1} ms |",
        plain.as_secs_f64() * 1000.0
    );
    match rss {
        Some(k) => println!(
            "| peak RSS during `terraform providers schema -json` | {} |",
            support::mib(k)
        ),
        None => println!(
            "| peak RSS during `terraform providers schema -json` | n/a (/usr/bin/time missing) |"
        ),
    }
    println!(
        "| provider binary size (stripped release) | {:.1} MiB |",
        size as f64 / (1024.0 * 1024.0)
    );
}
