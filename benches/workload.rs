//! The Graph workload of docs/benchmarks.md, beside Terraform's own floor measured in the
//! same run. For each N (20 credentials per application, against entra-emulator answering
//! after 50 ms): apply, a no-change plan and destroy of N `entra_mi_federated_credential`,
//! each right after the same command on N built-in `terraform_data` resources, and the
//! latency floor (the Graph round trips no provider can avoid). The provider's overhead is
//! its time above `terraform_data` + latency floor, and the ratio to that sum.
//!
//! Two shapes per N: `distinct` (each credential trusts its own identity, 20 per
//! application: the realistic case) and `shared` (one identity trusted by N applications,
//! one credential each, since Entra keeps issuer + subject unique per application).
//!
//! Run: `cargo bench --bench workload` (N = 20, 200 and 1,000, both shapes). Pick sizes with
//! `-- 20 200` or `WORKLOAD_N=20,200`, one shape with `--distinct` or `--shared`, and the
//! runs per size (median shown) with `--runs K`; `--routes` lists the Graph calls per route;
//! `--profile` runs the provider with `TF_LOG_PROVIDER=trace` and prints its gRPC calls
//! per resource and the time spent waiting for the per-application writer lock vs in
//! Graph requests (logging costs time: do not take figures from a `--profile` run);
//! with `WORKLOAD_TRACE=FILE` it also appends every command's log to FILE.

#[path = "../tests/common/mod.rs"]
mod common;
mod support;
#[path = "support/trace_log.rs"]
mod trace_log;

use std::time::{Duration, Instant};

use common::{add_identity, seed_with_apps, Emu, Harness};
use entra_emulator::{EmulatorConfig, Faults};
use support::{ProcessReport, Usage};
use trace_log::{Profile, TraceLog};

/// The emulator's delay before every answer.
const LATENCY: Duration = Duration::from_millis(50);
/// Credentials per application in the distinct shape (Entra allows 20).
const PER_APP: usize = 20;
/// Terraform's default `-parallelism`.
const PARALLELISM: usize = 10;

/// What to run, from the arguments after `--` and `WORKLOAD_N`.
struct Options {
    sizes: Vec<usize>,
    routes: bool,
    profile: bool,
    /// `--runs K`; by default 3 up to N = 200 and 1 above (N = 1,000 takes minutes).
    runs: Option<usize>,
    shapes: Vec<Shape>,
}

/// How the N credentials trust identities.
#[derive(Clone, Copy)]
enum Shape {
    /// Each credential its own identity, 20 credentials per application.
    Distinct,
    /// One identity for all, one credential per application.
    Shared,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Distinct => "distinct",
            Shape::Shared => "shared",
        }
    }

    fn per_app(self) -> usize {
        match self {
            Shape::Distinct => PER_APP,
            Shape::Shared => 1,
        }
    }

    /// The principal id of credential `i` (as a Terraform expression over `i`) and in Rust.
    fn principal_expr(self) -> &'static str {
        match self {
            Shape::Distinct => "format(\"%08x-0000-4000-8000-000000000000\", i)",
            Shape::Shared => "\"00000000-0000-4000-8000-000000000000\"",
        }
    }

    fn principal(self, i: usize) -> String {
        let i = match self {
            Shape::Distinct => i,
            Shape::Shared => 0,
        };
        format!("{i:08x}-0000-4000-8000-000000000000")
    }
}

impl Options {
    fn from_env() -> Options {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let runs = args
            .iter()
            .position(|a| a == "--runs")
            .and_then(|i| args.get(i + 1))
            .and_then(|k| k.parse().ok())
            .filter(|&k| k > 0);
        let mut sizes: Vec<usize> = args
            .iter()
            .enumerate()
            .filter(|(i, _)| *i == 0 || args[i - 1] != "--runs")
            .filter_map(|(_, a)| a.parse().ok())
            .collect();
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
            runs,
            shapes: match (
                args.iter().any(|a| a == "--distinct"),
                args.iter().any(|a| a == "--shared"),
            ) {
                (true, false) => vec![Shape::Distinct],
                (false, true) => vec![Shape::Shared],
                _ => vec![Shape::Distinct, Shape::Shared],
            },
        }
    }

    fn runs(&self, n: usize) -> usize {
        self.runs.unwrap_or(if n <= 200 { 3 } else { 1 })
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

    /// Runs the command in `h`'s directory (it must succeed): its wall time, and the CPU
    /// time of Terraform and the provider processes together.
    fn time(self, h: &Harness) -> Timed {
        let cpu_before = children_cpu();
        let started = Instant::now();
        let out = h.tf(self.args());
        let wall = started.elapsed();
        let cpu = children_cpu()
            .zip(cpu_before)
            .map(|(after, before)| after.saturating_sub(before));
        assert!(
            out.status.success(),
            "terraform {:?} failed in {}:\n{}",
            self.args(),
            h.work().display(),
            common::text(&out)
        );
        Timed { wall, cpu }
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

/// One command's wall time and CPU time (Terraform and its provider processes).
#[derive(Clone, Copy)]
struct Timed {
    wall: Duration,
    cpu: Option<Duration>,
}

/// The `for_each` map of N credentials in `shape` and `body` iterating it.
fn resources(n: usize, shape: Shape, body: &str) -> String {
    format!(
        "locals {{\n  creds = {{ for i in range({n}) : format(\"cred-%04d\", i) => {{ app = format(\"a0000000-0000-4000-8000-%012d\", floor(i / {})), principal = {} }} }}\n}}\n{body}",
        shape.per_app(),
        shape.principal_expr(),
    )
}

/// N `terraform_data` resources over the same `for_each` map, with no attributes set:
/// Terraform's own cost for that many resources. (One carrying `each.value` as `input`
/// costs Terraform more than a credential does at N = 1,000: dynamic values are dear.)
struct Floor {
    h: Harness,
}

impl Floor {
    fn new(n: usize, shape: Shape) -> Floor {
        let h = Harness::new();
        h.write(
            "main.tf",
            &resources(
                n,
                shape,
                "resource \"terraform_data\" \"c\" {\n  for_each = local.creds\n}\n",
            ),
        );
        h.init();
        Floor { h }
    }

    fn run(&self, step: Step) -> Timed {
        step.time(&self.h)
    }
}

/// One provider command's figures.
struct Measured {
    timed: Timed,
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
    fn new(n: usize, apps: usize, shape: Shape, options: &Options) -> Workload {
        // Every principal is a user-assigned identity of the tenant: plan looks each new
        // one up in Graph (the live identity check), as it would against Entra.
        let mut seed = seed_with_apps(0..apps);
        for i in 0..n {
            add_identity(&mut seed, &shape.principal(i));
        }
        let emu = Emu::start(EmulatorConfig {
            seed,
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
                shape,
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
        let timed = step.time(&self.h);
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
            timed,
            graph_calls: graph_calls_in(&after) - graph_calls_in(&before),
            usage: self.usage.as_ref().and_then(ProcessReport::take),
            profile: self.log.as_ref().map(TraceLog::profile),
        }
    }
}

/// CPU time (user + system) of this process's children that have been waited for:
/// Terraform, and through it the provider processes it started. From `/proc/self/stat`
/// (Linux; its clock ticks are 100 per second on the platforms Terraform ships for).
fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the parenthesised command name, index 0 is field 3; cutime and cstime are
    // fields 16 and 17.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    Some(Duration::from_millis((ticks(13)? + ticks(14)?) * 10))
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

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

/// One command's runs at one size: the provider's beside `terraform_data`'s.
#[derive(Default)]
struct Runs {
    provider: Vec<Duration>,
    terraform_data: Vec<Duration>,
    graph_calls: u64,
    cpu: Vec<Duration>,
    /// Terraform's own CPU (its children's minus the provider's) beside the credentials,
    /// and beside `terraform_data`.
    terraform_cpu: Vec<Duration>,
    terraform_data_cpu: Vec<Duration>,
    peak_rss_kib: Option<u64>,
}

impl Runs {
    fn add(&mut self, terraform_data: Timed, m: Measured) {
        self.terraform_data.push(terraform_data.wall);
        self.provider.push(m.timed.wall);
        self.graph_calls = self.graph_calls.max(m.graph_calls);
        if let Some(u) = m.usage {
            self.cpu.push(u.cpu);
            self.peak_rss_kib = self.peak_rss_kib.max(Some(u.peak_rss_kib));
            if let (Some(all), Some(floor)) = (m.timed.cpu, terraform_data.cpu) {
                self.terraform_cpu.push(all.saturating_sub(u.cpu));
                self.terraform_data_cpu.push(floor);
            }
        }
    }

    /// The table row: medians of the runs, the highest peak RSS.
    fn row(&self, n: usize, apps: usize, shape: Shape, step: Step) -> String {
        let provider = median(self.provider.clone());
        let tf = median(self.terraform_data.clone());
        let latency = step.latency_floor(n, apps);
        let floor = (tf + latency).as_secs_f64();
        let na = || "n/a".to_string();
        let med = |v: &Vec<Duration>| {
            if v.is_empty() {
                na()
            } else {
                secs(median(v.clone()))
            }
        };
        format!(
            "| {n} | {} | {apps} | {} | {} | {} | {} | {:+.2} s | {:.2}x | {} | {} | {} / {} | {} |",
            shape.name(),
            step.name(),
            secs(provider),
            secs(tf),
            secs(latency),
            provider.as_secs_f64() - floor,
            provider.as_secs_f64() / floor,
            self.graph_calls,
            med(&self.cpu),
            med(&self.terraform_cpu),
            med(&self.terraform_data_cpu),
            self.peak_rss_kib.map(support::mib).unwrap_or_else(na),
        )
    }
}

fn main() {
    let options = Options::from_env();
    println!(
        "Floor: N terraform_data resources, plus {} ms x the Graph rounds no provider avoids (writes serialised per application, at most {PARALLELISM} at a time). Median of {} runs ({} from N = 1,000 up).\n",
        LATENCY.as_millis(),
        options.runs(20),
        options.runs(1000),
    );
    println!("| N | identities | apps | command | provider | terraform_data | latency floor | above floor | ratio | Graph calls | provider CPU | Terraform CPU (beside credentials / terraform_data) | provider peak RSS |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (&n, shape) in options
        .sizes
        .iter()
        .flat_map(|n| options.shapes.iter().map(move |&s| (n, s)))
    {
        let apps = n.div_ceil(shape.per_app());
        let started = Instant::now();
        let floor = Floor::new(n, shape);
        let workload = Workload::new(n, apps, shape, &options);
        let mut runs: Vec<Runs> = Step::ALL.iter().map(|_| Runs::default()).collect();
        for _ in 0..options.runs(n) {
            for (step, runs) in Step::ALL.into_iter().zip(&mut runs) {
                // Back to back, so both see the same machine.
                let tf = floor.run(step);
                let m = workload.run(step);
                match step {
                    Step::Apply => assert_eq!(workload.emu.credential_count(), n as u64),
                    Step::Destroy => assert_eq!(workload.emu.credential_count(), 0),
                    Step::Plan => {}
                }
                if let Some(p) = &m.profile {
                    eprintln!("  N={n} {}: {}", step.name(), p.summary(n));
                }
                runs.add(tf, m);
            }
        }
        for (step, runs) in Step::ALL.into_iter().zip(&runs) {
            println!("{}", runs.row(n, apps, shape, step));
        }
        eprintln!(
            "  N={n} {}: {:.0} s for this size ({} runs of both workloads, init included)",
            shape.name(),
            started.elapsed().as_secs_f64(),
            options.runs(n)
        );
    }
}
