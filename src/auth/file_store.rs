//! [`FileTokenStore`] (feature `file-store`, on by default): tokens in a file, for one process or a developer
//! machine.

use std::path::{Path, PathBuf};

use super::TokenSet;
use super::store::{StoreFuture, TokenStore, TokenStoreError};

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
