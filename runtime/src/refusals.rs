//! Typed errors found before sending, carried through progenitor's hooks.
//!
//! A `pre` hook can only fail with progenitor's error types, so an SDK's typed refusal (a missing secret, a request
//! its checks reject) waits in a [`Refusals`] table; the hook marks the request with the table's key, and `exec`
//! answers without sending anything ([`answer`]): status 599 (every operation's `5XX` range), the readable error as
//! the JSON error body, the key in a header. The SDK's conversion from progenitor's error takes the typed error
//! back out of the table by that key, so no internal tag ever reaches a message.
//!
//! ```
//! use cardsdk_runtime::refusals::{self, Refusals};
//!
//! static WAITING: Refusals<String> = Refusals::new();
//! let key = WAITING.put("the secret key is missing".to_string());
//! let answer = refusals::answer(key, "x-acme-refused", "the secret key is missing", "x-acme-operation", "create_card");
//! assert_eq!(answer.status().as_u16(), 599);
//! let back = refusals::key(answer.headers(), "x-acme-refused").and_then(|k| WAITING.take(k));
//! assert_eq!(back.as_deref(), Some("the secret key is missing"));
//! ```

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The errors waiting to be handed back, by key (at most 4,096: the oldest go first, should any be left behind).
#[derive(Debug)]
pub struct Refusals<E> {
    next: AtomicU64,
    waiting: Mutex<BTreeMap<u64, E>>,
}

impl<E> Default for Refusals<E> {
    fn default() -> Self {
        Refusals::new()
    }
}

impl<E> Refusals<E> {
    const MAX_WAITING: usize = 4096;

    /// An empty table (usable in a `static`).
    pub const fn new() -> Self {
        Refusals { next: AtomicU64::new(0), waiting: Mutex::new(BTreeMap::new()) }
    }

    /// Keeps `error` and returns its key.
    pub fn put(&self, error: E) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        while waiting.len() >= Self::MAX_WAITING {
            waiting.pop_first();
        }
        waiting.insert(id, error);
        id
    }

    /// Takes the error kept under `key`.
    pub fn take(&self, key: u64) -> Option<E> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).remove(&key)
    }

    /// Reads the error kept under `key` without taking it.
    pub fn with<R>(&self, key: u64, read: impl FnOnce(&E) -> R) -> Option<R> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).get(&key).map(read)
    }
}

/// The key in a response's `key_header`, if it has one.
pub fn key(headers: &http::HeaderMap, key_header: &str) -> Option<u64> {
    headers.get(key_header)?.to_str().ok()?.parse().ok()
}

/// The answer `exec` gives for a refused request (nothing was sent): status 599, `{"message", "code":
/// "refused_before_sending"}`, the key in `key_header` and the operation id in `operation_header`.
pub fn answer(
    key: u64,
    key_header: &'static str,
    message: &str,
    operation_header: &'static str,
    operation: &'static str,
) -> reqwest::Response {
    let body = serde_json::json!({ "message": message, "code": "refused_before_sending" }).to_string();
    let mut answer = http::Response::new(body);
    *answer.status_mut() = http::StatusCode::from_u16(599).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = answer.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    headers.insert(key_header, http::HeaderValue::from(key));
    headers.insert(operation_header, http::HeaderValue::from_static(operation));
    reqwest::Response::from(answer)
}
