//! Automatic retries: which calls, on what, how long to wait, and when to stop.
//!
//! Applied by the client's `exec` hook to every call:
//! - **Only safe operations** are retried: GETs and operations the contract marks `x-idempotent` (PUTs with
//!   replace semantics, token generation). Calls that change state or move money (withdrawals, freeze/unfreeze,
//!   card order, post-approval, consent, webhook creation, ...) are **never** retried automatically; their errors
//!   say so ([`ErrorContext::not_retried`](crate::ErrorContext::not_retried)).
//! - **On**: 429 (waiting at least its `Retry-After`, in seconds or as an HTTP date), 502, 503, 504, connection
//!   failures and timeouts.
//! - **How**: exponential backoff with full jitter (`random(0, min(max_delay, base × 2^attempt))`), at most
//!   `max_attempts` attempts in all, none started past the overall `deadline` or with a wait above `max_delay`.
//! - **Budget**: a token bucket shared by every clone of the client (AWS's standard mode: 500 tokens, a retry costs
//!   5, a retry after a timeout 10, a success returns 1). When it is empty, calls fail without retrying, so an
//!   outage does not turn into a retry storm.
//!
//! ```
//! use std::time::Duration;
//! use baanx::retry::RetryPolicy;
//!
//! let policy = RetryPolicy::standard().max_attempts(5).base_delay(Duration::from_millis(100));
//! let client = baanx::Client::builder().client_key("pk_test").retry(policy).build()?;
//! let no_retries = baanx::Client::builder().client_key("pk_test").retry(RetryPolicy::disabled()).build()?;
//! # Ok::<(), baanx::BuildError>(())
//! ```

pub use cardsdk_runtime::retry::RetryPolicy;
pub(crate) use cardsdk_runtime::retry::{RetryBudget, Retryable};

/// Why an attempt's outcome deserves a retry, if it does: 429, 502–504, timeouts and broken connections.
pub(crate) fn classify(result: &Result<reqwest::Response, crate::hooks::Failure>) -> Option<Retryable> {
    use crate::hooks::Failure;
    use cardsdk_runtime::retry::retry_after;
    match result {
        Ok(response) => match response.status().as_u16() {
            429 => Some(Retryable::Throttled(retry_after(response.headers()))),
            502..=504 => Some(Retryable::Unavailable(retry_after(response.headers()))),
            _ => None,
        },
        Err(Failure::Deadline(_)) => Some(Retryable::Timeout),
        Err(Failure::Http(e)) if e.is_timeout() => Some(Retryable::Timeout),
        Err(Failure::Http(e)) if e.is_connect() || e.is_request() || e.is_body() || e.is_decode() => {
            Some(Retryable::Connection)
        }
        Err(_) => None,
    }
}
