//! [`PostgresStore`] (feature `postgres`): the contract across any number of instances.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime};
use secrecy::ExposeSecret as _;
use tokio_postgres::NoTls;

use super::crypto::Keyring;
use super::{Lease, LeaseAttempt, Record, SessionStore, StoreError, StoreFuture, Version, check_key, check_lease};

/// The advisory lock (transaction-scoped) that serializes migrations: "cardsdk1".
const MIGRATION_LOCK: i64 = 0x6361_7264_7364_6b31;

/// One step of the schema.
struct Migration {
    version: i32,
    name: &'static str,
    sql: &'static str,
}

/// The schema, in order; applied at connect, each once, recorded in `cardsdk_store_migrations`. Later steps must
/// only add (columns with defaults, indexes), so that instances still running the previous release keep working.
const MIGRATIONS: &[Migration] = &[Migration { version: 1, name: "sessions table", sql: PostgresStore::SCHEMA_V1 }];

const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS cardsdk_store_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

const LOAD: &str = "SELECT version, ciphertext, nonce, key_id FROM cardsdk_sessions WHERE key = $1";
const INSERT: &str = "INSERT INTO cardsdk_sessions AS s (key, version, ciphertext, nonce, key_id, updated_at)
    VALUES ($1, 1, $2, $3, $4, clock_timestamp())
    ON CONFLICT (key) DO UPDATE SET version = 1, ciphertext = EXCLUDED.ciphertext, nonce = EXCLUDED.nonce,
        key_id = EXCLUDED.key_id, updated_at = EXCLUDED.updated_at
    WHERE s.version = 0";
const UPDATE: &str = "UPDATE cardsdk_sessions
    SET version = $5, ciphertext = $2, nonce = $3, key_id = $4, updated_at = clock_timestamp()
    WHERE key = $1 AND version = $6";
const CLEAR: &str = "UPDATE cardsdk_sessions
    SET version = $3, ciphertext = NULL, nonce = NULL, key_id = NULL, updated_at = clock_timestamp()
    WHERE key = $1 AND version = $2 AND ciphertext IS NOT NULL";
const CURRENT: &str = "SELECT version, ciphertext IS NULL FROM cardsdk_sessions WHERE key = $1";
const TAKE: &str = "INSERT INTO cardsdk_sessions AS s (key, lease_holder, lease_until)
    VALUES ($1, $2, clock_timestamp() + $3::bigint * interval '1 millisecond')
    ON CONFLICT (key) DO UPDATE SET lease_holder = EXCLUDED.lease_holder, lease_until = EXCLUDED.lease_until
    WHERE s.lease_until IS NULL OR s.lease_until <= clock_timestamp() OR s.lease_holder = EXCLUDED.lease_holder";
const HOLDER: &str = "SELECT lease_holder,
    GREATEST(0, ceil(extract(epoch FROM lease_until - clock_timestamp()) * 1000))::bigint
    FROM cardsdk_sessions WHERE key = $1";
const RENEW: &str =
    "UPDATE cardsdk_sessions SET lease_until = clock_timestamp() + $3::bigint * interval '1 millisecond'
    WHERE key = $1 AND lease_holder = $2 AND lease_until > clock_timestamp()";
const RELEASE: &str = "UPDATE cardsdk_sessions AS s SET lease_holder = NULL, lease_until = NULL
    FROM (SELECT key, lease_until > clock_timestamp() AS live FROM cardsdk_sessions
          WHERE key = $1 AND lease_holder = $2 FOR UPDATE) AS old
    WHERE s.key = old.key
    RETURNING old.live";
const TO_ROTATE: &str = "SELECT key, version, ciphertext, nonce, key_id FROM cardsdk_sessions
    WHERE ciphertext IS NOT NULL AND key_id <> $1 AND key > $2 ORDER BY key LIMIT 200";
const REWRAP: &str = "UPDATE cardsdk_sessions SET ciphertext = $4, nonce = $5, key_id = $6
    WHERE key = $1 AND version = $2 AND key_id = $3";

/// Pool and timeout settings of a [`PostgresStore`].
///
/// ```
/// use std::time::Duration;
/// use cardsdk_runtime::store::PostgresOptions;
///
/// let options = PostgresOptions::new().pool_size(8).op_timeout(Duration::from_secs(3));
/// assert_eq!(options.get_pool_size(), 8);
/// ```
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    pool_size: usize,
    connect_timeout: Duration,
    op_timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions { pool_size: 16, connect_timeout: Duration::from_secs(5), op_timeout: Duration::from_secs(10) }
    }
}

impl PostgresOptions {
    /// The defaults: 16 connections, 5 s to connect, 10 s per operation.
    pub fn new() -> PostgresOptions {
        PostgresOptions::default()
    }

    /// At most `size` connections (at least 1).
    #[must_use]
    pub fn pool_size(mut self, size: usize) -> PostgresOptions {
        self.pool_size = size.max(1);
        self
    }

    /// The pool size.
    pub fn get_pool_size(&self) -> usize {
        self.pool_size
    }

    /// How long opening a connection may take (unless the connection string sets `connect_timeout`).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> PostgresOptions {
        self.connect_timeout = timeout;
        self
    }

    /// How long one store operation may take in all (waiting for a connection included) before it fails with
    /// [`StoreError::Unavailable`].
    #[must_use]
    pub fn op_timeout(mut self, timeout: Duration) -> PostgresOptions {
        self.op_timeout = timeout;
        self
    }
}

/// What [`PostgresStore::rotate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RotationReport {
    /// Records re-encrypted under the current key.
    pub reencrypted: u64,
    /// Records saved by another writer while being rotated (so already under that writer's current key).
    pub changed_meanwhile: u64,
    /// Records that could not be decrypted (a key id not in the keyring, or a wrong key): left as they are.
    pub unreadable: u64,
}

/// Keeps every session in one PostgreSQL table, shared by any number of instances: compare-and-swap saves on a
/// `version` column, renewal leases in the row (expiring by the database server's clock), payloads encrypted
/// with AES-256-GCM under a [`Keyring`].
///
/// - **Driver**: `tokio-postgres` with a `deadpool-postgres` pool (reached as [`super::tokio_postgres`] and
///   [`super::deadpool_postgres`]). [`PostgresStore::connect`] connects without TLS (a local or private-network
///   server); for TLS build a pool with a TLS connector and use [`PostgresStore::from_pool`].
/// - **Schema**: created at connect by an embedded, versioned migration ([`PostgresStore::SCHEMA_V1`]), under a
///   transaction-scoped advisory lock, so that instances starting together migrate once; recorded in
///   `cardsdk_store_migrations`.
/// - **Leases**: conditional updates of `lease_holder` and `lease_until`, not advisory locks: a session-level
///   advisory lock belongs to a pooled connection (not to the holder's work: it outlives a task that gave up and
///   dies only with the connection) and cannot expire, and transaction-level locks would hold a transaction
///   open across the refresh call. A lease row expires by time even if its holder's process dies or hangs.
/// - **At rest**: `ciphertext` is AES-256-GCM of the payload under the current key of the keyring, `nonce` its
///   random 96-bit nonce, `key_id` the key's id; the key id, the session key and the version are bound in as
///   associated data, so a row copied to another key, or restored at another version, does not decrypt. A dump
///   of the table without the keys reveals no token.
/// - **Failures**: a database that is down, unreachable or too slow gives [`StoreError::Unavailable`] (the pool
///   reconnects by itself once it is back); a schema or privilege problem [`StoreError::Backend`].
///
/// ```no_run
/// use cardsdk_runtime::store::{EncryptionKey, Keyring, PostgresStore, SessionStore, Version};
/// # async fn run() -> Result<(), cardsdk_runtime::store::StoreError> {
///
/// let key = EncryptionKey::from_hex(&std::env::var("SESSION_KEY_2025_06").unwrap())?;
/// let keyring = Keyring::new("2025-06", key)?;
/// let store = PostgresStore::connect("host=db.internal user=app dbname=app", keyring).await?;
/// let v1 = store.save("user-1", b"{\"access\":\"...\"}", Version::NONE).await?;
/// # let _ = v1; Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    keyring: Arc<Keyring>,
    op_timeout: Duration,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PostgresStore")
            .field("keyring", &self.keyring)
            .field("pool_size", &status.size)
            .field("pool_max", &status.max_size)
            .finish()
    }
}

impl PostgresStore {
    /// The table, as created by migration 1.
    pub const SCHEMA_V1: &'static str = "CREATE TABLE cardsdk_sessions (
    key          text        PRIMARY KEY,
    version      bigint      NOT NULL DEFAULT 0 CHECK (version >= 0),
    ciphertext   bytea,
    nonce        bytea,
    key_id       text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    lease_holder text,
    lease_until  timestamptz,
    CONSTRAINT cardsdk_sessions_sealed
        CHECK ((ciphertext IS NULL) = (nonce IS NULL) AND (nonce IS NULL) = (key_id IS NULL)),
    CONSTRAINT cardsdk_sessions_lease CHECK ((lease_holder IS NULL) = (lease_until IS NULL))
);
COMMENT ON TABLE cardsdk_sessions IS
    'cardsdk-runtime session store: one row per session key, payload AES-256-GCM under key_id'";

    /// The newest schema version this code knows.
    pub const SCHEMA_VERSION: i32 = 1;

    /// Connects to `conninfo` (`host=… user=… dbname=…` or `postgresql://…`, without TLS) with the default
    /// [`PostgresOptions`], and migrates the schema.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the database cannot be reached, [`StoreError::InvalidInput`] for a
    /// malformed connection string, [`StoreError::Backend`] when the schema cannot be created.
    pub async fn connect(conninfo: &str, keyring: Keyring) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect_with(conninfo, keyring, PostgresOptions::default()).await
    }

    /// Like [`PostgresStore::connect`], with `options`.
    ///
    /// # Errors
    ///
    /// As [`PostgresStore::connect`].
    pub async fn connect_with(
        conninfo: &str,
        keyring: Keyring,
        options: PostgresOptions,
    ) -> Result<PostgresStore, StoreError> {
        // The parser's messages can quote the string (a password, say): keep none of it.
        let mut config: tokio_postgres::Config = conninfo.parse().map_err(|_| StoreError::InvalidInput {
            what: "PostgreSQL connection string",
            reason: "cannot be parsed",
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        let manager = Manager::from_config(config, NoTls, manager_config);
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.op_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .build()
            .map_err(|e| StoreError::Backend { reason: "cannot build the pool".into(), source: Some(Box::new(e)) })?;
        PostgresStore::from_pool(pool, keyring, options).await
    }

    /// A store on an existing pool (for TLS, or pool settings of your own), migrating the schema. The pool
    /// should have a runtime and timeouts set; `options` gives the per-operation timeout.
    ///
    /// # Errors
    ///
    /// As [`PostgresStore::connect`].
    pub async fn from_pool(
        pool: Pool,
        keyring: Keyring,
        options: PostgresOptions,
    ) -> Result<PostgresStore, StoreError> {
        let store = PostgresStore { pool, keyring: Arc::new(keyring), op_timeout: options.op_timeout };
        store.migrate().await?;
        Ok(store)
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The keyring.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Applies the migrations the database does not have yet and returns its schema version (run by the
    /// constructors; safe to run from several processes at once). A database migrated by a newer release is left
    /// as it is.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] or [`StoreError::Backend`].
    pub async fn migrate(&self) -> Result<i32, StoreError> {
        self.run("migrate the PostgreSQL schema", async {
            let mut client = self.client().await?;
            let err = pg("cannot migrate the PostgreSQL schema");
            let tx = client.transaction().await.map_err(err)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(err)?;
            tx.batch_execute(MIGRATIONS_TABLE).await.map_err(err)?;
            let applied: i32 = tx
                .query_one("SELECT COALESCE(max(version), 0) FROM cardsdk_store_migrations", &[])
                .await
                .map_err(err)?
                .try_get(0)
                .map_err(err)?;
            for migration in MIGRATIONS.iter().filter(|m| m.version > applied) {
                tx.batch_execute(migration.sql).await.map_err(err)?;
                tx.execute(
                    "INSERT INTO cardsdk_store_migrations (version, name) VALUES ($1, $2)",
                    &[&migration.version, &migration.name],
                )
                .await
                .map_err(err)?;
            }
            tx.commit().await.map_err(err)?;
            Ok(applied.max(PostgresStore::SCHEMA_VERSION))
        })
        .await
    }

    /// Re-encrypts every record not under the keyring's current key, in batches, each record only if nobody
    /// saved it meanwhile (a record saved meanwhile is already under its writer's current key). Run it after
    /// deploying a keyring with a new current key everywhere; once [`PostgresStore::key_ids_in_use`] shows only
    /// the current id, retired keys can be dropped.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] or [`StoreError::Backend`]; records it could not decrypt are counted, not
    /// errors.
    pub async fn rotate(&self) -> Result<RotationReport, StoreError> {
        let mut report = RotationReport::default();
        let current = self.keyring.current_id().to_owned();
        let mut after = String::new();
        loop {
            let rows = self
                .run("rotate keys", async {
                    let client = self.client().await?;
                    let statement = client.prepare_cached(TO_ROTATE).await.map_err(pg("cannot list records"))?;
                    client.query(&statement, &[&current, &after]).await.map_err(pg("cannot list records"))
                })
                .await?;
            if rows.is_empty() {
                return Ok(report);
            }
            for row in rows {
                let corrupt = |_| StoreError::Corrupt { reason: "a session row has unexpected column types".into() };
                let key: String = row.try_get(0).map_err(corrupt)?;
                let version: i64 = row.try_get(1).map_err(corrupt)?;
                let ciphertext: Vec<u8> = row.try_get(2).map_err(corrupt)?;
                let nonce: Vec<u8> = row.try_get(3).map_err(corrupt)?;
                let key_id: String = row.try_get(4).map_err(corrupt)?;
                after.clone_from(&key);
                let version = to_version(version)?;
                let Ok(plain) = self.keyring.open(&key_id, &key, version, &nonce, &ciphertext) else {
                    report.unreadable += 1;
                    continue;
                };
                let (sealed, new_nonce, new_id) = self.keyring.seal(&key, version, plain.expose_secret())?;
                let updated = self
                    .run("rotate keys", async {
                        let client = self.client().await?;
                        let statement = client.prepare_cached(REWRAP).await.map_err(pg("cannot re-encrypt"))?;
                        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
                            [&key, &to_i64(version)?, &key_id, &sealed, &new_nonce.as_slice(), &new_id];
                        client.execute(&statement, &params).await.map_err(pg("cannot re-encrypt"))
                    })
                    .await?;
                if updated == 1 {
                    report.reencrypted += 1;
                } else {
                    report.changed_meanwhile += 1;
                }
            }
        }
    }

    /// How many records each key id encrypts (ordered by id).
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] or [`StoreError::Backend`].
    pub async fn key_ids_in_use(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.run("count key ids", async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT key_id, count(*) FROM cardsdk_sessions WHERE key_id IS NOT NULL GROUP BY key_id \
                     ORDER BY key_id",
                    &[],
                )
                .await
                .map_err(pg("cannot count key ids"))?;
            rows.iter()
                .map(|row| {
                    let id: String = row.try_get(0).map_err(pg("cannot count key ids"))?;
                    let count: i64 = row.try_get(1).map_err(pg("cannot count key ids"))?;
                    Ok((id, count.max(0) as u64))
                })
                .collect()
        })
        .await
    }

    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Runs `work` within the operation timeout.
    async fn run<T>(
        &self,
        what: &'static str,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.op_timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::unavailable(
                format!("PostgreSQL did not answer within {} ms ({what})", self.op_timeout.as_millis()),
                None,
            )),
        }
    }

    async fn load_now(&self, key: &str) -> Result<Record, StoreError> {
        check_key(key)?;
        let row = self
            .run("load a session", async {
                let client = self.client().await?;
                let statement = client.prepare_cached(LOAD).await.map_err(pg("cannot load a session"))?;
                client.query_opt(&statement, &[&key]).await.map_err(pg("cannot load a session"))
            })
            .await?;
        let Some(row) = row else { return Ok(Record::empty()) };
        let corrupt = |_| StoreError::Corrupt { reason: "a session row has unexpected column types".into() };
        let version = to_version(row.try_get(0).map_err(corrupt)?)?;
        let ciphertext: Option<Vec<u8>> = row.try_get(1).map_err(corrupt)?;
        let nonce: Option<Vec<u8>> = row.try_get(2).map_err(corrupt)?;
        let key_id: Option<String> = row.try_get(3).map_err(corrupt)?;
        match (ciphertext, nonce, key_id) {
            (None, None, None) => Ok(Record { version, payload: None }),
            (Some(ciphertext), Some(nonce), Some(key_id)) => {
                let payload = self.keyring.open(&key_id, key, version, &nonce, &ciphertext)?;
                Ok(Record { version, payload: Some(payload) })
            }
            _ => Err(StoreError::Corrupt { reason: "a session row lacks its nonce or key id".into() }),
        }
    }

    /// The stored version and whether the record is empty (`None`: no row).
    async fn current(&self, key: &str) -> Result<Option<(Version, bool)>, StoreError> {
        let row = self
            .run("read a version", async {
                let client = self.client().await?;
                let statement = client.prepare_cached(CURRENT).await.map_err(pg("cannot read a version"))?;
                client.query_opt(&statement, &[&key]).await.map_err(pg("cannot read a version"))
            })
            .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let version: i64 = row.try_get(0).map_err(pg("cannot read a version"))?;
                let empty: bool = row.try_get(1).map_err(pg("cannot read a version"))?;
                Ok(Some((to_version(version)?, empty)))
            }
        }
    }

    async fn save_now(&self, key: &str, payload: &[u8], expected: Version) -> Result<Version, StoreError> {
        check_key(key)?;
        let next = expected.next();
        let (ciphertext, nonce, key_id) = self.keyring.seal(key, next, payload)?;
        let nonce = nonce.as_slice();
        let updated = self
            .run("save a session", async {
                let client = self.client().await?;
                let err = pg("cannot save a session");
                if expected == Version::NONE {
                    let statement = client.prepare_cached(INSERT).await.map_err(err)?;
                    client.execute(&statement, &[&key, &ciphertext, &nonce, &key_id]).await.map_err(err)
                } else {
                    let statement = client.prepare_cached(UPDATE).await.map_err(err)?;
                    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
                        [&key, &ciphertext, &nonce, &key_id, &to_i64(next)?, &to_i64(expected)?];
                    client.execute(&statement, &params).await.map_err(err)
                }
            })
            .await?;
        if updated == 1 {
            return Ok(next);
        }
        let current = self.current(key).await?.map_or(Version::NONE, |(v, _)| v);
        Err(StoreError::Conflict { expected, current })
    }

    async fn clear_now(&self, key: &str, expected: Version) -> Result<Version, StoreError> {
        check_key(key)?;
        let next = expected.next();
        let updated = self
            .run("clear a session", async {
                let client = self.client().await?;
                let statement = client.prepare_cached(CLEAR).await.map_err(pg("cannot clear a session"))?;
                client
                    .execute(&statement, &[&key, &to_i64(expected)?, &to_i64(next)?])
                    .await
                    .map_err(pg("cannot clear a session"))
            })
            .await?;
        if updated == 1 {
            return Ok(next);
        }
        match self.current(key).await? {
            None if expected == Version::NONE => Ok(Version::NONE),
            Some((current, true)) if current == expected => Ok(current),
            other => Err(StoreError::Conflict { expected, current: other.map_or(Version::NONE, |(v, _)| v) }),
        }
    }

    async fn try_lease_now(&self, key: &str, holder: &str, ttl: Duration) -> Result<LeaseAttempt, StoreError> {
        check_key(key)?;
        check_lease(holder, ttl)?;
        let ms = ttl_ms(ttl);
        for _ in 0..3 {
            let started = Instant::now();
            let taken = self
                .run("take a lease", async {
                    let client = self.client().await?;
                    let statement = client.prepare_cached(TAKE).await.map_err(pg("cannot take a lease"))?;
                    client.execute(&statement, &[&key, &holder, &ms]).await.map_err(pg("cannot take a lease"))
                })
                .await?;
            if taken == 1 {
                return Ok(LeaseAttempt::Acquired(Lease::new(key, holder, ttl, started)));
            }
            let row = self
                .run("read a lease", async {
                    let client = self.client().await?;
                    let statement = client.prepare_cached(HOLDER).await.map_err(pg("cannot read a lease"))?;
                    client.query_opt(&statement, &[&key]).await.map_err(pg("cannot read a lease"))
                })
                .await?;
            if let Some(row) = row {
                let current: Option<String> = row.try_get(0).map_err(pg("cannot read a lease"))?;
                let remaining: Option<i64> = row.try_get(1).map_err(pg("cannot read a lease"))?;
                if let (Some(current), Some(remaining)) = (current, remaining)
                    && remaining > 0
                {
                    return Ok(LeaseAttempt::Busy {
                        holder: current,
                        remaining: Duration::from_millis(remaining as u64),
                    });
                }
            }
            // Released or expired between the two statements: try again.
        }
        Ok(LeaseAttempt::Busy { holder: String::new(), remaining: Duration::ZERO })
    }

    async fn renew_now(&self, key: &str, holder: &str, ttl: Duration) -> Result<Lease, StoreError> {
        check_key(key)?;
        check_lease(holder, ttl)?;
        let ms = ttl_ms(ttl);
        let started = Instant::now();
        let renewed = self
            .run("renew a lease", async {
                let client = self.client().await?;
                let statement = client.prepare_cached(RENEW).await.map_err(pg("cannot renew a lease"))?;
                client.execute(&statement, &[&key, &holder, &ms]).await.map_err(pg("cannot renew a lease"))
            })
            .await?;
        if renewed == 1 { Ok(Lease::new(key, holder, ttl, started)) } else { Err(StoreError::LeaseLost) }
    }

    async fn release_now(&self, key: &str, holder: &str) -> Result<bool, StoreError> {
        check_key(key)?;
        let row = self
            .run("release a lease", async {
                let client = self.client().await?;
                let statement = client.prepare_cached(RELEASE).await.map_err(pg("cannot release a lease"))?;
                client.query_opt(&statement, &[&key, &holder]).await.map_err(pg("cannot release a lease"))
            })
            .await?;
        match row {
            None => Ok(false),
            Some(row) => Ok(row.try_get::<_, Option<bool>>(0).map_err(pg("cannot release a lease"))?.unwrap_or(false)),
        }
    }
}

impl SessionStore for PostgresStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Record> {
        Box::pin(self.load_now(key))
    }

    fn save<'a>(&'a self, key: &'a str, payload: &'a [u8], expected: Version) -> StoreFuture<'a, Version> {
        Box::pin(self.save_now(key, payload, expected))
    }

    fn clear<'a>(&'a self, key: &'a str, expected: Version) -> StoreFuture<'a, Version> {
        Box::pin(self.clear_now(key, expected))
    }

    fn try_lease<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, LeaseAttempt> {
        Box::pin(self.try_lease_now(key, holder, ttl))
    }

    fn renew<'a>(&'a self, key: &'a str, holder: &'a str, ttl: Duration) -> StoreFuture<'a, Lease> {
        Box::pin(self.renew_now(key, holder, ttl))
    }

    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(self.release_now(key, holder))
    }
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

fn to_version(n: i64) -> Result<Version, StoreError> {
    u64::try_from(n)
        .map(Version::new)
        .map_err(|_| StoreError::Corrupt { reason: "a session row has a negative version".into() })
}

fn to_i64(v: Version) -> Result<i64, StoreError> {
    i64::try_from(v.get())
        .map_err(|_| StoreError::InvalidInput { what: "version", reason: "is beyond PostgreSQL's bigint" })
}

/// Maps a driver error, as [`StoreError::Unavailable`] when it is about reaching the server.
fn pg(what: &'static str) -> impl Fn(tokio_postgres::Error) -> StoreError + Copy {
    move |e| classify(what, e)
}

fn classify(what: &'static str, e: tokio_postgres::Error) -> StoreError {
    let unavailable = match e.code() {
        // Connection exceptions, the server shutting down or not yet up, out of resources, a statement
        // timeout, serialization failures and deadlocks: all worth retrying later.
        Some(code) => {
            let code = code.code();
            code.starts_with("08")
                || code.starts_with("57P")
                || code.starts_with("53")
                || matches!(code, "57014" | "40001" | "40P01" | "55P03")
        }
        // No SQLSTATE: the driver's own errors; those about the connection are its I/O, closed, connect and
        // timeout kinds (recognized by their fixed messages).
        None => matches!(
            e.to_string().as_str(),
            "error communicating with the server"
                | "connection closed"
                | "error connecting to server"
                | "timeout waiting for server"
                | "error performing TLS handshake"
        ),
    };
    if unavailable {
        StoreError::unavailable(what, Some(Box::new(e)))
    } else {
        StoreError::Backend { reason: what.to_owned(), source: Some(Box::new(e)) }
    }
}

fn pool_error(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => classify("cannot connect to PostgreSQL", e),
        PoolError::Timeout(_) | PoolError::Closed | PoolError::PostCreateHook(_) => {
            StoreError::unavailable("no PostgreSQL connection available", Some(Box::new(e)))
        }
        PoolError::NoRuntimeSpecified => StoreError::Backend {
            reason: "the PostgreSQL pool has timeouts but no runtime".into(),
            source: Some(Box::new(e)),
        },
    }
}
