//! The `entra-emulator` command line: `--port N`, `--seed FILE`, `--print-default-seed`,
//! HTTPS (`--tls-cert`/`--tls-key`, `--tls-self-signed`), and flags for faults, latency and
//! the values the managed identity endpoints expect.

use std::time::Duration;

use crate::{EmulatorConfig, Faults, Seed, TlsIdentity};

/// The text `--help` prints.
pub const USAGE: &str = concat!(
    "entra-emulator ",
    env!("CARGO_PKG_VERSION"),
    ": a local Entra ID sign-in, Microsoft Graph and managed identity endpoint

Usage: entra-emulator [--port N] [--seed FILE] [options]
       entra-emulator --print-default-seed | --version | --help

Once it listens it prints one line, ENTRA_EMULATOR_URL=http://127.0.0.1:PORT, and serves
until Ctrl-C or SIGTERM. Point the provider at that URL (nothing else changes: tokens for the
exchange carry the real issuer https://login.microsoftonline.com/{tenant}/v2.0):

  provider \"entra\" {
    tenant_id      = \"6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01\" # a tenant of the seed
    client_id      = \"c11e0001-5a6b-4c7d-8e9f-0a1b2c3d4e01\" # an application of the seed
    client_secret  = \"quickstart-admin-secret\"              # its client_secret
    msi_client_id  = \"d0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1\" # a managed identity of the seed
    authority_host = \"http://127.0.0.1:PORT\"
    graph_endpoint = \"http://127.0.0.1:PORT\"
    msi_endpoint   = \"http://127.0.0.1:PORT/metadata/identity/oauth2/token\"
  }

(or AZURE_AUTHORITY_HOST, ARM_MSGRAPH_ENDPOINT and ARM_MSI_ENDPOINT in the environment).
The values above are the built-in seed's: examples/quickstart uses them.

Options:
  --port N                     listen on 127.0.0.1:N (0 = any free port; default 0)
  --seed FILE                  tenants, applications and identities (JSON; default: built-in)
  --print-default-seed         print the built-in seed and exit
  --version                    print the version and exit
  --help                       print this text and exit
  --tls-cert FILE              serve HTTPS with this PEM certificate (chain), with --tls-key
  --tls-key FILE               the PEM private key of --tls-cert
  --tls-self-signed CA_FILE    serve HTTPS with a new throwaway CA's certificate for
                               127.0.0.1 and localhost; write the CA (PEM) to CA_FILE for
                               clients to trust (e.g. SSL_CERT_FILE=CA_FILE)
  --throttle-rate P            answer Graph requests 429 + Retry-After with probability P
  --error-rate P               answer Graph requests 503 with probability P
  --drop-rate P                close Graph connections without an answer with probability P
                               (writes are sometimes applied first)
  --replication-lag S          a new credential answers 404 to reads for S seconds
  --latency-ms N               add N ms to every answer
  --write-latency-ms N         add N ms more to Graph writes (POST, PATCH, DELETE); the
                               write is applied after the wait even if its client left
  --fic-propagation-delay S    a new credential answers AADSTS70021 at exchange for S seconds
  --rng-seed N                 make fault decisions repeatable
  --page-size N                at most N objects per page of a Graph list (default: Graph's,
                               100 or $top), so clients cross page boundaries with few objects
  --identity-header VALUE      App Service X-IDENTITY-HEADER value (default emulator-identity-header)
  --quiet                      do not log requests to stderr

The seed (--seed FILE, JSON; every id a GUID, a wrong one is refused with its path):
  tenants[]                    at least one
    id                         the tenant id
    applications[]             app registrations (and their service principals)
      object_id, client_id     Graph's id and appId
      display_name             optional
      client_secret            optional: enables client secret sign-in
      graph_permissions[]      Graph application permissions of its tokens, e.g.
                               Application.ReadWrite.All, Application.ReadWrite.OwnedBy,
                               Application.Read.All
      client_certificates[]    optional PEM certificates for certificate sign-in
      owners[]                 optional principal ids: what OwnedBy may change
      provisioned_in[]         optional tenant ids a multi-tenant app also signs in at
      service_principal_id     optional (default: the object id with 5e for its first two
                               digits)
      deny_service_principal_read  optional: Graph answers its service principal reads 403
    managed_identities[]       served by the managed identity endpoints
      name, client_id, principal_id, resource_id
      system_assigned          optional: a system-assigned identity
      graph_permissions[]      optional: Graph permissions for use_msi sign-in
"
);

/// What the command line asks for.
pub enum Command {
    /// Serve with this configuration until SIGTERM or Ctrl-C.
    Serve(Box<EmulatorConfig>),
    /// Print the built-in seed (JSON) and exit.
    PrintDefaultSeed,
    /// Print [`USAGE`] and exit.
    Help,
    /// Print the version and exit.
    Version,
}

/// Reads the arguments (without the program name); the error names the flag at fault.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut c = EmulatorConfig {
        log_requests: true,
        ..EmulatorConfig::default()
    };
    let mut faults = Faults::default();
    let (mut tls_cert, mut tls_key, mut self_signed_ca) = (None, None, None);
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let rate = |name: &str, v: String| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| format!("{name} must be a probability between 0 and 1, got {v:?}"))
        };
        let secs = |name: &str, v: String| -> Result<Duration, String> {
            v.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("{name} must be seconds, got {v:?}"))
        };
        match flag.as_str() {
            "--port" => {
                c.port = value("--port")?
                    .parse()
                    .map_err(|_| "--port must be a port number".to_string())?
            }
            "--seed" => {
                let path = value("--seed")?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read seed {path}: {e}"))?;
                c.seed = Seed::parse(&text)?;
            }
            "--print-default-seed" => return Ok(Command::PrintDefaultSeed),
            "--tls-cert" => tls_cert = Some(value("--tls-cert")?),
            "--tls-key" => tls_key = Some(value("--tls-key")?),
            "--tls-self-signed" => self_signed_ca = Some(value("--tls-self-signed")?),
            "--help" | "-h" => return Ok(Command::Help),
            "--version" | "-V" => return Ok(Command::Version),
            "--throttle-rate" => {
                faults.throttle_rate = rate("--throttle-rate", value("--throttle-rate")?)?
            }
            "--error-rate" => faults.error_rate = rate("--error-rate", value("--error-rate")?)?,
            "--drop-rate" => faults.drop_rate = rate("--drop-rate", value("--drop-rate")?)?,
            "--replication-lag" => {
                faults.replication_lag = secs("--replication-lag", value("--replication-lag")?)?
            }
            "--latency-ms" => {
                faults.latency = Duration::from_millis(
                    value("--latency-ms")?
                        .parse()
                        .map_err(|_| "--latency-ms must be milliseconds".to_string())?,
                )
            }
            "--write-latency-ms" => {
                faults.write_latency = Duration::from_millis(
                    value("--write-latency-ms")?
                        .parse()
                        .map_err(|_| "--write-latency-ms must be milliseconds".to_string())?,
                )
            }
            "--fic-propagation-delay" => {
                c.fic_propagation_delay =
                    secs("--fic-propagation-delay", value("--fic-propagation-delay")?)?
            }
            "--rng-seed" => {
                faults.rng_seed = Some(
                    value("--rng-seed")?
                        .parse()
                        .map_err(|_| "--rng-seed must be a number".to_string())?,
                )
            }
            "--page-size" => {
                c.page_size = Some(
                    value("--page-size")?
                        .parse()
                        .ok()
                        .filter(|n: &usize| *n > 0)
                        .ok_or_else(|| "--page-size must be a number above 0".to_string())?,
                )
            }
            "--identity-header" => c.identity_header = value("--identity-header")?,
            "--quiet" => c.log_requests = false,
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    if faults.throttle_rate + faults.error_rate + faults.drop_rate > 1.0 {
        return Err("--throttle-rate + --error-rate + --drop-rate must not exceed 1".into());
    }
    c.faults = faults;
    c.tls = tls(tls_cert, tls_key, self_signed_ca)?;
    Ok(Command::Serve(Box::new(c)))
}

/// The HTTPS identity the TLS flags ask for; a self-signed one writes its CA to the file.
fn tls(
    cert: Option<String>,
    key: Option<String>,
    self_signed_ca: Option<String>,
) -> Result<Option<TlsIdentity>, String> {
    match (cert, key, self_signed_ca) {
        (None, None, None) => Ok(None),
        (Some(c), Some(k), None) => TlsIdentity::from_files(&c, &k).map(Some),
        (None, None, Some(ca_file)) => {
            let s = TlsIdentity::self_signed()?;
            std::fs::write(&ca_file, &s.ca_pem)
                .map_err(|e| format!("--tls-self-signed {ca_file}: cannot write the CA: {e}"))?;
            Ok(Some(s.identity))
        }
        (_, _, Some(_)) => Err("--tls-self-signed conflicts with --tls-cert/--tls-key".into()),
        _ => Err("--tls-cert and --tls-key go together".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags() {
        let Ok(Command::Serve(c)) = parse(args(&[
            "--port",
            "0",
            "--throttle-rate",
            "0.3",
            "--error-rate=0.1",
            "--replication-lag",
            "3",
            "--latency-ms",
            "50",
            "--write-latency-ms=700",
            "--rng-seed",
            "7",
            "--fic-propagation-delay",
            "5",
            "--page-size=2",
        ])) else {
            panic!("parse failed")
        };
        assert_eq!(c.faults.throttle_rate, 0.3);
        assert_eq!(c.faults.error_rate, 0.1);
        assert_eq!(c.faults.replication_lag, Duration::from_secs(3));
        assert_eq!(c.faults.latency, Duration::from_millis(50));
        assert_eq!(c.faults.write_latency, Duration::from_millis(700));
        assert_eq!(c.faults.rng_seed, Some(7));
        assert_eq!(c.fic_propagation_delay, Duration::from_secs(5));
        assert_eq!(c.page_size, Some(2));
        assert!(parse(args(&["--page-size", "0"])).is_err());
        assert!(parse(args(&["--throttle-rate", "2"])).is_err());
        assert!(parse(args(&["--bogus"])).is_err());
        assert!(matches!(
            parse(args(&["--print-default-seed"])),
            Ok(Command::PrintDefaultSeed)
        ));
        assert!(matches!(parse(args(&["--version"])), Ok(Command::Version)));
        assert!(matches!(parse(args(&["--help"])), Ok(Command::Help)));
        assert!(c.tls.is_none(), "plain HTTP unless asked");
    }

    /// `--help` names every field a seed may hold, and its provider block is the
    /// built-in seed's.
    #[test]
    fn help_names_every_seed_field_and_a_working_provider_block() {
        use crate::seed::{SeedApplication, SeedIdentity};
        let full = Seed {
            tenants: vec![crate::seed::SeedTenant {
                id: "t".into(),
                applications: vec![SeedApplication {
                    client_secret: Some("s".into()),
                    graph_permissions: vec!["p".into()],
                    client_certificates: vec!["c".into()],
                    service_principal_id: Some("sp".into()),
                    deny_service_principal_read: true,
                    owners: vec!["o".into()],
                    provisioned_in: vec!["t2".into()],
                    ..SeedApplication::default()
                }],
                managed_identities: vec![SeedIdentity {
                    system_assigned: true,
                    graph_permissions: vec!["p".into()],
                    ..SeedIdentity::default()
                }],
            }],
        };
        let json = serde_json::to_value(&full).unwrap();
        let mut fields = vec!["tenants".to_string()];
        let tenant = &json["tenants"][0];
        for (k, _) in tenant.as_object().unwrap() {
            fields.push(k.clone());
        }
        for list in ["applications", "managed_identities"] {
            for (k, _) in tenant[list][0].as_object().unwrap() {
                fields.push(k.clone());
            }
        }
        for f in fields {
            assert!(USAGE.contains(&f), "--help does not name seed field {f}");
        }
        let seed = Seed::default_seed();
        let t = &seed.tenants[0];
        for value in [
            t.id.as_str(),
            t.applications[0].client_id.as_str(),
            t.applications[0].client_secret.as_deref().unwrap_or("?"),
            t.managed_identities[0].client_id.as_str(),
        ] {
            assert!(USAGE.contains(&format!("\"{value}\"")), "{value}");
        }
    }

    #[test]
    fn tls_flags() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let ca_arg = ca.to_str().unwrap();
        let Ok(Command::Serve(c)) = parse(args(&["--tls-self-signed", ca_arg])) else {
            panic!("parse failed")
        };
        assert!(c.tls.is_some());
        let written = std::fs::read_to_string(&ca).unwrap();
        assert!(written.starts_with("-----BEGIN CERTIFICATE-----"));
        let e = |a: &[&str]| match parse(args(a)) {
            Err(e) => e,
            Ok(_) => panic!("{a:?} should fail"),
        };
        assert!(e(&["--tls-cert", ca_arg]).contains("go together"));
        assert!(e(&["--tls-self-signed", ca_arg, "--tls-key", ca_arg]).contains("conflicts"));
    }
}
