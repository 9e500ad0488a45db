//! A card-status webhook receiver (axum): reads the raw body, verifies it, parses it, deduplicates by event id,
//! answers 200 at once and hands the event to a worker; any refusal answers the error's status (401, 400, 500).
//!
//! ```sh
//! # Offline demo: starts the vaultspay sandbox in-process, registers this receiver as its callback, freezes a
//! # card through the sandbox's API, prints the verified event, exits.
//! cargo run -p vaultspay --example webhook_receiver
//! # A real receiver: serves until Ctrl-C. Keys: VAULTSPAY_WEBHOOK_SECRETS (comma-separated: current,previous).
//! VAULTSPAY_WEBHOOK_SECRETS=whsec_… cargo run -p vaultspay --example webhook_receiver -- --serve 0.0.0.0:8080
//! ```
//!
//! The scheme is the crate's default (`VaultsPay-Signature: t=…,v1=…`), which VaultsPay has not confirmed for the
//! card-status feed: switch with `Verifier::scheme(BodyHmac::new())` if it signs the body alone.

#[cfg(feature = "webhooks")]
mod receiver {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use serde_json::{Value, json};
    use tokio::sync::mpsc;
    use vaultspay::webhooks::{Event, Verifier};
    use vaultspay_sandbox::Sandbox;

    type Error = Box<dyn std::error::Error + Send + Sync>;

    struct App {
        verifier: Verifier,
        /// Event ids already accepted (in production: a table with a unique key, shared by every instance).
        seen: Mutex<HashSet<String>>,
        /// The worker's queue: the handler answers before the event is processed.
        queue: mpsc::UnboundedSender<Event>,
    }

    async fn receive(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> StatusCode {
        // Verify the exact bytes received, then parse.
        let event = match app.verifier.verify_event(&headers, &body) {
            Ok(event) => event,
            Err(err) => {
                eprintln!("refused a delivery: {err}");
                return err.status();
            }
        };
        if !app.seen.lock().unwrap().insert(event.id().to_string()) {
            return StatusCode::OK; // a re-delivery of an event already accepted: acknowledge it again
        }
        match app.queue.send(event) {
            Ok(()) => StatusCode::OK,
            Err(_) => StatusCode::SERVICE_UNAVAILABLE, // the worker is gone: let the sender retry
        }
    }

    /// Binds the receiver; returns its callback URL and the queue of verified, new events.
    async fn serve(addr: &str, verifier: Verifier) -> Result<(String, mpsc::UnboundedReceiver<Event>), Error> {
        let (queue, events) = mpsc::unbounded_channel();
        let app = Arc::new(App { verifier, seen: Mutex::default(), queue });
        let router = axum::Router::new().route("/webhooks/vaultspay", post(receive)).with_state(app);
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let url = format!("http://{}/webhooks/vaultspay", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok((url, events))
    }

    /// Serves until Ctrl-C, printing each new event.
    pub async fn serve_forever(addr: &str) -> Result<(), Error> {
        let secrets = std::env::var("VAULTSPAY_WEBHOOK_SECRETS").map_err(|_| "set VAULTSPAY_WEBHOOK_SECRETS")?;
        let (url, mut events) = serve(addr, Verifier::with_keys(secrets.split(','))).await?;
        println!("receiving card-status webhooks on {url}");
        loop {
            tokio::select! {
                Some(event) = events.recv() => println!("{event:?}"),
                _ = tokio::signal::ctrl_c() => return Ok(()),
            }
        }
    }

    /// The offline demo against an in-process sandbox.
    pub async fn demo() -> Result<(), Error> {
        let secret = "whsec_demo_2f7c1e";
        let (url, mut events) = serve("127.0.0.1:0", Verifier::new(secret)).await?;
        let sandbox = Sandbox::builder().fixed_key().start().await?;
        let http = reqwest::Client::new();
        let base = sandbox.base_url().to_string();

        // Register the callback and its secret (what the partner does once in the SaaS platform).
        let registered =
            http.put(format!("{base}/__sandbox/webhook")).json(&json!({ "url": url, "secret": secret })).send().await?;
        if !registered.status().is_success() {
            return Err(format!("registering the callback: {}", registered.status()).into());
        }

        // Change a card's status through the API. The sandbox runs in UAT mode, where `x-enable-encryption: false`
        // allows plaintext bodies; a real client encrypts every request (see `vaultspay::encryption`).
        let plain = |rb: reqwest::RequestBuilder| {
            rb.header("x-enable-encryption", "false")
                .header("x-device-os", "SAAS")
                .header("x-device-id", sandbox.app_id())
        };
        let login: Value = plain(http.post(format!("{base}/as/api/v1/saas-login")))
            .json(&json!({ "clientId": sandbox.client_id(), "clientSecret": sandbox.client_secret() }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let token = login["accessToken"].as_str().ok_or("no accessToken in the login answer")?;
        let card_id = sandbox.user().card_ids[0];
        plain(http.post(format!("{base}/pcs/api/v1/toggle-freeze-card")))
            .bearer_auth(token)
            .json(&json!({ "cardId": card_id, "statusReason": "Frozen from the webhook_receiver example" }))
            .send()
            .await?
            .error_for_status()?;
        println!("froze card {card_id}; waiting for the card-status webhook on {url}");

        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .map_err(|_| "no verified webhook within 10 s")?
            .ok_or("the receiver stopped")?;
        match &event {
            Event::CardStatus(e) => {
                let from = e.status.previous.as_ref().map_or("?", |s| s.code.as_str());
                println!(
                    "verified {} ({}): card token {} {from} -> {}",
                    e.event_type, e.id, e.card.token, e.status.current.code
                );
            }
            other => println!("verified an event of another type: {:?}", other.event_type()),
        }
        println!("{event:#?}");
        let deliveries = sandbox.wait_for_deliveries(1, Duration::from_secs(2)).await;
        let answered: Vec<_> = deliveries.iter().map(|d| d.status).collect();
        println!("the sandbox's delivery attempts were answered {answered:?}");
        sandbox.shutdown().await;
        Ok(())
    }
}

#[cfg(feature = "webhooks")]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => receiver::demo().await,
        [flag, addr] if flag == "--serve" => receiver::serve_forever(addr).await,
        _ => Err("usage: webhook_receiver [--serve ADDR]".into()),
    }
}

#[cfg(not(feature = "webhooks"))]
fn main() {
    eprintln!("this example needs the `webhooks` feature (on by default)");
}
