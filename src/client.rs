//! The client: configuration, the session it acts for, and the state the generated layer carries into the hooks.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::api;
use crate::auth::{OAuth, Session, TokenStore};
use crate::retry::{RetryBudget, RetryPolicy};

/// Where requests go.
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    pub fn api(&self) -> &api::Client {
        &self.api
    }

    /// The session this client acts for.
    pub fn session(&self) -> &Session {
        &self.api.inner.session
    }

    /// This client acting for another session (same configuration and connection pool).
    pub fn with_session(&self, session: Session) -> Client {
        let inner = Inner { config: self.api.inner.config.clone(), session };
        Client { api: api::Client::new_with_client(&self.config().base_url, self.api.client.clone(), inner) }
    }

    /// This client with a new, empty session (no store): for acting for one more user.
    pub fn detached(&self) -> Client {
        self.with_session(Session::new())
    }

    /// The OAuth 2.0 flows (API mode, hosted modes, code exchange, revoke).
    pub fn oauth(&self) -> OAuth<'_> {
        OAuth::new(self)
    }

    /// The client's region.
    pub fn region(&self) -> Region {
        self.config().region
    }

    /// Whether the client holds the secret key (a backend).
    pub fn has_secret_key(&self) -> bool {
        self.config().secret_key.is_some()
    }

    pub(crate) fn config(&self) -> &Config {
        &self.api.inner.config
    }
}

/// Configures a [`Client`].
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
    store: Option<Arc<dyn TokenStore>>,
    refresh_ahead: Option<Duration>,
    oauth_client_id: Option<String>,
    retry: RetryPolicy,
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
pub const DEFAULT_REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);

impl ClientBuilder {
    /// A builder filled from `BAANX_*` environment variables (see [`Client::from_env`]); adjust it before building.
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
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The public client key, sent as `x-client-key` on every request.
    pub fn client_key(mut self, key: impl Into<String>) -> Self {
        self.client_key = Some(key.into());
        self
    }

    /// The private secret key, sent as `x-secret-key` only on the operations that take it. Backends only: never
    /// ship it in an app (the app runs the other steps without it, see [`crate::auth`]).
    pub fn secret_key(mut self, key: impl Into<SecretString>) -> Self {
        self.secret_key = Some(key.into());
        self
    }

    /// The tenant (default: [`Region::International`]). [`Region::Us`] adds `x-us-env: true` to every request.
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Total time one attempt may take (default 30 s). Ignored with [`http_client`](Self::http_client).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Time to establish a connection (default 10 s). Ignored with [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` header (default `baanx-rust/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Use this `reqwest::Client` (its timeouts, proxies and TLS settings). Turn its redirect following off
    /// (`redirect(reqwest::redirect::Policy::none())`), as the default client does: the hosted OAuth initiate
    /// answers with a redirect that must be read, not followed.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Where the client's session keeps its tokens (loaded on first use, saved before each new token set is
    /// used). Default: memory only.
    pub fn token_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// How long before expiry an access token is renewed (default 5 minutes; at most half its lifetime).
    pub fn refresh_ahead(mut self, margin: Duration) -> Self {
        self.refresh_ahead = Some(margin);
        self
    }

    /// When calls are retried (default [`RetryPolicy::standard`]; see [`crate::retry`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `client_id` of the OAuth flows (default: the client key, as production apps send).
    pub fn oauth_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.oauth_client_id = Some(client_id.into());
        self
    }

    /// Builds the client.
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
        let secret_key_header =
            self.secret_key.as_ref().map(|s| header(s.expose_secret(), "secret key")).transpose()?;
        let user_agent = self.user_agent.unwrap_or_else(|| format!("baanx-rust/{}", env!("CARGO_PKG_VERSION")));
        let user_agent_header =
            HeaderValue::from_str(&user_agent).map_err(|_| BuildError::InvalidHeaderValue { what: "user agent" })?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| BuildError::Http(e.to_string()))?,
        };
        let config = Config {
            oauth_client_id: self.oauth_client_id.unwrap_or_else(|| client_key.clone()),
            base_url,
            client_key: client_key_header,
            secret_key: secret_key_header,
            region: self.region,
            user_agent: user_agent_header,
            refresh_ahead: self.refresh_ahead.unwrap_or(DEFAULT_REFRESH_AHEAD),
            budget: RetryBudget::new(self.retry.budget_capacity()),
            retry: self.retry,
        };
        let session = match self.store {
            Some(store) => Session::with_shared_store(store),
            None => Session::new(),
        };
        let inner = Inner { config: Arc::new(config), session };
        let base_url = inner.config.base_url.clone();
        Ok(Client { api: api::Client::new_with_client(&base_url, http, inner) })
    }
}

/// HTTPS, or HTTP on a loopback host.
fn check_base_url(url: &str) -> Result<String, BuildError> {
    let invalid = |reason: &'static str| BuildError::InvalidBaseUrl { url: url.to_string(), reason };
    let parsed = reqwest::Url::parse(url).map_err(|_| invalid("not a URL"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(invalid("no host")),
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(invalid("plain HTTP is only allowed on a loopback address")),
        _ => return Err(invalid("the scheme must be https")),
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL has no query or fragment"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// A configuration the client cannot work with.
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
}

/// The client's settings, shared by every clone and read by the hooks on each request.
pub(crate) struct Config {
    pub(crate) base_url: String,
    pub(crate) client_key: HeaderValue,
    pub(crate) secret_key: Option<HeaderValue>,
    pub(crate) region: Region,
    pub(crate) user_agent: HeaderValue,
    pub(crate) refresh_ahead: Duration,
    pub(crate) oauth_client_id: String,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: RetryBudget,
}

/// The state the generated [`api::Client`] carries into the hooks: the configuration and the session.
///
/// Built by [`ClientBuilder::build`]; its `Debug` shows no secret.
#[derive(Clone)]
pub struct Inner {
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
