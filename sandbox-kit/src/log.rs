//! The request log: every request a sandbox received (faulted ones included), oldest dropped past a cap.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::lock;

/// One request the sandbox received (faulted ones included), in arrival order.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The headers (names lowercase), in the order received.
    pub headers: Vec<(String, String)>,
    /// The body bytes (as received: an encrypting API logs the ciphertext).
    pub body: Vec<u8>,
    /// When the request arrived.
    pub at: Instant,
}

impl LoggedRequest {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The log of one sandbox, shared by its handle and its server (clones share the log).
#[derive(Debug, Clone)]
pub struct RequestLog {
    entries: Arc<Mutex<VecDeque<LoggedRequest>>>,
    max: usize,
}

impl RequestLog {
    /// A log that keeps the last `max` requests (at least one).
    pub fn new(max: usize) -> Self {
        RequestLog { entries: Arc::new(Mutex::new(VecDeque::new())), max: max.max(1) }
    }

    /// Appends a request, dropping the oldest past the cap.
    pub fn push(&self, request: LoggedRequest) {
        let mut log = lock(&self.entries);
        if log.len() >= self.max {
            log.pop_front();
        }
        log.push_back(request);
    }

    /// Every request kept, in order.
    pub fn all(&self) -> Vec<LoggedRequest> {
        lock(&self.entries).iter().cloned().collect()
    }

    /// Forgets the logged requests.
    pub fn clear(&self) {
        lock(&self.entries).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str) -> LoggedRequest {
        LoggedRequest {
            method: "GET".into(),
            path: path.into(),
            query: None,
            headers: vec![("x-a".into(), "1".into())],
            body: b"{\"a\":1}".to_vec(),
            at: Instant::now(),
        }
    }

    #[test]
    fn keeps_the_newest_up_to_the_cap() {
        let log = RequestLog::new(2);
        for p in ["/1", "/2", "/3"] {
            log.push(req(p));
        }
        let all = log.all();
        assert_eq!(all.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), ["/2", "/3"]);
        assert_eq!(all[0].header("X-A"), Some("1"));
        assert_eq!(all[0].json().unwrap()["a"], 1);
        log.clear();
        assert!(log.all().is_empty());
    }
}
