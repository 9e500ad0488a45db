//! The server loop end to end: logging, fault ranges, the dialect's error body and reason phrases, spoiled answers.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Response, StatusCode};
use axum::routing::get;
use cardsdk_sandbox_kit::{Dialect, Fault, FaultPlan, FaultRule, Front, RequestHead, RequestLog, bind};

/// Writes `{"oops": "<message>"}` and names status 499.
struct Oops;

impl Dialect for Oops {
    fn error(&self, request: &RequestHead<'_>, status: u16, message: &str) -> Response<Body> {
        let body = format!("{{\"oops\":\"{message}\",\"path\":\"{}\"}}", request.path);
        let mut r = Response::new(Body::from(body));
        *r.status_mut() = StatusCode::from_u16(status).unwrap();
        r
    }

    fn reason_phrase(&self, status: u16) -> Option<&'static str> {
        (status == 499).then_some("Custom Reason")
    }
}

#[tokio::test]
async fn serve_log_fault_and_stop() {
    let listening = bind("127.0.0.1".parse().unwrap(), 0).await.unwrap();
    let base = listening.base_url().to_string();
    let router = axum::Router::new()
        .route("/ok", get(|| async { "{\"fine\":true}" }))
        .route("/custom", get(|| async { (StatusCode::from_u16(499).unwrap(), "x") }));
    let front = Front {
        log: RequestLog::new(100),
        faults: FaultPlan::new([
            FaultRule::on("GET", "/ok").calls(2..=2).fault(Fault::Status(429)),
            FaultRule::on("GET", "/ok").calls(3..=3).fault(Fault::MalformedJson),
            FaultRule::on("*", "/ok").calls(4..=4).fault(Fault::DropConnection),
        ]),
        dialect: Arc::new(Oops),
    };
    let mut running = listening.serve(router, front.clone());
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().unwrap();
    let get = |p: &str| http.get(format!("{base}{p}")).send();
    assert_eq!(get("/ok").await.unwrap().text().await.unwrap(), "{\"fine\":true}");
    let throttled = get("/ok").await.unwrap();
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.headers()["retry-after"], "1");
    assert_eq!(throttled.text().await.unwrap(), "{\"oops\":\"Too Many Requests\",\"path\":\"/ok\"}");
    assert!(serde_json::from_str::<serde_json::Value>(&get("/ok").await.unwrap().text().await.unwrap()).is_err());
    assert!(get("/ok").await.is_err());
    assert_eq!(get("/ok").await.unwrap().status(), 200);
    let custom = get("/custom").await.unwrap();
    assert_eq!(custom.status().as_u16(), 499);
    assert_eq!(front.log.all().len(), 6);
    assert!(front.log.all().iter().all(|r| r.method == "GET"));
    running.stop().await;
    assert!(get("/ok").await.is_err(), "stopped");
}
