//! Card-status webhooks: the documented payload on every status change, both signature schemes, retries on 5xx
//! and timeouts only.

mod common;

use std::time::Duration;

use common::{Api, builder, control, receiver};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use vaultspay_sandbox::SignatureScheme;

fn hmac_hex(secret: &str, msg: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn every_status_change_is_posted_signed_with_the_documented_payload() {
    let hook = receiver(vec![]).await;
    let sb = builder().webhook(&hook.url, Some("whsec_test")).start().await.unwrap();
    let api = Api::login(&sb).await;
    let card = sb.user().card_ids[0];
    let details = api.post("/pcs/api/v1/cards/details", json!({ "cardId": card })).await.data();
    api.post("/pcs/api/v1/toggle-freeze-card", json!({ "cardId": card, "statusReason": "Frozen by the user" }))
        .await
        .data();
    // A refused change sends nothing.
    api.post("/pcs/api/v1/update-card-status", json!({ "cardId": card, "cardStatus": "BLOCK" })).await.error(422, 1000);
    api.post(
        "/pcs/api/v1/update-card-status",
        json!({ "cardId": card, "cardStatus": "ACTIVE", "statusReason": "Card was unblocked by the admin" }),
    )
    .await
    .data();
    let deliveries = sb.wait_for_deliveries(2, Duration::from_secs(3)).await;
    assert_eq!(deliveries.len(), 2);
    let active = deliveries.iter().find(|d| d.json().unwrap()["type"] == "card.status.active").unwrap();
    let body: Value = active.json().unwrap();
    let id = body["id"].as_str().unwrap();
    assert!(id.len() == 26 && id.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()), "{id}");
    let at = body["occurred_at"].as_str().unwrap();
    assert!(at.len() == 20 && at.ends_with('Z'), "{at}");
    assert_eq!(
        body,
        json!({
            "id": id,
            "type": "card.status.active",
            "occurred_at": at,
            "status": {
                "previous": { "code": "FREEZE", "label": "DECLINE_ALL_TXNS" },
                "current": { "code": "ACTIVE", "label": "FULLY_OPERATIONAL" },
                "reason": "Card was unblocked by the admin",
            },
            "card": {
                "token": details["token"],
                "last_four_digits": details["lastFourDigits"],
                "tier": "VaultsPay Debit Card Tier",
                "network": "MC",
                "type": "VIRTUAL",
            },
        })
    );
    assert!(deliveries.iter().any(|d| d.json().unwrap()["type"] == "card.status.freeze"));
    // `VaultsPay-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, and the event id.
    let got = hook.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let r = got.iter().find(|r| r.body == active.body).unwrap();
    assert_eq!(r.header("vaultspay-event-id"), Some(id));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let sig = r.header("vaultspay-signature").unwrap();
    let (t, v1) = sig.strip_prefix("t=").unwrap().split_once(",v1=").unwrap();
    assert!((t.parse::<i64>().unwrap() - unix_now()).abs() < 60);
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(&r.body);
    assert_eq!(v1, hmac_hex("whsec_test", &signed));
    sb.shutdown().await;
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn the_raw_body_scheme_and_a_callback_set_at_run_time() {
    let hook = receiver(vec![]).await;
    let sb =
        builder().signature_scheme(SignatureScheme::RawBody { header: "X-Vp-Signature".into() }).start().await.unwrap();
    let api = Api::login(&sb).await;
    let card = json!(sb.user().card_ids[1]);
    // No callback yet: nothing is sent.
    api.post("/pcs/api/v1/toggle-freeze-card", json!({ "cardId": card })).await.data();
    sb.set_webhook(&hook.url, Some("s3cret"));
    api.post("/pcs/api/v1/toggle-freeze-card", json!({ "cardId": card })).await.data();
    let d = sb.wait_for_deliveries(1, Duration::from_secs(3)).await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].header("x-vp-signature"), Some(hmac_hex("s3cret", &d[0].body).as_str()));
    assert!(d[0].header("vaultspay-signature").is_none());
    // The control route: no secret, no signature.
    control(&sb, Method::PUT, "/webhook", json!({ "url": hook.url })).await.data();
    api.post(
        "/pcs/api/v1/update-card-status",
        json!({ "cardId": card, "cardStatus": "BLOCK", "statusReason": "lost" }),
    )
    .await
    .data();
    let d = sb.wait_for_deliveries(2, Duration::from_secs(3)).await;
    assert_eq!(d.len(), 2);
    assert!(d[1].header("x-vp-signature").is_none() && d[1].header("vaultspay-event-id").is_some());
    assert_eq!(d[1].json().unwrap()["card"]["type"], "PHYSICAL");
    control(&sb, Method::DELETE, "/webhook", json!({})).await.data();
    api.post(
        "/pcs/api/v1/update-card-status",
        json!({ "cardId": card, "cardStatus": "ACTIVE", "statusReason": "found" }),
    )
    .await
    .data();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sb.deliveries().len(), 2);
    sb.shutdown().await;
}

#[tokio::test]
async fn retried_on_5xx_and_timeouts_not_on_4xx() {
    let hook = receiver(vec![503, 502, 200, 404, 0, 0, 0]).await;
    let sb = builder().webhook(&hook.url, None).start().await.unwrap();
    let api = Api::login(&sb).await;
    let card = json!(sb.user().card_ids[0]);
    let toggle = || api.post("/pcs/api/v1/toggle-freeze-card", json!({ "cardId": card }));
    // 503, 502, then 200: three attempts of one event.
    toggle().await.data();
    let d = sb.wait_for_deliveries(3, Duration::from_secs(3)).await;
    assert_eq!(
        d.iter().map(|d| (d.attempt, d.status)).collect::<Vec<_>>(),
        [(1, Some(503)), (2, Some(502)), (3, Some(200))]
    );
    assert!(d.iter().all(|x| x.event_id == d[0].event_id && x.body == d[0].body));
    // 404: not retried.
    sb.clear_deliveries();
    toggle().await.data();
    let d = sb.wait_for_deliveries(1, Duration::from_secs(3)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!((d[0].status, sb.deliveries().len()), (Some(404), 1));
    // A receiver slower than the timeout: retried, then given up after the last delay.
    sb.clear_deliveries();
    toggle().await.data();
    let d = sb.wait_for_deliveries(3, Duration::from_secs(4)).await;
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|x| x.status.is_none() && x.error.as_deref().unwrap().contains("timed out")), "{d:?}");
    sb.shutdown().await;
}

#[tokio::test]
async fn a_physical_card_announces_each_step_of_its_issuance() {
    let hook = receiver(vec![]).await;
    let sb = builder().webhook(&hook.url, Some("k")).start().await.unwrap();
    let api = Api::login(&sb).await;
    let card = api
        .post(
            "/pcs/api/v1/cards",
            json!({ "cardTierId": 67, "customerId": sb.user().user_id, "cardType": "PHYSICAL", "accountId": sb.user().account_ids[0],
                    "cardHolderName": "John M", "address": { "country": "ARE", "city": "Dubai", "addressLine1": "Marina 1" } }),
        )
        .await
        .data();
    let id = card["id"].clone();
    api.post("/pcs/api/v1/set-pin", json!({ "cardId": id, "pin": "1357" })).await.data();
    api.post("/pcs/api/v1/process-card-request", json!({ "cardId": id, "status": "ISSUANCE_IN_PROGRESS" }))
        .await
        .data();
    api.post("/pcs/api/v1/update-card-manufacturing", json!({ "cardId": id, "manufacturingStatus": "MANUFACTURED" }))
        .await
        .data();
    api.post("/pcs/api/v1/update-delivery-status", json!({ "cardId": id, "deliveryStatus": "DELIVERED" })).await.data();
    let pan = api.post("/pcs/api/v1/get-card-pan", json!({ "cardId": id })).await.data()["pan"].clone();
    let expiry = api.post("/pcs/api/v1/get-card-expiry", json!({ "cardId": id })).await.data()["expiry"].clone();
    api.post("/pcs/api/v1/activate-card", json!({ "cardId": id, "pan": pan, "expiryDate": expiry })).await.data();
    let d = sb.wait_for_deliveries(3, Duration::from_secs(3)).await;
    let mut seen: Vec<(String, String)> = d
        .iter()
        .map(|x| x.json().unwrap())
        .map(|b| {
            (b["status"]["previous"]["code"].as_str().unwrap().to_string(), b["type"].as_str().unwrap().to_string())
        })
        .collect();
    seen.sort_by_key(|(_, t)| {
        ["card.status.issuance_in_progress", "card.status.pending_verification", "card.status.active"]
            .iter()
            .position(|x| x == t)
    });
    assert_eq!(
        seen,
        [
            ("REQUESTED".to_string(), "card.status.issuance_in_progress".to_string()),
            ("ISSUANCE_IN_PROGRESS".to_string(), "card.status.pending_verification".to_string()),
            ("PENDING_VERIFICATION".to_string(), "card.status.active".to_string()),
        ]
    );
    sb.shutdown().await;
}
