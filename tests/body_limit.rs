//! The response size limit, alone in its binary so that the heap figure is this test's: a server on 127.0.0.1
//! announcing 1 GiB, and one streaming an endless chunked body; the client's limit is 1 MiB.

use std::time::Duration;

use baanx::auth::{Session, TokenSet};
use baanx::{Call, Client, Environment, Error, Region};
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const LIMIT: usize = 1 << 20;

async fn server() -> String {
    use axum::body::Body;
    let chunk = bytes_of_json();
    let app = axum::Router::new()
        // Announces 1 GiB; sends it lazily (nobody should read it).
        .route(
            "/v1/card/status",
            axum::routing::get(move || async move {
                let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk))
                    .take((1 << 30) / chunk.len());
                axum::http::Response::builder()
                    .header("content-type", "application/json")
                    .header("content-length", (1u64 << 30).to_string())
                    .body(Body::from_stream(stream))
                    .unwrap()
            }),
        )
        // Never ends, no length.
        .route(
            "/v1/user",
            axum::routing::get(move || async move {
                let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk));
                axum::http::Response::builder()
                    .header("content-type", "application/json")
                    .body(Body::from_stream(stream))
                    .unwrap()
            }),
        )
        // Within the limit: read as usual.
        .route(
            "/v1/wallet/credit",
            axum::routing::get(|| async { ([("content-type", "application/json")], r#"{"balance":"1.00"}"#) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn bytes_of_json() -> &'static [u8] {
    static CHUNK: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    CHUNK.get_or_init(|| {
        let mut v = b"[".to_vec();
        v.resize(64 * 1024, b' ');
        v
    })
}

use futures_util::StreamExt as _;

#[tokio::test]
async fn bodies_beyond_the_limit_fail_typed_within_about_twice_the_limit_of_memory() {
    let base = server().await;
    let tokens = TokenSet::new("a", std::time::SystemTime::now() + Duration::from_secs(3600), Region::International);
    let client = Client::builder()
        .environment(Environment::Custom(base))
        .client_key("pk")
        .max_response_bytes(LIMIT)
        .build()
        .unwrap()
        .with_session(Session::from_tokens(tokens).unwrap());
    assert!(client.api().get_credit_wallet().call().await.is_ok());
    HEAP.reset_peak_usage();
    let before = HEAP.current_usage();
    let declared = client.api().get_card_status().call().await.unwrap_err();
    assert!(matches!(declared, Error::ResponseTooLarge { limit: LIMIT, .. }), "{declared:?}");
    let endless =
        tokio::time::timeout(Duration::from_secs(20), client.api().get_user().call()).await.unwrap().unwrap_err();
    assert!(matches!(endless, Error::ResponseTooLarge { limit: LIMIT, .. }), "{endless:?}");
    let peak = HEAP.peak_usage().saturating_sub(before);
    println!(
        "limit {LIMIT} bytes; peak heap above the baseline while refusing 1 GiB and an endless body: {peak} bytes"
    );
    assert!(peak < 2 * LIMIT + LIMIT / 2, "peak {peak} bytes for a {LIMIT}-byte limit");
}
