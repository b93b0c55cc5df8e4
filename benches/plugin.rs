//! Plugin numbers for docs/benchmarks.md: time from process start to the handshake line
//! (median of 20), peak RSS while Terraform reads the schema, and the binary's size.
//!
//! Run: `cargo bench --bench plugin` (release build; not part of `cargo test`).

#[path = "../tests/common/mod.rs"]
mod common;

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

/// Peak RSS (KiB) of the provider while `terraform providers schema -json` runs, through a
/// `/usr/bin/time -f %M` wrapper installed in the mirror in place of the binary.
fn schema_peak_rss_kib() -> Option<u64> {
    let time = std::path::Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let h = common::Harness::new();
    let version = env!("CARGO_PKG_VERSION");
    let plugin = std::fs::read_dir(
        h.dir
            .path()
            .join("mirror")
            .join(common::SOURCE)
            .join(version),
    )
    .ok()?
    .next()?
    .ok()?
    .path()
    .join(format!("terraform-provider-entra_v{version}"));
    let real = h.dir.path().join("real-provider");
    std::fs::rename(&plugin, &real).ok()?;
    let report = h.dir.path().join("rss");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\nexec /usr/bin/time -a -f %M -o {} {} \"$@\"\n",
            report.display(),
            real.display()
        ),
    )
    .ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).ok()?;
    }
    h.main_tf("");
    h.init();
    h.ok(&["providers", "schema", "-json"]);
    let text = std::fs::read_to_string(report).ok()?;
    text.lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .max()
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
            "| peak RSS during `terraform providers schema -json` | {:.1} MiB |",
            k as f64 / 1024.0
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
