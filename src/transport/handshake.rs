//! The go-plugin handshake: the environment Terraform sets, and the one line we answer.

use std::net::SocketAddr;

use base64::Engine;
use tokio::net::TcpListener;

/// Terraform's magic cookie (the same in OpenTofu).
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The only tfplugin version we serve.
pub const PROTOCOL_VERSION: u32 = 5;

/// go-plugin's text for a plugin started by hand.
pub const NOT_A_PROGRAM: &str =
    "This binary is a plugin. These are not meant to be executed directly.\n\
Please execute the program that consumes these plugins, which will\n\
load any plugins automatically";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeError {
    NoCookie,
    NoCommonVersion(String),
    BadPortRange(String),
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandshakeError::NoCookie => f.write_str(NOT_A_PROGRAM),
            HandshakeError::NoCommonVersion(offered) => write!(
                f,
                "Incompatible API version with plugin: the client offers protocol versions {offered:?}, this provider speaks {PROTOCOL_VERSION}"
            ),
            HandshakeError::BadPortRange(e) => write!(f, "invalid PLUGIN_MIN_PORT/PLUGIN_MAX_PORT: {e}"),
        }
    }
}

/// What the client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub port_range: Option<(u16, u16)>,
    /// `PLUGIN_CLIENT_CERT`: present when Terraform wants AutoMTLS.
    pub client_cert_pem: Option<String>,
}

impl Handshake {
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Handshake, HandshakeError> {
        if env(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(HandshakeError::NoCookie);
        }
        if let Some(offered) = env("PLUGIN_PROTOCOL_VERSIONS") {
            let speaks = offered
                .split(',')
                .any(|v| v.trim().parse::<u32>().ok() == Some(PROTOCOL_VERSION));
            if !speaks {
                return Err(HandshakeError::NoCommonVersion(offered));
            }
        }
        let port = |k: &str| -> Result<Option<u16>, HandshakeError> {
            match env(k) {
                None => Ok(None),
                Some(v) if v.is_empty() => Ok(None),
                Some(v) => v
                    .parse::<u16>()
                    .map(Some)
                    .map_err(|_| HandshakeError::BadPortRange(format!("{k}={v:?}"))),
            }
        };
        let port_range = match (port("PLUGIN_MIN_PORT")?, port("PLUGIN_MAX_PORT")?) {
            (None, None) => None,
            (min, max) => {
                let (min, max) = (min.unwrap_or(10000), max.unwrap_or(25000));
                if min > max {
                    return Err(HandshakeError::BadPortRange(format!("{min} > {max}")));
                }
                Some((min, max))
            }
        };
        let client_cert_pem = env("PLUGIN_CLIENT_CERT").filter(|c| !c.trim().is_empty());
        Ok(Handshake {
            port_range,
            client_cert_pem,
        })
    }

    /// Debug mode: Terraform reattaches in plaintext and any port will do.
    pub fn debug() -> Handshake {
        Handshake {
            port_range: None,
            client_cert_pem: None,
        }
    }
}

pub async fn bind(h: &Handshake) -> Result<TcpListener, String> {
    match h.port_range {
        Some((min, max)) => super::bind_in_range(min, max).await,
        None => TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1: {e}")),
    }
}

/// `1|5|tcp|127.0.0.1:PORT|grpc|CERT`; CERT is the server certificate's DER in standard
/// base64 without padding, or empty in plaintext.
pub fn handshake_line(addr: SocketAddr, cert_field: &str) -> String {
    format!("1|{PROTOCOL_VERSION}|tcp|{addr}|grpc|{cert_field}")
}

pub fn cert_field(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(der)
}

/// The line a developer pastes to attach Terraform to a provider started with `--debug`.
pub fn reattach_line(addr: SocketAddr) -> String {
    let value = serde_json::json!({
        super::SOURCE_ADDRESS: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": "tcp", "String": addr.to_string()},
        }
    });
    format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{value}'\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    /// The handshake with Terraform's magic cookie and `pairs` in the environment.
    fn with_cookie(pairs: &[(&str, &str)]) -> Result<Handshake, HandshakeError> {
        let mut all = vec![(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)];
        all.extend_from_slice(pairs);
        Handshake::from_env(&env(&all))
    }

    #[test]
    fn cookie_is_required() {
        assert_eq!(
            Handshake::from_env(&env(&[])),
            Err(HandshakeError::NoCookie)
        );
        assert_eq!(
            Handshake::from_env(&env(&[(MAGIC_COOKIE_KEY, "nope")])),
            Err(HandshakeError::NoCookie)
        );
    }

    #[test]
    fn versions_are_negotiated() {
        let ok = with_cookie(&[("PLUGIN_PROTOCOL_VERSIONS", "6,5")]);
        assert!(ok.is_ok());
        let bad = with_cookie(&[("PLUGIN_PROTOCOL_VERSIONS", "6")]);
        assert!(matches!(bad, Err(HandshakeError::NoCommonVersion(_))));
    }

    #[test]
    fn port_range_and_cert() {
        let h = with_cookie(&[
            ("PLUGIN_MIN_PORT", "20000"),
            ("PLUGIN_MAX_PORT", "20010"),
            ("PLUGIN_CLIENT_CERT", "-----BEGIN CERTIFICATE-----"),
        ])
        .unwrap();
        assert_eq!(h.port_range, Some((20000, 20010)));
        assert!(h.client_cert_pem.is_some());
        let bad = with_cookie(&[("PLUGIN_MIN_PORT", "x")]);
        assert!(matches!(bad, Err(HandshakeError::BadPortRange(_))));
    }

    #[test]
    fn line_format() {
        let addr: SocketAddr = "127.0.0.1:12345".parse().unwrap();
        assert_eq!(handshake_line(addr, ""), "1|5|tcp|127.0.0.1:12345|grpc|");
        assert_eq!(cert_field(&[0xff, 0xfe]), "//4");
        assert!(reattach_line(addr).contains("\"registry.terraform.io/entra-mi/entra\""));
    }
}
