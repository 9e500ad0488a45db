//! One error type for every call: [`Error`], with the operation and request id in its [`ErrorContext`].
//!
//! Calls made with [`Call::call`](crate::Call::call) return it directly; the generated `send()` returns
//! progenitor's error, which converts with `?` or [`Error::from`] (the operation id travels with the response).
//!
//! - Baanx's own statuses: 498 [`Error::InvalidClientKey`], 499 [`Error::MissingClientKey`].
//! - Every error answer keeps its HTTP status, whatever its body: the documented shapes (`{message}`,
//!   `{error, error_description, details}`, `{error, details[]}`), a top-level `error` object,
//!   `errorMessage`/`errorCode`/`detail`/`errors[]`/`data.message`, JSON nested in `message` at any depth, plain
//!   text, HTML, or nothing. The message and code come from the innermost error
//!   ([`cardsdk_runtime::error_body`]); the whole body, redacted, is [`Error::Api`]'s `details`.
//! - A success body that fits no lossless reading is [`Error::Decode`], naming the JSON path of the value.
//! - HTTP 200 with `success: false` is [`Error::Refused`].
//! - Errors never hold a secret: no token, key, password or OTP is ever put in one.
//!
//! ```
//! use baanx::Error;
//!
//! fn explain(err: &Error) -> &'static str {
//!     match err {
//!         Error::SessionExpired { .. } => "sign in again",
//!         Error::RateLimited { .. } => "slow down",
//!         Error::Api { status, .. } if *status >= 500 => "Baanx is having trouble",
//!         _ => "see the message",
//!     }
//! }
//! # let _ = explain;
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::api::types::ApiError;
use crate::client::Region;

/// Response header the hooks add to every response: the operation id, so that an error converted without
/// [`Call::call`](crate::Call::call) still knows where it happened.
pub(crate) const OPERATION_HEADER: &str = "x-baanx-operation";
/// Why a state-changing call is not retried (see [`crate::retry`]).
const NOT_RETRIED: &str = "this operation changes state or moves money; the client never repeats it automatically (check its effect before trying again)";

/// Response header the hooks add when the session behind a 401 could not be renewed.
pub(crate) const SESSION_HEADER: &str = "x-baanx-session";

pub use cardsdk_runtime::error_context::ErrorContext;

/// The contract's operation id equal to `id`, as the table's `&'static str`.
fn static_operation(id: &str) -> Option<&'static str> {
    crate::operation::Operation::find(id).map(|op| op.id)
}

fn or_default(message: &Option<String>, default: &'static str) -> String {
    message.clone().unwrap_or_else(|| default.to_string())
}

/// Everything that can go wrong talking to the Baanx API.
///
/// ```
/// use baanx::{Error, ErrorContext};
///
/// let err = Error::NotFound { message: None, context: ErrorContext::operation("get_card_status") };
/// assert_eq!(err.operation(), Some("get_card_status"));
/// assert!(!err.is_transient());
/// assert_eq!(err.to_string(), "not found: no such resource (operation get_card_status)");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 498: the client key is not valid (or belongs to the other environment).
    #[error("invalid client key{context}")]
    InvalidClientKey {
        /// Where.
        context: ErrorContext,
    },
    /// 499: no client key reached the server.
    #[error("missing client key{context}")]
    MissingClientKey {
        /// Where.
        context: ErrorContext,
    },
    /// 401: the credentials were refused (and could not be renewed).
    #[error("unauthorized: {}{context}", or_default(message, "not authenticated"))]
    Unauthorized {
        /// The server's message.
        message: Option<String>,
        /// Where.
        context: ErrorContext,
    },
    /// The session is over: its refresh token was refused, or a password session reached its end. Sign in again.
    #[error("session expired: {reason}{context}")]
    SessionExpired {
        /// What ended it.
        reason: String,
        /// Where.
        context: ErrorContext,
    },
    /// 403: authenticated, but not allowed.
    #[error("forbidden: {}{context}", or_default(message, "not authorized"))]
    Forbidden {
        /// The server's message.
        message: Option<String>,
        /// Where.
        context: ErrorContext,
    },
    /// 404 (on card status: the user has no card yet).
    #[error("not found: {}{context}", or_default(message, "no such resource"))]
    NotFound {
        /// The server's message.
        message: Option<String>,
        /// Where.
        context: ErrorContext,
    },
    /// 429: slow down; `retry_after` is the server's hint.
    #[error("rate limited{}{context}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// How long the server asked to wait (`Retry-After`, seconds or HTTP date).
        retry_after: Option<Duration>,
        /// The server's message.
        message: Option<String>,
        /// Where.
        context: ErrorContext,
    },
    /// Any other error status.
    #[error("{}{}{}{context}", or_default(message, "error"), code.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default(),
        if context.status.is_none() { format!(" (HTTP {status})") } else { String::new() })]
    Api {
        /// HTTP status.
        status: u16,
        /// Human-readable message.
        message: Option<String>,
        /// Machine-readable code (`invalid_grant`, `Validation error`, ...).
        code: Option<String>,
        /// Extra detail (a list of messages, an object).
        details: Option<serde_json::Value>,
        /// Where.
        context: ErrorContext,
    },
    /// HTTP 200 carrying `success: false`: the server refused the request.
    #[error("refused: {}{context}", or_default(message, "the server answered success: false"))]
    Refused {
        /// The server's message.
        message: Option<String>,
        /// Where.
        context: ErrorContext,
    },
    /// No answer in time.
    #[error("timed out{context}")]
    Timeout {
        /// Where.
        context: ErrorContext,
    },
    /// The connection failed or broke.
    #[error("transport error: {message}{context}")]
    Transport {
        /// What failed.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Arc<reqwest::Error>>,
        /// Where.
        context: ErrorContext,
    },
    /// A response body that fits no lossless reading of the contract (a value of the wrong kind: text in an
    /// integer field, a fraction where a whole number belongs, an amount a `Decimal` cannot hold exactly).
    #[error("cannot decode the response{}: {message}; body: {body_snippet}{context}", path.as_deref().map(|p| format!(" at {p}")).unwrap_or_default())]
    Decode {
        /// The JSON path of the offending value (`[3].mcc`), when known.
        path: Option<String>,
        /// What did not match.
        message: String,
        /// The start of the body, with secret-looking values removed.
        body_snippet: String,
        /// Where.
        context: ErrorContext,
    },
    /// The response body exceeded the client's size limit
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)); reading stopped there.
    #[error("the response body exceeds the limit of {limit} bytes{context}")]
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
        /// Where.
        context: ErrorContext,
    },
    /// The server answered with a redirect (3xx), or an answer came from another origin than the configured one.
    /// The client never follows redirects, so credentials never leave the configured origin; only the other
    /// origin is shown (the `Location` may carry codes or tokens).
    #[error(
        "redirected to {origin}: the client does not follow redirects (credentials stay with the configured origin){context}"
    )]
    Redirected {
        /// Scheme, host and port of where the server pointed.
        origin: String,
        /// Where.
        context: ErrorContext,
    },
    /// A request that cannot be sent as built (checked before sending).
    #[error("invalid request: {message}{context}")]
    InvalidRequest {
        /// What is wrong.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// The operation needs the secret key, and the client has none (checked before sending). Run this step on a
    /// backend configured with `secret_key`.
    #[error("this operation needs the secret key (x-secret-key), which this client does not have{context}")]
    MissingSecretKey {
        /// Where.
        context: ErrorContext,
    },
    /// The operation acts for a user, and the client has no session (checked before sending).
    #[error("this operation needs a signed-in user: log in first{context}")]
    SessionRequired {
        /// Where.
        context: ErrorContext,
    },
    /// The session belongs to one region's tenant and the client is configured for the other (checked before
    /// sending: the server would answer 401).
    #[error("the session belongs to the {session:?} region but the client is configured for {client:?}{context}")]
    RegionMismatch {
        /// The session's region.
        session: Region,
        /// The client's region.
        client: Region,
        /// Where.
        context: ErrorContext,
    },
    /// The session needed renewing before this call and the renewal failed (the token endpoint's error is the
    /// source). The session is not over: a later call tries again (after a back-off).
    #[error("the session could not be renewed{context}")]
    RenewalFailed {
        /// The token endpoint's error.
        #[source]
        source: Box<Error>,
        /// Where (this call's operation).
        context: ErrorContext,
    },
    /// The token store failed (the store's [`StoreError`](crate::store::StoreError) is the source, see
    /// [`Error::store_error`]: e.g. the database is down, or a stale writer's save was refused by the version
    /// check); the session's tokens are kept in memory and saved again before their next use.
    #[error("token store: {message}{context}")]
    TokenStore {
        /// What failed.
        message: String,
        /// The store's error, if the store itself failed.
        #[source]
        source: Option<std::sync::Arc<cardsdk_runtime::store::StoreError>>,
        /// Where.
        context: ErrorContext,
    },
    /// A list did not end within the page cap ([`PageOptions::max_pages`](crate::pagination::PageOptions)): the
    /// items read so far were yielded; the rest were not read.
    #[error("stopped after {pages} pages without reaching the end of the list{context}")]
    PageLimit {
        /// Pages read.
        pages: usize,
        /// Where.
        context: ErrorContext,
    },
    /// The OAuth callback's `state` does not match the one this flow sent: possible CSRF, or a stale or foreign
    /// callback. Start the flow again.
    #[error("OAuth state mismatch: the callback does not belong to this authorization")]
    StateMismatch,
}

/// The context of any variant that has one (by reference or by mutable reference, per the binding mode).
macro_rules! context_of {
    ($error:expr) => {
        match $error {
            Error::InvalidClientKey { context }
            | Error::MissingClientKey { context }
            | Error::Unauthorized { context, .. }
            | Error::SessionExpired { context, .. }
            | Error::Forbidden { context, .. }
            | Error::NotFound { context, .. }
            | Error::RateLimited { context, .. }
            | Error::Api { context, .. }
            | Error::Refused { context, .. }
            | Error::Timeout { context }
            | Error::Transport { context, .. }
            | Error::Decode { context, .. }
            | Error::ResponseTooLarge { context, .. }
            | Error::Redirected { context, .. }
            | Error::InvalidRequest { context, .. }
            | Error::MissingSecretKey { context }
            | Error::SessionRequired { context }
            | Error::RegionMismatch { context, .. }
            | Error::TokenStore { context, .. }
            | Error::RenewalFailed { context, .. }
            | Error::PageLimit { context, .. } => Some(context),
            Error::StateMismatch => None,
        }
    };
}

impl Error {
    /// Where the error happened, for the variants that know.
    ///
    /// ```
    /// use baanx::{Error, ErrorContext};
    ///
    /// let context = ErrorContext::default().with_status(429).with_request_id("req-7");
    /// let err = Error::RateLimited { retry_after: None, message: None, context };
    /// assert_eq!(err.context().and_then(|c| c.request_id.as_deref()), Some("req-7"));
    /// assert!(Error::StateMismatch.context().is_none());
    /// ```
    pub fn context(&self) -> Option<&ErrorContext> {
        context_of!(self)
    }

    fn context_mut(&mut self) -> Option<&mut ErrorContext> {
        context_of!(self)
    }

    /// The session store's error behind an [`Error::TokenStore`] (also through [`Error::RenewalFailed`]): whether
    /// the store is unavailable ([`StoreError::is_unavailable`](crate::store::StoreError::is_unavailable)), a
    /// save was refused by the version check ([`StoreError::is_conflict`](crate::store::StoreError::is_conflict)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use baanx::store::StoreError;
    /// use baanx::{Error, ErrorContext};
    ///
    /// let down = StoreError::unavailable("the database is down", None);
    /// let err = Error::TokenStore { message: "cannot load".into(), source: Some(Arc::new(down)), context: ErrorContext::default() };
    /// assert!(err.store_error().is_some_and(|e| e.is_unavailable()));
    /// assert!(Error::StateMismatch.store_error().is_none());
    /// ```
    pub fn store_error(&self) -> Option<&cardsdk_runtime::store::StoreError> {
        match self {
            Error::TokenStore { source, .. } => source.as_deref(),
            Error::RenewalFailed { source, .. } => source.store_error(),
            _ => None,
        }
    }

    /// The operation the error belongs to.
    ///
    /// ```
    /// use baanx::{Error, ErrorContext};
    ///
    /// let err = Error::Timeout { context: ErrorContext::operation("list_card_transactions") };
    /// assert_eq!(err.operation(), Some("list_card_transactions"));
    /// assert_eq!(Error::StateMismatch.operation(), None);
    /// ```
    pub fn operation(&self) -> Option<&'static str> {
        self.context().and_then(|c| c.operation)
    }

    /// The HTTP status of the answer, when one arrived.
    ///
    /// ```
    /// use baanx::{Error, ErrorContext};
    ///
    /// let api = Error::Api { status: 422, message: None, code: None, details: None, context: Default::default() };
    /// assert_eq!(api.status(), Some(422));
    /// let answered = ErrorContext::operation("freeze_card").with_status(403);
    /// assert_eq!(Error::Forbidden { message: None, context: answered }.status(), Some(403));
    /// let context = ErrorContext::operation("freeze_card");
    /// assert_eq!(Error::Timeout { context }.status(), None); // no answer arrived
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            other => other.context().and_then(|c| c.status),
        }
    }

    /// Names the operation, unless the error already names one.
    pub(crate) fn at(mut self, operation: &str) -> Self {
        if let Some(context) = self.context_mut()
            && context.operation.is_none()
        {
            context.operation = static_operation(operation);
        }
        self.explain_retry()
    }

    /// Whether the failure is of a kind a safe call would have been retried on.
    ///
    /// ```
    /// use baanx::{Error, ErrorContext};
    ///
    /// let ctx = || ErrorContext::operation("get_card_status");
    /// assert!(Error::Timeout { context: ctx() }.is_transient());
    /// assert!(Error::Api { status: 503, message: None, code: None, details: None, context: ctx() }.is_transient());
    /// assert!(!Error::NotFound { message: None, context: ctx() }.is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Transport { .. } | Error::RateLimited { .. } => true,
            Error::Api { status, .. } => matches!(status, 502..=504),
            Error::RenewalFailed { source, .. } => source.is_transient(),
            _ => false,
        }
    }

    /// On a transient failure of an operation that is not safe to repeat, says why it was not retried.
    fn explain_retry(mut self) -> Self {
        let unsafe_op = self.operation().and_then(crate::operation::Operation::find).is_some_and(|op| !op.idempotent);
        // A server error or a broken exchange leaves the effect of a state-changing call unknown.
        if unsafe_op
            && (self.is_transient() || self.status().is_some_and(|s| s >= 500))
            && let Some(context) = self.context_mut()
        {
            context.not_retried = Some(NOT_RETRIED);
        }
        self
    }

    /// The error for an answer with an error status; `body` is the canonical error body the hooks make of any
    /// answer (see [`cardsdk_runtime::error_body`]).
    pub(crate) fn from_status(status: u16, headers: &reqwest::header::HeaderMap, body: &ApiError) -> Self {
        let context = context_from(status, headers);
        let message = body.message.clone().or_else(|| body.error_description.clone()).or_else(|| body.error.clone());
        let code = body.code.as_ref().and_then(|c| c.scalar_text()).or_else(|| body.error.clone());
        let details = body.details.as_ref().map(|d| d.to_value());
        if status == 401 && headers.get(SESSION_HEADER).is_some_and(|v| v == "expired") {
            let reason = message.unwrap_or_else(|| "the server refused the session and it could not be renewed".into());
            return Error::SessionExpired { reason, context };
        }
        let error = match status {
            498 => Error::InvalidClientKey { context },
            499 => Error::MissingClientKey { context },
            401 => Error::Unauthorized { message, context },
            403 => Error::Forbidden { message, context },
            404 => Error::NotFound { message, context },
            429 => Error::RateLimited { retry_after: cardsdk_runtime::retry::retry_after(headers), message, context },
            _ => Error::Api { status, message, code, details, context },
        };
        error.explain_retry()
    }

    pub(crate) fn from_reqwest(error: reqwest::Error, context: ErrorContext) -> Self {
        match crate::body::refusal(&error) {
            Some(crate::body::Refusal::TooLarge(limit)) => return Error::ResponseTooLarge { limit, context },
            Some(crate::body::Refusal::Deadline(_)) => return Error::Timeout { context },
            Some(crate::body::Refusal::Foreign(origin)) => return Error::Redirected { origin, context },
            _ => {}
        }
        if error.is_timeout() {
            return Error::Timeout { context };
        }
        // What happened, in a word; reqwest's own message (which may name the URL) is the source.
        let message = if error.is_connect() {
            "the connection could not be made"
        } else if error.is_body() || error.is_decode() {
            "the connection broke while the answer was read"
        } else if error.is_request() {
            "the request could not be sent"
        } else {
            "the exchange failed"
        };
        Error::Transport { message: message.into(), source: Some(Arc::new(error)), context }
    }

    pub(crate) fn decode(context: ErrorContext, message: impl fmt::Display, body: &[u8]) -> Self {
        Error::decode_at(context, None, message, body)
    }

    pub(crate) fn decode_at(
        context: ErrorContext,
        path: Option<String>,
        message: impl fmt::Display,
        body: &[u8],
    ) -> Self {
        let message = cardsdk_runtime::redact::redact_text(&message.to_string());
        Error::Decode { path, message, body_snippet: redacted_snippet(body), context }
    }
}

/// Reads the request id, operation and status of an answer.
pub(crate) fn context_from(status: u16, headers: &reqwest::header::HeaderMap) -> ErrorContext {
    let operation = headers.get(OPERATION_HEADER).and_then(|v| v.to_str().ok()).and_then(static_operation);
    ErrorContext::answer(operation, status, headers)
}

/// The start of a body for an error message, with secrets removed by name and by value
/// ([`cardsdk_runtime::redact`]).
pub(crate) fn redacted_snippet(body: &[u8]) -> String {
    const MAX: usize = 256;
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            cardsdk_runtime::redact::redact_json(&mut value);
            value.to_string()
        }
        // Not JSON: keep the start only if nothing in it looks like a credential.
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let lower = text.to_ascii_lowercase();
            if ["token", "secret", "password", "authorization", "apikey", "api_key", "verifier", "cvv", "pin"]
                .iter()
                .any(|k| lower.contains(k))
            {
                "[body withheld: it may hold a credential]".to_string()
            } else {
                cardsdk_runtime::redact::redact_text(&text)
            }
        }
    };
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// The header carrying the key of a refusal (a failure found before sending) in its answer.
pub(crate) const REFUSED_HEADER: &str = "x-baanx-refused";

/// Failures found before sending, waiting to be converted back (keyed by the id in the answer's header). Bounded:
/// an answer nobody converts (a `send()` result dropped) does not keep its error forever.
pub(crate) static REFUSALS: cardsdk_runtime::refusals::Refusals<Error> = cardsdk_runtime::refusals::Refusals::new();

/// The answer `exec` gives for a refused request (nothing was sent): see [`cardsdk_runtime::refusals`].
pub(crate) fn refused_answer(key: reqwest::header::HeaderValue, operation: &'static str) -> reqwest::Response {
    let id = key.to_str().ok().and_then(|k| k.parse::<u64>().ok());
    let message = id
        .and_then(|k| REFUSALS.with(k, |e| e.to_string()))
        .unwrap_or_else(|| "the request was refused before sending".into());
    cardsdk_runtime::refusals::answer(id.unwrap_or(u64::MAX), REFUSED_HEADER, &message, OPERATION_HEADER, operation)
}

impl From<progenitor_client::Error<ApiError>> for Error {
    fn from(error: progenitor_client::Error<ApiError>) -> Self {
        use progenitor_client::Error as E;
        match error {
            E::ErrorResponse(response)
                if let Some(error) = cardsdk_runtime::refusals::key(response.headers(), REFUSED_HEADER)
                    .and_then(|k| REFUSALS.take(k)) =>
            {
                error
            }
            E::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                Error::from_status(status, &headers, &response.into_inner())
            }
            E::CommunicationError(e) | E::InvalidUpgrade(e) | E::ResponseBodyError(e) => {
                let context = match e.status() {
                    Some(s) => ErrorContext::default().with_status(s.as_u16()),
                    None => ErrorContext::default(),
                };
                Error::from_reqwest(e, context)
            }
            E::InvalidResponsePayload(body, e) => Error::decode(ErrorContext::default(), e, &body),
            E::UnexpectedResponse(response) if response.status().is_redirection() => {
                let status = response.status().as_u16();
                let context = context_from(status, response.headers());
                let origin = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| reqwest::Url::parse(l).ok())
                    .map(|u| u.origin().ascii_serialization())
                    .unwrap_or_else(|| "a location on the same host".into());
                Error::Redirected { origin, context }
            }
            E::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                let context = context_from(status, response.headers());
                Error::Api {
                    status,
                    message: Some(format!("unexpected HTTP {status} (not in the contract)")),
                    code: None,
                    details: None,
                    context,
                }
            }
            E::InvalidRequest(message) => Error::InvalidRequest { message, context: ErrorContext::default() },
            E::Custom(message) => Error::InvalidRequest { message, context: ErrorContext::default() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the hooks hand to progenitor for an error answer: the canonical body.
    fn body(json: &str) -> ApiError {
        let canonical = cardsdk_runtime::error_body::ErrorBody::read(400, json.as_bytes(), None).canonical();
        serde_json::from_value(canonical).unwrap()
    }

    #[test]
    fn every_documented_error_shape() {
        let h = reqwest::header::HeaderMap::new();
        let e = Error::from_status(400, &h, &body(r#"{"message": "Card is already frozen"}"#));
        assert!(matches!(&e, Error::Api { status: 400, message: Some(m), .. } if m == "Card is already frozen"));
        let e = Error::from_status(
            400,
            &h,
            &body(
                r#"{"error": "invalid_grant", "error_description": "Authorization code has expired", "details": {"a": 1}}"#,
            ),
        );
        assert!(matches!(&e, Error::Api { code: Some(c), message: Some(m), details: Some(d), .. }
            if c == "invalid_grant" && m == "Authorization code has expired" && d["details"]["a"] == 1));
        let e =
            Error::from_status(400, &h, &body(r#"{"error": "Validation error", "details": ["consents is required"]}"#));
        assert!(matches!(&e, Error::Api { code: Some(c), message: Some(m), details: Some(d), .. }
            if c == "Validation error" && m == "Validation error" && d["details"][0] == "consents is required"));
        let e = Error::from_status(
            422,
            &h,
            &body(
                r#"{"message": "{\"error\":\"wallet_locked\",\"message\":\"Wallet is locked\",\"details\":[\"x\"]}"}"#,
            ),
        );
        assert!(
            matches!(&e, Error::Api { code: Some(c), message: Some(m), .. } if c == "wallet_locked" && m == "Wallet is locked")
        );
    }

    #[test]
    fn statuses_map_to_variants() {
        let h = reqwest::header::HeaderMap::new();
        let b = body("{}");
        assert!(matches!(Error::from_status(498, &h, &b), Error::InvalidClientKey { .. }));
        assert!(matches!(Error::from_status(499, &h, &b), Error::MissingClientKey { .. }));
        assert!(matches!(Error::from_status(401, &h, &b), Error::Unauthorized { .. }));
        assert!(matches!(Error::from_status(403, &h, &b), Error::Forbidden { .. }));
        assert!(matches!(Error::from_status(404, &h, &b), Error::NotFound { .. }));
        let mut h429 = reqwest::header::HeaderMap::new();
        h429.insert("retry-after", "7".parse().unwrap());
        h429.insert("x-request-id", "req-1".parse().unwrap());
        let e = Error::from_status(429, &h429, &b);
        assert!(matches!(&e, Error::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 7));
        assert_eq!(e.context().unwrap().request_id.as_deref(), Some("req-1"));
        let mut hdate = reqwest::header::HeaderMap::new();
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        hdate.insert("retry-after", httpdate::fmt_http_date(later).parse().unwrap());
        let e = Error::from_status(429, &hdate, &b);
        assert!(
            matches!(&e, Error::RateLimited { retry_after: Some(d), .. } if d.as_secs() > 100 && d.as_secs() <= 120)
        );
    }

    #[test]
    fn snippets_hide_credentials() {
        let s = redacted_snippet(br#"{"access_token": "abc123", "nested": {"refreshToken": "r1"}, "ok": "visible"}"#);
        assert!(!s.contains("abc123") && !s.contains("r1") && s.contains("visible"), "{s}");
        let s = redacted_snippet(b"<html>access_token=abc123</html>");
        assert!(!s.contains("abc123"));
        let s = redacted_snippet(b"<html>502 Bad Gateway</html>");
        assert!(s.contains("502 Bad Gateway"));
    }
}
