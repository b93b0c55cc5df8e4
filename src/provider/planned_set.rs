//! What this run plans for each application's credentials, so that plan checks the
//! resources of one configuration against each other, not only against Graph.
//!
//! Terraform plans each resource in its own call and never shows a provider the whole
//! configuration. A refreshed credential is planned by the same graph node right after
//! its refresh, so a create that must know whether a slot frees up waits only for
//! credentials already refreshed in this run: that wait cannot deadlock on Terraform's
//! parallelism limit. Creates are checked against the creates planned before them, so
//! of two clashing resources the one planned second reports, naming the first.
//!
//! A tainted credential is refreshed and then planned as a plain create (Terraform
//! gives no prior state and no private bytes): a refreshed credential of the create's
//! own name that no plan has claimed within a short grace is that tainted object, and
//! goes (another resource's credential of that name is claimed by its plan right after
//! its refresh, and then the create reports the clash).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::sync::{Mutex, Notify};

use crate::entra::retry::Deadline;

/// The longest a create's plan waits for refreshed siblings to be planned.
const PENDING_WAIT: Duration = Duration::from_secs(10);
/// How long plans must be quiet before a create is refused.
const QUIET: Duration = Duration::from_millis(1000);
/// How long an unclaimed refreshed credential of the create's own name may stay
/// unclaimed before it is taken for the tainted object this create replaces.
const TAINT_GRACE: Duration = Duration::from_millis(1500);

/// A credential planned for creation (or as the new half of a replacement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCreate {
    pub name: String,
    /// Issuer and subject, when both are known at plan.
    pub trust: Option<(String, String)>,
}

#[derive(Default)]
struct AppPlans {
    /// Credentials refreshed in this run: id -> name.
    refreshed: HashMap<String, String>,
    /// Credentials whose plan is in: `true` when they go away (destroy or replacement).
    fates: HashMap<String, bool>,
    /// Creates planned so far, in order.
    creates: Vec<PlannedCreate>,
}

impl AppPlans {
    /// What `create` is checked against: credentials going away (destroyed, replaced,
    /// or the tainted one of its name), and the creates registered before it.
    fn siblings_of(&self, create: &PlannedCreate) -> Siblings {
        let tainted = self.unclaimed(&create.name, true);
        let before = self
            .creates
            .iter()
            .position(|c| c == create)
            .unwrap_or(self.creates.len());
        Siblings {
            going: self
                .fates
                .iter()
                .filter(|(_, goes)| **goes)
                .map(|(id, _)| id.clone())
                .chain(tainted)
                .collect(),
            creates: self.creates[..before].to_vec(),
        }
    }

    /// Refreshed credentials no plan has claimed yet, of the given name or of others.
    fn unclaimed(&self, name: &str, same_name: bool) -> Vec<String> {
        self.refreshed
            .iter()
            .filter(|(id, n)| !self.fates.contains_key(*id) && (n.as_str() == name) == same_name)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// The run's plans, per application object id.
#[derive(Default)]
pub struct PlannedSet {
    apps: Mutex<HashMap<String, AppPlans>>,
    changed: Notify,
}

/// What a create is checked against: the credentials that stay, and the creates planned
/// before it in this run.
#[derive(Debug, Default)]
pub struct Siblings {
    /// Ids of existing credentials that this run destroys or replaces.
    pub going: HashSet<String>,
    pub creates: Vec<PlannedCreate>,
}

impl PlannedSet {
    /// A stored credential was refreshed: its plan follows.
    pub async fn refreshed(&self, app: &str, credential_id: &str, name: &str) {
        {
            let mut apps = self.apps.lock().await;
            apps.entry(app.to_string())
                .or_default()
                .refreshed
                .insert(credential_id.to_string(), name.to_string());
        }
        self.changed.notify_waiters();
    }

    /// A stored credential was planned: kept (`goes == false`), or destroyed/replaced.
    /// A later plan of the same credential wins (a replacement is planned twice).
    pub async fn planned(&self, app: &str, credential_id: &str, goes: bool) {
        {
            let mut apps = self.apps.lock().await;
            let plans = apps.entry(app.to_string()).or_default();
            let fate = plans.fates.entry(credential_id.to_string()).or_insert(goes);
            *fate |= goes;
        }
        self.changed.notify_waiters();
    }

    /// Waits until every credential of `app` refreshed in this run has been planned (or
    /// a short wait has passed), then registers `create` and returns what it is checked
    /// against. Checking and registering happen under one lock, so of two clashing
    /// creates exactly the later one sees the other.
    pub async fn register_create(
        &self,
        app: &str,
        create: PlannedCreate,
        deadline: &Deadline,
    ) -> Siblings {
        let wait = Deadline::after(
            PENDING_WAIT.min(deadline.remaining()),
            deadline.cancel.clone(),
        );
        let grace = Deadline::after(TAINT_GRACE, deadline.cancel.clone());
        loop {
            let notified = self.changed.notified();
            {
                let mut apps = self.apps.lock().await;
                let plans = apps.entry(app.to_string()).or_default();
                let pending = !plans.unclaimed(&create.name, false).is_empty()
                    || (!grace.expired() && !plans.unclaimed(&create.name, true).is_empty());
                if !pending || wait.expired() || wait.cancel.is_cancelled() {
                    let added = !plans.creates.contains(&create);
                    if added {
                        plans.creates.push(create.clone());
                    }
                    let siblings = plans.siblings_of(&create);
                    drop(apps);
                    if added {
                        self.changed.notify_waiters();
                    }
                    return siblings;
                }
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(wait.remaining().min(grace.remaining().max(Duration::from_millis(50)))) => {}
                _ = wait.cancel.cancelled() => {}
            }
        }
    }
}

impl PlannedSet {
    /// Before a create is refused: waits until this run's plans have been quiet for a
    /// moment (a destroy planned by a node that had not started yet may still free a
    /// slot or a name), then returns what `create` is checked against now.
    pub async fn settle(&self, app: &str, create: &PlannedCreate, deadline: &Deadline) -> Siblings {
        let wait = Deadline::after(
            PENDING_WAIT.min(deadline.remaining()),
            deadline.cancel.clone(),
        );
        loop {
            let notified = self.changed.notified();
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(QUIET.min(wait.remaining())) => break,
                _ = wait.cancel.cancelled() => break,
            }
            if wait.expired() {
                break;
            }
        }
        let mut apps = self.apps.lock().await;
        apps.entry(app.to_string()).or_default().siblings_of(create)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio_util::sync::CancellationToken;

    fn create(name: &str) -> PlannedCreate {
        PlannedCreate {
            name: name.into(),
            trust: Some(("iss".into(), name.into())),
        }
    }

    fn deadline() -> Deadline {
        Deadline::after(Duration::from_secs(30), CancellationToken::new())
    }

    #[tokio::test]
    async fn later_creates_see_earlier_ones() {
        let set = PlannedSet::default();
        let first = set.register_create("a", create("x"), &deadline()).await;
        assert!(first.creates.is_empty());
        let second = set.register_create("a", create("y"), &deadline()).await;
        assert_eq!(second.creates, vec![create("x")]);
        let other_app = set.register_create("b", create("z"), &deadline()).await;
        assert!(other_app.creates.is_empty());
        // The same create planned again (the apply walk re-plans) keeps its place.
        let again = set.register_create("a", create("x"), &deadline()).await;
        assert!(again.creates.is_empty());
        let y_again = set.register_create("a", create("y"), &deadline()).await;
        assert_eq!(y_again.creates, vec![create("x")]);
    }

    #[tokio::test]
    async fn a_create_waits_for_refreshed_credentials_to_be_planned() {
        let set = Arc::new(PlannedSet::default());
        set.refreshed("a", "old", "old-name").await;
        set.refreshed("a", "kept", "kept-name").await;
        let planner = {
            let set = set.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                set.planned("a", "kept", false).await;
                set.planned("a", "old", true).await;
            })
        };
        let seen = set.register_create("a", create("new"), &deadline()).await;
        assert_eq!(seen.going, HashSet::from(["old".to_string()]));
        planner.await.unwrap();
    }

    #[tokio::test]
    async fn the_wait_ends_on_stop() {
        let set = PlannedSet::default();
        set.refreshed("a", "never-planned", "other").await;
        let cancel = CancellationToken::new();
        cancel.cancel();
        let d = Deadline::after(Duration::from_secs(30), cancel);
        let started = std::time::Instant::now();
        let seen = set.register_create("a", create("new"), &d).await;
        assert!(seen.going.is_empty());
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "Stop must end the wait at once, not after {PENDING_WAIT:?}"
        );
    }

    #[tokio::test]
    async fn a_tainted_credential_of_the_same_name_goes_after_the_grace() {
        let set = PlannedSet::default();
        set.refreshed("a", "tainted", "new").await;
        let started = std::time::Instant::now();
        let seen = set.register_create("a", create("new"), &deadline()).await;
        assert!(seen.going.contains("tainted"));
        assert!(started.elapsed() >= TAINT_GRACE);
        assert!(started.elapsed() < PENDING_WAIT);
    }

    #[tokio::test]
    async fn a_replacement_planned_twice_goes() {
        let set = PlannedSet::default();
        set.planned("a", "c1", false).await;
        set.planned("a", "c1", true).await;
        set.planned("a", "c1", false).await;
        let seen = set.register_create("a", create("n"), &deadline()).await;
        assert!(seen.going.contains("c1"));
    }
}
