//! [`PostgresStore`] beyond the contract, on a real, private PostgreSQL server started by the test (`pg-harness`):
//! several OS processes on one table, migrations run at once, encryption at rest (raw rows and `pg_dump`), key
//! rotation, and the server stopped and started again mid-run.

mod store_common;

use std::time::{Duration, Instant};

use cardsdk_runtime::store::{
    CryptoError, EncryptionKey, Keyring, PostgresOptions, PostgresStore, SessionStore, StoreError, Version,
};
use secrecy::ExposeSecret as _;
use store_common::{child_role, payload, run_children};

const KEY_1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const KEY_2: &str = "2222222222222222222222222222222222222222222222222222222222222222";

fn keyring_1() -> Keyring {
    Keyring::new("k1", EncryptionKey::from_hex(KEY_1).unwrap()).unwrap()
}

fn keyring_2_with_1() -> Keyring {
    Keyring::new("k2", EncryptionKey::from_hex(KEY_2).unwrap())
        .unwrap()
        .with_retired("k1", EncryptionKey::from_hex(KEY_1).unwrap())
        .unwrap()
}

/// A fresh database on the shared server and its connection string.
fn database(prefix: &str) -> Option<(&'static pg_harness::PgServer, String)> {
    let server = pg_harness::require()?;
    let db = server.create_database(prefix).unwrap();
    Some((server, server.conninfo(&db)))
}

/// A plain SQL connection, to look at the rows as anyone with the database would.
async fn raw(conninfo: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(conninfo, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// The entry point of the child processes (run by the tests below, never by itself).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of the cross-process tests"]
async fn child() {
    let Some((role, index)) = child_role() else { return };
    let conninfo = std::env::var("STORE_CONNINFO").unwrap();
    if role == "migrate" {
        let store = PostgresStore::connect(&conninfo, keyring_1()).await.unwrap();
        println!("@@MIGRATED {}", store.migrate().await.unwrap());
        return;
    }
    let store = PostgresStore::connect(&conninfo, keyring_1()).await.unwrap();
    match role.as_str() {
        "race" => store_common::child_race(&store, "shared", index, 25).await,
        "leased" => store_common::child_leased(&store, "leased", index, 10).await,
        "die" => store_common::child_die_holding(&store, "dying", Duration::from_millis(800)).await,
        other => panic!("unknown role {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_racing_on_one_key_have_one_winner_per_version() {
    let Some((_, conninfo)) = database("race") else { return };
    let store = PostgresStore::connect(&conninfo, keyring_1()).await.unwrap();
    let lines = run_children("child", "race", 4, &[("STORE_CONNINFO", &conninfo)]);
    store_common::check_race(&store, "shared", &lines, 4 * 25).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_excludes_across_processes() {
    let Some((_, conninfo)) = database("leased") else { return };
    let store = PostgresStore::connect(&conninfo, keyring_1()).await.unwrap();
    let lines = run_children("child", "leased", 4, &[("STORE_CONNINFO", &conninfo)]);
    let all: Vec<&String> = lines.iter().flatten().collect();
    assert!(all.iter().all(|l| *l == "DONE"), "a conflict under the lease: {all:?}");
    assert_eq!(all.len(), 40);
    assert_eq!(store.load("leased").await.unwrap().version, Version::new(40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_holders_lease_runs_out() {
    let Some((_, conninfo)) = database("dying") else { return };
    let store = PostgresStore::connect(&conninfo, keyring_1()).await.unwrap();
    let lines = run_children("child", "die", 1, &[("STORE_CONNINFO", &conninfo)]);
    assert_eq!(lines, [["TAKEN"]]);
    let waited = store_common::take_after_expiry(&store, "dying", Duration::from_secs(5)).await;
    assert!(waited < Duration::from_millis(1500), "{waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_at_once_by_many_connections_and_processes() {
    // Processes, on a database nobody migrated yet.
    let Some((_, conninfo)) = database("migrate_processes") else { return };
    let lines = run_children("child", "migrate", 4, &[("STORE_CONNINFO", &conninfo)]);
    assert!(lines.iter().all(|l| l == &["MIGRATED 1"]), "{lines:?}");
    let rows = raw(&conninfo).await.query("SELECT version, name FROM cardsdk_store_migrations", &[]).await.unwrap();
    assert_eq!(rows.len(), 1, "migration 1 is recorded once");
    assert_eq!(rows[0].get::<_, i32>(0), 1);

    // Connections of this process (each store its own pool), on another fresh database.
    let Some((_, conninfo)) = database("migrate_tasks") else { return };
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let conninfo = conninfo.clone();
        tasks.push(tokio::spawn(async move { PostgresStore::connect(&conninfo, keyring_1()).await }));
    }
    for task in tasks {
        let store = task.await.unwrap().unwrap();
        assert_eq!(store.migrate().await.unwrap(), 1, "and again: idempotent");
    }
    let count: i64 =
        raw(&conninfo).await.query_one("SELECT count(*) FROM cardsdk_store_migrations", &[]).await.unwrap().get(0);
    assert_eq!(count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_encrypted_at_rest() {
    let Some((server, conninfo)) = database("at_rest") else { return };
    let store = PostgresStore::connect(&conninfo, keyring_1()).await.unwrap();
    store.save("user-1", &payload("one"), Version::NONE).await.unwrap();
    let v = store.save("user-2", &payload("two"), Version::NONE).await.unwrap();
    store.save("user-2", &payload("two-b"), v).await.unwrap();

    // The raw rows, as anyone with SQL access sees them.
    let sql = raw(&conninfo).await;
    let rows = sql
        .query(
            "SELECT key, version, ciphertext, nonce, key_id, row_to_json(s)::text FROM cardsdk_sessions s ORDER BY key",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let ciphertext: Vec<u8> = row.get(2);
        let nonce: Vec<u8> = row.get(3);
        let whole_row: String = row.get(5);
        assert_eq!(nonce.len(), 12);
        assert_eq!(row.get::<_, String>(4), "k1");
        let plain = if row.get::<_, String>(0) == "user-1" { payload("one") } else { payload("two-b") };
        assert_eq!(ciphertext.len(), plain.len() + 16, "the payload and a 128-bit tag");
        for needle in [&b"SECRET"[..], b"refresh_token", b"rt-", b"at-one"] {
            assert!(!ciphertext.windows(needle.len()).any(|w| w == needle), "plaintext in the ciphertext");
        }
        assert!(!whole_row.contains("SECRET") && !whole_row.contains("refresh"), "{whole_row}");
    }

    // A whole dump of the database holds no token either.
    let dump = std::process::Command::new(server.bin("pg_dump"))
        .args(["-h", server.host(), "-U", pg_harness::SUPERUSER, "-p", &server.port().to_string()])
        .arg(conninfo.split("dbname=").nth(1).unwrap().split(' ').next().unwrap())
        .output()
        .unwrap();
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(dump.contains("cardsdk_sessions") && dump.contains("user-1"), "the dump has the table");
    assert!(!dump.contains("SECRET") && !dump.contains("refresh_token"), "a dump alone signs no one in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_key_is_a_crypto_error() {
    let Some((_, conninfo)) = database("wrong_key") else { return };
    let store = PostgresStore::connect(&conninfo, keyring_1()).await.unwrap();
    store.save("user", &payload("x"), Version::NONE).await.unwrap();

    // Another key under the same id.
    let impostor = Keyring::new("k1", EncryptionKey::from_hex(KEY_2).unwrap()).unwrap();
    let other = PostgresStore::connect(&conninfo, impostor).await.unwrap();
    let err = other.load("user").await.unwrap_err();
    assert!(matches!(err, StoreError::Crypto(CryptoError::Decrypt { ref key_id }) if key_id == "k1"), "{err:?}");

    // A keyring without the record's key id.
    let elsewhere = Keyring::new("k9", EncryptionKey::from_hex(KEY_2).unwrap()).unwrap();
    let other = PostgresStore::connect(&conninfo, elsewhere).await.unwrap();
    let err = other.load("user").await.unwrap_err();
    assert!(matches!(err, StoreError::Crypto(CryptoError::UnknownKeyId { ref key_id }) if key_id == "k1"), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(KEY_1) && !format!("{other:?}").contains(KEY_2));

    // The right keyring still reads it.
    assert_eq!(store_common::payload_of(&store, "user").await.unwrap(), payload("x"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_moved_or_rolled_back_do_not_decrypt() {
    let Some((_, conninfo)) = database("moved") else { return };
    let store = PostgresStore::connect(&conninfo, keyring_1()).await.unwrap();
    store.save("alice", &payload("alice"), Version::NONE).await.unwrap();
    store.save("mallory", &payload("mallory"), Version::NONE).await.unwrap();
    let sql = raw(&conninfo).await;
    // Alice's sealed tokens copied into Mallory's row: Mallory cannot read them as hers.
    sql.execute(
        "UPDATE cardsdk_sessions m SET ciphertext = a.ciphertext, nonce = a.nonce, key_id = a.key_id \
         FROM cardsdk_sessions a WHERE a.key = 'alice' AND m.key = 'mallory'",
        &[],
    )
    .await
    .unwrap();
    assert!(matches!(store.load("mallory").await, Err(StoreError::Crypto(CryptoError::Decrypt { .. }))));
    // A version changed under the ciphertext: refused too.
    sql.execute("UPDATE cardsdk_sessions SET version = 7 WHERE key = 'alice'", &[]).await.unwrap();
    assert!(matches!(store.load("alice").await, Err(StoreError::Crypto(CryptoError::Decrypt { .. }))));
    // Half a sealed record is corrupt.
    sql.execute("ALTER TABLE cardsdk_sessions DROP CONSTRAINT cardsdk_sessions_sealed", &[]).await.unwrap();
    sql.execute("UPDATE cardsdk_sessions SET nonce = NULL WHERE key = 'alice'", &[]).await.unwrap();
    assert!(matches!(store.load("alice").await, Err(StoreError::Corrupt { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_reencrypts_under_the_current_key() {
    let Some((_, conninfo)) = database("rotate") else { return };
    let old = PostgresStore::connect(&conninfo, keyring_1()).await.unwrap();
    for i in 0..30 {
        let key = format!("user-{i:02}");
        let v = old.save(&key, &payload(&format!("{i}")), Version::NONE).await.unwrap();
        if i % 3 == 0 {
            old.save(&key, &payload(&format!("{i}-b")), v).await.unwrap();
        }
    }
    old.save("cleared", b"x", Version::NONE).await.unwrap();
    old.clear("cleared", Version::new(1)).await.unwrap();
    let sql = raw(&conninfo).await;
    let before: Vec<Vec<u8>> = sql
        .query("SELECT ciphertext FROM cardsdk_sessions WHERE ciphertext IS NOT NULL ORDER BY key", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();

    // Step 1: every instance runs with k2 current and k1 retired; new writes are under k2 already.
    let new = PostgresStore::connect(&conninfo, keyring_2_with_1()).await.unwrap();
    let v = new.load("user-29").await.unwrap().version;
    new.save("user-29", &payload("29-new"), v).await.unwrap();
    assert_eq!(new.key_ids_in_use().await.unwrap(), [("k1".to_owned(), 29), ("k2".to_owned(), 1)]);
    // A record under a key nobody has any more is counted, not fatal.
    sql.execute("UPDATE cardsdk_sessions SET key_id = 'k0' WHERE key = 'user-00'", &[]).await.unwrap();

    // Step 2: rotate.
    let report = new.rotate().await.unwrap();
    assert_eq!((report.reencrypted, report.changed_meanwhile, report.unreadable), (28, 0, 1));
    assert_eq!(new.key_ids_in_use().await.unwrap(), [("k0".to_owned(), 1), ("k2".to_owned(), 29)]);
    assert_eq!(new.rotate().await.unwrap().reencrypted, 0, "nothing left to do");

    // Step 3: k1 can go; everything (but the k0 row) reads with k2 alone, versions unchanged, bytes new.
    let k2_only =
        PostgresStore::connect(&conninfo, Keyring::new("k2", EncryptionKey::from_hex(KEY_2).unwrap()).unwrap())
            .await
            .unwrap();
    for i in 1..29 {
        let record = k2_only.load(&format!("user-{i:02}")).await.unwrap();
        let expected = if i % 3 == 0 { format!("{i}-b") } else { format!("{i}") };
        assert_eq!(record.payload.unwrap().expose_secret(), payload(&expected).as_slice());
        assert_eq!(record.version, Version::new(if i % 3 == 0 { 2 } else { 1 }));
    }
    assert!(k2_only.load("cleared").await.unwrap().is_empty());
    let after: Vec<Vec<u8>> = sql
        .query("SELECT ciphertext FROM cardsdk_sessions WHERE ciphertext IS NOT NULL ORDER BY key", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(before.len(), after.len());
    assert!(before.iter().zip(&after).skip(1).all(|(b, a)| b != a), "every rotated row was rewritten");
    // The old keyring alone can no longer read rotated rows.
    assert!(matches!(old.load("user-01").await, Err(StoreError::Crypto(CryptoError::UnknownKeyId { .. }))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_is_a_backend_error() {
    let Some((_, conninfo)) = database("dropped") else { return };
    let store = PostgresStore::connect(&conninfo, keyring_1()).await.unwrap();
    raw(&conninfo).await.execute("DROP TABLE cardsdk_sessions", &[]).await.unwrap();
    let err = store.load("user").await.unwrap_err();
    assert!(matches!(err, StoreError::Backend { .. }), "{err:?}");
    assert!(!err.is_unavailable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_server_is_unavailable_at_once() {
    if pg_harness::skip_requested() {
        return;
    }
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let err = PostgresStore::connect(&format!("host=127.0.0.1 port={port} user=app dbname=app"), keyring_1())
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let err = PostgresStore::connect("host=127.0.0.1 port=notaport password=hunter2", keyring_1()).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidInput { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

/// The server stops mid-run (as in a crash or a failover): typed `Unavailable` errors while it is down, within
/// the operation timeout; once it is back, the same store works again on new connections, with its data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_restarted_mid_run() {
    let Some(server) = pg_harness::require_own() else { return };
    let db = server.create_database("restart").unwrap();
    let options =
        PostgresOptions::new().pool_size(4).connect_timeout(Duration::from_secs(1)).op_timeout(Duration::from_secs(2));
    let store = PostgresStore::connect_with(&server.conninfo(&db), keyring_1(), options).await.unwrap();
    let v1 = store.save("user", &payload("before"), Version::NONE).await.unwrap();
    assert!(store.try_lease("user", "me", Duration::from_secs(60)).await.unwrap().acquired().is_some());

    server.stop().unwrap();
    let down = Instant::now();
    for attempt in 0..3 {
        let started = Instant::now();
        let errors = [
            store.load("user").await.unwrap_err(),
            store.save("user", &payload("during"), v1).await.unwrap_err(),
            store.try_lease("user", "other", Duration::from_secs(5)).await.unwrap_err(),
            store.renew("user", "me", Duration::from_secs(5)).await.unwrap_err(),
        ];
        for err in &errors {
            assert!(err.is_unavailable(), "attempt {attempt}: {err:?}");
            assert!(!format!("{err} {err:?}").contains("SECRET"));
        }
        assert!(started.elapsed() < Duration::from_secs(9), "errors come within the timeouts");
    }
    eprintln!("down for {:?}; last error: {}", down.elapsed(), store.load("user").await.unwrap_err());

    server.restart().unwrap();
    let record = store.load("user").await.expect("the first call after the restart succeeds");
    assert_eq!(record.version, v1);
    assert_eq!(record.payload.unwrap().expose_secret(), payload("before").as_slice());
    let v2 = store.save("user", &payload("after"), v1).await.unwrap();
    assert_eq!(v2, Version::new(2));
    assert!(store.renew("user", "me", Duration::from_secs(5)).await.is_ok(), "the lease outlived the restart");
    assert!(store.release("user", "me").await.unwrap());
}
