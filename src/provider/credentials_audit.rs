//! `entra_mi_federated_credentials`: federated identity credentials of one application,
//! of every application trusting one managed identity, or of the whole tenant
//! ([`super::audit_selection`]), audited with the rules the resource checks at plan
//! ([`fic::audit_credential`]) and, for Entra issuers, the live identity check.
//!
//! Cost: for one application, its read and its list call; otherwise a few pages of the
//! tenant's applications with their credentials expanded. Then the subjects' service
//! principal lookups, asked all at once so they go to Graph as one batch (each distinct
//! subject at most once per run, shared with the resource's plan-time check).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::audit_selection::{self, Listed};
use super::client::EntraClient;
use super::model::object;
use super::selector::{self, SelectorModel};
use crate::codec::{Type, Value};
use crate::entra::graph::{FederatedCredential, GraphClient};
use crate::entra::ids::ObjectId;
use crate::entra::retry::Deadline;
use crate::framework::{
    Attribute, Block, Ctx, DataSource, Declaration, Diagnostic, Diagnostics, ReadDataRequest,
    ReadDataResponse, Schema,
};
use crate::provider::principal_lookup::PrincipalVerdict;
use crate::rules::fic;

pub const TYPE_NAME: &str = "entra_mi_federated_credentials";

/// How long the identity lookups of all audited credentials may take together.
const LOOKUPS_BUDGET: Duration = Duration::from_secs(10);

/// How long the list may take, every page together (throttling included).
const LIST_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The attributes of one audited credential.
fn credential_type() -> Type {
    Type::object([
        ("application_object_id", Type::String),
        ("application_client_id", Type::String),
        ("application_display_name", Type::String),
        ("credential_id", Type::String),
        ("name", Type::String),
        ("issuer", Type::String),
        ("subject", Type::String),
        ("audiences", Type::list(Type::String)),
        ("description", Type::String),
        ("findings", Type::list(Type::String)),
    ])
}

pub fn schema() -> Schema {
    let mut block = Block::new("Federated identity credentials, audited: of one application (`application_object_id` or `application_client_id`), of every application that trusts one managed identity (`managed_identity_principal_id`: \"which applications can this identity act as?\"), or, with none of these, of the whole tenant. `findings` lists, per credential, each reason it would never match a managed identity token or breaks a documented rule (trailing slash, v1 issuer, whitespace, wildcard, another cloud's audience, name rules, and for Entra issuers a subject that is not a user-assigned managed identity's principal id). Reading applications tenant-wide and service principals for that last check needs `Application.Read.All` or `Directory.Read.All`; without it the identity check is skipped with a warning.");
    for a in selector::attributes() {
        block = block.attribute(a);
    }
    let credentials = Attribute::new("credentials", Type::list(credential_type())).computed().describe("The credentials, by application (display name, then object id) and name: `application_object_id`, `application_client_id`, `application_display_name`, `credential_id`, `name`, `issuer`, `subject`, `audiences`, `description` and `findings` (a list of strings, empty when the credential has no problem).");
    Schema::new(0, block.attribute(credentials))
}

fn validate(config: &Value) -> Diagnostics {
    SelectorModel::from_value(config).validate()
}

async fn audit(config: &Value, ctx: &Ctx) -> Result<(Value, Diagnostics), Diagnostics> {
    let client = EntraClient::from_ctx(ctx)?;
    let model = SelectorModel::from_value(config);
    let refused = model.validate();
    if refused.has_errors() {
        return Err(refused);
    }
    let selection = model.selector().ok_or_else(|| {
        Diagnostics::from_error(
            "The audit's selectors are not known",
            "application_object_id, application_client_id, managed_identity_principal_id and all_issuers must be known when the data source is read.",
        )
    })?;
    let g = client
        .graph()
        .await
        .map_err(|e| Diagnostics::from_error("Cannot sign in to Microsoft Graph", e))?;
    let list_deadline = Deadline::after(LIST_TIMEOUT, ctx.cancel.clone());
    let listed = audit_selection::read(&client, &g, &selection, &list_deadline).await?;
    let lookups = Deadline::after(LOOKUPS_BUDGET, ctx.cancel.clone());
    let mut d = Diagnostics::new();
    let mut rows = Vec::new();
    // Together, so that the lookups join one batch.
    let audited = futures_util::future::join_all(
        listed
            .iter()
            .map(|l| findings_of(&client, &g, &l.credential, &lookups)),
    )
    .await;
    for (l, (findings, warning)) in listed.iter().zip(audited) {
        if let Some(mut w) = warning {
            w.path = None; // the subject is inside `credentials`, not an attribute here
            d.add(w);
        }
        rows.push(row(l, &findings));
    }
    let mut out = match config {
        Value::Object(m) => m.clone(),
        _ => Default::default(),
    };
    out.insert("credentials".into(), Value::List(rows));
    Ok((Value::Object(out), d))
}

/// One credential's findings as text, and the warning when its identity went unchecked.
async fn findings_of(
    client: &EntraClient,
    g: &Arc<GraphClient>,
    c: &FederatedCredential,
    lookups: &Deadline,
) -> (Vec<String>, Option<Diagnostic>) {
    let stored = fic::Credential {
        name: &c.name,
        issuer: &c.issuer,
        subject: &c.subject,
        audiences: &c.audiences,
        description: c.description.as_deref(),
    };
    let mut findings = fic::audit_credential(&stored, Some(client.cloud()));
    let mut warning = None;
    if let Some(subject) = fic::principal_to_check(&stored).and_then(ObjectId::parse) {
        match client
            .principals
            .check(g, "subject", &subject, lookups)
            .await
        {
            PrincipalVerdict::UserAssigned | PrincipalVerdict::Unchecked(None) => {}
            PrincipalVerdict::Mistake(f) => findings.push(f),
            PrincipalVerdict::Unchecked(Some(w)) => warning = Some(w),
        }
    }
    (findings.iter().map(fic::finding_text).collect(), warning)
}

fn row(l: &Listed, findings: &[String]) -> Value {
    let strings = |v: &[String]| Value::List(v.iter().map(Value::string).collect());
    let c = &l.credential;
    object([
        (
            "application_object_id",
            Value::string(&l.application_object_id),
        ),
        (
            "application_client_id",
            Value::string(&l.application_client_id),
        ),
        (
            "application_display_name",
            Value::string(&l.application_display_name),
        ),
        ("credential_id", Value::string(&c.id)),
        ("name", Value::string(&c.name)),
        ("issuer", Value::string(&c.issuer)),
        ("subject", Value::string(&c.subject)),
        ("audiences", strings(&c.audiences)),
        (
            "description",
            match c.description.as_deref() {
                Some(d) if !d.is_empty() => Value::string(d),
                _ => Value::Null,
            },
        ),
        ("findings", strings(findings)),
    ])
}

pub struct FederatedCredentialsDataSource;

#[async_trait]
impl DataSource for FederatedCredentialsDataSource {
    fn declaration(&self) -> Declaration {
        Declaration::new(TYPE_NAME, schema(), |config, _| validate(config))
    }

    async fn read(&self, req: ReadDataRequest<'_>, ctx: &Ctx) -> ReadDataResponse {
        match audit(req.config, ctx).await {
            Ok((state, diagnostics)) => ReadDataResponse {
                state: Some(state),
                diagnostics,
            },
            Err(diagnostics) => ReadDataResponse {
                state: None,
                diagnostics,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_every_attribute() {
        let c = FederatedCredential {
            id: "i".into(),
            name: "n".into(),
            issuer: "https://x".into(),
            subject: "s".into(),
            audiences: vec!["a".into()],
            description: Some(String::new()),
        };
        let l = Listed {
            application_object_id: "o".into(),
            application_client_id: "c".into(),
            application_display_name: "app".into(),
            credential: c,
        };
        let r = row(&l, &["f".to_string()]);
        assert_eq!(
            r.attr("application_display_name"),
            Some(&Value::string("app"))
        );
        assert_eq!(r.attr("description"), Some(&Value::Null));
        assert_eq!(
            r.attr("findings"),
            Some(&Value::List(vec![Value::string("f")]))
        );
    }
}
