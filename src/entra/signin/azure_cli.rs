//! The Azure CLI's cached sign-in (`az account get-access-token`).

use std::time::Duration;

use async_trait::async_trait;

use super::inputs::{Applies, Inputs};
use super::Cached;
use super::TokenSource;
use crate::entra::retry::{Deadline, Interrupted};
use crate::entra::{AccessToken, Secret};

/// `az` as found on `PATH`, optionally for one tenant.
pub struct AzureCli {
    /// The `az` program.
    pub program: std::path::PathBuf,
    /// `--tenant`, when configured.
    pub tenant: Option<String>,
}

/// `az` is given this long at most (it may prompt or hang on a broken profile).
const AZ_TIMEOUT: Duration = Duration::from_secs(30);

#[async_trait]
impl TokenSource for AzureCli {
    async fn fetch(&self, scope: &str, d: &Deadline) -> Result<AccessToken, String> {
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args([
            "account",
            "get-access-token",
            "--scope",
            scope,
            "--output",
            "json",
        ]);
        if let Some(t) = &self.tenant {
            cmd.args(["--tenant", t]);
        }
        // Stop or a timeout drops the output future: the child must not outlive it.
        cmd.stdin(std::process::Stdio::null()).kill_on_drop(true);
        let out = d
            .capped(AZ_TIMEOUT)
            .within(cmd.output())
            .await
            .map_err(|i| match i {
                Interrupted::TimedOut => "`az account get-access-token` timed out".to_string(),
                Interrupted::Cancelled => format!("`az account get-access-token` {i}"),
            })?
            .map_err(|e| format!("cannot run {}: {e}", self.program.display()))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first = stderr
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
            return Err(format!(
                "`az account get-access-token` failed (run `az login`): {first}"
            ));
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|_| "the Azure CLI printed no JSON".to_string())?;
        let token = v
            .get("accessToken")
            .and_then(|t| t.as_str())
            .ok_or_else(|| "the Azure CLI's answer has no accessToken".to_string())?;
        let expires = v
            .get("expires_on")
            .and_then(|e| e.as_i64())
            .and_then(|e| time::OffsetDateTime::from_unix_timestamp(e).ok())
            .unwrap_or_else(|| time::OffsetDateTime::now_utc() + time::Duration::minutes(30));
        Ok(AccessToken::new(Secret::new(token.to_string()), expires))
    }
}

/// Applies when `use_cli` is true (the default) and `az` is on `PATH`.
pub(super) fn from_settings(i: &Inputs<'_>) -> Result<Applies, String> {
    let s = i.settings();
    if !s.use_cli {
        return Ok(Applies::No(format!("{} is false", i.describe("use_cli"))));
    }
    let Some(program) = find_program("az", i.config.env) else {
        return Ok(Applies::No("`az` is not on PATH".to_string()));
    };
    let cli = AzureCli {
        program,
        tenant: s.tenant_id.clone(),
    };
    Ok(Applies::Yes(std::sync::Arc::new(Cached::new(
        "Azure CLI",
        cli,
    ))))
}

fn find_program(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<std::path::PathBuf> {
    let path = env("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[tokio::test]
    async fn azure_cli_output_is_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let az = dir.path().join("az");
        std::fs::write(
            &az,
            "#!/bin/sh\ncase \"$*\" in *--scope*https://graph.microsoft.com/.default*) echo '{\"accessToken\":\"cli-token-value\",\"expires_on\":4102444800,\"tokenType\":\"Bearer\"}' ;; *) echo 'ERROR: Please run az login' >&2; exit 1 ;; esac\n",
        )
        .unwrap();
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cli = AzureCli {
            program: az,
            tenant: Some("t".into()),
        };
        let d = Deadline::after(
            Duration::from_secs(30),
            tokio_util::sync::CancellationToken::new(),
        );
        let t = cli
            .fetch("https://graph.microsoft.com/.default", &d)
            .await
            .unwrap();
        assert_eq!(t.token.expose(), "cli-token-value");
        assert_eq!(t.expires_on.unix_timestamp(), 4102444800);
        let err = cli.fetch("https://other/.default", &d).await.unwrap_err();
        assert!(err.contains("az login"), "{err}");
    }
}
