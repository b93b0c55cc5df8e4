//! A string that must never be printed: client secrets, tokens, assertions.
//!
//! `Debug` and `Display` print `[redacted]`, so a secret that ends up in an error or a
//! log line by accident shows nothing. Creating one also registers the value with the
//! log redaction layer (see [`crate::logging::register_secret`]), as a second fence.

use std::fmt;

/// A secret value; see the module documentation.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value` and registers it for log redaction.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        crate::logging::register_secret(&value);
        Secret(value)
    }

    /// The raw value, for the one place that must send it (a form field, a header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_its_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
