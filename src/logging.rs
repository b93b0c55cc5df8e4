//! hclog-style JSON log lines on stderr, with redaction of anything that looks secret.

/// Registers a value that must never be written to a log line. Called by
/// [`crate::entra::Secret::new`]; the redaction layer replaces every occurrence.
pub fn register_secret(_value: &str) {
    // Filled in with the logging layer (issue 2, item 6).
}
