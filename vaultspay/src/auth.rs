//! The app's access token: SaaS Login (client id + secret) and Refresh Token, behind the shared single-flight
//! ([`cardsdk_runtime::single_flight`]): however many calls need a token at once, one token request is sent.
//!
//! - **Ahead of expiry**: a token within the client's `refresh_ahead` of its `accessTokenExpiry` is renewed before
//!   the call is sent.
//! - **Rejected**: a 401 or code 1003 (TOKEN_EXPIRED) on a call sent with the token renews it and replays the call
//!   once; 1004 (SESSION_EXPIRED) logs in again and replays once.
//! - **Renewing**: with a refresh token that has not expired, Refresh Token (which returns no new refresh token:
//!   the one from the login is kept); when the refresh is refused (any error answer: 1004, 1036, …), or the
//!   refresh token has expired, SaaS Login again with the configured credentials, once. A transport failure of
//!   the refresh is returned as it is (no login on top of an outage).
//! - Tokens never appear in Debug, logs or errors.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cardsdk_runtime::Timestamp;
use cardsdk_runtime::chrono::{DateTime, Utc};
use cardsdk_runtime::single_flight::{FlightError, SingleFlight};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret as _, SecretString};

use crate::api;
use crate::call::Call as _;
use crate::error::{Error, ErrorContext};

/// The tokens held.
pub(crate) struct Tokens {
    /// `Bearer <accessToken>`, marked sensitive.
    pub(crate) bearer: HeaderValue,
    access_expires: Option<DateTime<Utc>>,
    refresh: Option<SecretString>,
    refresh_expires: Option<DateTime<Utc>>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_expires", &self.access_expires)
            .field("refresh", &self.refresh.as_ref().map(|_| "[redacted]"))
            .field("refresh_expires", &self.refresh_expires)
            .finish()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Renewal {
    /// Refresh if the refresh token allows, else log in.
    Refresh,
    /// Log in (the session expired).
    Login,
}

/// The token state of a client and its clones.
pub(crate) struct Auth {
    tokens: Mutex<Option<Arc<Tokens>>>,
    flights: SingleFlight<Arc<Tokens>, Error>,
    requests: AtomicU64,
}

impl Auth {
    pub(crate) fn new() -> Self {
        Auth { tokens: Mutex::new(None), flights: SingleFlight::new(), requests: AtomicU64::new(0) }
    }

    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn current(&self) -> Option<Arc<Tokens>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn install(&self, tokens: Tokens) -> Arc<Tokens> {
        let tokens = Arc::new(tokens);
        *self.tokens.lock().unwrap_or_else(|e| e.into_inner()) = Some(tokens.clone());
        tokens
    }

    /// The token, if it is not within `ahead` of its expiry.
    fn fresh(&self, ahead: std::time::Duration) -> Option<HeaderValue> {
        let tokens = self.current()?;
        let due = tokens.access_expires.is_some_and(|at| {
            let ahead = cardsdk_runtime::chrono::Duration::from_std(ahead).unwrap_or_default();
            now() + ahead >= at
        });
        (!due).then(|| tokens.bearer.clone())
    }

    /// The bearer header for a call: the token held, or a renewed one.
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
            let client = client.clone();
            guard.join_or_start(move || renew(client, Renewal::Refresh))
        };
        wait(flight).await
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
            guard.join_or_start(move || renew(client, how))
        };
        wait(flight).await
    }

    /// Logs in now.
    pub(crate) async fn login_now(&self, client: &api::Client) -> Result<(), Error> {
        let flight = {
            let client = client.clone();
            self.flights.lock().join_or_start(move || renew(client, Renewal::Login))
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

/// One renewal (in the flight's own task): refresh when allowed, else — or when the refresh is refused — login.
async fn renew(client: api::Client, how: Renewal) -> Result<Arc<Tokens>, Error> {
    let auth = client.inner.auth.clone();
    let current = auth.current();
    let refresh = current.as_ref().filter(|_| how == Renewal::Refresh).and_then(|t| {
        let alive = t.refresh_expires.is_none_or(|at| now() < at);
        t.refresh.clone().filter(|_| alive).map(|r| (r, t.refresh_expires))
    });
    if let Some((refresh_token, refresh_expires)) = refresh {
        auth.requests.fetch_add(1, Ordering::Relaxed);
        let request = api::types::RefreshSaasTokenRequest::builder().refresh_token(refresh_token.expose_secret());
        match client.refresh_saas_token().body(request).call().await {
            Ok(Some(data)) if data.access_token.as_deref().is_some_and(|t| !t.is_empty()) => {
                let access = data.access_token.as_deref().unwrap_or_default();
                let tokens = Tokens {
                    bearer: bearer(access)?,
                    access_expires: expiry(data.access_token_expiry.as_deref()),
                    refresh: Some(refresh_token),
                    refresh_expires,
                };
                return Ok(auth.install(tokens));
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
    let tokens = Tokens {
        bearer: bearer(access)?,
        access_expires: expiry(session.access_token_expiry.as_deref()),
        refresh: session.refresh_token.as_deref().filter(|t| !t.is_empty()).map(SecretString::from),
        refresh_expires: expiry(session.refresh_token_expiry.as_deref()),
    };
    Ok(auth.install(tokens))
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
