//! Diagnostics with attribute paths: how every error and warning reaches the user.

use crate::proto::tfplugin5 as pb;

/// How bad a diagnostic is: Terraform stops the operation on an error and shows a
/// warning without stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The operation failed.
    Error,
    /// Shown, and the operation goes on.
    Warning,
}

/// One step of an attribute path: `audiences[1]` is `[Attr("audiences"), Index(1)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An attribute of an object (or a nested block).
    Attr(String),
    /// An element of a list or tuple.
    Index(i64),
    /// An element of a map.
    Key(String),
}

/// Where in a configuration a diagnostic points; Terraform underlines that attribute in
/// its output. Displayed as `audiences[1]` or `timeouts.create`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttrPath(pub Vec<Step>);

impl AttrPath {
    /// A top-level attribute.
    pub fn attr(name: impl Into<String>) -> AttrPath {
        AttrPath(vec![Step::Attr(name.into())])
    }

    /// The `i`th element of the list this path names.
    pub fn index(mut self, i: usize) -> AttrPath {
        self.0
            .push(Step::Index(i64::try_from(i).unwrap_or(i64::MAX)));
        self
    }

    /// An attribute nested in the object this path names.
    pub fn child(mut self, name: impl Into<String>) -> AttrPath {
        self.0.push(Step::Attr(name.into()));
        self
    }

    /// The path as tfplugin5 carries it in `Diagnostic.attribute` and `requires_replace`.
    pub fn to_proto(&self) -> pb::AttributePath {
        use pb::attribute_path::step::Selector;
        pb::AttributePath {
            steps: self
                .0
                .iter()
                .map(|s| pb::attribute_path::Step {
                    selector: Some(match s {
                        Step::Attr(a) => Selector::AttributeName(a.clone()),
                        Step::Index(i) => Selector::ElementKeyInt(*i),
                        Step::Key(k) => Selector::ElementKeyString(k.clone()),
                    }),
                })
                .collect(),
        }
    }
}

impl std::fmt::Display for AttrPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Step::Attr(a) if i == 0 => write!(f, "{a}")?,
                Step::Attr(a) => write!(f, ".{a}")?,
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::Key(k) => write!(f, "[{k:?}]")?,
            }
        }
        Ok(())
    }
}

/// One error or warning as Terraform shows it: a one-line summary, a detail that says
/// what to do, and optionally the attribute it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: String,
    /// What happened, to what, and what to do about it.
    pub detail: String,
    /// The attribute Terraform points at; `None` for the whole block or operation.
    pub path: Option<AttrPath>,
}

impl Diagnostic {
    /// The diagnostic as tfplugin5 carries it.
    pub fn to_proto(&self) -> pb::Diagnostic {
        pb::Diagnostic {
            severity: match self.severity {
                Severity::Error => pb::diagnostic::Severity::Error as i32,
                Severity::Warning => pb::diagnostic::Severity::Warning as i32,
            },
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            attribute: self.path.as_ref().map(AttrPath::to_proto),
        }
    }
}

/// An ordered list of diagnostics; an operation failed when it holds an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// A result in the shape the traits return: the value and no diagnostics, or no
    /// value and the errors.
    pub fn split<T>(result: Result<T, Diagnostics>) -> (Option<T>, Diagnostics) {
        match result {
            Ok(t) => (Some(t), Diagnostics::new()),
            Err(d) => (None, d),
        }
    }

    /// No diagnostics: success.
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    /// A single error, for early returns.
    pub fn from_error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostics {
        let mut d = Diagnostics::new();
        d.error(summary, detail);
        d
    }

    /// Adds an error about the whole block or operation.
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, None);
    }

    /// Adds a warning about the whole block or operation.
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, None);
    }

    /// Adds an error pointing at one attribute.
    pub fn error_at(
        &mut self,
        path: AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Error, summary, detail, Some(path));
    }

    /// Appends a diagnostic built elsewhere, e.g. from a provider's own rule check.
    pub fn add(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds a diagnostic of any severity, optionally at an attribute.
    pub fn push(
        &mut self,
        severity: Severity,
        summary: impl Into<String>,
        detail: impl Into<String>,
        path: Option<AttrPath>,
    ) {
        self.0.push(Diagnostic {
            severity,
            summary: summary.into(),
            detail: detail.into(),
            path,
        });
    }

    /// Appends all of `other`, keeping their order.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Whether the operation failed.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// Whether there is nothing to report.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The list as tfplugin5 carries it in every response.
    pub fn to_proto(&self) -> Vec<pb::Diagnostic> {
        self.0.iter().map(Diagnostic::to_proto).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_and_convert() {
        let p = AttrPath::attr("audiences").index(1);
        assert_eq!(p.to_string(), "audiences[1]");
        assert_eq!(p.to_proto().steps.len(), 2);
        assert_eq!(
            AttrPath::attr("timeouts").child("create").to_string(),
            "timeouts.create"
        );
    }
}
