//! Waiting for something to become true: a check repeated with backoff until it says
//! it is done, within the operation's deadline. For eventual consistency (a new
//! credential not visible yet, a deleted one still listed, a trust still propagating),
//! where "not yet" is an expected answer rather than a failure.

use std::future::Future;

use super::{Backoff, Deadline, Interrupted};

/// One check's verdict.
#[derive(Debug)]
pub enum Poll<T, P> {
    /// Finished, successfully or not: [`poll`] returns it as is.
    Ready(T),
    /// Not yet; `P` is what the check saw, handed back if time runs out.
    Pending(P),
}

/// Why [`poll`] ended without a ready result.
#[derive(Debug, PartialEq, Eq)]
pub struct NotReady<P> {
    /// The deadline passed or Terraform stopped.
    pub reason: Interrupted,
    /// What the last check saw; `None` when no check finished.
    pub last: Option<P>,
}

impl<P: From<Interrupted>> NotReady<P> {
    /// The last pending answer, or the interruption itself when there was none.
    pub fn into_last(self) -> P {
        self.last.unwrap_or_else(|| P::from(self.reason))
    }
}

/// Runs `check` until it is [`Poll::Ready`], waiting between checks with full-jitter
/// `backoff` (at least half of `backoff.base`, so it never spins). Ends with
/// [`NotReady`] when the deadline passes after a pending check, or when Terraform stops
/// (also in the middle of a check or a wait).
pub async fn poll<T, P, F, Fut>(
    backoff: Backoff,
    deadline: &Deadline,
    mut check: F,
) -> Result<T, NotReady<P>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Poll<T, P>>,
{
    let mut last = None;
    let mut n: u32 = 0;
    loop {
        let stopped = |last| NotReady {
            reason: Interrupted::Cancelled,
            last,
        };
        if deadline.is_cancelled() {
            return Err(stopped(last));
        }
        let verdict = tokio::select! {
            v = check() => v,
            _ = deadline.cancel.cancelled() => return Err(stopped(last)),
        };
        match verdict {
            Poll::Ready(t) => return Ok(t),
            Poll::Pending(p) => last = Some(p),
        }
        if deadline.expired() {
            return Err(NotReady {
                reason: Interrupted::TimedOut,
                last,
            });
        }
        let wait = backoff
            .delay(n)
            .max(backoff.base / 2)
            .min(deadline.remaining());
        if deadline.sleep(wait).await.is_err() {
            return Err(stopped(last));
        }
        n = n.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;
    use tokio_util::sync::CancellationToken;

    fn fast() -> Backoff {
        Backoff::new(Duration::from_millis(2), Duration::from_millis(5))
    }

    #[tokio::test]
    async fn checks_until_ready() {
        let calls = &AtomicU32::new(0);
        let d = Deadline::after(Duration::from_secs(5), CancellationToken::new());
        let r: Result<u32, NotReady<u32>> = poll(fast(), &d, || async move {
            match calls.fetch_add(1, Ordering::SeqCst) {
                n if n < 3 => Poll::Pending(n),
                n => Poll::Ready(n),
            }
        })
        .await;
        assert_eq!(r, Ok(3));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_hands_back_the_last_pending_answer() {
        let d = Deadline::after(Duration::from_millis(30), CancellationToken::new());
        let r: Result<(), NotReady<&str>> =
            poll(fast(), &d, || async { Poll::Pending("still there") }).await;
        assert_eq!(
            r,
            Err(NotReady {
                reason: Interrupted::TimedOut,
                last: Some("still there")
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stop_interrupts_a_hanging_check() {
        let stop = super::super::deadline::stop_after(Duration::from_millis(20));
        let d = Deadline::after(Duration::from_secs(60), stop);
        let r: Result<(), NotReady<()>> = poll(fast(), &d, std::future::pending).await;
        assert_eq!(
            r,
            Err(NotReady {
                reason: Interrupted::Cancelled,
                last: None
            })
        );
    }
}
