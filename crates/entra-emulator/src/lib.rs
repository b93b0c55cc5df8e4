//! `entra-emulator`: a local stand-in for Entra sign-in, Microsoft Graph's federated
//! identity credential API (and the seed's service principals, read-only) and the managed
//! identity endpoints, faithful to the real
//! services' rules (shared with the provider through [`terraform_provider_entra::rules`])
//! and errors, with fault injection for testing resilience.
//!
//! [`Emulator::start`] serves it in the current tokio runtime (tests, benchmarks); the
//! `entra-emulator` binary serves it from the command line ([`cli`]).

#![warn(missing_docs)]

pub mod cli;
mod errors;
mod faults;
mod keys;
mod routes;
pub mod seed;
mod server;
mod state;
pub mod tls;
pub mod tokens;

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use faults::Faults;
pub use routes::inspect::{DEVOPS_SUBJECT_PREFIX, GITHUB_SUBJECT};
pub use seed::Seed;
pub use tls::{SelfSigned, TlsIdentity};

/// Everything the emulator can be told at start.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The tenants, applications and managed identities to start with.
    pub seed: Seed,
    /// Faults to inject into Graph requests.
    pub faults: Faults,
    /// A new credential answers AADSTS70021 at exchange for this long.
    pub fic_propagation_delay: Duration,
    /// The value App Service's `X-IDENTITY-HEADER` must carry (`IDENTITY_HEADER`).
    pub identity_header: String,
    /// The bearer token the CI stand-ins' OIDC request endpoints expect (GitHub's
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, Azure DevOps' `System.AccessToken`).
    pub github_request_token: String,
    /// The loopback port to listen on; 0 picks a free one.
    pub port: u16,
    /// Log one line per request to stderr.
    pub log_requests: bool,
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    pub tls: Option<TlsIdentity>,
    /// At most this many objects per page of a Graph list (`--page-size`), so tests cross
    /// page boundaries with few objects; `None`: Graph's sizes (`$top`, default 100).
    pub page_size: Option<usize>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            seed: Seed::default_seed(),
            faults: Faults::default(),
            fic_propagation_delay: Duration::ZERO,
            identity_header: "emulator-identity-header".into(),
            github_request_token: "emulator-request-token".into(),
            port: 0,
            log_requests: false,
            tls: None,
            page_size: None,
        }
    }
}

/// State shared by every request.
pub(crate) struct Shared {
    state: Mutex<state::State>,
    pub signer: tokens::Signer,
    pub faults: Faults,
    pub dice: Mutex<faults::Dice>,
    pub fic_propagation_delay: Duration,
    pub identity_header: String,
    pub github_request_token: String,
    pub base_url: String,
    pub log_requests: bool,
    pub page_size: Option<usize>,
}

impl Shared {
    /// The directory, even if a handler panicked while holding it (the data stays usable).
    pub fn lock(&self) -> MutexGuard<'_, state::State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Signs a token and records its signature. Call without holding [`Shared::lock`].
    pub fn issue(&self, claims: &serde_json::Value) -> Result<String, String> {
        let token = self.signer.sign(claims)?;
        if let Some(sig) = token.rsplit('.').next() {
            self.lock().issued.push(sig.to_string());
        }
        Ok(token)
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    /// `http://127.0.0.1:PORT` (`https://` with [`EmulatorConfig::tls`]): the base of every
    /// endpoint (authority host, Graph, IMDS).
    pub url: String,
    shutdown: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds 127.0.0.1 and serves in the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, String> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", config.port))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let acceptor = config.tls.as_ref().map(TlsIdentity::acceptor).transpose()?;
        let scheme = if acceptor.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{addr}");
        let shared = std::sync::Arc::new(Shared {
            state: Mutex::new(state::State::new(config.seed.clone())),
            signer: tokens::Signer::new()?,
            dice: Mutex::new(faults::Dice::new(config.faults.rng_seed)),
            faults: config.faults.clone(),
            fic_propagation_delay: config.fic_propagation_delay,
            identity_header: config.identity_header.clone(),
            github_request_token: config.github_request_token.clone(),
            base_url: url.clone(),
            log_requests: config.log_requests,
            page_size: config.page_size,
        });
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(server::serve(listener, acceptor, shared, shutdown.clone()));
        Ok(Emulator {
            url,
            shutdown,
            task: Some(task),
        })
    }

    /// Stops accepting, closes open connections and waits for the server task to end.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
