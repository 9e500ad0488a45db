//! The client: configuration, the session it acts for, and the state the generated layer carries into the hooks.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cardsdk_runtime::base_url::follows_redirects;
use cardsdk_runtime::secret::IntoSecret;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::api;
use crate::auth::{OAuth, Session, TokenStore};
use crate::retry::{RetryBudget, RetryPolicy};

/// Where requests go.
///
/// ```
/// use baanx::{BuildError, Client, Environment};
///
/// let local = Environment::Custom("http://127.0.0.1:8080".into()); // a local sandbox
/// assert!(Client::builder().client_key("pk_test_123").environment(local).build().is_ok());
/// let plain = Environment::Custom("http://api.example.com".into());
/// let err = Client::builder().client_key("pk_test_123").environment(plain).build().unwrap_err();
/// assert!(matches!(err, BuildError::InvalidBaseUrl { .. }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `https://dev.api.baanx.com`
    Sandbox,
    /// `https://api.baanx.com`
    Production,
    /// Any other base URL: HTTPS, or HTTP on a loopback address (a local sandbox).
    Custom(String),
}

impl Environment {
    /// The base URL, without a trailing slash.
    ///
    /// ```
    /// use baanx::Environment;
    ///
    /// assert_eq!(Environment::Production.base_url(), "https://api.baanx.com");
    /// assert_eq!(Environment::Custom("http://localhost:8080/".into()).base_url(), "http://localhost:8080");
    /// ```
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Sandbox => "https://dev.api.baanx.com",
            Environment::Production => "https://api.baanx.com",
            Environment::Custom(url) => url.trim_end_matches('/'),
        }
    }
}

/// Which Baanx tenant the client talks to. US and international users live on separate tenants: a session from
/// one is refused by the other.
///
/// ```
/// use baanx::{Client, Region};
///
/// assert_eq!(Region::default(), Region::International);
/// let client = Client::builder().client_key("pk_test_123").region(Region::Us).build()?;
/// assert_eq!(client.region(), Region::Us);
/// # Ok::<(), baanx::BuildError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Region {
    /// The international tenant (the default).
    #[default]
    International,
    /// The US tenant: every request carries `x-us-env: true`.
    Us,
}

/// A Baanx API client: configuration (keys, environment, region) plus the [`Session`] it acts for.
///
/// Cheap to clone; clones share the configuration, the connection pool and the session. For a backend acting for
/// many users, give each user its own session with [`Client::with_session`] or [`Client::detached`].
///
/// ```no_run
/// use baanx::{Call, Client, Environment, Region};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder()
///     .environment(Environment::Sandbox)
///     .client_key("pk_test_123")
///     .region(Region::International)
///     .build()?;
/// let settings = client.api().get_registration_settings().call().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    api: api::Client,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.config().base_url)
            .field("region", &self.config().region)
            .field("session", &self.session())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client.
    ///
    /// ```
    /// let client = baanx::Client::builder().client_key("pk_test_123").build()?; // sends nothing
    /// assert!(!client.has_secret_key());
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment:
    /// - `BAANX_CLIENT_KEY` (required), `BAANX_SECRET_KEY` (optional, backends only);
    /// - `BAANX_BASE_URL`, or `BAANX_ENV` = `sandbox` (default) | `production`;
    /// - `BAANX_REGION` = `international` (default) | `us`.
    ///
    /// ```no_run
    /// let client = baanx::Client::from_env()?;
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn from_env() -> Result<Client, BuildError> {
        ClientBuilder::from_env()?.build()
    }

    /// The generated operations, one method per `operationId`, with credentials, region routing, session renewal
    /// and tracing handled by the client. Finish a request with [`Call::call`](crate::Call::call) (or `send()`).
    ///
    /// ```no_run
    /// use baanx::Call;
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    ///
    /// let settings = client.api().get_registration_settings().call().await?;
    /// let card = client.api().get_card_status().call().await?; // needs a signed-in session
    /// # Ok(()) }
    /// ```
    pub fn api(&self) -> &api::Client {
        &self.api
    }

    /// The session this client acts for.
    ///
    /// ```
    /// let client = baanx::Client::builder().client_key("pk_test_123").build()?;
    /// assert!(!client.session().is_signed_in()); // until a login or an OAuth exchange
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn session(&self) -> &Session {
        &self.api.inner.session
    }

    /// This client acting for another session (same configuration and connection pool).
    ///
    /// ```
    /// use baanx::auth::{Session, TokenSet};
    /// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
    /// # let tokens = TokenSet::new("access", std::time::SystemTime::now(), baanx::Region::International);
    ///
    /// let alice = client.with_session(Session::from_tokens(tokens)?);
    /// assert!(alice.session().is_signed_in());
    /// assert!(!client.session().is_signed_in()); // the original client is untouched
    /// # Ok::<(), baanx::Error>(())
    /// ```
    pub fn with_session(&self, session: Session) -> Client {
        let inner = Inner { config: self.api.inner.config.clone(), session };
        Client { api: api::Client::new_with_client(&self.config().base_url, self.api.client.clone(), inner) }
    }

    /// This client with a new, empty session (no store): for acting for one more user.
    ///
    /// ```
    /// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
    /// // E.g. a backend exchanging one more user's code.
    /// let other = client.detached();
    /// assert!(!other.session().is_signed_in());
    /// assert_eq!(other.region(), client.region());
    /// ```
    pub fn detached(&self) -> Client {
        self.with_session(Session::new())
    }

    /// The OAuth 2.0 flows (API mode, hosted modes, code exchange, revoke).
    ///
    /// ```
    /// let client = baanx::Client::builder().client_key("pk_test_123").build()?;
    /// let flow = client.oauth().hosted_page("myapp://callback", &[]);
    /// assert!(flow.url().as_str().starts_with("https://dev.api.baanx.com/"));
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn oauth(&self) -> OAuth<'_> {
        OAuth::new(self)
    }

    /// The client's region.
    ///
    /// ```
    /// use baanx::{Client, Region};
    ///
    /// let client = Client::builder().client_key("pk_test_123").region(Region::Us).build()?;
    /// assert_eq!(client.region(), Region::Us);
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn region(&self) -> Region {
        self.config().region
    }

    /// Whether the client holds the secret key (a backend).
    ///
    /// ```
    /// let backend = baanx::Client::builder().client_key("pk_test_123").secret_key("sk_test_456").build()?;
    /// assert!(backend.has_secret_key());
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn has_secret_key(&self) -> bool {
        self.config().secret_key.is_some()
    }

    pub(crate) fn config(&self) -> &Config {
        &self.api.inner.config
    }
}

/// Configures a [`Client`].
///
/// ```
/// use baanx::{Client, Environment, Region};
///
/// let client = Client::builder()
///     .environment(Environment::Production)
///     .client_key("pk_live_123")
///     .region(Region::Us)
///     .timeout(std::time::Duration::from_secs(10))
///     .build()?;
/// # Ok::<(), baanx::BuildError>(())
/// ```
#[derive(Default)]
pub struct ClientBuilder {
    environment: Option<Environment>,
    client_key: Option<String>,
    secret_key: Option<SecretString>,
    region: Region,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
    store: Option<TokenStore>,
    refresh_ahead: Option<Duration>,
    oauth_client_id: Option<String>,
    retry: RetryPolicy,
    max_response_bytes: Option<usize>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("environment", &self.environment)
            .field("client_key", &self.client_key.as_deref().map(redact_key))
            .field("secret_key", &self.secret_key.as_ref().map(|_| "[redacted]"))
            .field("region", &self.region)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// Default total timeout of one attempt.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default connect timeout.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default margin before an access token's expiry at which it is renewed.
///
/// ```
/// use std::time::Duration;
/// use baanx::client::DEFAULT_REFRESH_AHEAD;
///
/// assert_eq!(DEFAULT_REFRESH_AHEAD, Duration::from_secs(5 * 60));
/// ```
pub const DEFAULT_REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

pub use crate::body::DEFAULT_MAX_RESPONSE_BYTES;

impl ClientBuilder {
    /// A builder filled from `BAANX_*` environment variables (see [`Client::from_env`]); adjust it before building.
    ///
    /// ```no_run
    /// use baanx::ClientBuilder;
    ///
    /// let client = ClientBuilder::from_env()?.user_agent("myapp/1.2").build()?;
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn from_env() -> Result<ClientBuilder, BuildError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let environment = match (var("BAANX_BASE_URL"), var("BAANX_ENV")) {
            (Some(url), _) => Some(Environment::Custom(url)),
            (None, None) => None,
            (None, Some(env)) => Some(match env.to_ascii_lowercase().as_str() {
                "sandbox" | "dev" | "development" => Environment::Sandbox,
                "production" | "prod" => Environment::Production,
                _ => return Err(BuildError::InvalidEnvironment { value: env }),
            }),
        };
        let mut builder = ClientBuilder {
            environment,
            client_key: var("BAANX_CLIENT_KEY"),
            secret_key: var("BAANX_SECRET_KEY").map(SecretString::from),
            ..ClientBuilder::default()
        };
        if let Some(region) = var("BAANX_REGION") {
            builder.region = match region.to_ascii_lowercase().as_str() {
                "us" => Region::Us,
                "international" | "intl" => Region::International,
                _ => return Err(BuildError::InvalidRegion { value: region }),
            };
        }
        Ok(builder)
    }

    /// Target environment (default: [`Environment::Sandbox`]).
    ///
    /// ```
    /// use baanx::{Client, Environment};
    ///
    /// let client = Client::builder().client_key("pk_live_123").environment(Environment::Production).build()?;
    /// let flow = client.oauth().hosted_page("myapp://callback", &[]);
    /// assert!(flow.url().as_str().starts_with("https://api.baanx.com/"));
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The public client key, sent as `x-client-key` on every request.
    ///
    /// ```
    /// use baanx::{BuildError, Client};
    ///
    /// assert_eq!(Client::builder().build().unwrap_err(), BuildError::MissingClientKey);
    /// let client = Client::builder().client_key("pk_test_123").build()?;
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn client_key(mut self, key: impl Into<String>) -> Self {
        self.client_key = Some(key.into());
        self
    }

    /// The private secret key, sent as `x-secret-key` only on the operations that take it. Backends only: never
    /// ship it in an app (the app runs the other steps without it, see [`crate::auth`]).
    ///
    /// ```
    /// // On a backend only, e.g. read from a secret manager.
    /// let backend = baanx::Client::builder().client_key("pk_test_123").secret_key("sk_test_456").build()?;
    /// assert!(backend.has_secret_key());
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn secret_key(mut self, key: impl IntoSecret) -> Self {
        self.secret_key = Some(key.into_secret());
        self
    }

    /// The tenant (default: [`Region::International`]). [`Region::Us`] adds `x-us-env: true` to every request.
    ///
    /// ```
    /// use baanx::{Client, Region};
    ///
    /// let us = Client::builder().client_key("pk_test_123").region(Region::Us).build()?;
    /// assert_eq!(us.region(), Region::Us); // its requests carry `x-us-env: true`
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Total time one attempt may take (default 30 s), also with your own [`http_client`](Self::http_client).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = baanx::Client::builder().client_key("pk_test_123").timeout(Duration::from_secs(5)).build()?;
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Time to establish a connection (default 10 s). Ignored with [`http_client`](Self::http_client).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = baanx::Client::builder().client_key("pk_test_123").connect_timeout(Duration::from_secs(2)).build()?;
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` header (default `baanx-rust/<version>`).
    ///
    /// ```
    /// use baanx::{BuildError, Client};
    ///
    /// let client = Client::builder().client_key("pk_test_123").user_agent("myapp/1.2").build()?;
    /// let err = Client::builder().client_key("pk_test_123").user_agent("bad\n").build().unwrap_err();
    /// assert_eq!(err, BuildError::InvalidHeaderValue { what: "user agent" });
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Use this `reqwest::Client` (its proxies, TLS settings and pool). It must not follow redirects
    /// (`redirect(reqwest::redirect::Policy::none())`, as the default client): [`build`](Self::build) refuses one that
    /// does ([`BuildError::HttpClientFollowsRedirects`]), because a redirect would carry the client key, the secret
    /// key and request bodies to another host. Answers from another origin are refused too. The builder's
    /// [`timeout`](Self::timeout) (default 30 s) still bounds every attempt, whatever the client's own.
    ///
    /// ```
    /// let http = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .pool_max_idle_per_host(8)
    ///     .build()?;
    /// let client = baanx::Client::builder().client_key("pk_test_123").http_client(http).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Where the client's session keeps its tokens (loaded on first use, saved before each new token set is
    /// used). Default: memory only.
    ///
    /// ```
    /// use baanx::auth::TokenStore;
    ///
    /// let dir = std::env::temp_dir().join("baanx-doc-token-store");
    /// let client = baanx::Client::builder()
    ///     .client_key("pk_test_123")
    ///     .token_store(TokenStore::file(&dir, "my-user").unwrap()) // read on first use, not here
    ///     .build()?;
    /// assert!(!client.session().is_signed_in());
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn token_store(mut self, store: TokenStore) -> Self {
        self.store = Some(store);
        self
    }

    /// How long before expiry an access token is renewed (default 5 minutes; at most half its lifetime).
    ///
    /// ```
    /// let client = baanx::Client::builder()
    ///     .client_key("pk_test_123")
    ///     .refresh_ahead(std::time::Duration::from_secs(60)) // renew one minute before expiry
    ///     .build()?;
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn refresh_ahead(mut self, margin: Duration) -> Self {
        self.refresh_ahead = Some(margin);
        self
    }

    /// When calls are retried (default [`RetryPolicy::standard`]; see [`crate::retry`]).
    ///
    /// ```
    /// use baanx::retry::RetryPolicy;
    ///
    /// let patient = baanx::Client::builder().client_key("pk_test_123").retry(RetryPolicy::standard().max_attempts(5));
    /// let client = patient.build()?;
    /// let once = baanx::Client::builder().client_key("pk_test_123").retry(RetryPolicy::disabled()).build()?;
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The largest response body the client reads (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`], 16 MiB). A larger body — declared
    /// by `Content-Length` or found while streaming — is [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge),
    /// and reading stops there: memory stays within about twice the limit, however large or endless the body.
    ///
    /// ```
    /// let client = baanx::Client::builder().client_key("pk_test_123").max_response_bytes(1 << 20).build()?;
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// The `client_id` of the OAuth flows (default: the client key, as production apps send).
    ///
    /// ```
    /// let client = baanx::Client::builder().client_key("pk_test_123").oauth_client_id("my-oauth-app").build()?;
    /// let flow = client.oauth().hosted_page("myapp://callback", &[]);
    /// assert!(flow.url().query_pairs().any(|(k, v)| k == "client_id" && v == "my-oauth-app"));
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn oauth_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.oauth_client_id = Some(client_id.into());
        self
    }

    /// Builds the client.
    ///
    /// ```
    /// use baanx::{BuildError, Client};
    ///
    /// assert_eq!(Client::builder().client_key("").build().unwrap_err(), BuildError::MissingClientKey);
    /// let client = Client::builder().client_key("pk_test_123").build()?; // offline: no request is sent
    /// # Ok::<(), baanx::BuildError>(())
    /// ```
    pub fn build(self) -> Result<Client, BuildError> {
        let client_key = self.client_key.filter(|k| !k.trim().is_empty()).ok_or(BuildError::MissingClientKey)?;
        let environment = self.environment.unwrap_or(Environment::Sandbox);
        let base_url = check_base_url(environment.base_url())?;
        let header = |value: &str, what: &'static str| {
            let mut v = HeaderValue::from_str(value).map_err(|_| BuildError::InvalidHeaderValue { what })?;
            v.set_sensitive(true);
            Ok::<_, BuildError>(v)
        };
        let client_key_header = header(&client_key, "client key")?;
        if self.secret_key.as_ref().is_some_and(|s| s.expose_secret().trim().is_empty()) {
            return Err(BuildError::BlankSecretKey);
        }
        let secret_key_header =
            self.secret_key.as_ref().map(|s| header(s.expose_secret(), "secret key")).transpose()?;
        let user_agent = self.user_agent.unwrap_or_else(|| format!("baanx-rust/{}", env!("CARGO_PKG_VERSION")));
        let user_agent_header =
            HeaderValue::from_str(&user_agent).map_err(|_| BuildError::InvalidHeaderValue { what: "user agent" })?;
        let http = match self.http {
            Some(http) if follows_redirects(&http) => return Err(BuildError::HttpClientFollowsRedirects),
            Some(http) => http,
            None => {
                install_tls_provider();
                reqwest::Client::builder()
                    .timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
                    .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| BuildError::Http(e.to_string()))?
            }
        };
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|_| BuildError::InvalidBaseUrl { url: base_url.clone(), reason: "not a URL" })?;
        let (origin, base_path) = (parsed.origin(), parsed.path().trim_end_matches('/').to_string());
        let config = Config {
            oauth_client_id: self.oauth_client_id.unwrap_or_else(|| client_key.clone()),
            origin,
            base_path,
            attempt_timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            base_url,
            client_key: client_key_header,
            secret_key: secret_key_header,
            region: self.region,
            user_agent: user_agent_header,
            refresh_ahead: self.refresh_ahead.unwrap_or(DEFAULT_REFRESH_AHEAD),
            max_response_bytes: self.max_response_bytes.unwrap_or(DEFAULT_MAX_RESPONSE_BYTES).max(1),
            budget: RetryBudget::new(self.retry.budget_capacity()),
            retry: self.retry,
        };
        let session = match self.store {
            Some(store) => Session::with_store(store),
            None => Session::new(),
        };
        let inner = Inner { config: Arc::new(config), session };
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

/// HTTPS, or HTTP on a loopback host; no credentials in it.
fn check_base_url(url: &str) -> Result<String, BuildError> {
    cardsdk_runtime::base_url::check(url).map_err(|r| BuildError::InvalidBaseUrl { url: r.url, reason: r.reason })
}

/// A configuration the client cannot work with.
///
/// ```
/// use baanx::{BuildError, Client, Environment};
///
/// let plain_http = Environment::Custom("http://api.example.com".into());
/// let err = Client::builder().client_key("pk_test_123").environment(plain_http).build().unwrap_err();
/// assert!(matches!(err, BuildError::InvalidBaseUrl { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No client key, or an empty one.
    #[error("a client key is required (BAANX_CLIENT_KEY)")]
    MissingClientKey,
    /// The base URL is not usable.
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `BAANX_ENV` is neither `sandbox` nor `production`.
    #[error("BAANX_ENV={value:?}: expected sandbox or production")]
    InvalidEnvironment {
        /// The value found.
        value: String,
    },
    /// `BAANX_REGION` is neither `international` nor `us`.
    #[error("BAANX_REGION={value:?}: expected international or us")]
    InvalidRegion {
        /// The value found.
        value: String,
    },
    /// A key or the user agent holds characters an HTTP header cannot carry.
    #[error("the {what} is not a valid HTTP header value")]
    InvalidHeaderValue {
        /// Which setting.
        what: &'static str,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
    /// The secret key is empty or blank.
    #[error("the secret key is empty: leave it out, or give the real one")]
    BlankSecretKey,
    /// The `reqwest::Client` given to [`ClientBuilder::http_client`] follows redirects (reqwest's default): a
    /// redirect would carry `x-client-key`, `x-secret-key` and request bodies to another host. Build it with
    /// `.redirect(reqwest::redirect::Policy::none())`.
    #[error(
        "the supplied reqwest::Client follows redirects; build it with .redirect(reqwest::redirect::Policy::none())"
    )]
    HttpClientFollowsRedirects,
}

/// The client's settings, shared by every clone and read by the hooks on each request.
pub(crate) struct Config {
    pub(crate) base_url: String,
    /// Scheme, host and port of `base_url`: the only origin credentials go to and answers are taken from.
    pub(crate) origin: url::Origin,
    /// The path of `base_url` (empty, or `/prefix`), which every request path starts with.
    pub(crate) base_path: String,
    /// The longest one attempt may take, whatever `reqwest::Client` is used.
    pub(crate) attempt_timeout: Duration,
    pub(crate) client_key: HeaderValue,
    pub(crate) secret_key: Option<HeaderValue>,
    pub(crate) region: Region,
    pub(crate) user_agent: HeaderValue,
    pub(crate) refresh_ahead: Duration,
    pub(crate) oauth_client_id: String,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: RetryBudget,
    pub(crate) max_response_bytes: usize,
}

/// The state the generated [`api::Client`] carries into the hooks: the configuration and the session.
///
/// Built by [`ClientBuilder::build`] only; its `Debug` shows no secret.
#[derive(Clone)]
pub(crate) struct Inner {
    pub(crate) config: Arc<Config>,
    pub(crate) session: Session,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner")
            .field("base_url", &self.config.base_url)
            .field("region", &self.config.region)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// The first characters of a key, enough to tell keys apart in logs.
fn redact_key(key: &str) -> String {
    let shown: String = key.chars().take(4).collect();
    format!("{shown}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert!(check_base_url("https://api.baanx.com").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("http://localhost:8080/").is_ok());
        assert!(check_base_url("http://[::1]:1").is_ok());
        for bad in ["http://api.baanx.com", "ftp://x", "not a url", "https://x/?a=1", "http://10.0.0.1"] {
            assert!(matches!(check_base_url(bad), Err(BuildError::InvalidBaseUrl { .. })), "{bad}");
        }
    }

    #[test]
    fn build_errors() {
        assert_eq!(Client::builder().build().unwrap_err(), BuildError::MissingClientKey);
        assert_eq!(Client::builder().client_key("  ").build().unwrap_err(), BuildError::MissingClientKey);
        let err = Client::builder()
            .client_key("k")
            .environment(Environment::Custom("http://example.com".into()))
            .build()
            .unwrap_err();
        assert!(matches!(err, BuildError::InvalidBaseUrl { .. }));
        assert!(matches!(
            Client::builder().client_key("bad\nkey").build().unwrap_err(),
            BuildError::InvalidHeaderValue { what: "client key" }
        ));
    }
}
