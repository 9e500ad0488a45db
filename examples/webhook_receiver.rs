//! A Baanx webhook receiver (axum): verify, parse, acknowledge once, process elsewhere.
//!
//! ```sh
//! BAANX_WEBHOOK_KEY=whk_... cargo run --example webhook_receiver   # listens on 127.0.0.1:3000/baanx/webhooks
//! ```
//!
//! What it answers, and why (Baanx delivers at least once, retries 5xx and timeouts, never 4xx):
//! - **401** when the signature or timestamp does not check out: not from Baanx (or replayed); permanent.
//! - **400** when an authentic body is not an event: retrying would not help; permanent.
//! - **200** once the event is queued for processing, and again for a re-delivery of an event already queued
//!   (the `event_id` is the idempotency key): acknowledged, not processed twice.
//! - **503** when the processing queue is full: a transient failure on our side, so Baanx should retry later.
//!
//! It answers fast and processes in a background task: Baanx gives a delivery 30 seconds. A real receiver keeps
//! the seen event ids in its database, in the same transaction as the work they trigger.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use baanx::webhooks::{Event, EventPayload, Verifier};
use tokio::sync::mpsc;

/// The receiver's state: the verifier, the ids already accepted, and the queue to the worker.
#[derive(Clone)]
pub struct Receiver {
    verifier: Verifier,
    seen: Arc<Mutex<HashSet<String>>>,
    queue: mpsc::Sender<Event>,
}

impl Receiver {
    /// A receiver checking deliveries with `verifier` and handing accepted events to `queue`.
    pub fn new(verifier: Verifier, queue: mpsc::Sender<Event>) -> Self {
        Receiver { verifier, seen: Arc::new(Mutex::new(HashSet::new())), queue }
    }
}

/// The HTTP app: `POST /baanx/webhooks`.
pub fn app(receiver: Receiver) -> Router {
    Router::new().route("/baanx/webhooks", post(receive)).with_state(receiver)
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    // 1. The raw bytes, exactly as received: never a re-serialised body.
    if let Err(error) = receiver.verifier.verify(&headers, &body) {
        eprintln!("refused delivery: {error}");
        return error.status();
    }
    // 2. Parse: new event types arrive as `EventPayload::Other`, never as an error.
    let event = match Event::parse(&body) {
        Ok(event) => event,
        Err(error) => {
            eprintln!("authentic but not an event: {error}");
            return StatusCode::BAD_REQUEST;
        }
    };
    // 3. At least once: a re-delivery of an accepted event is acknowledged, not processed again.
    if !receiver.seen.lock().unwrap().insert(event.id.clone()) {
        return StatusCode::OK;
    }
    let id = event.id.clone();
    match receiver.queue.try_send(event) {
        Ok(()) => StatusCode::OK,
        Err(_) => {
            // Not accepted after all: forget it, so that Baanx's retry is processed.
            receiver.seen.lock().unwrap().remove(&id);
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// The worker: what the application does with events.
pub async fn process(mut events: mpsc::Receiver<Event>) {
    while let Some(event) = events.recv().await {
        match &event.payload {
            EventPayload::KycStatusChanged(kyc) => println!(
                "user {:?}: KYC {:?} (failure {:?}: {:?})",
                event.user_id, kyc.status, kyc.failure_code, kyc.failure_reason
            ),
            other => println!("event {} of type {}: {other:?}", event.id, event.event_type),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let key = std::env::var("BAANX_WEBHOOK_KEY")
        .map_err(|_| anyhow::anyhow!("set BAANX_WEBHOOK_KEY to the endpoint's whk_ key"))?;
    // During a key rotation, also accept the previous key: BAANX_WEBHOOK_PREVIOUS_KEY.
    let mut verifier = Verifier::new(key);
    if let Ok(previous) = std::env::var("BAANX_WEBHOOK_PREVIOUS_KEY") {
        verifier = verifier.add_key(previous);
    }
    let (queue, events) = mpsc::channel(1024);
    tokio::spawn(process(events));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}/baanx/webhooks", listener.local_addr()?);
    axum::serve(listener, app(Receiver::new(verifier, queue))).await?;
    Ok(())
}
