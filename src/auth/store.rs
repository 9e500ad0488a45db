//! Where a session keeps its tokens between runs: [`TokenStore`], with [`MemoryTokenStore`] and
//! `FileTokenStore` (feature `file-store`, in [`super::file_store`]).
//!
//! Refresh tokens rotate: after a refresh only the new one is valid. The session therefore saves each new token
//! set **before** using it, and a failed save never drops it (it stays in memory and is saved again before its
//! next use). A store only has to make each save atomic.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use super::TokenSet;

/// A boxed future returned by [`TokenStore`] methods.
///
/// ```
/// use baanx::auth::{StoreFuture, TokenStoreError};
///
/// fn locked() -> StoreFuture<'static, ()> {
///     Box::pin(async { Err(TokenStoreError::msg("the keychain is locked")) })
/// }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// assert_eq!(locked().await.unwrap_err().to_string(), "the keychain is locked");
/// # });
/// ```
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TokenStoreError>> + Send + 'a>>;

/// Persistence for one session's [`TokenSet`] (a keychain, a database row, a file).
///
/// ```
/// use baanx::auth::{StoreFuture, TokenSet, TokenStore, TokenStoreError};
///
/// /// Keeps nothing: every run starts signed out.
/// #[derive(Debug)]
/// struct Forgetful;
///
/// impl TokenStore for Forgetful {
///     fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
///         Box::pin(async { Ok(None) })
///     }
///     fn save<'a>(&'a self, _tokens: &'a TokenSet) -> StoreFuture<'a, ()> {
///         Box::pin(async { Ok(()) })
///     }
///     fn clear(&self) -> StoreFuture<'_, ()> {
///         Box::pin(async { Ok(()) })
///     }
/// }
/// ```
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The saved tokens, if any.
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>>;
    /// Replaces the saved tokens, atomically: after a failure the previous tokens must still load.
    fn save<'a>(&'a self, tokens: &'a TokenSet) -> StoreFuture<'a, ()>;
    /// Forgets the tokens (sign-out, or a session the server ended).
    fn clear(&self) -> StoreFuture<'_, ()>;
}

/// A token store failure.
///
/// ```
/// use baanx::auth::TokenStoreError;
///
/// let denied = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
/// let err = TokenStoreError::new("cannot read the keychain", denied);
/// assert_eq!(err.to_string(), "cannot read the keychain");
/// assert!(std::error::Error::source(&err).is_some());
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TokenStoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TokenStoreError {
    /// A failure described by `message`, caused by `source`.
    ///
    /// ```
    /// use baanx::auth::TokenStoreError;
    ///
    /// let cause = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
    /// let err = TokenStoreError::new("the saved session is not JSON", cause);
    /// assert_eq!(err.to_string(), "the saved session is not JSON");
    /// ```
    pub fn new(message: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        TokenStoreError { message: message.into(), source: Some(Box::new(source)) }
    }

    /// A failure described by `message` alone.
    ///
    /// ```
    /// use baanx::auth::TokenStoreError;
    ///
    /// let err = TokenStoreError::msg("no keychain on this device");
    /// assert!(std::error::Error::source(&err).is_none());
    /// ```
    pub fn msg(message: impl Into<String>) -> Self {
        TokenStoreError { message: message.into(), source: None }
    }
}

/// Keeps the tokens in memory (the default: every run starts signed out).
///
/// ```
/// # tokio_test_shim::run(async {
/// use baanx::auth::{MemoryTokenStore, TokenSet, TokenStore};
/// use baanx::Region;
///
/// let store = MemoryTokenStore::new();
/// let tokens = TokenSet::new("a", std::time::SystemTime::now(), Region::International);
/// store.save(&tokens).await.unwrap();
/// assert!(store.load().await.unwrap().is_some());
/// # });
/// # mod tokio_test_shim { pub fn run<F: std::future::Future>(f: F) -> F::Output {
/// #   tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f) } }
/// ```
#[derive(Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<TokenSet>>,
}

impl MemoryTokenStore {
    /// An empty store.
    ///
    /// ```
    /// use baanx::auth::{MemoryTokenStore, TokenStore};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    ///
    /// let store = MemoryTokenStore::new();
    /// assert!(store.load().await.unwrap().is_none()); // starts empty
    /// # });
    /// ```
    pub fn new() -> Self {
        MemoryTokenStore::default()
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self.tokens.lock().map(|t| t.is_some()).unwrap_or(false);
        f.debug_struct("MemoryTokenStore").field("holds_tokens", &held).finish()
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        let tokens = self.tokens.lock().map(|t| t.clone()).map_err(|_| TokenStoreError::msg("poisoned"));
        Box::pin(async move { tokens })
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> StoreFuture<'a, ()> {
        let result =
            self.tokens.lock().map(|mut t| *t = Some(tokens.clone())).map_err(|_| TokenStoreError::msg("poisoned"));
        Box::pin(async move { result })
    }

    fn clear(&self) -> StoreFuture<'_, ()> {
        let result = self.tokens.lock().map(|mut t| *t = None).map_err(|_| TokenStoreError::msg("poisoned"));
        Box::pin(async move { result })
    }
}
