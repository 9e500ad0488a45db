//! Calls per second across 4 OS processes acting for one user whose session lives in one PostgreSQL store (a
//! private throwaway server from `pg-harness`), against the sandbox (`baanx-sandbox`, rotating refresh tokens, run
//! by this process and shared by the children over TCP).
//!
//! The 4 instances are this bench binary re-executed as children (`pg_harness::instances::Fleet`, selected by
//! `BAANX_BENCH_ROLE`). They live for the whole run and take orders on stdin, one line each. A round is 4 × 250
//! concurrent calls; only the calls are timed, from the parent's "go" to the last child's "done":
//! - `four_processes/raw_reqwest`: the baseline. Each process sends its calls with reqwest + serde_json by hand,
//!   the stored access token as its bearer.
//! - `four_processes/fresh_token`: the SDK, the stored access token fresh. No store query and no refresh.
//! - `four_processes/expired_token`: the SDK, the stored access token expired when the round starts. One process
//!   takes the lease and refreshes; the three others wait for the lease, reload and adopt the rotation; then every
//!   call goes through. Each round is checked: exactly 1 refresh request in the sandbox's log, 3 adoptions,
//!   1000 successes.
//!
//! Criterion reports calls/s (its throughput is the round's 1000 calls). The bench then runs paired rounds (raw,
//! fresh and expired in turn, so that the machine's drift hits all three alike) and prints the median ratios
//! against raw.
//!
//! `cargo bench --bench instances -- --warm-up-time 1 --measurement-time 5`

use std::time::{Duration, SystemTime};

use baanx::auth::{LoginOutcome, Session, TokenSet, TokenStore};
use baanx::store::{EncryptionKey, Keyring, PostgresOptions, PostgresStore, Version};
use baanx::{Call, Client, Environment, Region};
use baanx_sandbox::Sandbox;
use criterion::{Criterion, criterion_group};
use pg_harness::instances::{Fleet, Kind, bench_rounds, serve};
use secrecy::ExposeSecret as _;

const ROLE: &str = "BAANX_BENCH_ROLE";
const PROCESSES: usize = 4;
const CALLS: usize = 250;
const USER_KEY: &str = "bench-user";
const TOKEN_PATH: &str = "/v1/auth/oauth/token";
/// The at-rest key of this bench (never a real one).
const KEY_HEX: &str = "00112233445566778899aabbccddeeff8f1e2d3c4b5a69788796a5b4c3d2e1f0";

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
struct Bench {
    fleet: Fleet,
    store: TokenStore,
    sandbox: Sandbox,
    runtime: tokio::runtime::Runtime,
}

impl Bench {
    /// Starts PostgreSQL, the sandbox and the instances, and signs the user in (its tokens saved to the store).
    fn start() -> Option<Bench> {
        let conninfo = pg_harness::bench_database("bench_instances")?;
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
        Some(Bench { fleet: Fleet::start(PROCESSES, &env), store, sandbox, runtime })
    }

    /// One round, checked: every process calls `CALLS` times at once. Returns the time from "go" to the last
    /// "done".
    fn round(&mut self, kind: Kind) -> Duration {
        if kind == Kind::Expired {
            self.runtime.block_on(expire(&self.store));
        }
        self.sandbox.clear_requests();
        let round = self.fleet.round(kind.word());
        let [ok, refreshed, adopted] = round.figures[..] else { panic!("{:?}", round.figures) };
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
        let expected = u64::from(kind == Kind::Expired);
        assert_eq!(ok, (PROCESSES * CALLS) as u64, "{kind:?}: every call succeeds");
        assert_eq!((refreshes as u64, refreshed), (expected, expected), "{kind:?}: refreshes");
        if kind == Kind::Expired {
            assert_eq!(adopted, (PROCESSES - 1) as u64, "the other processes adopt the rotation");
        }
        round.took
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
    let Some(mut bench) = Bench::start() else { return };
    bench_rounds(c, (PROCESSES * CALLS) as u64, |kind| bench.round(kind));
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
    serve(|kind| {
        // A new session each round, loaded from the store: its cached token is whatever the parent left there.
        let user = client.with_session(Session::with_store(TokenStore::new(store.clone(), USER_KEY)));
        let loaded = runtime.block_on(user.session().load()).unwrap().expect("a stored session");
        let bearer = format!("Bearer {}", loaded.access_token().expose_secret());
        let raw_mode = Kind::from_word(kind) == Some(Kind::Raw);
        let (runtime, raw, url, client_key) = (&runtime, &raw, &url, &client_key);
        move || {
            let call = || async {
                if raw_mode {
                    let request = raw.get(url).header("x-client-key", client_key).header("authorization", &bearer);
                    let bytes = request.send().await.ok()?.error_for_status().ok()?.bytes().await.ok()?;
                    serde_json::from_slice::<baanx::api::types::WalletCreditBalance>(&bytes).ok().map(drop)
                } else {
                    user.api().get_credit_wallet().call().await.ok().map(drop)
                }
            };
            let answers = runtime.block_on(futures_util::future::join_all((0..CALLS).map(|_| call())));
            let ok = answers.iter().filter(|a| a.is_some()).count() as u64;
            vec![ok, user.session().refresh_count(), user.session().adopted_count()]
        }
    });
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
