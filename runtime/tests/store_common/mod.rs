//! What the store tests share: the contract suite (every check runs over `Arc<dyn SessionStore>`, so that every
//! store passes the same one) and the child-process machinery of the cross-process tests.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cardsdk_runtime::store::{LeaseAttempt, SessionStore, StoreError, Version};
use secrecy::ExposeSecret as _;

pub type Store = Arc<dyn SessionStore>;

/// A payload that is not UTF-8 and holds something that looks like a token.
pub fn payload(tag: &str) -> Vec<u8> {
    let mut bytes = format!("{{\"access_token\":\"at-{tag}\",\"refresh_token\":\"rt-SECRET-{tag}\"}}").into_bytes();
    bytes.extend_from_slice(&[0, 0xff, 0xfe, b'\n']);
    bytes
}

pub async fn payload_of(store: &dyn SessionStore, key: &str) -> Option<Vec<u8>> {
    store.load(key).await.unwrap().payload.map(|p| p.expose_secret().to_vec())
}

const TTL: Duration = Duration::from_secs(30);

// ----------------------------------------------------------------------------------------------------------
// The contract
// ----------------------------------------------------------------------------------------------------------

/// A key never written loads empty, at version zero.
pub async fn unknown_key_is_empty(store: Store, p: &str) {
    let record = store.load(&format!("{p}/nobody")).await.unwrap();
    assert_eq!(record.version, Version::NONE);
    assert!(record.is_empty());
}

/// Saves raise the version by one and load back byte for byte (binary, and large).
pub async fn save_and_load(store: Store, p: &str) {
    let key = format!("{p}/user");
    let v1 = store.save(&key, &payload("1"), Version::NONE).await.unwrap();
    assert_eq!(v1, Version::new(1));
    assert_eq!(payload_of(&*store, &key).await.unwrap(), payload("1"));
    let big: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let v2 = store.save(&key, &big, v1).await.unwrap();
    assert_eq!(v2, Version::new(2));
    let record = store.load(&key).await.unwrap();
    assert_eq!(record.version, v2);
    assert_eq!(record.payload.unwrap().expose_secret(), big.as_slice());
    let v3 = store.save(&key, b"", v2).await.unwrap();
    assert_eq!(payload_of(&*store, &key).await.unwrap(), b"", "an empty payload is a payload");
    assert_eq!(v3, Version::new(3));
}

/// Two writers read the same version; the second to save is refused and told the current version, and the
/// first one's payload stays.
pub async fn stale_writer_is_refused(store: Store, p: &str) {
    let key = format!("{p}/user");
    let v1 = store.save(&key, &payload("base"), Version::NONE).await.unwrap();
    let seen_by_a = store.load(&key).await.unwrap().version;
    let seen_by_b = store.load(&key).await.unwrap().version;
    assert_eq!((seen_by_a, seen_by_b), (v1, v1));
    let v2 = store.save(&key, &payload("a"), seen_by_a).await.unwrap();
    match store.save(&key, &payload("b"), seen_by_b).await {
        Err(StoreError::Conflict { expected, current }) => assert_eq!((expected, current), (v1, v2)),
        other => panic!("a stale save must be refused, got {other:?}"),
    }
    assert_eq!(payload_of(&*store, &key).await.unwrap(), payload("a"));
    // Nor can a first save overwrite an existing record, nor a save name a version from the future.
    assert!(store.save(&key, &payload("c"), Version::NONE).await.unwrap_err().is_conflict());
    assert!(store.save(&key, &payload("c"), Version::new(99)).await.unwrap_err().is_conflict());
    match store.save(&format!("{p}/absent"), &payload("d"), Version::new(5)).await {
        Err(StoreError::Conflict { current, .. }) => assert_eq!(current, Version::NONE),
        other => panic!("{other:?}"),
    }
}

/// A clear keeps the version (raised), so writers that read before it are still refused.
pub async fn clear_keeps_versions_monotonic(store: Store, p: &str) {
    let key = format!("{p}/user");
    let v1 = store.save(&key, &payload("1"), Version::NONE).await.unwrap();
    let v2 = store.clear(&key, v1).await.unwrap();
    assert_eq!(v2, Version::new(2));
    let record = store.load(&key).await.unwrap();
    assert_eq!(record.version, v2);
    assert!(record.is_empty());
    // A writer from before the clear, or one that thinks the key was never written: refused.
    assert!(store.save(&key, &payload("stale"), v1).await.unwrap_err().is_conflict());
    assert!(store.save(&key, &payload("stale"), Version::NONE).await.unwrap_err().is_conflict());
    // Clearing an empty record at its version changes nothing; at another version is a conflict.
    assert_eq!(store.clear(&key, v2).await.unwrap(), v2);
    assert!(store.clear(&key, v1).await.unwrap_err().is_conflict());
    // The next sign-in saves at the cleared version.
    let v3 = store.save(&key, &payload("again"), v2).await.unwrap();
    assert_eq!(v3, Version::new(3));
    assert_eq!(payload_of(&*store, &key).await.unwrap(), payload("again"));
    // A key never written clears to nothing at version zero.
    assert_eq!(store.clear(&format!("{p}/never"), Version::NONE).await.unwrap(), Version::NONE);
}

/// One holder at a time; the holder can take it again; release hands it over.
pub async fn lease_is_exclusive(store: Store, p: &str) {
    let key = format!("{p}/user");
    let lease = store.try_lease(&key, "a", TTL).await.unwrap().acquired().expect("a free lease is granted");
    assert_eq!((lease.key(), lease.holder(), lease.ttl()), (key.as_str(), "a", TTL));
    assert!(lease.remaining() <= TTL && lease.remaining() > TTL - Duration::from_secs(5));
    match store.try_lease(&key, "b", TTL).await.unwrap() {
        LeaseAttempt::Busy { holder, remaining } => {
            assert_eq!(holder, "a");
            assert!(remaining <= TTL && remaining > TTL - Duration::from_secs(5), "{remaining:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(store.try_lease(&key, "a", TTL).await.unwrap().acquired().is_some(), "the holder takes it again");
    assert!(!store.release(&key, "b").await.unwrap(), "a stranger releases nothing");
    assert!(matches!(store.try_lease(&key, "b", TTL).await.unwrap(), LeaseAttempt::Busy { .. }));
    assert!(store.release(&key, "a").await.unwrap());
    assert!(!store.release(&key, "a").await.unwrap(), "releasing twice is harmless");
    assert!(store.try_lease(&key, "b", TTL).await.unwrap().acquired().is_some());
    // Leases of other keys are independent.
    assert!(store.try_lease(&format!("{p}/other"), "a", TTL).await.unwrap().acquired().is_some());
}

/// A lease runs out on its own; then another holder takes it and the old holder has lost it.
pub async fn lease_expires(store: Store, p: &str) {
    let key = format!("{p}/user");
    let short = Duration::from_millis(300);
    assert!(store.try_lease(&key, "a", short).await.unwrap().acquired().is_some());
    assert!(matches!(store.try_lease(&key, "b", TTL).await.unwrap(), LeaseAttempt::Busy { .. }));
    tokio::time::sleep(short + Duration::from_millis(100)).await;
    assert!(store.try_lease(&key, "b", TTL).await.unwrap().acquired().is_some(), "expired: b takes it");
    assert!(matches!(store.renew(&key, "a", TTL).await, Err(StoreError::LeaseLost)));
    assert!(!store.release(&key, "a").await.unwrap());
    assert!(store.renew(&key, "b", TTL).await.is_ok());

    // Expired and untouched: still lost for renew, but the holder may take it again.
    let key = format!("{p}/alone");
    assert!(store.try_lease(&key, "a", Duration::from_millis(100)).await.unwrap().acquired().is_some());
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(matches!(store.renew(&key, "a", TTL).await, Err(StoreError::LeaseLost)));
    assert!(!store.release(&key, "a").await.unwrap(), "an expired lease was no longer held");
    assert!(store.try_lease(&key, "a", TTL).await.unwrap().acquired().is_some());
}

/// Renewing moves the expiry forward.
pub async fn renew_extends(store: Store, p: &str) {
    let key = format!("{p}/user");
    let ttl = Duration::from_millis(600);
    assert!(store.try_lease(&key, "a", ttl).await.unwrap().acquired().is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let renewed = store.renew(&key, "a", ttl).await.unwrap();
    assert_eq!(renewed.holder(), "a");
    tokio::time::sleep(Duration::from_millis(400)).await; // past the first expiry, within the renewed one
    assert!(matches!(store.try_lease(&key, "b", ttl).await.unwrap(), LeaseAttempt::Busy { .. }));
    assert!(matches!(store.renew(&key, "b", ttl).await, Err(StoreError::LeaseLost)));
}

/// Leases and records are independent: a lease neither changes the version nor blocks a save.
pub async fn leases_leave_records_alone(store: Store, p: &str) {
    let key = format!("{p}/user");
    assert!(store.try_lease(&key, "a", TTL).await.unwrap().acquired().is_some());
    let record = store.load(&key).await.unwrap();
    assert_eq!(record.version, Version::NONE, "a lease on a key never written leaves it unwritten");
    assert!(record.is_empty());
    let v1 = store.save(&key, &payload("1"), Version::NONE).await.unwrap(); // anyone may save: the version guards
    assert!(store.release(&key, "a").await.unwrap());
    assert_eq!(store.load(&key).await.unwrap().version, v1);
    assert!(store.try_lease(&key, "b", TTL).await.unwrap().acquired().is_some());
    let v2 = store.clear(&key, v1).await.unwrap();
    assert_eq!(store.load(&key).await.unwrap().version, v2);
    assert!(store.renew(&key, "b", TTL).await.is_ok(), "a clear leaves the lease");
}

/// Many keys, written concurrently, each keeps its own payload and version.
pub async fn many_keys(store: Store, p: &str) {
    let keys: Vec<String> = (0..200).map(|i| format!("{p}/user-{i}")).collect();
    let mut tasks = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let (store, key) = (store.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut version = Version::NONE;
            for round in 0..=(i % 3) {
                version = store.save(&key, &payload(&format!("{i}-{round}")), version).await.unwrap();
            }
            version
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let version = task.await.unwrap();
        assert_eq!(version, Version::new((i % 3 + 1) as u64));
        let record = store.load(&keys[i]).await.unwrap();
        assert_eq!(record.version, version);
        assert_eq!(record.payload.unwrap().expose_secret(), payload(&format!("{i}-{}", i % 3)).as_slice());
    }
    // Unusual keys are keys too.
    for key in ["Üser 1", "user/../etc", "a:b@c.d", ".hidden", "~tilde", "UPPER", "upper"] {
        let key = format!("{p}/{key}");
        store.save(&key, key.as_bytes(), Version::NONE).await.unwrap();
    }
    for key in ["Üser 1", "user/../etc", "a:b@c.d", ".hidden", "~tilde", "UPPER", "upper"] {
        let key = format!("{p}/{key}");
        assert_eq!(payload_of(&*store, &key).await.unwrap(), key.as_bytes());
    }
}

/// Writers racing on one key (tasks of this process): every version has exactly one winner.
pub async fn racing_writers_one_winner_per_version(store: Store, p: &str) {
    let key = format!("{p}/user");
    let wins = Arc::new(std::sync::Mutex::new(BTreeMap::<u64, usize>::new()));
    let conflicts = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for writer in 0..6 {
        let (store, key, wins, conflicts) = (store.clone(), key.clone(), wins.clone(), conflicts.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..15 {
                let seen = store.load(&key).await.unwrap().version;
                match store.save(&key, &payload(&format!("{writer}-{round}")), seen).await {
                    Ok(v) => {
                        assert_eq!(v, seen.next());
                        let previous = wins.lock().unwrap().insert(v.get(), writer);
                        assert!(previous.is_none(), "version {v} won twice");
                    }
                    Err(StoreError::Conflict { current, .. }) => {
                        assert!(current > seen);
                        conflicts.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let last = store.load(&key).await.unwrap();
    let wins = wins.lock().unwrap();
    assert_eq!(wins.len() as u64, last.version.get(), "every version has exactly one winner");
    assert_eq!(wins.keys().copied().collect::<Vec<_>>(), (1..=last.version.get()).collect::<Vec<_>>());
    assert_eq!(wins.len() as u64 + conflicts.load(Ordering::Relaxed), 6 * 15);
}

/// Under the lease, read-modify-write never conflicts: the lease excludes.
pub async fn lease_serializes_renewals(store: Store, p: &str) {
    let key = format!("{p}/user");
    let mut tasks = Vec::new();
    for worker in 0..5 {
        let (store, key) = (store.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let holder = format!("worker-{worker}");
            let mut done = 0;
            let deadline = Instant::now() + Duration::from_secs(30);
            while done < 8 {
                assert!(Instant::now() < deadline, "starved");
                match store.try_lease(&key, &holder, Duration::from_secs(10)).await.unwrap() {
                    LeaseAttempt::Acquired(_) => {
                        let seen = store.load(&key).await.unwrap().version;
                        tokio::task::yield_now().await;
                        store.save(&key, &payload(&holder), seen).await.expect("no conflict under the lease");
                        assert!(store.release(&key, &holder).await.unwrap());
                        done += 1;
                    }
                    LeaseAttempt::Busy { .. } => tokio::time::sleep(Duration::from_millis(1)).await,
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(store.load(&key).await.unwrap().version, Version::new(40));
}

/// Bad arguments are typed errors.
pub async fn invalid_input_is_refused(store: Store, p: &str) {
    assert!(matches!(store.load("").await, Err(StoreError::InvalidInput { what: "key", .. })));
    assert!(matches!(store.save("a\u{0}b", b"x", Version::NONE).await, Err(StoreError::InvalidInput { .. })));
    assert!(matches!(store.load(&"k".repeat(257)).await, Err(StoreError::InvalidInput { .. })));
    let key = format!("{p}/user");
    assert!(matches!(store.try_lease(&key, "", TTL).await, Err(StoreError::InvalidInput { .. })));
    assert!(matches!(store.try_lease(&key, "a", Duration::ZERO).await, Err(StoreError::InvalidInput { .. })));
    assert!(matches!(store.renew(&key, "a\n", TTL).await, Err(StoreError::InvalidInput { .. })));
    assert!(store.load(&"k".repeat(256)).await.is_ok(), "256 bytes is the limit");
}

/// Neither `Debug` output nor errors show a payload.
pub async fn nothing_shows_the_payload(store: Store, p: &str) {
    let key = format!("{p}/user");
    let v1 = store.save(&key, &payload("visible"), Version::NONE).await.unwrap();
    let record = store.load(&key).await.unwrap();
    let err = store.save(&key, &payload("other"), Version::NONE).await.unwrap_err();
    for text in [format!("{record:?}"), format!("{store:?}"), format!("{err:?}"), err.to_string()] {
        assert!(!text.contains("SECRET"), "{text}");
    }
    assert_eq!(record.version, v1);
}

// ----------------------------------------------------------------------------------------------------------
// Child processes
// ----------------------------------------------------------------------------------------------------------

/// The environment variable naming a child's role; set only in children.
pub const ROLE: &str = "CARDSDK_STORE_CHILD_ROLE";

/// Runs `count` copies of this test binary's `entry` test (an `#[ignore]`d test) with `env`, each with its
/// index in `CARDSDK_STORE_CHILD_INDEX`, all at once, and returns their `@@` lines, per child.
pub fn run_children(entry: &str, role: &str, count: usize, env: &[(&str, &str)]) -> Vec<Vec<String>> {
    let children: Vec<_> = (0..count)
        .map(|i| {
            let index = i.to_string();
            let own = [(ROLE, role), ("CARDSDK_STORE_CHILD_INDEX", index.as_str())];
            pg_harness::instances::spawn(entry, own.iter().chain(env).copied())
        })
        .collect();
    // A `die` child exits before the test harness reports.
    pg_harness::instances::finish(children, role == "die")
        .iter()
        .map(|out| pg_harness::instances::marked(out))
        .collect()
}

/// This child's role and index, if this process is a child.
pub fn child_role() -> Option<(String, usize)> {
    let role = std::env::var(ROLE).ok()?;
    let index = std::env::var("CARDSDK_STORE_CHILD_INDEX").ok()?.parse().ok()?;
    Some((role, index))
}

/// Child role `race`: `rounds` of load-then-save on `key`, printing `@@WIN <version>` for each save won.
pub async fn child_race(store: &dyn SessionStore, key: &str, index: usize, rounds: usize) {
    for round in 0..rounds {
        let seen = store.load(key).await.unwrap().version;
        match store.save(key, &payload(&format!("{index}-{round}")), seen).await {
            Ok(v) => println!("@@WIN {} {index} {round}", v.get()),
            Err(StoreError::Conflict { .. }) => println!("@@CONFLICT"),
            Err(e) => panic!("{e}"),
        }
    }
}

/// Child role `leased`: `rounds` increments of `key`, each under the lease; prints `@@DONE` for each and
/// `@@UNEXPECTED` for a conflict under the lease.
pub async fn child_leased(store: &dyn SessionStore, key: &str, index: usize, rounds: usize) {
    let holder = cardsdk_runtime::store::unique_holder(&format!("child-{index}"));
    let mut done = 0;
    let deadline = Instant::now() + Duration::from_secs(40);
    while done < rounds {
        assert!(Instant::now() < deadline, "starved");
        match store.try_lease(key, &holder, Duration::from_secs(10)).await.unwrap() {
            LeaseAttempt::Acquired(_) => {
                let seen = store.load(key).await.unwrap().version;
                match store.save(key, &payload(&holder), seen).await {
                    Ok(_) => println!("@@DONE"),
                    Err(e) => println!("@@UNEXPECTED {e}"),
                }
                store.release(key, &holder).await.unwrap();
                done += 1;
            }
            LeaseAttempt::Busy { .. } => tokio::time::sleep(Duration::from_millis(2)).await,
        }
    }
}

/// Child role `die`: takes the lease of `key` for `ttl` and exits at once without releasing it.
pub async fn child_die_holding(store: &dyn SessionStore, key: &str, ttl: Duration) -> ! {
    let lease = store.try_lease(key, "doomed-child", ttl).await.unwrap();
    assert!(lease.acquired().is_some());
    println!("@@TAKEN");
    use std::io::Write as _;
    std::io::stdout().flush().unwrap();
    std::process::exit(0) // no release, no destructors
}

/// Checks the children's `race` lines against the final record: each version won exactly once.
pub async fn check_race(store: &dyn SessionStore, key: &str, lines: &[Vec<String>], total: usize) {
    let mut winners = BTreeMap::new();
    let mut conflicts = 0;
    for (child, lines) in lines.iter().enumerate() {
        for line in lines {
            let mut parts = line.split(' ');
            match parts.next() {
                Some("WIN") => {
                    let version: u64 = parts.next().unwrap().parse().unwrap();
                    let round: usize = parts.nth(1).unwrap().parse().unwrap();
                    assert!(winners.insert(version, (child, round)).is_none(), "version {version} won twice");
                }
                Some("CONFLICT") => conflicts += 1,
                _ => panic!("unexpected line {line}"),
            }
        }
    }
    assert_eq!(winners.len() + conflicts, total);
    let last = store.load(key).await.unwrap();
    let versions: BTreeSet<u64> = winners.keys().copied().collect();
    assert_eq!(versions, (1..=last.version.get()).collect(), "each version has exactly one winner, none lost");
    let (child, round) = winners[&last.version.get()];
    assert_eq!(last.payload.unwrap().expose_secret(), payload(&format!("{child}-{round}")).as_slice());
    eprintln!("{} processes: {} wins, {conflicts} refused stale saves", lines.len(), winners.len());
}

/// Waits for `key`'s lease, held by a dead process, to run out; returns how long that took.
pub async fn take_after_expiry(store: &dyn SessionStore, key: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    match store.try_lease(key, "survivor", TTL).await.unwrap() {
        LeaseAttempt::Busy { holder, .. } => assert_eq!(holder, "doomed-child", "the dead holder's lease stays"),
        LeaseAttempt::Acquired(_) => panic!("the dead child's lease was free at once"),
    }
    loop {
        if store.try_lease(key, "survivor", TTL).await.unwrap().acquired().is_some() {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "the lease of a dead holder never ran out");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
