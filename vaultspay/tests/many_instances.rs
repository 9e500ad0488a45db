//! Many instances, one app token: real OS processes (this test binary re-executed as children, selected by
//! `VAULTSPAY_INSTANCE_ROLE`) sharing a real PostgreSQL token store (`pg-harness`) and one sandbox
//! (`vaultspay-sandbox`, run by the parent, reached by the children over TCP); and, in one process, the version
//! check against a stale writer and a store that goes down.
//!
//! Token requests are counted from the sandbox's request log (`saas-login`, `saas-refresh-token`), exactly.

use std::collections::BTreeMap;
use std::fmt;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pg_harness::instances;
use secrecy::ExposeSecret as _;
use vaultspay::auth::store::{
    EncryptionKey, Keyring, LeaseAttempt, MemoryStore, PostgresOptions, PostgresStore, Record, SessionStore,
    StoreError, StoreFuture, Version,
};
use vaultspay::{Call, Client, Environment, Error};
use vaultspay_sandbox::{Fault, FaultRule, Sandbox};

const ROLE: &str = "VAULTSPAY_INSTANCE_ROLE";
/// The at-rest key of these tests (never a real one).
const KEY_HEX: &str = "3c4b5a69788796a5b4c3d2e1f001122334455667788899aabbccddeeff8f1e2d";
/// The token's record in the store.
const TOKEN_KEY: &str = "vaultspay/sandbox-app";
const LOGIN_PATH: &str = "/as/api/v1/saas-login";
const REFRESH_PATH: &str = "/as/api/v1/saas-refresh-token";
const TIERS_PATH: &str = "/pcs/api/v1/card-tiers";

async fn pg_store(conninfo: &str) -> PostgresStore {
    let keyring = Keyring::new("test-1", EncryptionKey::from_hex(KEY_HEX).unwrap()).unwrap();
    let options = PostgresOptions::new().pool_size(8).op_timeout(Duration::from_secs(3));
    PostgresStore::connect_with(conninfo, keyring, options).await.unwrap()
}

/// What a client needs to reach the sandbox (passed to the children in the environment).
#[derive(Clone)]
struct Target {
    base_url: String,
    client_id: String,
    client_secret: String,
    app_id: String,
    public_key: String,
}

impl Target {
    fn of(sandbox: &Sandbox) -> Target {
        Target {
            base_url: sandbox.base_url().to_string(),
            client_id: sandbox.client_id().to_string(),
            client_secret: sandbox.client_secret().to_string(),
            app_id: sandbox.app_id().to_string(),
            public_key: sandbox.public_key().to_string(),
        }
    }

    fn from_env() -> Target {
        let var = |name: &str| std::env::var(name).unwrap();
        Target {
            base_url: var("VP_BASE_URL"),
            client_id: var("VP_CLIENT_ID"),
            client_secret: var("VP_CLIENT_SECRET"),
            app_id: var("VP_APP_ID"),
            public_key: var("VP_PUBLIC_KEY"),
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("VP_BASE_URL", self.base_url.clone()),
            ("VP_CLIENT_ID", self.client_id.clone()),
            ("VP_CLIENT_SECRET", self.client_secret.clone()),
            ("VP_APP_ID", self.app_id.clone()),
            ("VP_PUBLIC_KEY", self.public_key.clone()),
        ]
    }

    /// A client sharing its token through `store`, with short retry waits. Bodies are
    /// plaintext (UAT's `x-enable-encryption: false`): the subject here is the token, and the sandbox's RSA in a
    /// debug build (about 25 ms a request) would make 1,000 calls take most of a minute.
    fn client(&self, store: impl SessionStore + 'static, lease: Duration, refresh_ahead: Duration) -> Client {
        Client::builder()
            .environment(Environment::Custom(self.base_url.clone()))
            .client_id(self.client_id.clone())
            .client_secret(self.client_secret.clone())
            .app_id(self.app_id.clone())
            .public_key(&self.public_key)
            .unwrap()
            .disable_encryption_uat_only()
            .retry(vaultspay::RetryPolicy::standard().base_delay(Duration::from_millis(5)))
            .refresh_ahead(refresh_ahead)
            .token_store(store, TOKEN_KEY)
            .token_lease_ttl(lease)
            .build()
            .unwrap()
    }
}

/// (logins, refreshes) in the sandbox's log.
fn token_requests(sandbox: &Sandbox) -> (usize, usize) {
    let requests = sandbox.requests();
    let count = |path: &str| requests.iter().filter(|r| r.path == path).count();
    (count(LOGIN_PATH), count(REFRESH_PATH))
}

/// Rewrites the stored token's `accessTokenExpiry` into the past (as if it had been saved long ago), so that every
/// instance finds it due; returns the new version.
async fn make_due(store: &dyn SessionStore) -> Version {
    let record = store.load(TOKEN_KEY).await.unwrap();
    let payload = record.payload.expect("a stored token");
    let mut token: serde_json::Value = serde_json::from_slice(payload.expose_secret()).unwrap();
    assert!(token["accessToken"].as_str().is_some_and(|t| t.starts_with("vp_at_")), "the login answer's shape");
    assert!(token["refreshToken"].as_str().is_some_and(|t| t.starts_with("vp_rt_")));
    token["accessTokenExpiry"] = "2020-01-01T00:00:00.000Z".into();
    store.save(TOKEN_KEY, &serde_json::to_vec(&token).unwrap(), record.version).await.unwrap()
}

fn spawn(role: &str, index: usize, env: &[(&str, String)]) -> Child {
    let own = [(ROLE, role.to_string()), ("VP_INSTANCE_INDEX", index.to_string())];
    instances::spawn("child", own.into_iter().chain(env.iter().cloned()))
}

/// Waits for every child and returns the `@@RESULT` figures of each.
fn results(children: Vec<Child>) -> Vec<BTreeMap<String, u64>> {
    instances::finish(children, false).iter().map(|out| instances::figures(out)).collect()
}

fn sum(results: &[BTreeMap<String, u64>], name: &str) -> u64 {
    results.iter().map(|r| r[name]).sum()
}

/// The entry point of the child processes (run by the tests below, never by itself).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of the many-instances test"]
async fn child() {
    let Ok(_role) = std::env::var(ROLE) else { return };
    let number = |name: &str| std::env::var(name).unwrap().parse::<u64>().unwrap();
    let store = pg_store(&std::env::var("VP_PG").unwrap()).await;
    let client = Target::from_env().client(store, Duration::from_secs(10), vaultspay::client::DEFAULT_REFRESH_AHEAD);
    // Every child starts its calls at the same moment.
    let start_at = UNIX_EPOCH + Duration::from_millis(number("VP_START_AT_MS"));
    if let Ok(wait) = start_at.duration_since(SystemTime::now()) {
        tokio::time::sleep(wait).await;
    }
    let tasks: Vec<_> = (0..number("VP_CALLS"))
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.api().list_card_tiers().call().await.map(|_| ()) })
        })
        .collect();
    let (mut ok, mut failed) = (0u64, 0u64);
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(e) => {
                eprintln!("call failed: {e}");
                failed += 1
            }
        }
    }
    println!(
        "@@RESULT ok={ok} failed={failed} requests={} adopted={}",
        client.token_requests(),
        client.token_adoptions()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_with_a_due_token_renew_it_once() {
    let Some(server) = pg_harness::require() else { return };
    let db = server.create_database("vp_crowd").unwrap();
    let conninfo = server.conninfo(&db);
    let store = pg_store(&conninfo).await;
    // Tokens of 2 minutes: the renewed one stays fresh (refresh_ahead 60 s) for the rest of the test.
    let sandbox = Sandbox::builder().fixed_key().access_token_ttl(Duration::from_secs(120)).start().await.unwrap();
    let target = Target::of(&sandbox);

    // The initial login, saved at version 1; then made due (version 2).
    let first = target.client(store.clone(), Duration::from_secs(10), vaultspay::client::DEFAULT_REFRESH_AHEAD);
    first.login().await.unwrap();
    assert_eq!(store.load(TOKEN_KEY).await.unwrap().version, Version::new(1));
    assert_eq!(make_due(&store).await, Version::new(2));
    sandbox.clear_requests();

    let start_at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + 1500;
    let mut env = target.env();
    env.extend([("VP_PG", conninfo.clone()), ("VP_CALLS", "250".into()), ("VP_START_AT_MS", start_at.to_string())]);
    let started = Instant::now();
    let children: Vec<Child> = (0..4).map(|i| spawn("calls", i, &env)).collect();
    let results = tokio::task::spawn_blocking(move || results(children)).await.unwrap();
    println!("4 processes x 250 calls: {results:?} in {:?}", started.elapsed());

    assert_eq!(sum(&results, "ok"), 1000, "every call succeeds");
    assert_eq!(sum(&results, "failed"), 0);
    assert_eq!(token_requests(&sandbox), (0, 1), "exactly one renewal (a refresh) across the four processes");
    assert_eq!(sum(&results, "requests"), 1, "the processes count the same");
    assert_eq!(sum(&results, "adopted"), 3, "the three others adopted the stored renewal");
    assert_eq!(store.load(TOKEN_KEY).await.unwrap().version, Version::new(3), "one renewal saved");
    let tier_calls = sandbox.requests().iter().filter(|r| r.path == TIERS_PATH).count();
    assert_eq!(tier_calls, 1000, "no call needed a replay");
    // At rest the token is encrypted: the row holds no token text.
    let rows = server.psql(&db, "SELECT row_to_json(s)::text FROM cardsdk_sessions s").unwrap();
    assert!(rows.contains(TOKEN_KEY) && !rows.contains("vp_at_") && !rows.contains("vp_rt_"), "{rows}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_writer_is_refused_by_the_version_check_and_adopts_the_winner() {
    let sandbox = Sandbox::builder().fixed_key().access_token_ttl(Duration::from_secs(120)).start().await.unwrap();
    let target = Target::of(&sandbox);
    let store = Arc::new(MemoryStore::new());
    let ahead = vaultspay::client::DEFAULT_REFRESH_AHEAD;
    target.client(store.clone(), Duration::from_secs(10), ahead).login().await.unwrap();
    assert_eq!(make_due(&*store).await, Version::new(2));
    sandbox.clear_requests();
    // A's refresh stalls for 2 s, far beyond its 200 ms lease; B takes the lease over and renews meanwhile.
    sandbox.add_fault(FaultRule::on("POST", REFRESH_PATH).calls(1..=1).fault(Fault::Latency(Duration::from_secs(2))));
    let lease = Duration::from_millis(200);
    let (a, b) = (target.client(store.clone(), lease, ahead), target.client(store.clone(), lease, ahead));

    let a_call = tokio::spawn({
        let a = a.clone();
        async move { a.api().list_card_tiers().call().await.map(|_| ()) }
    });
    while token_requests(&sandbox).1 == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // A's lease has run out
    b.api().list_card_tiers().call().await.unwrap();
    assert_eq!(store.load(TOKEN_KEY).await.unwrap().version, Version::new(3), "B saved over version 2");
    a_call.await.unwrap().unwrap();

    // A's save over version 2 was refused (no version 4): A adopted B's token instead of overwriting it.
    assert_eq!(store.load(TOKEN_KEY).await.unwrap().version, Version::new(3));
    assert_eq!((a.token_requests(), a.token_adoptions()), (1, 1));
    assert_eq!((b.token_requests(), b.token_adoptions()), (1, 0));
    assert_eq!(token_requests(&sandbox), (0, 2));
    // Both go on with the same (stored) token.
    sandbox.clear_requests();
    a.api().list_card_tiers().call().await.unwrap();
    b.api().list_card_tiers().call().await.unwrap();
    let bearers: Vec<String> =
        sandbox.requests().iter().filter_map(|r| r.header("authorization").map(str::to_string)).collect();
    assert_eq!(bearers.len(), 2);
    assert_eq!(bearers[0], bearers[1], "A uses the token B stored");
    // A writer that still believes in version 2 is refused, and changes nothing.
    let err = store.save(TOKEN_KEY, b"{\"accessToken\":\"stale\"}", Version::new(2)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { current, .. } if current == Version::new(3)), "{err:?}");
    sandbox.shutdown().await;
}

/// A [`MemoryStore`] that can be switched off, and counts the operations it is asked for.
#[derive(Default)]
struct Flaky {
    inner: MemoryStore,
    down: AtomicBool,
    ops: AtomicU64,
}

impl fmt::Debug for Flaky {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flaky").field("down", &self.down).finish_non_exhaustive()
    }
}

impl Flaky {
    fn gate<'a, T: Send + 'a>(&'a self, op: StoreFuture<'a, T>) -> StoreFuture<'a, T> {
        self.ops.fetch_add(1, Ordering::Relaxed);
        if self.down.load(Ordering::Relaxed) {
            return Box::pin(async { Err(StoreError::unavailable("the test switched the store off", None)) });
        }
        op
    }
}

impl SessionStore for Flaky {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Record> {
        self.gate(self.inner.load(key))
    }
    fn save<'a>(&'a self, key: &'a str, payload: &'a [u8], expected: Version) -> StoreFuture<'a, Version> {
        self.gate(self.inner.save(key, payload, expected))
    }
    fn clear<'a>(&'a self, key: &'a str, expected: Version) -> StoreFuture<'a, Version> {
        self.gate(self.inner.clear(key, expected))
    }
    fn try_lease<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, LeaseAttempt> {
        self.gate(self.inner.try_lease(key, holder, ttl))
    }
    fn renew<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, vaultspay::auth::store::Lease> {
        self.gate(self.inner.renew(key, holder, ttl))
    }
    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> StoreFuture<'a, bool> {
        self.gate(self.inner.release(key, holder))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_is_down_is_a_typed_error_once_the_held_token_has_expired() {
    // 3 s tokens, renewed from 2 s before their expiry: fresh for 1 s, then due, expired at 3 s.
    let sandbox = Sandbox::builder().fixed_key().access_token_ttl(Duration::from_secs(3)).start().await.unwrap();
    let store = Arc::new(Flaky::default());
    let client = Target::of(&sandbox).client(store.clone(), Duration::from_secs(5), Duration::from_secs(2));
    client.login().await.unwrap();
    let issued = Instant::now();
    store.down.store(true, Ordering::Relaxed);
    store.ops.store(0, Ordering::Relaxed);

    // A fresh token: calls go on without the store.
    for _ in 0..5 {
        client.api().list_card_tiers().call().await.expect("a fresh token, no store query");
    }
    assert_eq!(store.ops.load(Ordering::Relaxed), 0, "a fresh token means no store query");
    // Due but not expired: the renewal fails (store down), the current token is used.
    tokio::time::sleep(Duration::from_millis(1300).saturating_sub(issued.elapsed())).await;
    client.api().list_card_tiers().call().await.expect("still valid: used while the store is down");
    assert!(store.ops.load(Ordering::Relaxed) > 0, "the renewal asked the store");
    // Expired: a typed error, and no token request (nothing could be coordinated).
    tokio::time::sleep(Duration::from_millis(3300).saturating_sub(issued.elapsed())).await;
    let err = client.api().list_card_tiers().call().await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert!(err.store_error().is_some_and(StoreError::is_unavailable), "{err:?}");
    assert!(!format!("{err:?} {err}").contains("vp_at_"), "no token in the error");
    assert_eq!(token_requests(&sandbox), (1, 0), "the login only");

    // Back up: the next renewal (after the back-off) refreshes and saves.
    store.down.store(false, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(5);
    while let Err(e) = client.api().list_card_tiers().call().await {
        assert!(e.store_error().is_some() && Instant::now() < deadline, "no recovery: {e:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(token_requests(&sandbox), (1, 1));
    assert_eq!(store.load(TOKEN_KEY).await.unwrap().version, Version::new(2));
    assert!(!format!("{client:?}").contains("vp_at_"));
    sandbox.shutdown().await;
}
