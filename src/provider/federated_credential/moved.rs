//! `moved` blocks from azuread's `azuread_application_federated_identity_credential`: the
//! state azuread 2.x or 3.x stored becomes this resource's, without calling Graph (the read
//! Terraform makes right after the move checks it against the real credential).
//!
//! azuread never declared a schema version for this type, so every 2.x and 3.x release
//! wrote version 0. 3.x stores `application_id = "/applications/{object id}"`; 2.x stores
//! `application_object_id` (a bare object id, or `/applications/{object id}` when the
//! configuration passed `azuread_application.x.id`), and from 2.44 `application_id` as well.
//! Both keep `id = "{object id}/federatedIdentityCredential/{credential id}"`, which azuread
//! itself treats as the truth, and the SDK's `timeouts` block as configured.

use super::id::parse_import_id;
use super::model::{AppIds, FicModel, Timeouts};
use super::TYPE_NAME;
use crate::codec::{Type, Value};
use crate::entra::graph::FederatedCredential;
use crate::entra::ids::ObjectId;
use crate::framework::{Diagnostics, MoveSource};
use crate::provider::model::{known_strings, string_attr, string_list_attr};
use crate::rules::Input;

/// The provider whose state can be moved here.
pub const AZUREAD_PROVIDER: &str = "registry.terraform.io/hashicorp/azuread";
/// The same provider as OpenTofu's registry names it.
const AZUREAD_PROVIDER_OPENTOFU: &str = "registry.opentofu.org/hashicorp/azuread";
/// The azuread resource type whose state can be moved here.
pub const AZUREAD_TYPE: &str = "azuread_application_federated_identity_credential";
/// The schema versions azuread wrote that type's state with (2.x and 3.x alike).
pub const AZUREAD_SCHEMA_VERSIONS: &[i64] = &[0];

/// This resource's state for a moved azuread credential, or why it cannot be moved.
pub(super) fn from_azuread(source: &MoveSource<'_>) -> Result<Value, Diagnostics> {
    check_source(source)?;
    let state = source.decode_state(&azuread_type())?;
    AzureadState::from_value(&state)
        .into_model()
        .map(|m| m.to_value())
}

/// What the refusals name: the one source this resource accepts.
fn accepted() -> String {
    let versions: Vec<String> = AZUREAD_SCHEMA_VERSIONS.iter().map(i64::to_string).collect();
    format!(
        "{TYPE_NAME} accepts moves from {AZUREAD_TYPE} of {AZUREAD_PROVIDER} (or {AZUREAD_PROVIDER_OPENTOFU}; azuread 2.x and 3.x) at schema version {}",
        versions.join(", ")
    )
}

/// What to do when the move is refused.
const INSTEAD: &str = "To switch anyway, remove the old resource from state (a `removed` block with `lifecycle { destroy = false }`, or `terraform state rm`) and import the credential with an `import` block (id `{application_object_id}/federatedIdentityCredentials/{credential_id}`); see the guide \"Migrating from azuread\".";

fn check_source(source: &MoveSource<'_>) -> Result<(), Diagnostics> {
    if source.type_name != AZUREAD_TYPE || !is_azuread(source.provider_address) {
        return Err(Diagnostics::from_error(
            format!("Cannot move {} to {TYPE_NAME}", source.type_name),
            format!(
                "{}; {} of {} is not one of them.\n\n{INSTEAD}",
                accepted(),
                source.type_name,
                source.provider_address
            ),
        ));
    }
    if !AZUREAD_SCHEMA_VERSIONS.contains(&source.schema_version) {
        return Err(Diagnostics::from_error(
            format!(
                "Cannot move {AZUREAD_TYPE} state of schema version {}",
                source.schema_version
            ),
            format!(
                "{}; this state was written at schema version {}, probably by an azuread release newer than this provider knows, whose state may mean something else.\n\n{INSTEAD}",
                accepted(),
                source.schema_version
            ),
        ));
    }
    Ok(())
}

/// Whether `address` names azuread. Terraform sends the provider's source address
/// (`registry.terraform.io/hashicorp/azuread`; OpenTofu's registry host is accepted as
/// well), and some versions the configuration address
/// (`provider["registry.terraform.io/hashicorp/azuread"]`, maybe with `.alias`); the
/// short `hashicorp/azuread` is accepted too.
fn is_azuread(address: &str) -> bool {
    let inner = address
        .strip_prefix("provider[\"")
        .and_then(|rest| rest.split_once("\"]"))
        .map_or(address, |(inner, _alias)| inner);
    let inner = inner.trim().to_ascii_lowercase();
    [
        AZUREAD_PROVIDER,
        AZUREAD_PROVIDER_OPENTOFU,
        "hashicorp/azuread",
    ]
    .contains(&inner.as_str())
}

/// Every attribute azuread 2.x and 3.x stored for the type; decoding is lenient, so each
/// release's state reads with it (what a release lacks is null).
fn azuread_type() -> Type {
    let timeouts = Type::object(["create", "read", "update", "delete"].map(|a| (a, Type::String)));
    Type::object([
        ("application_id", Type::String),
        ("application_object_id", Type::String),
        ("audiences", Type::list(Type::String)),
        ("credential_id", Type::String),
        ("description", Type::String),
        ("display_name", Type::String),
        ("id", Type::String),
        ("issuer", Type::String),
        ("subject", Type::String),
        ("timeouts", timeouts),
    ])
}

/// azuread's stored attributes, typed.
struct AzureadState {
    application_id: Input<String>,
    application_object_id: Input<String>,
    audiences: Input<Vec<Input<String>>>,
    credential_id: Input<String>,
    description: Input<String>,
    display_name: Input<String>,
    id: Input<String>,
    issuer: Input<String>,
    subject: Input<String>,
    timeouts: Option<Timeouts>,
}

impl AzureadState {
    fn from_value(v: &Value) -> AzureadState {
        AzureadState {
            application_id: string_attr(v, "application_id"),
            application_object_id: string_attr(v, "application_object_id"),
            audiences: string_list_attr(v, "audiences"),
            credential_id: string_attr(v, "credential_id"),
            description: string_attr(v, "description"),
            display_name: string_attr(v, "display_name"),
            id: string_attr(v, "id"),
            issuer: string_attr(v, "issuer"),
            subject: string_attr(v, "subject"),
            timeouts: v.attr("timeouts").and_then(Timeouts::from_value),
        }
    }

    /// The credential as this resource stores it: the principal id is derived as on
    /// import (a GUID subject under an Entra issuer), and the application's client id is
    /// left to the read that follows the move.
    fn into_model(self) -> Result<FicModel, Diagnostics> {
        let mut d = Diagnostics::new();
        let ids = self.ids();
        if ids.is_none() {
            d.error(
                "The moved azuread state names no application and credential",
                format!(
                    "Neither `id` ({}) nor `application_id`/`application_object_id` with `credential_id` name the application's object id and the credential's id.\n\n{INSTEAD}",
                    shown(&self.id)
                ),
            );
        }
        let name = required(&mut d, &self.display_name, "display_name");
        let issuer = required(&mut d, &self.issuer, "issuer");
        let subject = required(&mut d, &self.subject, "subject");
        let audiences = known_strings(&self.audiences);
        if audiences.is_empty() {
            d.error(
                "The moved azuread state has no audiences",
                format!("azuread always stores `audiences`; this state lacks them.\n\n{INSTEAD}"),
            );
        }
        let (Some((app_object_id, credential_id)), Some(name), Some(issuer), Some(subject)) =
            (ids, name, issuer, subject)
        else {
            return Err(d);
        };
        if d.has_errors() {
            return Err(d);
        }
        let credential = FederatedCredential {
            id: credential_id,
            name,
            issuer,
            subject,
            audiences,
            description: self.description.known().cloned(),
        };
        let app = AppIds {
            object_id: app_object_id.to_string(),
            client_id: String::new(),
        };
        let principal = FicModel::imported_principal(&credential);
        Ok(FicModel::from_graph(
            &app,
            &credential,
            principal,
            self.timeouts,
        ))
    }

    /// The application's object id and the credential's id: from `id`, as azuread reads
    /// them, else from the attributes.
    fn ids(&self) -> Option<(ObjectId, String)> {
        if let Some(parsed) = self.id.known().and_then(|id| parse_import_id(id).ok()) {
            return Some((parsed.application_object_id, parsed.credential));
        }
        let app = [&self.application_id, &self.application_object_id]
            .into_iter()
            .filter_map(|a| a.known())
            .find_map(|a| ObjectId::parse(a.trim().trim_start_matches("/applications/")))?;
        let credential = self.credential_id.known().filter(|c| !c.is_empty())?;
        Some((app, credential.clone()))
    }
}

/// A string azuread always stores; an error naming it when missing or empty.
fn required(d: &mut Diagnostics, field: &Input<String>, name: &str) -> Option<String> {
    match field.known() {
        Some(v) if !v.is_empty() => Some(v.clone()),
        _ => {
            d.error(
                format!("The moved azuread state has no `{name}`"),
                format!("azuread always stores `{name}`; this state lacks it.\n\n{INSTEAD}"),
            );
            None
        }
    }
}

fn shown(field: &Input<String>) -> String {
    field
        .known()
        .map_or_else(|| "absent".to_string(), |v| format!("{v:?}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const APP: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02";
    const CRED: &str = "5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0";
    const PRINCIPAL: &str = "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";
    const ISSUER: &str =
        "https://login.microsoftonline.com/6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01/v2.0";

    /// azuread 3.x's state for a managed identity credential.
    fn v3() -> serde_json::Value {
        json!({
            "application_id": format!("/applications/{APP}"),
            "audiences": ["api://AzureADTokenExchange"],
            "credential_id": CRED,
            "description": "",
            "display_name": "deploy",
            "id": format!("{APP}/federatedIdentityCredential/{CRED}"),
            "issuer": ISSUER,
            "subject": PRINCIPAL,
            "timeouts": null
        })
    }

    /// azuread 2.x's (before 2.44: no `application_id`).
    fn v2() -> serde_json::Value {
        let mut s = v3();
        let o = s.as_object_mut().unwrap();
        o.remove("application_id");
        o.insert("application_object_id".into(), json!(APP));
        s
    }

    fn source<'a>(provider: &'a str, ty: &'a str, version: i64, json: &'a [u8]) -> MoveSource<'a> {
        MoveSource {
            provider_address: provider,
            type_name: ty,
            schema_version: version,
            private: b"{\"e2bfb730-ecaa-11e6-8f88-34363bc7c4c0\":{}}",
            state_json: json,
        }
    }

    fn moved(state: &serde_json::Value) -> Result<FicModel, Diagnostics> {
        let json = serde_json::to_vec(state).unwrap();
        from_azuread(&source(AZUREAD_PROVIDER, AZUREAD_TYPE, 0, &json))
            .map(|v| FicModel::from_value(&v))
    }

    fn refusal(provider: &str, ty: &str, version: i64, state: &serde_json::Value) -> String {
        let json = serde_json::to_vec(state).unwrap();
        let d = from_azuread(&source(provider, ty, version, &json)).unwrap_err();
        assert!(d.has_errors());
        d.0.iter()
            .map(|x| format!("{} | {}", x.summary, x.detail))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn known(s: &str) -> Input<String> {
        Input::Known(s.to_string())
    }

    #[test]
    fn both_major_versions_become_the_same_state() {
        let mut v2_53 = v2();
        v2_53["application_id"] = json!(format!("/applications/{APP}"));
        v2_53["application_object_id"] = json!(format!("/applications/{APP}"));
        for (label, state) in [("3.x", v3()), ("2.x", v2()), ("2.53", v2_53)] {
            let m = moved(&state).unwrap_or_else(|d| panic!("{label}: {d:?}"));
            assert_eq!(m.application_object_id, known(APP), "{label}");
            assert_eq!(
                m.application_client_id,
                known(""),
                "{label}: left to the read"
            );
            assert_eq!(m.name, known("deploy"), "{label}");
            assert_eq!(m.issuer, known(ISSUER), "{label}");
            assert_eq!(m.subject, known(PRINCIPAL), "{label}");
            assert_eq!(m.managed_identity_principal_id, known(PRINCIPAL), "{label}");
            assert_eq!(
                m.audiences,
                Input::Known(vec![known("api://AzureADTokenExchange")]),
                "{label}"
            );
            assert_eq!(
                m.description,
                Input::Null,
                "{label}: azuread's empty description"
            );
            assert_eq!(m.credential_id, known(CRED), "{label}");
            assert_eq!(
                m.id,
                known(&format!("{APP}/federatedIdentityCredentials/{CRED}")),
                "{label}"
            );
            assert_eq!(m.timeouts, None, "{label}");
        }
    }

    #[test]
    fn mapping_table() {
        // (label, change to azuread's state, check of the moved state)
        type Check = fn(&FicModel);
        let cases: Vec<(&str, serde_json::Value, Check)> = vec![
            (
                "another issuer: no principal id",
                json!({"issuer": "https://token.actions.githubusercontent.com", "subject": "repo:o/r:ref:refs/heads/main"}),
                |m| {
                    assert_eq!(m.managed_identity_principal_id, Input::Null);
                    assert_eq!(m.subject, known("repo:o/r:ref:refs/heads/main"));
                },
            ),
            (
                "a description is kept",
                json!({"description": "deployments"}),
                |m| assert_eq!(m.description, known("deployments")),
            ),
            (
                "timeouts as configured",
                json!({"timeouts": {"create": "20m", "delete": null, "read": null, "update": "1m"}}),
                |m| {
                    let t = m.timeouts.clone().unwrap();
                    assert_eq!(
                        (t.create, t.read, t.update, t.delete),
                        (known("20m"), Input::Null, known("1m"), Input::Null)
                    );
                },
            ),
            (
                "upper-case application id from the id",
                json!({"id": format!("{}/federatedIdentityCredential/{CRED}", APP.to_uppercase())}),
                |m| assert_eq!(m.application_object_id, known(APP)),
            ),
            ("no id: the attributes", json!({"id": null}), |m| {
                assert_eq!(m.application_object_id, known(APP));
                assert_eq!(m.credential_id, known(CRED));
            }),
            (
                "attributes no release wrote are ignored",
                json!({"claims_matching_expression": "x", "unknown": [1, 2]}),
                |m| assert_eq!(m.name, known("deploy")),
            ),
        ];
        for (label, change, check) in cases {
            let mut state = v3();
            for (k, v) in change.as_object().unwrap() {
                state[k] = v.clone();
            }
            let m = moved(&state).unwrap_or_else(|d| panic!("{label}: {d:?}"));
            check(&m);
            assert!(m.to_value().is_wholly_known(), "{label}");
        }
    }

    #[test]
    fn refusals_name_what_is_accepted() {
        let cases = [
            (AZUREAD_PROVIDER, "azuread_application_password", 0, "Cannot move azuread_application_password"),
            ("registry.terraform.io/hashicorp/azurerm", "azurerm_federated_identity_credential", 0, "azurerm_federated_identity_credential of registry.terraform.io/hashicorp/azurerm is not one"),
            ("registry.terraform.io/example/azuread", AZUREAD_TYPE, 0, "registry.terraform.io/example/azuread is not one"),
            (AZUREAD_PROVIDER, AZUREAD_TYPE, 1, "schema version 1"),
        ];
        for (provider, ty, version, says) in cases {
            let text = refusal(provider, ty, version, &v3());
            assert!(text.contains(says), "{text}");
            for named in [
                AZUREAD_TYPE,
                AZUREAD_PROVIDER,
                "schema version 0",
                "`import` block",
            ] {
                assert!(
                    text.contains(named),
                    "{provider} {ty} {version}: {named} missing in {text}"
                );
            }
        }
    }

    #[test]
    fn incomplete_state_is_refused_attribute_by_attribute() {
        let mut state = v3();
        state["display_name"] = json!(null);
        state["subject"] = json!("");
        state["audiences"] = json!([]);
        let text = refusal(AZUREAD_PROVIDER, AZUREAD_TYPE, 0, &state);
        for attr in ["`display_name`", "`subject`", "audiences"] {
            assert!(text.contains(attr), "{attr}: {text}");
        }
        let mut state = v3();
        state["id"] = json!("not-an-id");
        state["application_id"] = json!(null);
        let text = refusal(AZUREAD_PROVIDER, AZUREAD_TYPE, 0, &state);
        assert!(text.contains("names no application"), "{text}");
        assert!(text.contains("\"not-an-id\""), "{text}");
    }

    #[test]
    fn unreadable_state_is_refused() {
        let d = from_azuread(&source(AZUREAD_PROVIDER, AZUREAD_TYPE, 0, b"{not json")).unwrap_err();
        assert!(d.0[0].summary.contains("cannot be read"), "{d:?}");
        let d = from_azuread(&source(AZUREAD_PROVIDER, AZUREAD_TYPE, 0, b"")).unwrap_err();
        assert!(d.0[0].summary.contains("No state"), "{d:?}");
    }

    #[test]
    fn provider_address_forms() {
        for (address, ok) in [
            ("registry.terraform.io/hashicorp/azuread", true),
            ("Registry.Terraform.io/HashiCorp/AzureAD", true),
            ("hashicorp/azuread", true),
            (
                "provider[\"registry.terraform.io/hashicorp/azuread\"]",
                true,
            ),
            (
                "provider[\"registry.terraform.io/hashicorp/azuread\"].tenant_b",
                true,
            ),
            ("registry.terraform.io/hashicorp/azurerm", false),
            ("registry.opentofu.org/hashicorp/azuread", true),
            ("registry.example.com/hashicorp/azuread", false),
            ("", false),
        ] {
            assert_eq!(is_azuread(address), ok, "{address}");
        }
    }
}
