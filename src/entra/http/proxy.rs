//! Which proxy the environment sets for a request, named for diagnostics: the variable
//! and the proxy's `scheme://host[:port]`, never its credentials.

/// The proxy the environment sets for requests of `scheme`, as reqwest reads it: the
/// scheme's own variable (upper case first), then `ALL_PROXY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySetting {
    /// The variable it came from.
    pub variable: &'static str,
    /// The proxy's `scheme://host[:port]`, without credentials.
    pub origin: String,
}

/// [`ProxySetting`] for `scheme` from `lookup` (the environment, in production).
pub fn proxy_setting(
    scheme: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Option<ProxySetting> {
    let names: &[&'static str] = if scheme == "http" {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    };
    names.iter().find_map(|&variable| {
        let raw = lookup(variable)?;
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        let with_scheme = if raw.contains("://") {
            raw.to_string()
        } else {
            format!("http://{raw}")
        };
        let origin = url::Url::parse(&with_scheme)
            .map(|u| origin_of(&u))
            .unwrap_or_else(|_| "(an address that is not a URL)".to_string());
        Some(ProxySetting { variable, origin })
    })
}

/// Whether the environment's proxy rules (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`,
/// `NO_PROXY`) send a request for `url` through a proxy. It asks the matcher reqwest's
/// default client applies, so the answer is the one reqwest acted on.
pub fn proxy_used(url: &url::Url) -> bool {
    let Ok(uri) = url.as_str().parse::<::http::Uri>() else {
        return false;
    };
    hyper_util::client::proxy::matcher::Matcher::from_system()
        .intercept(&uri)
        .is_some()
}

/// `scheme://host[:port]` of `url`.
pub fn origin_of(url: &url::Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}", url.scheme(), url.host_str().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Vars = &'static [(&'static str, &'static str)];

    #[test]
    fn the_proxy_is_named_by_its_variable_without_credentials() {
        let env = |pairs: Vars| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let set = |variable, origin: &str| {
            Some(ProxySetting {
                variable,
                origin: origin.into(),
            })
        };
        #[rustfmt::skip]
        let cases: [(&str, Vars, Option<ProxySetting>); 7] = [
            ("https", &[("HTTPS_PROXY", "http://user:secret@proxy.corp:3128")], set("HTTPS_PROXY", "http://proxy.corp:3128")),
            ("https", &[("https_proxy", "proxy.corp:8080")], set("https_proxy", "http://proxy.corp:8080")),
            ("https", &[("HTTP_PROXY", "http://p:1")], None),
            ("https", &[("ALL_PROXY", "socks5://p:1080"), ("HTTPS_PROXY", "http://q:2")], set("HTTPS_PROXY", "http://q:2")),
            ("https", &[("ALL_PROXY", "http://p:1")], set("ALL_PROXY", "http://p:1")),
            ("http", &[("HTTP_PROXY", "http://127.0.0.1:9")], set("HTTP_PROXY", "http://127.0.0.1:9")),
            ("https", &[("HTTPS_PROXY", "  ")], None),
        ];
        for (scheme, vars, want) in cases {
            assert_eq!(proxy_setting(scheme, env(vars)), want, "{scheme} {vars:?}");
        }
    }
}
