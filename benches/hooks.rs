//! Per-call cost of the client's hooks, on one loopback server in one run:
//! - `raw_reqwest`: reqwest + serde_json by hand (the baseline);
//! - `no_auth`: a generated call without a session (client key, tracing, error mapping);
//! - `with_auth`: a generated call with a session (plus the bearer, the freshness check, the region check).
//!
//! `cargo bench --bench hooks`; compare the medians (ratios against `raw_reqwest`). The loopback round trip
//! varies by several percent between criterion's runs, more than the hooks cost; so the bench also prints a
//! paired comparison: raw and wrapped calls alternate, and the ratio of their totals is taken per round.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use baanx::auth::{Session, TokenSet};
use baanx::{Call, Client, Environment, Region};
use criterion::{Criterion, criterion_group, criterion_main};

const BODY: &str = r#"{"id":"000000000050277836","holderName":"JOHN DOE","expiryDate":"2028/01","panLast4":"1234","status":"ACTIVE","type":"VIRTUAL","orderedAt":"2023-03-27T17:07:12.662Z"}"#;

fn server(runtime: &tokio::runtime::Runtime) -> SocketAddr {
    runtime.block_on(async {
        let app = axum::Router::new().fallback(|| async { ([("content-type", "application/json")], BODY) });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    })
}

/// The baseline: the same request and decoding, with reqwest and serde_json by hand.
async fn raw_call(raw: &reqwest::Client, base: &str) -> baanx::api::types::Card {
    let response = raw
        .get(format!("{base}/v1/card/status"))
        .header("x-client-key", "pk_bench")
        .header("authorization", "Bearer access-bench")
        .send()
        .await
        .unwrap();
    let bytes = response.bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let addr = server(&runtime);
    let base = format!("http://{addr}");
    let client =
        Client::builder().environment(Environment::Custom(base.clone())).client_key("pk_bench").build().unwrap();
    let tokens =
        TokenSet::new("access-bench", SystemTime::now() + Duration::from_secs(6 * 3600), Region::International)
            .with_refresh_token("refresh-bench", None);
    let user = client.with_session(Session::from_tokens(tokens).unwrap());
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let mut group = c.benchmark_group("per_call");
    group.bench_function("raw_reqwest", |b| b.to_async(&runtime).iter(|| raw_call(&raw, &base)));
    group.bench_function("no_auth", |b| {
        b.to_async(&runtime).iter(|| async { client.api().get_registration_settings().call().await.unwrap() })
    });
    group.bench_function("with_auth", |b| {
        b.to_async(&runtime).iter(|| async { user.api().get_card_status().call().await.unwrap() })
    });
    group.finish();

    runtime.block_on(async {
        let mut ratios = Vec::new();
        for _round in 0..31 {
            let (mut raw_total, mut no_auth_total, mut auth_total) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
            for _ in 0..2_000 {
                let t = std::time::Instant::now();
                raw_call(&raw, &base).await;
                raw_total += t.elapsed();
                let t = std::time::Instant::now();
                client.api().get_registration_settings().call().await.unwrap();
                no_auth_total += t.elapsed();
                let t = std::time::Instant::now();
                user.api().get_card_status().call().await.unwrap();
                auth_total += t.elapsed();
            }
            ratios.push((
                no_auth_total.as_secs_f64() / raw_total.as_secs_f64(),
                auth_total.as_secs_f64() / raw_total.as_secs_f64(),
                (auth_total.as_secs_f64() - no_auth_total.as_secs_f64()) / 2_000.0 * 1e6,
            ));
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            v[v.len() / 2]
        };
        println!(
            "paired, 31 rounds of 2000: wrapper without auth / raw = {:.3}x, wrapper with auth / raw = {:.3}x, auth hook cost = {:.2} µs/call (medians)",
            median(ratios.iter().map(|r| r.0).collect()),
            median(ratios.iter().map(|r| r.1).collect()),
            median(ratios.iter().map(|r| r.2).collect()),
        );
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
