//! Webhooks: endpoint management, signed deliveries (HMAC recomputed here), retries on 5xx but not on 4xx, logs,
//! events, manual retry, key rotation.

mod common;

use std::time::Duration;

use baanx_sandbox::Sandbox;
use common::{Api, receiver};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

fn sign(key: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

async fn create(api: &Api, url: &str, types: Value, active: bool) -> Value {
    let a = api
        .post("/v1/webhooks", json!({ "name": "test", "url": url, "event_types": types, "is_active": active }))
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    a.json()["data"].clone()
}

fn fast() -> baanx_sandbox::SandboxBuilder {
    Sandbox::builder()
        .webhook_retry_delays(vec![Duration::from_millis(50), Duration::from_millis(50)])
        .webhook_timeout(Duration::from_millis(500))
}

#[tokio::test]
async fn deliveries_are_signed_and_retried_on_5xx_only() {
    let sb = fast().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    // Receiver A fails twice with 500, then accepts; receiver B refuses with 400 (never retried).
    let a = receiver(vec![500, 500]).await;
    let b = receiver(vec![400]).await;
    let hook_a = create(&api, &a.url, json!(["card.*"]), true).await;
    let hook_b = create(&api, &b.url, json!(["card.activated"]), true).await;
    let inactive = receiver(vec![]).await;
    create(&api, &inactive.url, json!(["*"]), false).await;
    let other_type = receiver(vec![]).await;
    create(&api, &other_type.url, json!(["kyc.status.changed"]), true).await;
    let key_a = hook_a["apiKey"].as_str().unwrap().to_string();
    assert!(key_a.starts_with("whk_") && key_a.len() == 68 && key_a[4..].chars().all(|c| c.is_ascii_alphanumeric()));

    assert_eq!(api.post("/v1/card/order", json!({ "type": "VIRTUAL" })).await.json(), json!({ "success": true }));
    sb.wait_for_deliveries(4, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // would-be extra retries have had time to happen
    let all = sb.deliveries();
    let to_a: Vec<_> = all.iter().filter(|d| d.url == a.url).collect();
    let to_b: Vec<_> = all.iter().filter(|d| d.url == b.url).collect();
    assert_eq!(
        to_a.iter().map(|d| (d.attempt, d.status)).collect::<Vec<_>>(),
        [(1, Some(500)), (2, Some(500)), (3, Some(200))]
    );
    assert_eq!(to_b.iter().map(|d| (d.attempt, d.status)).collect::<Vec<_>>(), [(1, Some(400))]);
    assert!(inactive.got.lock().unwrap().is_empty());
    assert!(other_type.got.lock().unwrap().is_empty());

    // Every attempt the receiver saw verifies with the full key; the event id is stable across retries.
    let got = a.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let mut ids = Vec::new();
    for r in &got {
        assert_eq!(r.header("content-type"), Some("application/json"));
        let ts = r.header("x-timestamp").unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert!(now.abs_diff(ts.parse::<u64>().unwrap()) < 60);
        assert_eq!(r.header("x-signature").unwrap(), sign(&key_a, ts, &r.body));
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["api_version"], "v1");
        assert_eq!(body["event_type"], "card.activated");
        assert_eq!(body["event_category"], "card");
        assert_eq!(body["user_id"], sb.user().user_id.as_str());
        ids.push(body["event_id"].as_str().unwrap().to_string());
        // Compact JSON: no whitespace outside strings.
        assert!(!String::from_utf8_lossy(&r.body).contains(": "));
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]));

    // Logs and events.
    let logs = api.get(&format!("/v1/webhooks/{}/logs", hook_a["id"].as_str().unwrap())).await.json();
    assert_eq!(logs["count"], 3);
    assert_eq!(logs["logs"][0]["deliveryStatus"], "success");
    assert_eq!(logs["logs"][2]["deliveryStatus"], "pending");
    assert_eq!(logs["logs"][2]["responseStatus"], 500);
    let events = api.get("/v1/webhooks/events?limit=10").await.json();
    assert_eq!(events["total"], 1);
    let event = &events["events"][0];
    assert_eq!(event["eventType"], "card.activated");
    assert_eq!(event["status"], "failed"); // receiver B refused it for good
    let failed = api.get("/v1/webhooks/events?status=failed").await.json();
    assert_eq!(failed["total"], 1);
    let status = api.get(&format!("/v1/webhooks/events/{}/status", event["eventId"].as_str().unwrap())).await.json();
    assert_eq!(status["status"], "failed");
    let event_logs = api.get(&format!("/v1/webhooks/events/{}/logs", event["id"].as_str().unwrap())).await.json();
    assert_eq!(event_logs["logs"].as_array().unwrap().len(), 4);

    // Manual retry to B only: B now answers 200.
    let retry = api
        .post(
            &format!("/v1/webhooks/events/{}/retry", event["eventId"].as_str().unwrap()),
            json!({ "webhookId": hook_b["id"] }),
        )
        .await;
    assert_eq!(retry.status, 200, "{}", retry.text);
    assert_eq!(retry.json()["data"]["webhookCount"], 1);
    let after = sb.wait_for_deliveries(5, Duration::from_secs(5)).await;
    assert_eq!(after.last().unwrap().status, Some(200));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let status = api.get(&format!("/v1/webhooks/events/{}/status", event["id"].as_str().unwrap())).await.json();
    assert_eq!(status["status"], "completed");
    let bad_retry = api
        .post(&format!("/v1/webhooks/events/{}/retry", event["id"].as_str().unwrap()), json!({ "webhookId": "x" }))
        .await;
    assert_eq!(bad_retry.json(), json!({ "message": "webhookId must be a valid UUID" }));
}

#[tokio::test]
async fn connection_errors_and_timeouts_are_retried() {
    let sb = fast().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    create(&api, &format!("http://127.0.0.1:{port}/hook"), json!(["kyc.status.changed"]), true).await;
    let event_id = sb.trigger_kyc_status(&sb.user().user_id, "failed").unwrap();
    let got = sb.wait_for_deliveries(3, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(sb.deliveries().len(), 3);
    assert!(got.iter().all(|d| d.status.is_none() && d.error.is_some() && d.event_id == event_id));
    assert_eq!(got.iter().map(|d| d.attempt).collect::<Vec<_>>(), [1, 2, 3]);
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["event_object"]["status"], "failed");
    assert_eq!(body["event_object"]["failure_code"], "103");
    assert_eq!(body["event_object_changes"]["status"], json!(["completed", "failed"]));
    // The user's verification state follows.
    assert_eq!(api.get("/v1/user").await.json()["verificationState"], "REJECTED");
    assert_eq!(sb.trigger_kyc_status("nobody", "completed"), None);

    // A receiver slower than the delivery timeout (500 ms here) counts as a failed attempt and is retried.
    sb.clear_deliveries();
    let slow = receiver(vec![0]).await;
    create(&api, &slow.url, json!(["kyc.*"]), true).await;
    sb.trigger_kyc_status(&sb.user().user_id, "completed").unwrap();
    let got = sb.wait_for_deliveries(5, Duration::from_secs(5)).await;
    let slow_attempts: Vec<_> = got.iter().filter(|d| d.url == slow.url).collect();
    assert_eq!(slow_attempts.len(), 2, "{got:?}");
    assert!(slow_attempts[0].error.as_deref().unwrap().contains("timed out"), "{:?}", slow_attempts[0]);
    assert_eq!(slow_attempts[1].status, Some(200));
}

#[tokio::test]
async fn management_limits_masking_and_rotation() {
    let sb = fast().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let us_api = Api::new(&sb).us().login(sb.us_user()).await;

    let r = receiver(vec![]).await;
    let first = create(&api, &r.url, json!(["kyc.status.changed"]), false).await;
    assert_eq!(first["isActive"], false);
    let id = first["id"].as_str().unwrap().to_string();
    for _ in 0..4 {
        create(&api, "https://example.com/h", json!(["*"]), false).await;
    }
    let sixth =
        api.post("/v1/webhooks", json!({ "name": "six", "url": "https://example.com/6", "event_types": ["*"] })).await;
    assert_eq!(sixth.status, 400);
    assert_eq!(sixth.json(), json!({ "message": "Maximum webhook limit (5) reached for this tenant" }));
    // The US tenant has its own five.
    create(&us_api, "https://example.com/us", json!(["*"]), false).await;
    assert_eq!(us_api.get(&format!("/v1/webhooks/{id}")).await.status, 404);

    let http_remote =
        api.post("/v1/webhooks", json!({ "name": "x", "url": "http://example.com/h", "event_types": ["*"] })).await;
    assert_eq!(http_remote.status, 400);
    let bad_type =
        api.post("/v1/webhooks", json!({ "name": "x", "url": "https://e.com", "event_types": ["nope"] })).await;
    assert_eq!(bad_type.status, 400);

    let list = api.get("/v1/webhooks").await.json();
    assert_eq!(list.as_array().unwrap().len(), 5);
    assert!(list.as_array().unwrap().iter().all(|w| w["apiKey"].as_str().unwrap().starts_with("whk_****...****")));
    let one = api.get(&format!("/v1/webhooks/{id}")).await.json();
    assert!(one["apiKey"].as_str().unwrap().ends_with(&first["apiKey"].as_str().unwrap()[64..]));

    // Activate, rotate, and check deliveries are signed with the new key.
    let upd = api
        .call(Method::PUT, &format!("/v1/webhooks/{id}"), Some(json!({ "is_active": true, "name": "renamed" })))
        .await;
    assert_eq!(upd.json()["data"]["isActive"], true);
    assert_eq!(upd.json()["data"]["name"], "renamed");
    let rotated = api.post(&format!("/v1/webhooks/{id}/rotate-key"), json!({})).await.json();
    let new_key = rotated["data"]["apiKey"].as_str().unwrap().to_string();
    assert_ne!(new_key, first["apiKey"].as_str().unwrap());
    sb.trigger_kyc_status(&sb.user().user_id, "completed").unwrap();
    let d = sb.wait_for_deliveries(1, Duration::from_secs(5)).await;
    let d = &d[0];
    let ts = d.header("X-Timestamp").unwrap();
    assert_eq!(d.header("X-Signature").unwrap(), sign(&new_key, ts, &d.body));
    assert_ne!(d.header("X-Signature").unwrap(), sign(first["apiKey"].as_str().unwrap(), ts, &d.body));

    assert_eq!(api.call(Method::DELETE, &format!("/v1/webhooks/{id}"), None).await.status, 200);
    assert_eq!(api.get(&format!("/v1/webhooks/{id}")).await.status, 404);
    assert_eq!(api.call(Method::DELETE, &format!("/v1/webhooks/{id}"), None).await.status, 404);
}
