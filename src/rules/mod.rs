//! Entra's rules for federated identity credentials and token requests, as plain
//! functions. The provider's plan-time validation and the emulator both call these, so
//! the two cannot disagree.
//!
//! Each check returns [`Finding`]s instead of failing fast: a user with three mistakes
//! sees three diagnostics in one `terraform validate`. A finding marked
//! [`Finding::graph_enforced`] is one Microsoft Graph itself rejects (the emulator answers
//! 400 for it); the others are stricter checks of ours for mistakes Graph accepts
//! silently and Entra only reports at token exchange.

pub mod duration;
pub mod endpoint;
pub mod fic;
pub mod guid;
pub mod token;

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One broken rule, ready to become a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// The top-level attribute as named in the schema, e.g. `issuer`.
    pub attribute: &'static str,
    /// The element of a list attribute, e.g. `Some(1)` for `audiences[1]`.
    pub index: Option<usize>,
    /// A stable identifier of the rule, e.g. `name.length`.
    pub rule: &'static str,
    /// One line: what is wrong.
    pub summary: String,
    /// The limit, the offending value and how to fix it.
    pub detail: String,
    /// Whether Microsoft Graph rejects this itself.
    pub graph_enforced: bool,
}

impl Finding {
    fn new(
        severity: Severity,
        attribute: &'static str,
        rule: &'static str,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Finding {
        Finding {
            severity,
            attribute,
            index: None,
            rule,
            summary: summary.into(),
            detail: detail.into(),
            graph_enforced: false,
        }
    }

    /// A broken rule that fails plan.
    pub(crate) fn error(
        attribute: &'static str,
        rule: &'static str,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Finding {
        Finding::new(Severity::Error, attribute, rule, summary, detail)
    }

    /// Downgrades the finding to a warning: a likely mistake that Graph and Entra
    /// accept, so plan goes on.
    pub(crate) fn warning_only(mut self) -> Finding {
        self.severity = Severity::Warning;
        self
    }

    pub(crate) fn by_graph(mut self) -> Finding {
        self.graph_enforced = true;
        self
    }

    pub(crate) fn at(mut self, index: usize) -> Finding {
        self.index = Some(index);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `audiences[1]` or `name`: how the attribute appears in messages.
    pub fn path(&self) -> String {
        match self.index {
            Some(i) => format!("{}[{i}]", self.attribute),
            None => self.attribute.to_string(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.path(), self.summary, self.rule)
    }
}

/// A configuration value at plan time. Unknown values are skipped by every check: they
/// are validated again once known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<T> {
    Null,
    Unknown,
    Known(T),
}

impl<T> Input<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Input::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Input::Null)
    }

    /// Set in configuration: known or unknown, but not null.
    pub fn is_set(&self) -> bool {
        !self.is_null()
    }
}

/// Quotes a user value for a message, showing invisible whitespace and truncating long
/// values so a 700-character issuer does not flood the terminal.
pub(crate) fn quote(value: &str) -> String {
    const SHOWN: usize = 80;
    let count = value.chars().count();
    if count <= SHOWN {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(SHOWN).collect();
        format!("{head:?}… ({count} characters)")
    }
}
