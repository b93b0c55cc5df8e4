//! go-plugin transport: handshake, AutoMTLS, gRPC side services and the server loop.
//!
//! Terraform starts the provider as a child process with a magic cookie and the protocol
//! versions it speaks in the environment, reads one handshake line from its stdout, and
//! then talks gRPC to the address in that line. Everything here is about that contract;
//! nothing here knows about Terraform values.

pub mod handshake;
pub mod services;
pub mod tls;

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::TcpIncoming;

use crate::proto::health::health_server::HealthServer;
use crate::proto::plugin::grpc_broker_server::GrpcBrokerServer;
use crate::proto::plugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use crate::proto::tfplugin5::provider_server::{Provider, ProviderServer};
use handshake::{Handshake, HandshakeError};

/// The provider's source address, as debug mode prints it in `TF_REATTACH_PROVIDERS`.
pub const SOURCE_ADDRESS: &str = "registry.terraform.io/entra-mi/entra";

/// terraform-plugin-go's limit: schemas and states can be large.
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// How the process was asked to run, from its command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Started by Terraform.
    Plugin,
    /// `--debug`: serve in plaintext and print `TF_REATTACH_PROVIDERS` for a developer.
    Debug,
    /// `--version`.
    Version,
}

impl Mode {
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Mode, String> {
        let mut mode = Mode::Plugin;
        for arg in args {
            match arg.as_str() {
                "--debug" | "-debug" => mode = Mode::Debug,
                "--version" | "-version" | "version" => mode = Mode::Version,
                other => {
                    return Err(format!(
                        "unknown argument {other:?}; see --help (--version, --debug)"
                    ))
                }
            }
        }
        Ok(mode)
    }
}

/// The plugin binary's `main`: parses arguments, checks the handshake environment and
/// serves `service` until Terraform shuts the plugin down.
pub fn run_plugin_main<P: Provider>(service: P) -> ExitCode {
    let mode = match Mode::from_args(std::env::args().skip(1)) {
        Ok(mode) => mode,
        Err(e) => {
            eprintln!("terraform-provider-entra: {e}");
            return ExitCode::from(2);
        }
    };
    if mode == Mode::Version {
        println!("terraform-provider-entra {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let env = |k: &str| std::env::var(k).ok();
    let handshake = match mode {
        Mode::Debug => Handshake::debug(),
        _ => match Handshake::from_env(&env) {
            Ok(h) => h,
            Err(HandshakeError::NoCookie) => {
                eprintln!("{}", handshake::NOT_A_PROGRAM);
                return ExitCode::from(1);
            }
            Err(e) => {
                eprintln!("terraform-provider-entra: {e}");
                return ExitCode::from(1);
            }
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("terraform-provider-entra: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(serve(service, handshake, mode)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-entra: {e}");
            ExitCode::from(1)
        }
    }
}

/// Binds, prints the handshake line (or the reattach line in debug mode) and serves
/// until the controller's Shutdown, SIGTERM, or (debug mode only) Ctrl-C.
pub async fn serve<P: Provider>(
    service: P,
    handshake: Handshake,
    mode: Mode,
) -> Result<(), String> {
    let listener = handshake::bind(&handshake).await?;
    let addr: SocketAddr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;

    let mut server = tonic::transport::Server::builder();
    let cert_field = match &handshake.client_cert_pem {
        Some(_) => {
            let certificate = tls::ServerCertificate::generate()
                .map_err(|e| format!("cannot create the TLS certificate: {e}"))?;
            let cert_field = certificate.handshake_field();
            server = server
                .tls_config(certificate.tls_config())
                .map_err(|e| format!("cannot configure TLS: {e}"))?;
            cert_field
        }
        None => String::new(),
    };

    let shutdown = CancellationToken::new();
    spawn_signal_handlers(shutdown.clone(), mode);

    let router = server
        .add_service(
            ProviderServer::new(service)
                .max_decoding_message_size(MAX_MESSAGE_SIZE)
                .max_encoding_message_size(MAX_MESSAGE_SIZE),
        )
        .add_service(GrpcControllerServer::new(services::Controller::new(
            shutdown.clone(),
        )))
        .add_service(GrpcStdioServer::new(services::Stdio::new(shutdown.clone())))
        .add_service(GrpcBrokerServer::new(services::Broker))
        .add_service(HealthServer::new(services::Health));

    let line = match mode {
        Mode::Debug => handshake::reattach_line(addr),
        _ => handshake::handshake_line(addr, &cert_field),
    };
    print_first_line(&line)?;
    tracing::debug!(%addr, tls = !cert_field.is_empty(), "plugin server listening");

    let incoming = accept_without_delay(listener);
    let stopped = shutdown.clone();
    let serving =
        router.serve_with_incoming_shutdown(incoming, async move { stopped.cancelled().await });
    tokio::select! {
        result = serving => result.map_err(|e| format!("gRPC server failed: {e}"))?,
        // Shutdown asked: in-flight calls get a moment, then the process goes, so Terraform
        // never waits for its 2 s kill timer.
        _ = async { shutdown.cancelled().await; tokio::time::sleep(Duration::from_millis(500)).await } => {}
    }
    Ok(())
}

/// The connections Terraform opens, with Nagle's algorithm off on each. gRPC answers are
/// small writes; with Nagle on, each waits for the client's delayed ACK (about 40 ms on
/// Linux), which stalls every call.
fn accept_without_delay(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true))
}

fn print_first_line(line: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|_| out.flush())
        .map_err(|e| format!("cannot write the handshake line: {e}"))
}

/// SIGINT reaches the whole process group when a user presses Ctrl-C; Terraform handles
/// it and sends Stop, so a managed plugin must not die of it. SIGTERM ends the plugin.
///
/// The handlers are registered here, before the handshake line is printed: a listener
/// created inside the spawned task would be registered only when the task first runs, and
/// a Ctrl-C right after the handshake would still kill the process.
fn spawn_signal_handlers(shutdown: CancellationToken, mode: Mode) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let on_interrupt = shutdown.clone();
        if let Ok(mut interrupt) = signal(SignalKind::interrupt()) {
            tokio::spawn(async move {
                while interrupt.recv().await.is_some() {
                    if mode == Mode::Debug {
                        on_interrupt.cancel();
                        return;
                    }
                    tracing::debug!("ignoring SIGINT: Terraform handles interrupts");
                }
            });
        }
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::spawn(async move {
                term.recv().await;
                shutdown.cancel();
            });
        }
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            loop {
                if tokio::signal::ctrl_c().await.is_err() {
                    return;
                }
                if mode == Mode::Debug {
                    shutdown.cancel();
                    return;
                }
                tracing::debug!("ignoring Ctrl-C: Terraform handles interrupts");
            }
        });
    }
}

/// Binds the first free port in `min..=max` on 127.0.0.1, as go-plugin does.
pub(crate) async fn bind_in_range(min: u16, max: u16) -> Result<TcpListener, String> {
    for port in min..=max {
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
            return Ok(listener);
        }
    }
    Err(format!("no free port on 127.0.0.1 between {min} and {max}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        let m = |a: &[&str]| Mode::from_args(a.iter().map(|s| s.to_string()));
        assert_eq!(m(&[]), Ok(Mode::Plugin));
        assert_eq!(m(&["--debug"]), Ok(Mode::Debug));
        assert_eq!(m(&["--version"]), Ok(Mode::Version));
        assert!(m(&["--bogus"]).is_err());
    }

    #[tokio::test]
    async fn accepted_connections_have_nagle_off() {
        use tokio_stream::StreamExt;
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut incoming = accept_without_delay(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let accepted = incoming.next().await.unwrap().unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
