//! Diagnostics with attribute paths: how every error and warning reaches the user.

use crate::proto::tfplugin5 as pb;
use crate::rules::{Finding, Severity};

/// One step of an attribute path: `audiences[1]` is `[Attr("audiences"), Index(1)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Attr(String),
    Index(i64),
    Key(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttrPath(pub Vec<Step>);

impl AttrPath {
    pub fn attr(name: impl Into<String>) -> AttrPath {
        AttrPath(vec![Step::Attr(name.into())])
    }

    pub fn index(mut self, i: usize) -> AttrPath {
        self.0
            .push(Step::Index(i64::try_from(i).unwrap_or(i64::MAX)));
        self
    }

    pub fn child(mut self, name: impl Into<String>) -> AttrPath {
        self.0.push(Step::Attr(name.into()));
        self
    }

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttrPath>,
}

impl Diagnostic {
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
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    /// A single error, for early returns.
    pub fn from_error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostics {
        let mut d = Diagnostics::new();
        d.error(summary, detail);
        d
    }

    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, None);
    }

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, None);
    }

    pub fn error_at(
        &mut self,
        path: AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Error, summary, detail, Some(path));
    }

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

    /// A rule's finding, placed at its attribute, with the rule id in the detail so users
    /// can search for it.
    pub fn finding(&mut self, f: &Finding) {
        let mut path = AttrPath::attr(f.attribute);
        if let Some(i) = f.index {
            path = path.index(i);
        }
        self.push(
            f.severity,
            f.summary.clone(),
            format!("{} [rule {}]", f.detail, f.rule),
            Some(path),
        );
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_proto(&self) -> Vec<pb::Diagnostic> {
        self.0.iter().map(Diagnostic::to_proto).collect()
    }
}

impl From<Vec<Finding>> for Diagnostics {
    fn from(findings: Vec<Finding>) -> Diagnostics {
        let mut d = Diagnostics::new();
        for f in &findings {
            d.finding(f);
        }
        d
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

    #[test]
    fn findings_become_diagnostics_at_their_path() {
        let findings = crate::rules::fic::check_name("a");
        let d = Diagnostics::from(findings);
        assert!(d.has_errors());
        assert_eq!(d.0[0].path, Some(AttrPath::attr("name")));
        assert!(d.0[0].detail.contains("[rule name.length]"));
    }
}
