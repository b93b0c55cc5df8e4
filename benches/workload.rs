//! The Graph workload of docs/benchmarks.md, beside Terraform's own floor measured in the
//! same run. For each N (20 credentials per application, against entra-emulator answering
//! after 50 ms): apply, a no-change plan and destroy of N `entra_mi_federated_credential`,
//! each right after the same command on N built-in `terraform_data` resources, and the
//! latency floor (the Graph round trips no provider can avoid). The provider's overhead is
//! its time above `terraform_data` + latency floor, and the ratio to that sum.
//!
//! Run: `cargo bench --bench workload` (N = 20, 200 and 1,000). Pick sizes with
//! `-- 20 200` or `WORKLOAD_N=20,200`; `--routes` lists the Graph calls per route;
//! `--profile` runs the provider with `TF_LOG_PROVIDER=trace` and prints its gRPC calls
//! per resource and the time spent waiting for the per-application writer lock vs in
//! Graph requests (logging costs time: do not take figures from a `--profile` run).

#[path = "../tests/common/mod.rs"]
mod common;
mod support;
#[path = "support/trace_log.rs"]
mod trace_log;

use std::time::{Duration, Instant};

use common::{seed_with_apps, Emu, Harness};
use entra_emulator::{EmulatorConfig, Faults};
use support::{ProcessReport, Usage};
use trace_log::{Profile, TraceLog};

/// The emulator's delay before every answer.
const LATENCY: Duration = Duration::from_millis(50);
/// Credentials per application (Entra allows 20).
const PER_APP: usize = 20;
/// Terraform's default `-parallelism`.
const PARALLELISM: usize = 10;

/// What to run, from the arguments after `--` and `WORKLOAD_N`.
struct Options {
    sizes: Vec<usize>,
    routes: bool,
    profile: bool,
}

impl Options {
    fn from_env() -> Options {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
        if sizes.is_empty() {
            sizes = std::env::var("WORKLOAD_N")
                .unwrap_or_default()
                .split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect();
        }
        if sizes.is_empty() {
            sizes = vec![20, 200, 1000];
        }
        Options {
            sizes,
            routes: args.iter().any(|a| a == "--routes"),
            profile: args.iter().any(|a| a == "--profile"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Apply,
    Plan,
    Destroy,
}

impl Step {
    const ALL: [Step; 3] = [Step::Apply, Step::Plan, Step::Destroy];

    fn name(self) -> &'static str {
        match self {
            Step::Apply => "apply",
            Step::Plan => "no-change plan",
            Step::Destroy => "destroy",
        }
    }

    fn args(self) -> &'static [&'static str] {
        match self {
            Step::Apply => &["apply", "-auto-approve", "-no-color", "-input=false"],
            Step::Plan => &["plan", "-no-color", "-input=false", "-detailed-exitcode"],
            Step::Destroy => &["destroy", "-auto-approve", "-no-color", "-input=false"],
        }
    }

    /// The Graph round trips no provider can avoid, at Terraform's parallelism: a write
    /// per credential, serialised per application (Graph refuses concurrent credential
    /// writes on one application); a plan reads each application's list once.
    fn latency_floor(self, n: usize, apps: usize) -> Duration {
        let rounds = match self {
            Step::Plan => apps.div_ceil(PARALLELISM),
            Step::Apply | Step::Destroy => n.div_ceil(apps).max(n.div_ceil(PARALLELISM)),
        };
        LATENCY * rounds as u32
    }
}

/// `count` resources keyed like the credentials, spread over applications of 20.
fn resources(n: usize, body: &str) -> String {
    format!(
        "locals {{\n  creds = {{ for i in range({n}) : format(\"cred-%04d\", i) => {{ app = format(\"a0000000-0000-4000-8000-%012d\", floor(i / {PER_APP})), principal = format(\"%08x-0000-4000-8000-000000000000\", i) }} }}\n}}\n{body}"
    )
}

/// N `terraform_data` resources: Terraform's own cost for the same graph.
struct Floor {
    h: Harness,
}

impl Floor {
    fn new(n: usize) -> Floor {
        let h = Harness::new();
        h.write(
            "main.tf",
            &resources(
                n,
                "resource \"terraform_data\" \"c\" {\n  for_each = local.creds\n  input = each.value\n}\n",
            ),
        );
        h.init();
        Floor { h }
    }

    fn run(&self, step: Step) -> Duration {
        let started = Instant::now();
        let out = self.h.tf(step.args());
        let elapsed = started.elapsed();
        assert!(
            out.status.success(),
            "terraform_data: terraform {:?} failed:\n{}",
            step.args(),
            common::text(&out)
        );
        elapsed
    }
}

/// One provider command's figures.
struct Measured {
    elapsed: Duration,
    graph_calls: u64,
    usage: Option<Usage>,
    profile: Option<Profile>,
}

/// N credentials against an emulator of their own.
struct Workload {
    emu: Emu,
    h: Harness,
    usage: Option<ProcessReport>,
    log: Option<TraceLog>,
    routes: bool,
}

impl Workload {
    fn new(n: usize, apps: usize, options: &Options) -> Workload {
        let emu = Emu::start(EmulatorConfig {
            seed: seed_with_apps(0..apps),
            faults: Faults {
                latency: LATENCY,
                ..Faults::default()
            },
            ..EmulatorConfig::default()
        });
        let mut h = Harness::new();
        let usage = ProcessReport::install(&h);
        let log = options.profile.then(|| TraceLog::enable(&mut h));
        h.main_tf(&format!(
            "{}{}",
            emu.provider_block(),
            resources(
                n,
                "resource \"entra_mi_federated_credential\" \"c\" {\n  for_each = local.creds\n  application_object_id = each.value.app\n  name = each.key\n  managed_identity_principal_id = each.value.principal\n}\n",
            )
        ));
        h.init();
        if let Some(u) = &usage {
            let _ = u.take();
        }
        Workload {
            emu,
            h,
            usage,
            log,
            routes: options.routes,
        }
    }

    fn run(&self, step: Step) -> Measured {
        let before = self.emu.requests();
        if let Some(log) = &self.log {
            log.clear();
        }
        let started = Instant::now();
        let out = self.h.tf(step.args());
        let elapsed = started.elapsed();
        assert!(
            out.status.success(),
            "terraform {:?} failed:\n{}",
            step.args(),
            common::text(&out)
        );
        let after = self.emu.requests();
        if self.routes {
            for (route, count) in after["routes"].as_object().into_iter().flatten() {
                let delta =
                    count.as_u64().unwrap_or(0) - before["routes"][route].as_u64().unwrap_or(0);
                if delta > 0 {
                    eprintln!("  {} {route}: {delta}", step.name());
                }
            }
        }
        Measured {
            elapsed,
            graph_calls: graph_calls_in(&after) - graph_calls_in(&before),
            usage: self.usage.as_ref().and_then(ProcessReport::take),
            profile: self.log.as_ref().map(TraceLog::profile),
        }
    }
}

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

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn main() {
    let options = Options::from_env();
    println!(
        "Terraform floor: N terraform_data resources; latency floor: {} ms x Graph rounds (writes serialised per application of {PER_APP}, parallelism {PARALLELISM}).\n",
        LATENCY.as_millis()
    );
    println!("| N | apps | command | provider | terraform_data | latency floor | above floor | ratio | Graph calls | provider CPU | provider peak RSS |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for &n in &options.sizes {
        let apps = n.div_ceil(PER_APP);
        let started = Instant::now();
        let floor = Floor::new(n);
        let workload = Workload::new(n, apps, &options);
        for step in Step::ALL {
            // Back to back, so both see the same machine.
            let tf = floor.run(step);
            let m = workload.run(step);
            match step {
                Step::Apply => assert_eq!(workload.emu.credential_count(), n as u64),
                Step::Destroy => assert_eq!(workload.emu.credential_count(), 0),
                Step::Plan => {}
            }
            let latency = step.latency_floor(n, apps);
            let floor_total = tf + latency;
            let above = m.elapsed.as_secs_f64() - floor_total.as_secs_f64();
            println!(
                "| {n} | {apps} | {} | {} | {} | {} | {above:+.2} s | {:.2}x | {} | {} | {} |",
                step.name(),
                secs(m.elapsed),
                secs(tf),
                secs(latency),
                m.elapsed.as_secs_f64() / floor_total.as_secs_f64(),
                m.graph_calls,
                m.usage.map(|u| secs(u.cpu)).unwrap_or_else(|| "n/a".into()),
                m.usage
                    .map(|u| support::mib(u.peak_rss_kib))
                    .unwrap_or_else(|| "n/a".into()),
            );
            if let Some(p) = m.profile {
                eprintln!("  N={n} {}: {}", step.name(), p.summary(n));
            }
        }
        eprintln!(
            "  N={n}: {:.0} s for the whole size (both workloads, init included)",
            started.elapsed().as_secs_f64()
        );
    }
}
