//! Adopting what already exists must not hide an old mistake. A credential made by hand
//! and then imported (or moved from azuread) never went through this provider's plan-time
//! checks, and a subject that does not change is never checked again. So the first read
//! after an import or a move runs the plan-time rules and the live identity check on what
//! was adopted, and reports each problem as a warning: an error would block adopting a
//! credential that already runs. The private bytes carry the marker from the import (or
//! move) to that read, which drops it.

use super::identity;
use super::model::FicModel;
use crate::framework::diag::Severity;
use crate::framework::{Ctx, Diagnostics};
use crate::provider::client::EntraClient;
use crate::rules::fic;

/// How a credential came under this configuration, kept in its private bytes until the
/// read that checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Adopted {
    Imported,
    Moved,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Marker {
    adopted: Adopted,
}

impl Adopted {
    pub(super) fn encode(self) -> Vec<u8> {
        serde_json::to_vec(&Marker { adopted: self }).unwrap_or_default()
    }

    /// The marker, if these private bytes hold one (a plan's own private bytes do not).
    pub(super) fn decode(private: &[u8]) -> Option<Adopted> {
        serde_json::from_slice::<Marker>(private)
            .ok()
            .map(|m| m.adopted)
    }

    fn words(self) -> &'static str {
        match self {
            Adopted::Imported => "imported",
            Adopted::Moved => "moved into this provider",
        }
    }
}

/// Every problem of the adopted credential `m`, as warnings that say it was adopted.
pub(super) async fn check(how: Adopted, m: &FicModel, ctx: &Ctx) -> Diagnostics {
    let client = ctx.provider::<EntraClient>();
    let cloud = client.as_ref().map(|c| c.cloud());
    let mut d = Diagnostics::from(fic::check_config(&m.rules_input(cloud)));
    if let Some(c) = client.as_ref().filter(|c| c.settings.is_known()) {
        d.extend(identity::check(c, m, m, None, ctx).await);
    }
    as_adoption_warnings(how, d)
}

/// Errors become warnings, each saying the credential was adopted as it is and that the
/// fix is to change the value (which is then checked as usual).
fn as_adoption_warnings(how: Adopted, d: Diagnostics) -> Diagnostics {
    let mut out = Diagnostics::new();
    for mut diag in d.0 {
        if diag.severity == Severity::Error {
            diag.severity = Severity::Warning;
            diag.summary = format!("Adopted credential: {}", diag.summary);
            diag.detail = format!(
                "{}\n\nThis credential was {} as it is in Entra, so this is a warning, not an error: it already exists and may be in use. Change the value in the configuration to fix it; the change is checked like any other.",
                diag.detail,
                how.words()
            );
        }
        out.add(diag);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{AttrPath, Diagnostic};

    #[test]
    fn markers_survive_private_bytes_and_nothing_else_reads_as_one() {
        for how in [Adopted::Imported, Adopted::Moved] {
            assert_eq!(Adopted::decode(&how.encode()), Some(how));
        }
        assert_eq!(Adopted::decode(b""), None);
        // What a plan keeps in the private bytes of a credential it may replace.
        assert_eq!(
            Adopted::decode(br#"{"application":"a","credential_id":"c"}"#),
            None
        );
    }

    #[test]
    fn errors_become_warnings_that_keep_their_attribute() {
        let mut d = Diagnostics::new();
        d.error_at(AttrPath::attr("issuer"), "bad issuer", "fix it");
        d.add(Diagnostic {
            severity: Severity::Warning,
            summary: "already a warning".into(),
            detail: "d".into(),
            path: None,
        });
        let w = as_adoption_warnings(Adopted::Imported, d);
        assert!(!w.has_errors());
        assert_eq!(w.0[0].path, Some(AttrPath::attr("issuer")));
        assert_eq!(w.0[0].summary, "Adopted credential: bad issuer");
        assert!(
            w.0[0].detail.contains("imported as it is"),
            "{}",
            w.0[0].detail
        );
        assert_eq!(w.0[1].summary, "already a warning");
    }
}
