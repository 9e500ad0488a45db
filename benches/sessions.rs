//! Sessions in a shared store, on one run:
//! - `fresh_call/{memory,postgres}`: a call with a fresh cached access token, the session kept in a memory store
//!   or in PostgreSQL (a private throwaway server from `pg-harness`). Neither touches its store: the figures
//!   should match. The bench also prints a paired comparison (calls alternate, ratio of the totals per round).
//! - `renewal/{memory,postgres}`: a call whose access token has expired: take the lease, reload, refresh against
//!   the sandbox (rotating refresh tokens), save by compare-and-swap, release, then the call itself.
//!
//! `cargo bench --bench sessions -- --warm-up-time 1 --measurement-time 3`

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use baanx::auth::{LoginOutcome, Session, TokenSet, TokenStore};
use baanx::store::{EncryptionKey, Keyring, MemoryStore, PostgresStore, SessionStore};
use baanx::{Call, Client, Environment, Region};
use baanx_sandbox::Sandbox;
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

async fn postgres() -> Option<PostgresStore> {
    let conninfo = pg_harness::bench_database("bench_sessions")?;
    let keyring = Keyring::new("bench", EncryptionKey::generate().ok()?).ok()?;
    PostgresStore::connect(&conninfo, keyring).await.ok()
}

/// A client acting for the session under `key` in `store`, with a fresh token saved there.
async fn fresh_user(client: &Client, store: TokenStore) -> Client {
    let tokens =
        TokenSet::new("access-bench", SystemTime::now() + Duration::from_secs(6 * 3600), Region::International)
            .with_refresh_token("refresh-bench", None);
    let current = store.session_store().load(store.key()).await.unwrap().version;
    store.save(&tokens, current).await.unwrap();
    let user = client.with_session(Session::with_store(store));
    user.api().get_card_status().call().await.unwrap(); // loaded once
    user
}

/// The stored tokens under `store`'s key, saved back expired: the next call renews.
async fn expire(store: &TokenStore) {
    let stored = store.load().await.unwrap().unwrap();
    let tokens = &stored.tokens;
    let expired = TokenSet::new(tokens.access_token().clone(), SystemTime::now(), Region::International)
        .with_refresh_token(tokens.refresh_token().unwrap().clone(), None);
    store.save(&expired, stored.version).await.unwrap();
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let addr = server(&runtime);
    let client = Client::builder()
        .environment(Environment::Custom(format!("http://{addr}")))
        .client_key("pk_bench")
        .build()
        .unwrap();
    let pg = runtime.block_on(postgres());
    let memory = runtime.block_on(fresh_user(&client, TokenStore::new(MemoryStore::new(), "bench")));
    let in_pg = pg.as_ref().map(|pg| runtime.block_on(fresh_user(&client, TokenStore::new(pg.clone(), "bench"))));

    let mut group = c.benchmark_group("fresh_call");
    group.bench_function("memory", |b| {
        b.to_async(&runtime).iter(|| async { memory.api().get_card_status().call().await.unwrap() })
    });
    if let Some(in_pg) = &in_pg {
        group.bench_function("postgres", |b| {
            b.to_async(&runtime).iter(|| async { in_pg.api().get_card_status().call().await.unwrap() })
        });
        // Paired: the two alternate, so that the loopback's drift hits both alike.
        let ratios: Vec<f64> = runtime.block_on(async {
            let mut ratios = Vec::new();
            for _ in 0..7 {
                let (mut m, mut p) = (Duration::ZERO, Duration::ZERO);
                for _ in 0..500 {
                    let t = Instant::now();
                    memory.api().get_card_status().call().await.unwrap();
                    m += t.elapsed();
                    let t = Instant::now();
                    in_pg.api().get_card_status().call().await.unwrap();
                    p += t.elapsed();
                }
                ratios.push(p.as_secs_f64() / m.as_secs_f64());
            }
            ratios.sort_by(f64::total_cmp);
            ratios
        });
        println!(
            "paired fresh_call postgres/memory, 7 rounds x 500 calls: median ratio {:.3} (min {:.3}, max {:.3})",
            ratios[3], ratios[0], ratios[6]
        );
    }
    group.finish();

    // Renewals against the sandbox: rotating refresh tokens, a refresh per iteration.
    let sandbox = runtime.block_on(Sandbox::builder().access_token_ttl(Duration::from_secs(3600)).start()).unwrap();
    let sandboxed = Client::builder()
        .environment(Environment::Custom(sandbox.base_url().to_string()))
        .client_key(sandbox.client_key())
        .secret_key(sandbox.secret_key().to_string())
        .build()
        .unwrap();
    let mut stores: Vec<(&str, std::sync::Arc<dyn SessionStore>)> =
        vec![("memory", std::sync::Arc::new(MemoryStore::new()))];
    if let Some(pg) = &pg {
        stores.push(("postgres", std::sync::Arc::new(pg.clone())));
    }
    let mut group = c.benchmark_group("renewal");
    for (name, shared) in stores {
        let store = TokenStore::shared(shared, "renewing");
        runtime.block_on(async {
            let user = sandbox.user();
            let signing = sandboxed.with_session(Session::with_store(store.clone()));
            let flow = signing.oauth().start_api_mode("https://app.example/cb").await.unwrap();
            let LoginOutcome::Authenticated(_) =
                signing.login(user.email.clone(), user.password.clone()).await.unwrap()
            else {
                panic!("login")
            };
            let code = flow.authorize(&signing).await.unwrap();
            signing.oauth().exchange(code).await.unwrap(); // saved to the store
        });
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter_custom(|iterations| {
                let (sandboxed, store, sandbox) = (&sandboxed, &store, &sandbox);
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        expire(store).await;
                        let user = sandboxed.with_session(Session::with_store(store.clone()));
                        user.session().load().await.unwrap();
                        let started = Instant::now();
                        user.api().get_credit_wallet().call().await.unwrap();
                        total += started.elapsed();
                        assert_eq!(user.session().refresh_count(), 1);
                    }
                    sandbox.clear_requests();
                    total
                }
            })
        });
    }
    group.finish();
    runtime.block_on(sandbox.shutdown());
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
