//! SPEC §6's retry policy: retry throttling (429), unavailability (503, 504) and
//! connection failures; honour `Retry-After`; otherwise exponential backoff with full
//! jitter; stop at the operation's deadline or when Terraform cancels.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Backoff shape. Tests use millisecond values.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(250),
            max: Duration::from_secs(20),
        }
    }
}

impl Backoff {
    /// Full jitter: uniform in `0..=min(max, base * 2^attempt)`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let cap = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis.max(1)))
    }
}

/// When an operation must end: its timeout, or Terraform's Stop.
#[derive(Debug, Clone)]
pub struct Deadline {
    pub at: Instant,
    pub cancel: CancellationToken,
}

impl Deadline {
    pub fn after(d: Duration, cancel: CancellationToken) -> Deadline {
        Deadline {
            at: Instant::now() + d,
            cancel,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }
}

/// One attempt's outcome.
pub enum Attempt<T, E> {
    Done(T),
    /// Worth another try; `after` is the server's Retry-After.
    Retry {
        error: E,
        after: Option<Duration>,
    },
    Fail(E),
}

/// Why the loop gave up without a result of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupted {
    Cancelled,
    TimedOut,
}

/// Runs `attempt` until it is done, fails for good, or the deadline passes. On timeout
/// the last retryable error is returned, so the user sees what kept failing.
pub async fn run<T, E, F, Fut>(
    backoff: Backoff,
    deadline: &Deadline,
    mut attempt: F,
) -> Result<T, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<T, E>>,
    E: From<Interrupted>,
{
    let mut n: u32 = 0;
    loop {
        if deadline.cancel.is_cancelled() {
            return Err(E::from(Interrupted::Cancelled));
        }
        let outcome = tokio::select! {
            outcome = attempt(n) => outcome,
            _ = deadline.cancel.cancelled() => return Err(E::from(Interrupted::Cancelled)),
        };
        let (error, after) = match outcome {
            Attempt::Done(t) => return Ok(t),
            Attempt::Fail(e) => return Err(e),
            Attempt::Retry { error, after } => (error, after),
        };
        let wait = after.unwrap_or_else(|| backoff.delay(n));
        if deadline.remaining() <= wait {
            return Err(error);
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = deadline.cancel.cancelled() => return Err(E::from(Interrupted::Cancelled)),
        }
        n = n.saturating_add(1);
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let raw = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = raw.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(300.0)));
    }
    let when =
        time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc2822).ok()?;
    let secs = (when - time::OffsetDateTime::now_utc()).as_seconds_f64();
    Some(Duration::from_secs_f64(secs.clamp(0.0, 300.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug, PartialEq)]
    enum E {
        Busy(u32),
        Broken,
        Stopped(Interrupted),
    }
    impl From<Interrupted> for E {
        fn from(i: Interrupted) -> E {
            E::Stopped(i)
        }
    }

    fn fast() -> Backoff {
        Backoff {
            base: Duration::from_millis(1),
            max: Duration::from_millis(5),
        }
    }

    #[tokio::test]
    async fn retries_until_done() {
        let calls = AtomicU32::new(0);
        let d = Deadline::after(Duration::from_secs(5), CancellationToken::new());
        let r: Result<u32, E> = run(fast(), &d, |n| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 3 {
                    Attempt::Retry {
                        error: E::Busy(n),
                        after: None,
                    }
                } else {
                    Attempt::Done(n)
                }
            }
        })
        .await;
        assert_eq!(r, Ok(3));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn fails_fast_on_permanent_errors() {
        let d = Deadline::after(Duration::from_secs(5), CancellationToken::new());
        let r: Result<(), E> = run(fast(), &d, |_| async { Attempt::Fail(E::Broken) }).await;
        assert_eq!(r, Err(E::Broken));
    }

    #[tokio::test]
    async fn deadline_returns_the_last_error() {
        let d = Deadline::after(Duration::from_millis(50), CancellationToken::new());
        let r: Result<(), E> = run(fast(), &d, |n| async move {
            Attempt::Retry {
                error: E::Busy(n),
                after: Some(Duration::from_millis(20)),
            }
        })
        .await;
        assert!(matches!(r, Err(E::Busy(n)) if n >= 1), "{r:?}");
    }

    #[tokio::test]
    async fn cancellation_stops_waiting() {
        let cancel = CancellationToken::new();
        let d = Deadline::after(Duration::from_secs(60), cancel.clone());
        let c2 = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            c2.cancel();
        });
        let started = std::time::Instant::now();
        let r: Result<(), E> = run(fast(), &d, |_| async {
            Attempt::Retry {
                error: E::Busy(0),
                after: Some(Duration::from_secs(30)),
            }
        })
        .await;
        assert_eq!(r, Err(E::Stopped(Interrupted::Cancelled)));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn retry_after_forms() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn jitter_stays_under_the_cap() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(400),
        };
        for attempt in 0..10 {
            assert!(b.delay(attempt) <= Duration::from_millis(400));
        }
    }
}
