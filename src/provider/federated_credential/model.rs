//! `FicModel`: one credential as Terraform sees it (configuration, plan or state), and
//! its conversions to Graph's wire shapes and to the rules' input.

use std::time::Duration;

use super::attrs::*;
use super::id::resource_id;
use crate::cloud::Cloud;
use crate::codec::Value;
use crate::entra::graph::{FederatedCredential, NewCredential};
use crate::entra::ids::{ClientId, ObjectId};
use crate::provider::model::{
    as_str, as_str_list, known_strings, object, string_attr, string_list_attr, string_list_value,
    string_value,
};
use crate::rules::{self, fic, guid, Input};

/// The resource's attributes, typed. Decoded once from a Terraform value with
/// [`FicModel::from_value`] and encoded back with [`FicModel::to_value`].
#[derive(Debug, Clone, PartialEq)]
pub struct FicModel {
    pub application_object_id: Input<String>,
    pub application_client_id: Input<String>,
    pub name: Input<String>,
    pub managed_identity_principal_id: Input<String>,
    pub subject: Input<String>,
    pub issuer: Input<String>,
    pub audiences: Input<Vec<Input<String>>>,
    pub description: Input<String>,
    pub credential_id: Input<String>,
    pub id: Input<String>,
    /// The `timeouts` block; `None` when absent.
    pub timeouts: Option<Timeouts>,
}

/// The `timeouts` block: durations like `5m`, per operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeouts {
    pub create: Input<String>,
    pub read: Input<String>,
    pub update: Input<String>,
    pub delete: Input<String>,
}

/// The operations a `timeouts` block configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::Create,
        Operation::Read,
        Operation::Update,
        Operation::Delete,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }

    /// azuread's defaults: create waits for replication, so it gets longer.
    pub fn default_timeout(self) -> Duration {
        match self {
            Operation::Create => Duration::from_secs(15 * 60),
            _ => Duration::from_secs(5 * 60),
        }
    }
}

impl Timeouts {
    /// The block as stored; `None` when absent (null).
    pub(super) fn from_value(v: &Value) -> Option<Timeouts> {
        if v.is_null() {
            return None;
        }
        Some(Timeouts {
            create: string_attr(v, "create"),
            read: string_attr(v, "read"),
            update: string_attr(v, "update"),
            delete: string_attr(v, "delete"),
        })
    }

    fn to_value(&self) -> Value {
        object([
            ("create", string_value(&self.create)),
            ("read", string_value(&self.read)),
            ("update", string_value(&self.update)),
            ("delete", string_value(&self.delete)),
        ])
    }

    /// The configured text for `op`.
    pub fn get(&self, op: Operation) -> &Input<String> {
        match op {
            Operation::Create => &self.create,
            Operation::Read => &self.read,
            Operation::Update => &self.update,
            Operation::Delete => &self.delete,
        }
    }
}

/// An application by both its ids, as stored in state (lower case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppIds {
    pub object_id: String,
    /// Empty when it could not be resolved (it is filled in by a later read).
    pub client_id: String,
}

impl AppIds {
    /// The ids of an application as Graph answered them, in state's text: the typed ids'
    /// (lower case). Graph's ids are GUIDs; any other text is kept, lower-cased alike.
    pub fn from_graph(object_id: &str, client_id: &str) -> AppIds {
        fn recorded(id: Option<impl std::fmt::Display>, text: &str) -> String {
            id.map_or_else(|| text.to_ascii_lowercase(), |id| id.to_string())
        }
        AppIds {
            object_id: recorded(ObjectId::parse(object_id), object_id),
            client_id: recorded(ClientId::parse(client_id), client_id),
        }
    }
}

impl FicModel {
    /// Decodes a configuration, plan or state object.
    pub fn from_value(v: &Value) -> FicModel {
        FicModel {
            application_object_id: string_attr(v, APPLICATION_OBJECT_ID),
            application_client_id: string_attr(v, APPLICATION_CLIENT_ID),
            name: string_attr(v, NAME),
            managed_identity_principal_id: string_attr(v, MANAGED_IDENTITY_PRINCIPAL_ID),
            subject: string_attr(v, SUBJECT),
            issuer: string_attr(v, ISSUER),
            audiences: string_list_attr(v, AUDIENCES),
            description: string_attr(v, DESCRIPTION),
            credential_id: string_attr(v, CREDENTIAL_ID),
            id: string_attr(v, ID),
            timeouts: v.attr(TIMEOUTS).and_then(Timeouts::from_value),
        }
    }

    /// Encodes every attribute of the schema.
    pub fn to_value(&self) -> Value {
        object([
            (
                APPLICATION_OBJECT_ID,
                string_value(&self.application_object_id),
            ),
            (
                APPLICATION_CLIENT_ID,
                string_value(&self.application_client_id),
            ),
            (NAME, string_value(&self.name)),
            (
                MANAGED_IDENTITY_PRINCIPAL_ID,
                string_value(&self.managed_identity_principal_id),
            ),
            (SUBJECT, string_value(&self.subject)),
            (ISSUER, string_value(&self.issuer)),
            (AUDIENCES, string_list_value(&self.audiences)),
            (DESCRIPTION, string_value(&self.description)),
            (CREDENTIAL_ID, string_value(&self.credential_id)),
            (ID, string_value(&self.id)),
            (
                TIMEOUTS,
                self.timeouts
                    .as_ref()
                    .map_or(Value::Null, Timeouts::to_value),
            ),
        ])
    }

    /// The resource identity (see [`super::identity_schema`]): known once the application
    /// and the name are; unknown parts stay unknown (allowed on create and replace).
    pub fn identity(&self) -> Value {
        object([
            (
                APPLICATION_OBJECT_ID,
                string_value(&self.application_object_id),
            ),
            (NAME, string_value(&self.name)),
        ])
    }

    /// The configuration a person would write for this stored credential (SPEC §3c): the
    /// application by object id, the name, the principal id for a managed identity's
    /// subject (else the subject), and issuer, audiences and description only where they
    /// differ from the defaults of `cloud` (whose issuer needs `tenant`).
    pub fn generated_config(&self, cloud: Cloud, tenant: Option<&str>) -> FicModel {
        let default_issuer = tenant.map(|t| cloud.entra_issuer(t));
        let issuer = match (&self.issuer, &default_issuer) {
            (Input::Known(i), Some(d)) if i == d => Input::Null,
            (i, _) => i.clone(),
        };
        let default_audiences = [cloud.token_exchange_audience().to_string()];
        let audiences = if known_strings(&self.audiences) == default_audiences {
            Input::Null
        } else {
            self.audiences.clone()
        };
        FicModel {
            issuer,
            audiences,
            ..self.generated_config_keeping_defaults()
        }
    }

    /// [`FicModel::generated_config`] with issuer and audiences always written out: what
    /// is generated when the provider's cloud and tenant are not known.
    pub fn generated_config_keeping_defaults(&self) -> FicModel {
        let principal = self.managed_identity_principal_id.clone();
        FicModel {
            application_object_id: self.application_object_id.clone(),
            application_client_id: Input::Null,
            name: self.name.clone(),
            subject: if principal.is_set() {
                Input::Null
            } else {
                self.subject.clone()
            },
            managed_identity_principal_id: principal,
            issuer: self.issuer.clone(),
            audiences: self.audiences.clone(),
            description: self.description.clone(),
            credential_id: Input::Null,
            id: Input::Null,
            timeouts: None,
        }
    }

    /// The state for credential `c` of application `app`. The principal id is kept as
    /// configured (`principal`), so a drifted subject shows as going back to it.
    pub fn from_graph(
        app: &AppIds,
        c: &FederatedCredential,
        principal: Input<String>,
        timeouts: Option<Timeouts>,
    ) -> FicModel {
        FicModel {
            application_object_id: Input::Known(app.object_id.clone()),
            application_client_id: Input::Known(app.client_id.clone()),
            name: Input::Known(c.name.clone()),
            managed_identity_principal_id: match principal {
                Input::Known(p) => Input::Known(p),
                _ => Input::Null,
            },
            subject: Input::Known(c.subject.clone()),
            issuer: Input::Known(c.issuer.clone()),
            audiences: Input::Known(c.audiences.iter().cloned().map(Input::Known).collect()),
            description: match c.description.as_deref() {
                Some(d) if !d.is_empty() => Input::Known(d.to_string()),
                _ => Input::Null,
            },
            credential_id: Input::Known(c.id.clone()),
            id: Input::Known(resource_id(&app.object_id, &c.id)),
            timeouts,
        }
    }

    /// The state for credential `c` of application `app`, keeping this model's principal
    /// id and timeouts (what the configuration or the prior state said).
    pub fn with_credential(&self, app: &AppIds, c: &FederatedCredential) -> FicModel {
        FicModel::from_graph(
            app,
            c,
            self.managed_identity_principal_id.clone(),
            self.timeouts.clone(),
        )
    }

    /// The application of a stored credential, its client id empty when not recorded.
    pub fn stored_app(&self) -> Option<AppIds> {
        Some(AppIds {
            object_id: self.application_object_id.known()?.clone(),
            client_id: self
                .application_client_id
                .known()
                .cloned()
                .unwrap_or_default(),
        })
    }

    /// The principal id an imported credential had: a GUID subject under the Entra v2
    /// issuer is a managed identity's principal id. Under a mistaken issuer (v1, trailing
    /// slash) the subject stays the subject, so the configuration generated for it is
    /// valid as written and the mistake is reported as a warning instead.
    pub fn imported_principal(c: &FederatedCredential) -> Input<String> {
        if guid::is_guid(&c.subject) && fic::is_identity_issuer(&c.issuer) {
            Input::Known(c.subject.clone())
        } else {
            Input::Null
        }
    }

    /// What the rules check, borrowed from this model.
    pub fn rules_input(&self, cloud: Option<Cloud>) -> fic::FicInput<'_> {
        fic::FicInput {
            application_object_id: as_str(&self.application_object_id),
            application_client_id: as_str(&self.application_client_id),
            name: as_str(&self.name),
            managed_identity_principal_id: as_str(&self.managed_identity_principal_id),
            subject: as_str(&self.subject),
            issuer: as_str(&self.issuer),
            audiences: as_str_list(&self.audiences),
            description: as_str(&self.description),
            cloud,
        }
    }

    /// The credential Graph should hold (the POST body). Unknown parts are empty.
    pub fn desired(&self) -> NewCredential {
        let text = |f: &Input<String>| f.known().cloned().unwrap_or_default();
        NewCredential {
            name: text(&self.name),
            issuer: text(&self.issuer),
            subject: text(&self.subject),
            audiences: known_strings(&self.audiences),
            description: self.description.known().cloned(),
        }
    }

    /// The application and credential ids of a stored credential, when both are known.
    pub fn stored_ids(&self) -> Option<(&str, &str)> {
        Some((
            self.application_object_id.known()?.as_str(),
            self.credential_id.known()?.as_str(),
        ))
    }

    /// How long `op` may take: the `timeouts` block, else azuread's default.
    pub fn timeout(&self, op: Operation) -> Duration {
        self.timeouts
            .as_ref()
            .and_then(|t| t.get(op).known())
            .and_then(|s| rules::duration::parse(s).ok())
            .unwrap_or(op.default_timeout())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> FicModel {
        FicModel {
            application_object_id: Input::Known("a".into()),
            application_client_id: Input::Known("c".into()),
            name: Input::Known("deploy".into()),
            managed_identity_principal_id: Input::Null,
            subject: Input::Unknown,
            issuer: Input::Known("https://login.microsoftonline.com/t/v2.0".into()),
            audiences: Input::Known(vec![Input::Known("api://AzureADTokenExchange".into())]),
            description: Input::Null,
            credential_id: Input::Unknown,
            id: Input::Unknown,
            timeouts: Some(Timeouts {
                create: Input::Known("30s".into()),
                read: Input::Null,
                update: Input::Null,
                delete: Input::Null,
            }),
        }
    }

    #[test]
    fn value_round_trip_keeps_null_unknown_and_known() {
        let m = state();
        assert_eq!(FicModel::from_value(&m.to_value()), m);
        let no_timeouts = FicModel {
            timeouts: None,
            ..state()
        };
        assert_eq!(FicModel::from_value(&no_timeouts.to_value()).timeouts, None);
    }

    /// The model's value has the schema's type exactly: it crosses the wire (msgpack,
    /// typed by the schema) and comes back as the same model. A value of another shape
    /// is refused by the same encoding.
    #[test]
    fn values_fit_the_schema_and_survive_the_wire() {
        use crate::codec::msgpack;
        let ty = super::super::schema::schema().object_type();
        let no_timeouts = FicModel {
            timeouts: None,
            ..state()
        };
        for m in [state(), no_timeouts] {
            let wire = msgpack::encode(&m.to_value(), &ty).expect("the value fits the schema");
            let back = msgpack::decode(&wire, &ty).expect("it decodes");
            assert_eq!(FicModel::from_value(&back), m);
        }
        let other = crate::codec::Type::object([("name", crate::codec::Type::String)]);
        let refused = msgpack::encode(&state().to_value(), &other).unwrap_err();
        assert!(
            refused.message.contains("application_client_id"),
            "names an attribute the other type lacks: {refused:?}"
        );
    }

    #[test]
    fn timeouts_fall_back_to_defaults() {
        let m = state();
        assert_eq!(m.timeout(Operation::Create), Duration::from_secs(30));
        assert_eq!(m.timeout(Operation::Delete), Duration::from_secs(300));
        let none = FicModel {
            timeouts: None,
            ..state()
        };
        assert_eq!(none.timeout(Operation::Create), Duration::from_secs(900));
    }

    #[test]
    fn graph_ids_recorded_in_lower_case() {
        const OBJECT: &str = "0A1D7C3E-1F2A-4B5C-8D9E-0F1A2B3C4D01";
        const CLIENT: &str = "c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02";
        // (Graph's object id, Graph's client id, state's object id, state's client id)
        let cases = [
            (OBJECT, CLIENT, &OBJECT.to_ascii_lowercase()[..], CLIENT),
            (CLIENT, OBJECT, CLIENT, &OBJECT.to_ascii_lowercase()[..]),
            ("Not-A-Guid", "", "not-a-guid", ""),
        ];
        for (object_id, client_id, want_object, want_client) in cases {
            let ids = AppIds::from_graph(object_id, client_id);
            assert_eq!(
                (ids.object_id.as_str(), ids.client_id.as_str()),
                (want_object, want_client),
                "{object_id} {client_id}"
            );
        }
    }

    #[test]
    fn state_from_graph_keeps_principal_only_when_known() {
        let c = FederatedCredential {
            id: "id1".into(),
            name: "deploy".into(),
            issuer: "https://login.microsoftonline.com/t/v2.0".into(),
            subject: "s".into(),
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: Some(String::new()),
        };
        let app = AppIds {
            object_id: "a".into(),
            client_id: "c".into(),
        };
        let m = FicModel::from_graph(&app, &c, Input::Unknown, None);
        assert_eq!(m.managed_identity_principal_id, Input::Null);
        assert_eq!(m.description, Input::Null, "empty description is null");
        assert_eq!(
            m.id,
            Input::Known("a/federatedIdentityCredentials/id1".into())
        );
        assert!(m.desired().audiences == c.audiences);
    }
}
