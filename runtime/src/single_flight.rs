//! One renewal however many callers need it: [`SingleFlight`] runs a piece of work (a token refresh, a login) in
//! its own task, lets every caller that arrives meanwhile join it, and forgets it once it is over, so a failure is
//! never cached; [`Backoff`] keeps renewals that keep failing from being retried by every call.
//!
//! - **Its own task**: the work is spawned, so a caller that gives up (its future dropped) cannot stop it half-way —
//!   a rotated refresh token is never lost between the answer and the save.
//! - **Never cached**: a flight is cleared when its work ends, before anyone else can start one; a flight whose
//!   task was cancelled (its runtime shut down) or panicked is [`FlightError::Interrupted`] for the callers that
//!   waited, and the next caller starts afresh.
//! - **Decide under the lock**: [`SingleFlight::lock`] hands out a guard under which a caller can look at its own
//!   state (did someone renew already?) and either join the flight under way or start one, with no window between
//!   the two.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use cardsdk_runtime::single_flight::SingleFlight;
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! let flights: SingleFlight<String, String> = SingleFlight::new();
//! let requests = Arc::new(AtomicU32::new(0));
//! let mut waiting = Vec::new();
//! for _ in 0..100 {
//!     let (flights, requests) = (flights.clone(), requests.clone());
//!     waiting.push(tokio::spawn(async move {
//!         let flight = flights.lock().join_or_start(|| async move {
//!             requests.fetch_add(1, Ordering::SeqCst);
//!             tokio::time::sleep(std::time::Duration::from_millis(50)).await;
//!             Ok::<_, String>("new-token".to_string())
//!         });
//!         flight.wait().await
//!     }));
//! }
//! for call in waiting {
//!     assert_eq!(call.await.unwrap().unwrap(), "new-token");
//! }
//! assert_eq!(requests.load(Ordering::SeqCst), 1, "one request for 100 callers");
//! # });
//! ```

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};

type Outcome<T, E> = Result<T, FlightError<E>>;
type Running<T, E> = Shared<BoxFuture<'static, Outcome<T, E>>>;

/// Why a flight gave no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlightError<E> {
    /// The work ran and failed.
    Failed(E),
    /// The work's task did not finish: its runtime shut down (`cancelled`) or it panicked. Nothing is known of
    /// its effect; the flight is over and the next caller may start another.
    Interrupted {
        /// The task was cancelled (its runtime stopped) rather than panicking.
        cancelled: bool,
    },
}

impl<E: fmt::Display> fmt::Display for FlightError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlightError::Failed(e) => e.fmt(f),
            FlightError::Interrupted { cancelled: true } => {
                f.write_str("the renewal was interrupted (its runtime stopped)")
            }
            FlightError::Interrupted { cancelled: false } => f.write_str("the renewal was interrupted (it panicked)"),
        }
    }
}

/// At most one piece of work at a time, shared by every caller that needs it (see the [module docs](self)).
/// Cheap to clone: clones share the flight.
pub struct SingleFlight<T, E> {
    shared: Arc<State<T, E>>,
}

struct State<T, E> {
    current: Mutex<Option<(u64, Running<T, E>)>>,
    ids: AtomicU64,
    started: AtomicU64,
}

impl<T, E> Clone for SingleFlight<T, E> {
    fn clone(&self) -> Self {
        SingleFlight { shared: self.shared.clone() }
    }
}

impl<T, E> fmt::Debug for SingleFlight<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let busy = self.shared.current.lock().map(|c| c.is_some()).unwrap_or(false);
        f.debug_struct("SingleFlight")
            .field("in_flight", &busy)
            .field("started", &self.shared.started.load(Ordering::Relaxed))
            .finish()
    }
}

impl<T, E> Default for SingleFlight<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        SingleFlight::new()
    }
}

impl<T, E> SingleFlight<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    /// No flight yet.
    ///
    /// ```
    /// let flights = cardsdk_runtime::single_flight::SingleFlight::<u32, String>::new();
    /// assert!(!flights.in_flight());
    /// ```
    pub fn new() -> Self {
        SingleFlight {
            shared: Arc::new(State { current: Mutex::new(None), ids: AtomicU64::new(0), started: AtomicU64::new(0) }),
        }
    }

    /// The flight lock: under it, look at the caller's own state, then [join or start](FlightGuard::join_or_start)
    /// a flight, or decide there is nothing to do.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let flights = cardsdk_runtime::single_flight::SingleFlight::<u32, String>::new();
    /// let guard = flights.lock();
    /// assert!(guard.current().is_none());
    /// let flight = guard.join_or_start(|| async { Ok(7) });
    /// assert_eq!(flight.wait().await, Ok(7));
    /// # });
    /// ```
    pub fn lock(&self) -> FlightGuard<'_, T, E> {
        FlightGuard { flights: self, current: self.shared.current.lock().unwrap_or_else(|e| e.into_inner()) }
    }

    /// Whether a flight is under way.
    pub fn in_flight(&self) -> bool {
        self.shared.current.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// How many flights were started (each is one piece of work, e.g. one refresh request).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let flights = cardsdk_runtime::single_flight::SingleFlight::<u32, String>::new();
    /// flights.lock().join_or_start(|| async { Ok(1) }).wait().await.unwrap();
    /// flights.lock().join_or_start(|| async { Ok(2) }).wait().await.unwrap();
    /// assert_eq!(flights.started(), 2, "one after the other: two flights");
    /// # });
    /// ```
    pub fn started(&self) -> u64 {
        self.shared.started.load(Ordering::Relaxed)
    }

    fn clear(&self, id: u64) {
        let mut current = self.shared.current.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|(running, _)| *running == id) {
            *current = None;
        }
    }
}

/// The flight lock, held while a caller decides (see [`SingleFlight::lock`]).
pub struct FlightGuard<'a, T, E> {
    flights: &'a SingleFlight<T, E>,
    current: MutexGuard<'a, Option<(u64, Running<T, E>)>>,
}

impl<T, E> fmt::Debug for FlightGuard<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlightGuard").field("in_flight", &self.current.is_some()).finish()
    }
}

impl<T, E> FlightGuard<'_, T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    /// The flight under way, to join.
    pub fn current(&self) -> Option<Flight<T, E>> {
        self.current.as_ref().map(|(id, running)| Flight {
            id: *id,
            running: running.clone(),
            flights: self.flights.clone(),
        })
    }

    /// Starts `work` in its own task (on the current tokio runtime) as the flight everyone joins until it ends.
    /// Must be called inside a tokio runtime.
    ///
    /// The flight is cleared as soon as the work ends (in its task, before its result is seen), so that what the
    /// work changed (the new token in the caller's state) is visible before anyone can start the next flight.
    pub fn start<F, Fut>(mut self, work: F) -> Flight<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let shared = &self.flights.shared;
        let id = shared.ids.fetch_add(1, Ordering::Relaxed);
        shared.started.fetch_add(1, Ordering::Relaxed);
        let flights = self.flights.clone();
        let work = work();
        let task = tokio::spawn(async move {
            let result = work.await;
            flights.clear(id);
            result
        });
        let running: Running<T, E> = async move {
            match task.await {
                Ok(result) => result.map_err(FlightError::Failed),
                Err(e) => Err(FlightError::Interrupted { cancelled: e.is_cancelled() }),
            }
        }
        .boxed()
        .shared();
        *self.current = Some((id, running.clone()));
        Flight { id, running, flights: self.flights.clone() }
    }

    /// The flight under way, or a new one running `work`.
    pub fn join_or_start<F, Fut>(self, work: F) -> Flight<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        match self.current() {
            Some(flight) => flight,
            None => self.start(work),
        }
    }
}

/// A flight to wait for. Dropping it does not stop the work.
pub struct Flight<T, E> {
    id: u64,
    running: Running<T, E>,
    flights: SingleFlight<T, E>,
}

impl<T, E> fmt::Debug for Flight<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flight").field("id", &self.id).finish_non_exhaustive()
    }
}

impl<T, E> Flight<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    /// The work's result, shared by every caller that waited. Whatever happened, this flight is over afterwards:
    /// it is never joined again.
    pub async fn wait(self) -> Result<T, FlightError<E>> {
        let result = self.running.await;
        self.flights.clear(self.id);
        result
    }
}

/// Renewal failures in a row, and until when no new renewal starts (shared by every caller).
///
/// ```
/// use std::time::Duration;
/// use cardsdk_runtime::single_flight::Backoff;
///
/// let backoff: Backoff<String> = Backoff::new();
/// assert_eq!(backoff.current(), None);
/// backoff.failed("server down".to_string(), |failures| Duration::from_secs(failures as u64 * 10));
/// assert_eq!(backoff.current().as_deref(), Some("server down"), "no renewal for 10 s");
/// assert_eq!(backoff.failures(), 1);
/// backoff.succeeded();
/// assert_eq!(backoff.current(), None);
/// ```
pub struct Backoff<E> {
    state: Mutex<BackoffState<E>>,
}

struct BackoffState<E> {
    failures: u32,
    until: Option<Instant>,
    last: Option<E>,
}

impl<E> fmt::Debug for Backoff<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("Backoff").field("failures", &state.failures).field("until", &state.until).finish()
    }
}

impl<E: Clone> Default for Backoff<E> {
    fn default() -> Self {
        Backoff::new()
    }
}

impl<E: Clone> Backoff<E> {
    /// No failure yet.
    pub fn new() -> Self {
        Backoff { state: Mutex::new(BackoffState { failures: 0, until: None, last: None }) }
    }

    /// The last failure, while renewals back off.
    pub fn current(&self) -> Option<E> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match state.until {
            Some(until) if Instant::now() < until => state.last.clone(),
            _ => None,
        }
    }

    /// Records a failure: no renewal starts for `wait(failures in a row)`.
    pub fn failed(&self, error: E, wait: impl FnOnce(u32) -> Duration) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.failures = state.failures.saturating_add(1);
        state.until = Instant::now().checked_add(wait(state.failures));
        state.last = Some(error);
    }

    /// Records a success: renewals start at once again.
    pub fn succeeded(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *state = BackoffState { failures: 0, until: None, last: None };
    }

    /// Failures in a row.
    pub fn failures(&self) -> u32 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failure_is_shared_then_forgotten() {
        let flights: SingleFlight<u32, String> = SingleFlight::new();
        let waiters: Vec<_> = (0..10)
            .map(|_| {
                let flights = flights.clone();
                tokio::spawn(async move {
                    flights
                        .lock()
                        .join_or_start(|| async {
                            tokio::time::sleep(Duration::from_millis(30)).await;
                            Err::<u32, _>("refused".to_string())
                        })
                        .wait()
                        .await
                })
            })
            .collect();
        for w in waiters {
            assert_eq!(w.await.unwrap(), Err(FlightError::Failed("refused".to_string())));
        }
        assert_eq!(flights.started(), 1);
        assert!(!flights.in_flight(), "a failed flight is not cached");
        let next = flights.lock().join_or_start(|| async { Ok(5) }).wait().await;
        assert_eq!(next, Ok(5));
        assert_eq!(flights.started(), 2);
    }

    #[test]
    fn a_flight_whose_runtime_stopped_is_interrupted_and_cleared() {
        let flights: SingleFlight<u32, String> = SingleFlight::new();
        let first = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let flight = first.block_on(async {
            flights.lock().start(|| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(1)
            })
        });
        drop(first); // cancels the task
        let second = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        second.block_on(async {
            assert_eq!(flight.wait().await, Err(FlightError::Interrupted { cancelled: true }));
            assert!(!flights.in_flight());
            assert_eq!(flights.lock().join_or_start(|| async { Ok(2) }).wait().await, Ok(2));
        });
    }

    #[tokio::test]
    async fn a_dropped_waiter_does_not_stop_the_work() {
        let flights: SingleFlight<u32, String> = SingleFlight::new();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let flight = flights.lock().start(|| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = tx.send(());
            Ok(3)
        });
        drop(flight);
        tokio::time::timeout(Duration::from_secs(5), rx).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!flights.in_flight(), "cleared by the task itself");
    }

    #[test]
    fn backoff_expires() {
        let backoff: Backoff<&str> = Backoff::new();
        backoff.failed("down", |_| Duration::ZERO);
        assert_eq!(backoff.current(), None, "a zero wait is over at once");
        backoff.failed("down", |n| Duration::from_secs(u64::from(n)));
        assert_eq!(backoff.failures(), 2);
        assert_eq!(backoff.current(), Some("down"));
    }
}
