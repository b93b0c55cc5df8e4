//! One Graph request for many lookups: callers that need a key answered within a short
//! collection window ([`WINDOW`]) share one resolve call; an answered key is kept for the
//! rest of the run (one provider process) unless the batcher is
//! [`forgetful`](WindowBatcher::forgetful), a failed one never is.
//!
//! Terraform plans up to `-parallelism` resources at once, each in its own
//! PlanResourceChange call, and never shows the provider the whole configuration. The
//! calls that run together reach the principal check within a few milliseconds of one
//! another (they wait on the same shared credential list, and Terraform starts the next
//! ones as soon as earlier ones finish), so a window of that size gathers them without
//! making any plan noticeably slower.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::entra::graph::{GraphError, GraphErrorKind};
use crate::entra::retry::{Deadline, Interrupted};

/// How long a batch collects keys after its first one, before it is sent.
///
/// Measured with a 200 ms window and `TF_LOG_PROVIDER=debug` (tests/graph_economy.rs:
/// Terraform 1.11 planning 60 creates on 3 applications at `-parallelism=10`, emulator
/// without latency, 2-core machine): in the plan walk each wave of 10 plans reached the
/// check within 3.6-4.3 ms of its first, except the first waves (10 and 22 ms), which
/// wait for the applications' credential lists, answered at different times. In the
/// apply walk the re-plans arrive one by one as creates finish, 7-10 ms apart here and a
/// Graph write apart in real use: no window of a few ms gathers those (the managed
/// identity listing does, see `principal_lookup`). 5 ms gathers a steady wave whole and
/// costs each plan at most 5 ms, against 50-200 ms for one Graph round trip.
pub const WINDOW: Duration = Duration::from_millis(5);

/// How long a waiter whose deadline passed still waits for its batch's own answer.
const GRACE: Duration = Duration::from_millis(250);

/// Answers a batch of keys: one entry per key it could answer.
#[async_trait]
pub trait Resolve<K, V>: Send + Sync {
    /// What the service says about `keys`, within `d`.
    async fn resolve(&self, keys: Vec<K>, d: Deadline) -> Result<HashMap<K, V>, GraphError>;
}

type Answer<K, V> = Option<Arc<Result<HashMap<K, V>, GraphError>>>;

/// A batch still collecting keys.
struct Open<K, V> {
    id: u64,
    keys: Vec<K>,
    opened: Instant,
    last: Instant,
    /// The deadline of the caller that opened it: the batch is sent with it.
    deadline: Deadline,
    answer: watch::Sender<Answer<K, V>>,
}

struct State<K, V> {
    /// Answered keys, kept for the run.
    known: HashMap<K, V>,
    /// Keys in a batch not answered yet, and where their answer will come.
    waiting: HashMap<K, (watch::Receiver<Answer<K, V>>, Deadline)>,
    open: Option<Open<K, V>>,
    next_id: u64,
}

/// Lookups by key, batched in windows of [`WINDOW`] (at most `max` keys per batch: a
/// full batch is sent at once).
pub struct WindowBatcher<K, V> {
    window: Duration,
    max: usize,
    keep: bool,
    state: Arc<Mutex<State<K, V>>>,
}

enum Enqueued<K, V> {
    Known(V),
    /// The batch's answer, and the deadline it was sent with.
    Wait(watch::Receiver<Answer<K, V>>, Deadline),
}

impl<K, V> WindowBatcher<K, V>
where
    K: Clone + Eq + Hash + Send + Sync + std::fmt::Debug + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Batches of at most `max` keys, sent `window` after their first key.
    pub fn new(window: Duration, max: usize) -> Self {
        WindowBatcher {
            window,
            max: max.max(1),
            keep: true,
            state: Arc::new(Mutex::new(State {
                known: HashMap::new(),
                waiting: HashMap::new(),
                open: None,
                next_id: 0,
            })),
        }
    }

    /// Answers are handed to their waiters and not kept: for values that change during
    /// the run (an application's credentials), which the caller keeps current itself.
    pub fn forgetful(mut self) -> Self {
        self.keep = false;
        self
    }

    /// The answer for `key`: kept from earlier in the run, or from the batch it joins
    /// (opened now, with `resolver` and `d`, if none is collecting). Waits at most
    /// until `d`; a failed batch fails every key in it and is not kept.
    pub async fn lookup(
        &self,
        key: K,
        d: &Deadline,
        resolver: Arc<dyn Resolve<K, V>>,
    ) -> Result<V, GraphError> {
        loop {
            let (mut answer, sent_with) = match self.enqueue(&key, d, resolver.clone()) {
                Enqueued::Known(v) => return Ok(v),
                Enqueued::Wait(rx, sent_with) => (rx, sent_with),
            };
            let waited = d
                .within(answer.wait_for(Option::is_some))
                .await
                .map(|seen| seen.ok().and_then(|s| s.clone()));
            let result = match waited {
                // A batch sent with this deadline ends at the same moment with what actually
                // happened (the last error of its tries): a short grace lets that answer,
                // rather than a bare "timed out", reach the caller.
                Err(Interrupted::TimedOut) => {
                    match tokio::time::timeout(GRACE, answer.wait_for(Option::is_some)).await {
                        Ok(Ok(seen)) => seen.clone(),
                        _ => return Err(Interrupted::TimedOut.into()),
                    }
                }
                Err(interrupted) => return Err(interrupted.into()),
                Ok(seen) => seen,
            };
            let Some(result) = result else {
                return Err(GraphError::new(
                    GraphErrorKind::Cancelled,
                    "the batched lookup ended without an answer",
                ));
            };
            match result.as_ref() {
                // The batch ran out of its own, shorter time (a plan's read budget, say)
                // while this caller has time left: it asks again, with its own deadline.
                Err(_) if sent_with.ends_before(d) && sent_with.expired() && !d.expired() => {
                    continue
                }
                Ok(found) => {
                    return found.get(&key).cloned().ok_or_else(|| {
                        GraphError::new(
                            GraphErrorKind::Malformed,
                            format!("Graph's answer to a batched lookup left out {key:?}"),
                        )
                    })
                }
                Err(e) => return Err(e.clone()),
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<K, V>> {
        lock(&self.state)
    }

    fn enqueue(&self, key: &K, d: &Deadline, resolver: Arc<dyn Resolve<K, V>>) -> Enqueued<K, V> {
        let mut st = self.lock();
        if let Some(v) = st.known.get(key) {
            return Enqueued::Known(v.clone());
        }
        if let Some((rx, sent_with)) = st.waiting.get(key) {
            return Enqueued::Wait(rx.clone(), sent_with.clone());
        }
        let opening = st.open.is_none();
        let id = st.next_id;
        let now = Instant::now();
        let open = st.open.get_or_insert_with(|| Open {
            id,
            keys: Vec::new(),
            opened: now,
            last: now,
            deadline: d.clone(),
            answer: watch::channel(None).0,
        });
        if opening {
            let (state, window, keep) = (self.state.clone(), self.window, self.keep);
            let resolver = resolver.clone();
            tokio::spawn(async move {
                tokio::time::sleep(window).await;
                let due = {
                    let mut st = lock(&state);
                    match &st.open {
                        Some(open) if open.id == id => st.open.take(),
                        _ => None, // sent already, full
                    }
                };
                if let Some(batch) = due {
                    send(state, batch, resolver, keep).await;
                }
            });
        }
        open.keys.push(key.clone());
        open.last = now;
        let rx = open.answer.subscribe();
        let full = open.keys.len() >= self.max;
        let sent_with = open.deadline.clone();
        if opening {
            st.next_id += 1;
        }
        st.waiting
            .insert(key.clone(), (rx.clone(), sent_with.clone()));
        if full {
            if let Some(batch) = st.open.take() {
                let (state, keep) = (self.state.clone(), self.keep);
                tokio::spawn(async move { send(state, batch, resolver, keep).await });
            }
        }
        Enqueued::Wait(rx, sent_with)
    }
}

fn lock<K, V>(state: &Mutex<State<K, V>>) -> MutexGuard<'_, State<K, V>> {
    // A poisoned lock still holds whole entries: every change is one insert or remove.
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sends `batch`, keeps what it answered, and wakes its waiters.
async fn send<K, V>(
    state: Arc<Mutex<State<K, V>>>,
    batch: Open<K, V>,
    resolver: Arc<dyn Resolve<K, V>>,
    keep: bool,
) where
    K: Clone + Eq + Hash + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    tracing::debug!(
        keys = batch.keys.len(),
        spread_ms = (batch.last - batch.opened).as_secs_f64() * 1000.0,
        "lookup batch sent"
    );
    let result = resolver
        .resolve(batch.keys.clone(), batch.deadline.clone())
        .await;
    {
        let mut st = lock(&state);
        if let (Ok(found), true) = (&result, keep) {
            for (k, v) in found {
                st.known.insert(k.clone(), v.clone());
            }
        }
        for k in &batch.keys {
            st.waiting.remove(k);
        }
    }
    // No receiver left (every waiter gave up) is not an error.
    let _ = batch.answer.send(Some(Arc::new(result)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio_util::sync::CancellationToken;

    /// Answers `key * 10`, records each call's keys and time; fails while `fail` is set.
    struct Fake {
        start: Instant,
        calls: Mutex<Vec<(Duration, Vec<u32>)>>,
        fail: AtomicBool,
        hang: bool,
        /// Tries until the deadline, then answers with the last try's error.
        last_error_at_deadline: bool,
    }

    impl Default for Fake {
        fn default() -> Self {
            Fake {
                start: Instant::now(),
                calls: Mutex::default(),
                fail: AtomicBool::new(false),
                hang: false,
                last_error_at_deadline: false,
            }
        }
    }

    #[async_trait]
    impl Resolve<u32, u32> for Fake {
        async fn resolve(
            &self,
            keys: Vec<u32>,
            d: Deadline,
        ) -> Result<HashMap<u32, u32>, GraphError> {
            self.calls
                .lock()
                .unwrap()
                .push((Instant::now() - self.start, keys.clone()));
            if self.hang {
                std::future::pending::<()>().await;
            }
            if self.last_error_at_deadline {
                tokio::time::sleep(d.remaining()).await;
                return Err(GraphError::new(
                    GraphErrorKind::Transport,
                    "connecting to https://graph.example timed out",
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await; // a Graph round trip
            if self.fail.load(Ordering::SeqCst) {
                return Err(GraphError::new(GraphErrorKind::Throttled, "429"));
            }
            Ok(keys.into_iter().map(|k| (k, k * 10)).collect())
        }
    }

    fn d() -> Deadline {
        Deadline::after(Duration::from_secs(2), CancellationToken::new())
    }

    fn batcher(max: usize) -> Arc<WindowBatcher<u32, u32>> {
        Arc::new(WindowBatcher::new(WINDOW, max))
    }

    /// Starts a lookup of `key` after `after`.
    fn ask(
        b: &Arc<WindowBatcher<u32, u32>>,
        fake: &Arc<Fake>,
        key: u32,
        after: Duration,
    ) -> tokio::task::JoinHandle<Result<u32, GraphError>> {
        let (b, fake) = (b.clone(), fake.clone());
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            b.lookup(key, &d(), fake).await
        })
    }

    fn calls(fake: &Fake) -> Vec<(Duration, Vec<u32>)> {
        let mut c = fake.calls.lock().unwrap().clone();
        for (_, keys) in &mut c {
            keys.sort();
        }
        c
    }

    const MS: Duration = Duration::from_millis(1);

    #[tokio::test(start_paused = true)]
    async fn lookups_within_the_window_share_one_call() {
        let (b, fake) = (batcher(1000), Arc::new(Fake::default()));
        let asked: Vec<_> = [(1, 0), (2, 1), (3, 4), (2, 4), (4, 6), (5, 20)]
            .into_iter()
            .map(|(k, at)| (k, ask(&b, &fake, k, MS * at)))
            .collect();
        for (k, task) in asked {
            assert_eq!(
                task.await.unwrap().unwrap(),
                k * 10,
                "each waiter gets its own answer"
            );
        }
        // 1, 2, 3 (and 2 again) within 5 ms of the first; 4 opens the next window at 6 ms
        // and 5 the one after; each batch leaves when its window closes.
        assert_eq!(
            calls(&fake),
            vec![
                (WINDOW, vec![1, 2, 3]),
                (MS * 6 + WINDOW, vec![4]),
                (MS * 20 + WINDOW, vec![5])
            ]
        );
        // Answered keys are kept for the run: no call, no wait.
        let before = Instant::now();
        assert_eq!(b.lookup(3, &d(), fake.clone()).await.unwrap(), 30);
        assert_eq!(Instant::now(), before);
        assert_eq!(calls(&fake).len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_forgetful_batcher_asks_again_after_each_answer() {
        let b = Arc::new(WindowBatcher::new(WINDOW, 1000).forgetful());
        let fake = Arc::new(Fake::default());
        let (one, two) = (ask(&b, &fake, 1, MS), ask(&b, &fake, 1, MS * 2));
        assert_eq!(one.await.unwrap().unwrap(), 10);
        assert_eq!(two.await.unwrap().unwrap(), 10);
        assert_eq!(calls(&fake).len(), 1, "waiters of one batch still share it");
        assert_eq!(b.lookup(1, &d(), fake.clone()).await.unwrap(), 10);
        assert_eq!(calls(&fake).len(), 2, "an answered key is asked again");
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_asked_while_its_batch_is_in_flight_waits_for_it() {
        let (b, fake) = (batcher(1000), Arc::new(Fake::default()));
        let first = ask(&b, &fake, 7, Duration::ZERO);
        let during = ask(&b, &fake, 7, MS * 50); // the batch left at 5 ms, answers at 105
        assert_eq!(first.await.unwrap().unwrap(), 70);
        assert_eq!(during.await.unwrap().unwrap(), 70);
        assert_eq!(calls(&fake), vec![(WINDOW, vec![7])]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_batch_leaves_at_once() {
        let (b, fake) = (batcher(3), Arc::new(Fake::default()));
        let asked: Vec<_> = (1..=4).map(|k| ask(&b, &fake, k, MS)).collect();
        for t in asked {
            t.await.unwrap().unwrap();
        }
        assert_eq!(
            calls(&fake),
            vec![(MS, vec![1, 2, 3]), (MS + WINDOW, vec![4])]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_reaches_every_waiter_and_is_not_kept() {
        let (b, fake) = (batcher(1000), Arc::new(Fake::default()));
        fake.fail.store(true, Ordering::SeqCst);
        let (one, two) = (ask(&b, &fake, 1, MS), ask(&b, &fake, 2, MS * 2));
        for t in [one, two] {
            let e = t.await.unwrap().unwrap_err();
            assert_eq!(e.kind, GraphErrorKind::Throttled);
        }
        fake.fail.store(false, Ordering::SeqCst);
        assert_eq!(b.lookup(1, &d(), fake.clone()).await.unwrap(), 10);
        assert_eq!(calls(&fake).len(), 2, "asked again after the failure");
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_ending_at_the_deadline_says_what_happened() {
        let b = batcher(1000);
        let fake = Arc::new(Fake {
            last_error_at_deadline: true,
            ..Fake::default()
        });
        let d = Deadline::after(MS * 300, CancellationToken::new());
        let e = b.lookup(1, &d, fake).await.unwrap_err();
        assert_eq!(e.kind, GraphErrorKind::Transport, "{e}");
        assert!(e.message.contains("connecting to"), "{e}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_with_more_time_asks_again_after_a_shorter_batch_ran_out() {
        let b = batcher(1000);
        let fake = Arc::new(Fake {
            last_error_at_deadline: true,
            ..Fake::default()
        });
        let short = Deadline::after(MS * 300, CancellationToken::new());
        let long = Deadline::after(MS * 900, CancellationToken::new());
        let (b2, fake2) = (b.clone(), fake.clone());
        let first = tokio::spawn(async move { b2.lookup(1, &short, fake2).await });
        tokio::time::sleep(MS).await;
        let started = Instant::now();
        let e = b.lookup(1, &long, fake.clone()).await.unwrap_err();
        assert!(first.await.unwrap().is_err());
        // The second caller joined the first batch, saw it end at 300 ms, and asked
        // again in a batch of its own, which ran to its own deadline.
        assert_eq!(calls(&fake).len(), 2, "{:?}", calls(&fake));
        assert_eq!(e.kind, GraphErrorKind::Transport, "{e}");
        assert!(
            Instant::now() - started >= MS * 890,
            "{:?}",
            Instant::now() - started
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_stops_at_its_own_deadline() {
        let b = batcher(1000);
        let fake = Arc::new(Fake {
            hang: true,
            ..Fake::default()
        });
        let short = Deadline::after(MS * 300, CancellationToken::new());
        let started = Instant::now();
        let e = b.lookup(1, &short, fake.clone()).await.unwrap_err();
        // The waiter's own clock ran out: the operation's timeout, said as such.
        assert_eq!(e.kind, GraphErrorKind::TimedOut, "{e}");
        assert_eq!(Instant::now() - started, MS * 300 + GRACE);
        let cancel = CancellationToken::new();
        cancel.cancel();
        let stopped = Deadline::after(Duration::from_secs(9), cancel);
        let e = b.lookup(2, &stopped, fake).await.unwrap_err();
        assert_eq!(e.kind, GraphErrorKind::Cancelled);
    }
}
