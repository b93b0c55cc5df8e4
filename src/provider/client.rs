//! What the provider's Configure produces for its resources: resolved settings, one HTTP
//! client, the managed identity source, and (on first use) the Graph client signed in
//! with the chosen method.

use std::sync::Arc;

use tokio::sync::{Mutex, OnceCell};

use super::app_lookup::ApplicationRead;
use super::config::{attribute_and_env, Settings};
use crate::cloud::Cloud;
use crate::entra::graph::{AppRef, AppRegistration, FederatedCredential, GraphClient, GraphError};
use crate::entra::ids::{AppKey, ClientId, ObjectId};
use crate::entra::managed_identity::{ManagedIdentityClient, Source};
use crate::entra::retry::Deadline;
use crate::entra::signin::{self, SignInConfig};
use crate::entra::{http, jwt};
use crate::framework::{Ctx, Diagnostics};
use crate::per_key::PerKey;

/// The configured provider, shared by its resources, data sources and ephemeral
/// resources.
pub struct EntraClient {
    /// The resolved provider settings.
    pub settings: Settings,
    /// The client for sign-in and Graph.
    pub http: reqwest::Client,
    /// The host's managed identity endpoint (never through a proxy).
    pub mi: Arc<ManagedIdentityClient>,
    graph: OnceCell<Result<Arc<GraphClient>, String>>,
    apps: PerKey<ObjectId, AppEntry>,
    /// What this run plans per application, so plan checks resources against each
    /// other (and a replacement's create half does not collide with what it replaces).
    pub plans: super::planned_set::PlannedSet,
    /// Applications resolved so far, by object id and by client id.
    resolved: PerKey<AppKey, OnceCell<Arc<AppRegistration>>>,
    /// Application reads of this run (ids and credential list in one), batched.
    app_lookups: super::app_lookup::AppLookups,
    /// Managed identity token -> app token, for `entra_mi_access_token`.
    pub exchange: crate::entra::exchange::TokenExchange,
    /// Service principal lookups of this run (the live check of managed identity
    /// principals), batched.
    pub principals: super::principal_lookup::PrincipalLookups,
    /// The budget of this run's plan-time Graph reads.
    pub plan_reads: super::plan_reads::PlanReads,
    /// Credentials this run plans to create and has not created yet.
    pub pending_trusts: super::pending_trusts::PendingTrusts,
}

/// Per-application coordination: writes are serialised (Graph rejects concurrent
/// credential writes on one application) and reads share one list call.
#[derive(Default)]
pub struct AppEntry {
    /// Held while writing; holds the writer's view of the credentials.
    pub writer: Mutex<Option<Vec<FederatedCredential>>>,
    /// The last list, shared by concurrent reads; kept current with this run's writes
    /// ([`AppEntry::record`]).
    pub listed: Mutex<Option<Arc<Vec<FederatedCredential>>>>,
}

impl AppEntry {
    /// Applies one of our own writes to both views, so later plans and reads in this run
    /// need no new list call. `None` removes the credential.
    pub async fn record(
        &self,
        writer: &mut Option<Vec<FederatedCredential>>,
        id: &str,
        now: Option<&FederatedCredential>,
    ) {
        let apply = |list: &mut Vec<FederatedCredential>| {
            list.retain(|c| c.id != id);
            if let Some(c) = now {
                list.push(c.clone());
            }
        };
        if let Some(list) = writer.as_mut() {
            apply(list);
        }
        let mut listed = self.listed.lock().await;
        if let Some(shared) = listed.as_mut() {
            apply(Arc::make_mut(shared));
        }
    }
}

impl EntraClient {
    /// The configured client of a call; an error diagnostic when Configure has not run
    /// (Terraform always configures a provider before it reads or writes through it).
    pub fn from_ctx(ctx: &Ctx) -> Result<Arc<EntraClient>, Diagnostics> {
        ctx.provider::<EntraClient>().ok_or_else(|| {
            Diagnostics::from_error(
                "The provider is not configured",
                "The entra provider was not configured before use; this is a bug in Terraform or the provider.",
            )
        })
    }

    /// The cloud the configuration names explicitly (`environment` or `ARM_ENVIRONMENT`)
    /// when the provider is configured: what validation may check against. `None` before
    /// Configure or when left to the default.
    pub fn explicit_cloud(ctx: &Ctx) -> Option<Cloud> {
        ctx.provider::<EntraClient>()
            .filter(|c| c.settings.environment.is_some())
            .map(|c| c.cloud())
    }

    /// The clients for `settings`; the managed identity source is detected now, sign-in
    /// waits for the first Graph call.
    pub fn new(settings: Settings) -> Result<EntraClient, String> {
        let http = http::client()?;
        let mi_http = http::managed_identity_client()?;
        let env = |k: &str| std::env::var(k).ok();
        let source = Source::detect(&env, settings.msi_endpoint.as_deref());
        let mi = Arc::new(ManagedIdentityClient::new(source, mi_http));
        let exchange = crate::entra::exchange::TokenExchange::new(http.clone(), mi.clone());
        Ok(EntraClient {
            settings,
            http,
            mi,
            graph: OnceCell::new(),
            apps: PerKey::default(),
            plans: Default::default(),
            resolved: PerKey::default(),
            app_lookups: Default::default(),
            exchange,
            principals: Default::default(),
            plan_reads: Default::default(),
            pending_trusts: Default::default(),
        })
    }

    /// The configured cloud.
    pub fn cloud(&self) -> Cloud {
        self.settings.cloud
    }

    /// The home tenant: configured, or read from a configured access token's `tid`.
    pub fn tenant(&self) -> Option<String> {
        self.settings.tenant_id.clone().or_else(|| {
            let token = self.settings.access_token.as_ref()?;
            jwt::claims(token.expose()).and_then(|c| jwt::claim_text(&c, "tid"))
        })
    }

    /// The Graph client, with the sign-in method chosen on first use. Tokens are
    /// requested by the Graph calls themselves, within each call's deadline.
    pub async fn graph(&self) -> Result<Arc<GraphClient>, String> {
        self.graph
            .get_or_init(|| async {
                let env = |k: &str| std::env::var(k).ok();
                let method = signin::choose(&SignInConfig {
                    settings: &self.settings,
                    env: &env,
                    describe: attribute_and_env,
                    http: self.http.clone(),
                    managed_identity: self.mi.clone(),
                })?;
                tracing::debug!(method = method.name(), "signing in to Microsoft Graph");
                Ok(Arc::new(GraphClient::new(
                    self.http.clone(),
                    &self.settings.graph_endpoint,
                    self.cloud().graph_endpoint(),
                    method,
                )))
            })
            .await
            .clone()
    }

    /// An application by either id, read from Graph once per run; concurrent callers for
    /// one application share the read. A value that is not a GUID goes to Graph as given,
    /// every time, so the caller sees Graph's own answer (an error) for it.
    pub async fn application(
        &self,
        g: &GraphClient,
        app: &AppRef,
        d: &Deadline,
    ) -> Result<AppRegistration, GraphError> {
        let a = match app.key() {
            None => Arc::new(g.get_application(app, d).await?),
            Some(key) => {
                let cell = self.resolved.get(key.clone());
                cell.get_or_try_init(|| async {
                    match &key {
                        AppKey::Object(id) => {
                            let (a, _) = self.application_with_credentials(g, id, d).await?;
                            Ok::<_, GraphError>(a)
                        }
                        AppKey::Client(_) => Ok(Arc::new(g.get_application(app, d).await?)),
                    }
                })
                .await?
                .clone()
            }
        };
        self.remember(&a);
        Ok(a.as_ref().clone())
    }

    /// An application read with its credentials (batched with the other applications
    /// asked at the same time), both kept for the run: its ids as [`Self::application`]
    /// keeps them, its list as the run's shared list unless one is kept already (which
    /// holds this run's writes since).
    pub async fn application_with_credentials(
        &self,
        g: &GraphClient,
        id: &ObjectId,
        d: &Deadline,
    ) -> Result<(Arc<AppRegistration>, Arc<Vec<FederatedCredential>>), GraphError> {
        let found = self.app_lookups.lookup(g, id, d).await;
        if let Some(all) = self.app_lookups.take_listing() {
            for (id, a) in all.iter() {
                self.keep_listed(id, a);
            }
        }
        let ApplicationRead {
            registration: a,
            credentials,
        } = found?;
        self.remember(&a);
        let entry = self.app(id);
        // A caller holding the entry's list lock (the shared list) keeps it itself.
        if let Ok(mut listed) = entry.listed.try_lock() {
            match listed.as_ref() {
                Some(kept) => return Ok((a, kept.clone())),
                None => *listed = Some(credentials.clone()),
            }
        }
        Ok((a, credentials))
    }

    /// Keeps an application of the tenant's listing, where nothing is kept yet (its list
    /// shared with the listing until this run writes to it). The listing is keyed by
    /// object id, so `id` is the application's own.
    fn keep_listed(&self, id: &ObjectId, found: &ApplicationRead) {
        self.remember(&found.registration);
        let entry = self.app(id);
        let kept = entry.listed.try_lock();
        if let Ok(mut listed) = kept {
            if listed.is_none() {
                *listed = Some(found.credentials.clone());
            }
        };
    }

    /// Keeps `a` by both of its ids for the run, each under its own kind.
    fn remember(&self, a: &Arc<AppRegistration>) {
        let keys = [
            ObjectId::parse(&a.id).map(AppKey::Object),
            ClientId::parse(&a.app_id).map(AppKey::Client),
        ];
        for key in keys.into_iter().flatten() {
            let known = || OnceCell::new_with(Some(a.clone()));
            self.resolved.get_or_make(key, known);
        }
    }

    /// The coordination entry of an application.
    pub fn app(&self, object_id: &ObjectId) -> Arc<AppEntry> {
        self.apps.get(object_id.clone())
    }

    /// The coordination entry of the application a stored object id names. Text that is
    /// not a GUID gets an entry of its own: Graph refuses such an id, so nothing written
    /// or listed through it is shared.
    pub fn app_named(&self, object_id: &str) -> Arc<AppEntry> {
        ObjectId::parse(object_id).map_or_else(Arc::default, |id| self.app(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::Duration;

    use crate::entra::signin::StaticToken;
    use crate::entra::Secret;

    const OBJECT: &str = "0A1D7C3E-1F2A-4B5C-8D9E-0F1A2B3C4D01";
    const CLIENT: &str = "c11e0002-5a6b-4c7d-8e9f-0a1b2c3d4e02";

    fn client() -> EntraClient {
        EntraClient::new(Settings::default()).unwrap()
    }

    /// A Graph that is never reached: its calls end at once (the deadline is cancelled).
    fn unreachable_graph(c: &EntraClient) -> (GraphClient, Deadline) {
        let token = Arc::new(StaticToken {
            token: Secret::new("t"),
        });
        let g = GraphClient::new(c.http.clone(), "http://127.0.0.1:9", "https://graph", token);
        let cancel = tokio_util::sync::CancellationToken::new();
        cancel.cancel();
        (g, Deadline::after(Duration::from_secs(5), cancel))
    }

    #[test]
    fn one_entry_per_object_id_whatever_its_case() {
        let c = client();
        let upper = ObjectId::parse(OBJECT).unwrap();
        let lower = ObjectId::parse(&OBJECT.to_ascii_lowercase()).unwrap();
        assert!(Arc::ptr_eq(&c.app(&upper), &c.app(&lower)));
        assert!(Arc::ptr_eq(&c.app(&upper), &c.app_named(OBJECT)));
        assert!(!Arc::ptr_eq(
            &c.app(&upper),
            &c.app(&ObjectId::parse(CLIENT).unwrap())
        ));
        // Text that is no object id shares nothing.
        assert!(!Arc::ptr_eq(&c.app_named("x"), &c.app_named("x")));
    }

    #[tokio::test]
    async fn a_resolved_application_answers_by_its_own_ids_only() {
        let c = client();
        let (g, d) = unreachable_graph(&c);
        let app = AppRegistration {
            id: OBJECT.to_ascii_lowercase(),
            app_id: CLIENT.to_string(),
            display_name: None,
        };
        c.remember(&Arc::new(app.clone()));
        // (asked, answered from the run's cache)
        let cases = [
            (AppRef::ObjectId(OBJECT.into()), true),
            (AppRef::ObjectId(OBJECT.to_ascii_lowercase()), true),
            (AppRef::ClientId(CLIENT.to_ascii_uppercase()), true),
            (AppRef::ClientId(OBJECT.into()), false),
            (AppRef::ObjectId(CLIENT.into()), false),
            (AppRef::ObjectId("not-a-guid".into()), false),
        ];
        for (asked, cached) in cases {
            let got = c.application(&g, &asked, &d).await;
            assert_eq!(got.ok().as_ref(), cached.then_some(&app), "{asked:?}");
        }
    }
}
