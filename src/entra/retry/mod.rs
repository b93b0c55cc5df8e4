//! One home for retrying and waiting on the Entra side.
//!
//! Each service has its [`Policy`]: which answers are worth another attempt, how long
//! to wait between attempts and how many to make. [`run`] repeats one request under a
//! policy, honouring `Retry-After` and backing off exponentially with full jitter
//! otherwise; [`poll`] repeats a check with a [`Backoff`] until it says done. Both end at
//! the operation's [`Deadline`] or as soon as Terraform stops; a write already sent is
//! the exception ([`OnStop`]).

mod deadline;
mod poll;

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

pub use deadline::{Deadline, Interrupted, OnStop};
pub use poll::{poll, NotReady, Poll};

/// Backoff shape: full jitter, uniform in `0..=min(max, base * 2^attempt)`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The cap of the first wait; doubled on each attempt.
    pub base: Duration,
    /// The largest cap.
    pub max: Duration,
}

impl Backoff {
    /// A backoff from `base` doubling up to `max`.
    pub const fn new(base: Duration, max: Duration) -> Backoff {
        Backoff { base, max }
    }

    /// Waiting for a write to show (read-back after create, confirmation of a delete).
    pub const POLLING: Backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(5));

    /// The wait before attempt `attempt + 1`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let cap = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis.max(1)))
    }
}

/// How one service is retried.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The wait between attempts when the service does not say (`Retry-After`).
    pub backoff: Backoff,
    /// Attempts before the last error is returned; `u32::MAX` tries until the deadline.
    /// Sign-in is bounded: a sign-in that keeps failing is reported, not waited out.
    pub max_attempts: u32,
    /// The HTTP statuses worth another attempt.
    pub retry_on: fn(u16) -> bool,
    /// 410 Gone is retried at least this long after the first attempt, whatever
    /// `max_attempts` says: IMDS answers 410 while its host is being upgraded and asks
    /// clients to keep trying for 70 seconds.
    pub gone_for: Duration,
}

impl Policy {
    /// Microsoft Graph: throttling (429) and unavailability (503, 504), until the
    /// operation's deadline.
    pub const GRAPH: Policy = Policy {
        backoff: Backoff::new(Duration::from_millis(250), Duration::from_secs(20)),
        max_attempts: u32::MAX,
        retry_on: |s| matches!(s, 429 | 503 | 504),
        gone_for: Duration::ZERO,
    };

    /// Entra's token endpoint: throttling and any 5xx, a few times.
    pub const TOKEN_ENDPOINT: Policy = Policy {
        backoff: Backoff::new(Duration::from_millis(200), Duration::from_secs(5)),
        max_attempts: 4,
        retry_on: |s| s == 429 || (500..600).contains(&s),
        gone_for: Duration::ZERO,
    };

    /// Managed identity endpoints (IMDS and the others): 404 (identity not yet
    /// assigned), 408, 410 (host upgrading, for at least 70 s), 429 and 5xx.
    pub const MANAGED_IDENTITY: Policy = Policy {
        backoff: Backoff::new(Duration::from_millis(800), Duration::from_secs(20)),
        max_attempts: 8,
        retry_on: |s| matches!(s, 404 | 408 | 410 | 429) || (500..600).contains(&s),
        gone_for: Duration::from_secs(70),
    };

    /// The same policy with another backoff (tests use milliseconds).
    pub fn with_backoff(self, backoff: Backoff) -> Policy {
        Policy { backoff, ..self }
    }

    /// Whether an answer with `status` is worth another attempt.
    pub fn retries(&self, status: u16) -> bool {
        (self.retry_on)(status)
    }

    /// Whether attempt number `attempt` (from 0) that ended with `status` may be followed
    /// by another, `since` the first attempt started.
    fn may_retry(&self, status: Option<u16>, attempt: u32, since: Duration) -> bool {
        match status {
            Some(s) if !self.retries(s) => false,
            Some(410) if since < self.gone_for => true,
            _ => attempt.saturating_add(1) < self.max_attempts,
        }
    }
}

/// One attempt's outcome.
pub enum Attempt<T, E> {
    /// Success.
    Done(T),
    /// The service answered with an error status; the policy decides on another try.
    Answered {
        /// The HTTP status.
        status: u16,
        /// The error to report if this was the last attempt.
        error: E,
        /// The service's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// No answer (connection failure, response cut off): worth another try.
    NoAnswer(E),
    /// A failure no retry can fix.
    Fail(E),
}

/// Runs `attempt` (given the attempt number, from 0) under `policy` until it is done,
/// fails for good, runs out of attempts or the deadline passes; those last two return
/// the last error, so the user sees what kept failing. An attempt still running when the
/// deadline passes ends with the previous attempt's error, or `E::from(Interrupted::TimedOut)`
/// when it was the first; Terraform's Stop ends the
/// loop at once, also in the middle of an attempt, with `E::from(Interrupted::Cancelled)`.
pub async fn run<T, E, F, Fut>(policy: &Policy, deadline: &Deadline, attempt: F) -> Result<T, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<T, E>>,
    E: From<Interrupted>,
{
    run_with(policy, deadline, OnStop::Abandon, attempt).await
}

/// [`run`], with what Stop does to an attempt in flight: [`OnStop::Finish`] lets it run
/// to its answer (a write), which is returned; no further attempt or wait starts after
/// Stop either way. The attempt itself checks for Stop before it sends.
pub async fn run_with<T, E, F, Fut>(
    policy: &Policy,
    deadline: &Deadline,
    on_stop: OnStop,
    attempt: F,
) -> Result<T, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<T, E>>,
    E: From<Interrupted>,
{
    run_counted(policy, deadline, on_stop, attempt)
        .await
        .map_err(|(e, _)| e)
}

/// Why [`run_counted`] returned the last error, so that it can be told in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaveUp {
    /// A failure no retry can fix, or an answer the policy does not retry.
    Permanent,
    /// The policy's attempts were used up.
    OutOfAttempts,
    /// The operation's timeout would pass before the next attempt could start (its
    /// backoff or `Retry-After` is longer than the time left).
    TimeoutReached,
    /// Terraform stopped, or the deadline passed while an attempt was in flight (the
    /// error itself says which).
    Interrupted,
}

/// How a retried request ended without success: why, after how many attempts, over how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ending {
    /// Why no further attempt was made.
    pub why: GaveUp,
    /// Attempts made (started), from 1.
    pub tries: u32,
    /// From the first attempt's start to the end.
    pub elapsed: Duration,
}

/// [`run_with`], returning with the last error how the run ended.
pub async fn run_counted<T, E, F, Fut>(
    policy: &Policy,
    deadline: &Deadline,
    on_stop: OnStop,
    mut attempt: F,
) -> Result<T, (E, Ending)>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<T, E>>,
    E: From<Interrupted>,
{
    let started = Instant::now();
    let mut n: u32 = 0;
    // The last attempt's error, reported when the deadline cuts the next attempt short:
    // it says what kept failing better than "no answer before the timeout".
    let mut last: Option<E> = None;
    let end = |why, tries: u32| Ending {
        why,
        tries,
        elapsed: started.elapsed(),
    };
    loop {
        if deadline.is_cancelled() {
            return Err((E::from(Interrupted::Cancelled), end(GaveUp::Interrupted, n)));
        }
        let tries = n.saturating_add(1);
        let outcome = match deadline.within_or_finish(on_stop, attempt(n)).await {
            Ok(o) => o,
            Err(Interrupted::TimedOut) => {
                return Err(match last.take() {
                    Some(e) => (e, end(GaveUp::TimeoutReached, tries)),
                    None => (
                        E::from(Interrupted::TimedOut),
                        end(GaveUp::Interrupted, tries),
                    ),
                })
            }
            Err(i) => return Err((E::from(i), end(GaveUp::Interrupted, tries))),
        };
        let (error, status, after) = match outcome {
            Attempt::Done(t) => return Ok(t),
            Attempt::Fail(e) => return Err((e, end(GaveUp::Permanent, tries))),
            Attempt::NoAnswer(e) => (e, None, None),
            Attempt::Answered {
                status,
                error,
                retry_after,
            } => (error, Some(status), retry_after),
        };
        if !policy.may_retry(status, n, started.elapsed()) {
            let why = match status {
                Some(s) if !policy.retries(s) => GaveUp::Permanent,
                _ => GaveUp::OutOfAttempts,
            };
            return Err((error, end(why, tries)));
        }
        let wait = after.unwrap_or_else(|| policy.backoff.delay(n));
        if deadline.remaining() <= wait {
            return Err((error, end(GaveUp::TimeoutReached, tries)));
        }
        if let Err(i) = deadline.sleep(wait).await {
            return Err((E::from(i), end(GaveUp::Interrupted, tries)));
        }
        last = Some(error);
        n = n.saturating_add(1);
    }
}

/// `Retry-After` as seconds or an HTTP date, at most 300 s.
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
    use tokio_util::sync::CancellationToken;

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

    fn fast() -> Policy {
        Policy::GRAPH.with_backoff(Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(5),
        ))
    }

    fn busy(n: u32, status: u16, after: Option<Duration>) -> Attempt<u32, E> {
        Attempt::Answered {
            status,
            error: E::Busy(n),
            retry_after: after,
        }
    }

    #[tokio::test]
    async fn retries_until_done() {
        let calls = AtomicU32::new(0);
        let d = Deadline::after(Duration::from_secs(5), CancellationToken::new());
        let r: Result<u32, E> = run(&fast(), &d, |n| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                match n {
                    0 => busy(n, 429, None),
                    1 => Attempt::NoAnswer(E::Busy(n)),
                    2 => busy(n, 503, None),
                    _ => Attempt::Done(n),
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
        let r: Result<(), E> = run(&fast(), &d, |_| async { Attempt::Fail(E::Broken) }).await;
        assert_eq!(r, Err(E::Broken));
        let r: Result<u32, E> = run(&fast(), &d, |n| async move { busy(n, 403, None) }).await;
        assert_eq!(r, Err(E::Busy(0)), "403 is not retried for Graph");
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_returns_the_last_error() {
        let d = Deadline::after(Duration::from_millis(500), CancellationToken::new());
        let r: Result<u32, E> = run(&fast(), &d, |n| async move {
            busy(n, 429, Some(Duration::from_millis(100)))
        })
        .await;
        assert!(matches!(r, Err(E::Busy(n)) if n >= 1), "{r:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_bounded_except_410_within_its_window() {
        let d = Deadline::after(Duration::from_secs(5), CancellationToken::new());
        let token = Policy::TOKEN_ENDPOINT.with_backoff(fast().backoff);
        let r: Result<u32, E> = run(&token, &d, |n| async move { busy(n, 500, None) }).await;
        assert_eq!(r, Err(E::Busy(3)), "four attempts, then the last error");
        let imds = Policy {
            gone_for: Duration::from_millis(100),
            ..Policy::MANAGED_IDENTITY.with_backoff(fast().backoff)
        };
        let started = Instant::now();
        let r: Result<u32, E> = run(&imds, &d, |n| async move { busy(n, 410, None) }).await;
        assert!(matches!(r, Err(E::Busy(n)) if n >= 7), "{r:?}");
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert!(!imds.retries(400) && imds.retries(404) && imds.retries(408));
    }

    /// On the paused clock: Stop at 20 ms ends the 30 s `Retry-After` wait at 20 ms.
    #[tokio::test(start_paused = true)]
    async fn cancellation_stops_waiting() {
        let stop = deadline::stop_after(Duration::from_millis(20));
        let d = Deadline::after(Duration::from_secs(60), stop);
        let started = Instant::now();
        let r: Result<u32, E> = run(&fast(), &d, |_| async {
            busy(0, 429, Some(Duration::from_secs(30)))
        })
        .await;
        assert_eq!(r, Err(E::Stopped(Interrupted::Cancelled)));
        assert_eq!(started.elapsed(), Duration::from_millis(20));
    }

    #[tokio::test]
    async fn a_write_in_flight_at_stop_is_answered_and_not_retried() {
        let cancel = CancellationToken::new();
        let d = Deadline::after(Duration::from_secs(60), cancel.clone());
        let calls = AtomicU32::new(0);
        let r: Result<u32, E> = run_with(&fast(), &d, OnStop::Finish, |n| {
            calls.fetch_add(1, Ordering::SeqCst);
            let stop = cancel.clone();
            async move {
                stop.cancel();
                tokio::time::sleep(Duration::from_millis(20)).await;
                Attempt::Done(n)
            }
        })
        .await;
        assert_eq!(r, Ok(0), "the answer of the write in flight is kept");
        let r: Result<u32, E> = run_with(&fast(), &d, OnStop::Finish, |n| async move {
            busy(n, 429, None)
        })
        .await;
        assert_eq!(
            r,
            Err(E::Stopped(Interrupted::Cancelled)),
            "no attempt after Stop"
        );
        let cancel = CancellationToken::new();
        let d = Deadline::after(Duration::from_secs(60), cancel.clone());
        let r: Result<u32, E> = run_with(&fast(), &d, OnStop::Finish, |n| {
            let stop = cancel.clone();
            async move {
                stop.cancel();
                busy(n, 503, None)
            }
        })
        .await;
        assert_eq!(
            r,
            Err(E::Stopped(Interrupted::Cancelled)),
            "no retry after Stop"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    /// How a run ended, on the paused clock: a permanent answer at once, a policy out of
    /// attempts, and the timeout reached when the next wait would pass it (with the
    /// tries and the time they took).
    #[tokio::test(start_paused = true)]
    async fn the_ending_says_why_after_how_many_tries_over_how_long() {
        let d = Deadline::after(Duration::from_secs(60), CancellationToken::new());
        let graph = Policy::GRAPH
            .with_backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(1)));
        let ended = |r: Result<u32, (E, Ending)>| r.err().map(|(_, end)| end);
        let r = run_counted(&graph, &d, OnStop::Abandon, |n| async move {
            busy(n, 500, None)
        })
        .await;
        let end = ended(r).expect("a 500 fails");
        assert_eq!(
            (end.why, end.tries, end.elapsed),
            (GaveUp::Permanent, 1, Duration::ZERO)
        );

        let token = Policy::TOKEN_ENDPOINT.with_backoff(graph.backoff);
        let r = run_counted(&token, &d, OnStop::Abandon, |n| async move {
            busy(n, 503, None)
        })
        .await;
        let end = ended(r).expect("503 four times");
        assert_eq!((end.why, end.tries), (GaveUp::OutOfAttempts, 4));

        // Retry-After 10 s with 35 s left: tries at 0, 10, 20, 30 s; the next would pass.
        let d = Deadline::after(Duration::from_secs(35), CancellationToken::new());
        let r = run_counted(&graph, &d, OnStop::Abandon, |n| async move {
            busy(n, 503, Some(Duration::from_secs(10)))
        })
        .await;
        let end = ended(r).expect("503 until the timeout");
        assert_eq!(
            (end.why, end.tries, end.elapsed),
            (GaveUp::TimeoutReached, 4, Duration::from_secs(30))
        );

        // The deadline cuts the second try short: the first try's error is what is said.
        let d = Deadline::after(Duration::from_secs(20), CancellationToken::new());
        let r = run_counted(&graph, &d, OnStop::Abandon, |n| async move {
            if n > 0 {
                tokio::time::sleep(Duration::from_secs(100)).await;
            }
            Attempt::<u32, E>::NoAnswer(E::Busy(n))
        })
        .await;
        let (e, end) = r.expect_err("cut short");
        assert_eq!(e, E::Busy(0));
        assert_eq!(
            (end.why, end.tries, end.elapsed),
            (GaveUp::TimeoutReached, 2, Duration::from_secs(20))
        );
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
