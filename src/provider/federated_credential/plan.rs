//! Plan time: the rules on configuration, the values derived from the provider
//! configuration, and the live checks against the application's credentials.

use std::collections::BTreeSet;
use std::time::Duration;

use super::attrs::{APPLICATION_OBJECT_ID, NAME, SUBJECT, TIMEOUTS};
use super::model::{AppIds, FicModel, Operation};
use super::{import_block, import_hint, read};
use crate::entra::graph::{AppRef, FederatedCredential, GraphClient, NewCredential};
use crate::entra::retry::Deadline;
use crate::framework::{AttrPath, Ctx, Diagnostics, PlanRequest};
use crate::provider::client::EntraClient;
use crate::provider::pending_trusts::KnownApp;
use crate::provider::planned_set::{PlannedCreate, Siblings};
use crate::rules::{self, fic, Input};

/// The longest a create's plan waits for this run's other plans (see `provider/planned_set.rs`).
const SIBLINGS_WAIT: Duration = Duration::from_secs(30);

/// Static checks of a configuration: every broken rule, and the timeouts' syntax.
pub(super) fn validate(config: &FicModel, ctx: &Ctx) -> Diagnostics {
    let cloud = EntraClient::explicit_cloud(ctx);
    let mut d = Diagnostics::from(fic::check_config(&config.rules_input(cloud)));
    if let Some(t) = &config.timeouts {
        for op in Operation::ALL {
            if let Some(Err(e)) = t.get(op).known().map(|s| rules::duration::parse(s)) {
                d.error_at(
                    AttrPath::attr(TIMEOUTS).child(op.name()),
                    format!("timeouts.{} must be a duration", op.name()),
                    e,
                );
            }
        }
    }
    d
}

/// Fills in what configuration leaves to the provider (subject from the principal id,
/// Entra's issuer and exchange audience), and checks a create against the application.
pub(super) async fn modify_plan(plan: &mut PlanRequest<'_>, ctx: &Ctx) -> Diagnostics {
    let mut d = Diagnostics::new();
    if plan.planned.is_null() {
        return d; // destroy: nothing to derive
    }
    let client = ctx.provider::<EntraClient>();
    let config = FicModel::from_value(plan.config);
    let mut planned = FicModel::from_value(&plan.planned);
    let prior = plan.prior.map(FicModel::from_value);

    // subject follows the principal id.
    match &config.managed_identity_principal_id {
        Input::Known(p) => planned.subject = Input::Known(p.clone()),
        Input::Unknown => planned.subject = Input::Unknown,
        Input::Null => {}
    }
    let known_client = client.as_ref().filter(|c| c.settings.is_known());
    // Derived again on every plan, not taken from prior state: drift in a defaulted
    // issuer or audience, and removing an explicit value, both plan an update to the
    // default.
    if let Some(c) = known_client {
        derive_defaults(&config, &mut planned, c);
    }
    // A create's check against the application runs beside the principal check (both
    // read Graph; neither needs the other).
    let mut creating = None;
    match &prior {
        None => {
            // The create half of a replacement: the credential it replaces goes first.
            if let (Some(c), Some(old)) = (&client, Replaces::decode(plan.prior_private)) {
                c.plans
                    .planned(&old.application, &old.credential_id, true)
                    .await;
            }
            if let (Some(c), Some(name)) = (&client, planned.name.known()) {
                let [object_id, client_id] = [
                    &planned.application_object_id,
                    &planned.application_client_id,
                ]
                .map(|id| id.known().map_or("", String::as_str));
                let app = KnownApp::parse(object_id, client_id);
                c.pending_trusts.planned(&app, name);
            }
            if let Some(c) = known_client {
                // The cloud is known now: check what depends on it.
                let with_identity = config.managed_identity_principal_id.is_set();
                if let (Input::Known(issuer), true) = (&config.issuer, with_identity) {
                    d.0.extend(fic::check_issuer_cloud(issuer, c.cloud()).map(Into::into));
                }
                creating = Some(c);
            }
        }
        Some(prior) => {
            if let Some((app, id)) = prior.stored_ids() {
                if let Some(c) = &client {
                    c.plans
                        .planned(app, id, !plan.requires_replace.is_empty())
                        .await;
                }
                // Terraform hands this to the create half if it replaces the object
                // (`-replace`, taint): then the old credential is known to go.
                plan.planned_private = Replaces {
                    application: app.to_string(),
                    credential_id: id.to_string(),
                }
                .encode();
            }
            // A removed principal id hands the subject back to configuration.
            if config.managed_identity_principal_id.is_null() && config.subject.is_null() {
                planned.subject = prior.subject.clone();
            }
        }
    }
    let application = async {
        match creating {
            Some(c) => live_check(c, &planned, ctx).await,
            None => Diagnostics::new(),
        }
    };
    let principal = async {
        match known_client {
            Some(c) => {
                super::principal_check::check(c, &config, &planned, prior.as_ref(), ctx).await
            }
            None => Diagnostics::new(),
        }
    };
    let (application, principal) = tokio::join!(application, principal);
    d.extend(application);
    d.extend(principal);
    plan.planned = planned.to_value();
    d
}

/// A planned destroy frees its credential's name, pair and slot for this run's creates.
pub(super) async fn plan_destroy(prior: &FicModel, ctx: &Ctx) {
    if let (Some(c), Some((app, id))) = (ctx.provider::<EntraClient>(), prior.stored_ids()) {
        c.plans.planned(app, id, true).await;
    }
}

/// The credential a plan would replace, carried in the plan's private bytes from the
/// update half of a replacement to its create half.
#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Replaces {
    application: String,
    credential_id: String,
}

impl Replaces {
    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    fn decode(private: &[u8]) -> Option<Replaces> {
        serde_json::from_slice(private).ok()
    }
}

/// The provider's defaults for an issuer and audience left out of configuration.
fn derive_defaults(config: &FicModel, planned: &mut FicModel, c: &EntraClient) {
    if config.issuer.is_null() {
        if let Some(tenant) = c.tenant() {
            planned.issuer = Input::Known(c.cloud().entra_issuer(&tenant));
        }
    }
    if config.audiences.is_null() {
        planned.audiences = Input::Known(vec![Input::Known(
            c.cloud().token_exchange_audience().to_string(),
        )]);
    }
}

/// Plan-time checks against the live application: collisions and the limit show at
/// plan, not at apply. Its Graph reads have the plan's short budget (([`crate::provider::plan_reads`]));
/// skipped (with a warning once per run when Graph gave no answer) when the application
/// is unknown or Graph does not answer in time.
async fn live_check(client: &EntraClient, planned: &FicModel, ctx: &Ctx) -> Diagnostics {
    let g = match client.graph().await {
        Ok(g) => g,
        Err(no_method) => {
            let mut d = Diagnostics::new();
            d.0.extend(client.plan_reads.no_sign_in(&no_method));
            return d;
        }
    };
    let (object_id, client_id) = (
        planned.application_object_id.known(),
        planned.application_client_id.known(),
    );
    let app = match (object_id, client_id) {
        (Some(o), _) => AppRef::ObjectId(o.to_ascii_lowercase()),
        (None, Some(c)) => AppRef::ClientId(c.clone()),
        _ => return Diagnostics::new(),
    };
    // Both ids given: one application read (shared by the run) says whether they agree.
    let pair = object_id.zip(client_id);
    let g: &GraphClient = &g;
    let read = client
        .plan_reads
        .read(g, &ctx.cancel, |d| async move {
            let mut actual_client_id = None;
            let app_object_id = match app {
                AppRef::ObjectId(o) if pair.is_none() => o,
                by_id => {
                    let found = client.application(g, &by_id, &d).await?;
                    let found = AppIds::from_graph(&found.id, &found.app_id);
                    actual_client_id = Some(found.client_id);
                    found.object_id
                }
            };
            let list = read::shared_list(client, g, &app_object_id, &d).await?;
            Ok((app_object_id, list, actual_client_id))
        })
        .await;
    let (app_object_id, list) = match read {
        Ok((app_object_id, list, actual)) => {
            if let (Some((o, c)), Some(actual)) = (pair, actual) {
                if let Some(mismatch) = read::app_pair_mismatch(o, c, &actual) {
                    return mismatch;
                }
            }
            (app_object_id, list)
        }
        Err(skipped) => {
            tracing::debug!(?skipped, "live plan check skipped");
            let mut d = Diagnostics::new();
            d.0.extend(client.plan_reads.skipped_warning(&skipped));
            return d;
        }
    };
    // The waits for this run's other plans are not Graph reads: they keep their own bound.
    let d = Deadline::after(SIBLINGS_WAIT, ctx.cancel.clone());
    let new = planned.desired();
    let create = PlannedCreate {
        name: new.name.clone(),
        trust: (!new.issuer.is_empty() && !new.subject.is_empty())
            .then(|| (new.issuer.clone(), new.subject.clone())),
    };
    let check = |siblings: &Siblings| {
        let remaining: Vec<FederatedCredential> = list
            .iter()
            .filter(|c| !siblings.going.contains(&c.id))
            .cloned()
            .collect();
        let mut diag = preflight(&app_object_id, &remaining, &siblings.creates, &new);
        // Unknown issuer/subject cannot collide yet.
        if create.trust.is_none() {
            diag.0.retain(|x| x.path != Some(AttrPath::attr(SUBJECT)));
        }
        diag
    };
    if new.name.is_empty() {
        return check(&Siblings::default()); // unknown name: siblings are left to apply
    }
    let siblings = client
        .plans
        .register_create(&app_object_id, create.clone(), &d)
        .await;
    let diag = check(&siblings);
    if !diag.has_errors() {
        return diag;
    }
    // Look again once the run's plans are quiet: a destroy may not have been planned yet.
    check(&client.plans.settle(&app_object_id, &create, &d).await)
}

/// Errors a create would hit: from the application's credentials that stay (the same
/// name, the same issuer+subject under another name, the 20-credential limit) and from
/// the creates planned before it in this configuration (`siblings`).
pub(super) fn preflight(
    app_object_id: &str,
    existing: &[FederatedCredential],
    siblings: &[PlannedCreate],
    new: &NewCredential,
) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(c) = existing.iter().find(|c| c.name == new.name) {
        d.error_at(
            AttrPath::attr(NAME),
            format!("A federated identity credential named {:?} already exists on this application", new.name),
            format!(
                "Names are unique per application. To manage the existing credential (id {}) with Terraform (for example one an interrupted apply created but could not record), add this import block, with `to` set to this resource's address (the `with` line of this message):\n\n{}\n\nor run `{}`.\n\nIf this is a replacement under create_before_destroy: Graph cannot hold two credentials of one name at once, so the new one cannot be created before the old one is gone. Give the new credential another name, or remove create_before_destroy. Terraform now keeps the old credential as a deposed object and would try the create first again: run `terraform state rm <address>`, then apply with the import block above to manage the existing credential again.",
                c.id,
                import_block(app_object_id, &c.id),
                import_hint(app_object_id, &c.id),
            ),
        );
    } else if siblings.iter().any(|s| s.name == new.name) {
        d.error_at(
            AttrPath::attr(NAME),
            format!("Another resource in this configuration also creates a credential named {:?} on application {app_object_id}", new.name),
            "Names are unique per application, so only one of the two could be created. Give one of the resources another name.",
        );
    }
    if let Some(c) = existing
        .iter()
        .find(|c| c.issuer == new.issuer && c.subject == new.subject && c.name != new.name)
    {
        d.error_at(
            AttrPath::attr(SUBJECT),
            "Another credential of this application already trusts this issuer and subject",
            format!(
                "Credential {:?} (id {}) has issuer {:?} and subject {:?}; Entra requires issuer+subject to be unique per application. Import it ({}) or remove it.",
                c.name,
                c.id,
                c.issuer,
                c.subject,
                import_hint(app_object_id, &c.id)
            ),
        );
    } else if let Some(s) = siblings.iter().find(|s| {
        s.name != new.name && s.trust.as_ref() == Some(&(new.issuer.clone(), new.subject.clone()))
    }) {
        d.error_at(
            AttrPath::attr(SUBJECT),
            format!("Another resource in this configuration (credential {:?}) trusts the same issuer and subject", s.name),
            format!(
                "Both would trust issuer {:?} and subject {:?} on application {app_object_id}; Entra requires issuer+subject to be unique per application. Keep one of the two resources.",
                new.issuer, new.subject
            ),
        );
    }
    let existing_names: BTreeSet<&str> = existing.iter().map(|c| c.name.as_str()).collect();
    let planned_names: BTreeSet<&str> = siblings
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| !existing_names.contains(n))
        .collect();
    let total = existing_names.len() + planned_names.len();
    if total >= fic::MAX_PER_APPLICATION
        && !existing_names.contains(new.name.as_str())
        && !planned_names.contains(new.name.as_str())
    {
        let detail = if planned_names.is_empty() {
            format!(
                "Entra allows at most {} federated identity credentials per application, and the limit cannot be raised. Remove unused credentials or use another application.",
                fic::MAX_PER_APPLICATION
            )
        } else {
            format!(
                "Entra allows at most {max} federated identity credentials per application, and the limit cannot be raised. {} exist and stay, and {} more are planned before this one in this configuration ({}); this one would be number {}. Remove resources, or move some to another application.",
                existing_names.len(),
                planned_names.len(),
                planned_names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", "),
                total + 1,
                max = fic::MAX_PER_APPLICATION,
            )
        };
        let summary = if planned_names.is_empty() {
            format!("The application already has {total} federated identity credentials")
        } else {
            format!("This configuration would give application {app_object_id} more than {} federated identity credentials", fic::MAX_PER_APPLICATION)
        };
        d.error_at(AttrPath::attr(APPLICATION_OBJECT_ID), summary, detail);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replaced_credential_survives_private_bytes() {
        let r = Replaces {
            application: "a".into(),
            credential_id: "c".into(),
        };
        assert_eq!(Replaces::decode(&r.encode()), Some(r));
        assert_eq!(Replaces::decode(b""), None);
        assert_eq!(Replaces::decode(b"{\"other\":1}"), None);
    }
}
