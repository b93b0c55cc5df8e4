//! Azure Arc: `IDENTITY_ENDPOINT` with `IMDS_ENDPOINT` set. The first request is answered
//! 401 with a challenge naming a key file only the local agent's group can read; its
//! content is the Basic credential of the second request.

use std::path::{Path, PathBuf};

use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{Client, RequestBuilder};

use super::{Wanted, STANDARD_ID_NAMES};
use crate::entra::Secret;

pub(super) fn request(
    http: &Client,
    endpoint: &str,
    want: &Wanted,
    challenge_secret: Option<&Secret>,
) -> RequestBuilder {
    let r = http
        .get(endpoint)
        .query(&want.query(Some("2020-06-01"), STANDARD_ID_NAMES))
        .header("Metadata", "true");
    let credential =
        challenge_secret.and_then(|s| HeaderValue::from_str(&format!("Basic {}", s.expose())).ok());
    match credential {
        Some(mut value) => {
            // Kept out of reqwest's and hyper's debug output.
            value.set_sensitive(true);
            r.header(AUTHORIZATION, value)
        }
        None => r,
    }
}

/// The secret from Arc's 401 (`WWW-Authenticate: Basic realm=<key file>`). The key file
/// must sit in the agent's token directory `key_dir`, end in `.key` and be small, so a
/// forged challenge cannot make the provider read (and send) an arbitrary file.
pub(super) fn challenge_secret(resp: &reqwest::Response, key_dir: &Path) -> Result<Secret, String> {
    let header = resp
        .headers()
        .get("WWW-Authenticate")
        .and_then(|v| v.to_str().ok())
        .ok_or("Azure Arc answered 401 without a WWW-Authenticate challenge")?;
    let path = header
        .split_once("realm=")
        .map(|(_, p)| p.trim().trim_matches('"'))
        .ok_or("Azure Arc's challenge has no realm (key file path)")?;
    let path = Path::new(path);
    if path.extension().and_then(|e| e.to_str()) != Some("key") {
        return Err("Azure Arc's key file does not end in .key".into());
    }
    if path.parent() != Some(key_dir) {
        return Err(format!(
            "Azure Arc's key file is not in the agent's token directory {}",
            key_dir.display()
        ));
    }
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read Azure Arc's key file: {e}"))?;
    if meta.len() > 4096 {
        return Err("Azure Arc's key file is larger than 4096 bytes".into());
    }
    std::fs::read_to_string(path)
        .map(|s| Secret::new(s.trim()))
        .map_err(|e| format!("cannot read Azure Arc's key file: {e}"))
}

/// Where the Arc agent keeps its challenge files.
pub(super) fn default_key_dir() -> PathBuf {
    if cfg!(windows) {
        let base = std::env::var("ProgramData").unwrap_or_else(|_| "C:\\ProgramData".into());
        Path::new(&base)
            .join("AzureConnectedMachineAgent")
            .join("Tokens")
    } else {
        PathBuf::from("/var/opt/azcmagent/tokens")
    }
}
