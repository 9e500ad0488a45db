//! The client: configuration (environment, credentials, the vendor's public key, encryption options), the app
//! token it holds, and the state the generated layer carries into the hooks.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cardsdk_runtime::base_url::follows_redirects;
use cardsdk_runtime::retry::{RetryBudget, RetryPolicy};
use cardsdk_runtime::secret::IntoSecret;
use reqwest::header::HeaderValue;
use secrecy::SecretString;

use crate::api;
use crate::auth::store::SessionStore;
use crate::auth::{Auth, DEFAULT_LEASE_TTL, Shared};
use crate::encryption::{Encryptor, Options, PublicKey};

/// Where requests go.
///
/// ```
/// use vaultspay::Environment;
///
/// assert_eq!(Environment::Uat.base_url(), "https://api.vaultspay.dev");
/// assert_eq!(Environment::Production.base_url(), "https://rest.vaultspay.com");
/// assert!(Environment::Custom("https://rest.vaultspay.com/".into()).is_production());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// UAT, `https://api.vaultspay.dev` (the default): encryption may be switched off here.
    Uat,
    /// Production, `https://rest.vaultspay.com`: encryption is mandatory.
    Production,
    /// Any other base URL: HTTPS, or HTTP on a loopback address (a local sandbox).
    Custom(String),
}

impl Environment {
    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Uat => "https://api.vaultspay.dev",
            Environment::Production => "https://rest.vaultspay.com",
            Environment::Custom(url) => url.trim_end_matches('/'),
        }
    }

    /// Whether this is VaultsPay's production host (by name, also as a custom URL).
    pub fn is_production(&self) -> bool {
        url::Url::parse(self.base_url())
            .ok()
            .and_then(|u| u.host_str().map(|h| h.eq_ignore_ascii_case("rest.vaultspay.com")))
            .unwrap_or(false)
    }
}

/// A VaultsPay API client: configuration plus the app's access token (logged in on first use, refreshed ahead of
/// its expiry, one token request however many calls need it).
///
/// Cheap to clone; clones share the configuration, the connection pool and the token.
///
/// ```no_run
/// use vaultspay::{Call, Client, Environment};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder()
///     .environment(Environment::Uat)
///     .client_id("my-client-id")
///     .client_secret(std::env::var("VAULTSPAY_CLIENT_SECRET")?)
///     .app_id("my-saas-app-id")
///     .public_key(&std::env::var("VAULTSPAY_PUBLIC_KEY")?)?
///     .build()?;
/// let tiers = client.api().list_card_tiers().call().await?;
/// println!("{} card tiers", tiers.len());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    api: api::Client,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.api.inner.config;
        f.debug_struct("Client")
            .field("base_url", &config.base_url)
            .field("encrypted", &config.encryptor.is_some())
            .field("token_store_key", &self.api.inner.auth.store_key())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Every operation of the contract (generated): finish a request with [`Call::call`](crate::Call::call).
    pub fn api(&self) -> &api::Client {
        &self.api
    }

    /// The base URL requests go to.
    ///
    /// ```
    /// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/test-public-spki.b64"));
    /// let client = vaultspay::Client::builder().client_id("id").client_secret("secret").app_id("app")
    ///     .public_key(key)?.build()?;
    /// assert_eq!(client.base_url(), "https://api.vaultspay.dev");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn base_url(&self) -> &str {
        &self.api.inner.config.base_url
    }

    /// How many token requests (logins and refreshes) this client and its clones have sent.
    pub fn token_requests(&self) -> u64 {
        self.api.inner.auth.requests()
    }

    /// How many times this client and its clones took the token another instance had saved in the shared token
    /// store ([`ClientBuilder::token_store`]) instead of requesting one: with N replicas renewing at once, one
    /// sends the request and the others adopt its token. Always 0 without a store.
    ///
    /// ```
    /// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/test-public-spki.b64"));
    /// let client = vaultspay::Client::builder().client_id("id").client_secret("secret").app_id("app")
    ///     .public_key(key)?.build()?;
    /// // E.g. exported as metrics, next to `token_requests()`.
    /// assert_eq!((client.token_requests(), client.token_adoptions()), (0, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token_adoptions(&self) -> u64 {
        self.api.inner.auth.adoptions()
    }

    /// Logs in now (instead of on the first call), replacing any token held.
    ///
    /// # Errors
    ///
    /// The login's error ([`Error::Unauthenticated`](crate::Error::Unauthenticated) for wrong credentials).
    pub async fn login(&self) -> Result<(), crate::Error> {
        self.api.inner.auth.login_now(&self.api).await
    }
}

/// Builds a [`Client`]. Required: the client id and secret, the app id (`x-device-id`) and — unless encryption is
/// switched off (UAT only) — VaultsPay's RSA public key.
#[derive(Default)]
pub struct ClientBuilder {
    environment: Option<Environment>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    app_id: Option<String>,
    public_key: Option<PublicKey>,
    encryption: Options,
    encryption_disabled: bool,
    retry: Option<RetryPolicy>,
    http: Option<reqwest::Client>,
    timeout: Option<Duration>,
    refresh_ahead: Option<Duration>,
    max_response_bytes: Option<usize>,
    user_agent: Option<String>,
    token_store: Option<(Arc<dyn SessionStore>, String)>,
    token_lease_ttl: Option<Duration>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("environment", &self.environment)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "[redacted]"))
            .field("app_id", &self.app_id)
            .field("public_key", &self.public_key)
            .field("encryption_disabled", &self.encryption_disabled)
            .field("token_store", &self.token_store.as_ref().map(|(store, key)| (key, store)))
            .finish_non_exhaustive()
    }
}

/// The default per-attempt timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long before its expiry the access token is refreshed.
pub const DEFAULT_REFRESH_AHEAD: Duration = Duration::from_secs(60);

impl ClientBuilder {
    /// Where requests go; default [`Environment::Uat`].
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The SaaS app's client id (Dashboard > API Keys > Apps > Client ID).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The SaaS app's client secret (kept as a secret: never printed).
    pub fn client_secret(mut self, client_secret: impl IntoSecret) -> Self {
        self.client_secret = Some(client_secret.into_secret());
        self
    }

    /// The SaaS app id, sent as `x-device-id` on every request.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// VaultsPay's RSA public key: Base64 X.509 `SubjectPublicKeyInfo` (as shared by VaultsPay) or PEM.
    ///
    /// # Errors
    ///
    /// [`BuildError::PublicKey`] when it is not an RSA public key.
    pub fn public_key(mut self, key: &str) -> Result<Self, BuildError> {
        self.public_key = Some(PublicKey::parse(key).map_err(BuildError::PublicKey)?);
        Ok(self)
    }

    /// The encryption wire-format choices the docs leave open; default [`Options::default`] (see the README's
    /// "Encryption (unconfirmed parts)").
    pub fn encryption_options(mut self, options: Options) -> Self {
        self.encryption = options;
        self
    }

    /// Sends `x-enable-encryption: false` and plaintext bodies: **UAT only**. [`build`](Self::build) refuses it
    /// with the production host ([`BuildError::EncryptionRequired`]).
    pub fn disable_encryption_uat_only(mut self) -> Self {
        self.encryption_disabled = true;
        self
    }

    /// Retries of safe operations (GETs and reads done through POST); default [`RetryPolicy::standard`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Use this `reqwest::Client`. It must not follow redirects (`Policy::none()`): a redirect would carry the
    /// token and the client secret to another host ([`BuildError::HttpClientFollowsRedirects`]).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The per-attempt timeout; default [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long before `accessTokenExpiry` the token is refreshed; default [`DEFAULT_REFRESH_AHEAD`].
    pub fn refresh_ahead(mut self, ahead: Duration) -> Self {
        self.refresh_ahead = Some(ahead);
        self
    }

    /// The largest answer read, in bytes; default 16 MiB.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// The `User-Agent`; default `vaultspay-rust/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Shares the app token with every instance that uses the same `store` and `key`, so that N replicas log in
    /// and renew **once** between them (default: none, each client holds its own token in memory).
    ///
    /// `store` is any [`SessionStore`] ([`crate::auth::store`]): a `MemoryStore` (the clients of one process), a
    /// `FileStore` (feature `file-store`: the processes of one machine), a `PostgresStore` (feature
    /// `postgres-store`: any number of hosts, the token encrypted at rest) — or an `Arc` of one shared with other
    /// uses, under other keys. `key` names the token's record (1 to 256 bytes, no control characters, else
    /// [`BuildError::InvalidTokenStoreKey`]); give each VaultsPay app (client id) its own.
    ///
    /// A fresh token held in memory is used without asking the store; a renewal reloads the record, adopts a newer
    /// token another instance saved, or else renews under the key's renewal lease and saves by compare-and-swap
    /// (see [`crate::auth`]). A store that fails is an [`Error::Auth`](crate::Error::Auth) of the call
    /// ([`Error::store_error`](crate::Error::store_error) names it) once the token held has expired.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use vaultspay::Client;
    /// use vaultspay::auth::store::{EncryptionKey, Keyring, PostgresStore};
    ///
    /// # async fn demo(vaultspay_key: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let keyring = Keyring::new("2025-01", EncryptionKey::from_hex(&std::env::var("TOKEN_STORE_KEY")?)?)?;
    /// let store = PostgresStore::connect("host=db user=app dbname=app", keyring).await?;
    /// let client = Client::builder()
    ///     .client_id("my-client-id")
    ///     .client_secret(std::env::var("VAULTSPAY_CLIENT_SECRET")?)
    ///     .app_id("my-saas-app-id")
    ///     .public_key(vaultspay_key)?
    ///     .token_store(Arc::new(store), "vaultspay/my-client-id")
    ///     .build()?;
    /// # let _ = client;
    /// # Ok(()) }
    /// ```
    pub fn token_store(mut self, store: impl SessionStore + 'static, key: impl Into<String>) -> Self {
        self.token_store = Some((Arc::new(store), key.into()));
        self
    }

    /// How long the renewal lease taken in the token store runs unless released; default
    /// [`DEFAULT_LEASE_TTL`] (30 s). Longer than a token request can take (the
    /// per-attempt timeout), since another instance renews once it runs out; short enough that the others do not
    /// wait long when a holder dies. At least 1 ms, at most a day. Without [`token_store`](Self::token_store) it
    /// has no effect.
    ///
    /// ```
    /// use std::time::Duration;
    /// use vaultspay::auth::store::MemoryStore;
    /// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/test-public-spki.b64"));
    ///
    /// let client = vaultspay::Client::builder().client_id("id").client_secret("secret").app_id("app")
    ///     .public_key(key)?
    ///     .token_store(MemoryStore::new(), "vaultspay/app")
    ///     .token_lease_ttl(Duration::from_secs(10))
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token_lease_ttl(mut self, ttl: Duration) -> Self {
        self.token_lease_ttl = Some(ttl.clamp(Duration::from_millis(1), Duration::from_secs(24 * 3600)));
        self
    }

    /// The client. Nothing is sent until the first call.
    ///
    /// ```
    /// use vaultspay::{BuildError, Client, Environment};
    ///
    /// let err = Client::builder().client_id("id").client_secret("s").app_id("app")
    ///     .environment(Environment::Production).disable_encryption_uat_only().build().unwrap_err();
    /// assert_eq!(err, BuildError::EncryptionRequired);
    /// let err = Client::builder().client_id("id").client_secret("s").app_id("app").build().unwrap_err();
    /// assert_eq!(err, BuildError::MissingPublicKey);
    /// ```
    ///
    /// # Errors
    ///
    /// [`BuildError`], naming what is missing or wrong.
    pub fn build(self) -> Result<Client, BuildError> {
        use secrecy::ExposeSecret as _;
        let environment = self.environment.unwrap_or(Environment::Uat);
        let base_url = cardsdk_runtime::base_url::check(environment.base_url())
            .map_err(|r| BuildError::InvalidBaseUrl { url: r.url, reason: r.reason })?;
        let production = environment.is_production();
        let client_id = self.client_id.filter(|s| !s.trim().is_empty()).ok_or(BuildError::MissingClientId)?;
        let client_secret = self
            .client_secret
            .filter(|s| !s.expose_secret().trim().is_empty())
            .ok_or(BuildError::MissingClientSecret)?;
        let app_id = self.app_id.filter(|s| !s.trim().is_empty()).ok_or(BuildError::MissingAppId)?;
        let app_id = HeaderValue::from_str(&app_id).map_err(|_| BuildError::InvalidHeaderValue { what: "app id" })?;
        let encryptor = match (self.encryption_disabled, self.public_key) {
            (true, _) if production => return Err(BuildError::EncryptionRequired),
            (true, _) => None,
            (false, Some(key)) => Some(Encryptor::new(key, self.encryption)),
            (false, None) => return Err(BuildError::MissingPublicKey),
        };
        let user_agent = self.user_agent.unwrap_or_else(|| format!("vaultspay-rust/{}", env!("CARGO_PKG_VERSION")));
        let user_agent =
            HeaderValue::from_str(&user_agent).map_err(|_| BuildError::InvalidHeaderValue { what: "user agent" })?;
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let http = match self.http {
            Some(http) if follows_redirects(&http) => return Err(BuildError::HttpClientFollowsRedirects),
            Some(http) => http,
            None => {
                install_tls_provider();
                reqwest::Client::builder()
                    .timeout(timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| BuildError::Http(e.to_string()))?
            }
        };
        let origin = url::Url::parse(&base_url)
            .map_err(|_| BuildError::InvalidBaseUrl { url: base_url.clone(), reason: "not a URL" })?
            .origin();
        let retry = self.retry.unwrap_or_else(RetryPolicy::standard);
        let shared = match self.token_store {
            Some((_, key)) if key.is_empty() || key.len() > 256 || key.chars().any(char::is_control) => {
                return Err(BuildError::InvalidTokenStoreKey);
            }
            Some((store, key)) => Some(Shared::new(store, key, self.token_lease_ttl.unwrap_or(DEFAULT_LEASE_TTL))),
            None => None,
        };
        let config = Config {
            base_url,
            origin,
            client_id,
            client_secret,
            app_id,
            encryptor,
            user_agent,
            attempt_timeout: timeout,
            refresh_ahead: self.refresh_ahead.unwrap_or(DEFAULT_REFRESH_AHEAD),
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(cardsdk_runtime::body::DEFAULT_MAX_RESPONSE_BYTES)
                .max(1),
            budget: RetryBudget::new(retry.budget_capacity()),
            retry,
        };
        let inner = Inner { config: Arc::new(config), auth: Arc::new(Auth::new(shared)) };
        let base_url = inner.config.base_url.clone();
        Ok(Client { api: api::Client::new_with_client(&base_url, http, inner) })
    }
}

/// With the `rustls-ring` feature (and not `rustls-aws-lc-rs`): makes ring the process's rustls provider, unless
/// the application installed one already.
fn install_tls_provider() {
    #[cfg(all(feature = "rustls-ring", not(feature = "rustls-aws-lc-rs")))]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A configuration the client cannot work with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No client id.
    #[error("a client id is required")]
    MissingClientId,
    /// No client secret.
    #[error("a client secret is required")]
    MissingClientSecret,
    /// No app id (`x-device-id`).
    #[error("an app id (x-device-id) is required")]
    MissingAppId,
    /// Encryption is on and no public key was given.
    #[error("VaultsPay's RSA public key is required (or, in UAT only, disable_encryption_uat_only)")]
    MissingPublicKey,
    /// Encryption was switched off for the production host.
    #[error("encryption cannot be switched off in production")]
    EncryptionRequired,
    /// The public key does not parse.
    #[error("invalid public key: {0}")]
    PublicKey(crate::encryption::EncryptionError),
    /// The base URL is not acceptable.
    #[error("invalid base URL {url}: {reason}")]
    InvalidBaseUrl {
        /// The URL (without credentials).
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// A value cannot be an HTTP header.
    #[error("the {what} is not a valid HTTP header value")]
    InvalidHeaderValue {
        /// Which value.
        what: &'static str,
    },
    /// The supplied `reqwest::Client` follows redirects.
    #[error("the supplied reqwest::Client follows redirects; build it with redirect(Policy::none())")]
    HttpClientFollowsRedirects,
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
    /// The token store key ([`ClientBuilder::token_store`]) is empty, longer than 256 bytes, or holds a control
    /// character.
    ///
    /// ```
    /// use vaultspay::BuildError;
    /// use vaultspay::auth::store::MemoryStore;
    ///
    /// let err = vaultspay::Client::builder().client_id("id").client_secret("s").app_id("app")
    ///     .disable_encryption_uat_only().token_store(MemoryStore::new(), "").build().unwrap_err();
    /// assert_eq!(err, BuildError::InvalidTokenStoreKey);
    /// ```
    #[error("the token store key must be 1 to 256 bytes without control characters")]
    InvalidTokenStoreKey,
}

/// What the hooks need, shared by clones.
#[derive(Clone)]
pub(crate) struct Inner {
    pub(crate) config: Arc<Config>,
    pub(crate) auth: Arc<Auth>,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner").field("base_url", &self.config.base_url).finish_non_exhaustive()
    }
}

pub(crate) struct Config {
    pub(crate) base_url: String,
    pub(crate) origin: url::Origin,
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) app_id: HeaderValue,
    /// `None`: encryption switched off (UAT).
    pub(crate) encryptor: Option<Encryptor>,
    pub(crate) user_agent: HeaderValue,
    pub(crate) attempt_timeout: Duration,
    pub(crate) refresh_ahead: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: RetryBudget,
}
