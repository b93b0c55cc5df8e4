//! cty types and values, and their wire encodings.
//!
//! Terraform speaks cty (github.com/zclconf/go-cty): every value has a type, may be null,
//! and during planning may be unknown. On the wire a value is msgpack (always what
//! Terraform sends) or JSON (stored state, `RawState`). Decoding is schema-driven: the
//! bytes alone do not say whether a map is an object or a map, so every function here
//! takes the expected [`Type`].

pub mod json;
pub mod msgpack;
pub mod types;
pub mod value;
mod walk;

pub use types::Type;
pub use value::{Number, Value};

/// A value or type that does not match what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError {
    /// Where in the value the problem is, e.g. `.audiences[1]`; empty at the root.
    pub path: String,
    pub message: String,
}

impl CodecError {
    pub fn new(message: impl Into<String>) -> Self {
        CodecError {
            path: String::new(),
            message: message.into(),
        }
    }

    /// Prefixes the path with one step, as errors bubble up from nested values.
    pub fn at(mut self, step: impl std::fmt::Display) -> Self {
        self.path = format!("{step}{}", self.path);
        self
    }
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for CodecError {}
