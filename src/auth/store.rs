//! Where a session keeps its tokens: [`TokenStore`], one key of a shared [`SessionStore`] (memory, files or
//! PostgreSQL, from [`crate::store`]).
//!
//! Refresh tokens rotate: after a refresh only the new one is valid. The session therefore saves each new token
//! set **before** using it, by compare-and-swap on the record's [`Version`], and a failed save never drops it (it
//! stays in memory and is saved again before its next use). Instances that share a store renew a session under
//! its renewal lease, so one refresh request goes out however many processes need it (see [`Session`]).
//!
//! [`Session`]: super::Session

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cardsdk_runtime::store::{MemoryStore, SessionStore, StoreError, Version};
use secrecy::ExposeSecret as _;

use super::TokenSet;
use crate::error::{Error, ErrorContext};

/// The default time to live of a renewal lease: 30 seconds.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(30);

/// The key of a session in a [`SessionStore`]: where a [`Session`](super::Session) loads its tokens from, saves
/// each new token set to, and takes its renewal lease on.
///
/// One store serves many sessions: give each user (or each session of a user) its own key — a user id, say. The
/// tokens are stored as JSON in the record's payload, which never shows in `Debug` output; with
/// [`PostgresStore`](crate::store) (feature `postgres-store`) it is encrypted at rest.
///
/// Cheap to clone: clones share the store.
///
/// ```
/// use std::sync::Arc;
/// use baanx::auth::{Session, TokenStore};
/// use baanx::store::MemoryStore;
///
/// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
/// // One store for every user of a backend (memory here; `PostgresStore` across instances).
/// let store = Arc::new(MemoryStore::new());
/// let alice = client.with_session(Session::with_store(TokenStore::new(store.clone(), "alice")));
/// let bob = client.with_session(Session::with_store(TokenStore::new(store, "bob")));
/// assert_eq!(alice.session().store().unwrap().key(), "alice");
/// # let _ = bob;
/// ```
#[derive(Clone)]
pub struct TokenStore {
    store: Arc<dyn SessionStore>,
    key: Arc<str>,
    lease_ttl: Duration,
    label: Arc<str>,
}

impl fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenStore")
            .field("key", &self.key)
            .field("lease_ttl", &self.lease_ttl)
            .field("store", &self.store)
            .finish()
    }
}

/// Tokens as loaded from a [`TokenStore`], with the version they were saved at.
///
/// ```
/// use baanx::auth::{TokenSet, TokenStore};
/// use baanx::store::Version;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
///
/// let store = TokenStore::memory();
/// let tokens = TokenSet::new("access", std::time::SystemTime::now(), baanx::Region::International);
/// let v1 = store.save(&tokens, Version::NONE).await.unwrap();
/// let stored = store.load().await.unwrap().unwrap();
/// assert_eq!(stored.version, v1);
/// assert!(!format!("{stored:?}").contains("access\""), "no token in Debug");
/// # });
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoredTokens {
    /// The tokens.
    pub tokens: TokenSet,
    /// The record's version.
    pub version: Version,
}

/// A record as the session reads it: its version and, unless it was never saved or was cleared, the tokens.
pub(crate) struct Loaded {
    pub(crate) version: Version,
    pub(crate) tokens: Option<TokenSet>,
}

impl TokenStore {
    /// The session under `key` in `store` (anything that is a [`SessionStore`], e.g. an `Arc` of one shared by
    /// many `TokenStore`s). The key is checked by the store on first use: 1 to 256 bytes of UTF-8 without control
    /// characters, else [`Error::TokenStore`] with [`StoreError::InvalidInput`].
    ///
    /// ```
    /// use baanx::auth::TokenStore;
    /// use baanx::store::MemoryStore;
    ///
    /// let store = TokenStore::new(MemoryStore::new(), "user-42");
    /// assert_eq!(store.key(), "user-42");
    /// ```
    pub fn new(store: impl SessionStore + 'static, key: impl Into<String>) -> TokenStore {
        TokenStore::shared(Arc::new(store), key)
    }

    /// Like [`TokenStore::new`], for a store already behind an `Arc<dyn SessionStore>`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use baanx::auth::TokenStore;
    /// use baanx::store::{MemoryStore, SessionStore};
    ///
    /// let shared: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    /// let store = TokenStore::shared(shared.clone(), "user-42");
    /// assert!(Arc::ptr_eq(store.session_store(), &shared));
    /// ```
    pub fn shared(store: Arc<dyn SessionStore>, key: impl Into<String>) -> TokenStore {
        let key: String = key.into();
        TokenStore { store, key: key.into(), lease_ttl: DEFAULT_LEASE_TTL, label: "baanx".into() }
    }

    /// A store of its own in memory, under the key `default` (one process; every run starts signed out).
    ///
    /// ```
    /// let store = baanx::auth::TokenStore::memory();
    /// assert_eq!(store.key(), "default");
    /// ```
    pub fn memory() -> TokenStore {
        TokenStore::new(MemoryStore::new(), "default")
    }

    /// The session under `key` in a [`FileStore`](crate::store::FileStore) in `dir` (created, mode 0700, if
    /// missing): shared by the processes of one machine.
    ///
    /// # Errors
    ///
    /// [`Error::TokenStore`] when the directory cannot be created or is not a directory.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("baanx-doc-token-store-file");
    /// let store = baanx::auth::TokenStore::file(&dir, "alice")?;
    /// assert_eq!(store.key(), "alice");
    /// # Ok::<(), baanx::Error>(())
    /// ```
    #[cfg(feature = "file-store")]
    #[cfg_attr(docsrs, doc(cfg(feature = "file-store")))]
    pub fn file(dir: impl Into<std::path::PathBuf>, key: impl Into<String>) -> Result<TokenStore, Error> {
        let store = cardsdk_runtime::store::FileStore::new(dir)
            .map_err(|e| store_error("cannot open the token store directory", e))?;
        Ok(TokenStore::new(store, key))
    }

    /// How long a renewal lease taken by this session runs unless released (default [`DEFAULT_LEASE_TTL`]):
    /// longer than a refresh request can take (the client's per-attempt timeout), since another instance renews
    /// once it runs out; short enough that the others do not wait long when a holder dies. At least 1 ms, at most
    /// a day.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let store = baanx::auth::TokenStore::memory().lease_ttl(Duration::from_secs(10));
    /// assert_eq!(store.get_lease_ttl(), Duration::from_secs(10));
    /// ```
    #[must_use]
    pub fn lease_ttl(mut self, ttl: Duration) -> TokenStore {
        self.lease_ttl = ttl.clamp(Duration::from_millis(1), Duration::from_secs(24 * 3600));
        self
    }

    /// The lease time to live.
    ///
    /// ```
    /// assert_eq!(baanx::auth::TokenStore::memory().get_lease_ttl(), baanx::auth::DEFAULT_LEASE_TTL);
    /// ```
    pub fn get_lease_ttl(&self) -> Duration {
        self.lease_ttl
    }

    /// Names this instance in lease holders (default `baanx`; the process id and a counter are added), e.g. a
    /// pod name, to tell in the store who holds a lease.
    ///
    /// ```
    /// let store = baanx::auth::TokenStore::memory().holder_label("api-7f3a");
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn holder_label(mut self, label: impl Into<String>) -> TokenStore {
        let label: String = label.into();
        self.label = label.into();
        self
    }

    /// The session's key.
    ///
    /// ```
    /// assert_eq!(baanx::auth::TokenStore::memory().key(), "default");
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The underlying store.
    ///
    /// ```
    /// let store = baanx::auth::TokenStore::memory();
    /// assert!(format!("{:?}", store.session_store()).contains("MemoryStore"));
    /// ```
    pub fn session_store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }

    /// The stored tokens and their version, if any.
    ///
    /// # Errors
    ///
    /// [`Error::TokenStore`]: the store failed (its [`StoreError`] is the source), or the record is not a token
    /// set.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let store = baanx::auth::TokenStore::memory();
    /// assert!(store.load().await.unwrap().is_none()); // never saved
    /// # });
    /// ```
    pub async fn load(&self) -> Result<Option<StoredTokens>, Error> {
        let loaded = self.load_record().await?;
        Ok(loaded.tokens.map(|tokens| StoredTokens { tokens, version: loaded.version }))
    }

    /// Saves `tokens` if the stored version is `expected` ([`Version::NONE`] for a key never saved) and returns
    /// the new version.
    ///
    /// # Errors
    ///
    /// [`Error::TokenStore`] whose source is [`StoreError::Conflict`] when the store holds another version (a
    /// stale writer is refused), or the store's failure.
    ///
    /// ```
    /// use baanx::auth::{TokenSet, TokenStore};
    /// use baanx::store::Version;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let tokens = TokenSet::new("access", std::time::SystemTime::now(), baanx::Region::International);
    ///
    /// let store = TokenStore::memory();
    /// let v1 = store.save(&tokens, Version::NONE).await.unwrap();
    /// let v2 = store.save(&tokens, v1).await.unwrap();
    /// let stale = store.save(&tokens, v1).await.unwrap_err();
    /// assert!(stale.store_error().is_some_and(|e| e.is_conflict()));
    /// assert_eq!(store.load().await.unwrap().unwrap().version, v2);
    /// # });
    /// ```
    pub async fn save(&self, tokens: &TokenSet, expected: Version) -> Result<Version, Error> {
        let payload = encode(tokens)?;
        self.store
            .save(&self.key, payload.expose_secret(), expected)
            .await
            .map_err(|e| store_error("cannot save the session's tokens", e))
    }

    /// Removes the stored tokens if the stored version is `expected`, and returns the new version.
    ///
    /// # Errors
    ///
    /// As [`TokenStore::save`].
    ///
    /// ```
    /// use baanx::auth::{TokenSet, TokenStore};
    /// use baanx::store::Version;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let tokens = TokenSet::new("access", std::time::SystemTime::now(), baanx::Region::International);
    ///
    /// let store = TokenStore::memory();
    /// let v1 = store.save(&tokens, Version::NONE).await.unwrap();
    /// store.clear(v1).await.unwrap();
    /// assert!(store.load().await.unwrap().is_none());
    /// # });
    /// ```
    pub async fn clear(&self, expected: Version) -> Result<Version, Error> {
        self.store.clear(&self.key, expected).await.map_err(|e| store_error("cannot clear the session's tokens", e))
    }

    pub(crate) async fn load_record(&self) -> Result<Loaded, Error> {
        let record =
            self.store.load(&self.key).await.map_err(|e| store_error("cannot load the session's tokens", e))?;
        let tokens = match &record.payload {
            Some(payload) => Some(decode(payload.expose_secret())?),
            None => None,
        };
        Ok(Loaded { version: record.version, tokens })
    }

    pub(crate) fn holder(&self) -> String {
        cardsdk_runtime::store::unique_holder(&self.label)
    }

    pub(crate) fn raw(&self) -> &dyn SessionStore {
        &*self.store
    }
}

/// The payload: the token set's JSON (secret, as it holds the tokens).
pub(crate) fn encode(tokens: &TokenSet) -> Result<secrecy::SecretSlice<u8>, Error> {
    serde_json::to_vec(tokens).map(Into::into).map_err(|_| Error::TokenStore {
        message: "cannot encode the tokens".into(),
        source: None,
        context: ErrorContext::default(),
    })
}

/// Reads a payload; the error quotes no part of it (serde's messages can quote values), only where it broke.
fn decode(payload: &[u8]) -> Result<TokenSet, Error> {
    serde_json::from_slice(payload).map_err(|e| Error::TokenStore {
        message: format!(
            "the stored record is not a baanx token set (line {}, column {}, {:?})",
            e.line(),
            e.column(),
            e.classify()
        ),
        source: None,
        context: ErrorContext::default(),
    })
}

/// An [`Error::TokenStore`] caused by `e`.
pub(crate) fn store_error(message: &str, e: StoreError) -> Error {
    Error::TokenStore { message: message.into(), source: Some(Arc::new(e)), context: ErrorContext::default() }
}
