//! Reading a JWT's claims without verifying it: for diagnosis and the `claims`
//! attribute. The token itself is never logged or shown.

use base64::Engine;
use serde_json::{Map, Value};

/// The payload of a JWT, or `None` if it is not one.
pub fn claims(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    parts.next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A claim as text: strings as is, numbers printed, arrays comma-joined.
pub fn claim_text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    }
}

/// The signature part, which tests grep for to prove a token never reached a file.
pub fn signature(token: &str) -> Option<&str> {
    token.rsplit('.').next().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_payload() {
        // {"alg":"none"}.{"aud":"api://x","roles":["a","b"],"exp":5}.sig
        let t =
            "eyJhbGciOiJub25lIn0.eyJhdWQiOiJhcGk6Ly94Iiwicm9sZXMiOlsiYSIsImIiXSwiZXhwIjo1fQ.c2ln";
        let c = claims(t).unwrap();
        assert_eq!(claim_text(&c, "aud").as_deref(), Some("api://x"));
        assert_eq!(claim_text(&c, "roles").as_deref(), Some("a,b"));
        assert_eq!(claim_text(&c, "exp").as_deref(), Some("5"));
        assert_eq!(signature(t), Some("c2ln"));
        assert!(claims("not-a-jwt").is_none());
    }
}
