//! Many instances, one session store: real OS processes (this test binary re-executed as children, selected by
//! `BAANX_INSTANCE_ROLE`), a real PostgreSQL server (`pg-harness`) and the sandbox (`baanx-sandbox`, run by the
//! parent, shared by the children over TCP) with rotating refresh tokens.
//!
//! Every count is asserted exactly: refresh requests from the sandbox's request log, sign-outs, failed calls,
//! store versions.

use std::collections::BTreeMap;
use std::process::Child;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use baanx::auth::{LoginOutcome, Session, TokenSet, TokenStore};
use baanx::retry::RetryPolicy;
use baanx::store::{EncryptionKey, Keyring, PostgresOptions, PostgresStore, SessionStore, Version};
use baanx::{Call, Client, Environment, Error, Region};
use baanx_sandbox::{Fault, FaultRule, Sandbox};
use pg_harness::instances;
use secrecy::ExposeSecret as _;

const ROLE: &str = "BAANX_INSTANCE_ROLE";
/// The at-rest key of these tests (never a real one).
const KEY_HEX: &str = "8f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";
const TOKEN_PATH: &str = "/v1/auth/oauth/token";

fn keyring() -> Keyring {
    Keyring::new("test-1", EncryptionKey::from_hex(KEY_HEX).unwrap()).unwrap()
}

async fn pg_store(conninfo: &str) -> PostgresStore {
    PostgresStore::connect_with(
        conninfo,
        keyring(),
        PostgresOptions::new().pool_size(8).op_timeout(Duration::from_secs(3)),
    )
    .await
    .unwrap()
}

fn client_for(base_url: &str, client_key: &str, secret_key: &str) -> Client {
    Client::builder()
        .environment(Environment::Custom(base_url.to_string()))
        .client_key(client_key)
        .secret_key(secret_key.to_string())
        .region(Region::International)
        .retry(RetryPolicy::standard().base_delay(Duration::from_millis(10)).max_delay(Duration::from_millis(200)))
        .build()
        .unwrap()
}

/// An OAuth (API mode) sign-in of the sandbox's user: a refresh token chain of its own.
async fn sign_in(client: &Client, sandbox: &Sandbox) -> TokenSet {
    let user = sandbox.user();
    let client = client.detached();
    let flow = client.oauth().start_api_mode("https://app.example/cb").await.unwrap();
    let LoginOutcome::Authenticated(_) = client.login(user.email.clone(), user.password.clone()).await.unwrap() else {
        panic!("login")
    };
    let code = flow.authorize(&client).await.unwrap();
    client.oauth().exchange_for_tokens(code).await.unwrap()
}

/// The same tokens with the access token expired now (so that the first call renews).
fn expired(tokens: &TokenSet) -> TokenSet {
    TokenSet::new(tokens.access_token().clone(), SystemTime::now(), Region::International)
        .with_refresh_token(tokens.refresh_token().unwrap().clone(), None)
}

fn refreshes(sandbox: &Sandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| {
            r.method == "POST" && r.path == TOKEN_PATH && r.json().is_some_and(|b| b["grant_type"] == "refresh_token")
        })
        .count()
}

fn key(i: usize) -> String {
    format!("user-{i}")
}

/// `users` sessions signed in, stored expired under `user-0..` at version 1.
async fn seed(sandbox: &Sandbox, store: &PostgresStore, users: usize) {
    let client = client_for(sandbox.base_url(), sandbox.client_key(), sandbox.secret_key());
    let signed: Vec<TokenSet> = futures_util::future::join_all((0..users).map(|_| sign_in(&client, sandbox))).await;
    for (i, tokens) in signed.iter().enumerate() {
        let store = TokenStore::new(store.clone(), key(i));
        assert_eq!(store.save(&expired(tokens), Version::NONE).await.unwrap(), Version::new(1));
    }
}

fn spawn(role: &str, index: usize, env: &[(&str, String)]) -> Child {
    let own = [(ROLE, role.to_string()), ("BAANX_INSTANCE_INDEX", index.to_string())];
    instances::spawn("child", own.into_iter().chain(env.iter().cloned()))
}

/// Waits for every child and returns the `@@RESULT` figures of each.
fn results(children: Vec<Child>) -> Vec<BTreeMap<String, u64>> {
    instances::finish(children, false).iter().map(|out| instances::figures(out)).collect()
}

fn env_for(
    sandbox: &Sandbox,
    conninfo: &str,
    users: usize,
    calls: usize,
    lease_ms: u64,
) -> Vec<(&'static str, String)> {
    let start_at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + 1500;
    vec![
        ("BAANX_BASE_URL", sandbox.base_url().to_string()),
        ("BAANX_CLIENT_KEY", sandbox.client_key().to_string()),
        ("BAANX_SECRET_KEY", sandbox.secret_key().to_string()),
        ("BAANX_PG", conninfo.to_string()),
        ("BAANX_USERS", users.to_string()),
        ("BAANX_CALLS", calls.to_string()),
        ("BAANX_LEASE_MS", lease_ms.to_string()),
        ("BAANX_START_AT_MS", start_at.to_string()),
    ]
}

fn sum(results: &[BTreeMap<String, u64>], name: &str) -> u64 {
    results.iter().map(|r| r[name]).sum()
}

/// The entry point of the child processes (run by the tests below, never by itself).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of the many-instances tests"]
async fn child() {
    let Ok(role) = std::env::var(ROLE) else { return };
    let var = |name: &str| std::env::var(name).unwrap();
    let number = |name: &str| var(name).parse::<u64>().unwrap();
    let client = client_for(&var("BAANX_BASE_URL"), &var("BAANX_CLIENT_KEY"), &var("BAANX_SECRET_KEY"));
    let store = pg_store(&var("BAANX_PG")).await;
    let (users, calls) = (number("BAANX_USERS") as usize, number("BAANX_CALLS") as usize);
    let lease = Duration::from_millis(number("BAANX_LEASE_MS"));
    let index = var("BAANX_INSTANCE_INDEX");
    let sessions: Vec<Client> = (0..users)
        .map(|i| {
            let tokens = TokenStore::new(store.clone(), key(i)).lease_ttl(lease).holder_label(format!("child-{index}"));
            client.with_session(Session::with_store(tokens))
        })
        .collect();
    for s in &sessions {
        s.session().load().await.unwrap();
    }
    // Every child starts its calls at the same moment.
    let start_at = UNIX_EPOCH + Duration::from_millis(number("BAANX_START_AT_MS"));
    if let Ok(wait) = start_at.duration_since(SystemTime::now()) {
        tokio::time::sleep(wait).await;
    }
    if role == "hold" {
        println!("@@CALLING");
    }
    let tasks: Vec<_> = (0..calls)
        .map(|n| {
            let user = sessions[n % users].clone();
            tokio::spawn(async move { user.api().get_credit_wallet().call().await.map(|_| ()) })
        })
        .collect();
    let (mut ok, mut failed, mut ended) = (0u64, 0u64, 0u64);
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(Error::SessionExpired { reason, .. }) => {
                eprintln!("session ended: {reason}");
                ended += 1
            }
            Err(e) => {
                eprintln!("call failed: {e}");
                failed += 1
            }
        }
    }
    let refreshed: u64 = sessions.iter().map(|s| s.session().refresh_count()).sum();
    let adopted: u64 = sessions.iter().map(|s| s.session().adopted_count()).sum();
    let signed_out = sessions.iter().filter(|s| !s.session().is_signed_in()).count();
    println!(
        "@@RESULT ok={ok} failed={failed} ended={ended} refreshed={refreshed} adopted={adopted} signed_out={signed_out}"
    );
}

/// Every key's record: version and whether it holds tokens.
async fn records(store: &PostgresStore, users: usize) -> Vec<(u64, bool)> {
    let mut out = Vec::new();
    for i in 0..users {
        let record = store.load(&key(i)).await.unwrap();
        out.push((record.version.get(), record.payload.is_some()));
    }
    out
}

async fn run_crowd(users: usize) {
    let Some(server) = pg_harness::require() else { return };
    let conninfo = server.conninfo(&server.create_database(&format!("crowd{users}")).unwrap());
    let store = pg_store(&conninfo).await;
    let sandbox = Sandbox::builder().access_token_ttl(Duration::from_secs(3600)).start().await.unwrap();
    seed(&sandbox, &store, users).await;
    sandbox.clear_requests();

    let env = env_for(&sandbox, &conninfo, users, 250, 10_000);
    let started = Instant::now();
    let children: Vec<Child> = (0..4).map(|i| spawn("calls", i, &env)).collect();
    let results = tokio::task::spawn_blocking(move || results(children)).await.unwrap();
    println!("{users} user(s), 4 processes x 250 calls: {:?} in {:?}", results, started.elapsed());

    assert_eq!(sum(&results, "ok"), 1000, "every call succeeds");
    assert_eq!((sum(&results, "failed"), sum(&results, "ended"), sum(&results, "signed_out")), (0, 0, 0));
    assert_eq!(refreshes(&sandbox), users, "exactly one refresh request per user, from the sandbox's log");
    assert_eq!(sum(&results, "refreshed"), users as u64, "the processes count the same");
    assert_eq!(sum(&results, "adopted"), 3 * users as u64, "every other process used the stored rotation");
    assert_eq!(records(&store, users).await, vec![(2, true); users], "one rotation saved per user, none cleared");
    let wallet_calls = sandbox.requests().iter().filter(|r| r.path == "/v1/wallet/credit").count();
    assert_eq!(wallet_calls, 1000, "no call needed a replay");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_one_user_one_refresh() {
    run_crowd(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_a_hundred_users_a_hundred_refreshes() {
    run_crowd(100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_holder_killed_mid_refresh_is_taken_over_after_its_lease_runs_out() {
    let Some(server) = pg_harness::require() else { return };
    let conninfo = server.conninfo(&server.create_database("killed").unwrap());
    let store = pg_store(&conninfo).await;
    let sandbox = Sandbox::builder().access_token_ttl(Duration::from_secs(3600)).start().await.unwrap();
    seed(&sandbox, &store, 1).await;
    sandbox.clear_requests();
    // The first refresh request stalls: its sender is killed meanwhile.
    sandbox.add_fault(FaultRule::on("POST", TOKEN_PATH).calls(1..=1).fault(Fault::Latency(Duration::from_secs(30))));

    let lease_ms = 1500;
    let mut holder = spawn("hold", 0, &env_for(&sandbox, &conninfo, 1, 1, lease_ms));
    let deadline = Instant::now() + Duration::from_secs(20);
    while refreshes(&sandbox) == 0 {
        assert!(Instant::now() < deadline, "the holder never sent its refresh");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let leased = server
        .psql(&conninfo_db(&conninfo), &format!("SELECT lease_holder FROM cardsdk_sessions WHERE key = '{}'", key(0)));
    assert!(leased.unwrap().starts_with("child-0/"), "the holder has the lease while its refresh is under way");
    holder.kill().unwrap(); // SIGKILL
    let status = holder.wait().unwrap();
    assert!(!status.success());
    let killed_at = Instant::now();

    // Another instance: waits for the dead holder's lease to run out, then renews, without a sign-out.
    let taker = vec![spawn("calls", 1, &env_for(&sandbox, &conninfo, 1, 50, lease_ms))];
    let results = tokio::task::spawn_blocking(move || results(taker)).await.unwrap();
    let took = killed_at.elapsed();
    println!("after the holder was killed: {results:?}, {took:?}");
    assert_eq!((results[0]["ok"], results[0]["failed"], results[0]["ended"]), (50, 0, 0));
    assert_eq!(results[0]["refreshed"], 1);
    assert_eq!(refreshes(&sandbox), 2, "the killed holder's refresh and the taker's");
    assert_eq!(records(&store, 1).await, vec![(2, true)], "the taker's rotation saved over version 1");
}

/// The database name in a harness connection string.
fn conninfo_db(conninfo: &str) -> String {
    conninfo.split_whitespace().find_map(|p| p.strip_prefix("dbname=")).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_mid_run_loses_no_rotation() {
    let Some(server) = pg_harness::require_own() else { return };
    let conninfo = server.conninfo(&server.create_database("restart").unwrap());
    let store = pg_store(&conninfo).await;
    // 4 s tokens: renewed from 2 s before their expiry on.
    let sandbox = Sandbox::builder().access_token_ttl(Duration::from_secs(4)).start().await.unwrap();
    let client = client_for(sandbox.base_url(), sandbox.client_key(), sandbox.secret_key());
    let tokens = sign_in(&client, &sandbox).await;
    let issued = Instant::now();
    let shared = TokenStore::new(store.clone(), "user").lease_ttl(Duration::from_secs(5));
    assert_eq!(shared.save(&tokens, Version::NONE).await.unwrap(), Version::new(1));
    let user = client.with_session(Session::with_store(shared.clone()));
    user.api().get_credit_wallet().call().await.unwrap();
    sandbox.clear_requests();

    server.stop().unwrap();
    // A fresh cached token: calls go on without the store.
    for _ in 0..20 {
        user.api().get_credit_wallet().call().await.expect("fresh token, no store query");
    }
    // Due for renewal but still valid: the renewal fails (store down) and the current token is used.
    tokio::time::sleep(Duration::from_millis(2300).saturating_sub(issued.elapsed())).await;
    user.api().get_credit_wallet().call().await.expect("still valid: used while the store is down");
    // Expired: typed errors, no refresh request sent (it could not be saved).
    tokio::time::sleep(Duration::from_millis(4300).saturating_sub(issued.elapsed())).await;
    let err = user.api().get_credit_wallet().call().await.unwrap_err();
    assert!(err.store_error().is_some_and(|e| e.is_unavailable()), "a typed store error: {err:?}");
    assert!(!matches!(err, Error::SessionExpired { .. }));
    assert_eq!(refreshes(&sandbox), 0, "no refresh while the store is down");

    server.restart().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut errors_after_restart = 0;
    loop {
        match user.api().get_credit_wallet().call().await {
            Ok(_) => break,
            Err(e) => {
                assert!(!matches!(e, Error::SessionExpired { .. }), "{e:?}");
                assert!(Instant::now() < deadline, "no recovery: {e:?}");
                errors_after_restart += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    println!("recovered after {errors_after_restart} failed call(s) following the restart");
    assert_eq!(refreshes(&sandbox), 1, "one refresh after the restart");
    assert_eq!(user.session().stored_version(), Some(Version::new(2)));
    // A new instance finds the rotation in the store and uses it without refreshing.
    let other = client.with_session(Session::with_store(TokenStore::new(pg_store(&conninfo).await, "user")));
    other.api().get_credit_wallet().call().await.unwrap();
    assert_eq!((other.session().refresh_count(), refreshes(&sandbox)), (0, 1));
    let current = shared.load().await.unwrap().unwrap();
    assert_eq!(current.version, Version::new(2));
    assert_ne!(
        current.tokens.refresh_token().unwrap().expose_secret(),
        tokens.refresh_token().unwrap().expose_secret(),
        "the rotated refresh token is the stored one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_writer_is_refused_by_the_version_check() {
    let Some(server) = pg_harness::require() else { return };
    let conninfo = server.conninfo(&server.create_database("stale").unwrap());
    let sandbox = Sandbox::builder().access_token_ttl(Duration::from_secs(3600)).start().await.unwrap();
    let (a, b) = (pg_store(&conninfo).await, pg_store(&conninfo).await);
    seed(&sandbox, &a, 1).await;
    sandbox.clear_requests();
    let client = client_for(sandbox.base_url(), sandbox.client_key(), sandbox.secret_key());
    let first = client.with_session(Session::with_store(TokenStore::new(a.clone(), key(0))));
    let second = client.with_session(Session::with_store(TokenStore::new(b.clone(), key(0))));
    // Both instances hold version 1 (expired).
    assert_eq!(first.session().load().await.unwrap().is_some(), second.session().load().await.unwrap().is_some());
    assert_eq!(second.session().stored_version(), Some(Version::new(1)));
    let v1_tokens = second.session().tokens().unwrap();

    first.api().get_credit_wallet().call().await.unwrap();
    assert_eq!(first.session().stored_version(), Some(Version::new(2)));

    // A writer that still believes in version 1 is refused and changes nothing.
    let stale = TokenStore::new(b.clone(), key(0));
    let err = stale.save(&v1_tokens, Version::new(1)).await.unwrap_err();
    assert!(matches!(err, Error::TokenStore { .. }) && err.store_error().is_some_and(|e| e.is_conflict()), "{err:?}");
    assert!(!format!("{err:?} {err}").contains(v1_tokens.access_token().expose_secret()), "no token in the error");
    let err = stale.clear(Version::new(1)).await.unwrap_err();
    assert!(err.store_error().is_some_and(|e| e.is_conflict()));
    assert_eq!(stale.load().await.unwrap().unwrap().version, Version::new(2));

    // The stale session renews by taking the newer version, not by refreshing (its refresh token is dead).
    second.api().get_credit_wallet().call().await.unwrap();
    assert_eq!((second.session().refresh_count(), second.session().adopted_count()), (0, 1));
    assert_eq!(second.session().stored_version(), Some(Version::new(2)));
    assert_eq!(refreshes(&sandbox), 1);
}
