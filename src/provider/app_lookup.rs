//! Applications and their credential lists, read for many resources at once: the
//! credentials of a run name few or many applications, and each one's ids and list are
//! needed by plan (name and limit checks), by create (the client id for state, the
//! preflight) and by refresh.
//!
//! Lookups asked within [`WINDOW`] of one another go as one `applications?$filter=id in
//! (…)` with the credentials expanded (up to [`IN_FILTER_MAX`] per request). From a run's
//! second batch on, the run is planning many credentials (Terraform plans at most
//! `-parallelism` at once, and the apply walk's re-plans come one by one as creates
//! finish), so it reads the tenant's applications once, at most ten pages of 100
//! ([`GraphClient::tenant_applications`]; a larger tenant's first 1,000), answers the
//! run's later batches from it, and hands it to the caller
//! ([`AppLookups::take_listing`]) to keep with the run's other per-application state.
//! (Only after Graph has answered a batch: while it fails, a listing would spend the
//! caller's time for nothing.) An application the listing leaves out (a later page, not
//! replicated yet, or not readable by list) is asked by id (`id in`, then alone), so its
//! answer (and its error) is Graph's own.
//!
//! Batches' answers are not kept here (the batcher forgets them): the caller keeps each
//! application's list current with the run's own writes ([`super::client::AppEntry`]).
//! The listing is kept for the run's later batches; it is never stale for the run's own
//! writes, since an application is written only after the caller keeps its list.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use super::lookup_batch::{Resolve, WindowBatcher, WINDOW};
use crate::entra::graph::{AppRef, AppRegistration, FederatedCredential, GraphClient, GraphError};
use crate::entra::ids::ObjectId;
use crate::entra::queries::ApplicationCredentials;
use crate::entra::retry::Deadline;
use crate::entra::service_principals::IN_FILTER_MAX;

/// This run's application reads, batched.
pub struct AppLookups {
    batcher: WindowBatcher<ObjectId, Answer>,
    ways: Arc<Ways>,
}

/// One application's answer: an error of its own (a wrong id) fails only its callers.
type Answer = Result<ApplicationRead, GraphError>;

/// An application's ids and its credentials as read. Both are shared, not copied, by the
/// listing and the caller's per-application state (a run may hold a thousand).
#[derive(Debug, Clone)]
pub struct ApplicationRead {
    /// The application's ids and name.
    pub registration: Arc<AppRegistration>,
    /// Its federated identity credentials.
    pub credentials: Arc<Vec<FederatedCredential>>,
}

impl From<ApplicationCredentials> for ApplicationRead {
    fn from(a: ApplicationCredentials) -> Self {
        ApplicationRead {
            registration: Arc::new(AppRegistration {
                id: a.object_id,
                app_id: a.client_id,
                display_name: Some(a.display_name).filter(|n| !n.is_empty()),
            }),
            credentials: Arc::new(a.credentials),
        }
    }
}

/// The tenant's applications as listed, by id.
pub type Listed = HashMap<ObjectId, ApplicationRead>;

/// What this run has learnt about asking Graph.
#[derive(Default)]
struct Ways {
    /// Batches sent so far.
    batches: AtomicUsize,
    /// Graph has answered a batch: a listing is worth trying (while Graph fails, it
    /// would only spend the caller's time).
    answered: AtomicBool,
    /// The tenant's applications, read once per run (`None` when Graph would not list
    /// them): they answer every later batch of the run. (Never stale for this run's own
    /// writes: an application is written only after its list is kept by the caller,
    /// which answers from that list from then on.)
    listing: tokio::sync::OnceCell<Option<Arc<Listed>>>,
    /// The listing was handed to the caller.
    handed: AtomicBool,
}

impl Default for AppLookups {
    fn default() -> Self {
        AppLookups {
            batcher: WindowBatcher::new(WINDOW, IN_FILTER_MAX).forgetful(),
            ways: Arc::default(),
        }
    }
}

impl AppLookups {
    /// The application `id` with its credentials, read in a batch with the others asked
    /// at the same time.
    pub async fn lookup(
        &self,
        g: &GraphClient,
        id: &ObjectId,
        d: &Deadline,
    ) -> Result<ApplicationRead, GraphError> {
        let resolver = Arc::new(GraphApplications {
            graph: g.clone(),
            ways: self.ways.clone(),
        });
        self.batcher.lookup(id.clone(), d, resolver).await?
    }

    /// The tenant's applications, once, when this run has read them: the caller keeps
    /// them current with the run's writes from then on.
    pub fn take_listing(&self) -> Option<Arc<Listed>> {
        let listed = self.ways.listing.get()?.clone()?;
        (!self.ways.handed.swap(true, Ordering::SeqCst)).then_some(listed)
    }
}

/// Graph as the batcher's resolver.
struct GraphApplications {
    graph: GraphClient,
    ways: Arc<Ways>,
}

impl GraphApplications {
    /// Reads the tenant's applications once per run, within half of `d` (a slow listing
    /// leaves the batch time to ask by id). `None` when Graph would not list them.
    async fn listing(&self, d: &Deadline) -> Option<Arc<Listed>> {
        self.ways
            .listing
            .get_or_init(|| async {
                let half = d.capped(d.remaining() / 2);
                let all = match self.graph.tenant_applications(&half).await {
                    Ok((all, complete)) => {
                        if !complete {
                            tracing::debug!(
                                listed = all.len(),
                                "more applications than the listing reads; the rest are asked by id"
                            );
                        }
                        all
                    }
                    Err(e) => {
                        tracing::debug!(error = %e.message, "applications not listed; asking by id");
                        return None;
                    }
                };
                let by_id: Listed = all
                    .into_iter()
                    .filter_map(|a| Some((ObjectId::parse(&a.object_id)?, a.into())))
                    .collect();
                Some(Arc::new(by_id))
            })
            .await
            .clone()
    }
}

#[async_trait]
impl Resolve<ObjectId, Answer> for GraphApplications {
    async fn resolve(
        &self,
        mut keys: Vec<ObjectId>,
        d: Deadline,
    ) -> Result<HashMap<ObjectId, Answer>, GraphError> {
        let mut found = HashMap::new();
        let later = self.ways.batches.fetch_add(1, Ordering::SeqCst) > 0;
        if later && self.ways.answered.load(Ordering::SeqCst) {
            if let Some(listed) = self.listing(&d).await {
                keys.retain(|k| match listed.get(k) {
                    Some(a) => {
                        found.insert(k.clone(), Ok(a.clone()));
                        false
                    }
                    None => true,
                });
            }
        }
        if !keys.is_empty() {
            let ids: Vec<&str> = keys.iter().map(ObjectId::as_str).collect();
            let listed = self.graph.applications_by_object_id(&ids, &d).await?;
            self.ways.answered.store(true, Ordering::SeqCst);
            for a in listed {
                if let Some(id) = ObjectId::parse(&a.object_id) {
                    found.insert(id, Ok(a.into()));
                }
            }
        }
        // Left out of the lists: read by id, so that what the caller sees (a 404, a
        // 403, or an application not yet in the lists) is Graph's own answer.
        keys.retain(|k| !found.contains_key(k));
        for k in keys {
            let answer = self.by_id(&k, &d).await;
            found.insert(k, answer);
        }
        Ok(found)
    }
}

impl GraphApplications {
    /// One application and its list, read by id.
    async fn by_id(&self, id: &ObjectId, d: &Deadline) -> Answer {
        let app = AppRef::ObjectId(id.to_string());
        let registration = self.graph.get_application(&app, d).await?;
        let credentials = self.graph.list_credentials(&app, d).await?;
        Ok(ApplicationRead {
            registration: Arc::new(registration),
            credentials: Arc::new(credentials),
        })
    }
}
