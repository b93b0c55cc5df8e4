//! The emulator binary: `entra-emulator --port N [--seed FILE]` prints
//! `ENTRA_EMULATOR_URL=http://127.0.0.1:PORT` on stdout once it listens (`https://` with
//! `--tls-cert`/`--tls-key` or `--tls-self-signed`), serves until SIGTERM or Ctrl-C, and
//! exits 2 on a bad command line.

use std::io::Write;
use std::process::ExitCode;

use entra_emulator::{cli, seed, Emulator};

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("entra-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let config = match command {
        cli::Command::PrintDefaultSeed => {
            print!("{}", seed::DEFAULT_SEED);
            return ExitCode::SUCCESS;
        }
        cli::Command::Help => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        cli::Command::Version => {
            println!("entra-emulator {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        cli::Command::Serve(c) => *c,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("entra-emulator: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let emulator = match Emulator::start(config).await {
            Ok(e) => e,
            Err(e) => {
                eprintln!("entra-emulator: {e}");
                return ExitCode::from(1);
            }
        };
        let mut out = std::io::stdout().lock();
        if writeln!(out, "ENTRA_EMULATOR_URL={}", emulator.url)
            .and_then(|_| out.flush())
            .is_err()
        {
            return ExitCode::from(1);
        }
        drop(out);
        wait_for_signal().await;
        emulator.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
