//! Webhook delivery: POSTs a body in a background task, retrying on 5xx answers, timeouts and connection errors
//! (never on other answers), after the configured delays. The sandbox decides, through [`DeliveryHooks`], where
//! each attempt goes and how it is signed, and records each attempt as it likes.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use crate::lock;

/// The documented Baanx delivery timeout, the kit's default: 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where one attempt goes and the headers it carries (signature included).
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The receiver's URL.
    pub url: String,
    /// The headers, `Content-Type` included, in the order sent.
    pub headers: Vec<(String, String)>,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered,
    /// An answer that is neither 2xx nor 5xx: not retried.
    Refused,
    /// A 5xx answer, a timeout or a connection error: retried while delays remain.
    Failed,
}

/// One delivery attempt, as made.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// 1 for the first attempt, 2 for the first retry, ...
    pub number: u32,
    /// The receiver's URL.
    pub url: String,
    /// The headers sent.
    pub headers: Vec<(String, String)>,
    /// The body sent.
    pub body: Bytes,
    /// The receiver's status, `None` when no answer came.
    pub status: Option<u16>,
    /// The first 4 KiB of the receiver's answer (lossy UTF-8).
    pub response_body: String,
    /// What went wrong when no answer came.
    pub error: Option<String>,
    /// How long the attempt took.
    pub elapsed: Duration,
    /// How it ended.
    pub outcome: Outcome,
    /// The wait before the next attempt, `None` when this was the last.
    pub next_retry: Option<Duration>,
    /// When the attempt finished.
    pub at: Instant,
}

/// What a sandbox does around the attempts of one delivery. Called from the delivery task, never with the
/// sandbox's state locked by the caller.
pub trait DeliveryHooks: Send + 'static {
    /// Where attempt `number` goes and its headers; `None` stops the delivery (the endpoint is gone).
    fn prepare(&mut self, number: u32, body: &[u8]) -> Option<Outgoing>;

    /// Records an attempt once it ended.
    fn attempted(&mut self, attempt: &Attempt);

    /// Called once at the end: `true` when an attempt was delivered.
    fn finished(&mut self, delivered: bool) {
        let _ = delivered;
    }
}

/// Runs deliveries in background tasks of one runtime (clones share the HTTP client and the task list).
#[derive(Debug, Clone)]
pub struct Deliverer {
    http: reqwest::Client,
    runtime: Handle,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
    timeout: Duration,
}

impl Deliverer {
    /// A deliverer on the current Tokio runtime: no redirects, no proxy, this `User-Agent`, and `timeout` for the
    /// receiver's answer. Fails outside a runtime or when no HTTP client can be built.
    pub fn new(user_agent: &str, timeout: Duration) -> io::Result<Self> {
        let runtime = Handle::try_current().map_err(io::Error::other)?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(user_agent)
            .build()
            .map_err(io::Error::other)?;
        Ok(Deliverer { http, runtime, tasks: Arc::new(Mutex::new(Vec::new())), timeout })
    }

    /// The timeout of one attempt.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Delivers `body` in a background task: one attempt, then one retry after each of `retry_delays` while
    /// attempts fail.
    pub fn spawn<H: DeliveryHooks>(&self, body: Bytes, retry_delays: Vec<Duration>, hooks: H) {
        let task = self.runtime.spawn(run(self.http.clone(), self.timeout, body, retry_delays, hooks));
        let mut tasks = lock(&self.tasks);
        tasks.retain(|t| !t.is_finished());
        tasks.push(task.abort_handle());
    }

    /// Cancels every delivery still running or waiting to retry.
    pub fn abort_all(&self) {
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
    }
}

async fn run<H: DeliveryHooks>(
    http: reqwest::Client,
    timeout: Duration,
    body: Bytes,
    delays: Vec<Duration>,
    mut hooks: H,
) {
    let attempts = delays.len() as u32 + 1;
    let mut delivered = false;
    for number in 1..=attempts {
        let Some(out) = hooks.prepare(number, &body) else {
            break;
        };
        let started = Instant::now();
        let mut request = http.post(&out.url);
        for (k, v) in &out.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let sent = request.body(body.clone()).send().await;
        let (status, response_body, error, outcome) = match sent {
            Ok(resp) => {
                let code = resp.status().as_u16();
                let text = match resp.bytes().await {
                    Ok(b) => String::from_utf8_lossy(&b[..b.len().min(4096)]).into_owned(),
                    Err(_) => String::new(),
                };
                let outcome = match code {
                    200..=299 => Outcome::Delivered,
                    500..=599 => Outcome::Failed,
                    _ => Outcome::Refused,
                };
                (Some(code), text, None, outcome)
            }
            Err(e) => {
                let msg = if e.is_timeout() {
                    format!("Request timed out after {} ms", timeout.as_millis())
                } else if e.is_connect() {
                    format!("Connection failed: {e}")
                } else {
                    format!("Request failed: {e}")
                };
                (None, String::new(), Some(msg), Outcome::Failed)
            }
        };
        let next_retry = match outcome {
            Outcome::Failed if number < attempts => delays.get(number as usize - 1).copied(),
            _ => None,
        };
        hooks.attempted(&Attempt {
            number,
            url: out.url,
            headers: out.headers,
            body: body.clone(),
            status,
            response_body,
            error,
            elapsed: started.elapsed(),
            outcome,
            next_retry,
            at: Instant::now(),
        });
        match (outcome, next_retry) {
            (Outcome::Delivered, _) => {
                delivered = true;
                break;
            }
            (_, Some(d)) => tokio::time::sleep(d).await,
            (_, None) => break,
        }
    }
    hooks.finished(delivered);
}
