//! Tests of the transport errors' classification.

use super::*;
use crate::entra::http::RESPONSE_TIMEOUT_VAR as RESPONSE_TIMEOUT;

#[derive(Debug)]
struct Wrap(&'static str, Box<dyn StdError + Send + Sync>);
impl std::fmt::Display for Wrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl StdError for Wrap {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.1)
    }
}

/// The shape hyper-util gives: a connect error over an `io::Error` over the cause.
fn chain(outer: &'static str, inner: impl StdError + Send + Sync + 'static) -> Wrap {
    let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
    Wrap(outer, Box::new(io))
}

fn io(kind: std::io::ErrorKind, text: &str) -> std::io::Error {
    std::io::Error::new(kind, text.to_string())
}

#[test]
fn causes_are_found_under_every_wrapping() {
    use std::io::ErrorKind as K;
    let cert = |c| {
        chain(
            "client error (Connect)",
            rustls::Error::InvalidCertificate(c),
        )
    };
    let cases: Vec<(Wrap, TransportKind)> = vec![
        (
            cert(CertificateError::UnknownIssuer),
            TransportKind::Certificate(CertProblem::UnknownIssuer),
        ),
        (
            cert(CertificateError::Expired),
            TransportKind::Certificate(CertProblem::Expired),
        ),
        (
            cert(CertificateError::NotValidForName),
            TransportKind::Certificate(CertProblem::WrongHost),
        ),
        (
            cert(CertificateError::NotValidYet),
            TransportKind::Certificate(CertProblem::NotYetValid),
        ),
        (
            chain("tcp connect error", io(K::ConnectionRefused, "refused")),
            TransportKind::Refused,
        ),
        (
            Wrap(
                "connection error",
                Box::new(io(K::ConnectionReset, "reset by peer")),
            ),
            TransportKind::Reset,
        ),
        (
            Wrap(
                "dns error",
                Box::new(io(
                    K::Other,
                    "failed to lookup address information: Name or service not known",
                )),
            ),
            TransportKind::UnknownHost,
        ),
        (
            Wrap(
                "dns error",
                Box::new(io(
                    K::Other,
                    "failed to lookup address information: Temporary failure in name resolution",
                )),
            ),
            TransportKind::Dns(
                "failed to lookup address information: Temporary failure in name resolution".into(),
            ),
        ),
        (
            Wrap("dns error", Box::new(NoSuchHost("x.invalid".into()))),
            TransportKind::UnknownHost,
        ),
        (
            chain(
                "client error (Connect)",
                rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
            ),
            TransportKind::TlsToPlainHttp,
        ),
        (
            Wrap(
                "error following redirect",
                Box::new(RedirectRefused {
                    from: "https://a/x".into(),
                    to: "https://b/y".into(),
                }),
            ),
            TransportKind::Redirect {
                from: "https://a/x".into(),
                to: "https://b/y".into(),
            },
        ),
        (
            Wrap(
                "tunnel error: failed to create underlying connection",
                Box::new(io(K::ConnectionRefused, "refused")),
            ),
            TransportKind::Proxy {
                variable: None,
                proxy: None,
                detail: "tunnel error: failed to create underlying connection: refused".into(),
            },
        ),
        (
            chain(
                "client error (Connect)",
                rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
            ),
            TransportKind::TlsHandshake("received fatal alert: HandshakeFailure".into()),
        ),
    ];
    for (e, want) in cases {
        assert_eq!(kind_in_chain(&e), Some(want), "{e}");
    }
    assert_eq!(
        kind_in_chain(&Wrap("other", Box::new(io(K::Other, "x")))),
        None
    );
}

fn err(origin: &str, kind: TransportKind) -> TransportError {
    TransportError {
        origin: origin.into(),
        kind,
    }
}

#[test]
fn only_what_a_retry_cannot_fix_is_permanent() {
    let redirect = TransportKind::Redirect {
        from: "https://a/t".into(),
        to: "https://b/t".into(),
    };
    #[rustfmt::skip]
    let cases = [
        (err("https://login.example", TransportKind::Certificate(CertProblem::Expired)), true),
        (err("https://login.example", TransportKind::UnknownHost), true),
        (err("https://login.example", TransportKind::Dns("timeout".into())), false),
        (err("http://127.0.0.1:9", TransportKind::Refused), true),
        (err("http://localhost:9", TransportKind::Refused), true),
        (err("http://[::1]:9", TransportKind::Refused), true),
        (err("https://graph.example", TransportKind::Refused), false),
        (err("https://graph.example", TransportKind::ConnectTimeout), false),
        (err("https://graph.example", TransportKind::ResponseTimeout { waited: None, set_by: None }), false),
        (err("https://graph.example", TransportKind::TlsHandshake("alert".into())), false),
        (err("https://graph.example", TransportKind::Reset), false),
        (err("https://127.0.0.1:9", TransportKind::TlsToPlainHttp), true),
        (err("https://a", redirect), true),
        (err("https://a", TransportKind::Proxy { variable: None, proxy: None, detail: "x".into() }), false),
        (err("https://a", TransportKind::Other("x".into())), false),
    ];
    for (e, permanent) in cases {
        assert_eq!(e.is_permanent(), permanent, "{e:?}");
    }
}

#[test]
fn messages_say_what_why_where_and_what_to_do() {
    let cases = [
        (
            err(
                "https://127.0.0.1:8443",
                TransportKind::Certificate(CertProblem::UnknownIssuer),
            ),
            &[
                "certificate was refused",
                "https://127.0.0.1:8443",
                "unknown issuer",
                "TLS-inspecting proxy",
                "SSL_CERT_FILE",
            ][..],
        ),
        (
            err(
                "https://login.example",
                TransportKind::Certificate(CertProblem::WrongHost),
            ),
            &[
                "certificate was refused",
                "not valid for this host name",
                "authority_host",
            ][..],
        ),
        (
            err(
                "https://login.example",
                TransportKind::Certificate(CertProblem::Expired),
            ),
            &["certificate was refused", "expired", "clock"][..],
        ),
        (
            err("https://login.example.invalid", TransportKind::UnknownHost),
            &["https://login.example.invalid", "does not exist"][..],
        ),
        (
            err("http://127.0.0.1:9", TransportKind::Refused),
            &["http://127.0.0.1:9", "refused", "nothing listens"][..],
        ),
        (
            err("https://127.0.0.1:9", TransportKind::TlsToPlainHttp),
            &["https://127.0.0.1:9", "plain HTTP"][..],
        ),
        (
            err(
                "https://a",
                TransportKind::Redirect {
                    from: "https://a/t".into(),
                    to: "https://b/t".into(),
                },
            ),
            &["https://a/t", "https://b/t", "redirect", "does not follow"][..],
        ),
        (
            err(
                "https://a",
                TransportKind::Proxy {
                    variable: None,
                    proxy: None,
                    detail: "407 Proxy Authentication Required".into(),
                },
            ),
            &["proxy", "407", "HTTPS_PROXY"][..],
        ),
        (
            err(
                "https://graph.example",
                TransportKind::Proxy {
                    variable: Some("HTTPS_PROXY".into()),
                    proxy: Some("http://proxy.corp:3128".into()),
                    detail: "tunnel error: refused".into(),
                },
            ),
            &[
                "the proxy http://proxy.corp:3128 (set by HTTPS_PROXY)",
                "https://graph.example",
                "Check HTTPS_PROXY",
                "NO_PROXY",
            ][..],
        ),
        (
            err("https://graph.example", TransportKind::ConnectTimeout),
            &["connecting to https://graph.example timed out", "not sent"][..],
        ),
        (
            err(
                "https://graph.example",
                TransportKind::ResponseTimeout {
                    waited: None,
                    set_by: None,
                },
            ),
            &[
                "https://graph.example took the request",
                "no complete answer within the response timeout.",
                "`timeouts` block",
            ][..],
        ),
        (
            err(
                "https://graph.example",
                TransportKind::ResponseTimeout {
                    waited: Some(Duration::from_millis(1500)),
                    set_by: Some("ENTRA_RESPONSE_TIMEOUT"),
                },
            ),
            &[
                "no complete answer within the response timeout of 1500ms (set by ENTRA_RESPONSE_TIMEOUT)",
                "ENTRA_RESPONSE_TIMEOUT sets how long each request waits for its answer (default 1m)",
            ][..],
        ),
        (
            err(
                "http://127.0.0.1:8080",
                TransportKind::Proxy {
                    variable: Some("HTTP_PROXY".into()),
                    proxy: Some("http://127.0.0.1:9".into()),
                    detail: "the connection to the proxy was refused: nothing listens there".into(),
                },
            ),
            &[
                "the proxy http://127.0.0.1:9 (set by HTTP_PROXY) could not forward the request to http://127.0.0.1:8080: the connection to the proxy was refused",
                "Check HTTP_PROXY",
            ][..],
        ),
    ];
    for (e, words) in cases {
        let text = e.to_string();
        for w in words {
            assert!(text.contains(w), "{w:?} missing from {text:?}");
        }
    }
}

/// Only failures to connect are the proxy's when a request goes through one; an answer
/// that never came may be the server's.
#[test]
fn connect_failures_of_a_forwarded_request_are_the_proxy_s() {
    let said = |k: TransportKind| reaching_the_proxy(&k);
    assert_eq!(
        said(TransportKind::Refused).as_deref(),
        Some("the connection to the proxy was refused: nothing listens there")
    );
    assert_eq!(
        said(TransportKind::UnknownHost).as_deref(),
        Some("the proxy's host name does not exist (DNS)")
    );
    assert!(said(TransportKind::ConnectTimeout).is_some_and(|d| d.contains("proxy")));
    for not_the_proxy in [
        TransportKind::Reset,
        TransportKind::ResponseTimeout {
            waited: None,
            set_by: None,
        },
        TransportKind::Other("x".into()),
    ] {
        assert_eq!(said(not_the_proxy.clone()), None, "{not_the_proxy:?}");
    }
}

#[test]
fn the_response_timeout_comes_from_its_variable() {
    let with = |v: Option<&'static str>| {
        move |k: &str| {
            (k == RESPONSE_TIMEOUT)
                .then_some(v)
                .flatten()
                .map(String::from)
        }
    };
    assert_eq!(
        super::super::response_timeout(with(None)),
        Ok(Duration::from_secs(60))
    );
    assert_eq!(
        super::super::response_timeout(with(Some(" "))),
        Ok(Duration::from_secs(60))
    );
    assert_eq!(
        super::super::response_timeout(with(Some("1s"))),
        Ok(Duration::from_secs(1))
    );
    assert_eq!(
        super::super::response_timeout(with(Some("2m30s"))),
        Ok(Duration::from_secs(150))
    );
    let zero = super::super::response_timeout(with(Some("0s"))).unwrap_err();
    assert!(
        zero.contains("ENTRA_RESPONSE_TIMEOUT must be longer than zero"),
        "{zero}"
    );
    let bad = super::super::response_timeout(with(Some("soon"))).unwrap_err();
    assert!(bad.starts_with("ENTRA_RESPONSE_TIMEOUT: "), "{bad}");
    assert!(bad.contains("is not a duration"), "{bad}");
}

#[test]
fn origins_keep_scheme_host_and_port_only() {
    let u = url::Url::parse("https://login.example:8443/t/oauth2/v2.0/token?x=1").unwrap();
    assert_eq!(origin_of(&u), "https://login.example:8443");
    let u = url::Url::parse("https://graph.example/v1.0/applications").unwrap();
    assert_eq!(origin_of(&u), "https://graph.example");
}
