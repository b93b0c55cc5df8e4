//! Endpoints the provider sends credentials to: TLS always, except on the local machine.

use super::{quote, Finding};

/// Plain `http://` is allowed only for loopback hosts (tests, the emulator) and the IMDS
/// link-local address (which is plain HTTP by design and never leaves the host).
pub fn check_endpoint(attribute: &'static str, raw: &str) -> Option<Finding> {
    let url = match url::Url::parse(raw) {
        Ok(url) => url,
        Err(e) => {
            return Some(Finding::error(
                attribute,
                "endpoint.url",
                format!("{attribute} must be an absolute URL"),
                format!("Got {}: {e}.", quote(raw)),
            ))
        }
    };
    match url.scheme() {
        "https" => None,
        "http" if is_local(&url) => None,
        "http" => Some(Finding::error(
            attribute,
            "endpoint.https",
            format!("{attribute} must use https"),
            format!(
                "Got {}. Plain http is only allowed for loopback hosts and the instance metadata address 169.254.169.254, because credentials and tokens are sent to this endpoint.",
                quote(raw)
            ),
        )),
        other => Some(Finding::error(
            attribute,
            "endpoint.scheme",
            format!("{attribute} must be an https URL"),
            format!("Got scheme {other:?} in {}.", quote(raw)),
        )),
    }
}

/// Loopback or the IMDS address.
pub fn is_local(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => {
            ip.is_loopback() || ip == std::net::Ipv4Addr::new(169, 254, 169, 254)
        }
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let allowed = [
            "https://graph.microsoft.com",
            "https://login.microsoftonline.com/",
            "http://127.0.0.1:8080",
            "http://127.5.0.1",
            "http://localhost:3000/x",
            "http://[::1]:9000",
            "http://169.254.169.254/metadata/identity/oauth2/token",
        ];
        for u in allowed {
            assert_eq!(check_endpoint("graph_endpoint", u), None, "{u}");
        }
        let refused = [
            ("http://graph.example.com", "endpoint.https"),
            ("http://10.0.0.1", "endpoint.https"),
            ("http://169.254.169.253", "endpoint.https"),
            ("ftp://x", "endpoint.scheme"),
            ("graph.microsoft.com", "endpoint.url"),
            ("", "endpoint.url"),
        ];
        for (u, rule) in refused {
            let f = check_endpoint("graph_endpoint", u).expect(u);
            assert_eq!(f.rule, rule, "{u}");
            assert_eq!(f.attribute, "graph_endpoint");
        }
    }
}
