//! [`Session`]: the tokens a client acts with, renewed ahead of expiry and after a 401, one refresh at a time —
//! in this process and, through a shared [`TokenStore`], across every instance that acts for the same user.
//!
//! - **Refresh ahead**: a call that finds the access token within the refresh margin of its expiry (default 5
//!   minutes, at most half its lifetime) renews it first.
//! - **Single flight**: however many calls find it stale at once, one renewal runs in this process; the others
//!   wait for it and go on with the new token, or all fail with the same error.
//! - **Across instances**: with a store, the renewal takes the session's renewal lease in the store, reloads the
//!   record, and uses the tokens another instance rotated meanwhile (a newer version than the one this process
//!   holds); only otherwise does it send the refresh request, save the new tokens by compare-and-swap on the
//!   version read, and release the lease. A lease held by another instance is waited for (looking at the store
//!   again after a few milliseconds, then at doubling intervals up to 250 ms — see
//!   [`LeaseWait`](crate::store::LeaseWait) — and at most until the lease runs out, which it does on its own when
//!   its holder died); then the record is reloaded. While the cached access token is fresh, calls do not touch the
//!   store at all.
//! - **Rotation**: the refresh runs in its own task, so a caller that gives up cannot lose the rotated refresh
//!   token half-way; the new token set is saved to the store before it is used, and kept in memory (with the
//!   lease, until it runs out) if the save fails, to be saved before its next use.
//! - **Back-off**: a renewal that fails for any other reason (the store is down, the token endpoint fails) is not
//!   retried by every call: further renewals wait (shared by every clone of the session, jittered, growing with
//!   each failure, per the client's [`RetryPolicy`](crate::retry::RetryPolicy)); meanwhile a still-valid access
//!   token keeps being used, and an expired one fails at once with the last renewal error, without a request.
//! - **Never cached**: a failed or cancelled renewal (its runtime dropped mid-flight) is seen only by the calls that
//!   waited for it; the next call starts afresh.
//! - **One save**: the calls that find rotated tokens not yet saved wait for one save, not one each.
//! - **End**: only an answer that says the refresh token is dead (`invalid_grant`) ends the session
//!   ([`Error::SessionExpired`]) — and only after reloading the store finds no newer tokens; the store is then
//!   cleared only if it still holds the version this renewal started from. Any other refusal leaves the session
//!   as it is. A refresh that timed out (the server may have rotated already) is tried once more with the same
//!   refresh token first. A record cleared by another instance (a sign-out) ends the session here too. A password
//!   session (no refresh token) ends at its expiry with the same error, not a 401.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use cardsdk_runtime::single_flight::{Backoff, FlightError, SingleFlight};
use cardsdk_runtime::store::{LeaseAttempt, LeaseWait, StoreError, Version};
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use reqwest::header::HeaderValue;
use secrecy::ExposeSecret;

use super::store::{Loaded, encode, store_error};
use super::{TokenKind, TokenSet, TokenStore};
use crate::api;
use crate::api::types::{ExchangeOAuth2TokenRequest, OAuthGrantType, OAuthTokenRequest};
use crate::error::{Error, ErrorContext};

/// The tokens a [`Client`](crate::Client) acts with. Cheap to clone: clones share the tokens.
///
/// ```no_run
/// use std::sync::Arc;
/// use baanx::auth::{Session, TokenStore};
/// use baanx::store::FileStore;
///
/// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
/// // One session per user on a backend, all in one store, each under its own key.
/// let store = Arc::new(FileStore::new("/var/lib/myapp/sessions").expect("a writable directory"));
/// let alice = client.with_session(Session::with_store(TokenStore::new(store.clone(), "alice")));
/// if alice.session().load().await?.is_none() {
///     // not signed in yet
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Session {
    state: Arc<State>,
}

struct State {
    slot: RwLock<Slot>,
    /// The refresh under way, shared by every call waiting for it.
    flights: SingleFlight<Arc<Installed>, Error>,
    backoff: Backoff<Error>,
    store: Option<TokenStore>,
    loaded: tokio::sync::OnceCell<()>,
    /// The newest record version this process has seen in the store.
    seen: AtomicU64,
    refreshes: AtomicU64,
    adopted: AtomicU64,
}

#[derive(Clone)]
enum Slot {
    Empty,
    Active(Arc<Installed>),
    Ended(String),
}

/// A token set in use, with its `Authorization` header built once.
pub(crate) struct Installed {
    pub(crate) tokens: TokenSet,
    pub(crate) bearer: HeaderValue,
    persisted: AtomicBool,
    /// Saved: the record version these tokens are stored at. Not yet saved: the version the save expects.
    version: AtomicU64,
    /// The renewal lease kept for these tokens while they are not saved (released by the save).
    lease: Mutex<Option<String>>,
    /// Held while this token set is being saved, so that concurrent callers wait for one save.
    saving: tokio::sync::Mutex<()>,
}

impl Installed {
    fn new(tokens: TokenSet, version: Version, persisted: bool) -> Result<Arc<Self>, Error> {
        let mut bearer =
            HeaderValue::from_str(&format!("Bearer {}", tokens.access_token().expose_secret())).map_err(|_| {
                Error::InvalidRequest {
                    message: "the access token holds characters an HTTP header cannot carry".into(),
                    context: ErrorContext::default(),
                }
            })?;
        bearer.set_sensitive(true);
        Ok(Arc::new(Installed {
            tokens,
            bearer,
            persisted: AtomicBool::new(persisted),
            version: AtomicU64::new(version.get()),
            lease: Mutex::new(None),
            saving: tokio::sync::Mutex::new(()),
        }))
    }

    fn version(&self) -> Version {
        Version::new(self.version.load(Ordering::Acquire))
    }

    fn persisted(&self) -> bool {
        self.persisted.load(Ordering::Acquire)
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slot = self.state.slot.read().map(|s| s.clone()).unwrap_or(Slot::Empty);
        let mut d = f.debug_struct("Session");
        match slot {
            Slot::Empty => d.field("state", &"signed out"),
            Slot::Ended(reason) => d.field("state", &"ended").field("reason", &reason),
            Slot::Active(i) => d.field("state", &"active").field("tokens", &i.tokens).field("version", &i.version()),
        };
        d.field("store", &self.state.store).finish()
    }
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    fn build(slot: Slot, store: Option<TokenStore>) -> Self {
        let loaded = tokio::sync::OnceCell::new();
        if store.is_none() {
            let _ = loaded.set(());
        }
        Session {
            state: Arc::new(State {
                slot: RwLock::new(slot),
                flights: SingleFlight::new(),
                backoff: Backoff::new(),
                store,
                loaded,
                seen: AtomicU64::new(0),
                refreshes: AtomicU64::new(0),
                adopted: AtomicU64::new(0),
            }),
        }
    }

    /// A signed-out session kept in memory.
    ///
    /// ```
    /// use baanx::auth::Session;
    ///
    /// let session = Session::new();
    /// assert!(!session.is_signed_in());
    /// assert!(session.tokens().is_none());
    /// ```
    pub fn new() -> Self {
        Session::build(Slot::Empty, None)
    }

    /// A session kept in `store`: its tokens load on first use, each new token set is saved there, and renewals
    /// are coordinated with every other instance using the same store and key.
    ///
    /// ```
    /// use baanx::auth::{Session, TokenSet, TokenStore};
    /// use baanx::store::Version;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let tokens = TokenSet::new("access", std::time::SystemTime::now(), baanx::Region::International);
    ///
    /// let store = TokenStore::memory();
    /// store.save(&tokens, Version::NONE).await.unwrap(); // saved by an earlier run, or another instance
    /// let session = Session::with_store(store);
    /// assert!(session.load().await.unwrap().is_some()); // loaded on first use
    /// # });
    /// ```
    pub fn with_store(store: TokenStore) -> Self {
        Session::build(Slot::Empty, Some(store))
    }

    /// A session acting with `tokens` (kept in memory), e.g. tokens a backend handed to the app.
    ///
    /// ```
    /// use std::time::{Duration, Instant, SystemTime};
    /// use baanx::auth::{Session, TokenSet};
    /// use baanx::Region;
    /// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
    ///
    /// // Tokens a backend handed to the app after the code exchange.
    /// let tokens = TokenSet::new("access", SystemTime::now() + Duration::from_secs(3600), Region::International);
    /// let client = client.with_session(Session::from_tokens(tokens)?);
    /// assert!(client.session().is_signed_in());
    /// # Ok::<(), baanx::Error>(())
    /// ```
    pub fn from_tokens(tokens: TokenSet) -> Result<Self, Error> {
        Ok(Session::build(Slot::Active(Installed::new(tokens, Version::NONE, true)?), None))
    }

    /// Loads the store's tokens if that has not happened yet, and returns the current ones.
    ///
    /// ```
    /// use baanx::auth::{Session, TokenStore};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    ///
    /// let session = Session::with_store(TokenStore::memory());
    /// match session.load().await.unwrap() {
    ///     Some(tokens) => println!("signed in until {:?}", tokens.expires_at()),
    ///     None => println!("signed out: log in first"),
    /// }
    /// # });
    /// ```
    pub async fn load(&self) -> Result<Option<TokenSet>, Error> {
        self.ensure_loaded().await?;
        Ok(self.tokens())
    }

    /// The current tokens (in memory), if signed in.
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// use baanx::auth::{ExposeSecret, Session, TokenSet};
    ///
    /// let tokens = TokenSet::new("access-123", SystemTime::now(), baanx::Region::International);
    /// let session = Session::from_tokens(tokens)?;
    /// let current = session.tokens().expect("signed in");
    /// assert_eq!(current.access_token().expose_secret(), "access-123");
    /// # Ok::<(), baanx::Error>(())
    /// ```
    pub fn tokens(&self) -> Option<TokenSet> {
        match self.slot() {
            Slot::Active(i) => Some(i.tokens.clone()),
            _ => None,
        }
    }

    /// The store version of the tokens in use: `None` without a store, when signed out, or while the tokens in
    /// use are not saved yet.
    ///
    /// ```
    /// use baanx::auth::{Session, TokenSet, TokenStore};
    /// use baanx::store::Version;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let tokens = TokenSet::new("access", std::time::SystemTime::now(), baanx::Region::International);
    ///
    /// let store = TokenStore::memory();
    /// let v1 = store.save(&tokens, Version::NONE).await.unwrap();
    /// let session = Session::with_store(store);
    /// session.load().await.unwrap();
    /// assert_eq!(session.stored_version(), Some(v1));
    /// # });
    /// ```
    pub fn stored_version(&self) -> Option<Version> {
        self.state.store.as_ref()?;
        match self.slot() {
            Slot::Active(i) if i.persisted() => Some(i.version()),
            _ => None,
        }
    }

    /// The session's store, if it has one.
    ///
    /// ```
    /// use baanx::auth::{Session, TokenStore};
    ///
    /// assert!(Session::new().store().is_none());
    /// assert_eq!(Session::with_store(TokenStore::memory()).store().unwrap().key(), "default");
    /// ```
    pub fn store(&self) -> Option<&TokenStore> {
        self.state.store.as_ref()
    }

    /// Whether the session holds tokens (they may still be expired).
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// use baanx::auth::{Session, TokenSet};
    ///
    /// assert!(!Session::new().is_signed_in());
    /// let tokens = TokenSet::new("access", SystemTime::now(), baanx::Region::International);
    /// assert!(Session::from_tokens(tokens)?.is_signed_in()); // even though these have expired
    /// # Ok::<(), baanx::Error>(())
    /// ```
    pub fn is_signed_in(&self) -> bool {
        matches!(self.slot(), Slot::Active(_))
    }

    /// How many refresh requests this session has sent.
    ///
    /// ```
    /// let client = baanx::Client::builder().client_key("pk_test_123").build()?;
    /// // E.g. exported as a metric: how often this session renewed its tokens.
    /// assert_eq!(client.session().refresh_count(), 0);
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn refresh_count(&self) -> u64 {
        self.state.refreshes.load(Ordering::Relaxed)
    }

    /// How many renewals this session took from its store instead of refreshing: another instance had rotated
    /// the tokens already.
    ///
    /// ```
    /// use baanx::auth::{Session, TokenStore};
    ///
    /// assert_eq!(Session::with_store(TokenStore::memory()).adopted_count(), 0);
    /// ```
    pub fn adopted_count(&self) -> u64 {
        self.state.adopted.load(Ordering::Relaxed)
    }

    /// Forgets the tokens here and in the store, whatever version it holds: a sign-out (the server is not told:
    /// see [`Client::logout`](crate::Client::logout)). Every other instance using the store ends the session at
    /// its next renewal.
    ///
    /// ```
    /// use baanx::auth::{Session, TokenSet, TokenStore};
    /// use baanx::store::Version;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let tokens = TokenSet::new("access", std::time::SystemTime::now(), baanx::Region::International);
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = TokenStore::file(dir.path(), "alice").unwrap();
    /// store.save(&tokens, Version::NONE).await.unwrap();
    /// let session = Session::with_store(store.clone());
    /// session.clear().await.unwrap(); // here and in the store
    /// assert!(store.load().await.unwrap().is_none());
    /// # });
    /// ```
    pub async fn clear(&self) -> Result<(), Error> {
        self.set(Slot::Empty);
        let Some(store) = &self.state.store else {
            return Ok(());
        };
        let mut expected = store.load_record().await?.version;
        for _ in 0..4 {
            match store.raw().clear(store.key(), expected).await {
                Ok(version) => {
                    self.saw(version);
                    return Ok(());
                }
                Err(StoreError::Conflict { current, .. }) => expected = current,
                Err(e) => return Err(store_error("cannot clear the session's tokens", e)),
            }
        }
        Err(Error::TokenStore {
            message: "the session's record kept changing while it was being cleared".into(),
            source: None,
            context: ErrorContext::default(),
        })
    }

    /// Saves `tokens` to the store (a sign-in: over whatever it holds), then makes them the session's.
    pub(crate) async fn install(&self, tokens: TokenSet) -> Result<(), Error> {
        let base = Version::new(self.state.seen.load(Ordering::Acquire));
        let installed = Installed::new(tokens, base, false)?;
        // The new tokens replace the old ones even if the save fails: they may be the only valid ones.
        self.set(Slot::Active(installed.clone()));
        let _ = self.state.loaded.set(());
        self.persist(&installed, None).await
    }

    fn slot(&self) -> Slot {
        self.state.slot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, slot: Slot) {
        *self.state.slot.write().unwrap_or_else(|e| e.into_inner()) = slot;
    }

    fn saw(&self, version: Version) {
        self.state.seen.fetch_max(version.get(), Ordering::AcqRel);
    }

    async fn ensure_loaded(&self) -> Result<(), Error> {
        let Some(store) = &self.state.store else {
            return Ok(());
        };
        self.state
            .loaded
            .get_or_try_init(|| async {
                let loaded = store.load_record().await?;
                self.saw(loaded.version);
                if let Some(tokens) = loaded.tokens {
                    let mut slot = self.state.slot.write().unwrap_or_else(|e| e.into_inner());
                    if matches!(*slot, Slot::Empty) {
                        *slot = Slot::Active(Installed::new(tokens, loaded.version, true)?);
                    }
                }
                Ok::<(), Error>(())
            })
            .await
            .map(|_| ())
    }

    /// A signed-out session with a store: tokens another instance saved since (a sign-in there).
    async fn reload_signed_out(&self) -> Result<Option<Arc<Installed>>, Error> {
        let Some(store) = &self.state.store else {
            return Ok(None);
        };
        let loaded = store.load_record().await?;
        self.saw(loaded.version);
        let Some(tokens) = loaded.tokens else {
            return Ok(None);
        };
        let mut slot = self.state.slot.write().unwrap_or_else(|e| e.into_inner());
        match &*slot {
            Slot::Empty => {
                let installed = Installed::new(tokens, loaded.version, true)?;
                *slot = Slot::Active(installed.clone());
                Ok(Some(installed))
            }
            Slot::Active(current) => Ok(Some(current.clone())),
            Slot::Ended(reason) => Err(expired(reason.clone())),
        }
    }

    /// Saves an installed token set if it is not saved yet: one save, however many callers need it. A renewal
    /// passes the `lease` it holds: kept with the tokens if the save fails (and then released by the save that
    /// succeeds); otherwise the renewal releases it.
    async fn persist(&self, installed: &Arc<Installed>, lease: Option<&str>) -> Result<(), Error> {
        if installed.persisted() {
            return Ok(());
        }
        let _saving = installed.saving.lock().await;
        if installed.persisted() {
            return Ok(());
        }
        let Some(store) = &self.state.store else {
            installed.persisted.store(true, Ordering::Release);
            return Ok(());
        };
        let payload = encode(&installed.tokens)?;
        let mut expected = installed.version();
        let mut result = Err(StoreError::LeaseLost);
        for attempt in 0..2 {
            result = store.raw().save(store.key(), payload.expose_secret(), expected).await;
            match &result {
                // Written meanwhile by a writer without the lease (a sign-in elsewhere, or a renewal whose lease ran
                // out): these tokens come straight from the server, the newest it issued; saved over it, once.
                Err(StoreError::Conflict { current, .. }) if attempt == 0 => {
                    tracing::warn!(
                        expected = %expected,
                        current = %current,
                        "the stored session changed while new tokens were being saved; saving over it"
                    );
                    expected = *current;
                }
                _ => break,
            }
        }
        match result {
            Ok(version) => {
                installed.version.store(version.get(), Ordering::Release);
                installed.persisted.store(true, Ordering::Release);
                self.saw(version);
                let held = installed.lease.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some(holder) = held
                    && let Err(e) = store.raw().release(store.key(), &holder).await
                {
                    tracing::debug!(error = %e, "releasing the renewal lease failed (it runs out by itself)");
                }
                Ok(())
            }
            Err(e) => {
                if let Some(holder) = lease {
                    *installed.lease.lock().unwrap_or_else(|e| e.into_inner()) = Some(holder.to_owned());
                }
                Err(store_error("cannot save the session's tokens", e))
            }
        }
    }

    /// The tokens to send now when nothing needs doing first (loaded, saved, not near expiry): the per-call fast
    /// path, without a future and without the store.
    pub(crate) fn fresh(&self, ahead: Duration) -> Option<Arc<Installed>> {
        if !self.state.loaded.initialized() {
            return None;
        }
        match &*self.state.slot.read().unwrap_or_else(|e| e.into_inner()) {
            Slot::Active(i) if i.persisted() && !i.tokens.needs_refresh(SystemTime::now(), ahead) => Some(i.clone()),
            _ => None,
        }
    }

    /// The tokens to send now, renewed first if they are about to expire.
    ///
    /// Boxed: the refresh it may start sends a request through the hooks that call it, and a boxed `Send` future
    /// is what lets the compiler see that cycle through.
    pub(crate) fn bearer<'a>(
        &'a self,
        api: &'a api::Client,
        ahead: Duration,
    ) -> BoxFuture<'a, Result<Arc<Installed>, Error>> {
        self.bearer_inner(api, ahead).boxed()
    }

    async fn bearer_inner(&self, api: &api::Client, ahead: Duration) -> Result<Arc<Installed>, Error> {
        self.ensure_loaded().await?;
        let current = match self.slot() {
            Slot::Empty => match self.reload_signed_out().await? {
                Some(installed) => installed,
                None => return Err(Error::SessionRequired { context: ErrorContext::default() }),
            },
            Slot::Ended(reason) => return Err(expired(reason)),
            Slot::Active(i) => i,
        };
        let now = SystemTime::now();
        if !current.tokens.needs_refresh(now, ahead) {
            self.persist(&current, None).await?;
            return Ok(current);
        }
        if current.tokens.refresh_token().is_none() {
            if current.tokens.is_expired(now) {
                let reason = "the password session reached its end (6 hours); log in again";
                return Err(self.end(reason, current.persisted().then(|| current.version())).await);
            }
            self.persist(&current, None).await?;
            return Ok(current);
        }
        match self.refresh(api, &current, true).await {
            // Renewal failed while the token still works: use it (the failure set the back-off).
            Err(e) if !matches!(e, Error::SessionExpired { .. }) && !current.tokens.is_expired(SystemTime::now()) => {
                tracing::warn!(error = %e, "renewing the session ahead of expiry failed; using the current token");
                self.persist(&current, None).await?;
                Ok(current)
            }
            other => other,
        }
    }

    /// After the server refused `used` with a 401: the tokens to replay with, renewed unless someone else already
    /// renewed them.
    pub(crate) fn renew_after_rejection<'a>(
        &'a self,
        api: &'a api::Client,
        used: &'a HeaderValue,
    ) -> BoxFuture<'a, Result<Arc<Installed>, Error>> {
        self.renew_after_rejection_inner(api, used).boxed()
    }

    async fn renew_after_rejection_inner(
        &self,
        api: &api::Client,
        used: &HeaderValue,
    ) -> Result<Arc<Installed>, Error> {
        let current = match self.slot() {
            Slot::Active(i) => i,
            Slot::Ended(reason) => return Err(expired(reason)),
            Slot::Empty => {
                return Err(Error::SessionRequired { context: ErrorContext::default() });
            }
        };
        if current.bearer != *used {
            self.persist(&current, None).await?;
            return Ok(current);
        }
        if current.tokens.refresh_token().is_none() {
            return Err(Error::Unauthorized { message: None, context: ErrorContext::default() });
        }
        self.refresh(api, &current, false).await
    }

    /// Renews `stale`, or joins the renewal already under way. While renewals back off, no request is sent: the
    /// still-valid `stale` is returned when `allow_current` (renewal ahead of expiry), else the last failure.
    async fn refresh(
        &self,
        api: &api::Client,
        stale: &Arc<Installed>,
        allow_current: bool,
    ) -> Result<Arc<Installed>, Error> {
        // A flight whose task was cancelled (its runtime dropped) is never the answer: the next round starts anew.
        for _round in 0..2 {
            let flight = {
                let flights = self.state.flights.lock();
                match self.slot() {
                    Slot::Active(current) if !Arc::ptr_eq(&current, stale) => {
                        drop(flights);
                        self.persist(&current, None).await?;
                        return Ok(current);
                    }
                    Slot::Ended(reason) => return Err(expired(reason)),
                    _ => match flights.current() {
                        Some(flight) => flight,
                        None => {
                            if let Some(last) = self.state.backoff.current() {
                                let usable = allow_current && !stale.tokens.is_expired(SystemTime::now());
                                return if usable { Ok(stale.clone()) } else { Err(last) };
                            }
                            let (session, api, stale) = (self.clone(), api.clone(), stale.clone());
                            flights.start(move || refresh_task(session, api, stale))
                        }
                    },
                }
            };
            match flight.wait().await {
                Ok(installed) => return Ok(installed),
                Err(FlightError::Failed(error)) => return Err(error),
                Err(FlightError::Interrupted { .. }) => continue,
            }
        }
        Err(Error::Transport {
            message: "the renewal was interrupted twice".into(),
            source: None,
            context: ErrorContext::default(),
        })
    }

    /// Uses tokens another instance saved at `version`.
    fn adopt(&self, tokens: TokenSet, version: Version) -> Result<Arc<Installed>, Error> {
        let installed = Installed::new(tokens, version, true)?;
        self.set(Slot::Active(installed.clone()));
        self.saw(version);
        self.state.adopted.fetch_add(1, Ordering::Relaxed);
        Ok(installed)
    }

    /// What a record newer than `seen` means for this session, if it is newer: its tokens (when `ahead` is given,
    /// only if they do not need renewing themselves), or the end (the record was cleared: a sign-out elsewhere).
    fn newer(&self, loaded: Loaded, seen: Version, ahead: Option<Duration>) -> Option<Result<Arc<Installed>, Error>> {
        if loaded.version <= seen {
            return None;
        }
        match loaded.tokens {
            None => {
                let reason = "the session was signed out by another instance (its stored tokens were cleared)";
                self.set(Slot::Ended(reason.into()));
                Some(Err(expired(reason.into())))
            }
            Some(tokens) if ahead.is_some_and(|ahead| tokens.needs_refresh(SystemTime::now(), ahead)) => None,
            Some(tokens) => Some(self.adopt(tokens, loaded.version)),
        }
    }

    /// Ends the session: no more calls with it; the store is cleared if it still holds `stored` (the version
    /// this process acted on), else left to whoever wrote it since.
    async fn end(&self, reason: &str, stored: Option<Version>) -> Error {
        self.set(Slot::Ended(reason.to_string()));
        if let (Some(store), Some(version)) = (&self.state.store, stored) {
            match store.raw().clear(store.key(), version).await {
                Ok(_) => {}
                Err(StoreError::Conflict { .. }) => {
                    tracing::debug!("the stored session changed meanwhile; it is left as it is");
                }
                Err(e) => tracing::warn!(error = %e, "clearing the token store of an ended session failed"),
            }
        }
        expired(reason.to_string())
    }

    /// Installs tokens a refresh returned (the session's from now on, even if the save fails), then saves them
    /// over `base` before first use.
    async fn install_renewed(
        &self,
        tokens: TokenSet,
        base: Version,
        lease: Option<&str>,
    ) -> Result<Arc<Installed>, Error> {
        let installed = Installed::new(tokens, base, false)?;
        self.set(Slot::Active(installed.clone()));
        self.persist(&installed, lease).await?;
        Ok(installed)
    }
}

/// One renewal, run to completion in its own task (so that a caller that gives up cannot lose a rotated token).
async fn refresh_task(session: Session, api: api::Client, stale: Arc<Installed>) -> Result<Arc<Installed>, Error> {
    let result = match session.state.store.clone() {
        Some(store) => renew_shared(&session, &api, &store, &stale).await,
        None => renew_alone(&session, &api, &stale).await,
    };
    match &result {
        Ok(_) => session.state.backoff.succeeded(),
        Err(Error::SessionExpired { .. }) => {}
        Err(e) => {
            let policy = &api.inner.config.retry;
            session.state.backoff.failed(e.clone(), |failures| policy.renewal_backoff(failures));
        }
    }
    // The slot is updated (by `renew`) before the flight is cleared (by the single flight, when this returns), so a
    // newcomer sees one or the other.
    result
}

/// What a refresh answer says about the refresh token.
enum Refused {
    /// `invalid_grant`: the refresh token is dead (rotated away, revoked, expired).
    Dead(Error),
    /// No answer in time, or the connection broke: the server may have rotated already.
    Unknown(Error),
    /// Any other failure: the refresh token may still be good.
    Other(Error),
}

impl Refused {
    fn into_error(self) -> Error {
        match self {
            Refused::Dead(e) | Refused::Unknown(e) | Refused::Other(e) => e,
        }
    }
}

/// A session without a store: refresh, and only a dead refresh token ends it.
async fn renew_alone(session: &Session, api: &api::Client, stale: &Arc<Installed>) -> Result<Arc<Installed>, Error> {
    let old = &stale.tokens;
    let first = match request_refresh(session, api, old).await {
        Ok(tokens) => return session.install_renewed(tokens, Version::NONE, None).await,
        Err(refused) => refused,
    };
    let second = match first {
        Refused::Other(error) => return Err(error),
        Refused::Dead(error) => Refused::Dead(error),
        // The server may have rotated without our hearing: one more try with the refresh token we hold.
        Refused::Unknown(_) => match request_refresh(session, api, old).await {
            Ok(tokens) => return session.install_renewed(tokens, Version::NONE, None).await,
            Err(refused) => refused,
        },
    };
    match second {
        Refused::Dead(error) => Err(session.end(&format!("the refresh token was refused ({error})"), None).await),
        Refused::Unknown(error) | Refused::Other(error) => Err(error),
    }
}

/// How long a renewal waits for another instance's lease at most: twice the lease's time to live (a lease runs
/// out on its own, so a longer wait means the holder keeps taking it again).
fn max_lease_wait(store: &TokenStore) -> Duration {
    store.get_lease_ttl().saturating_mul(2).max(Duration::from_secs(1))
}

/// A session with a store: under the renewal lease, or with the tokens another instance rotated meanwhile.
async fn renew_shared(
    session: &Session,
    api: &api::Client,
    store: &TokenStore,
    stale: &Arc<Installed>,
) -> Result<Arc<Installed>, Error> {
    let holder = store.holder();
    let ahead = api.inner.config.refresh_ahead;
    let seen = stale.version();
    let mut wait = LeaseWait::new(max_lease_wait(store));
    loop {
        match store.raw().try_lease(store.key(), &holder, store.get_lease_ttl()).await {
            Ok(LeaseAttempt::Acquired(_)) => break,
            Ok(LeaseAttempt::Busy { remaining, .. }) => {
                let Some(pause) = wait.next_pause(remaining) else {
                    return Err(Error::TokenStore {
                        message: "another instance kept the session's renewal lease for too long".into(),
                        source: None,
                        context: ErrorContext::default(),
                    });
                };
                tokio::time::sleep(pause).await;
                let loaded = store.load_record().await?;
                if let Some(done) = session.newer(loaded, seen, Some(ahead)) {
                    return done;
                }
            }
            Err(e) => return Err(store_error("cannot take the session's renewal lease", e)),
        }
    }
    let result = renew_leased(session, api, store, &holder, stale, ahead).await;
    // Tokens renewed but not saved keep the lease until they are (or it runs out): nobody refreshes over them.
    let kept = matches!(session.slot(), Slot::Active(i)
        if i.lease.lock().unwrap_or_else(|e| e.into_inner()).as_deref() == Some(holder.as_str()));
    if !kept && let Err(e) = store.raw().release(store.key(), &holder).await {
        tracing::debug!(error = %e, "releasing the renewal lease failed (it runs out by itself)");
    }
    result
}

/// The renewal under the lease: reload; use a newer rotation; else refresh and save over the version read.
async fn renew_leased(
    session: &Session,
    api: &api::Client,
    store: &TokenStore,
    holder: &str,
    stale: &Arc<Installed>,
    ahead: Duration,
) -> Result<Arc<Installed>, Error> {
    let loaded = store.load_record().await?;
    let base_version = loaded.version;
    let base = match session.newer(loaded, stale.version(), None) {
        Some(Ok(newer)) if !newer.tokens.needs_refresh(SystemTime::now(), ahead) => return Ok(newer),
        // Newer, but due for renewal itself: renewed from there.
        Some(Ok(newer)) => newer.tokens.clone(),
        Some(Err(ended)) => return Err(ended),
        None => stale.tokens.clone(),
    };
    if base.refresh_token().is_none() {
        return Ok(stale.clone());
    }
    let first = match request_refresh(session, api, &base).await {
        Ok(tokens) => return session.install_renewed(tokens, base_version, Some(holder)).await,
        Err(refused) => refused,
    };
    // Before anything is declared over, the store may hold tokens another instance rotated meanwhile (its lease
    // ran out while it was still at work). Without an answer from the store, nothing is declared.
    match store.load_record().await {
        Ok(loaded) => {
            if let Some(done) = session.newer(loaded, base_version, None) {
                return done;
            }
        }
        Err(_) => return Err(first.into_error()),
    }
    let second = match first {
        Refused::Other(error) => return Err(error),
        Refused::Dead(error) => Refused::Dead(error),
        // The server may have rotated without our hearing: one more try with the same refresh token.
        Refused::Unknown(_) => match request_refresh(session, api, &base).await {
            Ok(tokens) => return session.install_renewed(tokens, base_version, Some(holder)).await,
            Err(refused) => refused,
        },
    };
    match second {
        Refused::Dead(error) => {
            match store.load_record().await {
                Ok(loaded) => {
                    if let Some(done) = session.newer(loaded, base_version, None) {
                        return done;
                    }
                }
                Err(_) => return Err(error),
            }
            Err(session.end(&format!("the refresh token was refused ({error})"), Some(base_version)).await)
        }
        Refused::Unknown(error) | Refused::Other(error) => Err(error),
    }
}

/// Sends one refresh request; returns the new tokens.
async fn request_refresh(session: &Session, api: &api::Client, old: &TokenSet) -> Result<TokenSet, Refused> {
    session.state.refreshes.fetch_add(1, Ordering::Relaxed);
    let refresh_token = old.refresh_token().map(|t| t.expose_secret().to_string()).unwrap_or_default();
    let (operation, response) = match old.kind() {
        TokenKind::HostedOAuth => {
            let body = ExchangeOAuth2TokenRequest {
                grant_type: OAuthGrantType::RefreshToken,
                refresh_token: Some(refresh_token),
                code: None,
                code_verifier: None,
                extra: Default::default(),
            };
            ("exchange_oauth2_token", api.exchange_oauth2_token().body(body).send().await)
        }
        _ => {
            let body = OAuthTokenRequest {
                grant_type: OAuthGrantType::RefreshToken,
                refresh_token: Some(refresh_token),
                code: None,
                code_verifier: None,
                redirect_uri: None,
                extra: Default::default(),
            };
            ("exchange_oauth_token", api.exchange_oauth_token().body(body).send().await)
        }
    };
    let response = match response {
        Ok(r) => r.into_inner(),
        Err(e) => {
            // Only an answer that says so means the refresh token is dead (RFC 6749 `invalid_grant`).
            let dead = match &e {
                progenitor_client::Error::ErrorResponse(answer) => {
                    let body = answer.as_ref();
                    let code = body.code.as_ref().and_then(|c| c.scalar_text());
                    [code.as_deref(), body.error.as_deref()].contains(&Some("invalid_grant"))
                }
                _ => false,
            };
            let error = Error::from(e).at(operation);
            return Err(if dead {
                Refused::Dead(error)
            } else if matches!(error, Error::Timeout { .. } | Error::Transport { .. }) {
                Refused::Unknown(error)
            } else {
                Refused::Other(error)
            });
        }
    };
    TokenSet::from_response(&response, old.kind(), old.region(), SystemTime::now(), Some(old), operation)
        .map_err(Refused::Other)
}

fn expired(reason: String) -> Error {
    Error::SessionExpired { reason, context: ErrorContext::default() }
}
