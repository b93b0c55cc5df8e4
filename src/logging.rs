//! hclog-style JSON log lines on stderr, with redaction of anything that looks secret.
//!
//! go-plugin reads the plugin's stderr line by line; a JSON line with `@level`,
//! `@message` and `@timestamp` (exactly six fractional digits) becomes a proper entry in
//! Terraform's log at that level. tracing's own JSON format lacks `@level`, hence this
//! small layer. Every line passes through [`redact`] before it is written: registered
//! secrets, JWT-shaped strings, bearer tokens and secret form fields never reach a log.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::sync::{OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

const REDACTED: &str = "[redacted]";

fn registry() -> &'static RwLock<BTreeSet<String>> {
    static SECRETS: OnceLock<RwLock<BTreeSet<String>>> = OnceLock::new();
    SECRETS.get_or_init(|| RwLock::new(BTreeSet::new()))
}

/// Registers a value that must never be written to a log line. Called by
/// [`crate::entra::Secret::new`]. Very short values are ignored: replacing every "a"
/// in the log would hide more than it protects.
pub fn register_secret(value: &str) {
    if value.len() < 8 {
        return;
    }
    if let Ok(mut set) = registry().write() {
        set.insert(value.to_string());
    }
}

/// Removes secrets from `text`: registered values, JWTs (`eyJ…` in three base64url
/// parts), `Bearer <token>`, and the values of secret-bearing fields.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(set) = registry().read() {
        // Longest first, so a secret containing another is replaced whole.
        let mut secrets: Vec<&String> = set.iter().collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
    }
    out = redact_jwts(&out);
    for key in ["Bearer ", "bearer "] {
        out = redact_after(&out, key, |c| {
            c.is_whitespace() || c == '"' || c == '\'' || c == ','
        });
    }
    for key in [
        "client_secret=",
        "client_assertion=",
        "access_token=",
        "oidc_token=",
        "\"access_token\":\"",
        "\"client_secret\":\"",
        "\"client_assertion\":\"",
        "\"value\":\"eyJ",
    ] {
        out = redact_after(&out, key, |c| {
            c == '&' || c == '"' || c.is_whitespace() || c == ','
        });
    }
    out
}

/// Replaces the value following each occurrence of `key` up to a stop character.
fn redact_after(text: &str, key: &str, stop: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(key) {
        let (head, tail) = rest.split_at(pos + key.len());
        out.push_str(head);
        let end = tail.find(&stop).unwrap_or(tail.len());
        if end > 0 && !tail.starts_with(REDACTED) {
            out.push_str(REDACTED);
        } else {
            out.push_str(&tail[..end]);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Finds `eyJ<b64url>.<b64url>.<b64url>` runs (a JWT's header always starts `eyJ`).
fn redact_jwts(text: &str) -> String {
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while let Some(found) = text.get(i..).and_then(|t| t.find("eyJ")) {
        let start = i + found;
        let mut j = start;
        let mut dots = 0;
        while j < bytes.len() && (is_b64(bytes[j]) || (bytes[j] == b'.' && dots < 2)) {
            if bytes[j] == b'.' {
                dots += 1;
            }
            j += 1;
        }
        if dots == 2 && j - start > 20 {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = j;
        }
        i = j.max(start + 3);
    }
    out.push_str(&text[copied..]);
    out
}

/// The most verbose level wanted, from `TF_LOG_PROVIDER`, else `TF_LOG` (`JSON` means
/// trace). `None` when logging is off.
pub fn level_from_env(env: &dyn Fn(&str) -> Option<String>) -> Option<Level> {
    let raw = env("TF_LOG_PROVIDER")
        .filter(|v| !v.is_empty())
        .or_else(|| env("TF_LOG").filter(|v| !v.is_empty()))?;
    match raw.to_ascii_lowercase().as_str() {
        "trace" | "json" => Some(Level::TRACE),
        "debug" => Some(Level::DEBUG),
        "info" => Some(Level::INFO),
        "warn" => Some(Level::WARN),
        "error" => Some(Level::ERROR),
        "off" => None,
        // Terraform treats any other value as TRACE.
        _ => Some(Level::TRACE),
    }
}

/// Installs the stderr logger. Without `TF_LOG`/`TF_LOG_PROVIDER` only warnings and
/// errors are written (Terraform drops them anyway unless logging is on).
pub fn init() {
    let level = level_from_env(&|k| std::env::var(k).ok()).unwrap_or(Level::WARN);
    let _ = tracing_subscriber::registry()
        .with(HclogLayer { max_level: level })
        .try_init();
}

/// A tracing layer printing hclog JSON lines.
pub struct HclogLayer {
    pub max_level: Level,
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        wanted(metadata, self.max_level)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !wanted(event.metadata(), self.max_level) {
            return;
        }
        let line = format_line(event);
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
}

/// Our own events at the configured level; libraries (hyper, h2, rustls) only from
/// warnings up, or their frame-level traces would drown Terraform's log.
fn wanted(metadata: &tracing::Metadata<'_>, max_level: Level) -> bool {
    let ours = metadata.target().starts_with("terraform_provider_entra");
    let level = if ours {
        max_level
    } else {
        max_level.min(Level::WARN)
    };
    *metadata.level() <= level
}

fn format_line(event: &Event<'_>) -> String {
    let mut fields = Fields::default();
    event.record(&mut fields);
    let mut obj = serde_json::Map::new();
    obj.insert(
        "@level".into(),
        hclog_level(event.metadata().level()).into(),
    );
    obj.insert("@message".into(), redact(&fields.message).into());
    obj.insert("@module".into(), "provider.entra".into());
    obj.insert("@timestamp".into(), timestamp().into());
    for (k, v) in fields.pairs {
        obj.insert(k, redact(&v).into());
    }
    serde_json::Value::Object(obj).to_string()
}

fn hclog_level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// go-plugin's layout `2006-01-02T15:04:05.000000Z07:00`, in UTC: exactly six
/// fractional digits, or hclog does not recognise the line's time.
const HCLOG_TIME: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
);

fn timestamp() -> String {
    timestamp_of(time::OffsetDateTime::now_utc())
}

fn timestamp_of(t: time::OffsetDateTime) -> String {
    // Formatting a UTC time with this layout cannot fail; an empty time beats no line.
    t.to_offset(time::UtcOffset::UTC)
        .format(HCLOG_TIME)
        .unwrap_or_default()
}

#[derive(Default)]
struct Fields {
    message: String,
    pairs: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.pairs
                .push((field.name().to_string(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_table() {
        register_secret("quickstart-admin-secret");
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ";
        let cases = [
            (
                "secret quickstart-admin-secret here",
                "secret [redacted] here",
            ),
            (&format!("token {jwt} end") as &str, "token [redacted] end"),
            (
                "Authorization: Bearer abc.def-ghi",
                "Authorization: Bearer [redacted]",
            ),
            (
                "grant_type=client_credentials&client_secret=s3cr3t&scope=x",
                "grant_type=client_credentials&client_secret=[redacted]&scope=x",
            ),
            (
                "client_assertion=abc&x=1",
                "client_assertion=[redacted]&x=1",
            ),
            (
                r#"{"access_token":"opaque-token","expires_in":"3599"}"#,
                r#"{"access_token":"[redacted]","expires_in":"3599"}"#,
            ),
            (
                "plain text with eyJ but no token",
                "plain text with eyJ but no token",
            ),
            (
                "GET /v1.0/applications/0a1d7c3e status=200",
                "GET /v1.0/applications/0a1d7c3e status=200",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
    }

    #[test]
    fn short_values_are_not_registered() {
        register_secret("abc");
        assert_eq!(redact("abc abc"), "abc abc");
    }

    #[test]
    fn levels_from_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(level_from_env(&env(&[])), None);
        assert_eq!(
            level_from_env(&env(&[("TF_LOG", "DEBUG")])),
            Some(Level::DEBUG)
        );
        assert_eq!(
            level_from_env(&env(&[("TF_LOG", "json")])),
            Some(Level::TRACE)
        );
        assert_eq!(
            level_from_env(&env(&[("TF_LOG", "trace"), ("TF_LOG_PROVIDER", "warn")])),
            Some(Level::WARN)
        );
    }

    #[test]
    fn timestamp_has_six_fraction_digits() {
        let t = timestamp();
        assert_eq!(t.len(), 27, "{t}");
        assert!(t.ends_with('Z'));
        assert_eq!(t.as_bytes()[19], b'.');
        let fixed = time::macros::datetime!(2026-01-02 03:04:05.000_007 UTC);
        assert_eq!(timestamp_of(fixed), "2026-01-02T03:04:05.000007Z");
    }
}
