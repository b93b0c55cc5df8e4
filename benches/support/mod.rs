//! What the benchmarks share beyond the test harness: the provider's peak RSS, read with
//! `/usr/bin/time -f %M` wrapped around the provider in the harness's mirror.

use std::path::{Path, PathBuf};

use crate::common;

/// Peak RSS reports of every provider process a harness starts, one line (KiB) per
/// process, appended by `/usr/bin/time`.
pub struct RssReport {
    path: PathBuf,
}

impl RssReport {
    /// Puts a `/usr/bin/time` wrapper in place of the provider in `h`'s mirror. Call it
    /// before `terraform init`, which records the installed file's checksum. `None`
    /// when `/usr/bin/time` is missing (RSS is then not shown).
    pub fn install(h: &common::Harness) -> Option<RssReport> {
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
        let path = h.dir.path().join("rss");
        std::fs::write(
            &plugin,
            format!(
                "#!/bin/sh\nexec {} -a -f %M -o {} {} \"$@\"\n",
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
        Some(RssReport { path })
    }

    /// The highest peak (KiB) of the processes reported so far; reports are consumed, so
    /// the next call covers only processes that ended after this one.
    pub fn take_peak_kib(&self) -> Option<u64> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let _ = std::fs::remove_file(&self.path);
        text.lines()
            .filter_map(|l| l.trim().parse::<u64>().ok())
            .max()
    }
}

/// KiB as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
