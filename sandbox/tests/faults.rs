//! The fault plan: each fault kind, call-number ranges, patterns, and faults added at run time.

mod common;

use std::time::{Duration, Instant};

use baanx_sandbox::{Fault, FaultRule, Sandbox};
use common::Api;
use serde_json::json;

async fn session(sb: &Sandbox) -> Api {
    Api::new(sb).login(sb.user()).await
}

#[tokio::test]
async fn status_faults_follow_call_ranges() {
    let sb = Sandbox::builder()
        .fault(FaultRule::on("GET", "/v1/card/status").calls(1..=2).fault(Fault::Status(503)))
        .start()
        .await
        .unwrap();
    let api = session(&sb).await;
    let first = api.get("/v1/card/status").await;
    assert_eq!(first.status, 503);
    assert_eq!(first.json(), json!({ "message": "Service Unavailable" }));
    assert_eq!(api.get("/v1/card/status").await.status, 503);
    // The third call reaches the route: the user has no card yet.
    let third = api.get("/v1/card/status").await;
    assert_eq!(third.status, 404);
    assert_eq!(third.json(), json!({ "message": "Card not found" }));
    // Other paths and methods are not counted.
    assert_eq!(api.post("/v1/card/freeze", json!({})).await.status, 404);
}

#[tokio::test]
async fn retry_after_statuses() {
    let sb = Sandbox::builder()
        .fault(FaultRule::on("GET", "/v1/user").calls(1..=1).fault(Fault::Status(429)))
        .fault(FaultRule::on("GET", "/v1/user").calls(2..=2).fault(Fault::StatusWithRetryAfter(503, "7".into())))
        .start()
        .await
        .unwrap();
    let api = session(&sb).await;
    let a = api.get("/v1/user").await;
    assert_eq!((a.status.as_u16(), a.header("retry-after")), (429, Some("1")));
    let b = api.get("/v1/user").await;
    assert_eq!((b.status.as_u16(), b.header("retry-after")), (503, Some("7")));
    assert_eq!(api.get("/v1/user").await.status, 200);
}

#[tokio::test]
async fn latency_then_normal_answer() {
    let sb = Sandbox::builder()
        .fault(FaultRule::on("*", "/v1/wallet/*").calls(1..=1).fault(Fault::Latency(Duration::from_millis(300))))
        .start()
        .await
        .unwrap();
    let api = session(&sb).await;
    let started = Instant::now();
    let a = api.get("/v1/wallet/credit").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["balance"], "150.50");
    let started = Instant::now();
    api.get("/v1/wallet/credit").await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn broken_connections_and_bodies() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = session(&sb).await;

    sb.add_fault(FaultRule::on("GET", "/v1/wallet/credit").calls(1..=1).fault(Fault::DropConnection));
    let dropped = api.request(reqwest::Method::GET, "/v1/wallet/credit").send().await;
    assert!(dropped.is_err(), "expected a transport error, got {dropped:?}");

    sb.add_fault(FaultRule::on("GET", "/v1/wallet/reward").calls(1..=1).fault(Fault::TruncatedBody));
    let resp = api.request(reqwest::Method::GET, "/v1/wallet/reward").send().await.expect("headers arrive");
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.is_err(), "the body should be cut short");

    sb.add_fault(FaultRule::on("GET", "/v1/wallet/internal").calls(1..=1).fault(Fault::MalformedJson));
    let malformed = api.get("/v1/wallet/internal").await;
    assert_eq!(malformed.status, 200);
    assert!(malformed.header("content-type").unwrap().starts_with("application/json"));
    assert!(serde_json::from_str::<serde_json::Value>(&malformed.text).is_err());

    sb.add_fault(FaultRule::on("GET", "/v1/wallet/external").calls(1..=1).fault(Fault::WrongContentType));
    let html_labelled = api.get("/v1/wallet/external").await;
    assert!(html_labelled.header("content-type").unwrap().starts_with("text/html"));
    assert!(serde_json::from_str::<serde_json::Value>(&html_labelled.text).unwrap().is_array());

    sb.add_fault(FaultRule::on("*", "*").calls(1..=1).fault(Fault::Html(502)));
    let gateway = api.get("/v1/user").await;
    assert_eq!(gateway.status, 502);
    assert!(gateway.header("content-type").unwrap().starts_with("text/html"));
    assert!(gateway.text.contains("502 Bad Gateway"));

    // After each rule's range the same calls work again, on the same sandbox.
    for path in ["/v1/wallet/credit", "/v1/wallet/reward", "/v1/wallet/internal", "/v1/wallet/external", "/v1/user"] {
        let a = api.get(path).await;
        assert_eq!(a.status, 200, "{path}");
        a.json();
    }
    sb.clear_faults();
}

#[tokio::test]
async fn path_patterns_and_side_effects() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = session(&sb).await;
    let hook = api
        .post("/v1/webhooks", json!({ "name": "h", "url": "https://example.com/h", "event_types": ["*"] }))
        .await
        .json();
    let id = hook["data"]["id"].as_str().unwrap().to_string();
    sb.add_fault(FaultRule::on("GET", "/v1/webhooks/{id}").calls(2..).fault(Fault::Status(500)));
    assert_eq!(api.get(&format!("/v1/webhooks/{id}")).await.status, 200);
    assert_eq!(api.get(&format!("/v1/webhooks/{id}")).await.status, 500);
    assert_eq!(api.get("/v1/webhooks/other").await.status, 500);
    // `{id}` matches one segment only.
    assert_eq!(api.get(&format!("/v1/webhooks/{id}/logs")).await.status, 200);

    // A truncated answer still ran the route: the withdrawal happened once.
    sb.add_fault(FaultRule::on("POST", "/v1/wallet/credit/withdraw").calls(1..=1).fault(Fault::TruncatedBody));
    let cut = api
        .request(reqwest::Method::POST, "/v1/wallet/credit/withdraw")
        .json(&json!({ "amount": "1.50" }))
        .send()
        .await;
    if let Ok(r) = cut {
        assert!(r.bytes().await.is_err());
    }
    assert_eq!(api.get("/v1/wallet/credit").await.json()["balance"], "149.00");
    // A status fault does not run the route.
    sb.add_fault(FaultRule::on("POST", "/v1/wallet/credit/withdraw").calls(1..=1).fault(Fault::Status(502)));
    assert_eq!(api.post("/v1/wallet/credit/withdraw", json!({ "amount": "1.00" })).await.status, 502);
    assert_eq!(api.get("/v1/wallet/credit").await.json()["balance"], "149.00");
}
