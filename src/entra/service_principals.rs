//! Reading service principals from Microsoft Graph, for the live check of managed
//! identity principals: is a value the principal id of a user-assigned managed identity?
//!
//! Many values are answered at once ([`GraphClient::answer_principals`]): first by
//! object id, then, for the values no object has, by client id (`appId`), because the
//! most common mistake is a managed identity's client id where its principal id belongs.
//!
//! - Up to [`IN_FILTER_MAX`] values: `servicePrincipals?$filter=id in (…)`, one request,
//!   which `Application.Read.All` allows. Terraform plans at most `-parallelism` (10 by
//!   default) resources at once, so most batches are this size.
//! - More: `POST /directoryObjects/getByIds` (types `servicePrincipal`, up to
//!   [`GET_BY_IDS_MAX`] ids in one request). Graph documents it under
//!   `Directory.Read.All`; with only `Application.Read.All` it refuses (403) or returns
//!   the objects with `id` and `@odata.type` only. Either way the values it did not
//!   answer in full go through the `id in (…)` filter, and the caller is told not to
//!   try it again this run.
//!
//! Where the tenant is small enough, one listing answers a whole run: every managed
//! identity's service principal (`$filter=servicePrincipalType eq 'ManagedIdentity'`, at
//! most [`LISTING_PAGES`] pages of [`LISTING_PAGE`]), by principal id and by client id
//! ([`answers_from_listing`]); values not in it (an application's service principal, or
//! nothing) are asked as above.
//!
//! 403 on the filter (the sign-in lacks `Application.Read.All` or `Directory.Read.All`)
//! and every other failure stay errors for the caller to report as "not checked".

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::graph::{parse, GraphClient, GraphError, GraphErrorKind};
use super::ids::{ClientId, ObjectId};
use super::retry::Deadline;
use crate::rules::fic::{PrincipalFacts, PrincipalLookup};

/// The Graph application permissions that let the check read service principals.
pub const READ_PERMISSIONS: &str = "Application.Read.All or Directory.Read.All";

/// Values per `in (…)` filter: Graph's limit outside advanced queries.
pub const IN_FILTER_MAX: usize = 15;

/// Ids per `getByIds` request: Graph's limit.
pub const GET_BY_IDS_MAX: usize = 1000;

/// Service principals per page of the managed identity listing (Graph's largest `$top`).
pub const LISTING_PAGE: usize = 999;

/// Pages of the managed identity listing read at most: a tenant with more managed
/// identities is asked value by value (in batches) instead.
pub const LISTING_PAGES: usize = 2;

const SELECT: &str = "id,appId,displayName,servicePrincipalType,alternativeNames";

/// A service principal as Graph returns it (the selected properties).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// The object (principal) id.
    pub id: String,
    /// The client id.
    #[serde(default)]
    pub app_id: Option<String>,
    /// The display name; a managed identity's name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `Application`, `ManagedIdentity`, `Legacy`, `SocialIdp`; `None` when Graph
    /// returned the object with limited information.
    #[serde(default)]
    pub service_principal_type: Option<String>,
    /// `isExplicit=True|False` and the resource id, for managed identities.
    #[serde(default)]
    pub alternative_names: Option<Vec<String>>,
}

impl ServicePrincipal {
    /// The view the principal rule takes.
    pub fn facts(&self) -> PrincipalFacts<'_> {
        PrincipalFacts {
            id: &self.id,
            app_id: self.app_id.as_deref().unwrap_or(""),
            display_name: self.display_name.as_deref().unwrap_or(""),
            service_principal_type: self.service_principal_type.as_deref().unwrap_or(""),
            alternative_names: self.alternative_names.as_deref().unwrap_or(&[]),
        }
    }

    /// Whether Graph said enough to judge it (not the limited view `getByIds` gives a
    /// sign-in without `Directory.Read.All`).
    fn complete(&self) -> bool {
        self.service_principal_type.is_some()
    }
}

/// What Graph knows about one value, owned (kept for the run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalAnswer {
    /// A service principal with this object id.
    ById(Arc<ServicePrincipal>),
    /// No object with this id; a service principal with this client id.
    ByAppId(Arc<ServicePrincipal>),
    /// Neither.
    Nothing,
}

impl PrincipalAnswer {
    /// The view the principal rule takes.
    pub fn as_rule_input(&self) -> PrincipalLookup<'_> {
        match self {
            PrincipalAnswer::ById(sp) => PrincipalLookup::ById(sp.facts()),
            PrincipalAnswer::ByAppId(sp) => PrincipalLookup::ByAppId(sp.facts()),
            PrincipalAnswer::Nothing => PrincipalLookup::Nothing,
        }
    }
}

/// The answers for a set of values, and whether `getByIds` turned out to be of no use
/// to this sign-in (refused, or limited information only).
#[derive(Debug, Default)]
pub struct Answers {
    /// One answer per value asked.
    pub by_value: HashMap<ObjectId, PrincipalAnswer>,
    /// `getByIds` did not answer in full: do not try it again this run.
    pub get_by_ids_unusable: bool,
}

/// A property service principals are filtered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKey {
    /// The object id.
    Id,
    /// The client id.
    AppId,
}

impl PrincipalKey {
    fn property(self) -> &'static str {
        match self {
            PrincipalKey::Id => "id",
            PrincipalKey::AppId => "appId",
        }
    }
}

#[derive(Serialize)]
struct GetByIds<'a> {
    ids: Vec<&'a str>,
    types: [&'static str; 1],
}

#[derive(Deserialize)]
struct Collection {
    value: Vec<ServicePrincipal>,
}

/// `servicePrincipals?$filter={key} in ('…', …)&$select=…` (the quotes of an OData
/// string literal; GUIDs have none to escape).
fn filter_query(key: PrincipalKey, values: &[&str]) -> String {
    let list: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    let filter = format!("{} in ({})", key.property(), list.join(","));
    let encoded: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
    format!("servicePrincipals?$filter={encoded}&$select={SELECT}")
}

/// What a complete listing of the tenant's managed identities says: each listed
/// identity by its principal id, and by its client id (the mistake the check names).
pub fn answers_from_listing(listed: Vec<ServicePrincipal>) -> HashMap<ObjectId, PrincipalAnswer> {
    let mut out = HashMap::new();
    // Shared by both keys: a tenant's listing is kept for the run.
    for sp in listed
        .into_iter()
        .filter(ServicePrincipal::complete)
        .map(Arc::new)
    {
        if let Some(client) = sp.app_id.as_deref().and_then(ClientId::parse) {
            out.insert(client.as_object_id(), PrincipalAnswer::ByAppId(sp.clone()));
        }
        if let Some(id) = ObjectId::parse(&sp.id) {
            out.insert(id, PrincipalAnswer::ById(sp));
        }
    }
    out
}

impl GraphClient {
    /// Every managed identity's service principal in the tenant (user- and
    /// system-assigned), when they fit in [`LISTING_PAGES`] pages; `None` when there are
    /// more.
    pub async fn managed_identity_principals(
        &self,
        d: &Deadline,
    ) -> Result<Option<Vec<ServicePrincipal>>, GraphError> {
        let filter: String = url::form_urlencoded::byte_serialize(
            "servicePrincipalType eq 'ManagedIdentity'".as_bytes(),
        )
        .collect();
        let url = format!(
            "{}/servicePrincipals?$filter={filter}&$select={SELECT}&$top={LISTING_PAGE}",
            self.base
        );
        self.get_pages(url, LISTING_PAGES, d).await
    }

    /// Service principals whose `key` is one of `values` (at most [`IN_FILTER_MAX`]).
    pub async fn service_principals_where(
        &self,
        key: PrincipalKey,
        values: &[&str],
        d: &Deadline,
    ) -> Result<Vec<ServicePrincipal>, GraphError> {
        let url = format!("{}/{}", self.base, filter_query(key, values));
        self.get_all(url, d).await
    }

    /// `POST /directoryObjects/getByIds` for service principals (at most
    /// [`GET_BY_IDS_MAX`] ids); objects that do not exist are left out.
    pub async fn service_principals_by_ids(
        &self,
        ids: &[&str],
        d: &Deadline,
    ) -> Result<Vec<ServicePrincipal>, GraphError> {
        let url = format!("{}/directoryObjects/getByIds", self.base);
        let body = serde_json::to_vec(&GetByIds {
            ids: ids.to_vec(),
            types: ["servicePrincipal"],
        })
        .map_err(|e| GraphError::new(GraphErrorKind::BadRequest, e.to_string()))?;
        let answer = self
            .send(reqwest::Method::POST, &url, Some(body), d)
            .await?;
        parse::<Collection>(&answer).map(|c| c.value)
    }

    /// What Graph knows about each of `values`: by object id, then by client id for the
    /// values no service principal has as its id. `get_by_ids` allows `getByIds` for
    /// more than [`IN_FILTER_MAX`] values.
    pub async fn answer_principals(
        &self,
        values: &[ObjectId],
        get_by_ids: bool,
        d: &Deadline,
    ) -> Result<Answers, GraphError> {
        let mut answers = Answers::default();
        let mut by_id: HashMap<ObjectId, ServicePrincipal> = HashMap::new();
        let mut ask_by_filter: Vec<&ObjectId> = values.iter().collect();
        if get_by_ids && values.len() > IN_FILTER_MAX {
            let mut complete = Vec::new();
            let mut refused = false;
            for chunk in values.chunks(GET_BY_IDS_MAX) {
                let ids: Vec<&str> = chunk.iter().map(ObjectId::as_str).collect();
                match self.service_principals_by_ids(&ids, d).await {
                    Ok(found) => complete.extend(found),
                    Err(e) if e.kind == GraphErrorKind::Forbidden => {
                        refused = true;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            if !refused {
                // Absent means no service principal has the id; a limited object is
                // asked again through the filter.
                let limited: HashSet<ObjectId> = complete
                    .iter()
                    .filter(|sp| !sp.complete())
                    .filter_map(|sp| ObjectId::parse(&sp.id))
                    .collect();
                ask_by_filter.retain(|v| limited.contains(v));
                answers.get_by_ids_unusable = !limited.is_empty();
                for sp in complete.into_iter().filter(ServicePrincipal::complete) {
                    if let Some(id) = ObjectId::parse(&sp.id) {
                        by_id.insert(id, sp);
                    }
                }
            } else {
                answers.get_by_ids_unusable = true;
            }
        }
        for chunk in ask_by_filter.chunks(IN_FILTER_MAX) {
            let ids: Vec<&str> = chunk.iter().map(|v| v.as_str()).collect();
            for sp in self
                .service_principals_where(PrincipalKey::Id, &ids, d)
                .await?
            {
                if let Some(id) = ObjectId::parse(&sp.id) {
                    by_id.insert(id, sp);
                }
            }
        }
        let missing: Vec<&ObjectId> = values.iter().filter(|v| !by_id.contains_key(v)).collect();
        let mut by_app_id: HashMap<ClientId, ServicePrincipal> = HashMap::new();
        for chunk in missing.chunks(IN_FILTER_MAX) {
            let ids: Vec<&str> = chunk.iter().map(|v| v.as_str()).collect();
            for sp in self
                .service_principals_where(PrincipalKey::AppId, &ids, d)
                .await?
            {
                if let Some(app_id) = sp.app_id.as_deref().and_then(ClientId::parse) {
                    by_app_id.insert(app_id, sp);
                }
            }
        }
        for v in values {
            let answer = match by_id.remove(v) {
                Some(sp) => PrincipalAnswer::ById(Arc::new(sp)),
                None => match by_app_id.remove(&v.as_client_id()) {
                    Some(sp) => PrincipalAnswer::ByAppId(Arc::new(sp)),
                    None => PrincipalAnswer::Nothing,
                },
            };
            answers.by_value.insert(v.clone(), answer);
        }
        Ok(answers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_encoded_in_one_query_value() {
        let q = filter_query(PrincipalKey::AppId, &["b1", "b2"]);
        assert_eq!(
            q,
            "servicePrincipals?$filter=appId+in+%28%27b1%27%2C%27b2%27%29&$select=id,appId,displayName,servicePrincipalType,alternativeNames"
        );
    }

    #[test]
    fn a_listing_answers_by_principal_id_and_by_client_id() {
        let sp = |id: &str, app: &str| ServicePrincipal {
            id: id.into(),
            app_id: Some(app.into()),
            display_name: Some("mi".into()),
            service_principal_type: Some("ManagedIdentity".into()),
            alternative_names: Some(vec!["isExplicit=True".into()]),
        };
        let (p, c) = (
            "b0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1",
            "D0000001-2b3c-4d5e-8f90-a1b2c3d4e5f1",
        );
        let answers = answers_from_listing(vec![sp(p, c)]);
        let key = |s: &str| ObjectId::parse(s).unwrap();
        assert_eq!(
            answers.get(&key(p)),
            Some(&PrincipalAnswer::ById(Arc::new(sp(p, c))))
        );
        assert_eq!(
            answers.get(&key(c)),
            Some(&PrincipalAnswer::ByAppId(Arc::new(sp(p, c))))
        );
        assert_eq!(answers.len(), 2);
    }

    #[test]
    fn graph_shapes_parse() {
        let body = br#"{"@odata.context":"x","id":"b1","appId":"d1","displayName":"deploy","servicePrincipalType":"ManagedIdentity","alternativeNames":["isExplicit=True","/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/deploy"]}"#;
        let sp: ServicePrincipal = parse(body).unwrap();
        assert!(sp.facts().is_user_assigned());
        assert!(sp.complete());
        let app: ServicePrincipal = parse(br#"{"id":"b2","appId":"d2","servicePrincipalType":"Application","alternativeNames":[]}"#).unwrap();
        assert!(!app.facts().is_managed_identity());
        assert_eq!(
            PrincipalAnswer::ByAppId(Arc::new(app.clone())).as_rule_input(),
            PrincipalLookup::ByAppId(app.facts())
        );
        // getByIds without Directory.Read.All: id and type only, the rest null.
        let limited: Collection = parse(br##"{"value":[{"@odata.type":"#microsoft.graph.servicePrincipal","id":"b3","appId":null,"displayName":null,"servicePrincipalType":null,"alternativeNames":null}]}"##).unwrap();
        assert!(!limited.value[0].complete());
    }
}
