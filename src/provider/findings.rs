//! Entra's rule findings as Terraform diagnostics. The rules know nothing of Terraform
//! and the framework nothing of Entra's rules; this is where the two meet.

use crate::framework::diag::Severity;
use crate::framework::{AttrPath, Diagnostic, Diagnostics};
use crate::rules::{self, Finding};

/// A finding placed at its attribute, with the rule id in the detail so users can search
/// for it.
impl From<Finding> for Diagnostic {
    fn from(f: Finding) -> Diagnostic {
        let mut path = AttrPath::attr(f.attribute);
        if let Some(i) = f.index {
            path = path.index(i);
        }
        Diagnostic {
            severity: match f.severity {
                rules::Severity::Error => Severity::Error,
                rules::Severity::Warning => Severity::Warning,
            },
            summary: f.summary,
            detail: format!("{} [rule {}]", f.detail, f.rule),
            path: Some(path),
        }
    }
}

/// Every finding of a check, in order.
impl From<Vec<Finding>> for Diagnostics {
    fn from(findings: Vec<Finding>) -> Diagnostics {
        Diagnostics(findings.into_iter().map(Diagnostic::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_become_diagnostics_at_their_path() {
        let d = Diagnostics::from(crate::rules::fic::check_name("a"));
        assert!(d.has_errors());
        assert_eq!(d.0[0].path, Some(AttrPath::attr("name")));
        assert!(d.0[0].detail.contains("[rule name.length]"));
    }

    #[test]
    fn list_elements_and_warnings_keep_their_place_and_severity() {
        let f = Finding::error("audiences", "audience.x", "s", "d")
            .warning_only()
            .at(1);
        let d = Diagnostic::from(f);
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!(
            d.path.map(|p| p.to_string()).as_deref(),
            Some("audiences[1]")
        );
    }
}
