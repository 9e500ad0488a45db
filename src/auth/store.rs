//! Where a session keeps its tokens between runs: [`TokenStore`], with [`MemoryTokenStore`] and
//! [`FileTokenStore`].
//!
//! Refresh tokens rotate: after a refresh only the new one is valid. The session therefore saves each new token
//! set **before** using it, and a failed save never drops it (it stays in memory and is saved again before its
//! next use). A store only has to make each save atomic.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
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

/// Keeps the tokens in a JSON file, readable only by its owner (mode 0600 on Unix).
///
/// Each save writes a new, uniquely named temporary file next to the target (created exclusively — `O_EXCL`, mode
/// 0600 — so never through a file or symlink that already exists; by the `tempfile` crate) and renames it over the
/// target: a crash or a failed write leaves the previous tokens intact, and concurrent saves never share a file.
///
/// ```no_run
/// let client = baanx::Client::builder()
///     .client_key("pk_test_123")
///     .token_store(baanx::auth::FileTokenStore::new("/var/lib/myapp/baanx-session.json"))
///     .build()?;
/// # Ok::<(), baanx::BuildError>(())
/// ```
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store at `path` (its directory must exist).
    ///
    /// ```
    /// use baanx::auth::{FileTokenStore, TokenSet, TokenStore};
    /// use baanx::Region;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    ///
    /// let store = FileTokenStore::new(std::env::temp_dir().join("baanx-doc-file-token-store.json"));
    /// store.save(&TokenSet::new("access", std::time::SystemTime::now(), Region::Us)).await.unwrap();
    /// assert_eq!(store.load().await.unwrap().unwrap().region(), Region::Us);
    /// store.clear().await.unwrap();
    /// # });
    /// ```
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileTokenStore { path: path.into() }
    }

    /// The file's path.
    ///
    /// ```
    /// let store = baanx::auth::FileTokenStore::new("/var/lib/myapp/session.json");
    /// assert_eq!(store.path(), std::path::Path::new("/var/lib/myapp/session.json"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write(path: &Path, json: &[u8]) -> std::io::Result<()> {
        use std::io::Write as _;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Created with O_EXCL and mode 0600 (tempfile's defaults on Unix); removed if anything below fails.
        let mut temp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(&dir)?;
        temp.write_all(json)?;
        temp.as_file().sync_all()?;
        temp.persist(path).map_err(|e| e.error)?;
        // Make the rename itself durable.
        #[cfg(unix)]
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(())
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        let path = self.path.clone();
        Box::pin(async move {
            blocking(move || match std::fs::read(&path) {
                Ok(bytes) => serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| TokenStoreError::new(format!("{} is not a token file", path.display()), e)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(TokenStoreError::new(format!("cannot read {}", path.display()), e)),
            })
            .await
        })
    }

    fn save<'a>(&'a self, tokens: &'a TokenSet) -> StoreFuture<'a, ()> {
        let json = serde_json::to_vec(tokens);
        let path = self.path.clone();
        Box::pin(async move {
            let json = json.map_err(|e| TokenStoreError::new("cannot encode the tokens", e))?;
            blocking(move || {
                FileTokenStore::write(&path, &json)
                    .map_err(|e| TokenStoreError::new(format!("cannot write {}", path.display()), e))
            })
            .await
        })
    }

    fn clear(&self) -> StoreFuture<'_, ()> {
        let path = self.path.clone();
        Box::pin(async move {
            blocking(move || match std::fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(TokenStoreError::new(format!("cannot remove {}", path.display()), e)),
            })
            .await
        })
    }
}

/// Runs file I/O off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, TokenStoreError> + Send + 'static,
) -> Result<T, TokenStoreError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| TokenStoreError::new("the store task failed", e))?
}
