//! The per-call cost of encryption, against one loopback server (the VaultsPay sandbox in UAT mode, which accepts
//! both encrypted requests and `x-enable-encryption: false`), in one run:
//! - `raw_reqwest`: reqwest + serde_json by hand, plaintext (the baseline);
//! - `plain`: the client with encryption switched off (UAT only): hooks, token, decoding;
//! - `encrypted`: the client with encryption on: a fresh AES-256 key and IV per request, the key RSA-wrapped
//!   (2048-bit, PKCS#1 v1.5), the answer opened with it — and the server's side of it (RSA unwrap, AES);
//! - `client_side/seal_1KiB`, `client_side/open_1KiB`: the client's share alone, no network.
//!
//! `cargo bench -p vaultspay --bench encryption`. The loopback round trip varies by more between criterion's runs
//! than the hooks cost, so the bench also prints a paired comparison: the three kinds of call alternate (in a
//! rotating order), and the ratios of their totals are taken per round (medians). The sandbox's RSA unwrap of each
//! request's key (2048-bit private-key operation) is most of the encrypted call's time; the client's own share is
//! `client_side/*`.

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use vaultspay::encryption::{Encryptor, Options, PrivateKey, open_request};
use vaultspay::{Call, Client, Environment};
use vaultspay_sandbox::Sandbox;

fn client(sandbox: &Sandbox, encrypted: bool) -> Client {
    let builder = Client::builder()
        .environment(Environment::Custom(sandbox.base_url().to_string()))
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .app_id(sandbox.app_id());
    let builder = if encrypted {
        builder.public_key(sandbox.public_key()).unwrap()
    } else {
        builder.disable_encryption_uat_only()
    };
    builder.build().unwrap()
}

/// A token for the raw baseline (plaintext login).
async fn raw_token(raw: &reqwest::Client, sandbox: &Sandbox) -> String {
    let body = serde_json::json!({ "clientId": sandbox.client_id(), "clientSecret": sandbox.client_secret() });
    let answer: serde_json::Value = raw
        .post(format!("{}/as/api/v1/saas-login", sandbox.base_url()))
        .header("x-enable-encryption", "false")
        .header("x-device-os", "SAAS")
        .header("x-device-id", sandbox.app_id())
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer.get("data").unwrap_or(&answer)["accessToken"].as_str().unwrap().to_string();
    assert!(!token.is_empty());
    token
}

async fn raw_call(
    raw: &reqwest::Client,
    base: &str,
    app_id: &str,
    token: &str,
) -> vaultspay::api::types::ListCardTiersResponse {
    let bytes = raw
        .get(format!("{base}/pcs/api/v1/card-tiers"))
        .header("authorization", format!("Bearer {token}"))
        .header("x-enable-encryption", "false")
        .header("x-device-os", "SAAS")
        .header("x-device-id", app_id)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let sandbox = runtime.block_on(Sandbox::builder().fixed_key().uat(true).max_logged_requests(16).start()).unwrap();
    let (encrypted, plain) = (client(&sandbox, true), client(&sandbox, false));
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = sandbox.base_url().to_string();
    let app_id = sandbox.app_id().to_string();
    let token = runtime.block_on(async {
        encrypted.login().await.unwrap();
        plain.login().await.unwrap();
        raw_token(&raw, &sandbox).await
    });

    let mut group = c.benchmark_group("list_card_tiers");
    group.bench_function("raw_reqwest", |b| b.to_async(&runtime).iter(|| raw_call(&raw, &base, &app_id, &token)));
    group.bench_function("plain", |b| {
        b.to_async(&runtime).iter(|| async { plain.api().list_card_tiers().call().await.unwrap() })
    });
    group.bench_function("encrypted", |b| {
        b.to_async(&runtime).iter(|| async { encrypted.api().list_card_tiers().call().await.unwrap() })
    });
    group.finish();

    // The client's share alone: seal a 1 KiB request body; open a 1 KiB answer sealed for it.
    let private_key = PrivateKey::parse(include_str!("../tests/fixtures/keys/test-private-pkcs8.pem")).unwrap();
    let encryptor = Encryptor::new(private_key.public_key().clone(), Options::default());
    let body = serde_json::to_vec(&serde_json::json!({ "data": "x".repeat(1000) })).unwrap();
    let mut group = c.benchmark_group("client_side");
    group.bench_function("seal_1KiB", |b| b.iter(|| encryptor.seal(std::hint::black_box(&body)).unwrap()));
    group.bench_function("open_1KiB", |b| {
        b.iter_batched(
            || {
                // The server's part, outside the measurement.
                let sealed = encryptor.seal(&body).unwrap();
                let (_, sealer) = open_request(
                    &private_key,
                    &Options::default(),
                    sealed.session_nonce(),
                    sealed.auth_signature(),
                    sealed.body().unwrap(),
                )
                .unwrap();
                let (answer, nonce) = sealer.seal(&body).unwrap();
                (sealed, answer, nonce)
            },
            |(sealed, answer, nonce)| sealed.response_key().open(nonce.as_deref(), &answer).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();

    runtime.block_on(async {
        let mut ratios = Vec::new();
        for _round in 0..11 {
            let (mut raw_total, mut plain_total, mut encrypted_total) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
            for i in 0..300 {
                // The order rotates, so that no kind always follows another (the server shares the runtime).
                for kind in (0..3).map(|k| (k + i) % 3) {
                    let t = Instant::now();
                    match kind {
                        0 => {
                            raw_call(&raw, &base, &app_id, &token).await;
                            raw_total += t.elapsed();
                        }
                        1 => {
                            plain.api().list_card_tiers().call().await.unwrap();
                            plain_total += t.elapsed();
                        }
                        _ => {
                            encrypted.api().list_card_tiers().call().await.unwrap();
                            encrypted_total += t.elapsed();
                        }
                    }
                }
            }
            ratios.push((
                plain_total.as_secs_f64() / raw_total.as_secs_f64(),
                encrypted_total.as_secs_f64() / raw_total.as_secs_f64(),
                (encrypted_total.as_secs_f64() - plain_total.as_secs_f64()) / 300.0 * 1e6,
            ));
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            v[v.len() / 2]
        };
        println!(
            "paired, 11 rounds of 300: plain client / raw = {:.3}x, encrypted client / raw = {:.3}x, encryption cost (client + server) = {:.0} µs/call (medians)",
            median(ratios.iter().map(|r| r.0).collect()),
            median(ratios.iter().map(|r| r.1).collect()),
            median(ratios.iter().map(|r| r.2).collect()),
        );
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
