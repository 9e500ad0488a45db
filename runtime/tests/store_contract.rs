//! One contract, every store: the same checks (`store_common`) over `Arc<dyn SessionStore>` for
//! [`MemoryStore`], [`FileStore`] and [`PostgresStore`] (on a real, private PostgreSQL server that the test
//! starts; see `pg-harness`).

mod store_common;

use std::sync::Arc;

use cardsdk_runtime::store::{EncryptionKey, FileStore, Keyring, MemoryStore, PostgresStore};
use store_common::Store;

/// A store and whatever must live as long as it (a temporary directory).
struct Fixture {
    store: Store,
    prefix: String,
    _keep: Option<tempfile::TempDir>,
}

async fn memory() -> Option<Fixture> {
    Some(Fixture { store: Arc::new(MemoryStore::new()), prefix: "mem".into(), _keep: None })
}

async fn file() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("sessions")).unwrap();
    Some(Fixture { store: Arc::new(store), prefix: "file".into(), _keep: Some(dir) })
}

async fn postgres() -> Option<Fixture> {
    let server = pg_harness::require()?;
    let db = server.create_database("contract").unwrap();
    let keyring = Keyring::new("test-1", EncryptionKey::generate().unwrap()).unwrap();
    let store = PostgresStore::connect(&server.conninfo(&db), keyring).await.unwrap();
    Some(Fixture { store: Arc::new(store), prefix: "pg".into(), _keep: None })
}

macro_rules! contract {
    ($store:ident: $($check:ident),* $(,)?) => {
        mod $store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(fixture) = super::$store().await else { return };
                    super::store_common::$check(fixture.store.clone(), &fixture.prefix).await;
                }
            )*
        }
    };
}

macro_rules! contract_for_every_store {
    ($($check:ident),* $(,)?) => {
        contract!(memory: $($check),*);
        contract!(file: $($check),*);
        contract!(postgres: $($check),*);
    };
}

contract_for_every_store!(
    unknown_key_is_empty,
    save_and_load,
    stale_writer_is_refused,
    clear_keeps_versions_monotonic,
    lease_is_exclusive,
    lease_expires,
    renew_extends,
    leases_leave_records_alone,
    many_keys,
    racing_writers_one_winner_per_version,
    lease_serializes_renewals,
    invalid_input_is_refused,
    nothing_shows_the_payload,
);
