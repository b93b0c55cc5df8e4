//! When an operation must end: its timeout, or Terraform's Stop (Ctrl-C), whichever
//! comes first. Every network call on the Entra side takes one.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// An operation's end: a point in time plus the cancellation Terraform's Stop triggers.
///
/// Build one per Terraform operation (`Deadline::after(timeout, ctx.cancel.clone())`)
/// and pass it down; narrow it for a step with [`Deadline::capped`], which keeps the
/// cancellation, so Stop still reaches the step.
#[derive(Debug, Clone)]
pub struct Deadline {
    /// When the operation times out.
    pub at: Instant,
    /// Cancelled when Terraform asks the provider to stop.
    pub cancel: CancellationToken,
}

/// Why waiting ended without a result of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupted {
    /// Terraform asked the provider to stop.
    Cancelled,
    /// The operation's deadline passed.
    TimedOut,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Interrupted::Cancelled => "cancelled by Terraform",
            Interrupted::TimedOut => "timed out",
        })
    }
}

/// What Terraform's Stop does to a request already sent.
///
/// A service finishes a write whose client went away (Graph does): abandoning a sent
/// write on Stop would leave its effect in the service and nowhere in Terraform's state.
/// So a write, once sent, runs to its answer (still bounded by the deadline), and its
/// result is recorded; Stop ends only what has no effect yet: waits, polls, retries,
/// and requests not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnStop {
    /// Drop the request at once (a read: nothing is lost).
    Abandon,
    /// Let the request finish within the deadline (a write).
    Finish,
}

impl Deadline {
    /// `d` from now, ending early when `cancel` is cancelled.
    pub fn after(d: Duration, cancel: CancellationToken) -> Deadline {
        Deadline {
            at: Instant::now() + d,
            cancel,
        }
    }

    /// This deadline, or `most` from now if that is earlier; same cancellation. For one
    /// step of a longer operation (a sign-in inside an apply, say).
    pub fn capped(&self, most: Duration) -> Deadline {
        Deadline {
            at: self.at.min(Instant::now() + most),
            cancel: self.cancel.clone(),
        }
    }

    /// Time left until the deadline (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whether this deadline comes before `other`'s.
    pub fn ends_before(&self, other: &Deadline) -> bool {
        self.at < other.at
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// Whether Terraform asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Runs `work` until it finishes, the deadline passes or Terraform stops; in the last
    /// two cases `work` is dropped (a child process started with `kill_on_drop` ends).
    pub async fn within<F: Future>(&self, work: F) -> Result<F::Output, Interrupted> {
        tokio::select! {
            out = work => Ok(out),
            _ = tokio::time::sleep_until(self.at) => Err(Interrupted::TimedOut),
            _ = self.cancel.cancelled() => Err(Interrupted::Cancelled),
        }
    }

    /// [`Deadline::within`] for `on_stop` [`OnStop::Abandon`]; for [`OnStop::Finish`],
    /// `work` runs until it finishes or the deadline passes, whatever Terraform asks.
    pub async fn within_or_finish<F: Future>(
        &self,
        on_stop: OnStop,
        work: F,
    ) -> Result<F::Output, Interrupted> {
        match on_stop {
            OnStop::Abandon => self.within(work).await,
            OnStop::Finish => tokio::select! {
                out = work => Ok(out),
                _ = tokio::time::sleep_until(self.at) => Err(Interrupted::TimedOut),
            },
        }
    }

    /// Waits `wait`, unless Terraform stops first.
    pub async fn sleep(&self, wait: Duration) -> Result<(), Interrupted> {
        tokio::select! {
            _ = tokio::time::sleep(wait) => Ok(()),
            _ = self.cancel.cancelled() => Err(Interrupted::Cancelled),
        }
    }
}

/// A cancellation that fires after `after`, as Terraform's Stop would (for tests).
#[cfg(test)]
pub(super) fn stop_after(after: Duration) -> CancellationToken {
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        stop.cancel();
    });
    cancel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn capped_keeps_the_earlier_end_and_the_cancellation() {
        let cancel = CancellationToken::new();
        let d = Deadline::after(Duration::from_secs(60), cancel.clone());
        assert!(d.capped(Duration::from_secs(1)).remaining() <= Duration::from_secs(1));
        assert!(d.capped(Duration::from_secs(600)).remaining() <= Duration::from_secs(60));
        let step = d.capped(Duration::from_secs(1));
        cancel.cancel();
        assert!(step.is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn within_ends_at_the_deadline_or_on_stop() {
        let d = Deadline::after(Duration::from_millis(20), CancellationToken::new());
        assert_eq!(
            d.within(std::future::pending::<()>()).await,
            Err(Interrupted::TimedOut)
        );
        let cancel = CancellationToken::new();
        let d = Deadline::after(Duration::from_secs(60), cancel.clone());
        cancel.cancel();
        assert_eq!(
            d.within(std::future::pending::<()>()).await,
            Err(Interrupted::Cancelled)
        );
        assert_eq!(
            d.sleep(Duration::from_secs(60)).await,
            Err(Interrupted::Cancelled)
        );
        let d = Deadline::after(Duration::from_secs(60), CancellationToken::new());
        assert_eq!(d.within(async { 7 }).await, Ok(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_in_flight_finishes_after_stop_but_not_after_the_deadline() {
        let cancel = CancellationToken::new();
        let d = Deadline::after(Duration::from_secs(60), cancel.clone());
        let stop = cancel.clone();
        let write = async move {
            stop.cancel(); // Terraform stops while the write is in flight
            tokio::time::sleep(Duration::from_millis(30)).await;
            "answered"
        };
        assert_eq!(
            d.within_or_finish(OnStop::Finish, write).await,
            Ok("answered")
        );
        assert!(d.is_cancelled());
        let read = tokio::time::sleep(Duration::from_millis(30));
        assert_eq!(
            d.within_or_finish(OnStop::Abandon, read).await,
            Err(Interrupted::Cancelled)
        );
        let short = Deadline::after(Duration::from_millis(20), cancel);
        assert_eq!(
            short
                .within_or_finish(OnStop::Finish, std::future::pending::<()>())
                .await,
            Err(Interrupted::TimedOut)
        );
    }
}
