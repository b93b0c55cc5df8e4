//! Reading a managed identity endpoint's answer: the token with its expiry (every source
//! has its own format), or the failure in words a user can act on.

use serde::Deserialize;
use time::OffsetDateTime;

use super::ManagedIdentityId;
use crate::entra::{AccessToken, Secret};

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    refresh_in: Option<serde_json::Value>,
}

/// A failure in words a user can act on.
pub(super) fn explain(status: u16, body: &[u8], identity: &ManagedIdentityId) -> String {
    let text = String::from_utf8_lossy(body);
    let detail: String = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let d = v
                .get("error_description")
                .or_else(|| v.get("message"))
                .and_then(|x| x.as_str())
                .map(str::to_string);
            let e = v.get("error").and_then(|x| x.as_str()).map(str::to_string);
            d.or(e)
        })
        .unwrap_or_else(|| text.chars().take(200).collect());
    let lower = detail.to_ascii_lowercase();
    if status == 400 && lower.contains("metadata") {
        return format!("HTTP 400 — the endpoint requires the `Metadata: true` header (a proxy may have dropped it): {detail}");
    }
    if status == 400
        && (lower.contains("identity not found")
            || lower.contains("not assigned")
            || lower.contains("unable to load"))
    {
        return format!(
            "HTTP 400 — the identity {} is not assigned to this host: assign the user-assigned identity to the VM/App, or fix `managed_identity_client_id`/`msi_client_id`: {detail}",
            match identity {
                ManagedIdentityId::Default => "(default)".to_string(),
                ManagedIdentityId::ClientId(v) | ManagedIdentityId::ObjectId(v) | ManagedIdentityId::ResourceId(v) => format!("{v:?}"),
            }
        );
    }
    if status == 407 || text.trim_start().starts_with("<") {
        return format!("HTTP {status} — an HTTP proxy seems to be in the way; managed identity endpoints must be reached directly (set NO_PROXY for 169.254.169.254)");
    }
    format!("HTTP {status}: {detail}")
}

pub(super) fn parse_token(body: &[u8]) -> Result<AccessToken, String> {
    let b: TokenBody = serde_json::from_slice(body)
        .map_err(|_| "the token response is not valid JSON".to_string())?;
    let now = OffsetDateTime::now_utc();
    let expires_on = b
        .expires_on
        .as_ref()
        .and_then(parse_expires_on)
        .or_else(|| {
            b.expires_in
                .as_ref()
                .and_then(number)
                .map(|s| now + time::Duration::seconds(s))
        })
        .unwrap_or(now + time::Duration::hours(1));
    let mut token = AccessToken::new(Secret::new(b.access_token), expires_on);
    token.refresh_on = b
        .refresh_in
        .as_ref()
        .and_then(number)
        .map(|s| now + time::Duration::seconds(s));
    Ok(token)
}

fn number(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `expires_on`: epoch seconds (number or string) or a date like
/// `11/24/2026 13:00:00 +00:00` (App Service 2017-09-01).
pub fn parse_expires_on(v: &serde_json::Value) -> Option<OffsetDateTime> {
    if let Some(secs) = number(v) {
        return OffsetDateTime::from_unix_timestamp(secs).ok();
    }
    let s = v.as_str()?.trim();
    let fmt = time::macros::format_description!(
        "[month padding:none]/[day padding:none]/[year] [hour padding:none]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
    );
    OffsetDateTime::parse(s, &fmt)
        .ok()
        .or_else(|| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_formats() {
        let epoch = serde_json::json!("1795000000");
        assert_eq!(
            parse_expires_on(&epoch).map(|t| t.unix_timestamp()),
            Some(1795000000)
        );
        assert_eq!(
            parse_expires_on(&serde_json::json!(1795000000)).map(|t| t.unix_timestamp()),
            Some(1795000000)
        );
        let date = serde_json::json!("11/24/2026 13:00:00 +00:00");
        assert!(parse_expires_on(&date).is_some());
        assert!(parse_expires_on(&serde_json::json!("soon")).is_none());
    }

    #[test]
    fn causes_in_words() {
        let unassigned = br#"{"error":"invalid_request","error_description":"Identity not found"}"#;
        assert!(
            explain(400, unassigned, &ManagedIdentityId::ClientId("x".into()))
                .contains("not assigned")
        );
        let header = br#"{"error":"invalid_request","error_description":"Required metadata header not specified"}"#;
        assert!(explain(400, header, &ManagedIdentityId::Default).contains("Metadata: true"));
        assert!(explain(502, b"<html>proxy</html>", &ManagedIdentityId::Default).contains("proxy"));
    }
}
