//! `entra_mi_access_token`, as a data source and as an ephemeral resource: the app's
//! access token obtained through the managed identity's federated trust (managed identity
//! token -> client assertion -> the app's token).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::client::EntraClient;
use super::model::{as_str, as_str_list, known_strings, string_attr, string_list_attr};
use super::pending_trusts::KnownApp;
use crate::codec::{Type, Value};
use crate::entra::exchange::{ExchangeRequest, FicLookup, LookupError};
use crate::entra::graph::{AppRef, FederatedCredential, GraphErrorKind};
use crate::entra::managed_identity::ManagedIdentityId;
use crate::entra::retry::Deadline;
use crate::entra::{jwt, AccessToken};
use crate::framework::{
    AttrPath, Attribute, Block, Ctx, DataSource, Declaration, Diagnostics, EphemeralResource,
    OpenRequest, OpenResponse, Opened, ReadDataRequest, ReadDataResponse, Schema,
};
use crate::rules::{self, token, Input};

pub const TYPE_NAME: &str = "entra_mi_access_token";

/// The claims exposed in `claims`: identifying, never secret.
const CLAIMS: &[&str] = &["aud", "iss", "tid", "oid", "appid", "azp", "roles", "exp"];

pub fn schema(ephemeral: bool) -> Schema {
    let what = if ephemeral {
        "The app's access token obtained through the managed identity's federated trust (managed identity token -> client assertion -> app token). As an ephemeral resource (Terraform >= 1.10) the token is never written to state or plan files: prefer this over the data source."
    } else {
        "The app's access token obtained through the managed identity's federated trust (managed identity token -> client assertion -> app token). **The data source stores the token in the state file**; prefer the ephemeral resource of the same name (Terraform >= 1.10)."
    };
    Schema::new(
        0,
        Block::new(what)
            .attribute(Attribute::string("client_id").required().describe("The application (client) id (GUID) of the app that trusts the managed identity."))
            .attribute(Attribute::string("tenant_id").optional().describe("The resource tenant (GUID or domain name); may differ from the home tenant for multi-tenant apps. Defaults to the provider's `tenant_id`."))
            .attribute(Attribute::new("scopes", Type::list(Type::String)).required().describe("At least one scope, each `{resource}/.default` (the client credentials flow), e.g. `https://graph.microsoft.com/.default`."))
            .attribute(Attribute::string("managed_identity_client_id").optional().describe("The user-assigned managed identity's client id (GUID). Defaults to the provider's `msi_client_id`."))
            .attribute(Attribute::string("token_exchange_audience").optional().describe("The audience of the managed identity token. Defaults to the cloud's exchange audience (`api://AzureADTokenExchange` in the public cloud)."))
            .attribute(Attribute::string("propagation_timeout").optional().describe("How long to keep retrying while a matching federated credential propagates (AADSTS70021/700211/700212/700213), as a duration like `5m`. Defaults to `5m`."))
            .attribute(Attribute::string("access_token").computed().sensitive().describe("The app's access token."))
            .attribute(Attribute::string("expires_on").computed().describe("When the token expires, RFC 3339."))
            .attribute(Attribute::string("token_type").computed().describe("`Bearer`."))
            .attribute(Attribute::new("claims", Type::map(Type::String)).computed().describe("The token's non-secret claims: `aud`, `iss`, `tid`, `oid`, `appid`, `azp`, `roles` (comma-joined) and `exp`.")),
    )
}

/// The configuration's attributes, typed (the computed ones are produced by [`with_token`]).
#[derive(Debug, Clone)]
struct TokenRequestModel {
    client_id: Input<String>,
    tenant_id: Input<String>,
    scopes: Input<Vec<Input<String>>>,
    managed_identity_client_id: Input<String>,
    token_exchange_audience: Input<String>,
    propagation_timeout: Input<String>,
}

impl TokenRequestModel {
    fn from_value(v: &Value) -> TokenRequestModel {
        TokenRequestModel {
            client_id: string_attr(v, "client_id"),
            tenant_id: string_attr(v, "tenant_id"),
            scopes: string_list_attr(v, "scopes"),
            managed_identity_client_id: string_attr(v, "managed_identity_client_id"),
            token_exchange_audience: string_attr(v, "token_exchange_audience"),
            propagation_timeout: string_attr(v, "propagation_timeout"),
        }
    }

    fn rules_input(&self, cloud: Option<crate::cloud::Cloud>) -> token::TokenRequestInput<'_> {
        token::TokenRequestInput {
            client_id: as_str(&self.client_id),
            tenant_id: as_str(&self.tenant_id),
            scopes: as_str_list(&self.scopes),
            managed_identity_client_id: as_str(&self.managed_identity_client_id),
            token_exchange_audience: as_str(&self.token_exchange_audience),
            cloud,
        }
    }
}

fn validate(config: &Value, ctx: &Ctx) -> Diagnostics {
    let model = TokenRequestModel::from_value(config);
    let cloud = EntraClient::explicit_cloud(ctx);
    let mut d = Diagnostics::from(token::check_config(&model.rules_input(cloud)));
    if let Some(Err(e)) = model
        .propagation_timeout
        .known()
        .map(|s| rules::duration::parse(s))
    {
        d.error_at(
            AttrPath::attr("propagation_timeout"),
            "propagation_timeout must be a duration",
            e,
        );
    }
    d
}

/// Graph-side lookup of the app's credentials, through the provider's sign-in. The
/// exchange asks for it only when no credential matched (AADSTS70021/700211/700212/700213).
struct GraphLookup {
    client: Arc<EntraClient>,
    asked: AtomicBool,
}

#[async_trait]
impl FicLookup for GraphLookup {
    async fn credentials(
        &self,
        client_id: &str,
        d: &Deadline,
    ) -> Result<Vec<FederatedCredential>, LookupError> {
        self.asked.store(true, Ordering::SeqCst);
        // No sign-in method, or one Entra refuses: waiting changes nothing.
        let g = self
            .client
            .graph()
            .await
            .map_err(LookupError::SignInRefused)?;
        g.list_credentials(&AppRef::ClientId(client_id.to_string()), d)
            .await
            .map_err(|e| match e.kind {
                GraphErrorKind::SignIn => LookupError::SignInRefused(e.to_string()),
                _ => LookupError::Unreadable(e.meaning()),
            })
    }
}

/// How long a failed exchange may spend finding out whether this run plans the missing
/// credential (one Graph read of the application, shared with the run's other reads).
const PENDING_LOOKUP_TIME: Duration = Duration::from_secs(10);

/// Runs the exchange for a configuration and returns the full object.
async fn obtain(config: &Value, ctx: &Ctx) -> Result<Value, Diagnostics> {
    let client = EntraClient::from_ctx(ctx)?;
    let model = TokenRequestModel::from_value(config);
    let client_id = model.client_id.known().cloned().unwrap_or_default();
    let tenant = model.tenant_id.known().cloned().or_else(|| client.tenant()).ok_or_else(|| {
        Diagnostics::from_error(
            "No tenant for the token exchange",
            "Set tenant_id on the data source, or the provider's `tenant_id` (or ARM_TENANT_ID / AZURE_TENANT_ID).",
        )
    })?;
    let identity = match model
        .managed_identity_client_id
        .known()
        .map(String::as_str)
        .or(client.settings.msi_client_id.as_deref())
    {
        Some(id) => ManagedIdentityId::ClientId(id.to_string()),
        None => ManagedIdentityId::Default,
    };
    // A credential this run creates only at apply cannot propagate while plan waits.
    let asked = KnownApp::by_client_id(&client_id);
    let pending = !client.pending_trusts.for_app(&asked).is_empty();
    let propagation_timeout = match model.propagation_timeout.known() {
        _ if pending => Duration::ZERO,
        Some(s) => rules::duration::parse(s).unwrap_or(DEFAULT_PROPAGATION),
        None => DEFAULT_PROPAGATION,
    };
    let req = ExchangeRequest {
        authority_host: client.settings.authority_host.clone(),
        tenant,
        client_id,
        scopes: known_strings(&model.scopes),
        identity,
        exchange_audience: model
            .token_exchange_audience
            .known()
            .cloned()
            .unwrap_or_else(|| client.cloud().token_exchange_audience().to_string()),
        propagation_timeout,
    };
    let lookup = GraphLookup {
        client: client.clone(),
        asked: AtomicBool::new(false),
    };
    let token = client
        .exchange
        .access_token(&req, Some(&lookup), &req.deadline(ctx.cancel.clone()))
        .await;
    match token {
        Ok(token) => Ok(with_token(config, &token)),
        Err(e) => {
            let no_match = lookup.asked.load(Ordering::SeqCst);
            let planned = match no_match {
                true => planned_here(&client, &req.client_id, ctx).await,
                false => Vec::new(),
            };
            Err(failure(&req.client_id, &planned, e))
        }
    }
}

const DEFAULT_PROPAGATION: Duration = Duration::from_secs(300);

/// The credentials this run plans, and has not created, on the application with
/// `client_id`: by client id, else (when some are planned by object id) through one Graph
/// read of the application.
async fn planned_here(client: &EntraClient, client_id: &str, ctx: &Ctx) -> Vec<String> {
    let names = client
        .pending_trusts
        .for_app(&KnownApp::by_client_id(client_id));
    if !names.is_empty() || client.pending_trusts.is_empty() {
        return names;
    }
    let Ok(g) = client.graph().await else {
        return names;
    };
    let d = Deadline::after(PENDING_LOOKUP_TIME, ctx.cancel.clone());
    match client
        .application(&g, &AppRef::ClientId(client_id.to_string()), &d)
        .await
    {
        Ok(app) => client
            .pending_trusts
            .for_app(&KnownApp::parse(&app.id, &app.app_id)),
        Err(_) => names,
    }
}

/// The diagnostic of a failed exchange; when this run plans a credential for the
/// application (which only apply creates), that comes first, with the fix.
fn failure(client_id: &str, planned: &[String], entra: String) -> Diagnostics {
    if planned.is_empty() {
        return Diagnostics::from_error(
            "Cannot obtain the access token through the managed identity's federated credential",
            entra,
        );
    }
    let names: Vec<String> = planned.iter().map(|n| format!("{n:?}")).collect();
    Diagnostics::from_error(
        "The token was requested before the credential this run creates exists",
        format!(
            "This run plans federated identity credential {} for application {client_id}, but it does not exist until apply creates it. Terraform requested this token during plan because its client_id was already known (a literal or a variable is known at plan even with depends_on), so Entra found no credential to match.\n\nTake client_id from the resource instead:\n\n  client_id = entra_mi_federated_credential.<name>.application_client_id\n\nIt is unknown until the credential exists, so Terraform requests the token at apply, after the create.\n\nEntra's answer:\n{entra}",
            names.join(", ")
        ),
    )
}

fn with_token(config: &Value, token: &AccessToken) -> Value {
    let mut m = match config {
        Value::Object(m) => m.clone(),
        _ => BTreeMap::new(),
    };
    let claims = jwt::claims(token.token.expose()).unwrap_or_default();
    let claim_map: BTreeMap<String, Value> = CLAIMS
        .iter()
        .filter_map(|k| jwt::claim_text(&claims, k).map(|v| (k.to_string(), Value::string(v))))
        .collect();
    let expires = token
        .expires_on
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    m.insert("access_token".into(), Value::string(token.token.expose()));
    m.insert("expires_on".into(), Value::string(expires));
    m.insert("token_type".into(), Value::string("Bearer"));
    m.insert("claims".into(), Value::Map(claim_map));
    Value::Object(m)
}

pub struct AccessTokenDataSource;

#[async_trait]
impl DataSource for AccessTokenDataSource {
    fn declaration(&self) -> Declaration {
        Declaration::new(TYPE_NAME, schema(false), validate)
    }

    async fn read(&self, req: ReadDataRequest<'_>, ctx: &Ctx) -> ReadDataResponse {
        ReadDataResponse::from_result(obtain(req.config, ctx).await)
    }
}

pub struct AccessTokenEphemeral;

#[async_trait]
impl EphemeralResource for AccessTokenEphemeral {
    fn declaration(&self) -> Declaration {
        Declaration::new(TYPE_NAME, schema(true), validate)
    }

    async fn open(&self, req: OpenRequest<'_>, ctx: &Ctx) -> OpenResponse {
        let opened = obtain(req.config, ctx).await.map(|result| Opened {
            result,
            renew_at: None,
            private: Vec::new(),
        });
        OpenResponse::from_result(opened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_sensitive_and_computed() {
        for ephemeral in [false, true] {
            let schema = schema(ephemeral);
            let token = schema.attribute("access_token");
            assert!(
                token.is_some_and(|a| a.sensitive && a.computed),
                "{ephemeral}"
            );
        }
    }
}
