//! Card-status webhooks end to end: card status changes made through the client (encrypted calls) are delivered
//! by the sandbox to a local axum receiver, which verifies each delivery with `vaultspay::webhooks::Verifier` —
//! the default `t=…,v1=…` scheme and the body-only one (both of which the sandbox can sign with) — before parsing
//! it. Tampered bodies and wrong secrets fail; a 5xx from the receiver is retried by the sandbox and the retry
//! verifies; a 4xx is final.
#![cfg(feature = "webhooks")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use http::{HeaderMap, HeaderName, StatusCode};
use serde_json::json;
use vaultspay::api::types::{
    ActivateCardRequest, AddressType, CardAddress, CardDeliveryStatus, CardStatusChange, CardType, CreateCardRequest,
    GetCardExpiryRequest, GetCardPanRequest, ProcessCardRequestRequest, SetCardPinRequest, ToggleCardFreezeRequest,
    UpdateCardDeliveryRequest, UpdateCardManufacturingRequest, UpdateCardStatusRequest,
};
use vaultspay::webhooks::{
    BodyHmac, CardStatus, CardStatusEvent, Event, EventType, NetworkStatus, SIGNATURE_HEADER, TimestampedHmac,
    Verifier, WebhookError,
};
use vaultspay::{Call, Client, JsonMap};
mod sandboxed;
use vaultspay_sandbox::{Delivery, Sandbox};

const SECRET: &str = "whsec_e2e_8f1a";

/// One delivery as the receiver saw it: the raw request, the verifier's verdict and the status answered.
#[derive(Clone, Debug)]
struct Got {
    headers: HeaderMap,
    body: Vec<u8>,
    verdict: Result<Event, WebhookError>,
    answered: u16,
}

/// A local receiver: verifies every delivery over its raw bytes; answers `fail_with` to the first `failures`
/// deliveries whatever their verdict, then 200 for a verified one and the error's status otherwise.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    async fn start(verifier: Verifier, failures: usize, fail_with: StatusCode) -> Receiver {
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let seen = got.clone();
        let app = axum::Router::new().route(
            "/hooks/vaultspay",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (verifier, seen) = (verifier.clone(), seen.clone());
                async move {
                    let verdict = verifier.verify_event(&headers, &body);
                    let mut seen = seen.lock().unwrap();
                    let status = match &verdict {
                        _ if seen.len() < failures => fail_with,
                        Ok(_) => StatusCode::OK,
                        Err(err) => err.status(),
                    };
                    seen.push(Got { headers, body: body.to_vec(), verdict, answered: status.as_u16() });
                    status
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/vaultspay", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, got }
    }

    /// Waits (up to 5 s) for `n` deliveries; returns them all.
    async fn wait(&self, n: usize) -> Vec<Got> {
        for _ in 0..500 {
            if self.got.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.got.lock().unwrap().clone()
    }
}

struct Env {
    sandbox: Sandbox,
    client: Client,
}

impl Env {
    async fn start(retry_delays: &[u64]) -> Env {
        let sandbox = Sandbox::builder()
            .fixed_key()
            .webhook_retry_delays(retry_delays.iter().copied().map(Duration::from_millis).collect())
            .start()
            .await
            .unwrap();
        let client = sandboxed::builder(&sandbox).build().unwrap();
        Env { sandbox, client }
    }

    /// Registers the callback through the control route (`scheme`: `timestamped` or `raw-body`).
    async fn register(&self, url: &str, scheme: serde_json::Value, header: Option<&str>) {
        let answer = reqwest::Client::new()
            .put(format!("{}/__sandbox/webhook", self.sandbox.base_url()))
            .json(&json!({ "url": url, "secret": SECRET, "scheme": scheme, "header": header }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }

    /// A card of the seeded customer (0: the ACTIVE virtual one, 1: the ACTIVE physical one).
    fn seeded_card(&self, index: usize) -> i64 {
        self.sandbox.user().card_ids[index]
    }

    async fn toggle(&self, card_id: i64, reason: &str) {
        let body = ToggleCardFreezeRequest::builder().card_id(card_id).status_reason(reason.to_string());
        self.client.api().toggle_card_freeze().body(body).call().await.unwrap();
    }

    async fn token(&self, card_id: i64) -> i64 {
        let body = vaultspay::api::types::GetCardDetailsRequest::builder().card_id(card_id);
        let card = self.client.api().get_card_details().body(body).call().await.unwrap().unwrap();
        card.token.and_then(|t| t.scalar_text()).unwrap().parse().unwrap()
    }

    /// Waits for the sandbox to record `n` delivery attempts, then a moment for any further (wrong) attempt.
    async fn deliveries(&self, n: usize) -> Vec<Delivery> {
        self.sandbox.wait_for_deliveries(n, Duration::from_secs(5)).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
        self.sandbox.deliveries()
    }
}

fn map(pairs: &[(&str, serde_json::Value)]) -> JsonMap {
    pairs.iter().map(|(k, v)| (*k, v.clone())).collect()
}

fn card_status(got: &Got) -> &CardStatusEvent {
    match &got.verdict {
        Ok(Event::CardStatus(event)) => event,
        other => panic!("not a verified card-status event: {other:?}"),
    }
}

/// `(previous, current, reason)` of an event.
fn change(event: &CardStatusEvent) -> (String, String, String) {
    let previous = event.status.previous.as_ref().map(|s| s.code.as_str().to_string()).unwrap_or_default();
    (previous, event.status.current.code.as_str().to_string(), event.status.reason.clone().unwrap_or_default())
}

#[tokio::test]
async fn a_physical_cards_status_changes_arrive_signed_t_v1_and_verify() {
    let env = Env::start(&[50]).await;
    let receiver = Receiver::start(Verifier::new(SECRET), 0, StatusCode::OK).await;
    env.register(&receiver.url, json!("timestamped"), None).await;
    let api = env.client.api();

    // A physical card for the seeded customer, through the whole pipeline (creation itself sends no event).
    let john = env.sandbox.user().clone();
    let names = api.list_embossing_names().user_id(john.user_id).call().await.unwrap().unwrap();
    let address = CardAddress::builder()
        .type_(AddressType::Mailing)
        .country("ARE".to_string())
        .city("Dubai".to_string())
        .address_line1("Apartment 1204, Marina Gate 2".to_string());
    let body = CreateCardRequest::builder()
        .card_tier_id(67)
        .customer_id(john.user_id)
        .account_id(john.account_ids[0])
        .card_type(CardType::Physical)
        .card_holder_name(names.names.unwrap()[0].clone())
        .address(CardAddress::try_from(address).unwrap());
    let card = api.create_card().body(body).call().await.unwrap().unwrap();
    let id = card.id.unwrap();
    let pin = SetCardPinRequest::from(map(&[("cardId", json!(id)), ("pin", json!("4821"))]));
    api.set_card_pin().body(pin).call().await.unwrap();
    let process =
        ProcessCardRequestRequest::builder().card_id(id).status(vaultspay::api::types::CardStatus::IssuanceInProgress);
    api.process_card_request().body(process).call().await.unwrap();
    let made = map(&[("cardId", json!(id)), ("manufacturingStatus", json!("MANUFACTURED"))]);
    api.update_card_manufacturing().body(UpdateCardManufacturingRequest::from(made)).call().await.unwrap();
    let delivered = UpdateCardDeliveryRequest::builder().card_id(id).delivery_status(CardDeliveryStatus::Delivered);
    api.update_card_delivery().body(delivered).call().await.unwrap();
    let pan = api.get_card_pan().body(GetCardPanRequest::builder().card_id(id)).call().await.unwrap().unwrap();
    let expiry = api.get_card_expiry().body(GetCardExpiryRequest::builder().card_id(id)).call().await.unwrap();
    let activate =
        ActivateCardRequest::builder().card_id(id).pan(pan.pan.unwrap()).expiry_date(expiry.unwrap().expiry.unwrap());
    api.activate_card().body(activate).call().await.unwrap();
    env.toggle(id, "Card misplaced").await;
    env.toggle(id, "Card found").await;
    let block = UpdateCardStatusRequest::builder()
        .card_id(id)
        .card_status(CardStatusChange::Block)
        .status_reason("Lost for good");
    api.update_card_status().body(block).call().await.unwrap();
    let token = env.token(id).await;

    // Six status changes, six deliveries, each accepted at the first attempt.
    let deliveries = env.deliveries(6).await;
    assert_eq!(deliveries.len(), 6, "{deliveries:?}");
    assert!(deliveries.iter().all(|d| d.status == Some(200) && d.attempt == 1), "{deliveries:?}");
    let got = receiver.wait(6).await;
    assert_eq!(got.len(), 6);
    let mut changes: Vec<_> = got.iter().map(|g| change(card_status(g))).collect();
    changes.sort();
    let expected = [
        ("ACTIVE", "BLOCK", "Lost for good"),
        ("ACTIVE", "FREEZE", "Card misplaced"),
        ("FREEZE", "ACTIVE", "Card found"),
        ("ISSUANCE_IN_PROGRESS", "PENDING_VERIFICATION", "Approved"),
        ("PENDING_VERIFICATION", "ACTIVE", "new card"),
        ("REQUESTED", "ISSUANCE_IN_PROGRESS", "Card request accepted"),
    ];
    let expected: Vec<(String, String, String)> =
        expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(changes, expected);
    let mut ids = std::collections::BTreeSet::new();
    for g in &got {
        let event = card_status(g);
        assert_eq!(event.card.token, token, "every event names the card by its token");
        assert_eq!(event.card.card_type, Some(vaultspay::webhooks::CardType::Physical));
        let label = if event.status.current.code == CardStatus::Active {
            NetworkStatus::FullyOperational
        } else {
            NetworkStatus::DeclineAllTxns
        };
        assert_eq!(event.status.current.label, Some(label));
        let expected_type = format!("card.status.{}", event.status.current.code.as_str().to_lowercase());
        assert_eq!(event.event_type, EventType::from(expected_type.as_str()));
        assert_eq!(g.headers["vaultspay-event-id"], event.id.as_str());
        assert!(ids.insert(event.id.clone()), "event ids are unique");
        let signature = g.headers[&SIGNATURE_HEADER].to_str().unwrap();
        assert!(signature.starts_with("t=") && signature.contains(",v1="), "{signature}");
        // What the receiver verified is what the sandbox sent.
        assert!(deliveries.iter().any(|d| d.body == g.body && d.event_id == event.id));
    }
    assert_eq!(got.iter().filter(|g| card_status(g).event_type == EventType::CardStatusIssuanceInProgress).count(), 1);

    // The same bytes: one byte changed, the wrong secret, too old, too new, another scheme.
    let (headers, body) = (&got[0].headers, &got[0].body);
    let verifier = Verifier::new(SECRET);
    assert_eq!(verifier.verify(headers, body), Ok(()));
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b':').unwrap() + 1;
    tampered.insert(at, b' '); // still the same JSON, not the same bytes
    assert!(Event::parse(&tampered).is_ok());
    assert_eq!(verifier.verify(headers, &tampered), Err(WebhookError::SignatureMismatch));
    let mut flipped = body.clone();
    let last_digit = flipped.iter().rposition(u8::is_ascii_digit).unwrap();
    flipped[last_digit] = if flipped[last_digit] == b'9' { b'8' } else { flipped[last_digit] + 1 };
    assert_eq!(verifier.verify(headers, &flipped), Err(WebhookError::SignatureMismatch));
    assert_eq!(Verifier::new("whsec_e2e_wrong").verify(headers, body), Err(WebhookError::SignatureMismatch));
    assert!(Verifier::with_keys(["whsec_e2e_wrong", SECRET]).verify(headers, body).is_ok(), "rotation");
    let later = SystemTime::now() + Duration::from_secs(10 * 60);
    assert!(matches!(
        verifier.verify_at(headers, body, later),
        Err(WebhookError::Stale { tolerance_seconds: 300, .. })
    ));
    let earlier = SystemTime::now() - Duration::from_secs(10 * 60);
    assert!(matches!(verifier.verify_at(headers, body, earlier), Err(WebhookError::Future { .. })));
    let body_only = Verifier::new(SECRET).scheme(BodyHmac::new());
    assert!(
        matches!(body_only.verify(headers, body), Err(WebhookError::MalformedHeader { .. })),
        "a t=…,v1=… header is not a body signature"
    );
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_body_only_scheme_verifies_with_body_hmac_in_the_default_or_a_named_header() {
    let env = Env::start(&[50]).await;
    let card = env.seeded_card(0);

    // The default header (VaultsPay-Signature) carrying the hex HMAC of the raw body.
    let receiver = Receiver::start(Verifier::new(SECRET).scheme(BodyHmac::new()), 0, StatusCode::OK).await;
    env.register(&receiver.url, json!("raw-body"), None).await;
    env.toggle(card, "Frozen by the user").await;
    let got = receiver.wait(1).await;
    let event = card_status(&got[0]);
    assert_eq!(change(event), ("ACTIVE".into(), "FREEZE".into(), "Frozen by the user".into()));
    assert_eq!(event.card.card_type, Some(vaultspay::webhooks::CardType::Virtual));
    assert_eq!(event.card.token, env.token(card).await);
    let (headers, body) = (&got[0].headers, &got[0].body);
    assert_eq!(headers[&SIGNATURE_HEADER].len(), 64, "64 hex digits, no t=");
    assert!(
        matches!(Verifier::new(SECRET).verify(headers, body), Err(WebhookError::MalformedHeader { .. })),
        "the timestamped scheme refuses a bare body signature"
    );
    let mut tampered = body.clone();
    tampered.push(b' ');
    assert_eq!(
        Verifier::new(SECRET).scheme(BodyHmac::new()).verify(headers, &tampered),
        Err(WebhookError::SignatureMismatch)
    );
    assert_eq!(
        Verifier::new("whsec_e2e_wrong").scheme(BodyHmac::new()).verify(headers, body),
        Err(WebhookError::SignatureMismatch)
    );

    // A header of the partner's naming.
    let header = HeaderName::from_static("x-vp-signature");
    let named =
        Receiver::start(Verifier::new(SECRET).scheme(BodyHmac::new().header(header.clone())), 0, StatusCode::OK).await;
    env.register(&named.url, json!("raw-body"), Some("X-Vp-Signature")).await;
    env.toggle(card, "Unfrozen by the user").await;
    let got = named.wait(1).await;
    let event = card_status(&got[0]);
    assert_eq!(change(event), ("FREEZE".into(), "ACTIVE".into(), "Unfrozen by the user".into()));
    assert!(got[0].headers.get(&SIGNATURE_HEADER).is_none());
    assert_eq!(
        Verifier::new(SECRET).scheme(BodyHmac::new()).verify(&got[0].headers, &got[0].body),
        Err(WebhookError::MissingHeader { header: SIGNATURE_HEADER })
    );
    let deliveries = env.deliveries(2).await;
    assert_eq!(deliveries.len(), 2);
    assert_eq!((receiver.got.lock().unwrap().len(), named.got.lock().unwrap().len()), (1, 1));
    env.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_5xx_answer_is_retried_until_accepted_and_a_4xx_is_final() {
    let env = Env::start(&[20, 40, 80]).await;
    let card = env.seeded_card(1);

    // The receiver is down for two attempts (503), then accepts: three attempts of one event, each re-signed and
    // each verifying; the third one answered 200.
    let flaky = Receiver::start(Verifier::new(SECRET), 2, StatusCode::SERVICE_UNAVAILABLE).await;
    env.register(&flaky.url, json!("timestamped"), None).await;
    env.toggle(card, "Card misplaced").await;
    let deliveries = env.deliveries(3).await;
    let attempts: Vec<(u32, Option<u16>)> = deliveries.iter().map(|d| (d.attempt, d.status)).collect();
    assert_eq!(attempts, [(1, Some(503)), (2, Some(503)), (3, Some(200))]);
    assert!(deliveries.windows(2).all(|w| w[0].event_id == w[1].event_id && w[0].body == w[1].body), "one event");
    let got = flaky.wait(3).await;
    assert_eq!(got.iter().map(|g| g.answered).collect::<Vec<_>>(), [503, 503, 200]);
    for g in &got {
        let event = card_status(g);
        assert_eq!(event.id, deliveries[0].event_id);
        assert_eq!(change(event), ("ACTIVE".into(), "FREEZE".into(), "Card misplaced".into()));
        assert_eq!(g.headers["vaultspay-event-id"], event.id.as_str());
    }
    let timestamped = Verifier::new(SECRET).scheme(TimestampedHmac::new());
    assert!(got.iter().all(|g| timestamped.verify(&g.headers, &g.body).is_ok()));

    // Always 500: the first attempt and the three retries, then the sandbox gives up.
    env.sandbox.clear_deliveries();
    let down = Receiver::start(Verifier::new(SECRET), usize::MAX, StatusCode::INTERNAL_SERVER_ERROR).await;
    env.register(&down.url, json!("timestamped"), None).await;
    env.toggle(card, "Card found").await;
    let deliveries = env.deliveries(4).await;
    let attempts: Vec<(u32, Option<u16>)> = deliveries.iter().map(|d| (d.attempt, d.status)).collect();
    assert_eq!(attempts, [(1, Some(500)), (2, Some(500)), (3, Some(500)), (4, Some(500))]);
    let got = down.wait(4).await;
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|g| g.verdict.is_ok()), "verified, yet answered 500");

    // A receiver with the wrong secret answers 401: not retried.
    env.sandbox.clear_deliveries();
    let wrong = Receiver::start(Verifier::new("whsec_e2e_wrong"), 0, StatusCode::OK).await;
    env.register(&wrong.url, json!("timestamped"), None).await;
    env.toggle(card, "Card misplaced again").await;
    let deliveries = env.deliveries(1).await;
    assert_eq!(deliveries.iter().map(|d| (d.attempt, d.status)).collect::<Vec<_>>(), [(1, Some(401))]);
    let got = wrong.wait(1).await;
    assert_eq!(got[0].verdict.as_ref().unwrap_err(), &WebhookError::SignatureMismatch);
    assert_eq!(got[0].answered, 401);
    // The right secret accepts the very bytes that were refused.
    assert!(Verifier::new(SECRET).verify_event(&got[0].headers, &got[0].body).is_ok());
    env.sandbox.shutdown().await;
}
