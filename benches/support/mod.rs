//! What the benchmarks share beyond the test harness: the provider's peak RSS and CPU
//! time, read with `/usr/bin/time` wrapped around the provider in the harness's mirror.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common;

/// Resource use of every provider process a harness starts, one line per process
/// (`<peak RSS KiB> <user s> <system s>`), appended by `/usr/bin/time`.
pub struct ProcessReport {
    path: PathBuf,
}

/// The provider processes of one command: the highest peak RSS, the CPU time summed.
#[derive(Debug, Default, Clone, Copy)]
pub struct Usage {
    pub peak_rss_kib: u64,
    pub cpu: Duration,
}

impl ProcessReport {
    /// Puts a `/usr/bin/time` wrapper in place of the provider in `h`'s mirror. Call it
    /// before `terraform init`, which records the installed file's checksum. `None`
    /// when `/usr/bin/time` is missing (usage is then not shown).
    pub fn install(h: &common::Harness) -> Option<ProcessReport> {
        let time = Path::new("/usr/bin/time");
        if !time.exists() {
            return None;
        }
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
        let path = h.dir.path().join("usage");
        std::fs::write(
            &plugin,
            format!(
                "#!/bin/sh\nexec {} -a -f '%M %U %S' -o {} {} \"$@\"\n",
                time.display(),
                path.display(),
                real.display()
            ),
        )
        .ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).ok()?;
        }
        Some(ProcessReport { path })
    }

    /// The processes reported so far; reports are consumed, so the next call covers
    /// only processes that ended after this one. `None` when none ended.
    pub fn take(&self) -> Option<Usage> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let _ = std::fs::remove_file(&self.path);
        let mut usage: Option<Usage> = None;
        for line in text.lines() {
            let fields: Vec<f64> = line
                .split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect();
            if let [rss, user, system] = fields[..] {
                let u = usage.get_or_insert_with(Usage::default);
                u.peak_rss_kib = u.peak_rss_kib.max(rss as u64);
                u.cpu += Duration::from_secs_f64(user + system);
            }
        }
        usage
    }
}

/// KiB as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
