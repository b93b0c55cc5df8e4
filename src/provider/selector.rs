//! Which credentials a tenant read covers (SPEC §3b), for the audit data source and the
//! list resource alike: one application, every application that trusts one managed
//! identity ("which applications can this identity act as?"), or the whole tenant.

use super::model::{as_str, bool_attr, string_attr};
use crate::codec::{Type, Value};
use crate::entra::ids::{AppKey, ClientId, ObjectId};
use crate::framework::{AttrPath, Attribute, Diagnostics};
use crate::rules::{fic, guid, Input};

pub const APPLICATION_OBJECT_ID: &str = "application_object_id";
pub const APPLICATION_CLIENT_ID: &str = "application_client_id";
pub const MANAGED_IDENTITY_PRINCIPAL_ID: &str = "managed_identity_principal_id";
pub const ALL_ISSUERS: &str = "all_issuers";

/// The selector attributes, as a data source or a list block declares them.
pub fn attributes() -> Vec<Attribute> {
    vec![
        Attribute::string(APPLICATION_OBJECT_ID).optional().describe("One application, by object id (GUID)."),
        Attribute::string(APPLICATION_CLIENT_ID).optional().describe("One application, by client id (`appId`, GUID)."),
        Attribute::string(MANAGED_IDENTITY_PRINCIPAL_ID).optional().describe("Every credential in the tenant whose subject is this managed identity's principal (object) id under an Entra issuer: which applications can this identity act as?"),
        Attribute::new(ALL_ISSUERS, Type::Bool).optional().describe("Tenant-wide only (no other selector): also credentials whose issuer is not Entra's (GitHub, Kubernetes, ...). Default `false`."),
    ]
}

/// What was selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// One application's credentials, whatever their issuer.
    Application(AppKey),
    /// Credentials of any application whose subject is this principal id under an Entra
    /// issuer.
    TrustingIdentity(ObjectId),
    /// Every application's credentials with an Entra issuer, or with any issuer.
    Tenant { all_issuers: bool },
}

/// The selector attributes of a configuration, typed.
#[derive(Debug, Clone)]
pub struct SelectorModel {
    pub application_object_id: Input<String>,
    pub application_client_id: Input<String>,
    pub managed_identity_principal_id: Input<String>,
    pub all_issuers: Input<bool>,
}

impl SelectorModel {
    pub fn from_value(v: &Value) -> SelectorModel {
        SelectorModel {
            application_object_id: string_attr(v, APPLICATION_OBJECT_ID),
            application_client_id: string_attr(v, APPLICATION_CLIENT_ID),
            managed_identity_principal_id: string_attr(v, MANAGED_IDENTITY_PRINCIPAL_ID),
            all_issuers: bool_attr(v, ALL_ISSUERS),
        }
    }

    /// At most one selector, each id a GUID, `all_issuers` only tenant-wide.
    pub fn validate(&self) -> Diagnostics {
        let app = (
            as_str(&self.application_object_id),
            as_str(&self.application_client_id),
        );
        let principal = as_str(&self.managed_identity_principal_id);
        let mut d = Diagnostics::new();
        if app.0.is_set() || app.1.is_set() {
            d.0.extend(
                fic::check_one_application_id(&app.0, &app.1)
                    .into_iter()
                    .map(Into::into),
            );
        }
        if let Input::Known(p) = principal {
            d.0.extend(
                guid::check(
                    MANAGED_IDENTITY_PRINCIPAL_ID,
                    p,
                    "the managed identity's principal (object) id",
                )
                .into_iter()
                .map(Into::into),
            );
        }
        let application = app.0.is_set() || app.1.is_set();
        if application && principal.is_set() {
            d.error_at(
                AttrPath::attr(MANAGED_IDENTITY_PRINCIPAL_ID),
                "Choose one selector",
                "Set an application (application_object_id or application_client_id), or managed_identity_principal_id, or neither for the whole tenant; not both.",
            );
        }
        if matches!(self.all_issuers, Input::Known(true)) && (application || principal.is_set()) {
            d.error_at(
                AttrPath::attr(ALL_ISSUERS),
                "all_issuers is for the whole tenant",
                "One application's credentials are listed whatever their issuer, and a managed identity can only use credentials with an Entra issuer: remove all_issuers, or the other selector.",
            );
        }
        d
    }

    /// The selection, once the configuration is valid (each id a GUID) and known.
    pub fn selector(&self) -> Option<Selector> {
        if !self.validate().is_empty() {
            return None;
        }
        Some(
            match (
                &self.application_object_id,
                &self.application_client_id,
                &self.managed_identity_principal_id,
            ) {
                (Input::Known(o), _, _) => {
                    Selector::Application(AppKey::Object(ObjectId::parse(o)?))
                }
                (_, Input::Known(c), _) => {
                    Selector::Application(AppKey::Client(ClientId::parse(c)?))
                }
                (_, _, Input::Known(p)) => Selector::TrustingIdentity(ObjectId::parse(p)?),
                (Input::Null, Input::Null, Input::Null) => Selector::Tenant {
                    all_issuers: matches!(self.all_issuers, Input::Known(true)),
                },
                _ => return None, // unknown
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::model::object;

    const A: &str = "0a1d7c3e-1f2a-4b5c-8d9e-0f1a2b3c4d02";

    fn id(s: &str) -> ObjectId {
        ObjectId::parse(s).unwrap()
    }

    fn model(
        app: Option<&str>,
        client: Option<&str>,
        principal: Option<&str>,
        all: Option<bool>,
    ) -> SelectorModel {
        let s = |v: Option<&str>| v.map_or(Value::Null, Value::string);
        SelectorModel::from_value(&object([
            (APPLICATION_OBJECT_ID, s(app)),
            (APPLICATION_CLIENT_ID, s(client)),
            (MANAGED_IDENTITY_PRINCIPAL_ID, s(principal)),
            (ALL_ISSUERS, all.map_or(Value::Null, Value::Bool)),
        ]))
    }

    #[test]
    fn one_selector_or_none() {
        let upper = A.to_ascii_uppercase();
        let cases = [
            (
                model(None, None, None, None),
                Some(Selector::Tenant { all_issuers: false }),
            ),
            (
                model(None, None, None, Some(true)),
                Some(Selector::Tenant { all_issuers: true }),
            ),
            (
                model(Some(&upper), None, None, None),
                Some(Selector::Application(AppKey::Object(id(A)))),
            ),
            (
                model(None, Some(&upper), None, None),
                Some(Selector::Application(AppKey::Client(id(A).as_client_id()))),
            ),
            (
                model(None, None, Some(&upper), Some(false)),
                Some(Selector::TrustingIdentity(id(A))),
            ),
            (model(Some(A), None, Some(A), None), None),
            (model(Some(A), Some(A), None, None), None),
            (model(None, None, Some(A), Some(true)), None),
            (model(None, None, Some("x"), None), None),
        ];
        for (m, want) in cases {
            assert_eq!(m.selector(), want, "{m:?}: {:?}", m.validate());
            assert_eq!(m.validate().has_errors(), want.is_none(), "{m:?}");
        }
    }
}
