//! The live check of a managed identity principal: given what Microsoft Graph said about
//! the value used as a managed identity's principal id, is it a user-assigned managed
//! identity, and if not, what did the user most likely mean?
//!
//! Pure: the caller reads Graph (service principals by object id, then by `appId` for the
//! values that found nothing) and hands the answer here.

use crate::rules::{quote, Finding};

/// `servicePrincipalType` of a managed identity's service principal.
pub const MANAGED_IDENTITY: &str = "ManagedIdentity";

/// The parts of a Graph `servicePrincipal` the verdict uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrincipalFacts<'a> {
    /// The object (principal) id.
    pub id: &'a str,
    /// The client id.
    pub app_id: &'a str,
    /// The display name (a managed identity's name).
    pub display_name: &'a str,
    /// `Application`, `ManagedIdentity`, `Legacy`, `SocialIdp`...
    pub service_principal_type: &'a str,
    /// For managed identities: `isExplicit=True` (user-assigned) or `isExplicit=False`
    /// (system-assigned), and the Azure resource id.
    pub alternative_names: &'a [String],
}

impl PrincipalFacts<'_> {
    /// A managed identity of either kind.
    pub fn is_managed_identity(&self) -> bool {
        self.service_principal_type
            .eq_ignore_ascii_case(MANAGED_IDENTITY)
    }

    /// A user-assigned managed identity: `alternativeNames` holds `isExplicit=True`.
    /// Without it (`isExplicit=False`, or no marker at all) the identity is system-assigned.
    pub fn is_user_assigned(&self) -> bool {
        self.is_managed_identity()
            && self
                .alternative_names
                .iter()
                .any(|n| n.trim().eq_ignore_ascii_case("isExplicit=True"))
    }

    /// The Azure resource id among `alternativeNames`: the identity's own for a
    /// user-assigned identity, the compute resource's for a system-assigned one.
    pub fn resource_id(&self) -> Option<&str> {
        self.alternative_names
            .iter()
            .map(|n| n.trim())
            .find(|n| n.starts_with('/'))
    }

    fn name(&self) -> String {
        if self.display_name.is_empty() {
            self.id.to_string()
        } else {
            format!("{:?}", self.display_name)
        }
    }
}

/// What Graph said about a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalLookup<'a> {
    /// A service principal has this object id.
    ById(PrincipalFacts<'a>),
    /// No object has this id, but a service principal has it as its client id (`appId`).
    ByAppId(PrincipalFacts<'a>),
    /// Neither an object id nor a client id in the tenant.
    Nothing,
}

/// The error for `value` (configured in `attribute`) when it is not the principal id of
/// a user-assigned managed identity; `None` when it is.
pub fn check_principal(
    attribute: &'static str,
    value: &str,
    lookup: &PrincipalLookup,
) -> Option<Finding> {
    let v = quote(value);
    let finding = match lookup {
        PrincipalLookup::ById(sp) if sp.is_user_assigned() => return None,
        PrincipalLookup::ById(sp) if sp.is_managed_identity() => {
            let resource = sp
                .resource_id()
                .map(|r| format!("of {r}"))
                .unwrap_or_else(|| "of an Azure resource".to_string());
            Finding::error(
                attribute,
                "principal.system_assigned",
                format!("{v} is a system-assigned managed identity"),
                format!(
                    "It is the system-assigned identity {resource}. Entra only trusts user-assigned managed identities as federated credentials, so the exchange would always fail. Create a user-assigned identity, assign it to that resource, and use its principal id."
                ),
            )
        }
        PrincipalLookup::ById(sp) => Finding::error(
            attribute,
            "principal.not_managed_identity",
            format!("{v} is not a managed identity"),
            format!(
                "It is the service principal of {} (servicePrincipalType {:?}, client id {}). Only a user-assigned managed identity's token can be matched by this credential; use the identity's principal id.",
                sp.name(),
                sp.service_principal_type,
                sp.app_id
            ),
        ),
        PrincipalLookup::ByAppId(sp) if sp.is_managed_identity() => {
            let kind = if sp.is_user_assigned() {
                String::new()
            } else {
                " Note that this identity is system-assigned, which Entra does not trust as a federated credential either: use a user-assigned identity.".to_string()
            };
            Finding::error(
                attribute,
                "principal.client_id",
                format!("{v} is the client id of managed identity {}, not its principal id", sp.name()),
                format!(
                    "Tokens of the identity carry its principal (object) id as subject. Use {:?} instead.{kind}",
                    sp.id
                ),
            )
        }
        PrincipalLookup::ByAppId(sp) => Finding::error(
            attribute,
            "principal.application_client_id",
            format!("{v} is the client id of application {}, not a managed identity", sp.name()),
            format!(
                "Its service principal has id {} (servicePrincipalType {:?}). Use the principal id of the user-assigned managed identity whose tokens should be trusted.",
                sp.id, sp.service_principal_type
            ),
        ),
        PrincipalLookup::Nothing => Finding::error(
            attribute,
            "principal.not_found",
            format!("no managed identity {v} in the tenant"),
            "Microsoft Graph has no object with this id and no service principal with this client id in the provider's tenant. Use the user-assigned identity's principal id (`az identity show --query principalId`, or azurerm_user_assigned_identity.X.principal_id); the identity must live in the application's tenant. An identity created moments ago may still be replicating in Entra: plan again in a minute.",
        ),
    };
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";
    const RESOURCE: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";

    fn facts<'a>(kind: &'a str, names: &'a [String]) -> PrincipalFacts<'a> {
        PrincipalFacts {
            id: "b0000009-2b3c-4d5e-8f90-a1b2c3d4e5f9",
            app_id: "d0000009-2b3c-4d5e-8f90-a1b2c3d4e5f9",
            display_name: "deploy",
            service_principal_type: kind,
            alternative_names: names,
        }
    }

    #[test]
    fn each_answer_gets_its_own_verdict() {
        let user = vec![
            "isExplicit=True".to_string(),
            "/subscriptions/s/.../userAssignedIdentities/deploy".to_string(),
        ];
        let system = vec!["isExplicit=False".to_string(), RESOURCE.to_string()];
        let bare = vec![RESOURCE.to_string()];
        let none: Vec<String> = vec![];
        let cases: Vec<(PrincipalLookup, Option<&str>, &[&str])> = vec![
            (
                PrincipalLookup::ById(facts("ManagedIdentity", &user)),
                None,
                &[],
            ),
            (
                PrincipalLookup::ById(facts("managedidentity", &user)),
                None,
                &[],
            ),
            (
                PrincipalLookup::ById(facts("ManagedIdentity", &system)),
                Some("principal.system_assigned"),
                &[RESOURCE, "user-assigned"],
            ),
            (
                PrincipalLookup::ById(facts("ManagedIdentity", &bare)),
                Some("principal.system_assigned"),
                &[RESOURCE],
            ),
            (
                PrincipalLookup::ById(facts("Application", &none)),
                Some("principal.not_managed_identity"),
                &["\"deploy\"", "Application"],
            ),
            (
                PrincipalLookup::ByAppId(facts("ManagedIdentity", &user)),
                Some("principal.client_id"),
                &[
                    "client id of managed identity \"deploy\"",
                    "\"b0000009-2b3c-4d5e-8f90-a1b2c3d4e5f9\"",
                ],
            ),
            (
                PrincipalLookup::ByAppId(facts("ManagedIdentity", &system)),
                Some("principal.client_id"),
                &["system-assigned"],
            ),
            (
                PrincipalLookup::ByAppId(facts("Application", &none)),
                Some("principal.application_client_id"),
                &["application \"deploy\""],
            ),
            (
                PrincipalLookup::Nothing,
                Some("principal.not_found"),
                &["principalId"],
            ),
        ];
        for (lookup, rule, words) in cases {
            let got = check_principal("managed_identity_principal_id", VALUE, &lookup);
            assert_eq!(got.as_ref().map(|f| f.rule), rule, "{lookup:?}");
            if let Some(f) = got {
                assert!(f.is_error());
                assert_eq!(f.attribute, "managed_identity_principal_id");
                assert!(f.summary.contains(VALUE), "{f}");
                let text = format!("{} {}", f.summary, f.detail);
                for w in words {
                    assert!(text.contains(w), "{w:?} missing from {text}");
                }
            }
        }
    }

    #[test]
    fn only_an_explicit_managed_identity_is_user_assigned() {
        let user = vec!["isExplicit=True".to_string()];
        assert!(facts("ManagedIdentity", &user).is_user_assigned());
        assert!(!facts("Application", &user).is_user_assigned());
        assert_eq!(facts("ManagedIdentity", &user).resource_id(), None);
        let nameless = PrincipalFacts {
            display_name: "",
            ..facts("Application", &user)
        };
        assert!(nameless.name().contains("b0000009"));
    }
}
