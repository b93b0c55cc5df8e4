//! Federated identity credentials: the rules Graph enforces, plus the checks that catch at
//! plan time the mistakes Graph accepts and the token exchange later rejects.
//!
//! One file per attribute family ([`name`], [`issuer`], [`subject`], [`audience`]);
//! [`check_config`] combines them for one resource configuration, and [`graph_rules`] keeps
//! the subset Graph itself refuses (what the emulator enforces). [`audit_credential`]
//! applies them to a credential Graph already stores, and [`check_identity`] turns what
//! Graph says about a principal id into a verdict (the live identity check).

mod audience;
mod audit;
mod identity;
mod issuer;
mod name;
mod subject;
#[cfg(test)]
mod tests;

pub use audience::{check_audiences, check_exchange_audience, is_exchange_audience};
pub use audit::{audit_credential, finding_text, identity_to_check};
pub use identity::{check_identity, IdentityLookup, PrincipalFacts, MANAGED_IDENTITY};
pub use issuer::{check_issuer_basics, check_issuer_cloud, is_entra_issuer, is_identity_issuer};
pub use name::check_name;
pub use subject::{check_principal_id, check_subject};

use super::{guid, quote, Finding, Input};
use crate::cloud::Cloud;
use issuer::{check_issuer_for_identity, is_v1_issuer, issuer_cloud};
use subject::subject_not_guid;

/// Graph's limit of credentials per application (no increase available).
pub const MAX_PER_APPLICATION: usize = 20;
/// Graph's limit for issuer, subject, each audience and description.
pub const MAX_FIELD_LEN: usize = 600;
pub const NAME_MIN: usize = 3;
pub const NAME_MAX: usize = 120;

/// A credential as Graph receives and stores it.
#[derive(Debug, Clone, Copy)]
pub struct Credential<'a> {
    pub name: &'a str,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub audiences: &'a [String],
    pub description: Option<&'a str>,
}

/// The rules Microsoft Graph enforces itself on create and update. Everything stricter
/// (trailing slashes, v1 issuers, non-GUID subjects) is accepted by Graph and fails only
/// at exchange, so it is not here.
pub fn graph_rules(c: &Credential) -> Vec<Finding> {
    let mut out: Vec<Finding> = check_name(c.name)
        .into_iter()
        .filter(|f| f.graph_enforced)
        .collect();
    out.extend(
        check_issuer_basics(c.issuer)
            .into_iter()
            .filter(|f| f.graph_enforced),
    );
    out.extend(check_subject(c.subject));
    out.extend(check_audiences(c.audiences));
    if let Some(d) = c.description {
        out.extend(check_description(d));
    }
    out
}

/// What plan-time checks see of an `entra_mi_federated_credential` configuration.
#[derive(Debug, Clone)]
pub struct FicInput<'a> {
    pub application_object_id: Input<&'a str>,
    pub application_client_id: Input<&'a str>,
    pub name: Input<&'a str>,
    pub managed_identity_principal_id: Input<&'a str>,
    pub subject: Input<&'a str>,
    pub issuer: Input<&'a str>,
    pub audiences: Input<Vec<Input<&'a str>>>,
    pub description: Input<&'a str>,
    /// The provider's cloud; `None` when the provider's environment is not known yet.
    pub cloud: Option<Cloud>,
}

/// The application is named by its object id, its client id, or both (configuration that
/// Terraform generates for an imported credential names both): at least one, each a GUID.
/// Whether two given ids name the same application only Graph can say (checked at plan).
pub fn check_application_ids(object_id: &Input<&str>, client_id: &Input<&str>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let (Input::Null, Input::Null) = (object_id, client_id) {
        out.push(Finding::error(
            "application_object_id",
            "application.required",
            "one of application_object_id or application_client_id is required",
            "Set application_object_id to the application's object id, or application_client_id to its application (client) id.",
        ));
    }
    for (attribute, value, what) in [
        (
            "application_object_id",
            object_id,
            "the application's object id",
        ),
        (
            "application_client_id",
            client_id,
            "the application (client) id, the appId",
        ),
    ] {
        if let Input::Known(id) = value {
            out.extend(guid::check(attribute, id, what));
        }
    }
    out
}

/// Exactly one of the application's two ids, each a GUID: where one selector is asked
/// for (the audit data source).
pub fn check_one_application_id(object_id: &Input<&str>, client_id: &Input<&str>) -> Vec<Finding> {
    let mut out = check_application_ids(object_id, client_id);
    if object_id.is_set() && client_id.is_set() {
        out.push(Finding::error(
            "application_client_id",
            "application.exactly_one",
            "application_object_id and application_client_id conflict",
            "Set only one of them: they name the same application.",
        ));
    }
    out
}

/// `subject` and `managed_identity_principal_id` both set: accepted when they are equal
/// (configuration Terraform generates for an imported credential holds both), an error
/// naming both values when they differ.
fn check_subject_matches_principal(subject: &Input<&str>, principal: &Input<&str>) -> Vec<Finding> {
    match (subject, principal) {
        (Input::Known(s), Input::Known(p)) if s != p => vec![Finding::error(
            "subject",
            "subject.conflicts_with_principal",
            "subject differs from managed_identity_principal_id",
            format!(
                "managed_identity_principal_id sets the subject to {}, but subject is {}. Remove subject, or make the two equal.",
                quote(p),
                quote(s)
            ),
        )],
        _ => Vec::new(),
    }
}

/// Every plan-time rule for one resource configuration, one finding per broken rule.
/// Unknown values are skipped: they are checked again once known.
pub fn check_config(c: &FicInput) -> Vec<Finding> {
    let mut out = Vec::new();

    out.extend(check_application_ids(
        &c.application_object_id,
        &c.application_client_id,
    ));

    if let Input::Known(name) = c.name {
        out.extend(check_name(name));
    }

    let with_identity = c.managed_identity_principal_id.is_set();
    if c.managed_identity_principal_id.is_null() && c.subject.is_null() {
        out.push(Finding::error(
            "managed_identity_principal_id",
            "subject.required",
            "one of managed_identity_principal_id or subject is required",
            "Set managed_identity_principal_id to the user-assigned identity's principal (object) id, or subject to the external identity's subject.",
        ));
    } else {
        out.extend(check_subject_matches_principal(
            &c.subject,
            &c.managed_identity_principal_id,
        ));
    }
    if let Input::Known(principal) = c.managed_identity_principal_id {
        out.extend(check_principal_id(principal));
    }
    if let Input::Known(subject) = c.subject {
        out.extend(check_subject(subject));
    }

    if let Input::Known(issuer) = c.issuer {
        out.extend(check_issuer_basics(issuer));
        if with_identity {
            out.extend(check_issuer_for_identity(issuer, c.cloud));
        } else if is_entra_issuer(issuer) && issuer.ends_with('/') && !is_v1_issuer(issuer) {
            out.push(Finding::error(
                "issuer",
                "issuer.trailing_slash",
                "Entra v2 issuers have no trailing slash",
                format!(
                    "Got {}. Tokens from Entra carry the issuer without a trailing slash and matching is exact, so the exchange would fail with AADSTS700211.",
                    quote(issuer)
                ),
            ).warning_only());
        }
        if let Input::Known(subject) = c.subject {
            if is_entra_issuer(issuer) && !guid::is_guid(subject) {
                out.push(subject_not_guid(subject));
            }
        }
    } else if c.issuer.is_null() {
        // The issuer defaults to Entra's.
        if let Input::Known(subject) = c.subject {
            if !guid::is_guid(subject) {
                out.push(subject_not_guid(subject));
            }
        }
    }

    if let Input::Known(list) = &c.audiences {
        let known: Vec<String> = list
            .iter()
            .filter_map(|a| a.known().map(|s| s.to_string()))
            .collect();
        if known.len() == list.len() {
            out.extend(check_audiences(&known));
        } else if list.len() != 1 {
            // Some elements are unknown, but their count is known already.
            out.extend(
                check_audiences(&vec![String::new(); list.len()])
                    .into_iter()
                    .filter(|f| f.rule == "audiences.exactly_one"),
            );
        }
        let issuer_is_entra = match c.issuer {
            Input::Known(i) => is_entra_issuer(i),
            Input::Null => true, // defaults to the Entra issuer
            Input::Unknown => false,
        };
        let issuer_cloud_known = match c.issuer {
            Input::Known(i) => issuer_cloud(i.trim()),
            _ => None,
        };
        if let (true, [Input::Known(aud)]) = (issuer_is_entra, list.as_slice()) {
            if let Some(f) = check_exchange_audience(aud, c.cloud.or(issuer_cloud_known)) {
                out.push(f.at(0));
            }
        }
    }

    if let Input::Known(d) = c.description {
        out.extend(check_description(d));
    }
    out
}

/// At most 600 characters; Graph refuses longer descriptions itself.
pub fn check_description(description: &str) -> Vec<Finding> {
    let len = description.chars().count();
    if len > MAX_FIELD_LEN {
        return vec![Finding::error(
            "description",
            "description.length",
            format!("description must be at most {MAX_FIELD_LEN} characters"),
            format!("Got {len} characters: {}.", quote(description)),
        )
        .by_graph()];
    }
    Vec::new()
}
