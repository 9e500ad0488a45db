//! Calls per second across 4 OS processes acting for one user whose session lives in one PostgreSQL store (a
//! private throwaway server from `pg-harness`), against the sandbox (`baanx-sandbox`, rotating refresh tokens, run
//! by this process and shared by the children over TCP).
//!
//! The 4 instances are this bench binary re-executed as children (selected by `BAANX_BENCH_ROLE`). They live for
//! the whole run and take orders on stdin, one line each. A round is 4 × 250 concurrent calls; only the calls are
//! timed, from the parent's "go" to the last child's "done":
//! - `four_processes/raw_reqwest`: the baseline. Each process sends its calls with reqwest + serde_json by hand,
//!   the stored access token as its bearer.
//! - `four_processes/fresh_token`: the SDK, the stored access token fresh. No store query and no refresh.
//! - `four_processes/expired_token`: the SDK, the stored access token expired when the round starts. One process
//!   takes the lease and refreshes; the three others wait for the lease, reload and adopt the rotation; then every
//!   call goes through. Each round is checked: exactly 1 refresh request in the sandbox's log, 1000 successes.
//!
//! Criterion reports calls/s (its throughput is the round's 1000 calls). The bench then runs paired rounds (raw,
//! fresh and expired in turn, so that the machine's drift hits all three alike) and prints the median ratios
//! against raw.
//!
//! `cargo bench --bench instances -- --warm-up-time 1 --measurement-time 5`

use std::time::{Duration, Instant, SystemTime};

use baanx::auth::{LoginOutcome, Session, TokenSet, TokenStore};
use baanx::store::{EncryptionKey, Keyring, PostgresOptions, PostgresStore, Version};
use baanx::{Call, Client, Environment, Region};
use baanx_sandbox::Sandbox;
use criterion::{Criterion, SamplingMode, Throughput, criterion_group};
use pg_harness::instances::Worker;
use secrecy::ExposeSecret as _;

const ROLE: &str = "BAANX_BENCH_ROLE";
const PROCESSES: usize = 4;
const CALLS: usize = 250;
const USER_KEY: &str = "bench-user";
const TOKEN_PATH: &str = "/v1/auth/oauth/token";
/// The at-rest key of this bench (never a real one).
const KEY_HEX: &str = "00112233445566778899aabbccddeeff8f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// What a round does in every process.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Raw,
    Fresh,
    Expired,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Raw => "raw",
            Mode::Fresh => "fresh",
            Mode::Expired => "expired",
        }
    }
}

fn keyring() -> Keyring {
    Keyring::new("bench-1", EncryptionKey::from_hex(KEY_HEX).unwrap()).unwrap()
}

async fn pg_store(conninfo: &str) -> PostgresStore {
    let options = PostgresOptions::new().pool_size(8).op_timeout(Duration::from_secs(3));
    PostgresStore::connect_with(conninfo, keyring(), options).await.unwrap()
}

fn client_for(base_url: &str, client_key: &str, secret_key: &str) -> Client {
    Client::builder()
        .environment(Environment::Custom(base_url.to_string()))
        .client_key(client_key)
        .secret_key(secret_key.to_string())
        .region(Region::International)
        .build()
        .unwrap()
}

/// The 4 instances, the store they share and the sandbox they call.
struct Fleet {
    instances: Vec<Worker>,
    store: TokenStore,
    sandbox: Sandbox,
    runtime: tokio::runtime::Runtime,
}

/// What the processes of one round report, summed.
#[derive(Debug, Default)]
struct Tally {
    ok: u64,
    refreshed: u64,
    adopted: u64,
}

impl Fleet {
    /// Starts PostgreSQL, the sandbox and the instances, and signs the user in (its tokens saved to the store).
    fn start() -> Option<Fleet> {
        let server = match pg_harness::PgServer::shared() {
            Ok(server) => server,
            Err(e) => {
                eprintln!("no PostgreSQL ({e}): the instances bench is skipped");
                return None;
            }
        };
        let conninfo = server.conninfo(&server.create_database("bench_instances").unwrap());
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (sandbox, store) = runtime.block_on(async {
            let sandbox = Sandbox::builder().access_token_ttl(Duration::from_secs(3600)).start().await.unwrap();
            let client = client_for(sandbox.base_url(), sandbox.client_key(), sandbox.secret_key());
            let store = TokenStore::new(pg_store(&conninfo).await, USER_KEY);
            let signing = client.with_session(Session::with_store(store.clone()));
            let flow = signing.oauth().start_api_mode("https://app.example/cb").await.unwrap();
            let user = sandbox.user();
            let LoginOutcome::Authenticated(_) =
                signing.login(user.email.clone(), user.password.clone()).await.unwrap()
            else {
                panic!("login")
            };
            let code = flow.authorize(&signing).await.unwrap();
            signing.oauth().exchange(code).await.unwrap(); // saved to the store
            (sandbox, store)
        });
        let env = [
            (ROLE, "instance".to_string()),
            ("BAANX_BASE_URL", sandbox.base_url().to_string()),
            ("BAANX_CLIENT_KEY", sandbox.client_key().to_string()),
            ("BAANX_SECRET_KEY", sandbox.secret_key().to_string()),
            ("BAANX_PG", conninfo),
        ];
        let mut instances: Vec<Worker> = (0..PROCESSES).map(|_| Worker::spawn(env.clone())).collect();
        for instance in &mut instances {
            assert_eq!(instance.answer(), "up");
        }
        Some(Fleet { instances, store, sandbox, runtime })
    }

    /// One round: every process calls `CALLS` times at once. Returns the time from "go" to the last "done".
    fn round(&mut self, mode: Mode) -> Duration {
        if mode == Mode::Expired {
            self.runtime.block_on(expire(&self.store));
        }
        self.sandbox.clear_requests();
        for instance in &mut self.instances {
            instance.send(&format!("prepare {}", mode.name()));
        }
        for instance in &mut self.instances {
            assert_eq!(instance.answer(), "ready");
        }
        let started = Instant::now();
        for instance in &mut self.instances {
            instance.send("go");
        }
        let mut tally = Tally::default();
        for instance in &mut self.instances {
            let answer = instance.answer();
            let figures: Vec<u64> = answer
                .strip_prefix("done ")
                .unwrap_or_else(|| panic!("unexpected answer {answer:?}"))
                .split(' ')
                .map(|n| n.parse().unwrap())
                .collect();
            tally.ok += figures[0];
            tally.refreshed += figures[1];
            tally.adopted += figures[2];
        }
        let took = started.elapsed();
        let refreshes = self
            .sandbox
            .requests()
            .iter()
            .filter(|r| {
                r.method == "POST"
                    && r.path == TOKEN_PATH
                    && r.json().is_some_and(|b| b["grant_type"] == "refresh_token")
            })
            .count();
        let expected = u64::from(mode == Mode::Expired);
        assert_eq!(tally.ok, (PROCESSES * CALLS) as u64, "{mode:?}: every call succeeds ({tally:?})");
        assert_eq!((refreshes as u64, tally.refreshed), (expected, expected), "{mode:?}: refreshes ({tally:?})");
        if mode == Mode::Expired {
            assert_eq!(tally.adopted, (PROCESSES - 1) as u64, "the other processes adopt the rotation");
        }
        took
    }
}

/// The stored tokens, saved back with the access token expired now: the next call of every instance renews.
async fn expire(store: &TokenStore) {
    let stored = store.load().await.unwrap().unwrap();
    let tokens = &stored.tokens;
    let expired = TokenSet::new(tokens.access_token().clone(), SystemTime::now(), Region::International)
        .with_refresh_token(tokens.refresh_token().unwrap().clone(), None);
    assert!(store.save(&expired, stored.version).await.unwrap() > Version::NONE);
}

fn bench(c: &mut Criterion) {
    let Some(mut fleet) = Fleet::start() else { return };
    let mut group = c.benchmark_group("four_processes");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .throughput(Throughput::Elements((PROCESSES * CALLS) as u64));
    for (name, mode) in [("raw_reqwest", Mode::Raw), ("fresh_token", Mode::Fresh), ("expired_token", Mode::Expired)] {
        group.bench_function(name, |b| b.iter_custom(|rounds| (0..rounds).map(|_| fleet.round(mode)).sum()));
    }
    group.finish();

    // Paired: the three kinds of round in turn, ratios of each cycle's times against raw.
    let cycles = 31;
    let (mut fresh, mut expired, mut raw_rates) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..cycles {
        let raw = fleet.round(Mode::Raw).as_secs_f64();
        fresh.push(fleet.round(Mode::Fresh).as_secs_f64() / raw);
        expired.push(fleet.round(Mode::Expired).as_secs_f64() / raw);
        raw_rates.push((PROCESSES * CALLS) as f64 / raw);
    }
    for v in [&mut fresh, &mut expired, &mut raw_rates] {
        v.sort_by(f64::total_cmp);
    }
    let mid = cycles / 2;
    println!(
        "paired, {cycles} cycles of 4 x {CALLS} calls: raw {:.0} calls/s (median); time against raw: fresh token \
         {:.3}x (min {:.3}, max {:.3}), expired token {:.3}x (min {:.3}, max {:.3}); calls/s: fresh {:.0}, expired {:.0}",
        raw_rates[mid],
        fresh[mid],
        fresh[0],
        fresh[cycles - 1],
        expired[mid],
        expired[0],
        expired[cycles - 1],
        raw_rates[mid] / fresh[mid],
        raw_rates[mid] / expired[mid],
    );
}

/// A child: acts for the user on orders from the parent until its stdin closes.
fn instance() {
    let var = |name: &str| std::env::var(name).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (base, client_key) = (var("BAANX_BASE_URL"), var("BAANX_CLIENT_KEY"));
    let client = client_for(&base, &client_key, &var("BAANX_SECRET_KEY"));
    let store = runtime.block_on(pg_store(&var("BAANX_PG")));
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = format!("{base}/v1/wallet/credit");
    println!("up");
    let mut lines = std::io::stdin().lines();
    let mut order = || lines.next().map(|l| l.unwrap());
    while let Some(prepare) = order() {
        let mode = prepare.strip_prefix("prepare ").unwrap_or_else(|| panic!("unexpected order {prepare:?}"));
        // A new session each round, loaded from the store: its cached token is whatever the parent left there.
        let user = client.with_session(Session::with_store(TokenStore::new(store.clone(), USER_KEY)));
        let bearer = runtime.block_on(async {
            let loaded = user.session().load().await.unwrap().expect("a stored session");
            format!("Bearer {}", loaded.access_token().expose_secret())
        });
        println!("ready");
        assert_eq!(order().as_deref(), Some("go"));
        let ok = runtime.block_on(async {
            let tasks: Vec<_> = (0..CALLS)
                .map(|_| {
                    let (user, raw, url, bearer, client_key) =
                        (user.clone(), raw.clone(), url.clone(), bearer.clone(), client_key.clone());
                    let raw_mode = mode == "raw";
                    tokio::spawn(async move {
                        if raw_mode {
                            let response =
                                raw.get(url).header("x-client-key", client_key).header("authorization", bearer);
                            let bytes = response.send().await.ok()?.error_for_status().ok()?.bytes().await.ok()?;
                            serde_json::from_slice::<baanx::api::types::WalletCreditBalance>(&bytes).ok().map(drop)
                        } else {
                            user.api().get_credit_wallet().call().await.ok().map(drop)
                        }
                    })
                })
                .collect();
            let mut ok = 0u64;
            for task in tasks {
                ok += u64::from(task.await.unwrap().is_some());
            }
            ok
        });
        println!("done {ok} {} {}", user.session().refresh_count(), user.session().adopted_count());
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench
}

fn main() {
    if std::env::var_os(ROLE).is_some() {
        return instance();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
