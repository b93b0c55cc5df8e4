//! Resource and import IDs of `entra_mi_federated_credential`.

use crate::entra::ids::ObjectId;
use crate::rules::{fic, guid, quote};

/// `{application_object_id}/federatedIdentityCredentials/{credential_id}`.
pub fn resource_id(application_object_id: &str, credential_id: &str) -> String {
    format!("{application_object_id}/federatedIdentityCredentials/{credential_id}")
}

/// What an import ID names: an application and a credential by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportId {
    pub application_object_id: ObjectId,
    /// A credential id (GUID) or a name.
    pub credential: String,
}

/// Accepts `{app}/federatedIdentityCredentials/{id or name}`, with or without a leading
/// `/applications/`, and azuread's `{app}/federatedIdentityCredential/{id}`.
pub fn parse_import_id(raw: &str) -> Result<ImportId, String> {
    let usage = "Expected {application_object_id}/federatedIdentityCredentials/{credential_id or name}, optionally prefixed with /applications/ (azuread's {application_object_id}/federatedIdentityCredential/{credential_id} works too)";
    let trimmed = raw.trim();
    let rest = trimmed
        .strip_prefix("/applications/")
        .or_else(|| trimmed.strip_prefix("applications/"))
        .unwrap_or(trimmed);
    let parts: Vec<&str> = rest.split('/').collect();
    let (app, kind, credential) = match parts.as_slice() {
        [app, kind, credential] => (*app, *kind, *credential),
        _ => return Err(format!("{} is not an import ID. {usage}.", quote(raw))),
    };
    if kind != "federatedIdentityCredentials" && kind != "federatedIdentityCredential" {
        return Err(format!(
            "{}: unexpected segment {}. {usage}.",
            quote(raw),
            quote(kind)
        ));
    }
    let Some(application_object_id) = ObjectId::parse(app) else {
        return Err(format!(
            "{}: {} is not an application object id (GUID). {usage}.",
            quote(raw),
            quote(app)
        ));
    };
    if credential.is_empty() {
        return Err(format!(
            "{raw:?}: the credential id or name is missing. {usage}."
        ));
    }
    // A name Graph itself would refuse cannot exist: say so now instead of asking Graph.
    if !guid::is_guid(credential) {
        if let Some(f) = fic::check_name(credential)
            .into_iter()
            .find(|f| f.graph_enforced)
        {
            return Err(format!(
                "Cannot import {}: its credential part is neither a credential id (GUID) nor a possible credential name, because the {}. {} {usage}.",
                quote(raw),
                f.summary,
                f.detail
            ));
        }
    }
    Ok(ImportId {
        application_object_id,
        credential: credential.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d01";

    #[test]
    fn accepted_forms() {
        let upper = APP.to_ascii_uppercase();
        for raw in [
            format!("{APP}/federatedIdentityCredentials/deploy"),
            format!("/applications/{APP}/federatedIdentityCredentials/deploy"),
            format!("{APP}/federatedIdentityCredential/deploy"),
            format!("{upper}/federatedIdentityCredentials/deploy"),
        ] {
            let id = parse_import_id(&raw).unwrap();
            assert_eq!(id.application_object_id.as_str(), APP);
            assert_eq!(id.credential, "deploy");
        }
    }

    #[test]
    fn refused_forms() {
        for raw in [
            "",
            "deploy",
            &format!("{APP}/deploy"),
            &format!("{APP}/credentials/x"),
            "not-a-guid/federatedIdentityCredentials/x",
            &format!("{APP}/federatedIdentityCredentials/"),
            &format!("{APP}/federatedIdentityCredentials/{}", "n".repeat(100_000)),
            &format!("{APP}/federatedIdentityCredentials/ab"),
            &format!("{APP}/federatedIdentityCredentials/de ploy"),
        ] {
            let err = parse_import_id(raw).unwrap_err();
            assert!(
                err.len() < 1_000,
                "messages stay short: {} chars",
                err.len()
            );
        }
    }

    #[test]
    fn a_name_one_over_the_limit_says_which_rule_and_how_long() {
        let name = "n".repeat(121);
        let err =
            parse_import_id(&format!("{APP}/federatedIdentityCredentials/{name}")).unwrap_err();
        assert_contains(
            &err,
            &[
                "neither a credential id (GUID) nor a possible credential name",
                "because the name must be 3-120 characters",
                "Got 121 characters",
                "Expected {application_object_id}/federatedIdentityCredentials/",
            ],
        );
        assert!(
            !err.contains("\"name must"),
            "no quoted rule in place of the value: {err}"
        );
    }

    fn assert_contains(text: &str, parts: &[&str]) {
        for p in parts {
            assert!(text.contains(p), "{p:?} missing from {text}");
        }
    }
}
