//! Session stores that several instances can share: versioned records, compare-and-swap saves and renewal
//! leases — the contract under the SDKs' token stores when many processes act for the same users.
//!
//! # The problem
//!
//! Refresh tokens rotate: after a refresh only the new refresh token is valid. When several replicas (or
//! processes on one machine) hold the same user's session and its access token expires, each one refreshing on
//! its own means all but one refresh is refused — and a replica that then "ends the session" wipes the tokens the
//! winner just saved. A [`SessionStore`] gives them what they need to coordinate:
//!
//! - **Keyed records** ([`Record`]): one store serves many sessions, each under its own key (a user id, say).
//!   The payload is opaque bytes (each SDK stores its own token JSON), kept in a [`SecretSlice`] so that it never
//!   shows in `Debug` output.
//! - **A version** ([`Version`]) per key, raised by every save and clear: [`SessionStore::save`] and
//!   [`SessionStore::clear`] take the version the caller last read and are refused with
//!   [`StoreError::Conflict`] when the store holds another one, so a stale writer cannot overwrite a newer
//!   rotation. Versions never go back, not even after a clear (the record then has a version and no payload),
//!   so a writer that read before a sign-out cannot overwrite the next sign-in either.
//! - **A renewal lease** per key ([`SessionStore::try_lease`], [`renew`](SessionStore::renew),
//!   [`release`](SessionStore::release)): at most one holder at a time, and it expires on its own after its TTL
//!   if the holder dies.
//!
//! # The renewal path
//!
//! ```text
//! try_lease(key) ──Busy──▶ wait (LeaseWait), load(key): someone else rotated? use their tokens
//!      │Acquired
//!      ▼
//! load(key) ── the stored version is newer than mine and its access token fresh? ──▶ use it, release
//!      │ no
//!      ▼
//! refresh with the stored refresh token ──▶ save(key, new, version) ──▶ release
//!      │ refused                                   │ Conflict: another writer won; load and use theirs
//!      ▼
//! load(key) again: newer tokens stored? use them. Only "refresh token dead" and nothing newer ends the session
//! (clear(key, version)).
//! ```
//!
//! The same path, in code, over any store:
//!
//! ```
//! use std::time::Duration;
//! use cardsdk_runtime::store::{LeaseAttempt, LeaseWait, MemoryStore, SessionStore, StoreError, Version};
//!
//! /// Renews the session under `key` unless another instance already did; returns the tokens to use.
//! async fn renew(store: &dyn SessionStore, key: &str, me: &str, seen: Version) -> Result<Vec<u8>, StoreError> {
//!     let mut wait = LeaseWait::new(Duration::from_secs(60));
//!     loop {
//!         match store.try_lease(key, me, Duration::from_secs(30)).await? {
//!             LeaseAttempt::Acquired(_lease) => break,
//!             LeaseAttempt::Busy { remaining, .. } => {
//!                 // A holder that keeps the lease for a minute: give up, it has the lease.
//!                 let Some(pause) = wait.next_pause(remaining) else { return Err(StoreError::LeaseLost) };
//!                 tokio::time::sleep(pause).await;
//!                 let record = store.load(key).await?;
//!                 if record.version > seen && let Some(tokens) = record.payload {
//!                     return Ok(secrecy::ExposeSecret::expose_secret(&tokens).to_vec()); // rotated meanwhile
//!                 }
//!             }
//!         }
//!     }
//!     let record = store.load(key).await?;
//!     let result = match record.payload {
//!         Some(tokens) if record.version > seen => Ok(secrecy::ExposeSecret::expose_secret(&tokens).to_vec()),
//!         _ => {
//!             let fresh = b"{\"access\":\"new\",\"refresh\":\"rotated\"}".to_vec(); // the refresh call
//!             store.save(key, &fresh, record.version).await.map(|_| fresh)
//!         }
//!     };
//!     store.release(key, me).await?;
//!     result
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! let v1 = store.save("user-1", b"{\"access\":\"old\"}", Version::NONE).await.unwrap();
//! let tokens = renew(&store, "user-1", "replica-a", v1).await.unwrap();
//! assert_eq!(tokens, b"{\"access\":\"new\",\"refresh\":\"rotated\"}");
//! assert_eq!(store.load("user-1").await.unwrap().version, v1.next());
//! # });
//! ```
//!
//! # Stores
//!
//! | store | shared by | lease clock | at rest |
//! | --- | --- | --- | --- |
//! | [`MemoryStore`] | the tasks of one process | the process's monotonic clock | memory |
//! | `FileStore` (feature `file-store`) | the processes of one machine (OS file locks) | the system clock | files, mode 0600 |
//! | `PostgresStore` (feature `postgres`) | any number of instances | the database server's clock | AES-256-GCM |
//!
//! Keys are 1 to 256 bytes of UTF-8 without control characters; lease holders 1 to 128 bytes, likewise.
//! Errors never contain a payload (the tokens), nor key material.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use secrecy::SecretSlice;

mod memory;
pub use memory::MemoryStore;

#[cfg(feature = "file-store")]
mod file;
#[cfg(feature = "file-store")]
pub use file::FileStore;

#[cfg(feature = "postgres")]
mod crypto;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
pub use crypto::{EncryptionKey, Keyring};
#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStore, RotationReport};
/// The PostgreSQL driver and pool the `postgres` store is built on, for [`PostgresStore::from_pool`] (TLS
/// connectors, custom pool settings) at the same versions.
#[cfg(feature = "postgres")]
pub use {deadpool_postgres, tokio_postgres};

/// A boxed future returned by [`SessionStore`] methods (object-safe: stores are used as `&dyn SessionStore`).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The boxed cause of an error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The version of a key's record: [`Version::NONE`] before the first save, then raised by one on every save and
/// every clear. Compare-and-swap operations take the version the caller last read.
///
/// ```
/// use cardsdk_runtime::store::Version;
///
/// assert_eq!(Version::NONE.get(), 0);
/// assert_eq!(Version::NONE.next(), Version::new(1));
/// assert!(Version::new(3) > Version::new(2));
/// assert_eq!(Version::new(7).to_string(), "7");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version(u64);

impl Version {
    /// The version of a key that was never written.
    pub const NONE: Version = Version(0);

    /// The version numbered `n`.
    pub const fn new(n: u64) -> Version {
        Version(n)
    }

    /// Its number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The version after this one.
    pub const fn next(self) -> Version {
        Version(self.0.saturating_add(1))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a store holds for a key: its version and, unless it was never saved or was cleared, the payload.
///
/// ```
/// use cardsdk_runtime::store::{Record, Version};
/// use secrecy::ExposeSecret as _;
///
/// let record = Record::new(Version::new(2), Some(b"tokens".to_vec()));
/// assert_eq!(record.payload.as_ref().unwrap().expose_secret(), b"tokens");
/// assert!(!format!("{record:?}").contains("tokens"), "Debug never shows the payload");
/// assert!(Record::empty().is_empty());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Record {
    /// The record's version ([`Version::NONE`] if the key was never written).
    pub version: Version,
    /// The saved bytes; `None` if never saved or cleared.
    pub payload: Option<SecretSlice<u8>>,
}

impl Record {
    /// A record of `version` holding `payload`.
    pub fn new(version: Version, payload: Option<Vec<u8>>) -> Record {
        Record { version, payload: payload.map(SecretSlice::from) }
    }

    /// The record of a key that was never written.
    pub fn empty() -> Record {
        Record { version: Version::NONE, payload: None }
    }

    /// Whether it holds no payload.
    pub fn is_empty(&self) -> bool {
        self.payload.is_none()
    }
}

/// A renewal lease, as acquired or renewed: for `key`, held by `holder`, until about [`Lease::expires_at`].
///
/// The expiry is measured from just before the request was sent, so this side's estimate is never later than
/// the store's.
///
/// ```
/// use std::time::{Duration, Instant};
/// use cardsdk_runtime::store::Lease;
///
/// let lease = Lease::new("user-1", "replica-a", Duration::from_secs(30), Instant::now());
/// assert_eq!((lease.key(), lease.holder()), ("user-1", "replica-a"));
/// assert!(!lease.is_expired() && lease.remaining() <= Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    key: String,
    holder: String,
    ttl: Duration,
    expires_at: Instant,
}

impl Lease {
    /// A lease for `key` held by `holder` for `ttl` counted from `started` (for store implementations).
    pub fn new(key: impl Into<String>, holder: impl Into<String>, ttl: Duration, started: Instant) -> Lease {
        Lease { key: key.into(), holder: holder.into(), ttl, expires_at: started + ttl }
    }

    /// The key it is for.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Who holds it.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// The time to live it was taken with.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// When it expires (this process's estimate; the store decides).
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// How long it still runs.
    pub fn remaining(&self) -> Duration {
        self.expires_at.saturating_duration_since(Instant::now())
    }

    /// Whether it has run out.
    pub fn is_expired(&self) -> bool {
        Instant::now() >= self.expires_at
    }
}

/// The outcome of [`SessionStore::try_lease`].
///
/// ```
/// use std::time::{Duration, Instant};
/// use cardsdk_runtime::store::{Lease, LeaseAttempt};
///
/// let busy = LeaseAttempt::Busy { holder: "replica-b".into(), remaining: Duration::from_secs(3) };
/// assert!(busy.acquired().is_none());
/// let got = LeaseAttempt::Acquired(Lease::new("k", "me", Duration::from_secs(1), Instant::now()));
/// assert_eq!(got.acquired().unwrap().holder(), "me");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum LeaseAttempt {
    /// The lease is now held by the caller.
    Acquired(Lease),
    /// Another holder has it.
    Busy {
        /// Who holds it.
        holder: String,
        /// How long it still runs unless renewed or released (zero if it was released meanwhile: try again).
        remaining: Duration,
    },
}

impl LeaseAttempt {
    /// The lease, if it was acquired.
    pub fn acquired(self) -> Option<Lease> {
        match self {
            LeaseAttempt::Acquired(lease) => Some(lease),
            LeaseAttempt::Busy { .. } => None,
        }
    }
}

/// A keyed, versioned store with renewal leases, shared by the instances that act for the same sessions.
///
/// Every method is atomic in the store. Implementations: [`MemoryStore`], `FileStore` (feature `file-store`),
/// `PostgresStore` (feature `postgres`); a third-party store must give the same guarantees (the crate's contract
/// tests, `runtime/tests/store_contract.rs`, show them).
///
/// ```
/// use cardsdk_runtime::store::{MemoryStore, SessionStore, StoreError, Version};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
///
/// let store: &dyn SessionStore = &MemoryStore::new();
/// let v1 = store.save("user-1", b"first", Version::NONE).await.unwrap();
/// let v2 = store.save("user-1", b"second", v1).await.unwrap();
/// // A writer that still believes in v1 is refused, and told what is there now.
/// match store.save("user-1", b"stale", v1).await {
///     Err(StoreError::Conflict { current, .. }) => assert_eq!(current, v2),
///     other => panic!("{other:?}"),
/// }
/// # });
/// ```
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// The record under `key` ([`Record::empty`] if it was never written).
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Record>;

    /// Stores `payload` under `key` if the stored version is `expected`, and returns the new version
    /// (`expected.next()`); otherwise fails with [`StoreError::Conflict`] and changes nothing.
    fn save<'a>(&'a self, key: &'a str, payload: &'a [u8], expected: Version) -> StoreFuture<'a, Version>;

    /// Removes the payload under `key` if the stored version is `expected`, and returns the new version (the
    /// version stays, raised by one, so that stale writers are still refused); a record already empty at
    /// `expected` is left as it is. Otherwise fails with [`StoreError::Conflict`].
    fn clear<'a>(&'a self, key: &'a str, expected: Version) -> StoreFuture<'a, Version>;

    /// Takes the renewal lease of `key` for `holder` for `ttl`, if no other holder has an unexpired one. A holder
    /// that already has it gets it again with the new `ttl`.
    fn try_lease<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, LeaseAttempt>;

    /// Extends `holder`'s unexpired lease of `key` to `ttl` from now; fails with [`StoreError::LeaseLost`] if it
    /// expired (even if nobody took it since) or another holder has it.
    fn renew<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, Lease>;

    /// Gives up `holder`'s lease of `key`. Returns whether it was still held (unexpired); releasing a lease that
    /// is not held is not an error.
    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> StoreFuture<'a, bool>;
}

impl<S: SessionStore + ?Sized> SessionStore for Arc<S> {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Record> {
        (**self).load(key)
    }
    fn save<'a>(&'a self, key: &'a str, payload: &'a [u8], expected: Version) -> StoreFuture<'a, Version> {
        (**self).save(key, payload, expected)
    }
    fn clear<'a>(&'a self, key: &'a str, expected: Version) -> StoreFuture<'a, Version> {
        (**self).clear(key, expected)
    }
    fn try_lease<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, LeaseAttempt> {
        (**self).try_lease(key, holder, ttl)
    }
    fn renew<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, Lease> {
        (**self).renew(key, holder, ttl)
    }
    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> StoreFuture<'a, bool> {
        (**self).release(key, holder)
    }
}

/// A session store failure. No variant, message or source ever contains a payload or key material.
///
/// ```
/// use cardsdk_runtime::store::{StoreError, Version};
///
/// let conflict = StoreError::Conflict { expected: Version::new(1), current: Version::new(2) };
/// assert_eq!(conflict.to_string(), "version conflict: expected version 1, the store has version 2");
/// assert!(!conflict.is_unavailable());
/// assert!(StoreError::unavailable("the database is down", None).is_unavailable());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be reached or used now (the database is down or unreachable, a timeout, the connection
    /// pool is exhausted, a file cannot be read or written, a file lock is not granted in time). Retrying later
    /// may succeed; the stored data is unchanged by the failed call unless the failure hid its answer (a
    /// timeout after sending: load again before deciding).
    #[error("the session store is unavailable: {reason}")]
    Unavailable {
        /// What failed, in words that quote no data.
        reason: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// A compare-and-swap was refused: the store holds another version than the caller expected.
    #[error("version conflict: expected version {expected}, the store has version {current}")]
    Conflict {
        /// The version the caller gave.
        expected: Version,
        /// The version the store holds.
        current: Version,
    },
    /// A stored record cannot be read: not in the store's format, or written for another key.
    #[error("a stored session record is corrupt: {reason}")]
    Corrupt {
        /// What is wrong, in words that quote no data.
        reason: String,
    },
    /// Encryption or decryption failed (an unknown key id, a wrong key, a row altered or moved).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// [`SessionStore::renew`]: the lease expired or another holder has it.
    #[error("the renewal lease is no longer held by this holder (it expired or another holder took it)")]
    LeaseLost,
    /// An argument the store cannot take (an empty key, a zero TTL, a malformed key id).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which argument.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The store refused the operation for a reason other than availability (a missing table or privilege, a
    /// schema newer than this code understands); retrying will not help.
    #[error("the session store refused the operation: {reason}")]
    Backend {
        /// What failed.
        reason: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
}

impl StoreError {
    /// An [`StoreError::Unavailable`] error.
    pub fn unavailable(reason: impl Into<String>, source: Option<BoxError>) -> StoreError {
        StoreError::Unavailable { reason: reason.into(), source }
    }

    /// Whether it is [`StoreError::Unavailable`] (worth retrying later).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }

    /// Whether it is [`StoreError::Conflict`].
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }
}

/// Why encryption or decryption at rest failed.
///
/// ```
/// use cardsdk_runtime::store::CryptoError;
///
/// let e = CryptoError::UnknownKeyId { key_id: "2024-01".into() };
/// assert_eq!(e.to_string(), "a stored session is encrypted under key id \"2024-01\", which is not in the keyring");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The record names a key id the keyring does not have (a retired key removed too early, or a wrong
    /// keyring).
    #[error("a stored session is encrypted under key id {key_id:?}, which is not in the keyring")]
    UnknownKeyId {
        /// The record's key id.
        key_id: String,
    },
    /// The record does not decrypt under its key: a different key under the same id, or the row was altered,
    /// or moved to another key or version.
    #[error("a stored session does not decrypt under key id {key_id:?} (wrong key, or the record was altered)")]
    Decrypt {
        /// The record's key id.
        key_id: String,
    },
    /// Encryption itself failed.
    #[error("cannot encrypt a session")]
    Encrypt,
    /// The operating system's random number generator failed.
    #[error("the operating system random number generator failed")]
    Random,
}

/// A holder id unique to this process and call: `label`, the process id and a counter, e.g. `api-7f3a/4121/3`.
/// Give each lease attempt's holder a name that no other process uses.
///
/// ```
/// let a = cardsdk_runtime::store::unique_holder("api");
/// let b = cardsdk_runtime::store::unique_holder("api");
/// assert!(a.starts_with("api/") && a != b);
/// ```
pub fn unique_holder(label: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
    });
    let label: String = label.chars().filter(|c| !c.is_control()).take(64).collect();
    format!("{label}/{}-{start:x}/{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// How an instance waits for a renewal lease that another one holds: it looks again after a few milliseconds,
/// then at doubling intervals up to [`LeaseWait::LONGEST`] — each pause jittered to 50–100 % of its step so that
/// waiters spread out, and never much longer than the lease still runs — and gives up after `max_wait`.
///
/// A renewal under the lease takes one refresh round trip plus a few store queries, so the first looks come
/// soon: a waiter sees the rotation at most about as late again as it has already waited. (The retry policy's
/// back-off is for failures; a lease held by a working instance is not one.)
///
/// ```
/// use std::time::Duration;
/// use cardsdk_runtime::store::LeaseWait;
///
/// let mut wait = LeaseWait::new(Duration::from_secs(60));
/// let first = wait.next_pause(Duration::from_secs(30)).unwrap();
/// assert!(first >= Duration::from_millis(2) && first <= LeaseWait::FIRST);
/// let pauses: Vec<Duration> = (0..20).map(|_| wait.next_pause(Duration::from_secs(30)).unwrap()).collect();
/// assert!(pauses.iter().all(|p| *p <= LeaseWait::LONGEST));
/// // Never far past the lease's end: it runs out on its own, and then the waiter takes it.
/// assert!(wait.next_pause(Duration::from_millis(1)).unwrap() <= Duration::from_millis(6));
/// ```
#[derive(Debug, Clone)]
pub struct LeaseWait {
    started: std::time::Instant,
    max_wait: Duration,
    looks: u32,
}

impl LeaseWait {
    /// The first step (the first pause is 50–100 % of it).
    pub const FIRST: Duration = Duration::from_millis(4);
    /// The longest step between two looks.
    pub const LONGEST: Duration = Duration::from_millis(250);

    /// A wait that starts now and gives up after `max_wait`.
    pub fn new(max_wait: Duration) -> LeaseWait {
        LeaseWait { started: std::time::Instant::now(), max_wait, looks: 0 }
    }

    /// The pause before the next look at a lease that runs for `remaining` more, or `None` once `max_wait` has
    /// passed (the holder keeps taking it again: report it rather than wait forever).
    pub fn next_pause(&mut self, remaining: Duration) -> Option<Duration> {
        if self.started.elapsed() >= self.max_wait {
            return None;
        }
        let step = Self::FIRST.saturating_mul(2u32.saturating_pow(self.looks.min(16))).min(Self::LONGEST);
        self.looks += 1;
        let half = step / 2;
        let spread = u64::try_from((step - half).as_micros()).unwrap_or(u64::MAX);
        let jittered = half + Duration::from_micros(rand::RngExt::random_range(&mut rand::rng(), 0..=spread));
        Some(jittered.min(remaining + Duration::from_millis(5)).max(Duration::from_millis(1)))
    }

    /// How many pauses were handed out so far.
    pub fn looks(&self) -> u32 {
        self.looks
    }
}

/// Checks a key: 1 to 256 bytes, no control characters.
pub(crate) fn check_key(key: &str) -> Result<(), StoreError> {
    check_name(key, 256, "key")
}

/// Checks a lease holder and TTL.
pub(crate) fn check_lease(holder: &str, ttl: Duration) -> Result<(), StoreError> {
    check_name(holder, 128, "lease holder")?;
    if ttl.is_zero() {
        return Err(StoreError::InvalidInput { what: "lease ttl", reason: "must be more than zero" });
    }
    if ttl > MAX_TTL {
        return Err(StoreError::InvalidInput { what: "lease ttl", reason: "must be at most a day" });
    }
    Ok(())
}

/// The longest lease a store grants.
pub(crate) const MAX_TTL: Duration = Duration::from_secs(24 * 3600);

fn check_name(name: &str, max: usize, what: &'static str) -> Result<(), StoreError> {
    if name.is_empty() {
        return Err(StoreError::InvalidInput { what, reason: "is empty" });
    }
    if name.len() > max {
        return Err(StoreError::InvalidInput {
            what,
            reason: if max == 256 { "is longer than 256 bytes" } else { "is longer than 128 bytes" },
        });
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::InvalidInput { what, reason: "contains a control character" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_waits_start_short_and_double_up_to_the_longest_step() {
        let mut wait = LeaseWait::new(Duration::from_secs(3600));
        let far = Duration::from_secs(30);
        for look in 0..12u32 {
            let step = (LeaseWait::FIRST * 2u32.pow(look)).min(LeaseWait::LONGEST);
            let pause = wait.next_pause(far).unwrap();
            assert!(pause >= step / 2 && pause <= step, "look {look}: {pause:?} outside {:?}..={step:?}", step / 2);
        }
        assert_eq!(wait.looks(), 12);
        // Bounded by the lease: a lease about to run out is looked at again right after.
        let pause = wait.next_pause(Duration::ZERO).unwrap();
        assert!(pause >= Duration::from_millis(1) && pause <= Duration::from_millis(5), "{pause:?}");
    }

    #[test]
    fn a_lease_wait_gives_up_after_its_maximum() {
        let mut wait = LeaseWait::new(Duration::ZERO);
        assert_eq!(wait.next_pause(Duration::from_secs(1)), None);
        assert_eq!(wait.looks(), 0);
    }

    #[test]
    fn names_are_checked() {
        assert!(check_key("user-1").is_ok());
        assert!(check_key(&"k".repeat(256)).is_ok());
        assert!(matches!(check_key(""), Err(StoreError::InvalidInput { what: "key", .. })));
        assert!(check_key(&"k".repeat(257)).is_err());
        assert!(check_key("a\nb").is_err());
        assert!(check_lease("me", Duration::from_millis(1)).is_ok());
        assert!(check_lease("me", Duration::ZERO).is_err());
        assert!(check_lease(&"h".repeat(129), Duration::from_secs(1)).is_err());
        assert!(check_lease("me", MAX_TTL + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn errors_quote_no_payload() {
        let e = StoreError::Corrupt { reason: "not JSON (line 1, column 2)".into() };
        assert_eq!(e.to_string(), "a stored session record is corrupt: not JSON (line 1, column 2)");
        let e = StoreError::from(CryptoError::Decrypt { key_id: "k1".into() });
        assert!(e.to_string().contains("k1"));
    }
}
