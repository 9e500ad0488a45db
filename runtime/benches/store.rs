//! Per-call cost of the session stores: `load`, `save` (a compare-and-swap that wins) and a lease cycle
//! (`try_lease` + `release`), for [`MemoryStore`], [`FileStore`] (a temporary directory; every save is flushed to
//! disk) and [`PostgresStore`] (a private local server started by `pg-harness`, `fsync` off, over TCP on
//! 127.0.0.1; payloads AES-256-GCM encrypted).
//!
//! `cargo bench -p cardsdk-runtime --bench store`. The PostgreSQL group is skipped (with a message) when no
//! server can be started.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cardsdk_runtime::store::{EncryptionKey, FileStore, Keyring, MemoryStore, PostgresStore, SessionStore, Version};
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::runtime::Runtime;

/// About the size of a token set's JSON.
fn payload() -> Vec<u8> {
    let mut json = String::from("{\"format\":1,\"access_token\":\"");
    json.push_str(&"a".repeat(700));
    json.push_str("\",\"refresh_token\":\"");
    json.push_str(&"r".repeat(200));
    json.push_str("\",\"expires_at\":1767225600,\"region\":\"us\"}");
    json.into_bytes()
}

fn bench_store(c: &mut Criterion, runtime: &Runtime, name: &str, store: Arc<dyn SessionStore>) {
    let payload = Arc::new(payload());
    let mut group = c.benchmark_group(name);
    runtime.block_on(store.save("bench-load", &payload, Version::NONE)).unwrap();

    group.bench_function("load", |b| {
        b.to_async(runtime).iter(|| {
            let store = store.clone();
            async move { store.load("bench-load").await.unwrap() }
        })
    });

    let version = Arc::new(AtomicU64::new(0));
    group.bench_function("save", |b| {
        b.to_async(runtime).iter(|| {
            let (store, payload, version) = (store.clone(), payload.clone(), version.clone());
            async move {
                let expected = Version::new(version.load(Ordering::Relaxed));
                let next = store.save("bench-save", &payload, expected).await.unwrap();
                version.store(next.get(), Ordering::Relaxed);
            }
        })
    });

    group.bench_function("lease_cycle", |b| {
        b.to_async(runtime).iter(|| {
            let store = store.clone();
            async move {
                let lease = store.try_lease("bench-lease", "bench", Duration::from_secs(30)).await.unwrap();
                assert!(lease.acquired().is_some());
                assert!(store.release("bench-lease", "bench").await.unwrap());
            }
        })
    });
    group.finish();
}

fn stores(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

    bench_store(c, &runtime, "memory", Arc::new(MemoryStore::new()));

    let dir = tempfile::tempdir().unwrap();
    bench_store(c, &runtime, "file", Arc::new(FileStore::new(dir.path()).unwrap()));

    match pg_harness::PgServer::shared() {
        Ok(server) => {
            let db = server.create_database("bench").unwrap();
            let keyring = Keyring::new("bench", EncryptionKey::generate().unwrap()).unwrap();
            let store = runtime.block_on(PostgresStore::connect(&server.conninfo(&db), keyring)).unwrap();
            bench_store(c, &runtime, "postgres", Arc::new(store));
        }
        Err(e) => eprintln!("postgres: skipped ({e})"),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = stores
}
criterion_main!(benches);
