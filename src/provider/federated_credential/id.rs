//! Resource and import IDs of `entra_mi_federated_credential`.

use crate::rules::guid;

/// `{application_object_id}/federatedIdentityCredentials/{credential_id}`.
pub fn resource_id(application_object_id: &str, credential_id: &str) -> String {
    format!("{application_object_id}/federatedIdentityCredentials/{credential_id}")
}

/// What an import ID names: an application and a credential by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportId {
    pub application_object_id: String,
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
        _ => return Err(format!("{raw:?} is not an import ID. {usage}.")),
    };
    if kind != "federatedIdentityCredentials" && kind != "federatedIdentityCredential" {
        return Err(format!("{raw:?}: unexpected segment {kind:?}. {usage}."));
    }
    if !guid::is_guid(app) {
        return Err(format!(
            "{raw:?}: {app:?} is not an application object id (GUID). {usage}."
        ));
    }
    if credential.is_empty() {
        return Err(format!(
            "{raw:?}: the credential id or name is missing. {usage}."
        ));
    }
    Ok(ImportId {
        application_object_id: app.to_ascii_lowercase(),
        credential: credential.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d01";

    #[test]
    fn accepted_forms() {
        for raw in [
            format!("{APP}/federatedIdentityCredentials/deploy"),
            format!("/applications/{APP}/federatedIdentityCredentials/deploy"),
            format!("{APP}/federatedIdentityCredential/deploy"),
        ] {
            let id = parse_import_id(&raw).unwrap();
            assert_eq!(id.application_object_id, APP);
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
        ] {
            assert!(parse_import_id(raw).is_err(), "{raw}");
        }
    }
}
