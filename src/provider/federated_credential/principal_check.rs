//! The live principal check at plan: the principal id (or, with an Entra issuer, a GUID
//! subject) must be a user-assigned managed identity's object id in the tenant. The
//! lookups of plans running together go to Graph as one batch
//! ([`crate::provider::principal_lookup`]).
//!
//! Runs when the value is known and new (a create, or a changed subject), so a plan
//! without changes reads nothing. An unknown value is checked once known; a Graph that
//! refuses or does not answer gives a warning, never an error.

use super::model::FicModel;
use crate::entra::ids::ObjectId;
use crate::framework::{Ctx, Diagnostics};
use crate::provider::client::EntraClient;
use crate::provider::plan_reads::{skips_plan_checks, Skipped};
use crate::provider::principal_lookup::PrincipalVerdict;
use crate::rules::{fic, Input};

/// The diagnostics of the principal check for one planned credential.
pub(super) async fn check(
    client: &EntraClient,
    config: &FicModel,
    planned: &FicModel,
    prior: Option<&FicModel>,
    ctx: &Ctx,
) -> Diagnostics {
    let mut d = Diagnostics::new();
    let Some((attribute, value)) = value_to_check(config, planned) else {
        return d;
    };
    let unchanged = prior.is_some_and(|p| {
        p.subject.known().and_then(|s| ObjectId::parse(s)).as_ref() == Some(&value)
    });
    if unchanged {
        return d;
    }
    let g = match client.graph().await {
        Ok(g) => g,
        Err(no_method) => {
            // One warning for every plan-time check skipped for want of a sign-in.
            d.0.extend(client.plan_reads.no_sign_in(&no_method));
            return d;
        }
    };
    let looked_up = client
        .plan_reads
        .read(&g, &ctx.cancel, |d| {
            let (g, value) = (&g, &value);
            async move { client.principals.lookup(g, value, &d).await }
        })
        .await;
    let looked_up = match looked_up {
        Ok(found) => Ok(found),
        Err(Skipped::Failed(e)) if !skips_plan_checks(&e) => Err(e),
        // No answer in time or no sign-in, now or earlier in this run: one warning for
        // every skipped plan-time check.
        Err(skipped) => {
            d.0.extend(client.plan_reads.skipped_warning(&skipped));
            return d;
        }
    };
    match client.principals.verdict(attribute, &value, looked_up) {
        PrincipalVerdict::UserAssigned | PrincipalVerdict::Unchecked(None) => {}
        PrincipalVerdict::Mistake(f) => d.add(f.into()),
        PrincipalVerdict::Unchecked(Some(warning)) => d.add(warning),
    }
    d
}

/// The attribute and value to look up: the principal id, or a GUID subject under an
/// Entra issuer. Anything else is either checked statically or not a managed identity.
fn value_to_check(config: &FicModel, planned: &FicModel) -> Option<(&'static str, ObjectId)> {
    if let Input::Known(p) = &config.managed_identity_principal_id {
        return ObjectId::parse(p).map(|id| ("managed_identity_principal_id", id));
    }
    let (Input::Known(subject), Input::Known(issuer)) = (&config.subject, &planned.issuer) else {
        return None;
    };
    if !fic::is_entra_issuer(issuer.trim()) {
        return None;
    }
    ObjectId::parse(subject).map(|id| ("subject", id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Value;

    const P: &str = "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1";

    fn model(principal: Input<String>, subject: Input<String>, issuer: &str) -> FicModel {
        let mut m = FicModel::from_value(&Value::Null);
        m.managed_identity_principal_id = principal;
        m.subject = subject;
        m.issuer = Input::Known(issuer.to_string());
        m
    }

    #[test]
    fn only_known_guids_for_entra_are_looked_up() {
        let entra = "https://login.microsoftonline.com/t/v2.0";
        let gh = "https://token.actions.githubusercontent.com";
        let k = |s: &str| Input::Known(s.to_string());
        let cases = [
            (
                model(k(P), Input::Null, entra),
                Some("managed_identity_principal_id"),
            ),
            (model(Input::Unknown, Input::Null, entra), None),
            (model(k("not-a-guid"), Input::Null, entra), None),
            (model(Input::Null, k(P), entra), Some("subject")),
            (model(Input::Null, k(P), gh), None),
            (model(Input::Null, k("repo:o/r"), entra), None),
            (model(Input::Null, Input::Unknown, entra), None),
        ];
        for (m, want) in cases {
            assert_eq!(value_to_check(&m, &m).map(|(a, _)| a), want, "{m:?}");
        }
    }
}
