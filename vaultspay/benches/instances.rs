//! Calls per second across 4 OS processes sharing one VaultsPay app token in one PostgreSQL store (a private
//! throwaway server from `pg-harness`), against the sandbox (`vaultspay-sandbox`, run by this process and shared
//! by the children over TCP). Bodies are plaintext (UAT's `x-enable-encryption: false`): the subject is the
//! token; the encryption's own cost is `benches/encryption.rs`.
//!
//! The 4 instances are this bench binary re-executed as children (`pg_harness::instances::Fleet`, selected by
//! `VAULTSPAY_BENCH_ROLE`), up for the whole run. Each round every process builds a new client on the store (as a
//! replica that just started: its first call loads the stored token; its connection pool is the process's, as the
//! baseline's) and then sends 250 concurrent
//! `list_card_tiers` calls; only the calls are timed, from the parent's "go" to the last child's "done":
//! - `four_processes/raw_reqwest`: the baseline. reqwest + serde_json by hand, the stored access token as bearer.
//! - `four_processes/fresh_token`: the SDK, the stored token fresh: no token request.
//! - `four_processes/expired_token`: the SDK, the stored token expired when the round starts. One process takes
//!   the lease and refreshes; the others wait for it and adopt the stored renewal. Each round is checked: exactly
//!   1 refresh request and 0 logins in the sandbox's log, 1000 successes.
//!
//! Criterion reports calls/s; then paired rounds (raw, fresh, expired in turn) give the median ratios against raw.
//!
//! `cargo bench -p vaultspay --bench instances -- --warm-up-time 1 --measurement-time 5`

use std::time::Duration;

use criterion::{Criterion, criterion_group};
use pg_harness::instances::{Fleet, Kind, bench_rounds, serve};
use secrecy::ExposeSecret as _;
use vaultspay::store::{EncryptionKey, Keyring, PostgresOptions, PostgresStore, SessionStore};
use vaultspay::{Call, Client, Environment};
use vaultspay_sandbox::Sandbox;

const ROLE: &str = "VAULTSPAY_BENCH_ROLE";
const PROCESSES: usize = 4;
const CALLS: usize = 250;
const TOKEN_KEY: &str = "vaultspay/bench-app";
const LOGIN_PATH: &str = "/as/api/v1/saas-login";
const REFRESH_PATH: &str = "/as/api/v1/saas-refresh-token";
/// The at-rest key of this bench (never a real one).
const KEY_HEX: &str = "a5b4c3d2e1f000112233445566778899aabbccddeeff8f1e2d3c4b5a69788796";

async fn pg_store(conninfo: &str) -> PostgresStore {
    let keyring = Keyring::new("bench-1", EncryptionKey::from_hex(KEY_HEX).unwrap()).unwrap();
    let options = PostgresOptions::new().pool_size(8).op_timeout(Duration::from_secs(3));
    PostgresStore::connect_with(conninfo, keyring, options).await.unwrap()
}

/// A client of the sandbox at `env` sharing its token through `store`, on the connections of `http`.
fn client(var: &dyn Fn(&str) -> String, store: PostgresStore, http: reqwest::Client) -> Client {
    Client::builder()
        .http_client(http)
        .environment(Environment::Custom(var("VP_BASE_URL")))
        .client_id(var("VP_CLIENT_ID"))
        .client_secret(var("VP_CLIENT_SECRET"))
        .app_id(var("VP_APP_ID"))
        .public_key(&var("VP_PUBLIC_KEY"))
        .unwrap()
        .disable_encryption_uat_only()
        .token_store(store, TOKEN_KEY)
        .build()
        .unwrap()
}

/// The 4 instances, the store they share and the sandbox they call.
struct Bench {
    fleet: Fleet,
    store: PostgresStore,
    sandbox: Sandbox,
    runtime: tokio::runtime::Runtime,
}

impl Bench {
    /// Starts PostgreSQL, the sandbox and the instances, and logs in once (the token saved to the store).
    fn start() -> Option<Bench> {
        let conninfo = pg_harness::bench_database("vp_bench_instances")?;
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let sandbox = runtime
            .block_on(Sandbox::builder().fixed_key().access_token_ttl(Duration::from_secs(3600)).start())
            .unwrap();
        let env = [
            (ROLE, "instance".to_string()),
            ("VP_BASE_URL", sandbox.base_url().to_string()),
            ("VP_CLIENT_ID", sandbox.client_id().to_string()),
            ("VP_CLIENT_SECRET", sandbox.client_secret().to_string()),
            ("VP_APP_ID", sandbox.app_id().to_string()),
            ("VP_PUBLIC_KEY", sandbox.public_key().to_string()),
            ("VP_PG", conninfo.clone()),
        ];
        let store = runtime.block_on(async {
            let store = pg_store(&conninfo).await;
            let var = |name: &str| env.iter().find(|(k, _)| *k == name).unwrap().1.clone();
            let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
            client(&var, store.clone(), http).login().await.unwrap(); // saved to the store
            store
        });
        Some(Bench { fleet: Fleet::start(PROCESSES, &env), store, sandbox, runtime })
    }

    /// One round, checked: every process calls `CALLS` times at once. Returns the time from "go" to the last
    /// "done".
    fn round(&mut self, kind: Kind) -> Duration {
        if kind == Kind::Expired {
            self.runtime.block_on(make_due(&self.store));
        }
        self.sandbox.clear_requests();
        let round = self.fleet.round(kind.word());
        let [ok, token_requests, adoptions] = round.figures[..] else { panic!("{:?}", round.figures) };
        let requests = self.sandbox.requests();
        let count = |path: &str| requests.iter().filter(|r| r.path == path).count() as u64;
        let expected = u64::from(kind == Kind::Expired);
        assert_eq!(ok, (PROCESSES * CALLS) as u64, "{kind:?}: every call succeeds");
        assert_eq!((count(LOGIN_PATH), count(REFRESH_PATH), token_requests), (0, expected, expected), "{kind:?}");
        if kind == Kind::Expired {
            assert_eq!(adoptions, (PROCESSES - 1) as u64, "the other processes adopt the renewal");
        }
        round.took
    }
}

/// Rewrites the stored token's `accessTokenExpiry` into the past: every instance finds it due.
async fn make_due(store: &PostgresStore) {
    let record = store.load(TOKEN_KEY).await.unwrap();
    let mut token: serde_json::Value = serde_json::from_slice(record.payload.unwrap().expose_secret()).unwrap();
    token["accessTokenExpiry"] = "2020-01-01T00:00:00.000Z".into();
    store.save(TOKEN_KEY, &serde_json::to_vec(&token).unwrap(), record.version).await.unwrap();
}

fn bench(c: &mut Criterion) {
    let Some(mut bench) = Bench::start() else { return };
    bench_rounds(c, (PROCESSES * CALLS) as u64, |kind| bench.round(kind));
}

/// A child: calls on orders from the parent until its stdin closes.
fn instance() {
    let var = |name: &str| std::env::var(name).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let store = runtime.block_on(pg_store(&var("VP_PG")));
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let url = format!("{}/pcs/api/v1/card-tiers", var("VP_BASE_URL"));
    let app_id = var("VP_APP_ID");
    serve(|kind| {
        // A new client each round, as a replica that just started (on the process's connection pool, as the
        // baseline's: the subject is the token, not TCP connects).
        let client = client(&var, store.clone(), raw.clone());
        let record = runtime.block_on(store.load(TOKEN_KEY)).unwrap();
        let token: serde_json::Value = serde_json::from_slice(record.payload.unwrap().expose_secret()).unwrap();
        let bearer = format!("Bearer {}", token["accessToken"].as_str().unwrap());
        let raw_mode = Kind::from_word(kind) == Some(Kind::Raw);
        let (runtime, raw, url, app_id) = (&runtime, &raw, &url, &app_id);
        move || {
            let call = || async {
                if raw_mode {
                    let request = raw
                        .get(url)
                        .header("authorization", &bearer)
                        .header("x-device-os", "SAAS")
                        .header("x-device-id", app_id)
                        .header("x-enable-encryption", "false");
                    let bytes = request.send().await.ok()?.error_for_status().ok()?.bytes().await.ok()?;
                    serde_json::from_slice::<vaultspay::api::types::ListCardTiersResponse>(&bytes).ok().map(drop)
                } else {
                    client.api().list_card_tiers().call().await.ok().map(drop)
                }
            };
            let answers = runtime.block_on(futures_util::future::join_all((0..CALLS).map(|_| call())));
            let ok = answers.iter().filter(|a| a.is_some()).count() as u64;
            vec![ok, client.token_requests(), client.token_adoptions()]
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
