//! The app's access token: SaaS Login (client id + secret) and Refresh Token, behind the shared single-flight
//! ([`cardsdk_runtime::single_flight`]): however many calls need a token at once, one token request is sent.
//!
//! - **Ahead of expiry**: a token within the client's `refresh_ahead` of its `accessTokenExpiry` is renewed before
//!   the call is sent. If that renewal fails while the token has not expired yet, the call goes on with it.
//! - **Rejected**: a 401 or code 1003 (TOKEN_EXPIRED) on a call sent with the token renews it and replays the call
//!   once; 1004 (SESSION_EXPIRED) logs in again and replays once.
//! - **Renewing**: with a refresh token that has not expired, Refresh Token (which returns no new refresh token:
//!   the one from the login is kept); when the refresh is refused (any error answer: 1004, 1036, …), or the
//!   refresh token has expired, SaaS Login again with the configured credentials, once. A transport failure of
//!   the refresh is returned as it is (no login on top of an outage).
//! - Tokens never appear in Debug, logs or errors.
//!
//! # Many instances: a shared token store
//!
//! By default each process (each [`Client`](crate::Client) and its clones) holds its own token. With
//! [`ClientBuilder::token_store`](crate::ClientBuilder::token_store) the token lives in a [`store::SessionStore`]
//! under one key, shared by every replica, so that N replicas renew **once** between them:
//!
//! - A fresh token held in memory is used without touching the store.
//! - A renewal (still one per process, behind the single flight) first reloads the record: a newer version than
//!   the one this process holds, whose access token is not due, is adopted as it is. Otherwise it takes the
//!   key's renewal lease, reloads, adopts a newer token saved meanwhile, or else refreshes (or logs in), saves the
//!   new token by compare-and-swap on the version it read (on a conflict: reloads and adopts the winner's), and
//!   releases the lease. A lease held by another replica is waited for, looking at the store again after a few
//!   milliseconds, then at doubling, jittered intervals up to 250 ms ([`LeaseWait`]), until the holder saves —
//!   or its lease runs out (it does on its own when the holder dies), and then it is taken.
//! - The store failing (down, unreachable, a corrupt record) is an error of the call
//!   ([`Error::Auth`] whose source names the store: [`Error::store_error`]); meanwhile a
//!   token that has not expired keeps being used, and renewals back off (per the retry policy) instead of asking
//!   the store on every call.
//! - The record's payload is the token as JSON, in the shape of the SaaS Login answer (`accessToken`,
//!   `accessTokenExpiry`, `refreshToken`, `refreshTokenExpiry`, expiries in RFC 3339); it never shows in `Debug`,
//!   logs or errors, and `store::PostgresStore` (feature `postgres-store`) encrypts it at rest.
//!
//! ```
//! use std::sync::Arc;
//! use vaultspay::auth::store::{MemoryStore, SessionStore};
//! # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/test-public-spki.b64"));
//!
//! // One store for every replica (memory here: the tasks of one process; `PostgresStore` across hosts).
//! let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
//! let replica = || {
//!     vaultspay::Client::builder().client_id("id").client_secret("secret").app_id("app").public_key(key)?
//!         .token_store(store.clone(), "vaultspay/app-17") // the same store and key on every replica
//!         .build()
//! };
//! let (a, b) = (replica()?, replica()?);
//! assert_eq!((a.token_requests(), b.token_adoptions()), (0, 0)); // nothing sent before the first call
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardsdk_runtime::Timestamp;
use cardsdk_runtime::chrono::{DateTime, SecondsFormat, Utc};
use cardsdk_runtime::single_flight::{Backoff, FlightError, SingleFlight};
use cardsdk_runtime::store::{LeaseAttempt, LeaseWait, SessionStore, StoreError, Version};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use crate::api;
use crate::call::Call as _;
use crate::error::{Error, ErrorContext};

/// The session stores a client can share its token through ([`cardsdk_runtime::store`], re-exported):
/// [`MemoryStore`](store::MemoryStore) (the tasks of one process), `FileStore` (feature `file-store`: the
/// processes of one machine), `PostgresStore` (feature `postgres-store`: any number of instances, AES-256-GCM at
/// rest). See [`ClientBuilder::token_store`](crate::ClientBuilder::token_store).
///
/// ```
/// use vaultspay::auth::store::{MemoryStore, SessionStore, Version};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
///
/// let store = MemoryStore::new();
/// assert_eq!(store.load("vaultspay/app-17").await.unwrap().version, Version::NONE); // never written
/// # });
/// ```
pub mod store {
    pub use cardsdk_runtime::store::*;
}

/// The default time to live of the renewal lease a client takes in its token store: 30 seconds (see
/// [`ClientBuilder::token_lease_ttl`](crate::ClientBuilder::token_lease_ttl)).
///
/// ```
/// assert_eq!(vaultspay::auth::DEFAULT_LEASE_TTL, std::time::Duration::from_secs(30));
/// ```
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(30);

/// The tokens held.
pub(crate) struct Tokens {
    /// `Bearer <accessToken>`, marked sensitive.
    pub(crate) bearer: HeaderValue,
    access: SecretString,
    access_expires: Option<DateTime<Utc>>,
    refresh: Option<SecretString>,
    refresh_expires: Option<DateTime<Utc>>,
    /// With a token store: the record version these tokens are stored at (or, when their save failed, the
    /// version it was made over). [`Version::NONE`] without a store.
    version: Version,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_expires", &self.access_expires)
            .field("refresh", &self.refresh.as_ref().map(|_| "[redacted]"))
            .field("refresh_expires", &self.refresh_expires)
            .field("version", &self.version)
            .finish()
    }
}

impl Tokens {
    fn new(
        access: &str,
        access_expires: Option<DateTime<Utc>>,
        refresh: Option<SecretString>,
        refresh_expires: Option<DateTime<Utc>>,
    ) -> Result<Tokens, Error> {
        Ok(Tokens {
            bearer: bearer(access)?,
            access: SecretString::from(access),
            access_expires,
            refresh,
            refresh_expires,
            version: Version::NONE,
        })
    }

    /// Whether the access token is within `ahead` of its expiry (never, when the expiry is unknown).
    fn due(&self, ahead: Duration) -> bool {
        self.access_expires.is_some_and(|at| {
            let ahead = cardsdk_runtime::chrono::Duration::from_std(ahead).unwrap_or_default();
            now() + ahead >= at
        })
    }

    /// Whether the access token has not expired yet.
    fn usable(&self) -> bool {
        !self.due(Duration::ZERO)
    }
}

/// The record payload: the token in the shape of the SaaS Login answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PayloadOut<'a> {
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_token_expiry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token_expiry: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PayloadIn {
    access_token: String,
    #[serde(default)]
    access_token_expiry: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    refresh_token_expiry: Option<String>,
}

fn rfc3339(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn encode(tokens: &Tokens) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
    let payload = PayloadOut {
        access_token: tokens.access.expose_secret(),
        access_token_expiry: rfc3339(tokens.access_expires),
        refresh_token: tokens.refresh.as_ref().map(|r| r.expose_secret()),
        refresh_token_expiry: rfc3339(tokens.refresh_expires),
    };
    serde_json::to_vec(&payload)
        .map(zeroize::Zeroizing::new)
        .map_err(|_| store_failure("cannot encode the token for the token store", None))
}

/// Reads a payload; the error quotes no part of it (serde's messages can quote values), only where it broke.
fn decode(payload: &[u8], version: Version) -> Result<Tokens, Error> {
    let corrupt = |reason: String| {
        store_failure("the token store's record is not a VaultsPay token", Some(StoreError::Corrupt { reason }))
    };
    let stored: PayloadIn = serde_json::from_slice(payload).map_err(|e| {
        corrupt(format!("not a VaultsPay token (line {}, column {}, {:?})", e.line(), e.column(), e.classify()))
    })?;
    let PayloadIn { access_token, access_token_expiry, refresh_token, refresh_token_expiry } = stored;
    let access = zeroize::Zeroizing::new(access_token);
    if access.is_empty() {
        return Err(corrupt("an empty access token".into()));
    }
    let mut tokens = Tokens::new(
        &access,
        expiry(access_token_expiry.as_deref()),
        refresh_token.filter(|r| !r.is_empty()).map(SecretString::from),
        expiry(refresh_token_expiry.as_deref()),
    )
    .map_err(|_| corrupt("an access token an HTTP header cannot carry".into()))?;
    tokens.version = version;
    Ok(tokens)
}

/// An error of the token store: a [`Error::Transport`] whose source is the store's [`StoreError`] (see
/// [`Error::store_error`]). Never holds a token.
fn store_failure(message: &str, source: Option<StoreError>) -> Error {
    let message = match &source {
        Some(e) => format!("token store: {message}: {e}"),
        None => format!("token store: {message}"),
    };
    Error::Transport {
        message,
        source: source.map(|e| Arc::new(e) as Arc<dyn std::error::Error + Send + Sync>),
        context: ErrorContext::default(),
    }
}

impl Error {
    /// The token store's failure behind this error, if that is what it is: the store was down or unreachable
    /// ([`StoreError::Unavailable`]), its record is corrupt, and so on. Calls
    /// that could not get a token because of it fail with [`Error::Auth`] whose source is such an error.
    ///
    /// ```
    /// use vaultspay::auth::store::StoreError;
    /// use vaultspay::{Error, ErrorContext};
    ///
    /// fn is_store_outage(err: &Error) -> bool {
    ///     err.store_error().is_some_and(StoreError::is_unavailable)
    /// }
    /// let other = Error::PageLimit { pages: 3, context: ErrorContext::operation("list_accounts") };
    /// assert!(!is_store_outage(&other));
    /// ```
    pub fn store_error(&self) -> Option<&StoreError> {
        match self {
            Error::Auth { source, .. } => source.store_error(),
            Error::Transport { source: Some(source), .. } => source.downcast_ref::<StoreError>(),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Renewal {
    /// Refresh if the refresh token allows, else log in.
    Refresh,
    /// Log in (the session expired), unless another instance stored a newer token.
    Login,
    /// Log in, whatever is stored ([`crate::Client::login`]).
    ForceLogin,
}

/// Where the token is shared: one key of a session store.
pub(crate) struct Shared {
    store: Arc<dyn SessionStore>,
    key: String,
    lease_ttl: Duration,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("key", &self.key)
            .field("lease_ttl", &self.lease_ttl)
            .field("store", &self.store)
            .finish()
    }
}

impl Shared {
    pub(crate) fn new(store: Arc<dyn SessionStore>, key: String, lease_ttl: Duration) -> Shared {
        Shared { store, key, lease_ttl }
    }

    /// The record: its version and, unless it holds none, the token.
    async fn load(&self) -> Result<(Version, Option<Tokens>), Error> {
        let record =
            self.store.load(&self.key).await.map_err(|e| store_failure("cannot load the app token", Some(e)))?;
        let tokens = match &record.payload {
            Some(payload) => Some(decode(payload.expose_secret(), record.version)?),
            None => None,
        };
        Ok((record.version, tokens))
    }

    /// How long a renewal waits for another instance's lease at most: twice its time to live (a lease runs out on
    /// its own, so a longer wait means its holder keeps taking it again).
    fn max_wait(&self) -> Duration {
        self.lease_ttl.saturating_mul(2).max(Duration::from_secs(1))
    }
}

/// The token state of a client and its clones.
pub(crate) struct Auth {
    tokens: Mutex<Option<Arc<Tokens>>>,
    flights: SingleFlight<Arc<Tokens>, Error>,
    requests: AtomicU64,
    adopted: AtomicU64,
    shared: Option<Shared>,
    /// With a store: failed renewals wait before the next one (the store or the token endpoint is failing).
    backoff: Backoff<Error>,
}

impl Auth {
    pub(crate) fn new(shared: Option<Shared>) -> Self {
        Auth {
            tokens: Mutex::new(None),
            flights: SingleFlight::new(),
            requests: AtomicU64::new(0),
            adopted: AtomicU64::new(0),
            shared,
            backoff: Backoff::new(),
        }
    }

    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub(crate) fn adoptions(&self) -> u64 {
        self.adopted.load(Ordering::Relaxed)
    }

    pub(crate) fn store_key(&self) -> Option<&str> {
        self.shared.as_ref().map(|s| s.key.as_str())
    }

    fn current(&self) -> Option<Arc<Tokens>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn install(&self, tokens: Tokens) -> Arc<Tokens> {
        let tokens = Arc::new(tokens);
        *self.tokens.lock().unwrap_or_else(|e| e.into_inner()) = Some(tokens.clone());
        tokens
    }

    /// Uses a token another instance stored, if it is newer than `seen`, not due and not the one `rejected`.
    fn adopt(
        &self,
        loaded: (Version, Option<Tokens>),
        seen: Version,
        ahead: Duration,
        rejected: Option<&HeaderValue>,
    ) -> Option<Arc<Tokens>> {
        let (version, tokens) = loaded;
        let tokens = tokens?;
        if version <= seen || tokens.due(ahead) || rejected.is_some_and(|r| *r == tokens.bearer) {
            return None;
        }
        self.adopted.fetch_add(1, Ordering::Relaxed);
        Some(self.install(tokens))
    }

    /// The token, if it is not within `ahead` of its expiry.
    fn fresh(&self, ahead: Duration) -> Option<HeaderValue> {
        let tokens = self.current()?;
        (!tokens.due(ahead)).then(|| tokens.bearer.clone())
    }

    /// The token held, if it has not expired.
    fn usable(&self) -> Option<HeaderValue> {
        self.current().filter(|t| t.usable()).map(|t| t.bearer.clone())
    }

    /// The bearer header for a call: the token held, or a renewed one (or, when the renewal fails, the one held if
    /// it has not expired).
    pub(crate) async fn bearer(&self, client: &api::Client) -> Result<HeaderValue, Error> {
        let ahead = client.inner.config.refresh_ahead;
        if let Some(bearer) = self.fresh(ahead) {
            return Ok(bearer);
        }
        let flight = {
            let guard = self.flights.lock();
            if let Some(bearer) = self.fresh(ahead) {
                return Ok(bearer);
            }
            if guard.current().is_none()
                && let Some(last) = self.backoff.current()
            {
                // Renewals are backing off after a failure: no store query, no token request.
                return self.usable().ok_or(last);
            }
            let client = client.clone();
            guard.join_or_start(move || renew(client, Renewal::Refresh, None))
        };
        match wait(flight).await {
            Ok(bearer) => Ok(bearer),
            Err(error) => match self.usable() {
                Some(bearer) => {
                    tracing::warn!(%error, "renewing the app token ahead of expiry failed; using the current token");
                    Ok(bearer)
                }
                None => Err(error),
            },
        }
    }

    /// After the server rejected `used`: a newer token if another call renewed meanwhile, else a renewal (a login
    /// when `login`).
    pub(crate) async fn after_rejection(
        &self,
        client: &api::Client,
        used: &HeaderValue,
        login: bool,
    ) -> Result<HeaderValue, Error> {
        let flight = {
            let guard = self.flights.lock();
            if let Some(current) = self.current()
                && current.bearer != used
            {
                return Ok(current.bearer.clone());
            }
            let client = client.clone();
            let how = if login { Renewal::Login } else { Renewal::Refresh };
            let used = used.clone();
            guard.join_or_start(move || renew(client, how, Some(used)))
        };
        wait(flight).await
    }

    /// Logs in now.
    pub(crate) async fn login_now(&self, client: &api::Client) -> Result<(), Error> {
        let flight = {
            let client = client.clone();
            self.flights.lock().join_or_start(move || renew(client, Renewal::ForceLogin, None))
        };
        wait(flight).await.map(|_| ())
    }
}

async fn wait(flight: cardsdk_runtime::single_flight::Flight<Arc<Tokens>, Error>) -> Result<HeaderValue, Error> {
    match flight.wait().await {
        Ok(tokens) => Ok(tokens.bearer.clone()),
        Err(FlightError::Failed(error)) => Err(error),
        Err(interrupted @ FlightError::Interrupted { .. }) => {
            Err(Error::Transport { message: interrupted.to_string(), source: None, context: ErrorContext::default() })
        }
    }
}

/// One renewal (in the flight's own task): in this process alone, or through the token store.
async fn renew(client: api::Client, how: Renewal, rejected: Option<HeaderValue>) -> Result<Arc<Tokens>, Error> {
    let auth = client.inner.auth.clone();
    let Some(shared) = &auth.shared else {
        let current = auth.current();
        return request(&client, how, current.as_deref()).await.map(|tokens| auth.install(tokens));
    };
    let result = renew_shared(&client, &auth, shared, how, rejected.as_ref()).await;
    match &result {
        Ok(_) => auth.backoff.succeeded(),
        Err(error) => {
            let policy = &client.inner.config.retry;
            auth.backoff.failed(error.clone(), |failures| policy.renewal_backoff(failures));
        }
    }
    result
}

/// The renewal through the store: adopt a newer stored token, else renew under the key's lease.
async fn renew_shared(
    client: &api::Client,
    auth: &Auth,
    shared: &Shared,
    how: Renewal,
    rejected: Option<&HeaderValue>,
) -> Result<Arc<Tokens>, Error> {
    let ahead = client.inner.config.refresh_ahead;
    let seen = auth.current().map_or(Version::NONE, |t| t.version);
    if how != Renewal::ForceLogin
        && let Some(adopted) = auth.adopt(shared.load().await?, seen, ahead, rejected)
    {
        return Ok(adopted);
    }
    let holder = cardsdk_runtime::store::unique_holder("vaultspay");
    let mut wait = LeaseWait::new(shared.max_wait());
    loop {
        match shared.store.try_lease(&shared.key, &holder, shared.lease_ttl).await {
            Ok(LeaseAttempt::Acquired(_)) => break,
            Ok(LeaseAttempt::Busy { remaining, .. }) => {
                let Some(pause) = wait.next_pause(remaining) else {
                    return Err(store_failure(
                        "another instance kept the app token's renewal lease for too long",
                        None,
                    ));
                };
                tokio::time::sleep(pause).await;
                if how != Renewal::ForceLogin
                    && let Some(adopted) = auth.adopt(shared.load().await?, seen, ahead, rejected)
                {
                    return Ok(adopted);
                }
            }
            Err(e) => return Err(store_failure("cannot take the app token's renewal lease", Some(e))),
        }
    }
    let result = renew_leased(client, auth, shared, how, seen, rejected).await;
    if let Err(e) = shared.store.release(&shared.key, &holder).await {
        tracing::debug!(error = %e, "releasing the app token's renewal lease failed (it runs out by itself)");
    }
    result
}

/// Under the lease: reload; adopt a newer token; else request one and save it over the version read.
async fn renew_leased(
    client: &api::Client,
    auth: &Auth,
    shared: &Shared,
    how: Renewal,
    seen: Version,
    rejected: Option<&HeaderValue>,
) -> Result<Arc<Tokens>, Error> {
    let ahead = client.inner.config.refresh_ahead;
    let (version, stored) = shared.load().await?;
    let held = auth.current();
    let newer = match stored {
        Some(stored) if version > seen && how != Renewal::ForceLogin => {
            if !stored.due(ahead) && rejected.is_none_or(|r| *r != stored.bearer) {
                auth.adopted.fetch_add(1, Ordering::Relaxed);
                return Ok(auth.install(stored));
            }
            // Newer but due itself: renewed from there (its refresh token).
            Some(stored)
        }
        _ => None,
    };
    let base = newer.as_ref().or(held.as_deref());
    let mut fresh = request(client, how, base).await?;
    let payload = encode(&fresh)?;
    let mut expected = version;
    for attempt in 0..2 {
        match shared.store.save(&shared.key, &payload, expected).await {
            Ok(saved) => {
                fresh.version = saved;
                return Ok(auth.install(fresh));
            }
            // Written meanwhile by a writer without the lease (one whose lease ran out): its token is used if it
            // is newer and not due; else this one is saved over it, once.
            Err(StoreError::Conflict { current, .. }) if attempt == 0 => {
                tracing::debug!(%expected, %current, "the stored app token changed while this one was requested");
                match shared.load().await {
                    Ok(loaded) => {
                        let theirs = loaded.0;
                        if how != Renewal::ForceLogin
                            && let Some(adopted) = auth.adopt(loaded, version, ahead, rejected)
                        {
                            return Ok(adopted);
                        }
                        expected = theirs;
                    }
                    Err(error) => return keep_unsaved(auth, fresh, version, &error),
                }
            }
            Err(e) => return keep_unsaved(auth, fresh, version, &store_failure("cannot save the app token", Some(e))),
        }
    }
    keep_unsaved(auth, fresh, version, &store_failure("the stored app token kept changing", None))
}

/// A token the server issued whose save failed: used by this process all the same (it is valid); the other
/// instances renew on their own meanwhile.
fn keep_unsaved(auth: &Auth, mut fresh: Tokens, version: Version, error: &Error) -> Result<Arc<Tokens>, Error> {
    tracing::warn!(%error, "the new app token could not be saved to the token store; using it in this process only");
    fresh.version = version;
    Ok(auth.install(fresh))
}

/// Sends the token request(s): refresh when `how` and `base` allow, else — or when the refresh is refused — login.
async fn request(client: &api::Client, how: Renewal, base: Option<&Tokens>) -> Result<Tokens, Error> {
    let auth = &client.inner.auth;
    let refresh = base.filter(|_| how == Renewal::Refresh).and_then(|t| {
        let alive = t.refresh_expires.is_none_or(|at| now() < at);
        t.refresh.clone().filter(|_| alive).map(|r| (r, t.refresh_expires))
    });
    if let Some((refresh_token, refresh_expires)) = refresh {
        auth.requests.fetch_add(1, Ordering::Relaxed);
        let request = api::types::RefreshSaasTokenRequest::builder().refresh_token(refresh_token.expose_secret());
        match client.refresh_saas_token().body(request).call().await {
            Ok(Some(data)) if data.access_token.as_deref().is_some_and(|t| !t.is_empty()) => {
                let access = data.access_token.as_deref().unwrap_or_default();
                let expires = expiry(data.access_token_expiry.as_deref());
                return Tokens::new(access, expires, Some(refresh_token), refresh_expires);
            }
            Ok(_) => tracing::debug!("the refresh answer has no access token; logging in again"),
            Err(error @ Error::Transport { .. }) => return Err(error),
            Err(error) => tracing::debug!(%error, "the refresh was refused; logging in again"),
        }
    }
    auth.requests.fetch_add(1, Ordering::Relaxed);
    let config = &client.inner.config;
    let request = api::types::SaasLoginRequest::builder()
        .client_id(config.client_id.clone())
        .client_secret(config.client_secret.expose_secret());
    let session = client.saas_login().body(request).call().await?;
    let access = session.access_token.as_deref().filter(|t| !t.is_empty()).ok_or_else(|| Error::Api {
        code: None,
        error_type: None,
        message: "the login answer has no accessToken".into(),
        errors: Vec::new(),
        context: ErrorContext::operation("saas_login"),
    })?;
    Tokens::new(
        access,
        expiry(session.access_token_expiry.as_deref()),
        session.refresh_token.as_deref().filter(|t| !t.is_empty()).map(SecretString::from),
        expiry(session.refresh_token_expiry.as_deref()),
    )
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}

fn bearer(access: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(&format!("Bearer {access}")).map_err(|_| Error::Api {
        code: None,
        error_type: None,
        message: "the access token is not a valid HTTP header value".into(),
        errors: Vec::new(),
        context: ErrorContext::operation("saas_login"),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// An expiry as an instant: ISO 8601 with or without an offset (zone-less read as UTC); unreadable → unknown
/// (the token is then used until the server rejects it).
fn expiry(text: Option<&str>) -> Option<DateTime<Utc>> {
    let text = text?;
    match Timestamp::parse(text) {
        Ok(at) => Some(at.utc()),
        Err(_) => {
            tracing::debug!("an expiry that is not a timestamp; the token is used until rejected");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(expires_in: i64) -> Tokens {
        let at = now() + cardsdk_runtime::chrono::Duration::seconds(expires_in);
        Tokens::new("vp_at_secret", Some(at), Some(SecretString::from("vp_rt_secret")), Some(at)).unwrap()
    }

    #[test]
    fn the_payload_round_trips_and_debug_shows_no_token() {
        let original = tokens(600);
        let payload = encode(&original).unwrap();
        let text = std::str::from_utf8(&payload).unwrap();
        assert!(text.contains("\"accessToken\":\"vp_at_secret\"") && text.contains("\"refreshToken\""), "{text}");
        let back = decode(&payload, Version::new(4)).unwrap();
        assert_eq!(back.access.expose_secret(), "vp_at_secret");
        assert_eq!(back.refresh.as_ref().unwrap().expose_secret(), "vp_rt_secret");
        assert_eq!(back.version, Version::new(4));
        // Millisecond precision survives.
        assert_eq!(
            back.access_expires.unwrap().timestamp_millis(),
            original.access_expires.unwrap().timestamp_millis()
        );
        assert!(!back.due(Duration::from_secs(60)) && back.due(Duration::from_secs(601)));
        assert!(!format!("{back:?}").contains("secret"));
    }

    #[test]
    fn a_corrupt_record_is_a_store_error_that_quotes_nothing() {
        let err = decode(br#"{"accessToken": 12345678, "x": "vp_at_secret"}"#, Version::new(1)).unwrap_err();
        assert!(matches!(err.store_error(), Some(StoreError::Corrupt { .. })), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("vp_at_secret") && !err.to_string().contains("12345678"));
        let wrapped = Error::Auth { source: Box::new(err), context: ErrorContext::operation("ping") };
        assert!(wrapped.store_error().is_some());
        let err = decode(br#"{"accessToken": ""}"#, Version::new(1)).unwrap_err();
        assert!(err.store_error().is_some());
    }

    #[test]
    fn a_minimal_record_has_unknown_expiries() {
        let back = decode(br#"{"accessToken":"a"}"#, Version::new(1)).unwrap();
        assert!(back.refresh.is_none() && back.access_expires.is_none() && !back.due(Duration::from_secs(3600)));
    }
}
