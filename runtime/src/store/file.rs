//! [`FileStore`] (feature `file-store`): the contract across the processes of one machine.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret as _, SecretSlice};
use serde::{Deserialize, Serialize};

use super::{Lease, LeaseAttempt, Record, SessionStore, StoreError, StoreFuture, Version, check_key, check_lease};

/// The `format` field of every record file.
const FORMAT: &str = "cardsdk-store-file/1";
/// Escaped key names longer than this are replaced by a hash.
const MAX_PLAIN_NAME: usize = 150;

/// Keeps each key's record in its own file in a directory, shared by every process on the machine that opens
/// the same directory.
///
/// - **Records**: `<name>.session`, JSON (`format`, `key`, `version`, the payload in Base64), replaced atomically:
///   written to a new temporary file (`O_EXCL`, mode 0600, by the `tempfile` crate), flushed to disk, renamed
///   over the old one, and the directory flushed. A crash leaves the previous record. Reads take no lock.
/// - **Coordination**: every change (save, clear, lease) runs under an exclusive OS advisory lock (`flock` on
///   Unix, `LockFileEx` on Windows, by the `fs4` crate) on `<name>.lock`, which also holds the lease (holder and
///   expiry, by the system clock). The OS drops the lock of a process that dies; a lease whose holder dies runs
///   out on its own. A lock not granted within [`FileStore::lock_timeout`] (5 s by default) is
///   [`StoreError::Unavailable`].
/// - **Names**: `<name>` is the key with every byte other than `a-z`, `0-9`, `-`, `_` and a non-leading `.`
///   written `%XX` (so keys differing in case get distinct files on case-insensitive file systems); when that is
///   longer than 150 bytes, `~` and the SHA-256 of the key in hex. The key is stored in the file and checked.
/// - **Permissions**: the directory is created with mode 0700 if missing, files with 0600. Payloads are not
///   encrypted: the files are as secret as the tokens in them.
///
/// Advisory locks on network file systems are unreliable: use one machine's local disk, or `PostgresStore`.
///
/// ```
/// use cardsdk_runtime::store::{FileStore, SessionStore, Version};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = FileStore::new(dir.path().join("sessions")).unwrap();
/// let v1 = store.save("user@example.com", b"tokens", Version::NONE).await.unwrap();
/// assert!(store.path_for("user@example.com").unwrap().ends_with("user%40example.com.session"));
///
/// // Another process (here: another handle) sees the same record and version.
/// let other = FileStore::new(dir.path().join("sessions")).unwrap();
/// assert_eq!(other.load("user@example.com").await.unwrap().version, v1);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    lock_timeout: Duration,
}

#[derive(Serialize, Deserialize)]
struct RecordFile {
    format: String,
    key: String,
    version: u64,
    payload: Option<String>,
}

impl FileStore {
    /// A store in `dir`, created (mode 0700, with its parents) if missing.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the directory cannot be created or is not a directory.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = cardsdk_runtime::store::FileStore::new(dir.path()).unwrap();
    /// assert_eq!(store.dir(), dir.path());
    /// ```
    pub fn new(dir: impl Into<PathBuf>) -> Result<FileStore, StoreError> {
        let dir = dir.into();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(|e| io_error("cannot create the session directory", &dir, e))?;
        if !dir.is_dir() {
            return Err(StoreError::unavailable(format!("{} is not a directory", dir.display()), None));
        }
        Ok(FileStore { dir, lock_timeout: Duration::from_secs(5) })
    }

    /// How long a change waits for another process's file lock before failing with
    /// [`StoreError::Unavailable`] (5 s by default).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let store = cardsdk_runtime::store::FileStore::new(dir.path()).unwrap()
    ///     .lock_timeout(std::time::Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> FileStore {
        self.lock_timeout = timeout;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The record file of `key`.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for a key the contract refuses.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let store = cardsdk_runtime::store::FileStore::new(dir.path()).unwrap();
    /// assert!(store.path_for("User/1").unwrap().ends_with("%55ser%2F1.session"));
    /// assert!(store.path_for(&"x".repeat(200)).unwrap().file_name().unwrap().to_str().unwrap().starts_with('~'));
    /// ```
    pub fn path_for(&self, key: &str) -> Result<PathBuf, StoreError> {
        check_key(key)?;
        Ok(self.dir.join(format!("{}.session", file_name(key))))
    }

    fn paths(&self, key: &str) -> Result<Paths, StoreError> {
        check_key(key)?;
        let name = file_name(key);
        Ok(Paths {
            dir: self.dir.clone(),
            record: self.dir.join(format!("{name}.session")),
            lock: self.dir.join(format!("{name}.lock")),
            name,
            key: key.to_owned(),
            lock_timeout: self.lock_timeout,
        })
    }
}

/// Everything one operation needs, owned (it runs on a blocking thread).
struct Paths {
    dir: PathBuf,
    record: PathBuf,
    lock: PathBuf,
    name: String,
    key: String,
    lock_timeout: Duration,
}

impl Paths {
    fn read_record(&self) -> Result<Record, StoreError> {
        let bytes = match std::fs::read(&self.record) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Record::empty()),
            Err(e) => return Err(io_error("cannot read a session file", &self.record, e)),
        };
        let bytes = SecretSlice::from(bytes);
        // serde_json's messages can quote the input; keep only where it failed.
        let file: RecordFile = serde_json::from_slice(bytes.expose_secret()).map_err(|e| StoreError::Corrupt {
            reason: format!(
                "{} is not a session file (line {}, column {})",
                self.record.display(),
                e.line(),
                e.column()
            ),
        })?;
        if file.format != FORMAT {
            return Err(StoreError::Corrupt { reason: format!("{} has an unknown format", self.record.display()) });
        }
        if file.key != self.key {
            return Err(StoreError::Corrupt { reason: format!("{} belongs to another key", self.record.display()) });
        }
        let payload = match file.payload {
            None => None,
            Some(text) => {
                let text = SecretSlice::from(text.into_bytes());
                let decoded = STANDARD.decode(text.expose_secret()).map_err(|_| StoreError::Corrupt {
                    reason: format!("{} has a payload that is not Base64", self.record.display()),
                })?;
                Some(SecretSlice::from(decoded))
            }
        };
        Ok(Record { version: Version::new(file.version), payload })
    }

    fn write_record(&self, version: Version, payload: Option<&[u8]>) -> Result<(), StoreError> {
        let file = RecordFile {
            format: FORMAT.to_owned(),
            key: self.key.clone(),
            version: version.get(),
            payload: payload.map(|p| STANDARD.encode(p)),
        };
        let json = serde_json::to_vec(&file).map(SecretSlice::from);
        // The encoded payload is as secret as the payload.
        drop(SecretSlice::from(file.payload.map(String::into_bytes).unwrap_or_default()));
        let json = json.map_err(|_| StoreError::Corrupt { reason: "cannot encode a session file".into() })?;
        let write = || -> std::io::Result<()> {
            // O_EXCL, mode 0600 (tempfile's defaults on Unix); removed if anything below fails.
            let mut temp =
                tempfile::Builder::new().prefix(&format!(".{}.", self.name)).suffix(".tmp").tempfile_in(&self.dir)?;
            temp.write_all(json.expose_secret())?;
            temp.as_file().sync_all()?;
            temp.persist(&self.record).map_err(|e| e.error)?;
            #[cfg(unix)]
            File::open(&self.dir)?.sync_all()?;
            Ok(())
        };
        write().map_err(|e| io_error("cannot write a session file", &self.record, e))
    }

    /// Runs `f` under the exclusive lock of the key's lock file (passed to `f`, to read and write the lease).
    fn locked<T>(&self, f: impl FnOnce(&mut File) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.lock).map_err(|e| io_error("cannot open a lock file", &self.lock, e))?;
        let deadline = Instant::now() + self.lock_timeout;
        let mut pause = Duration::from_micros(200);
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => break,
                Err(fs4::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(10));
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(StoreError::unavailable(
                        format!("the lock on {} was not granted in time", self.lock.display()),
                        None,
                    ));
                }
                Err(fs4::TryLockError::Error(e)) => return Err(io_error("cannot lock a lock file", &self.lock, e)),
            }
        }
        let result = f(&mut file);
        // Closing the file releases the lock too; unlocking first makes it immediate.
        let _ = fs4::FileExt::unlock(&file);
        result
    }
}

/// The lease kept in a lock file: `holder`, a newline, the expiry in Unix milliseconds.
fn read_lease(file: &mut File) -> Option<(String, u64)> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    let (holder, until) = text.split_once('\n')?;
    Some((holder.to_owned(), until.trim().parse().ok()?))
}

/// Replaces the lease in a lock file (not flushed to disk: a lease lost in a crash is only a lease ended early,
/// which the versions make safe).
fn write_lease(file: &mut File, lease: Option<(&str, u64)>) -> std::io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    if let Some((holder, until)) = lease {
        file.write_all(format!("{holder}\n{until}\n").as_bytes())?;
    }
    Ok(())
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn ttl_ms(ttl: Duration) -> u64 {
    ttl.as_millis().max(1) as u64
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::unavailable(format!("{what} ({})", path.display()), Some(Box::new(e)))
}

/// The file name (without extension) of `key`.
fn file_name(key: &str) -> String {
    let mut name = String::with_capacity(key.len());
    for (i, b) in key.bytes().enumerate() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => name.push(b as char),
            b'.' if i > 0 => name.push('.'),
            _ => name.push_str(&format!("%{b:02X}")),
        }
    }
    if name.len() > MAX_PLAIN_NAME {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(key.as_bytes());
        name = String::from("~");
        for b in digest {
            name.push_str(&format!("{b:02x}"));
        }
    }
    name
}

/// Runs file I/O off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::unavailable("the file store's task failed", Some(Box::new(e))))?
}

impl SessionStore for FileStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Record> {
        let paths = self.paths(key);
        Box::pin(async move {
            let paths = paths?;
            blocking(move || paths.read_record()).await
        })
    }

    fn save<'a>(&'a self, key: &'a str, payload: &'a [u8], expected: Version) -> StoreFuture<'a, Version> {
        let paths = self.paths(key);
        let payload = SecretSlice::from(payload.to_vec());
        Box::pin(async move {
            let paths = paths?;
            blocking(move || {
                paths.locked(|_| {
                    let current = paths.read_record()?.version;
                    if current != expected {
                        return Err(StoreError::Conflict { expected, current });
                    }
                    let next = expected.next();
                    paths.write_record(next, Some(payload.expose_secret()))?;
                    Ok(next)
                })
            })
            .await
        })
    }

    fn clear<'a>(&'a self, key: &'a str, expected: Version) -> StoreFuture<'a, Version> {
        let paths = self.paths(key);
        Box::pin(async move {
            let paths = paths?;
            blocking(move || {
                paths.locked(|_| {
                    let current = paths.read_record()?;
                    if current.version != expected {
                        return Err(StoreError::Conflict { expected, current: current.version });
                    }
                    if current.is_empty() {
                        return Ok(current.version);
                    }
                    let next = expected.next();
                    paths.write_record(next, None)?;
                    Ok(next)
                })
            })
            .await
        })
    }

    fn try_lease<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, LeaseAttempt> {
        let paths = self.paths(key).and_then(|p| check_lease(holder, ttl).map(|()| p));
        let holder = holder.to_owned();
        Box::pin(async move {
            let paths = paths?;
            blocking(move || {
                let started = Instant::now();
                paths.locked(|file| {
                    let now = now_ms();
                    if let Some((current, until)) = read_lease(file)
                        && current != holder
                        && until > now
                    {
                        return Ok(LeaseAttempt::Busy {
                            holder: current,
                            remaining: Duration::from_millis(until - now),
                        });
                    }
                    write_lease(file, Some((&holder, now + ttl_ms(ttl))))
                        .map_err(|e| io_error("cannot write a lock file", &paths.lock, e))?;
                    Ok(LeaseAttempt::Acquired(Lease::new(paths.key.clone(), holder, ttl, started)))
                })
            })
            .await
        })
    }

    fn renew<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, Lease> {
        let paths = self.paths(key).and_then(|p| check_lease(holder, ttl).map(|()| p));
        let holder = holder.to_owned();
        Box::pin(async move {
            let paths = paths?;
            blocking(move || {
                let started = Instant::now();
                paths.locked(|file| {
                    let now = now_ms();
                    match read_lease(file) {
                        Some((current, until)) if current == holder && until > now => {
                            write_lease(file, Some((&holder, now + ttl_ms(ttl))))
                                .map_err(|e| io_error("cannot write a lock file", &paths.lock, e))?;
                            Ok(Lease::new(paths.key.clone(), holder, ttl, started))
                        }
                        _ => Err(StoreError::LeaseLost),
                    }
                })
            })
            .await
        })
    }

    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> StoreFuture<'a, bool> {
        let paths = self.paths(key);
        let holder = holder.to_owned();
        Box::pin(async move {
            let paths = paths?;
            blocking(move || {
                paths.locked(|file| match read_lease(file) {
                    Some((current, until)) if current == holder => {
                        write_lease(file, None).map_err(|e| io_error("cannot write a lock file", &paths.lock, e))?;
                        Ok(until > now_ms())
                    }
                    _ => Ok(false),
                })
            })
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn names_are_injective_and_safe() {
        assert_eq!(file_name("user-1"), "user-1");
        assert_eq!(file_name("User"), "%55ser");
        assert_eq!(file_name(".."), "%2E.");
        assert_eq!(file_name("a/b"), "a%2Fb");
        assert_eq!(file_name("100%"), "100%25");
        assert_eq!(file_name("~x"), "%7Ex");
        assert_ne!(file_name("é"), file_name("e"));
        let long = file_name(&"x".repeat(151));
        assert!(long.starts_with('~') && long.len() == 65);
        assert_eq!(file_name(&"x".repeat(150)).len(), 150);
    }
}
