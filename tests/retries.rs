//! The retry matrix against real servers on 127.0.0.1, counting what arrives: safe operations are retried on 429
//! (both `Retry-After` forms), 502/503/504, broken connections and timeouts; state-changing ones are sent once.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use baanx::retry::RetryPolicy;
use baanx::{Call, Client, Environment, Error, Region};
use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn fast() -> RetryPolicy {
    RetryPolicy::standard().base_delay(Duration::from_millis(10)).max_delay(Duration::from_secs(3))
}

fn user(server: &MockServer, policy: RetryPolicy) -> Client {
    builder(server).retry(policy).build().unwrap().with_session(oauth_session(
        "a0",
        "r0",
        Duration::from_secs(3600),
        Region::International,
    ))
}

/// Answers `first` to the first `n` requests, then 200 `{}`.
async fn flaky(server: &MockServer, m: &str, p: &str, n: usize, first: ResponseTemplate) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    Mock::given(method(m))
        .and(path(p))
        .respond_with(move |_: &Request| {
            if c.fetch_add(1, Ordering::SeqCst) < n {
                first.clone()
            } else {
                ok(json!({"txHash": "0xabc", "success": true}))
            }
        })
        .mount(server)
        .await;
    count
}

fn withdrawal() -> baanx::api::types::builder::WithdrawCreditWalletRequest {
    baanx::api::types::WithdrawCreditWalletRequest::builder().amount(baanx::Decimal::new(1000, 2))
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_in_seconds_and_as_a_date() {
    let server = MockServer::start().await;
    let seconds =
        flaky(&server, "GET", "/v1/wallet/credit", 1, ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .await;
    let client = user(&server, fast());
    let started = Instant::now();
    client.api().get_credit_wallet().call().await.unwrap();
    assert_eq!(seconds.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited the Retry-After");

    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let dated = flaky(
        &server,
        "GET",
        "/v1/wallet/reward",
        1,
        ResponseTemplate::new(429).insert_header("retry-after", date.as_str()),
    )
    .await;
    let started = Instant::now();
    client.api().get_reward_wallet().call().await.unwrap();
    assert_eq!(dated.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() >= Duration::from_millis(900), "waited until the HTTP date ({:?})", started.elapsed());
}

#[tokio::test]
async fn a_retry_after_beyond_the_longest_wait_is_returned_not_waited() {
    let server = MockServer::start().await;
    let count =
        flaky(&server, "GET", "/v1/wallet/credit", 9, ResponseTemplate::new(429).insert_header("retry-after", "120"))
            .await;
    let err = user(&server, fast()).api().get_credit_wallet().call().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(120)), "{err:?}");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unavailable_answers_are_retried_up_to_max_attempts() {
    let server = MockServer::start().await;
    let count = flaky(&server, "GET", "/v1/wallet/credit", 2, ResponseTemplate::new(503)).await;
    user(&server, fast()).api().get_credit_wallet().call().await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 3, "503, 503, then 200");

    let always = flaky(
        &server,
        "GET",
        "/v1/wallet/reward",
        99,
        ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"),
    )
    .await;
    let err = user(&server, fast()).api().get_reward_wallet().call().await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 502, .. }), "{err:?}");
    assert_eq!(always.load(Ordering::SeqCst), 3, "max attempts");

    let once = flaky(&server, "GET", "/v1/wallet/external", 99, ResponseTemplate::new(504)).await;
    let err = user(&server, RetryPolicy::disabled()).api().list_external_wallets().call().await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 504, .. }));
    assert_eq!(once.load(Ordering::SeqCst), 1, "retries disabled");

    // An x-idempotent PUT is retried too.
    let put = flaky(&server, "PUT", "/v1/wallet/external/priority", 1, ResponseTemplate::new(503)).await;
    let body: baanx::api::types::UpdateExternalWalletPriorityRequest =
        serde_json::from_value(json!({"wallets": [{"id": 551, "priority": 1}]})).unwrap();
    user(&server, fast()).api().update_external_wallet_priority().body(body).call().await.unwrap();
    assert_eq!(put.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_withdrawal_that_gets_503_is_sent_exactly_once() {
    let server = MockServer::start().await;
    let count = flaky(&server, "POST", "/v1/wallet/credit/withdraw", 1, ResponseTemplate::new(503)).await;
    let err = user(&server, fast()).api().withdraw_credit_wallet().body(withdrawal()).call().await.unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 1, "money-moving calls are never retried");
    assert!(matches!(err, Error::Api { status: 503, .. }), "{err:?}");
    let why = err.context().unwrap().not_retried.expect("the error says why it was not retried");
    assert!(why.contains("never repeats it automatically"), "{why}");
    assert!(err.to_string().contains("not retried"), "{err}");

    let freeze =
        flaky(&server, "POST", "/v1/card/freeze", 1, ResponseTemplate::new(429).insert_header("retry-after", "0"))
            .await;
    let err = user(&server, fast()).api().freeze_card().call().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }));
    assert_eq!(freeze.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn timeouts_are_retried_for_safe_calls_only() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200).set_body_json(json!({})).set_delay(Duration::from_millis(800));
    let get = flaky(&server, "GET", "/v1/wallet/credit", 1, slow.clone()).await;
    let post = flaky(&server, "POST", "/v1/wallet/credit/withdraw", 1, slow).await;
    let client = builder(&server)
        .timeout(Duration::from_millis(300))
        .retry(fast())
        .build()
        .unwrap()
        .with_session(oauth_session("a0", "r0", Duration::from_secs(3600), Region::International));
    client.api().get_credit_wallet().call().await.unwrap();
    assert_eq!(get.load(Ordering::SeqCst), 2);
    let err = client.api().withdraw_credit_wallet().body(withdrawal()).call().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.context().unwrap().not_retried.is_some());
    assert_eq!(post.load(Ordering::SeqCst), 1);
}

/// A bare HTTP/1.1 server: the first `resets` connections are closed without an answer, later ones get `200 {}`.
async fn resetting_server(resets: usize) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let c = connections.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let n = c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = socket.read(&mut buf).await;
                if n >= resets {
                    let body = r#"{"txHash":"0x1"}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                }
                // Dropping the socket closes the connection (without an answer for the first ones).
            });
        }
    });
    (url, connections)
}

fn user_at(url: String) -> Client {
    Client::builder()
        .environment(Environment::Custom(url))
        .client_key(CLIENT_KEY)
        .retry(fast())
        .build()
        .unwrap()
        .with_session(oauth_session("a0", "r0", Duration::from_secs(3600), Region::International))
}

#[tokio::test]
async fn a_broken_connection_is_retried_for_safe_calls_only() {
    let (url, connections) = resetting_server(1).await;
    user_at(url).api().get_credit_wallet().call().await.unwrap();
    assert_eq!(connections.load(Ordering::SeqCst), 2, "closed, then answered");

    let (url, connections) = resetting_server(1).await;
    let err = user_at(url).api().withdraw_credit_wallet().body(withdrawal()).call().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.context().unwrap().not_retried.is_some(), "{err:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(connections.load(Ordering::SeqCst), 1, "sent once");
}

#[tokio::test]
async fn the_retry_budget_stops_a_retry_storm() {
    let server = MockServer::start().await;
    let count = flaky(&server, "GET", "/v1/wallet/credit", usize::MAX, ResponseTemplate::new(503)).await;
    // A budget of 10 tokens pays for two retries (5 each); after that, calls fail without retrying.
    let client = user(&server, fast().max_attempts(5).budget(10));
    for _ in 0..3 {
        assert!(client.api().get_credit_wallet().call().await.is_err());
    }
    assert_eq!(count.load(Ordering::SeqCst), 3 + 2, "three calls, two retries in all");
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_call() {
    let server = MockServer::start().await;
    let count = flaky(
        &server,
        "GET",
        "/v1/wallet/credit",
        usize::MAX,
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
    )
    .await;
    let client = user(&server, fast().max_attempts(10).deadline(Duration::from_millis(1500)));
    let started = Instant::now();
    let err = client.api().get_credit_wallet().call().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }));
    assert_eq!(count.load(Ordering::SeqCst), 2, "a second wait of 1 s would pass the 1.5 s deadline");
    assert!(started.elapsed() < Duration::from_millis(1500));
}
