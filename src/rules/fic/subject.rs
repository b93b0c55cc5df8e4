//! Subjects and the managed identity principal id that becomes the subject.

use super::MAX_FIELD_LEN;
use crate::rules::{guid, quote, Finding};

pub(super) fn subject_not_guid(subject: &str) -> Finding {
    Finding::error(
        "subject",
        "subject.guid_for_entra_issuer",
        "with an Entra issuer the subject must be a GUID",
        format!(
            "Got {}. Tokens issued by Entra carry the principal's object id as subject, so a non-GUID subject can never match (AADSTS700213). Set issuer for another token issuer.",
            quote(subject)
        ),
    )
}

pub(super) fn check_guid_attr(attribute: &'static str, value: &str, what: &str) -> Option<Finding> {
    (!guid::is_guid(value)).then(|| {
        Finding::error(
            attribute,
            "guid",
            format!("{attribute} must be a GUID"),
            format!(
                "Expected {what} in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx; got {}.",
                quote(value)
            ),
        )
    })
}

/// The identity's principal (object) id, which becomes the subject.
pub fn check_principal_id(principal: &str) -> Vec<Finding> {
    if !guid::is_guid(principal) {
        return vec![Finding::error(
            "managed_identity_principal_id",
            "guid",
            "managed_identity_principal_id must be a GUID",
            format!(
                "Expected the identity's principal (object) id in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx; got {}.",
                quote(principal)
            ),
        )];
    }
    if guid::has_uppercase(principal) {
        return vec![Finding::warning(
            "managed_identity_principal_id",
            "principal_id.case",
            "managed_identity_principal_id has capital letters",
            format!(
                "Got {}. Entra writes object ids in lower case and matching is case-sensitive, so the exchange would fail with AADSTS700213. Use {}.",
                quote(principal),
                quote(&principal.to_ascii_lowercase())
            ),
        )];
    }
    Vec::new()
}

pub fn check_subject(subject: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let len = subject.chars().count();
    if !(1..=MAX_FIELD_LEN).contains(&len) {
        out.push(
            Finding::error(
                "subject",
                "subject.length",
                format!("subject must be 1-{MAX_FIELD_LEN} characters"),
                format!("Got {len} characters: {}.", quote(subject)),
            )
            .by_graph(),
        );
    }
    if subject.contains('*') {
        out.push(
            Finding::error(
                "subject",
                "subject.wildcard",
                "subject must not contain wildcards",
                format!(
                    "Got {}. Subjects are matched exactly; '*' is not supported.",
                    quote(subject)
                ),
            )
            .by_graph(),
        );
    }
    out
}
