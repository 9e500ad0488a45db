//! The tracing span each call emits. Alone in its test binary: a thread-scoped subscriber misses callsites that
//! other tests' threads hit first.

mod common;

use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn subscriber(capture: &common::Capture) -> impl tracing::Subscriber + Send + Sync {
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish()
}

fn closed_span(log: &str, operation: &str) -> String {
    log.lines()
        .find(|l| l.contains("baanx.request") && l.contains("close") && l.contains(operation))
        .unwrap_or_else(|| panic!("no closed span for {operation} in {log}"))
        .to_string()
}

fn session() -> baanx::auth::Session {
    common::oauth_session("a0", "r0", Duration::from_secs(3600), baanx::Region::International)
}

#[tokio::test]
async fn each_call_is_a_span_with_opentelemetry_http_names() {
    let server = MockServer::start().await;
    // The first answer is a 503 (retried: a GET is safe), the second a success with a request id.
    Mock::given(method("GET"))
        .and(path("/v1/order/ord-42"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/order/ord-42"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req-77")
                .set_body_json(serde_json::json!({"orderId": "ord-42"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/wallet/credit"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({"message": "no wallet"})))
        .mount(&server)
        .await;
    let capture = common::Capture::default();
    let _guard = tracing::subscriber::set_default(subscriber(&capture));

    let policy = baanx::retry::RetryPolicy::standard().base_delay(Duration::from_millis(5));
    let client = common::builder(&server).retry(policy).build().unwrap().with_session(session());
    client.api().get_order_status().order_id("ord-42").send().await.unwrap();
    let missing = client.api().get_credit_wallet().send().await.unwrap_err();
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(common::requests_to(&server, "/v1/order/ord-42").await.len(), 2);

    let log = capture.text();
    let host = url::Url::parse(&server.uri()).unwrap();
    let order = closed_span(&log, "get_order_status");
    for expected in [
        "baanx.operation=\"get_order_status\"".to_string(),
        "http.request.method=GET".to_string(),
        "url.path=\"/v1/order/{orderId}\"".to_string(),
        format!("server.address=\"{}\"", host.host_str().unwrap()),
        format!("server.port={}", host.port().unwrap()),
        "http.response.status_code=200".to_string(),
        "http.request.resend_count=1".to_string(),
        "baanx.request_id=\"req-77\"".to_string(),
        "otel.kind=\"client\"".to_string(),
    ] {
        assert!(order.contains(&expected), "{expected} missing from {order}");
    }
    assert!(!order.contains("error.type"), "a success has no error.type: {order}");
    assert!(!order.contains("ord-42"), "the path template, not the path with its id: {order}");
    let duration = order.split("duration_ms=").nth(1).expect("duration_ms recorded");
    let digits: String = duration.chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(digits.parse::<u64>().is_ok(), "duration_ms is an integer, got {digits}");

    let wallet = closed_span(&log, "get_credit_wallet");
    for expected in ["http.response.status_code=404", "error.type=\"404\"", "http.request.resend_count=0"] {
        assert!(wallet.contains(expected), "{expected} missing from {wallet}");
    }
    assert!(!log.contains("pk_test_auth"), "the client key never reaches the logs");
    assert!(!log.contains("a0\""), "the bearer token never reaches the logs");
}
