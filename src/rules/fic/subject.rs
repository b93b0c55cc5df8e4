//! Subjects and the managed identity principal id that becomes the subject.

use super::MAX_FIELD_LEN;
use crate::rules::{guid, quote, Finding};

/// Graph's length limit of an issuer, a subject or an audience: from `at_least` to
/// [`MAX_FIELD_LEN`] characters. `what` names the value in the summary.
pub(super) fn field_length(
    attribute: &'static str,
    rule: &'static str,
    what: &str,
    value: &str,
    at_least: usize,
) -> Option<Finding> {
    let len = value.chars().count();
    if (at_least..=MAX_FIELD_LEN).contains(&len) {
        return None;
    }
    let limit = match at_least {
        0 => format!("at most {MAX_FIELD_LEN}"),
        n => format!("{n}-{MAX_FIELD_LEN}"),
    };
    let summary = format!("{what} must be {limit} characters");
    let detail = format!("Got {len} characters: {}.", quote(value));
    Some(Finding::error(attribute, rule, summary, detail).by_graph())
}

/// Graph refuses '*' in an issuer, a subject or an audience; `matching` (after the value in
/// the detail) says how the value is matched instead.
pub(super) fn no_wildcard(
    attribute: &'static str,
    rule: &'static str,
    value: &str,
    matching: &str,
) -> Option<Finding> {
    value.contains('*').then(|| {
        let summary = format!("{attribute} must not contain wildcards");
        let detail = format!("Got {}.{matching}", quote(value));
        Finding::error(attribute, rule, summary, detail).by_graph()
    })
}

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

/// The identity's principal (object) id, which becomes the subject.
pub fn check_principal_id(principal: &str) -> Vec<Finding> {
    let not_guid = guid::check(
        "managed_identity_principal_id",
        principal,
        "the identity's principal (object) id",
    );
    if let Some(f) = not_guid {
        return vec![f];
    }
    if guid::has_uppercase(principal) {
        return vec![Finding::error(
            "managed_identity_principal_id",
            "principal_id.case",
            "managed_identity_principal_id has capital letters",
            format!(
                "Got {}. Entra writes object ids in lower case and matching is case-sensitive, so the exchange would fail with AADSTS700213. Use {}.",
                quote(principal),
                quote(&principal.to_ascii_lowercase())
            ),
        ).warning_only()];
    }
    Vec::new()
}

pub fn check_subject(subject: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(field_length(
        "subject",
        "subject.length",
        "subject",
        subject,
        1,
    ));
    out.extend(no_wildcard(
        "subject",
        "subject.wildcard",
        subject,
        " Subjects are matched exactly; '*' is not supported.",
    ));
    out
}
