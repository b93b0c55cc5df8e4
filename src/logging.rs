//! hclog-style JSON log lines on stderr, with redaction of anything that looks secret.
