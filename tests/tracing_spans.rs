//! The tracing span each call emits. Alone in its test binary: a thread-scoped subscriber misses callsites that
//! other tests' threads hit first.

mod common;

use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn each_call_is_a_tracing_span_with_operation_method_status_and_duration() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/wallet/credit"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"balance": "150.50"})))
        .mount(&server)
        .await;
    let capture = common::Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let client = common::client(&server).with_session(common::oauth_session(
        "a0",
        "r0",
        Duration::from_secs(3600),
        baanx::Region::International,
    ));
    let wallet = client.api().get_credit_wallet().send().await.unwrap().into_inner();
    assert_eq!(wallet.balance.unwrap().to_string(), "150.50");

    let log = capture.text();
    let line = log
        .lines()
        .find(|l| l.contains("baanx.request") && l.contains("close"))
        .unwrap_or_else(|| panic!("no closed span in {log}"));
    for expected in ["operation=\"get_credit_wallet\"", "method=GET", "status=200", "duration_ms="] {
        assert!(line.contains(expected), "{expected} missing from {line}");
    }
    assert!(!log.contains("pk_test_auth"), "the client key never reaches the logs");
}
