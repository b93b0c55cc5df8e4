//! `entra_mi_federated_credentials`: every federated identity credential of one
//! application, audited with the rules the resource checks at plan
//! ([`fic::audit_credential`]) and, for Entra issuers, the live identity check.
//!
//! Cost: one list call for the application, and at most one service principal lookup per
//! distinct subject (shared with the rest of the run).

use std::time::Duration;

use async_trait::async_trait;

use super::client::EntraClient;
use super::model::{as_str, object, string_attr};
use crate::codec::{Type, Value};
use crate::entra::graph::{AppRef, FederatedCredential, GraphClient};
use crate::entra::retry::Deadline;
use crate::framework::{
    Attribute, Block, Ctx, DataSource, Declaration, Diagnostic, Diagnostics, Schema,
};
use crate::provider::identity_check::Verdict;
use crate::rules::{fic, Input};

pub const TYPE_NAME: &str = "entra_mi_federated_credentials";

/// How long the identity lookups of all audited credentials may take together.
const LOOKUPS_BUDGET: Duration = Duration::from_secs(10);

/// How long the list may take (throttling included).
const LIST_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The attributes of one audited credential.
fn credential_type() -> Type {
    Type::object([
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
    Schema::new(
        0,
        Block::new("Every federated identity credential of one application, audited: `findings` lists, per credential, each reason it would never match a managed identity token or breaks a documented rule (trailing slash, v1 issuer, whitespace, wildcard, another cloud's audience, name rules, and for Entra issuers a subject that is not a user-assigned managed identity's principal id). Reading service principals for that last check needs `Application.Read.All` or `Directory.Read.All`; without it the check is skipped with a warning.")
            .attribute(Attribute::string("application_object_id").optional().describe("The application's object id (GUID). Exactly one of this and `application_client_id`."))
            .attribute(Attribute::string("application_client_id").optional().describe("The application (client) id (GUID), the `appId`. Exactly one of this and `application_object_id`."))
            .attribute(Attribute::new("credentials", Type::list(credential_type())).computed().describe("The application's credentials, by name: `credential_id`, `name`, `issuer`, `subject`, `audiences`, `description` and `findings` (a list of strings, empty when the credential has no problem).")),
    )
}

/// The configuration, typed.
#[derive(Debug, Clone)]
struct AuditRequestModel {
    application_object_id: Input<String>,
    application_client_id: Input<String>,
}

impl AuditRequestModel {
    fn from_value(v: &Value) -> AuditRequestModel {
        AuditRequestModel {
            application_object_id: string_attr(v, "application_object_id"),
            application_client_id: string_attr(v, "application_client_id"),
        }
    }

    /// The application, when exactly one id is known.
    fn app(&self) -> Option<AppRef> {
        match (&self.application_object_id, &self.application_client_id) {
            (Input::Known(o), Input::Null) => Some(AppRef::ObjectId(o.clone())),
            (Input::Null, Input::Known(c)) => Some(AppRef::ClientId(c.clone())),
            _ => None,
        }
    }
}

fn validate(config: &Value) -> Diagnostics {
    let m = AuditRequestModel::from_value(config);
    let mut d = Diagnostics::new();
    let ids = fic::check_one_application_id(
        &as_str(&m.application_object_id),
        &as_str(&m.application_client_id),
    );
    for f in ids {
        d.add(f.into());
    }
    d
}

async fn audit(config: &Value, ctx: &Ctx) -> Result<(Value, Diagnostics), Diagnostics> {
    let client = EntraClient::from_ctx(ctx)?;
    let app = AuditRequestModel::from_value(config)
        .app()
        .ok_or_else(|| validate(config))?;
    let g = client
        .graph()
        .await
        .map_err(|e| Diagnostics::from_error("Cannot sign in to Microsoft Graph", e))?;
    let listed = g
        .list_credentials(&app, &Deadline::after(LIST_TIMEOUT, ctx.cancel.clone()))
        .await
        .map_err(|e| {
            let (summary, detail) =
                e.headed("Cannot list the application's federated identity credentials");
            Diagnostics::from_error(summary, detail)
        })?;
    let mut sorted: Vec<&FederatedCredential> = listed.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let lookups = Deadline::after(LOOKUPS_BUDGET, ctx.cancel.clone());
    let mut d = Diagnostics::new();
    let mut rows = Vec::new();
    for c in sorted {
        let (findings, warning) = findings_of(&client, &g, c, &lookups).await;
        if let Some(mut w) = warning {
            w.path = None; // the subject is inside `credentials`, not an attribute here
            d.add(w);
        }
        rows.push(row(c, &findings));
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
    g: &GraphClient,
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
    if let Some(subject) = fic::identity_to_check(&stored) {
        match client
            .identities
            .check(g, "subject", subject, lookups)
            .await
        {
            Verdict::UserAssigned | Verdict::Unchecked(None) => {}
            Verdict::Mistake(f) => findings.push(f),
            Verdict::Unchecked(Some(w)) => warning = Some(w),
        }
    }
    (findings.iter().map(fic::finding_text).collect(), warning)
}

fn row(c: &FederatedCredential, findings: &[String]) -> Value {
    let strings = |v: &[String]| Value::List(v.iter().map(Value::string).collect());
    object([
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

    async fn read(&self, config: &Value, ctx: &Ctx) -> (Option<Value>, Diagnostics) {
        match audit(config, ctx).await {
            Ok((v, d)) => (Some(v), d),
            Err(d) => (None, d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_guid_application_id() {
        let v = |o: Option<&str>, c: Option<&str>| {
            object([
                (
                    "application_object_id",
                    o.map_or(Value::Null, Value::string),
                ),
                (
                    "application_client_id",
                    c.map_or(Value::Null, Value::string),
                ),
                ("credentials", Value::Unknown),
            ])
        };
        let g = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02";
        assert!(!validate(&v(Some(g), None)).has_errors());
        assert!(!validate(&v(None, Some(g))).has_errors());
        assert!(validate(&v(None, None)).has_errors());
        assert!(validate(&v(Some(g), Some(g))).has_errors());
        assert!(validate(&v(Some("nope"), None)).has_errors());
        assert_eq!(
            AuditRequestModel::from_value(&v(None, Some(g))).app(),
            Some(AppRef::ClientId(g.into()))
        );
    }

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
        let r = row(&c, &["f".to_string()]);
        assert_eq!(r.attr("description"), Some(&Value::Null));
        assert_eq!(
            r.attr("findings"),
            Some(&Value::List(vec![Value::string("f")]))
        );
    }
}
