//! OAuth 2.0 with PKCE: API mode, the two hosted modes, code exchange, revoke.
//!
//! Every flow is a chain of typed steps that carry the PKCE verifier and the `state` from one step to the next:
//!
//! - **API mode** (your own login screen): [`OAuth::start_api_mode`] (initiate, `mode=api`) →
//!   [`Client::login`](crate::Client::login) → [`ApiModeAuthorization::authorize`] → [`OAuth::exchange`].
//! - **Hosted, documented**: [`OAuth::start_hosted`] (initiate without `mode`; the answer's redirect is read,
//!   never followed) → the user's browser → [`HostedAuthorization::complete`] with the callback URL →
//!   [`OAuth::exchange`].
//! - **Hosted, `oauth2` page** (what production apps use; not in the docs index): [`OAuth::hosted_page`] builds
//!   the URL without a request → browser → [`HostedAuthorization::complete`] → [`OAuth::exchange`].
//!
//! ## Split between an app and a backend
//!
//! The secret key must never ship in an app. The steps that may carry it (initiate, code exchange) can run on a
//! backend while the app runs the rest: every value that crosses over ([`HostedAuthorization`],
//! [`AuthorizationCode`], [`TokenSet`]) is `Serialize + Deserialize`. A typical split:
//!
//! 1. the app runs the flow up to an [`AuthorizationCode`] and posts it (code, verifier, redirect URI) to the
//!    backend over TLS;
//! 2. the backend, whose client has `secret_key`, calls [`OAuth::exchange`] on a
//!    [`detached`](crate::Client::detached) client and keeps the tokens, or returns them to the app, which calls
//!    [`Session::from_tokens`](super::Session::from_tokens).
//!
//! `examples/oauth_split.rs` runs both halves.

use std::fmt;

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::pkce::serde_pkce;
use super::{Pkce, Session, State, TokenKind, TokenSet};
use crate::api::types::{
    AuthorizeOAuthRequest, ExchangeOAuth2TokenRequest, OAuthCodeChallengeMethod, OAuthGrantType, OAuthInitiateMode,
    OAuthResponseType, OAuthTokenRequest,
};
use crate::call::Call;
use crate::client::Client;
use crate::error::{Error, ErrorContext};

/// Scopes production apps ask for on the hosted `oauth2` page (`offline_access` brings a refresh token).
///
/// ```
/// use baanx::auth::oauth::DEFAULT_HOSTED_SCOPES;
/// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
///
/// assert!(DEFAULT_HOSTED_SCOPES.contains(&"offline_access"));
/// // An empty scope list asks for these.
/// let flow = client.oauth().hosted_page("myapp://callback", &[]);
/// assert!(flow.url().query_pairs().any(|(k, v)| k == "scope" && v == DEFAULT_HOSTED_SCOPES.join(" ")));
/// ```
pub const DEFAULT_HOSTED_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// Which token endpoint exchanges a flow's code (and later refreshes its tokens).
///
/// ```
/// use baanx::auth::TokenEndpoint;
/// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
///
/// // The hosted `oauth2` page has its own token endpoint.
/// let flow = client.oauth().hosted_page("myapp://callback", &[]);
/// assert_eq!(flow.endpoint(), TokenEndpoint::OAuth2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenEndpoint {
    /// `POST /v1/auth/oauth/token` (the documented flows).
    OAuth,
    /// `POST /v1/auth/oauth2/token` (the hosted `oauth2` page).
    OAuth2,
}

/// The OAuth flows of a [`Client`]: `client.oauth()`.
///
/// ```no_run
/// # async fn demo(client: baanx::Client, callback_url: &str) -> Result<(), baanx::Error> {
/// let oauth = client.oauth();
/// let flow = oauth.hosted_page("myapp://callback", &[]);
/// // ... open flow.url() in the browser; it comes back to `callback_url` ...
/// let session = oauth.exchange(flow.complete(callback_url)?).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct OAuth<'a> {
    client: &'a Client,
}

impl<'a> OAuth<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        OAuth { client }
    }

    /// API mode, step 1: initiate with `mode=api`. Then log the user in with
    /// [`Client::login`](crate::Client::login) and call [`ApiModeAuthorization::authorize`].
    ///
    /// `redirect_uri` is required by the API even in API mode (it must be on your whitelist).
    ///
    /// ```no_run
    /// use baanx::auth::LoginOutcome;
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let flow = client.oauth().start_api_mode("https://app.example.com/callback").await?;
    /// let LoginOutcome::Authenticated(_) = client.login("user@example.com", "secret").await? else {
    ///     return Ok(()); // OTP or onboarding: see Client::login
    /// };
    /// let code = flow.authorize(&client).await?;
    /// let session = client.oauth().exchange(code).await?; // OAuth tokens, with a refresh token
    /// # Ok(()) }
    /// ```
    pub async fn start_api_mode(&self, redirect_uri: &str) -> Result<ApiModeAuthorization, Error> {
        let (pkce, state) = (Pkce::new(), State::new());
        let answer = self.initiate(redirect_uri, &pkce, &state).mode(OAuthInitiateMode::Api).call().await?;
        let token = answer.token.filter(|t| !t.is_empty()).ok_or_else(|| Error::Decode {
            path: None,
            message: "the API-mode initiate answer has no session token".into(),
            body_snippet: String::new(),
            context: ErrorContext::operation("initiate_oauth"),
        })?;
        Ok(ApiModeAuthorization { initiate_token: token.into(), pkce, state, redirect_uri: redirect_uri.into() })
    }

    /// The initiate request of both documented modes.
    fn initiate(&self, redirect_uri: &str, pkce: &Pkce, state: &State) -> crate::api::builder::InitiateOauth<'a> {
        self.client
            .api()
            .initiate_oauth()
            .response_type(OAuthResponseType::Code)
            .client_id(self.client.config().oauth_client_id.clone())
            .redirect_uri(redirect_uri)
            .state(state.as_str())
            .code_challenge(pkce.challenge())
            .code_challenge_method(OAuthCodeChallengeMethod::S256)
    }

    /// Hosted mode (documented): initiate without `mode`, and return the hosted login page to send the browser to.
    /// The server answers with a redirect or with JSON carrying the URL; both are read, neither is followed.
    ///
    /// ```no_run
    /// # async fn demo(client: baanx::Client, callback_url: &str) -> Result<(), baanx::Error> {
    /// let flow = client.oauth().start_hosted("https://app.example.com/callback").await?;
    /// println!("open {}", flow.url());
    /// // ... the browser comes back to `callback_url` ...
    /// let session = client.oauth().exchange(flow.complete(callback_url)?).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_hosted(&self, redirect_uri: &str) -> Result<HostedAuthorization, Error> {
        let (pkce, state) = (Pkce::new(), State::new());
        let sent = self.initiate(redirect_uri, &pkce, &state).send().await;
        let context = || ErrorContext::operation("initiate_oauth");
        let location = match sent {
            Ok(answer) => {
                let url = answer.into_inner().url.filter(|u| !u.is_empty());
                url.ok_or_else(|| Error::Decode {
                    path: None,
                    message: "the hosted initiate answer has no url".into(),
                    body_snippet: String::new(),
                    context: context(),
                })?
            }
            Err(progenitor_client::Error::UnexpectedResponse(response)) if response.status().is_redirection() => {
                let location = response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
                let location = location.ok_or_else(|| Error::Decode {
                    path: None,
                    message: format!("HTTP {} without a Location header", response.status().as_u16()),
                    body_snippet: String::new(),
                    context: context(),
                })?;
                // A relative Location is relative to the API.
                let base =
                    Url::parse(&format!("{}/", self.client.config().base_url)).map_err(|e| invalid(e, context()))?;
                base.join(location).map_err(|e| invalid(e, context()))?.to_string()
            }
            Err(e) => return Err(Error::from(e).at("initiate_oauth")),
        };
        let url = Url::parse(&location).map_err(|e| invalid(e, context()))?;
        Ok(HostedAuthorization { url, pkce, state, redirect_uri: redirect_uri.into(), endpoint: TokenEndpoint::OAuth })
    }

    /// Hosted mode (`oauth2` page, as production apps use it): the URL to open in the browser, built without a
    /// request. `scopes` default to [`DEFAULT_HOSTED_SCOPES`] when empty.
    ///
    /// ```
    /// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = baanx::Client::builder().client_key("pk_test_123").build()?;
    /// let flow = client.oauth().hosted_page("myapp://callback", &[]);
    /// assert!(flow.url().as_str().starts_with("https://dev.api.baanx.com/v1/auth/oauth2/authorize?"));
    /// assert!(flow.url().query().unwrap().contains("code_challenge_method=S256"));
    /// # Ok(()) }
    /// ```
    pub fn hosted_page(&self, redirect_uri: &str, scopes: &[&str]) -> HostedAuthorization {
        let (pkce, state) = (Pkce::new(), State::new());
        let scopes = if scopes.is_empty() { DEFAULT_HOSTED_SCOPES } else { scopes };
        let base = &self.client.config().base_url;
        let mut url = Url::parse(&format!("{base}/v1/auth/oauth2/authorize")).expect("the base URL was validated");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client.config().oauth_client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", state.as_str())
            .append_pair("code_challenge", pkce.challenge())
            .append_pair("code_challenge_method", pkce.method());
        HostedAuthorization { url, pkce, state, redirect_uri: redirect_uri.into(), endpoint: TokenEndpoint::OAuth2 }
    }

    /// Exchanges an authorization code for tokens, installs them in the client's session (saved to its store
    /// first) and returns the session. Sends the secret key when the client has one.
    ///
    /// ```no_run
    /// # async fn demo(
    /// #     client: baanx::Client,
    /// #     flow: baanx::auth::HostedAuthorization,
    /// #     callback_url: &str,
    /// # ) -> Result<(), baanx::Error> {
    /// let code = flow.complete(callback_url)?;
    /// let session = client.oauth().exchange(code).await?;
    /// assert!(session.is_signed_in()); // and `client` now acts for the user
    /// # Ok(()) }
    /// ```
    pub async fn exchange(&self, code: AuthorizationCode) -> Result<Session, Error> {
        let tokens = self.exchange_for_tokens(code).await?;
        self.client.session().install(tokens).await?;
        Ok(self.client.session().clone())
    }

    /// Exchanges an authorization code for tokens without installing them (a backend handing tokens to an app).
    ///
    /// ```no_run
    /// # async fn demo(backend: baanx::Client, code: baanx::auth::AuthorizationCode) -> Result<(), baanx::Error> {
    /// // On the backend (it holds the secret key), with the code the app posted:
    /// let tokens = backend.detached().oauth().exchange_for_tokens(code).await?;
    /// let reply = serde_json::to_string(&tokens).unwrap(); // back to the app, over TLS
    /// # Ok(()) }
    /// ```
    pub async fn exchange_for_tokens(&self, code: AuthorizationCode) -> Result<TokenSet, Error> {
        let api = self.client.api();
        let received = std::time::SystemTime::now();
        let (answer, kind, operation) = match code.endpoint {
            TokenEndpoint::OAuth => {
                let body = OAuthTokenRequest {
                    grant_type: OAuthGrantType::AuthorizationCode,
                    code: Some(code.code.expose_secret().to_string()),
                    redirect_uri: Some(code.redirect_uri.clone()),
                    code_verifier: Some(code.verifier.expose_secret().to_string()),
                    refresh_token: None,
                    extra: Default::default(),
                };
                (api.exchange_oauth_token().body(body).call().await?, TokenKind::OAuth, "exchange_oauth_token")
            }
            TokenEndpoint::OAuth2 => {
                let body = ExchangeOAuth2TokenRequest {
                    grant_type: OAuthGrantType::AuthorizationCode,
                    code: Some(code.code.expose_secret().to_string()),
                    code_verifier: Some(code.verifier.expose_secret().to_string()),
                    refresh_token: None,
                    extra: Default::default(),
                };
                (api.exchange_oauth2_token().body(body).call().await?, TokenKind::HostedOAuth, "exchange_oauth2_token")
            }
        };
        TokenSet::from_response(&answer, kind, self.client.region(), received, None, operation)
    }

    /// Revokes the OAuth grant on the server (every token of this client for the user), then forgets the session.
    ///
    /// ```no_run
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// client.oauth().revoke().await?;
    /// assert!(!client.session().is_signed_in());
    /// # Ok(()) }
    /// ```
    pub async fn revoke(&self) -> Result<(), Error> {
        self.client.api().revoke_oauth().call().await?;
        self.client.session().clear().await
    }
}

fn invalid(e: impl fmt::Display, context: ErrorContext) -> Error {
    Error::Decode { path: None, message: format!("not a URL: {e}"), body_snippet: String::new(), context }
}

/// API mode, after initiate: holds the session token (JWT, 10 minutes), the PKCE verifier and the state.
///
/// ```no_run
/// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
/// let flow = client.oauth().start_api_mode("https://app.example.com/callback").await?;
/// // ... client.login(...) signs the user in on your own screen ...
/// let code = flow.authorize(&client).await?;
/// client.oauth().exchange(code).await?;
/// # Ok(()) }
/// ```
pub struct ApiModeAuthorization {
    initiate_token: SecretString,
    pkce: Pkce,
    state: State,
    redirect_uri: String,
}

impl fmt::Debug for ApiModeAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiModeAuthorization")
            .field("redirect_uri", &self.redirect_uri)
            .field("pkce", &self.pkce)
            .finish_non_exhaustive()
    }
}

impl ApiModeAuthorization {
    /// API mode, step 3: authorize with the initiate token, acting as `client`'s signed-in user (the login access
    /// token as bearer). Checks that the answer's `state` is this flow's.
    ///
    /// ```no_run
    /// use baanx::auth::LoginOutcome;
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let flow = client.oauth().start_api_mode("https://app.example.com/callback").await?;
    /// if let LoginOutcome::Authenticated(_) = client.login("user@example.com", "secret").await? {
    ///     let code = flow.authorize(&client).await?; // checks the state
    ///     client.oauth().exchange(code).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn authorize(self, client: &Client) -> Result<AuthorizationCode, Error> {
        let body =
            AuthorizeOAuthRequest { token: self.initiate_token.expose_secret().to_string(), extra: Default::default() };
        let answer = client.api().authorize_oauth().body(body).call().await?;
        let from_url = answer.url.as_deref().and_then(|u| Url::parse(u).ok());
        let query = |name: &str| {
            from_url.as_ref().and_then(|u| u.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()))
        };
        let state = answer.state.clone().or_else(|| query("state")).ok_or(Error::StateMismatch)?;
        if !self.state.matches(&state) {
            return Err(Error::StateMismatch);
        }
        let code =
            answer.code.clone().or_else(|| query("code")).filter(|c| !c.is_empty()).ok_or_else(|| Error::Decode {
                path: None,
                message: "the authorize answer has no code".into(),
                body_snippet: String::new(),
                context: ErrorContext::operation("authorize_oauth"),
            })?;
        Ok(AuthorizationCode {
            code: code.into(),
            verifier: self.pkce.verifier().clone(),
            redirect_uri: self.redirect_uri,
            endpoint: TokenEndpoint::OAuth,
            tenant_hint: None,
        })
    }
}

/// A hosted flow waiting for its callback: the URL to open, and the PKCE verifier and state to check it with.
///
/// Serializable, so a web backend can keep it in the user's (server-side) session between the redirect and the
/// callback. Its serialized form holds the PKCE verifier: keep it server-side.
///
/// ```
/// use baanx::auth::HostedAuthorization;
/// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
///
/// let flow = client.oauth().hosted_page("https://app.example.com/callback", &[]);
/// // Kept server-side between the redirect and the callback.
/// let kept = serde_json::to_string(&flow).unwrap();
/// let back: HostedAuthorization = serde_json::from_str(&kept).unwrap();
/// assert_eq!(back.url(), flow.url());
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct HostedAuthorization {
    url: Url,
    #[serde(with = "serde_pkce")]
    pkce: Pkce,
    state: State,
    redirect_uri: String,
    endpoint: TokenEndpoint,
}

impl fmt::Debug for HostedAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostedAuthorization")
            .field("url", &self.url.as_str())
            .field("redirect_uri", &self.redirect_uri)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl HostedAuthorization {
    /// The page to open in the user's browser.
    ///
    /// ```
    /// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
    /// let flow = client.oauth().hosted_page("myapp://callback", &[]);
    /// let url = flow.url();
    /// assert_eq!(url.path(), "/v1/auth/oauth2/authorize");
    /// assert!(url.query_pairs().any(|(k, v)| k == "redirect_uri" && v == "myapp://callback"));
    /// ```
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Adds `prompt=<value>` to the page's URL (replacing an earlier one): one production app sends
    /// `prompt=consent` to have the consent screen shown every time. The value is passed through as given; the docs
    /// list none.
    ///
    /// ```
    /// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
    /// let flow = client.oauth().hosted_page("myapp://callback", &[]).prompt("consent");
    /// assert!(flow.url().query_pairs().any(|(k, v)| k == "prompt" && v == "consent"));
    /// ```
    pub fn prompt(mut self, value: &str) -> Self {
        let kept: Vec<(String, String)> = self
            .url
            .query_pairs()
            .filter(|(k, _)| k != "prompt")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        self.url.query_pairs_mut().clear().extend_pairs(kept).append_pair("prompt", value);
        self
    }

    /// The token endpoint this flow's code goes to.
    ///
    /// ```
    /// use baanx::auth::TokenEndpoint;
    /// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
    ///
    /// let flow = client.oauth().hosted_page("myapp://callback", &[]);
    /// assert_eq!(flow.endpoint(), TokenEndpoint::OAuth2); // `POST /v1/auth/oauth2/token`
    /// ```
    pub fn endpoint(&self) -> TokenEndpoint {
        self.endpoint
    }

    /// Reads the callback URL the browser came back to: an error the server sent, or the code, after checking that
    /// the `state` is this flow's ([`Error::StateMismatch`] otherwise).
    ///
    /// ```
    /// use baanx::Error;
    /// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
    ///
    /// let flow = client.oauth().hosted_page("myapp://callback", &[]);
    /// let state = flow.url().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    /// let code = flow.complete(&format!("myapp://callback?code=abc&state={state}")).unwrap();
    /// assert_eq!(code.redirect_uri(), "myapp://callback");
    /// assert!(matches!(flow.complete("myapp://callback?code=abc&state=forged"), Err(Error::StateMismatch)));
    /// ```
    pub fn complete(&self, callback_url: &str) -> Result<AuthorizationCode, Error> {
        let callback = Callback::parse(callback_url)?;
        if let Some(error) = callback.error {
            return Err(Error::Api {
                status: 400,
                message: callback.error_description.or_else(|| Some(format!("authorization failed: {error}"))),
                code: Some(error),
                details: None,
                context: ErrorContext::operation("oauth2_authorize"),
            });
        }
        match &callback.state {
            Some(state) if self.state.matches(state) => {}
            _ => return Err(Error::StateMismatch),
        }
        let code = callback.code.ok_or_else(|| Error::InvalidRequest {
            message: "the callback URL has no code".into(),
            context: ErrorContext::default(),
        })?;
        Ok(AuthorizationCode {
            code,
            verifier: self.pkce.verifier().clone(),
            redirect_uri: self.redirect_uri.clone(),
            endpoint: self.endpoint,
            tenant_hint: callback.tenant_hint,
        })
    }
}

/// The query of an OAuth callback URL.
///
/// ```
/// use baanx::auth::Callback;
///
/// let denied = Callback::parse("myapp://callback?error=access_denied&state=s1").unwrap();
/// assert_eq!(denied.error.as_deref(), Some("access_denied"));
/// assert!(denied.code.is_none());
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Callback {
    /// The authorization code (secret until exchanged).
    pub code: Option<SecretString>,
    /// The state, to compare with the flow's.
    pub state: Option<String>,
    /// An OAuth error code (`access_denied`, ...).
    pub error: Option<String>,
    /// The error's description.
    pub error_description: Option<String>,
    /// A tenant or region hint (`tenant`, `region` or `app_id` parameter), when present.
    pub tenant_hint: Option<String>,
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Callback")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .field("tenant_hint", &self.tenant_hint)
            .finish_non_exhaustive()
    }
}

impl Callback {
    /// Parses `redirect_uri?code=…&state=…` (custom schemes such as `myapp://callback?…` too).
    ///
    /// ```
    /// use baanx::auth::Callback;
    /// use secrecy::ExposeSecret;
    ///
    /// let c = Callback::parse("https://app.example.com/cb?state=s1&code=abc&tenant=us").unwrap();
    /// assert_eq!(c.code.unwrap().expose_secret(), "abc");
    /// assert_eq!(c.state.as_deref(), Some("s1"));
    /// assert_eq!(c.tenant_hint.as_deref(), Some("us"));
    /// ```
    pub fn parse(url: &str) -> Result<Callback, Error> {
        let parsed = Url::parse(url).map_err(|e| Error::InvalidRequest {
            message: format!("the callback is not a URL: {e}"),
            context: ErrorContext::default(),
        })?;
        let mut callback = Callback::default();
        for (key, value) in parsed.query_pairs() {
            let value = value.into_owned();
            match key.as_ref() {
                "code" => callback.code = Some(value.into()),
                "state" => callback.state = Some(value),
                "error" => callback.error = Some(value),
                "error_description" => callback.error_description = Some(value),
                "tenant" | "region" | "app_id" => callback.tenant_hint = Some(value),
                _ => {}
            }
        }
        Ok(callback)
    }
}

/// An authorization code with what its exchange needs: the PKCE verifier and the redirect URI.
///
/// Serializable so an app can hand it to a backend that holds the secret key (over TLS: it is a credential for
/// about 10 minutes). `Debug` shows neither the code nor the verifier.
///
/// ```
/// use baanx::auth::AuthorizationCode;
/// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
/// # let flow = client.oauth().hosted_page("myapp://callback", &[]);
/// # let state = flow.url().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
///
/// let code = flow.complete(&format!("myapp://callback?code=abc&state={state}")).unwrap();
/// // The app posts it to the backend, which exchanges it with the secret key.
/// let posted = serde_json::to_string(&code).unwrap();
/// let received: AuthorizationCode = serde_json::from_str(&posted).unwrap();
/// assert_eq!(received.redirect_uri(), "myapp://callback");
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct AuthorizationCode {
    #[serde(with = "serde_secret")]
    code: SecretString,
    #[serde(with = "serde_secret")]
    verifier: SecretString,
    redirect_uri: String,
    endpoint: TokenEndpoint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant_hint: Option<String>,
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("redirect_uri", &self.redirect_uri)
            .field("endpoint", &self.endpoint)
            .field("tenant_hint", &self.tenant_hint)
            .finish_non_exhaustive()
    }
}

impl AuthorizationCode {
    /// The tenant or region hint the callback carried, if any.
    ///
    /// ```
    /// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
    /// # let flow = client.oauth().hosted_page("myapp://callback", &[]);
    /// # let state = flow.url().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    /// let code = flow.complete(&format!("myapp://callback?code=abc&state={state}&tenant=us")).unwrap();
    /// assert_eq!(code.tenant_hint(), Some("us"));
    /// ```
    pub fn tenant_hint(&self) -> Option<&str> {
        self.tenant_hint.as_deref()
    }

    /// The redirect URI of the flow (the exchange must repeat it).
    ///
    /// ```
    /// # let client = baanx::Client::builder().client_key("pk_test_123").build().unwrap();
    /// # let flow = client.oauth().hosted_page("myapp://callback", &[]);
    /// # let state = flow.url().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    /// let code = flow.complete(&format!("myapp://callback?code=abc&state={state}")).unwrap();
    /// assert_eq!(code.redirect_uri(), "myapp://callback"); // the exchange sends it again
    /// ```
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }
}

mod serde_secret {
    use secrecy::{ExposeSecret, SecretString};

    pub(super) fn serialize<S: serde::Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(secret.expose_secret())
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        <String as serde::Deserialize>::deserialize(d).map(Into::into)
    }
}
