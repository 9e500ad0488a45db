//! Automatic retries, the same for every SDK: how long to wait ([`RetryPolicy`]: exponential backoff with full
//! jitter, `Retry-After` as a floor, a longest wait and an overall deadline), and when to stop ([`RetryBudget`]:
//! AWS's standard token bucket, shared by every clone of a client, so an outage does not turn into a retry storm).
//!
//! Which answers deserve a retry ([`Retryable`]) and which operations are safe to repeat is each SDK's decision, in
//! its hooks.
//!
//! ```
//! use std::time::Duration;
//! use cardsdk_runtime::retry::{RetryBudget, RetryPolicy, Retryable};
//!
//! let policy = RetryPolicy::standard().max_attempts(4).base_delay(Duration::from_millis(100));
//! let budget = RetryBudget::new(policy.budget_capacity());
//! let reason = Retryable::Unavailable(Some(Duration::from_secs(1))); // a 503 with `Retry-After: 1`
//! let wait = policy.delay(1, Some(Duration::from_secs(1))).expect("within max_delay");
//! assert!(wait >= Duration::from_secs(1));
//! assert!(budget.spend(reason));
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rand::RngExt as _;

/// When and how calls are retried.
///
/// ```
/// use std::time::Duration;
/// use cardsdk_runtime::retry::RetryPolicy;
///
/// let patient = RetryPolicy::standard().max_attempts(6).deadline(Duration::from_secs(120));
/// assert!(patient.is_enabled());
/// assert_eq!(RetryPolicy::default(), RetryPolicy::standard());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    deadline: Duration,
    budget: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::standard()
    }
}

impl RetryPolicy {
    /// 3 attempts, 250 ms base delay, 20 s longest wait, 60 s overall deadline, a budget of 500.
    ///
    /// ```
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// assert!(RetryPolicy::standard().is_enabled());
    /// ```
    pub fn standard() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
            deadline: Duration::from_secs(60),
            budget: 500,
        }
    }

    /// No retries at all.
    ///
    /// ```
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// assert!(!RetryPolicy::disabled().is_enabled());
    /// assert_eq!(RetryPolicy::disabled(), RetryPolicy::standard().max_attempts(1));
    /// ```
    pub fn disabled() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::standard() }
    }

    /// Attempts in all, the first included (1 = no retry).
    ///
    /// ```
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// assert!(RetryPolicy::standard().max_attempts(5).is_enabled()); // the first attempt and 4 retries
    /// assert!(!RetryPolicy::standard().max_attempts(1).is_enabled());
    /// assert_eq!(RetryPolicy::standard().max_attempts(0), RetryPolicy::disabled()); // at least one attempt
    /// ```
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff base: the n-th retry waits a random time up to `base × 2^n` (capped by `max_delay`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// // 1st retry after up to 100 ms, 2nd after up to 200 ms, 3rd after up to 400 ms, ...
    /// let quick = RetryPolicy::standard().max_attempts(4).base_delay(Duration::from_millis(50));
    /// assert!(quick.is_enabled());
    /// ```
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest single wait; a `Retry-After` beyond it is not waited for (the error carries it instead).
    ///
    /// ```
    /// use std::time::Duration;
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// // A 429 asking for 30 s fails at once, its error carrying the 30 s.
    /// let impatient = RetryPolicy::standard().max_delay(Duration::from_secs(5));
    /// assert!(impatient.is_enabled());
    /// ```
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// No retry starts once this much time has passed since the first attempt.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// // An interactive screen: no retry starts more than 10 s after the user tapped.
    /// let interactive = RetryPolicy::standard().deadline(Duration::from_secs(10));
    /// assert!(interactive.is_enabled());
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The retry budget's capacity (0 disables the budget: retries are limited by `max_attempts` only).
    ///
    /// ```
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// let small = RetryPolicy::standard().budget(50); // 10 retries (5 after timeouts) until successes refill it
    /// let unbounded = RetryPolicy::standard().budget(0); // only `max_attempts` limits retries
    /// assert!(unbounded.is_enabled());
    /// ```
    pub fn budget(mut self, tokens: u32) -> Self {
        self.budget = tokens;
        self
    }

    /// Whether any retry can happen.
    ///
    /// ```
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// assert!(RetryPolicy::standard().is_enabled());
    /// assert!(!RetryPolicy::disabled().is_enabled());
    /// assert!(!RetryPolicy::standard().max_attempts(1).is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.max_attempts > 1
    }

    /// Attempts in all, the first included.
    ///
    /// ```
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::standard().attempts(), 3);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The retry budget's capacity (0: no budget).
    ///
    /// ```
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::standard().budget_capacity(), 500);
    /// ```
    pub fn budget_capacity(&self) -> u32 {
        self.budget
    }

    /// How long after the first attempt retries may still start.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::standard().deadline_after_start(), Duration::from_secs(60));
    /// ```
    pub fn deadline_after_start(&self) -> Duration {
        self.deadline
    }

    /// How long renewals of a session wait after `failures` failed ones in a row: full jitter up to
    /// `base × 2^failures`, at least `base`, at most `max_delay`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// let policy = RetryPolicy::standard().base_delay(Duration::from_millis(100));
    /// let wait = policy.renewal_backoff(3);
    /// assert!(wait >= Duration::from_millis(100) && wait <= Duration::from_millis(800));
    /// ```
    pub fn renewal_backoff(&self, failures: u32) -> Duration {
        let ceiling = self.base_delay.saturating_mul(2u32.saturating_pow(failures.min(30))).min(self.max_delay);
        let floor = self.base_delay.min(ceiling);
        let spread = ceiling.saturating_sub(floor).as_micros().min(u128::from(u64::MAX)) as u64;
        floor + Duration::from_micros(rand::rng().random_range(0..=spread))
    }

    /// The wait before retry number `retry` (1-based): full jitter, at least `floor` (a server's `Retry-After`).
    /// `None` when the wait would exceed `max_delay`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cardsdk_runtime::retry::RetryPolicy;
    ///
    /// let policy = RetryPolicy::standard();
    /// assert!(policy.delay(1, None).unwrap() <= Duration::from_millis(500));
    /// assert!(policy.delay(1, Some(Duration::from_secs(3))).unwrap() >= Duration::from_secs(3));
    /// assert_eq!(policy.delay(1, Some(Duration::from_secs(60))), None, "beyond max_delay (20 s)");
    /// ```
    pub fn delay(&self, retry: u32, floor: Option<Duration>) -> Option<Duration> {
        let ceiling = self.base_delay.saturating_mul(2u32.saturating_pow(retry)).min(self.max_delay);
        let micros = ceiling.as_micros().min(u128::from(u64::MAX)) as u64;
        let jittered = Duration::from_micros(rand::rng().random_range(0..=micros));
        let wait = floor.map_or(jittered, |f| f.max(jittered));
        (wait <= self.max_delay).then_some(wait)
    }

    /// Whether retry number `retry` (1-based) of a call started at `started` may happen for `reason`, and after
    /// how long: within the attempt count and the overall deadline, at least the server's `Retry-After`, and
    /// only if the shared `budget` pays for it. The one retry decision of every SDK's hooks.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use cardsdk_runtime::retry::{RetryBudget, RetryPolicy, Retryable};
    ///
    /// let policy = RetryPolicy::standard().max_attempts(2);
    /// let budget = RetryBudget::new(policy.budget_capacity());
    /// let started = Instant::now();
    /// assert!(policy.next_retry(1, Retryable::Throttled(None), started, &budget).is_some());
    /// assert_eq!(policy.next_retry(2, Retryable::Connection, started, &budget), None, "2 attempts at most");
    /// ```
    pub fn next_retry(
        &self,
        retry: u32,
        reason: Retryable,
        started: std::time::Instant,
        budget: &RetryBudget,
    ) -> Option<Duration> {
        if retry >= self.attempts() {
            return None;
        }
        let floor = match reason {
            Retryable::Throttled(after) | Retryable::Unavailable(after) => after,
            _ => None,
        };
        let wait = self
            .delay(retry, floor)
            .filter(|w| started.elapsed().checked_add(*w).is_some_and(|end| end <= self.deadline_after_start()))?;
        budget.spend(reason).then_some(wait)
    }
}

/// Why an answer may deserve a retry (each SDK's hooks classify their answers into these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retryable {
    /// 429, with the server's `Retry-After`.
    Throttled(Option<Duration>),
    /// 502, 503, 504, with the server's `Retry-After` when it sends one (503 usually).
    Unavailable(Option<Duration>),
    /// No answer in time.
    Timeout,
    /// The connection failed or broke.
    Connection,
}

impl Retryable {
    /// What a retry for this reason takes from the budget: 10 after a timeout, 5 otherwise.
    ///
    /// ```
    /// use cardsdk_runtime::retry::Retryable;
    ///
    /// assert_eq!(Retryable::Timeout.cost(), 10);
    /// assert_eq!(Retryable::Throttled(None).cost(), 5);
    /// ```
    pub fn cost(self) -> u32 {
        match self {
            Retryable::Timeout => 10,
            _ => 5,
        }
    }
}

/// The token bucket that bounds retries across all calls of a client (share it between clones).
///
/// ```
/// use cardsdk_runtime::retry::{RetryBudget, Retryable};
///
/// let budget = RetryBudget::new(10);
/// assert!(budget.spend(Retryable::Timeout)); // 10 taken
/// assert!(!budget.spend(Retryable::Connection), "empty: no retry");
/// budget.refund(); // a success gives one back
/// ```
#[derive(Debug)]
pub struct RetryBudget {
    capacity: u32,
    tokens: AtomicU32,
}

impl RetryBudget {
    /// A full budget of `capacity` tokens (0: unlimited).
    pub fn new(capacity: u32) -> Self {
        RetryBudget { capacity, tokens: AtomicU32::new(capacity) }
    }

    /// Takes the cost of a retry, or says no (the retry must not happen).
    pub fn spend(&self, reason: Retryable) -> bool {
        if self.capacity == 0 {
            return true;
        }
        let cost = reason.cost();
        self.tokens.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost)).is_ok()
    }

    /// A success refills one token (never above the capacity).
    pub fn refund(&self) {
        if self.capacity == 0 {
            return;
        }
        let _ = self.tokens.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| (t < self.capacity).then_some(t + 1));
    }

    #[cfg(test)]
    fn left(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

/// `Retry-After` in seconds or as an HTTP date, capped at a day (more is not a wait anyone means, and `u64::MAX`
/// seconds would overflow what it is added to).
///
/// ```
/// use std::time::Duration;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert(http::header::RETRY_AFTER, "7".parse().unwrap());
/// assert_eq!(cardsdk_runtime::retry::retry_after(&headers), Some(Duration::from_secs(7)));
/// headers.insert(http::header::RETRY_AFTER, "99999999999".parse().unwrap());
/// assert_eq!(cardsdk_runtime::retry::retry_after(&headers), Some(Duration::from_secs(24 * 3600)));
/// ```
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    const LONGEST: Duration = Duration::from_secs(24 * 3600);
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(LONGEST));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(std::time::SystemTime::now()).unwrap_or_default().min(LONGEST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_jittered_capped_and_respect_retry_after() {
        let p = RetryPolicy::standard().base_delay(Duration::from_millis(100)).max_delay(Duration::from_secs(1));
        for retry in 1..6 {
            let d = p.delay(retry, None).unwrap();
            assert!(d <= Duration::from_millis(100 * 2u64.pow(retry)).min(Duration::from_secs(1)), "{d:?}");
        }
        assert!(p.delay(1, Some(Duration::from_millis(700))).unwrap() >= Duration::from_millis(700));
        assert_eq!(p.delay(1, Some(Duration::from_secs(5))), None, "a Retry-After beyond max_delay is not waited");
        let spread: std::collections::BTreeSet<_> = (0..50).map(|_| p.delay(3, None).unwrap()).collect();
        assert!(spread.len() > 10, "full jitter");
    }

    #[test]
    fn the_budget_stops_retry_storms_and_refills_on_success() {
        let budget = RetryBudget::new(20);
        assert!(budget.spend(Retryable::Unavailable(None)));
        assert!(budget.spend(Retryable::Timeout));
        assert_eq!(budget.left(), 5);
        assert!(budget.spend(Retryable::Connection));
        assert!(!budget.spend(Retryable::Unavailable(None)), "empty");
        budget.refund();
        assert_eq!(budget.left(), 1);
        for _ in 0..100 {
            budget.refund();
        }
        assert_eq!(budget.left(), 20, "never above capacity");
        let unlimited = RetryBudget::new(0);
        assert!((0..1000).all(|_| unlimited.spend(Retryable::Timeout)));
    }
}
