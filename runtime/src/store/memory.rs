//! [`MemoryStore`]: the contract within one process.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use secrecy::SecretSlice;

use super::{Lease, LeaseAttempt, Record, SessionStore, StoreError, StoreFuture, Version, check_key, check_lease};

/// Keeps the records and leases in memory, shared by the tasks and threads of one process (clone an
/// `Arc<MemoryStore>`); lease expiry by the monotonic clock. Nothing survives the process.
///
/// ```
/// use std::time::Duration;
/// use cardsdk_runtime::store::{LeaseAttempt, MemoryStore, SessionStore, Version};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
///
/// let store = MemoryStore::new();
/// assert!(store.load("user-1").await.unwrap().is_empty());
/// let v1 = store.save("user-1", b"tokens", Version::NONE).await.unwrap();
/// assert_eq!(v1, Version::new(1));
///
/// let lease = store.try_lease("user-1", "task-a", Duration::from_secs(5)).await.unwrap();
/// assert!(matches!(lease, LeaseAttempt::Acquired(_)));
/// let other = store.try_lease("user-1", "task-b", Duration::from_secs(5)).await.unwrap();
/// assert!(matches!(other, LeaseAttempt::Busy { ref holder, .. } if holder == "task-a"));
/// assert!(store.release("user-1", "task-a").await.unwrap());
/// # });
/// ```
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Default)]
struct Entry {
    version: Version,
    payload: Option<SecretSlice<u8>>,
    lease: Option<(String, Instant)>,
}

impl MemoryStore {
    /// An empty store.
    ///
    /// ```
    /// let store = cardsdk_runtime::store::MemoryStore::new();
    /// assert_eq!(format!("{store:?}"), "MemoryStore { keys: 0 }");
    /// ```
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // Every update below is a single assignment, so a panic elsewhere cannot leave an entry half-written.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn save_now(&self, key: &str, payload: Option<&[u8]>, expected: Version) -> Result<Version, StoreError> {
        check_key(key)?;
        let mut entries = self.entries();
        let entry = entries.entry(key.to_owned()).or_default();
        if entry.version != expected {
            return Err(StoreError::Conflict { expected, current: entry.version });
        }
        if payload.is_none() && entry.payload.is_none() {
            return Ok(entry.version);
        }
        entry.version = expected.next();
        entry.payload = payload.map(|p| SecretSlice::from(p.to_vec()));
        Ok(entry.version)
    }

    fn try_lease_now(&self, key: &str, holder: &str, ttl: Duration) -> Result<LeaseAttempt, StoreError> {
        check_key(key)?;
        check_lease(holder, ttl)?;
        let now = Instant::now();
        let mut entries = self.entries();
        let entry = entries.entry(key.to_owned()).or_default();
        match &entry.lease {
            Some((other, until)) if other != holder && *until > now => {
                Ok(LeaseAttempt::Busy { holder: other.clone(), remaining: *until - now })
            }
            _ => {
                entry.lease = Some((holder.to_owned(), now + ttl));
                Ok(LeaseAttempt::Acquired(Lease::new(key, holder, ttl, now)))
            }
        }
    }

    fn renew_now(&self, key: &str, holder: &str, ttl: Duration) -> Result<Lease, StoreError> {
        check_key(key)?;
        check_lease(holder, ttl)?;
        let now = Instant::now();
        let mut entries = self.entries();
        match entries.get_mut(key).and_then(|e| e.lease.as_mut()) {
            Some((current, until)) if current == holder && *until > now => {
                *until = now + ttl;
                Ok(Lease::new(key, holder, ttl, now))
            }
            _ => Err(StoreError::LeaseLost),
        }
    }

    fn release_now(&self, key: &str, holder: &str) -> Result<bool, StoreError> {
        check_key(key)?;
        let now = Instant::now();
        let mut entries = self.entries();
        let Some(entry) = entries.get_mut(key) else { return Ok(false) };
        match &entry.lease {
            Some((current, until)) if current == holder => {
                let live = *until > now;
                entry.lease = None;
                Ok(live)
            }
            _ => Ok(false),
        }
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore").field("keys", &self.entries().len()).finish()
    }
}

impl SessionStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Record> {
        let result = check_key(key).map(|()| match self.entries().get(key) {
            Some(entry) => Record { version: entry.version, payload: entry.payload.clone() },
            None => Record::empty(),
        });
        Box::pin(async move { result })
    }

    fn save<'a>(&'a self, key: &'a str, payload: &'a [u8], expected: Version) -> StoreFuture<'a, Version> {
        let result = self.save_now(key, Some(payload), expected);
        Box::pin(async move { result })
    }

    fn clear<'a>(&'a self, key: &'a str, expected: Version) -> StoreFuture<'a, Version> {
        let result = self.save_now(key, None, expected);
        Box::pin(async move { result })
    }

    fn try_lease<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, LeaseAttempt> {
        let result = self.try_lease_now(key, holder, ttl);
        Box::pin(async move { result })
    }

    fn renew<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, Lease> {
        let result = self.renew_now(key, holder, ttl);
        Box::pin(async move { result })
    }

    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> StoreFuture<'a, bool> {
        let result = self.release_now(key, holder);
        Box::pin(async move { result })
    }
}
