//! Webhooks: signature verification against vectors computed by OpenSSL (`tests/fixtures/webhooks/make-vectors.sh`),
//! tolerance boundaries, tampering, rotation, event parsing, fuzzing, the receiver example over real HTTP, and
//! endpoint management over HTTP.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use baanx::api::types::{KycStatus, WebhookEventType};
use baanx::webhooks::{Event, EventPayload, Verifier, WebhookConfig, WebhookError, sign};
use baanx::{Error, Region};
use common::*;
use proptest::prelude::*;
use secrecy::ExposeSecret as _;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webhooks");
const KEY: &str = "whk_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6a7b8c9d0e1f2";
const ROTATED: &str = "whk_rotated0000000000000000000000000000000000000000000000000000000000";
const TS: u64 = 1767711032;

struct Vector {
    body: Vec<u8>,
    key: String,
    timestamp: u64,
    signature: String,
}

fn vectors() -> Vec<Vector> {
    std::fs::read_to_string(format!("{DIR}/vectors.txt"))
        .unwrap()
        .lines()
        .map(|line| {
            let c: Vec<&str> = line.split(' ').collect();
            Vector {
                body: std::fs::read(format!("{DIR}/{}.body", c[0])).unwrap(),
                key: c[1].into(),
                timestamp: c[2].parse().unwrap(),
                signature: c[3].into(),
            }
        })
        .collect()
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn body(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{name}.body")).unwrap()
}

#[test]
fn known_answer_vectors_from_openssl() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 6);
    for v in &vectors {
        assert_eq!(sign(&v.key, v.timestamp, &v.body), v.signature, "sign() agrees with OpenSSL");
        let verifier = Verifier::new(v.key.clone());
        verifier.verify_parts_at(Some(&v.timestamp.to_string()), Some(&v.signature), &v.body, at(v.timestamp)).unwrap();
        // Uppercase hex is the same signature.
        verifier
            .verify_parts_at(
                Some(&v.timestamp.to_string()),
                Some(&v.signature.to_uppercase()),
                &v.body,
                at(v.timestamp),
            )
            .unwrap();
    }
}

#[test]
fn tolerance_boundaries_both_ways() {
    let b = body("kyc-status-changed-success");
    let sig = sign(KEY, TS, &b);
    let check =
        |verifier: &Verifier, now: u64| verifier.verify_parts_at(Some(&TS.to_string()), Some(&sig), &b, at(now));
    let v = Verifier::new(KEY);
    assert_eq!(check(&v, TS + 300), Ok(()));
    assert_eq!(check(&v, TS + 301), Err(WebhookError::Stale { age_seconds: 301, tolerance_seconds: 300 }));
    assert_eq!(check(&v, TS - 300), Ok(()));
    assert_eq!(check(&v, TS - 301), Err(WebhookError::Future { ahead_seconds: 301, tolerance_seconds: 300 }));
    let wide = Verifier::new(KEY).tolerance(Duration::from_secs(3600));
    assert_eq!(check(&wide, TS + 3600), Ok(()));
    assert!(matches!(check(&wide, TS + 3601), Err(WebhookError::Stale { .. })));
}

#[test]
fn tampering_is_detected() {
    let b = body("kyc-status-changed-failed");
    let sig = sign(KEY, TS, &b);
    let v = Verifier::new(KEY);
    let ts = TS.to_string();
    // A re-serialised body (same JSON, other bytes) is not the signed body.
    let reserialised = serde_json::to_vec_pretty(&serde_json::from_slice::<serde_json::Value>(&b).unwrap()).unwrap();
    assert_eq!(v.verify_parts_at(Some(&ts), Some(&sig), &reserialised, at(TS)), Err(WebhookError::Mismatch));
    let mut tampered = b.clone();
    let i = tampered.iter().position(|&c| c == b'3').unwrap(); // failure code "103" → "003"
    tampered[i] = b'0';
    assert_eq!(v.verify_parts_at(Some(&ts), Some(&sig), &tampered, at(TS)), Err(WebhookError::Mismatch));
    let later = (TS + 1).to_string();
    assert_eq!(
        v.verify_parts_at(Some(&later), Some(&sig), &b, at(TS)),
        Err(WebhookError::Mismatch),
        "tampered timestamp"
    );
    let wrong = Verifier::new("whk_not_the_key");
    assert_eq!(wrong.verify_parts_at(Some(&ts), Some(&sig), &b, at(TS)), Err(WebhookError::Mismatch));
    // The whole key is the HMAC key: without the whk_ prefix it does not verify.
    let bare = Verifier::new(KEY.trim_start_matches("whk_"));
    assert_eq!(bare.verify_parts_at(Some(&ts), Some(&sig), &b, at(TS)), Err(WebhookError::Mismatch));
}

#[test]
fn rotation_accepts_old_and_new_keys_while_both_are_configured() {
    let b = body("unicode");
    let ts = TS.to_string();
    let old_sig = sign(KEY, TS, &b);
    let new_sig = sign(ROTATED, TS, &b);
    let both = Verifier::with_keys([KEY, ROTATED]);
    assert_eq!(both.verify_parts_at(Some(&ts), Some(&old_sig), &b, at(TS)), Ok(()));
    assert_eq!(both.verify_parts_at(Some(&ts), Some(&new_sig), &b, at(TS)), Ok(()));
    let only_new = Verifier::new(ROTATED);
    assert_eq!(only_new.verify_parts_at(Some(&ts), Some(&old_sig), &b, at(TS)), Err(WebhookError::Mismatch));
}

#[test]
fn missing_and_malformed_headers() {
    let v = Verifier::new(KEY);
    let b = b"{}";
    let sig = sign(KEY, TS, b);
    let ts = TS.to_string();
    assert_eq!(v.verify_parts_at(None, Some(&sig), b, at(TS)), Err(WebhookError::MissingHeader("X-Timestamp")));
    assert_eq!(v.verify_parts_at(Some(&ts), None, b, at(TS)), Err(WebhookError::MissingHeader("X-Signature")));
    for bad_ts in ["", "17677110xx", "-1767711032", "1767711032.5", "99999999999999999999"] {
        assert!(
            matches!(
                v.verify_parts_at(Some(bad_ts), Some(&sig), b, at(TS)),
                Err(WebhookError::MalformedHeader { header: "X-Timestamp", .. })
            ),
            "{bad_ts:?}"
        );
    }
    for bad_sig in ["", "abc", &sig[..63], &format!("{}zz", &sig[..62]), &format!("sha256={sig}")] {
        assert!(
            matches!(
                v.verify_parts_at(Some(&ts), Some(bad_sig), b, at(TS)),
                Err(WebhookError::MalformedHeader { header: "X-Signature", .. })
            ),
            "{bad_sig:?}"
        );
    }
    // The same through a header map.
    let mut headers = http::HeaderMap::new();
    headers.insert("X-Timestamp", ts.parse().unwrap());
    headers.insert("X-Signature", sig.parse().unwrap());
    assert_eq!(v.verify_at(&headers, b, at(TS)), Ok(()));
    headers.remove("x-signature");
    assert_eq!(v.verify_at(&headers, b, at(TS)), Err(WebhookError::MissingHeader("X-Signature")));
}

#[test]
fn events_parse_typed_and_tolerate_the_unknown() {
    let event = Event::parse(&body("kyc-status-changed-failed")).unwrap();
    assert_eq!(event.id, "d486021a-e8b6-5bff-9035-5485f2e2e95g", "ids are opaque (not a valid UUID here)");
    assert_eq!(event.event_type, WebhookEventType::KycStatusChanged);
    let EventPayload::KycStatusChanged(kyc) = &event.payload else { panic!("{:?}", event.payload) };
    assert_eq!(kyc.status, Some(KycStatus::Failed));
    assert_eq!(kyc.failure_code.as_deref(), Some("103"));
    assert_eq!(event.changes["status"], (baanx::Json::from(json!("pending")), baanx::Json::from(json!("failed"))));

    let unknown = br#"{"event_id":"e9","event_type":"card.frozen","event_object":{"cardId":"c1","new":{"x":1}},"future_field":[1,2]}"#;
    let event = Event::parse(unknown).unwrap();
    assert_eq!(event.event_type, WebhookEventType::Unknown("card.frozen".into()));
    assert!(matches!(&event.payload, EventPayload::Other(v) if v.decode::<String>("cardId").unwrap().unwrap() == "c1"));
    let new_kyc_status =
        br#"{"event_id":"e10","event_type":"kyc.status.changed","event_object":{"status":"resubmission_requested"}}"#;
    let EventPayload::KycStatusChanged(kyc) = Event::parse(new_kyc_status).unwrap().payload else { panic!() };
    assert_eq!(kyc.status, Some(KycStatus::Unknown("resubmission_requested".into())));

    for bad in [&b"not json"[..], b"[]", b"{}", br#"{"event_type":"kyc.status.changed"}"#, br#"{"event_id":"e"}"#] {
        assert!(matches!(Event::parse(bad), Err(WebhookError::Parse(_))), "{}", String::from_utf8_lossy(bad));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn verify_never_panics(ts in proptest::option::of(".{0,40}"), sig in proptest::option::of(".{0,80}"), body in proptest::collection::vec(any::<u8>(), 0..512), now in any::<u64>()) {
        let v = Verifier::new(KEY);
        let _ = v.verify_parts_at(ts.as_deref(), sig.as_deref(), &body, UNIX_EPOCH + Duration::from_secs(now >> 1));
    }

    #[test]
    fn parse_never_panics_on_bytes(body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = Event::parse(&body);
    }

    #[test]
    fn parse_never_panics_on_json_shaped_input(event_type in "[a-z.*]{0,20}", object in "\\PC{0,64}", id in proptest::option::of("\\PC{0,20}")) {
        let body = json!({"event_id": id, "event_type": event_type, "event_object": {"status": object, "failure_code": 103}, "event_object_changes": {"a": [object], "b": []}});
        let _ = Event::parse(body.to_string().as_bytes());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The receiver example, over real HTTP

#[allow(dead_code)]
#[path = "../examples/webhook_receiver.rs"]
mod receiver;

#[tokio::test]
async fn the_receiver_example_verifies_parses_and_acknowledges_once() {
    let (queue, mut events) = tokio::sync::mpsc::channel(8);
    let app = receiver::app(receiver::Receiver::new(Verifier::new(KEY), queue));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/baanx/webhooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::new();
    let deliver = |body: Vec<u8>, sig: String, ts: u64| {
        http.post(&url)
            .header("content-type", "application/json")
            .header("x-timestamp", ts.to_string())
            .header("x-signature", sig)
            .body(body)
            .send()
    };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let b = body("kyc-status-changed-success");

    assert_eq!(deliver(b.clone(), sign(KEY, now, &b), now).await.unwrap().status(), 200);
    assert_eq!(deliver(b.clone(), sign(KEY, now, &b), now).await.unwrap().status(), 200, "re-delivery acknowledged");
    assert_eq!(deliver(b.clone(), sign("whk_wrong", now, &b), now).await.unwrap().status(), 401);
    assert_eq!(deliver(b.clone(), sign(KEY, now - 1000, &b), now - 1000).await.unwrap().status(), 401, "stale");
    let not_event = b"{\"hello\":1}".to_vec();
    assert_eq!(deliver(not_event.clone(), sign(KEY, now, &not_event), now).await.unwrap().status(), 400);

    let first = events.recv().await.unwrap();
    assert_eq!(first.id, "c386021a-d7a5-4aff-8924-4374f1d1d84f");
    assert!(events.try_recv().is_err(), "processed once");
}

// ---------------------------------------------------------------------------------------------------------------
// Endpoint management, over HTTP

#[tokio::test]
async fn management_calls_send_the_documented_bodies() {
    let server = MockServer::start().await;
    let webhook = json!({"id": "w1", "name": "KYC", "url": "https://api.example.com/hooks", "eventTypes": ["kyc.status.changed"], "isActive": false});
    let mut created = webhook.clone();
    created["apiKey"] = json!(KEY);
    Mock::given(method("POST"))
        .and(path("/v1/webhooks"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"success": true, "data": created})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v1/webhooks/w1"))
        .respond_with(ok(json!({"success": true, "data": webhook})))
        .mount(&server)
        .await;
    let mut rotated = webhook.clone();
    rotated["apiKey"] = json!(ROTATED);
    Mock::given(method("POST"))
        .and(path("/v1/webhooks/w1/rotate-key"))
        .respond_with(ok(json!({"success": true, "data": rotated})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/webhooks/w1"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/v1/webhooks")).respond_with(ok(json!([webhook]))).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/webhooks/events/e1/retry"))
        .respond_with(ok(json!({"success": true, "data": {"eventId": "e1", "webhookId": "w1"}})))
        .mount(&server)
        .await;
    let client =
        client(&server).with_session(oauth_session("a0", "r0", Duration::from_secs(3600), Region::International));
    let hooks = client.webhooks();

    let config = WebhookConfig::new("KYC", "https://api.example.com/hooks", ["kyc.status.changed"]);
    let made = hooks.create(config.clone()).await.unwrap();
    assert_eq!(made.signing_key.expose_secret(), KEY);
    assert!(made.webhook.api_key.is_none(), "the key travels only as a secret");
    assert!(!format!("{made:?}").contains(KEY));
    let sent = body_of(&requests_to(&server, "/v1/webhooks").await[0]);
    assert_eq!(
        sent,
        json!({"name": "KYC", "url": "https://api.example.com/hooks", "event_types": ["kyc.status.changed"], "is_active": false, "metadata": {}}),
        "inactive unless asked"
    );

    hooks.update("w1", config.clone().active(true)).await.unwrap();
    let sent = body_of(&requests_to(&server, "/v1/webhooks/w1").await[0]);
    assert_eq!(
        sent,
        json!({"name": "KYC", "url": "https://api.example.com/hooks", "event_types": ["kyc.status.changed"], "is_active": true, "metadata": {}}),
        "replace: every field sent"
    );

    assert_eq!(hooks.rotate_key("w1").await.unwrap().expose_secret(), ROTATED);
    hooks.delete("w1").await.unwrap();
    assert_eq!(hooks.list().await.unwrap().len(), 1);
    hooks.retry("e1", "w1").await.unwrap();
    let retry = requests_to(&server, "/v1/webhooks/events/e1/retry").await;
    assert_eq!(body_of(&retry[0]), json!({"webhookId": "w1"}));

    // Checked before sending.
    for bad in [
        WebhookConfig::new("KYC", "http://api.example.com/hooks", ["kyc.status.changed"]),
        WebhookConfig::new("KYC", "https://api.example.com/hooks", Vec::<String>::new()),
        WebhookConfig::new("", "https://api.example.com/hooks", ["*"]),
    ] {
        assert!(matches!(hooks.create(bad).await.unwrap_err(), Error::InvalidRequest { .. }));
    }
    assert_eq!(requests_to(&server, "/v1/webhooks").await.len(), 2, "one create, one list: nothing else sent");
}

fn body_of(request: &Request) -> serde_json::Value {
    serde_json::from_slice(&request.body).unwrap()
}
