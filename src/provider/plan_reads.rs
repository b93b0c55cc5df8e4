//! Graph reads made while planning (the live checks of a create, the identity check)
//! get a short budget of their own, never the operation's timeout: they only bring
//! errors forward from apply, and Terraform plans twice per `terraform apply` (the plan,
//! then the re-plan of the apply walk), so a long budget would be spent twice before the
//! create even starts.
//!
//! When a plan-time read gets no answer within the budget (throttled, failing,
//! unreachable), or the provider cannot sign in to Graph at all, the run's later
//! plan-time reads are skipped at once and plan says so once, naming the checks skipped
//! and why, whichever check ran into it: apply checks the same things again.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::entra::graph::{GraphClient, GraphError, GraphErrorKind};
use crate::entra::retry::Deadline;
use crate::framework::diag::Severity;
use crate::framework::Diagnostic;

/// How long one plan-time read may take, retries included.
pub const PLAN_BUDGET: Duration = Duration::from_secs(2);

/// How long plan waits for a sign-in before its first Graph read.
const SIGN_IN_BUDGET: Duration = Duration::from_secs(30);

/// The plan-time reads of one run (one provider process).
#[derive(Default)]
pub struct PlanReads {
    /// The first plan-time read that got no answer in time or could not sign in (what
    /// happened, and its message): later ones are skipped.
    unanswered: Mutex<Option<(GraphErrorKind, String)>>,
    /// The skip was reported.
    warned: AtomicBool,
}

/// Why a plan-time read has no result.
#[derive(Debug)]
pub enum Skipped {
    /// An earlier plan-time read of this run got no answer in time.
    Earlier,
    /// Graph answered with an error (or did not answer, see [`no_answer`]), or the
    /// sign-in failed.
    Failed(GraphError),
}

/// Whether `e` ends the run's plan-time reads: Graph gave no answer in time, or the
/// provider could not sign in (every later read would need the same sign-in).
pub fn skips_plan_checks(e: &GraphError) -> bool {
    no_answer(e) || e.kind == GraphErrorKind::SignIn
}

/// Whether `e` means Graph gave no usable answer within the budget, as opposed to a
/// refusal that says something about the request (403, 404).
pub fn no_answer(e: &GraphError) -> bool {
    matches!(
        e.kind,
        GraphErrorKind::Throttled
            | GraphErrorKind::Server
            | GraphErrorKind::Transport
            | GraphErrorKind::TimedOut
    )
}

impl PlanReads {
    /// Signs in to `g` (not counted in the budget: a sign-in that takes a few seconds,
    /// such as Azure CLI's, is not Graph failing), then runs `read` with a deadline
    /// [`PLAN_BUDGET`] away (Stop still ends it), unless an earlier plan-time read of
    /// this run got no answer.
    pub async fn read<T, F, Fut>(
        &self,
        g: &GraphClient,
        cancel: &CancellationToken,
        read: F,
    ) -> Result<T, Skipped>
    where
        F: FnOnce(Deadline) -> Fut,
        Fut: Future<Output = Result<T, GraphError>>,
    {
        if self.first_unanswered().is_some() {
            return Err(Skipped::Earlier);
        }
        if let Err(e) = g
            .token(&Deadline::after(SIGN_IN_BUDGET, cancel.clone()))
            .await
        {
            self.remember(&e);
            return Err(Skipped::Failed(e));
        }
        self.budgeted(cancel, read).await
    }

    /// The warning for a provider with no usable sign-in method at all (`why` lists the
    /// methods tried): later plan-time reads are skipped, and plan says so once.
    pub fn no_sign_in(&self, why: &str) -> Option<Diagnostic> {
        let e = GraphError::new(GraphErrorKind::SignIn, why);
        self.remember(&e);
        self.skipped_warning(&Skipped::Failed(e))
    }

    /// Keeps the first failure that ends the run's plan-time reads.
    fn remember(&self, e: &GraphError) {
        if skips_plan_checks(e) {
            if let Ok(mut first) = self.unanswered.lock() {
                first.get_or_insert((e.kind, e.to_string()));
            }
        }
    }

    /// [`PlanReads::read`] once signed in.
    async fn budgeted<T, F, Fut>(&self, cancel: &CancellationToken, read: F) -> Result<T, Skipped>
    where
        F: FnOnce(Deadline) -> Fut,
        Fut: Future<Output = Result<T, GraphError>>,
    {
        if self.first_unanswered().is_some() {
            return Err(Skipped::Earlier);
        }
        read(Deadline::after(PLAN_BUDGET, cancel.clone()))
            .await
            .map_err(|e| {
                self.remember(&e);
                Skipped::Failed(e)
            })
    }

    fn first_unanswered(&self) -> Option<(GraphErrorKind, String)> {
        self.unanswered.lock().ok().and_then(|f| f.clone())
    }

    /// The warning for a plan-time check skipped because Graph gave no answer in time or
    /// the sign-in failed (this read's or an earlier one's): once per run, for the live
    /// checks and the identity check alike; `None` for a refusal (apply reports it where
    /// it matters).
    pub fn skipped_warning(&self, why: &Skipped) -> Option<Diagnostic> {
        let (kind, message) = match why {
            Skipped::Failed(e) if skips_plan_checks(e) => (e.kind, e.to_string()),
            Skipped::Failed(_) => return None,
            Skipped::Earlier => self.first_unanswered()?,
        };
        if self.warned.swap(true, Ordering::SeqCst) {
            return None;
        }
        Some(Diagnostic {
            severity: Severity::Warning,
            summary: "Plan-time checks against Microsoft Graph were skipped".into(),
            detail: skipped_detail(kind, &message),
            path: None,
        })
    }
}

/// What was skipped, why, and what happens next.
fn skipped_detail(kind: GraphErrorKind, message: &str) -> String {
    const SKIPPED: &str = "plan did not check new credentials against the application's existing credentials (names, issuer and subject pairs, the limit of 20 per application), nor that their principal ids are user-assigned managed identities";
    match kind {
        GraphErrorKind::SignIn => format!(
            "The provider could not sign in to Microsoft Graph, so {SKIPPED}.\n\n{message}\n\nApply needs the same sign-in and fails until it works."
        ),
        _ => format!(
            "{} within the plan's budget of {} s per read ({message}), so {SKIPPED}; apply checks the credentials again before each create, within its `timeouts`.",
            match kind {
                GraphErrorKind::Throttled => "Graph throttled the requests",
                GraphErrorKind::Server => "Graph kept failing",
                GraphErrorKind::TimedOut => "Graph gave no usable answer",
                _ => "Graph gave no answer",
            },
            PLAN_BUDGET.as_secs(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_answer_skips_the_rest_of_the_run_and_warns_once() {
        let reads = PlanReads::default();
        let cancel = CancellationToken::new();
        let forbidden = reads
            .budgeted::<(), _, _>(&cancel, |_| async {
                Err(GraphError::new(GraphErrorKind::Forbidden, "no"))
            })
            .await
            .unwrap_err();
        assert!(
            reads.skipped_warning(&forbidden).is_none(),
            "a refusal is not an outage"
        );
        assert_eq!(
            reads.budgeted(&cancel, |_| async { Ok(1) }).await.ok(),
            Some(1)
        );

        let throttled = reads
            .budgeted::<(), _, _>(&cancel, |_| async {
                Err(GraphError::new(GraphErrorKind::Throttled, "429"))
            })
            .await
            .unwrap_err();
        let later = reads
            .budgeted::<(), _, _>(&cancel, |_| async { Ok(()) })
            .await;
        let later = later.unwrap_err();
        assert!(matches!(later, Skipped::Earlier));
        let w = reads
            .skipped_warning(&later)
            .expect("a warning, whichever check skips first");
        assert!(w.detail.contains("throttled"), "{}", w.detail);
        assert!(reads.skipped_warning(&throttled).is_none(), "once per run");
        assert!(matches!(
            reads.budgeted(&cancel, |_| async { Ok(2) }).await,
            Err(Skipped::Earlier)
        ));
    }

    #[test]
    fn a_failed_sign_in_skips_the_rest_of_the_run_and_warns_once() {
        let reads = PlanReads::default();
        let w = reads
            .no_sign_in("No sign-in method is configured for Microsoft Graph.")
            .expect("a warning");
        assert!(
            w.detail.contains("could not sign in")
                && w.detail.contains("No sign-in method is configured")
                && w.detail.contains("existing credentials")
                && w.detail.contains("user-assigned managed identities"),
            "{}",
            w.detail
        );
        assert!(matches!(
            reads.first_unanswered(),
            Some((GraphErrorKind::SignIn, _))
        ));
        assert!(
            reads.skipped_warning(&Skipped::Earlier).is_none(),
            "once per run"
        );
        let refused = GraphError::new(GraphErrorKind::SignIn, "AADSTS7000215");
        assert!(skips_plan_checks(&refused));
        let forbidden = GraphError::new(GraphErrorKind::Forbidden, "403");
        assert!(!skips_plan_checks(&forbidden));
    }

    #[tokio::test]
    async fn the_budget_is_short() {
        let reads = PlanReads::default();
        let d = reads
            .budgeted(&CancellationToken::new(), |d| async move { Ok(d) })
            .await
            .unwrap();
        assert!(d.remaining() <= PLAN_BUDGET);
    }
}
