//! The Graph workload of docs/benchmarks.md: for N = 20, 200 and 1,000 credentials (20 per
//! application) against entra-emulator with `--latency-ms 50`, the wall time and Graph
//! request count of apply, of a no-change plan, and of destroy.
//!
//! Run: `cargo bench --bench workload` (add `-- 20 200` to pick sizes).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{seed_with_apps, Emu, Harness};
use entra_emulator::{EmulatorConfig, Faults};

/// Graph requests in an emulator request report.
fn graph_calls_in(report: &serde_json::Value) -> u64 {
    report["routes"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(r, _)| r.contains(" /v1.0/"))
                .map(|(_, n)| n.as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let show_routes = std::env::args().any(|a| a == "--routes");
    let sizes = if sizes.is_empty() {
        vec![20, 200, 1000]
    } else {
        sizes
    };
    println!(
        "| N | apps | apply | Graph calls | no-change plan | Graph calls | destroy | Graph calls |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let apps = n.div_ceil(20);
        let emu = Emu::start(EmulatorConfig {
            seed: seed_with_apps(0..apps),
            faults: Faults {
                latency: Duration::from_millis(50),
                ..Faults::default()
            },
            ..EmulatorConfig::default()
        });
        let h = Harness::new();
        h.main_tf(&format!(
            "{}locals {{\n  creds = {{ for i in range({n}) : format(\"cred-%04d\", i) => {{ app = format(\"a0000000-0000-4000-8000-%012d\", floor(i / 20)), principal = format(\"%08x-0000-4000-8000-000000000000\", i) }} }}\n}}\n\
             resource \"entra_mi_federated_credential\" \"c\" {{\n  for_each = local.creds\n  application_object_id = each.value.app\n  name = each.key\n  managed_identity_principal_id = each.value.principal\n}}\n",
            emu.provider_block()
        ));
        h.init();
        let measure = |args: &[&str]| {
            let before = emu.requests();
            let started = Instant::now();
            let out = h.tf(args);
            let elapsed = started.elapsed();
            assert!(
                out.status.success(),
                "terraform {args:?} failed:\n{}",
                common::text(&out)
            );
            let after = emu.requests();
            if show_routes {
                for (route, count) in after["routes"].as_object().into_iter().flatten() {
                    let delta =
                        count.as_u64().unwrap_or(0) - before["routes"][route].as_u64().unwrap_or(0);
                    if delta > 0 {
                        eprintln!("  {} {route}: {delta}", args[0]);
                    }
                }
            }
            (elapsed, graph_calls_in(&after) - graph_calls_in(&before))
        };
        let (apply, apply_calls) =
            measure(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        assert_eq!(emu.credential_count(), n as u64);
        let (plan, plan_calls) =
            measure(&["plan", "-no-color", "-input=false", "-detailed-exitcode"]);
        let (destroy, destroy_calls) =
            measure(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
        assert_eq!(emu.credential_count(), 0);
        println!(
            "| {n} | {apps} | {:.1} s | {apply_calls} | {:.1} s | {plan_calls} | {:.1} s | {destroy_calls} |",
            apply.as_secs_f64(),
            plan.as_secs_f64(),
            destroy.as_secs_f64()
        );
    }
}
