//! Reading service principals from Microsoft Graph, for the live identity check: is a
//! value the principal id of a user-assigned managed identity?
//!
//! `GET /servicePrincipals/{id}` first; only when that finds nothing, the value is looked
//! up as a client id (`servicePrincipals(appId='…')`), because the most common mistake
//! is a managed identity's client id where its principal id belongs. 404 means "no such
//! object"; 403 (the sign-in lacks `Application.Read.All` or `Directory.Read.All`) and
//! every other failure stay errors for the caller to report as "not checked".

use serde::Deserialize;

use super::graph::{odata_key, parse, path_segment, GraphClient, GraphError};
use super::retry::Deadline;
use crate::rules::fic::{IdentityLookup, PrincipalFacts};

/// The Graph application permissions that let the check read service principals.
pub const READ_PERMISSIONS: &str = "Application.Read.All or Directory.Read.All";

const SELECT: &str = "$select=id,appId,displayName,servicePrincipalType,alternativeNames";

/// A service principal as Graph returns it (the selected properties).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// The object (principal) id.
    pub id: String,
    /// The client id.
    #[serde(default)]
    pub app_id: String,
    /// The display name; a managed identity's name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `Application`, `ManagedIdentity`, `Legacy`, `SocialIdp`.
    #[serde(default)]
    pub service_principal_type: Option<String>,
    /// `isExplicit=True|False` and the resource id, for managed identities.
    #[serde(default)]
    pub alternative_names: Vec<String>,
}

impl ServicePrincipal {
    /// The view the identity rule takes.
    pub fn facts(&self) -> PrincipalFacts<'_> {
        PrincipalFacts {
            id: &self.id,
            app_id: &self.app_id,
            display_name: self.display_name.as_deref().unwrap_or(""),
            service_principal_type: self.service_principal_type.as_deref().unwrap_or(""),
            alternative_names: &self.alternative_names,
        }
    }
}

/// What Graph knows about a value, owned (cached per run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalLookup {
    /// A service principal with this object id.
    ById(ServicePrincipal),
    /// No object with this id; a service principal with this client id.
    ByAppId(ServicePrincipal),
    /// Neither.
    Nothing,
}

impl PrincipalLookup {
    /// The view the identity rule takes.
    pub fn as_rule_input(&self) -> IdentityLookup<'_> {
        match self {
            PrincipalLookup::ById(sp) => IdentityLookup::ById(sp.facts()),
            PrincipalLookup::ByAppId(sp) => IdentityLookup::ByAppId(sp.facts()),
            PrincipalLookup::Nothing => IdentityLookup::Nothing,
        }
    }
}

impl GraphClient {
    /// By object id, then (only if nothing has that id) by client id.
    pub async fn lookup_principal(
        &self,
        value: &str,
        d: &Deadline,
    ) -> Result<PrincipalLookup, GraphError> {
        let by_id = format!("servicePrincipals/{}", path_segment(value));
        if let Some(sp) = self.read_principal(&by_id, d).await? {
            return Ok(PrincipalLookup::ById(sp));
        }
        let by_app_id = format!("servicePrincipals(appId='{}')", odata_key(value));
        Ok(match self.read_principal(&by_app_id, d).await? {
            Some(sp) => PrincipalLookup::ByAppId(sp),
            None => PrincipalLookup::Nothing,
        })
    }

    /// The service principal at `path` (under Graph's base); `None` on 404.
    async fn read_principal(
        &self,
        path: &str,
        d: &Deadline,
    ) -> Result<Option<ServicePrincipal>, GraphError> {
        let url = format!("{}/{path}?{SELECT}", self.base);
        match self.send(reqwest::Method::GET, &url, None, d).await {
            Ok(body) => parse(&body).map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_in_their_segment_and_key() {
        assert_eq!(path_segment("b0000001-2b3c"), "b0000001-2b3c");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(odata_key("a'b"), "a%27%27b");
    }

    #[test]
    fn graph_shapes_parse() {
        let body = br#"{"@odata.context":"x","id":"b1","appId":"d1","displayName":"deploy","servicePrincipalType":"ManagedIdentity","alternativeNames":["isExplicit=True","/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/deploy"]}"#;
        let sp: ServicePrincipal = parse(body).unwrap();
        assert!(sp.facts().is_user_assigned());
        let app: ServicePrincipal = parse(br#"{"id":"b2","appId":"d2","servicePrincipalType":"Application","alternativeNames":[]}"#).unwrap();
        assert!(!app.facts().is_managed_identity());
        assert_eq!(
            PrincipalLookup::ByAppId(app.clone()).as_rule_input(),
            IdentityLookup::ByAppId(app.facts())
        );
    }
}
