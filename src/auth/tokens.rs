//! [`TokenSet`]: the credentials of one session, with their expiry computed at receipt.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cardsdk_runtime::secret::IntoSecret;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::api::types::OAuthTokenResponse;
use crate::client::Region;
use crate::error::{Error, ErrorContext};

/// Lifetime of a password-login access token (the docs: 6 hours); login answers carry no `expires_in`.
///
/// ```
/// use std::time::Duration;
/// use baanx::auth::PASSWORD_SESSION_LIFETIME;
///
/// assert_eq!(PASSWORD_SESSION_LIFETIME, Duration::from_secs(6 * 60 * 60));
/// ```
pub const PASSWORD_SESSION_LIFETIME: Duration = Duration::from_secs(6 * 60 * 60);
/// Access-token lifetime assumed when a token answer has no `expires_in` (the documented 6 hours).
const DEFAULT_ACCESS_LIFETIME: Duration = PASSWORD_SESSION_LIFETIME;

/// How a session was obtained, which says how it is renewed.
///
/// ```
/// use std::time::SystemTime;
/// use baanx::auth::{TokenKind, TokenSet};
/// use baanx::Region;
///
/// let tokens = TokenSet::new("access", SystemTime::now(), Region::International);
/// assert_eq!(tokens.kind(), TokenKind::Password);
/// assert_eq!(tokens.with_refresh_token("refresh", None).kind(), TokenKind::OAuth);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TokenKind {
    /// Password login (`POST /v1/auth/login`): no refresh token; the session ends after 6 hours.
    Password,
    /// OAuth, documented flow: renewed at `POST /v1/auth/oauth/token`.
    OAuth,
    /// OAuth, hosted `oauth2` page: renewed at `POST /v1/auth/oauth2/token`.
    HostedOAuth,
}

/// The tokens of one session.
///
/// Expiry instants are computed when the tokens are received (the API sends lifetimes in seconds). `Debug` never
/// shows a token; [`TokenSet::access_token`] and [`TokenSet::refresh_token`] hand them out as
/// [`SecretString`]s. Serde (for token stores) writes the tokens in clear: store the result like a password.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use baanx::auth::TokenSet;
/// use baanx::Region;
///
/// let now = SystemTime::now();
/// let tokens = TokenSet::new("access-123", now + Duration::from_secs(3600), Region::International)
///     .with_refresh_token("refresh-456", Some(now + Duration::from_secs(86400)));
/// assert!(!tokens.is_expired(now));
/// assert!(!format!("{tokens:?}").contains("access-123"));
/// ```
#[derive(Clone)]
pub struct TokenSet {
    access_token: SecretString,
    refresh_token: Option<SecretString>,
    issued_at: SystemTime,
    expires_at: SystemTime,
    refresh_expires_at: Option<SystemTime>,
    region: Region,
    tenant: Option<String>,
    kind: TokenKind,
    scope: Option<String>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &unix_millis(self.expires_at))
            .field("refresh_expires_at", &self.refresh_expires_at.map(unix_millis))
            .field("region", &self.region)
            .field("tenant", &self.tenant)
            .field("kind", &self.kind)
            .finish()
    }
}

impl TokenSet {
    /// An access token valid until `expires_at`, for `region` (e.g. tokens restored from the app's own storage).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use baanx::auth::TokenSet;
    /// use baanx::Region;
    ///
    /// let tokens = TokenSet::new("US_3f2a", SystemTime::now() + Duration::from_secs(3600), Region::Us);
    /// assert_eq!(tokens.region(), Region::Us);
    /// assert!(tokens.refresh_token().is_none());
    /// ```
    pub fn new(access_token: impl IntoSecret, expires_at: SystemTime, region: Region) -> Self {
        let access_token = access_token.into_secret();
        let tenant = jwt_claim(access_token.expose_secret(), "app_id");
        TokenSet {
            access_token,
            refresh_token: None,
            issued_at: SystemTime::now().min(expires_at),
            expires_at,
            refresh_expires_at: None,
            region,
            tenant,
            kind: TokenKind::Password,
            scope: None,
        }
    }

    /// Adds an OAuth refresh token (and makes this an [`TokenKind::OAuth`] set).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use baanx::auth::{TokenKind, TokenSet};
    /// use baanx::Region;
    ///
    /// let in_an_hour = SystemTime::now() + Duration::from_secs(3600);
    /// let tokens = TokenSet::new("access", in_an_hour, Region::International).with_refresh_token("refresh", None);
    /// assert_eq!(tokens.kind(), TokenKind::OAuth);
    /// ```
    pub fn with_refresh_token(mut self, token: impl IntoSecret, expires_at: Option<SystemTime>) -> Self {
        self.refresh_token = Some(token.into_secret());
        self.refresh_expires_at = expires_at;
        if self.kind == TokenKind::Password {
            self.kind = TokenKind::OAuth;
        }
        self
    }

    /// Sets how the session renews.
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// use baanx::auth::{TokenKind, TokenSet};
    /// use baanx::Region;
    ///
    /// // Tokens of the hosted `oauth2` page renew at `/v1/auth/oauth2/token`.
    /// let tokens = TokenSet::new("access", SystemTime::now(), Region::International)
    ///     .with_refresh_token("refresh", None)
    ///     .with_kind(TokenKind::HostedOAuth);
    /// assert_eq!(tokens.kind(), TokenKind::HostedOAuth);
    /// ```
    pub fn with_kind(mut self, kind: TokenKind) -> Self {
        self.kind = kind;
        self
    }

    /// A password-login session: 6 hours, no refresh token.
    pub(crate) fn password(access_token: String, region: Region, now: SystemTime) -> Self {
        let mut tokens = TokenSet::new(access_token, now + PASSWORD_SESSION_LIFETIME, region);
        tokens.issued_at = now;
        tokens
    }

    /// The tokens of a token-endpoint answer, received at `now`. `previous_refresh` is kept when a refresh answer
    /// carries no new refresh token.
    pub(crate) fn from_response(
        response: &OAuthTokenResponse,
        kind: TokenKind,
        region: Region,
        now: SystemTime,
        previous: Option<&TokenSet>,
        operation: &'static str,
    ) -> Result<Self, Error> {
        let access_token = response.access_token.clone().filter(|t| !t.is_empty()).ok_or_else(|| Error::Decode {
            path: None,
            message: "the token answer has no access_token".into(),
            body_snippet: String::new(),
            context: ErrorContext::operation(operation),
        })?;
        let lifetime = seconds(response.expires_in).unwrap_or(DEFAULT_ACCESS_LIFETIME);
        let tenant = jwt_claim(&access_token, "app_id");
        let (refresh_token, refresh_expires_at) = match response.refresh_token.clone().filter(|t| !t.is_empty()) {
            Some(token) => {
                (Some(SecretString::from(token)), seconds(response.refresh_token_expires_in).map(|d| now + d))
            }
            // A refresh answer without a new refresh token: the old one stays (the API normally rotates it).
            None => match previous {
                Some(p) => (p.refresh_token.clone(), p.refresh_expires_at),
                None => (None, None),
            },
        };
        Ok(TokenSet {
            access_token: access_token.into_secret(),
            refresh_token,
            issued_at: now,
            expires_at: now + lifetime,
            refresh_expires_at,
            region,
            tenant,
            kind,
            scope: response.scope.clone(),
        })
    }

    /// The access token.
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// use baanx::auth::{ExposeSecret, TokenSet};
    /// use baanx::Region;
    ///
    /// let tokens = TokenSet::new("access-123", SystemTime::now(), Region::International);
    /// let header = format!("Bearer {}", tokens.access_token().expose_secret());
    /// assert_eq!(header, "Bearer access-123");
    /// ```
    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }

    /// The refresh token (OAuth sessions).
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// use baanx::auth::{ExposeSecret, TokenSet};
    /// use baanx::Region;
    ///
    /// let password = TokenSet::new("access", SystemTime::now(), Region::International);
    /// assert!(password.refresh_token().is_none());
    /// let oauth = password.with_refresh_token("refresh-456", None);
    /// assert_eq!(oauth.refresh_token().unwrap().expose_secret(), "refresh-456");
    /// ```
    pub fn refresh_token(&self) -> Option<&SecretString> {
        self.refresh_token.as_ref()
    }

    /// When the access token was received.
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use baanx::auth::TokenSet;
    /// # use baanx::Region;
    /// let tokens = TokenSet::new("access", SystemTime::now() + Duration::from_secs(3600), Region::International);
    /// let lifetime = tokens.expires_at().duration_since(tokens.issued_at()).unwrap();
    /// assert!(lifetime <= Duration::from_secs(3600));
    /// ```
    pub fn issued_at(&self) -> SystemTime {
        self.issued_at
    }

    /// When the access token expires.
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use baanx::auth::TokenSet;
    /// # use baanx::Region;
    /// let expires = SystemTime::now() + Duration::from_secs(3600);
    /// let tokens = TokenSet::new("access", expires, Region::International);
    /// assert_eq!(tokens.expires_at(), expires);
    /// ```
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// When the refresh token expires, when the server said.
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use baanx::auth::TokenSet;
    /// # use baanx::Region;
    /// let in_six_months = SystemTime::now() + Duration::from_secs(184 * 24 * 60 * 60);
    /// let tokens = TokenSet::new("access", SystemTime::now(), Region::International)
    ///     .with_refresh_token("refresh", Some(in_six_months));
    /// assert_eq!(tokens.refresh_expires_at(), Some(in_six_months));
    /// ```
    pub fn refresh_expires_at(&self) -> Option<SystemTime> {
        self.refresh_expires_at
    }

    /// The region the session belongs to.
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use baanx::auth::TokenSet;
    /// # use baanx::Region;
    /// let tokens = TokenSet::new("US_access", SystemTime::now(), Region::Us);
    /// // A US session only works with a client configured for `Region::Us`.
    /// assert_eq!(tokens.region(), Region::Us);
    /// ```
    pub fn region(&self) -> Region {
        self.region
    }

    /// The tenant (`app_id` claim) of a JWT access token.
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use baanx::auth::TokenSet;
    /// # use baanx::Region;
    /// // A JWT whose payload is {"app_id":"baanx-us"} (the signature is not checked: a hint, not trust).
    /// let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJhcHBfaWQiOiJiYWFueC11cyJ9.sig";
    /// assert_eq!(TokenSet::new(jwt, SystemTime::now(), Region::Us).tenant(), Some("baanx-us"));
    /// assert_eq!(TokenSet::new("US_opaque", SystemTime::now(), Region::Us).tenant(), None);
    /// ```
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// How the session was obtained.
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use baanx::auth::TokenSet;
    /// # use baanx::Region;
    /// # use baanx::auth::TokenKind;
    /// let tokens = TokenSet::new("access", SystemTime::now(), Region::International);
    /// // No refresh token: the session ends with its access token.
    /// assert_eq!(tokens.kind(), TokenKind::Password);
    /// ```
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The granted scopes, when the server said.
    ///
    /// ```
    /// use baanx::auth::TokenSet;
    ///
    /// // Tokens restored from a token store.
    /// let stored = r#"{"version":1,"access_token":"a","issued_at_ms":0,"expires_at_ms":0,
    ///     "region":"International","kind":"HostedOAuth","scope":"openid offline_access"}"#;
    /// let tokens: TokenSet = serde_json::from_str(stored).unwrap();
    /// assert!(tokens.scope().unwrap().split(' ').any(|s| s == "offline_access"));
    /// ```
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// Whether the access token has expired at `now`.
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use baanx::auth::TokenSet;
    /// # use baanx::Region;
    /// let now = SystemTime::now();
    /// let tokens = TokenSet::new("access", now + Duration::from_secs(60), Region::International);
    /// assert!(!tokens.is_expired(now));
    /// assert!(tokens.is_expired(now + Duration::from_secs(60)));
    /// ```
    pub fn is_expired(&self, now: SystemTime) -> bool {
        now >= self.expires_at
    }

    /// Whether the access token should be renewed at `now`: within `ahead` of expiry, but never earlier than
    /// half-way through its lifetime (so short-lived tokens are not renewed on every call).
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use baanx::auth::TokenSet;
    /// # use baanx::Region;
    /// let now = SystemTime::now();
    /// let tokens = TokenSet::new("access", now + Duration::from_secs(3600), Region::International);
    /// let ahead = Duration::from_secs(5 * 60);
    /// assert!(!tokens.needs_refresh(now, ahead));
    /// assert!(tokens.needs_refresh(now + Duration::from_secs(3600 - 5 * 60), ahead));
    /// ```
    pub fn needs_refresh(&self, now: SystemTime, ahead: Duration) -> bool {
        let lifetime = self.expires_at.duration_since(self.issued_at).unwrap_or_default();
        let margin = ahead.min(lifetime / 2);
        now + margin >= self.expires_at
    }
}

fn seconds(value: Option<i64>) -> Option<Duration> {
    value.filter(|s| *s > 0).map(|s| Duration::from_secs(s as u64))
}

fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn from_unix_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// A claim of a JWT's payload, read without verifying the signature (only used as a hint, never for trust).
pub(crate) fn jwt_claim(token: &str, claim: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match &claims[claim] {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The stored form: tokens in clear, instants as Unix milliseconds.
#[derive(Serialize, Deserialize)]
struct Stored {
    version: u32,
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    issued_at_ms: u64,
    expires_at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_expires_at_ms: Option<u64>,
    region: Region,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    kind: TokenKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
}

impl Serialize for TokenSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Stored {
            version: 1,
            access_token: self.access_token.expose_secret().to_string(),
            refresh_token: self.refresh_token.as_ref().map(|t| t.expose_secret().to_string()),
            issued_at_ms: unix_millis(self.issued_at),
            expires_at_ms: unix_millis(self.expires_at),
            refresh_expires_at_ms: self.refresh_expires_at.map(unix_millis),
            region: self.region,
            tenant: self.tenant.clone(),
            kind: self.kind,
            scope: self.scope.clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TokenSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = Stored::deserialize(deserializer)?;
        if s.version != 1 {
            return Err(serde::de::Error::custom(format!("unknown token set version {}", s.version)));
        }
        Ok(TokenSet {
            access_token: s.access_token.into_secret(),
            refresh_token: s.refresh_token.map(Into::into),
            issued_at: from_unix_millis(s.issued_at_ms),
            expires_at: from_unix_millis(s.expires_at_ms),
            refresh_expires_at: s.refresh_expires_at_ms.map(from_unix_millis),
            region: s.region,
            tenant: s.tenant,
            kind: s.kind,
            scope: s.scope,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(json: serde_json::Value) -> OAuthTokenResponse {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn expiry_is_computed_at_receipt() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let r = response(serde_json::json!({"access_token": "a", "expires_in": 21600, "refresh_token": "r",
            "refresh_token_expires_in": 15897600}));
        let t = TokenSet::from_response(&r, TokenKind::OAuth, Region::Us, now, None, "exchange_oauth_token").unwrap();
        assert_eq!(t.expires_at(), now + Duration::from_secs(21600));
        assert_eq!(t.refresh_expires_at(), Some(now + Duration::from_secs(15897600)));
        assert_eq!(t.region(), Region::Us);
        assert!(!t.needs_refresh(now, Duration::from_secs(300)));
        assert!(t.needs_refresh(now + Duration::from_secs(21600 - 299), Duration::from_secs(300)));
        assert!(t.is_expired(now + Duration::from_secs(21600)));
    }

    #[test]
    fn short_lifetimes_refresh_at_half_life() {
        let now = SystemTime::now();
        let r = response(serde_json::json!({"access_token": "a", "expires_in": 10, "refresh_token": "r"}));
        let t = TokenSet::from_response(&r, TokenKind::OAuth, Region::International, now, None, "x").unwrap();
        assert!(!t.needs_refresh(now + Duration::from_secs(4), Duration::from_secs(300)));
        assert!(t.needs_refresh(now + Duration::from_secs(5), Duration::from_secs(300)));
    }

    #[test]
    fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
        let now = SystemTime::now();
        let first = TokenSet::new("a", now, Region::International).with_refresh_token("r1", None);
        let r = response(serde_json::json!({"access_token": "a2", "expires_in": 60}));
        let t = TokenSet::from_response(&r, TokenKind::OAuth, Region::International, now, Some(&first), "x").unwrap();
        assert_eq!(t.refresh_token().unwrap().expose_secret(), "r1");
        let missing = response(serde_json::json!({"expires_in": 60}));
        assert!(TokenSet::from_response(&missing, TokenKind::OAuth, Region::International, now, None, "x").is_err());
    }

    #[test]
    fn tenant_comes_from_the_jwt_app_id() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"u1","app_id":"baanx-us"}"#);
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig");
        let t = TokenSet::new(jwt, SystemTime::now(), Region::Us);
        assert_eq!(t.tenant(), Some("baanx-us"));
        assert_eq!(TokenSet::new("US_opaque", SystemTime::now(), Region::Us).tenant(), None);
    }

    #[test]
    fn stored_form_round_trips() {
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let t = TokenSet::new("a", now + Duration::from_secs(60), Region::Us)
            .with_refresh_token("r", Some(now + Duration::from_secs(600)));
        let json = serde_json::to_string(&t).unwrap();
        let back: TokenSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back.access_token().expose_secret(), "a");
        assert_eq!(back.refresh_token().unwrap().expose_secret(), "r");
        assert_eq!(back.expires_at(), t.expires_at());
        assert_eq!(back.kind(), TokenKind::OAuth);
        assert_eq!(back.region(), Region::Us);
    }
}
