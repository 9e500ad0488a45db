//! The client: configuration, and the state the generated layer carries into the hooks.

use std::fmt;
use std::sync::Arc;

use crate::api;

/// Where requests go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Environment {
    /// `https://dev.api.baanx.com`
    Sandbox,
    /// `https://api.baanx.com`
    Production,
    /// Any other base URL (a local sandbox, a proxy).
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

/// A Baanx API client.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = baanx::Client::builder()
///     .environment(baanx::Environment::Sandbox)
///     .client_key("pk_test_123")
///     .build()?;
/// let settings = client.api().get_registration_settings().send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    api: api::Client,
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The generated operations, one method per `operationId`, with credentials and tracing handled by the client.
    pub fn api(&self) -> &api::Client {
        &self.api
    }
}

/// Configures a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    environment: Option<Environment>,
    client_key: Option<String>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("environment", &self.environment)
            .field("client_key", &self.client_key.as_deref().map(redact_key))
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Target environment (default: sandbox).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The public client key, sent as `x-client-key` on every request.
    pub fn client_key(mut self, key: impl Into<String>) -> Self {
        self.client_key = Some(key.into());
        self
    }

    /// Use this `reqwest::Client` (its timeouts, proxies and TLS settings) instead of a default one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, BuildError> {
        let client_key = self.client_key.unwrap_or_default();
        if client_key.trim().is_empty() {
            return Err(BuildError::MissingClientKey);
        }
        let environment = self.environment.unwrap_or(Environment::Sandbox);
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .build()
                .map_err(|e| BuildError::Http(e.to_string()))?,
        };
        let inner = Inner(Arc::new(Shared { client_key }));
        Ok(Client {
            api: api::Client::new_with_client(environment.base_url(), http, inner),
        })
    }
}

/// A configuration the client cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No client key, or an empty one.
    #[error("a client key is required")]
    MissingClientKey,
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// State shared by every clone of the generated [`api::Client`]: configuration read by the hooks.
///
/// Built by [`ClientBuilder::build`]; its `Debug` shows no secret.
#[derive(Clone)]
pub struct Inner(Arc<Shared>);

pub(crate) struct Shared {
    pub(crate) client_key: String,
}

impl Inner {
    pub(crate) fn shared(&self) -> &Shared {
        &self.0
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner")
            .field("client_key", &redact_key(&self.0.client_key))
            .finish_non_exhaustive()
    }
}

/// The first characters of a key, enough to tell keys apart in logs.
fn redact_key(key: &str) -> String {
    let shown: String = key.chars().take(4).collect();
    format!("{shown}…")
}
