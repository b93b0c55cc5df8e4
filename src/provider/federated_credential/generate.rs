//! The configuration `-generate-config-out` writes for a stored credential. Terraform 1.14
//! and later ask the provider; older versions copy every optional attribute from the state,
//! which the rules accept too (see `rules::fic::check_application_ids`).

use super::model::FicModel;
use crate::framework::Ctx;
use crate::provider::client::EntraClient;

/// The block a person would write: defaults left out where the provider's cloud and
/// tenant show them to be defaults. Without a configured provider every value is kept,
/// which plans the same.
pub(super) fn config(state: &FicModel, ctx: &Ctx) -> FicModel {
    match ctx.provider::<EntraClient>() {
        Some(c) if c.settings.is_known() => {
            state.generated_config(c.cloud(), c.tenant().as_deref())
        }
        _ => state.generated_config_keeping_defaults(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;
    use crate::entra::graph::FederatedCredential;
    use crate::provider::federated_credential::AppIds;
    use crate::rules::{fic, Input};

    const TENANT: &str = "6e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e01";
    const OTHER_TENANT: &str = "7e1f8f1a-7c0e-4d55-9a8e-2b6f0c1d9e02";
    const PRINCIPAL: &str = "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";

    fn stored(
        issuer: String,
        audience: &str,
        subject: &str,
        description: Option<&str>,
    ) -> FicModel {
        let c = FederatedCredential {
            id: "cred-1".into(),
            name: "deploy".into(),
            issuer,
            subject: subject.into(),
            audiences: vec![audience.into()],
            description: description.map(str::to_string),
        };
        let app = AppIds {
            object_id: "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d01".into(),
            client_id: "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4dff".into(),
        };
        FicModel::from_graph(&app, &c, FicModel::imported_principal(&c), None)
    }

    #[test]
    fn generated_blocks_are_what_a_person_writes() {
        let public = Cloud::Public;
        let exchange = public.token_exchange_audience();
        let home = public.entra_issuer(TENANT);
        let other = public.entra_issuer(OTHER_TENANT);
        let github = "https://token.actions.githubusercontent.com".to_string();
        // (stored credential, expected: principal id, subject, issuer, audiences, description)
        let cases = [
            (
                stored(home.clone(), exchange, PRINCIPAL, None),
                (true, false, false, false, false),
            ),
            (
                stored(other, exchange, PRINCIPAL, Some("x")),
                (true, false, true, false, true),
            ),
            (
                stored(home.clone(), "api://custom", PRINCIPAL, None),
                (true, false, false, true, false),
            ),
            (
                stored(github, exchange, "repo:o/r:ref:refs/heads/main", None),
                (false, true, true, false, false),
            ),
            // A mistaken issuer keeps the subject: `managed_identity_principal_id` with it
            // would not pass validation.
            (
                stored(format!("{home}/"), exchange, PRINCIPAL, None),
                (false, true, true, false, false),
            ),
        ];
        for (state, (principal, subject, issuer, audiences, description)) in cases {
            let g = state.generated_config(public, Some(TENANT));
            let what = format!("{:?}", state.issuer);
            assert_eq!(
                g.application_object_id, state.application_object_id,
                "{what}"
            );
            assert_eq!(g.application_client_id, Input::Null, "{what}");
            assert_eq!(g.name, state.name, "{what}");
            assert_eq!(
                g.managed_identity_principal_id.is_set(),
                principal,
                "{what}"
            );
            assert_eq!(g.subject.is_set(), subject, "{what}");
            assert_eq!(g.issuer.is_set(), issuer, "{what}");
            assert_eq!(g.audiences.is_set(), audiences, "{what}");
            assert_eq!(g.description.is_set(), description, "{what}");
            assert!(g.credential_id.is_null() && g.id.is_null() && g.timeouts.is_none());
            // What it generates passes the plan-time rules as written.
            let errors: Vec<_> = fic::check_config(&g.rules_input(Some(public)))
                .into_iter()
                .filter(|f| f.severity == crate::rules::Severity::Error)
                .collect();
            assert!(errors.is_empty(), "{what}: {errors:?}");
        }
    }

    #[test]
    fn without_a_configured_provider_defaults_stay_explicit() {
        let home = Cloud::Public.entra_issuer(TENANT);
        let state = stored(
            home,
            Cloud::Public.token_exchange_audience(),
            PRINCIPAL,
            None,
        );
        let g = state.generated_config_keeping_defaults();
        assert!(g.issuer.is_set() && g.audiences.is_set());
        assert!(g.managed_identity_principal_id.is_set() && g.subject.is_null());
    }
}
