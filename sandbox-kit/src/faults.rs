//! Fault injection: rules that make chosen calls fail, stall or answer badly, and the plan that holds them.
//!
//! A rule matches a method and a path; it counts the requests it matches (1-based) and fires for the call numbers
//! in its range. The first rule that fires decides the fault of a request; every matching rule counts the request.

use std::ops::{Bound, RangeBounds};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::lock;

/// What goes wrong with a matching call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status with the sandbox's error body instead of calling the route (a 429 also carries
    /// `Retry-After: 1`).
    Status(u16),
    /// Answer this status with this `Retry-After` value (seconds or an HTTP date) and the sandbox's error body.
    StatusWithRetryAfter(u16, String),
    /// Wait this long, then answer normally.
    Latency(Duration),
    /// Close the connection without answering (the route is not called).
    DropConnection,
    /// Answer normally but close the connection halfway through the body (`Content-Length` announces the whole).
    TruncatedBody,
    /// Answer the normal status and headers with a body that is not valid JSON.
    MalformedJson,
    /// Answer the normal body labelled `Content-Type: text/html`.
    WrongContentType,
    /// Answer an HTML error page with this status, as a gateway in front of the API would (e.g. a 502).
    Html(u16),
}

/// A rule: which calls get which [`Fault`].
///
/// ```
/// use cardsdk_sandbox_kit::{Fault, FaultRule};
/// // The first two card-status calls answer 503, the third works.
/// let rule = FaultRule::on("GET", "/v1/card/status").calls(1..=2).fault(Fault::Status(503));
/// # let _ = rule;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    method: String,
    path: String,
    first: u32,
    last: Option<u32>,
    fault: Fault,
}

impl FaultRule {
    /// A rule for `method` (or `*`) on `path`: an exact path, a pattern with `{param}` segments
    /// (`/v1/webhooks/{id}`), a prefix ending in `/*` (`/v1/card/*`), or `*` for every path. Until
    /// [`fault`](Self::fault) is called the rule answers 500.
    pub fn on(method: impl Into<String>, path: impl Into<String>) -> Self {
        FaultRule { method: method.into(), path: path.into(), first: 1, last: None, fault: Fault::Status(500) }
    }

    /// Restricts the rule to these 1-based call numbers among the requests it matches (default: every call).
    pub fn calls(mut self, range: impl RangeBounds<u32>) -> Self {
        self.first = match range.start_bound() {
            Bound::Included(&n) => n,
            Bound::Excluded(&n) => n.saturating_add(1),
            Bound::Unbounded => 1,
        };
        self.last = match range.end_bound() {
            Bound::Included(&n) => Some(n),
            Bound::Excluded(&n) => Some(n.saturating_sub(1)),
            Bound::Unbounded => None,
        };
        self
    }

    /// Sets the fault.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = fault;
        self
    }

    /// The rule's fault.
    pub fn fault_kind(&self) -> &Fault {
        &self.fault
    }

    /// Whether the rule matches a request (before call counting).
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method)) && path_matches(&self.path, path)
    }

    /// Whether the rule fires for its `n`th matching call.
    pub(crate) fn fires_on(&self, n: u32) -> bool {
        n >= self.first && self.last.is_none_or(|last| n <= last)
    }
}

fn path_matches(pattern: &str, path: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let path = path.trim_end_matches('/');
    if let Some(prefix) = pattern.strip_suffix("/*") {
        return path == prefix || path.starts_with(&format!("{prefix}/"));
    }
    let pattern = pattern.trim_end_matches('/');
    let (mut p, mut q) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) => {
                let param = a.starts_with('{') && a.ends_with('}');
                let segment_ok = (param && !b.is_empty()) || a == b;
                if !segment_ok {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// A rule with its call counter.
#[derive(Debug, Clone)]
struct ActiveRule {
    rule: FaultRule,
    seen: u32,
}

/// The fault rules of one sandbox, shared by its handle and its server (clones share the rules).
#[derive(Debug, Clone, Default)]
pub struct FaultPlan(Arc<Mutex<Vec<ActiveRule>>>);

impl FaultPlan {
    /// A plan with these rules, their call counts at zero.
    pub fn new(rules: impl IntoIterator<Item = FaultRule>) -> Self {
        FaultPlan(Arc::new(Mutex::new(rules.into_iter().map(|rule| ActiveRule { rule, seen: 0 }).collect())))
    }

    /// Adds a rule (its call count starts at zero).
    pub fn add(&self, rule: FaultRule) {
        lock(&self.0).push(ActiveRule { rule, seen: 0 });
    }

    /// Removes every rule.
    pub fn clear(&self) {
        lock(&self.0).clear();
    }

    /// The fault (if any) of a request; counts the request for every matching rule.
    pub fn fault_for(&self, method: &str, path: &str) -> Option<Fault> {
        let mut rules = lock(&self.0);
        let mut chosen = None;
        for r in rules.iter_mut() {
            if r.rule.matches(method, path) {
                r.seen = r.seen.saturating_add(1);
                if chosen.is_none() && r.rule.fires_on(r.seen) {
                    chosen = Some(r.rule.fault_kind().clone());
                }
            }
        }
        chosen
    }
}

/// The canonical reason phrase of a status (`Service Unavailable`), `Error` for unknown ones.
pub fn reason(code: u16) -> &'static str {
    axum::http::StatusCode::from_u16(code).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error")
}

/// The HTML error page a gateway (nginx) answers with this status.
pub fn html_page(code: u16) -> String {
    let title = format!("{code} {}", reason(code));
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n\
         <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(path_matches("/v1/card/status", "/v1/card/status"));
        assert!(path_matches("/v1/card/status", "/v1/card/status/"));
        assert!(!path_matches("/v1/card/status", "/v1/card/statuses"));
        assert!(path_matches("/v1/webhooks/{id}", "/v1/webhooks/abc"));
        assert!(!path_matches("/v1/webhooks/{id}", "/v1/webhooks/abc/logs"));
        assert!(!path_matches("/v1/webhooks/{id}", "/v1/webhooks/"));
        assert!(path_matches("/v1/card/*", "/v1/card/transactions"));
        assert!(!path_matches("/v1/card/*", "/v1/cards"));
        assert!(path_matches("*", "/anything"));
    }

    #[test]
    fn ranges() {
        let r = FaultRule::on("GET", "*").calls(2..4);
        assert!(!r.fires_on(1) && r.fires_on(2) && r.fires_on(3) && !r.fires_on(4));
        let r = FaultRule::on("GET", "*").calls(3..);
        assert!(!r.fires_on(2) && r.fires_on(300));
        let r = FaultRule::on("GET", "*");
        assert!(r.fires_on(1) && r.fires_on(99));
        assert!(r.matches("get", "/x") && !r.matches("POST", "/x"));
    }

    #[test]
    fn the_first_firing_rule_decides_and_every_match_counts() {
        let plan = FaultPlan::new([
            FaultRule::on("GET", "/a").calls(2..=2).fault(Fault::Status(503)),
            FaultRule::on("*", "*").calls(1..=1).fault(Fault::DropConnection),
        ]);
        assert_eq!(plan.fault_for("GET", "/a"), Some(Fault::DropConnection));
        assert_eq!(plan.fault_for("GET", "/a"), Some(Fault::Status(503)));
        assert_eq!(plan.fault_for("GET", "/a"), None);
        plan.add(FaultRule::on("POST", "/b"));
        assert_eq!(plan.fault_for("POST", "/b"), Some(Fault::Status(500)));
        plan.clear();
        assert_eq!(plan.fault_for("POST", "/b"), None);
    }
}
