//! [`Session`]: the tokens a client acts with, renewed ahead of expiry and after a 401, one refresh at a time.
//!
//! - **Refresh ahead**: a call that finds the access token within the refresh margin of its expiry (default 5
//!   minutes, at most half its lifetime) renews it first.
//! - **Single flight**: however many calls find it stale at once, one refresh request goes out; the others wait
//!   for it and go on with the new token, or all fail with the same error.
//! - **Rotation**: the refresh runs in its own task, so a caller that gives up cannot lose the rotated refresh
//!   token half-way; the new token set is saved to the store before it is used, and kept in memory if the save
//!   fails.
//! - **Back-off**: a renewal that fails for any other reason is not retried by every call: further renewals wait
//!   (shared by every clone of the session, jittered, growing with each failure, per the client's
//!   [`RetryPolicy`](crate::retry::RetryPolicy)); meanwhile a still-valid access token keeps being used, and an
//!   expired one fails at once with the last renewal error, without a request.
//! - **Never cached**: a failed or cancelled renewal (its runtime dropped mid-flight) is seen only by the calls that
//!   waited for it; the next call starts afresh.
//! - **One save**: the calls that find rotated tokens not yet saved wait for one save, not one each.
//! - **End**: only an answer that says the refresh token is dead (`invalid_grant`) ends the session
//!   ([`Error::SessionExpired`]) and clears the store — and only after reloading the store, in case another
//!   instance rotated the tokens meanwhile. A refresh that timed out (the server may have rotated already) is tried
//!   once more with the stored refresh token first. A password session (no refresh token) ends at its expiry with
//!   the same error, not a 401.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use cardsdk_runtime::single_flight::{Backoff, FlightError, SingleFlight};
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use reqwest::header::HeaderValue;
use secrecy::ExposeSecret;

use super::{TokenKind, TokenSet, TokenStore};
use crate::api;
use crate::api::types::{ExchangeOAuth2TokenRequest, OAuthGrantType, OAuthTokenRequest};
use crate::error::{Error, ErrorContext};

/// The tokens a [`Client`](crate::Client) acts with. Cheap to clone: clones share the tokens.
///
/// ```no_run
/// use baanx::auth::{FileTokenStore, Session};
///
/// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
/// // One session per user on a backend, each in its own store.
/// let alice = client.with_session(Session::with_store(FileTokenStore::new("alice.json")));
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
    store: Option<Arc<dyn TokenStore>>,
    loaded: tokio::sync::OnceCell<()>,
    refreshes: AtomicU64,
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
    /// Held while this token set is being saved, so that concurrent callers wait for one save.
    saving: tokio::sync::Mutex<()>,
}

impl Installed {
    fn new(tokens: TokenSet, persisted: bool) -> Result<Arc<Self>, Error> {
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
            saving: tokio::sync::Mutex::new(()),
        }))
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slot = self.state.slot.read().map(|s| s.clone()).unwrap_or(Slot::Empty);
        let mut d = f.debug_struct("Session");
        match slot {
            Slot::Empty => d.field("state", &"signed out"),
            Slot::Ended(reason) => d.field("state", &"ended").field("reason", &reason),
            Slot::Active(i) => d.field("state", &"active").field("tokens", &i.tokens),
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
    fn build(slot: Slot, store: Option<Arc<dyn TokenStore>>) -> Self {
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
                refreshes: AtomicU64::new(0),
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

    /// A session kept in `store`: its tokens load on first use and each new token set is saved there.
    ///
    /// ```
    /// use baanx::auth::{MemoryTokenStore, Session, TokenSet, TokenStore};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let tokens = TokenSet::new("access", std::time::SystemTime::now(), baanx::Region::International);
    ///
    /// let store = MemoryTokenStore::new();
    /// store.save(&tokens).await.unwrap(); // saved by an earlier run
    /// let session = Session::with_store(store);
    /// assert!(session.load().await.unwrap().is_some()); // loaded on first use
    /// # });
    /// ```
    pub fn with_store(store: impl TokenStore + 'static) -> Self {
        Session::with_shared_store(Arc::new(store))
    }

    pub(crate) fn with_shared_store(store: Arc<dyn TokenStore>) -> Self {
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
        Ok(Session::build(Slot::Active(Installed::new(tokens, true)?), None))
    }

    /// Loads the store's tokens if that has not happened yet, and returns the current ones.
    ///
    /// ```
    /// use baanx::auth::{MemoryTokenStore, Session};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    ///
    /// let session = Session::with_store(MemoryTokenStore::new());
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

    /// Forgets the tokens here and in the store (the server is not told: see [`Client::logout`](crate::Client::logout)).
    ///
    /// ```
    /// use baanx::auth::{FileTokenStore, Session, TokenSet, TokenStore};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let tokens = TokenSet::new("access", std::time::SystemTime::now(), baanx::Region::International);
    ///
    /// let store = FileTokenStore::new(std::env::temp_dir().join("baanx-doc-session-clear.json"));
    /// store.save(&tokens).await.unwrap();
    /// let session = Session::with_store(store.clone());
    /// session.clear().await.unwrap(); // here and in the store
    /// assert!(store.load().await.unwrap().is_none());
    /// # });
    /// ```
    pub async fn clear(&self) -> Result<(), Error> {
        *self.state.slot.write().unwrap_or_else(|e| e.into_inner()) = Slot::Empty;
        if let Some(store) = &self.state.store {
            store.clear().await.map_err(store_error)?;
        }
        Ok(())
    }

    /// Saves `tokens` to the store, then makes them the session's.
    pub(crate) async fn install(&self, tokens: TokenSet) -> Result<(), Error> {
        let installed = Installed::new(tokens, false)?;
        // The new tokens replace the old ones even if the save fails: they may be the only valid ones.
        self.set(Slot::Active(installed.clone()));
        let _ = self.state.loaded.set(());
        self.persist(&installed).await
    }

    fn slot(&self) -> Slot {
        self.state.slot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, slot: Slot) {
        *self.state.slot.write().unwrap_or_else(|e| e.into_inner()) = slot;
    }

    async fn ensure_loaded(&self) -> Result<(), Error> {
        let Some(store) = &self.state.store else {
            return Ok(());
        };
        self.state
            .loaded
            .get_or_try_init(|| async {
                if let Some(tokens) = store.load().await.map_err(store_error)? {
                    let mut slot = self.state.slot.write().unwrap_or_else(|e| e.into_inner());
                    if matches!(*slot, Slot::Empty) {
                        *slot = Slot::Active(Installed::new(tokens, true)?);
                    }
                }
                Ok::<(), Error>(())
            })
            .await
            .map(|_| ())
    }

    /// Saves an installed token set if it is not saved yet: one save, however many callers need it.
    async fn persist(&self, installed: &Arc<Installed>) -> Result<(), Error> {
        if installed.persisted.load(Ordering::Acquire) {
            return Ok(());
        }
        let _saving = installed.saving.lock().await;
        if installed.persisted.load(Ordering::Acquire) {
            return Ok(());
        }
        if let Some(store) = &self.state.store {
            store.save(&installed.tokens).await.map_err(store_error)?;
        }
        installed.persisted.store(true, Ordering::Release);
        Ok(())
    }

    /// The tokens to send now when nothing needs doing first (loaded, saved, not near expiry): the per-call fast
    /// path, without a future.
    pub(crate) fn fresh(&self, ahead: Duration) -> Option<Arc<Installed>> {
        if !self.state.loaded.initialized() {
            return None;
        }
        match &*self.state.slot.read().unwrap_or_else(|e| e.into_inner()) {
            Slot::Active(i)
                if i.persisted.load(Ordering::Acquire) && !i.tokens.needs_refresh(SystemTime::now(), ahead) =>
            {
                Some(i.clone())
            }
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
            Slot::Empty => {
                return Err(Error::SessionRequired { context: ErrorContext::default() });
            }
            Slot::Ended(reason) => return Err(expired(reason)),
            Slot::Active(i) => i,
        };
        let now = SystemTime::now();
        if !current.tokens.needs_refresh(now, ahead) {
            self.persist(&current).await?;
            return Ok(current);
        }
        if current.tokens.refresh_token().is_none() {
            if current.tokens.is_expired(now) {
                return Err(self.end("the password session reached its end (6 hours); log in again").await);
            }
            self.persist(&current).await?;
            return Ok(current);
        }
        match self.refresh(api, &current, true).await {
            // Renewal failed while the token still works: use it (the failure set the back-off).
            Err(e) if !matches!(e, Error::SessionExpired { .. }) && !current.tokens.is_expired(SystemTime::now()) => {
                tracing::warn!(error = %e, "renewing the session ahead of expiry failed; using the current token");
                self.persist(&current).await?;
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
            self.persist(&current).await?;
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
                        self.persist(&current).await?;
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

    /// The store's tokens, if they are newer than `used` (another instance or process rotated them).
    async fn newer_in_store(&self, used: &TokenSet) -> Option<TokenSet> {
        let store = self.state.store.as_ref()?;
        let stored = store.load().await.ok()??;
        let different = stored.refresh_token().map(|t| t.expose_secret().to_string())
            != used.refresh_token().map(|t| t.expose_secret().to_string());
        different.then_some(stored)
    }

    /// Ends the session: no more calls with it, store cleared.
    async fn end(&self, reason: &str) -> Error {
        self.set(Slot::Ended(reason.to_string()));
        if let Some(store) = &self.state.store
            && let Err(e) = store.clear().await
        {
            tracing::warn!(error = %e, "clearing the token store of an ended session failed");
        }
        expired(reason.to_string())
    }
}

/// One renewal, run to completion in its own task (so that a caller that gives up cannot lose a rotated token).
async fn refresh_task(session: Session, api: api::Client, stale: Arc<Installed>) -> Result<Arc<Installed>, Error> {
    let result = renew(&session, &api, &stale).await;
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

async fn renew(session: &Session, api: &api::Client, stale: &Arc<Installed>) -> Result<Arc<Installed>, Error> {
    let old = &stale.tokens;
    let first = match request_refresh(session, api, old).await {
        Ok(installed) => return Ok(installed),
        Err(refused) => refused,
    };
    // Before anything is declared over, the store may hold tokens another instance rotated meanwhile.
    if let Some(newer) = session.newer_in_store(old).await {
        let installed = Installed::new(newer, true)?;
        session.set(Slot::Active(installed.clone()));
        return Ok(installed);
    }
    let second = match first {
        Refused::Other(error) => return Err(error),
        Refused::Dead(error) => Refused::Dead(error),
        // The server may have rotated without our hearing: one more try with the refresh token we hold.
        Refused::Unknown(_) => match request_refresh(session, api, old).await {
            Ok(installed) => return Ok(installed),
            Err(refused) => refused,
        },
    };
    match second {
        Refused::Dead(error) => {
            if let Some(newer) = session.newer_in_store(old).await {
                let installed = Installed::new(newer, true)?;
                session.set(Slot::Active(installed.clone()));
                return Ok(installed);
            }
            Err(session.end(&format!("the refresh token was refused ({error})")).await)
        }
        Refused::Unknown(error) | Refused::Other(error) => Err(error),
    }
}

/// Sends one refresh request; on success installs and saves the new tokens.
async fn request_refresh(session: &Session, api: &api::Client, old: &TokenSet) -> Result<Arc<Installed>, Refused> {
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
    let tokens = TokenSet::from_response(&response, old.kind(), old.region(), SystemTime::now(), Some(old), operation)
        .map_err(Refused::Other)?;
    let installed = Installed::new(tokens, false).map_err(Refused::Other)?;
    // Install first (never lose the rotated token), then save; the save must succeed before first use.
    session.set(Slot::Active(installed.clone()));
    session.persist(&installed).await.map_err(Refused::Other)?;
    Ok(installed)
}

fn expired(reason: String) -> Error {
    Error::SessionExpired { reason, context: ErrorContext::default() }
}

fn store_error(e: super::TokenStoreError) -> Error {
    Error::TokenStore { message: e.to_string(), context: ErrorContext::default() }
}
