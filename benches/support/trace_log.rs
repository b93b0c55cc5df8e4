//! The provider's trace log (`TF_LOG_PROVIDER=trace`) read back for profiling: gRPC calls
//! per resource, time waiting for the per-application writer lock, time in Graph requests.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::common::Harness;

/// The RPC handlers that log their name at debug level.
const RPCS: &[&str] = &[
    "GetProviderSchema",
    "PrepareProviderConfig",
    "ConfigureProvider",
    "ValidateResourceTypeConfig",
    "UpgradeResourceState",
    "ReadResource",
    "PlanResourceChange",
    "ApplyResourceChange",
    "ImportResourceState",
    "StopProvider",
];

/// `WORKLOAD_TRACE=FILE`: every command's log is appended to FILE (after a
/// `===== command =====` line), to read the timeline of a run (when each provider
/// process starts, its gRPC calls, its batches and Graph requests).
fn keep_copy(text: &str) {
    use std::io::Write;
    let Ok(path) = std::env::var("WORKLOAD_TRACE") else {
        return;
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path);
    match file {
        Ok(mut f) => {
            let _ = writeln!(f, "===== command =====");
            let _ = f.write_all(text.as_bytes());
        }
        Err(e) => eprintln!("WORKLOAD_TRACE={path}: {e}"),
    }
}

/// Terraform's log file of one harness, with the provider at trace level.
pub struct TraceLog {
    path: PathBuf,
}

impl TraceLog {
    /// Turns the provider's trace log on for every command `h` runs.
    pub fn enable(h: &mut Harness) -> TraceLog {
        let path = h.dir.path().join("terraform.log");
        h.set_env("TF_LOG_PROVIDER", "trace");
        h.set_env("TF_LOG_PATH", &path.display().to_string());
        TraceLog { path }
    }

    /// Forgets what earlier commands logged.
    pub fn clear(&self) {
        let _ = std::fs::write(&self.path, "");
    }

    /// What the provider logged since the last [`TraceLog::clear`].
    pub fn profile(&self) -> Profile {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        keep_copy(&text);
        let mut p = Profile::default();
        for (message, fields) in text.lines().filter_map(provider_line) {
            let ms = |key: &str| {
                fields
                    .iter()
                    .find(|(k, _)| *k == key)
                    .and_then(|(_, v)| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            match message {
                "writer lock acquired" => p.lock_waits.add(ms("waited_ms")),
                "Graph request" => p.graph_requests.add(ms("elapsed_ms")),
                rpc if RPCS.contains(&rpc) => *p.rpcs.entry(rpc.to_string()).or_default() += 1,
                _ => {}
            }
        }
        p
    }
}

/// A provider line of Terraform's log, as its message and `key=value` fields:
/// `<time> [DEBUG] provider.terraform-provider-entra_v0.1.0: <message>: k=v k=v …`.
fn provider_line(line: &str) -> Option<(&str, Vec<(&str, &str)>)> {
    let start = line.find("provider.terraform-provider-entra")?;
    let (_, rest) = line[start..].split_once(": ")?;
    // hclog writes the fields in any order after `<message>: `.
    let (message, fields) = rest.split_once(": ").unwrap_or((rest, ""));
    let fields = fields
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .collect();
    Some((message.trim(), fields))
}

/// A count and a total in milliseconds.
#[derive(Default)]
pub struct Tally {
    pub count: u64,
    pub total_ms: u64,
    pub max_ms: u64,
}

impl Tally {
    fn add(&mut self, ms: u64) {
        self.count += 1;
        self.total_ms += ms;
        self.max_ms = self.max_ms.max(ms);
    }

    fn describe(&self) -> String {
        format!(
            "{} x, total {:.2} s, mean {:.0} ms, max {} ms",
            self.count,
            self.total_ms as f64 / 1000.0,
            self.total_ms as f64 / self.count.max(1) as f64,
            self.max_ms
        )
    }
}

/// What one command's provider processes logged.
#[derive(Default)]
pub struct Profile {
    pub rpcs: BTreeMap<String, u64>,
    pub lock_waits: Tally,
    pub graph_requests: Tally,
}

impl Profile {
    /// One line: gRPC calls per resource, lock waits, Graph requests.
    pub fn summary(&self, resources: usize) -> String {
        let rpcs: Vec<String> = self
            .rpcs
            .iter()
            .map(|(name, n)| format!("{name} {:.2}", *n as f64 / resources as f64))
            .collect();
        format!(
            "gRPC per resource: {}; writer lock waits: {}; Graph requests: {}",
            rpcs.join(", "),
            self.lock_waits.describe(),
            self.graph_requests.describe()
        )
    }
}
