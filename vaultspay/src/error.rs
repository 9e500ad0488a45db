//! One error type for every call: [`Error`], classified by VaultsPay's `code` (and `type`), never by the HTTP
//! status alone — client mistakes come back as HTTP 500, an invalid token as 400, an expired one as 401.
//!
//! | code | type | variant |
//! |---|---|---|
//! | 1002 | `UNAUTHENTICATED` | [`Error::Unauthenticated`] |
//! | 1003 | `TOKEN_EXPIRED` | [`Error::TokenExpired`] (the client refreshes and replays once before you see it) |
//! | 1004 | `SESSION_EXPIRED` | [`Error::SessionExpired`] (the client logs in again once before you see it) |
//! | 1036 | `INVALID_TOKEN` | [`Error::InvalidToken`] |
//! | 1001, 1006, 1007, 1008 | `UNAUTHORISED`, `BAN`, `IP_NOT_WHITELISTED`, `NO_PRIVILEGE` | [`Error::Forbidden`] |
//! | 1005 | `THROTTLE` | [`Error::Throttled`], with `Retry-After` |
//! | 1000 | `INVALID_PAYLOAD` | [`Error::Validation`], with `errors[{key, reason}]` |
//! | 1035 | `ACTION_REQUIRED` | [`Error::ActionRequired`], with the action (`errors[0].reason`) |
//! | 1050 | `TRANSACTION_LOCKED_BY_RULE` | [`Error::LockedByRule`] |
//! | 1018 | `INVALID_HEADERS` | [`Error::InvalidHeaders`] (also what a wrong encryption setting brings) |
//! | 1010, 1401 | `BAD_REQUEST` | [`Error::BadRequest`] |
//! | any other | | [`Error::Api`], with its code, type, message and errors |
//!
//! Every variant carries an [`ErrorContext`]: operation, HTTP status, request id, and — on calls that change
//! state or move money — why the call was not retried. Errors never hold a token, key, PAN, CVV or PIN: the
//! messages the server sends are redacted by value ([`cardsdk_runtime::redact`]).
//!
//! ```
//! use vaultspay::Error;
//!
//! fn explain(err: &Error) -> String {
//!     match err {
//!         Error::Validation { errors, .. } => format!("fix {:?}", errors.iter().map(|e| &e.key).collect::<Vec<_>>()),
//!         Error::Throttled { retry_after, .. } => format!("wait {retry_after:?}"),
//!         Error::LockedByRule { .. } => "a card rule declined it".into(),
//!         other => other.to_string(),
//!     }
//! }
//! # let _ = explain;
//! ```

use std::sync::Arc;
use std::time::Duration;

use crate::api::types::ApiError;
use crate::encryption::EncryptionError;

pub use cardsdk_runtime::error_context::ErrorContext;

/// Response header the hooks add to every error answer: the operation id.
pub(crate) const OPERATION_HEADER: &str = "x-vaultspay-operation";
/// Response header the hooks add to an answer of an operation that was never repeated.
pub(crate) const NOT_RETRIED_HEADER: &str = "x-vaultspay-not-retried";
/// Request header (removed before sending) naming a refusal waiting in [`REFUSALS`].
pub(crate) const REFUSED_HEADER: &str = "x-vaultspay-refused";
/// Why a state-changing call is not retried.
pub(crate) const NOT_RETRIED: &str = "this operation changes state or moves money; the client never repeats it automatically (check its effect before trying again)";

/// Errors found inside the hooks, waiting to come back as themselves (see `hooks`).
pub(crate) static REFUSALS: cardsdk_runtime::refusals::Refusals<Error> = cardsdk_runtime::refusals::Refusals::new();

/// One entry of a validation error's `errors`: the field at fault and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldError {
    /// The field or parameter (`accountTitle`).
    pub key: String,
    /// Why (`must not be blank`).
    pub reason: String,
}

/// Everything that can go wrong talking to the VaultsPay API.
///
/// ```
/// use vaultspay::{Error, ErrorContext};
///
/// let err = Error::LockedByRule { message: "Transaction has been locked.".into(), context: ErrorContext::operation("create_direct_transfer") };
/// assert_eq!(err.code(), Some(1050));
/// assert_eq!(err.to_string(), "locked by a card rule: Transaction has been locked. (operation create_direct_transfer)");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 1002: not authenticated (wrong client id or secret at login, or no token).
    #[error("not authenticated: {message}{context}")]
    Unauthenticated {
        /// The server's message.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// 1003: the access token expired, and a refresh and replay did not help.
    #[error("access token expired: {message}{context}")]
    TokenExpired {
        /// The server's message.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// 1004: the session (refresh token) expired, and logging in again did not help.
    #[error("session expired: {message}{context}")]
    SessionExpired {
        /// The server's message.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// 1036: the access token is not valid.
    #[error("invalid access token: {message}{context}")]
    InvalidToken {
        /// The server's message.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// 1001, 1006, 1007, 1008: not allowed (no permission, banned, IP not whitelisted, insufficient privilege).
    #[error("forbidden ({code}): {message}{context}")]
    Forbidden {
        /// Which of the four.
        code: i64,
        /// The server's message.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// 1005 (or HTTP 429): too many requests.
    #[error("throttled: {message}{context}")]
    Throttled {
        /// The server's `Retry-After`, when sent.
        retry_after: Option<Duration>,
        /// The server's message.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// 1000: the payload was refused, field by field.
    #[error("invalid payload: {message}{}{context}", fields(errors))]
    Validation {
        /// The server's message.
        message: String,
        /// The fields at fault.
        errors: Vec<FieldError>,
        /// Where.
        context: ErrorContext,
    },
    /// 1035: something must be done first (KYC, say); `action` is the server's action type.
    #[error("action required ({}): {message}{context}", action.as_deref().unwrap_or("unspecified"))]
    ActionRequired {
        /// `errors[0].reason` (the action type), when sent.
        action: Option<String>,
        /// The server's message.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// 1050: a rules-engine setting or limit declined it.
    #[error("locked by a card rule: {message}{context}")]
    LockedByRule {
        /// The server's message.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// 1018: the server refused the request's headers — also what a wrong encryption setting (RSA padding, body
    /// format) brings; see the README's "Encryption (unconfirmed parts)".
    #[error("invalid headers: {message}{context}")]
    InvalidHeaders {
        /// The server's message.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// 1010, 1401: a bad request (an invalid IBAN, a duplicate payment contact, a missing parameter).
    #[error("bad request ({code}): {message}{context}")]
    BadRequest {
        /// 1010 or 1401.
        code: i64,
        /// The server's message.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// Any other error answer, with what it said.
    #[error("VaultsPay error{}: {message}{context}", code.map(|c| format!(" {c}")).unwrap_or_default())]
    Api {
        /// `code`, when the answer had one.
        code: Option<i64>,
        /// `type`, when the answer had one.
        error_type: Option<String>,
        /// The server's message (or the HTTP reason).
        message: String,
        /// `errors[{key, reason}]`.
        errors: Vec<FieldError>,
        /// Where (with the HTTP status).
        context: ErrorContext,
    },
    /// Sealing the request or opening the answer failed (a bad tag, an answer that is not encrypted where
    /// encryption is on). Never carries key material or plaintext.
    #[error("encryption: {source}{context}")]
    Encryption {
        /// What failed.
        #[source]
        source: EncryptionError,
        /// Where.
        context: ErrorContext,
    },
    /// The request was refused before sending (a local check: an IBAN that fails mod-97, say).
    #[error("invalid request: {message}{context}")]
    InvalidRequest {
        /// What is wrong.
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// Getting a token (login or refresh) failed; `source` is why.
    #[error("cannot get an access token: {source}")]
    Auth {
        /// The token call's error.
        #[source]
        source: Box<Error>,
        /// The operation that needed the token.
        context: ErrorContext,
    },
    /// The connection failed, timed out, or the answer was cut or too large.
    #[error("transport: {message}{context}")]
    Transport {
        /// What happened.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
        /// Where.
        context: ErrorContext,
    },
    /// A success answer fits no lossless reading of its type.
    #[error("cannot decode the answer{}: {message}{context}", path.as_ref().map(|p| format!(" at {p}")).unwrap_or_default())]
    Decode {
        /// The JSON path of the offending value.
        path: Option<String>,
        /// serde's message (it names the expected type; never the value).
        message: String,
        /// Where.
        context: ErrorContext,
    },
    /// A list did not end within the page cap.
    #[error("the list did not end within {pages} pages{context}")]
    PageLimit {
        /// Pages read.
        pages: usize,
        /// Where.
        context: ErrorContext,
    },
}

/// The `context` of any variant (every variant has one), by reference or by mutable reference.
macro_rules! with_context {
    ($error:expr) => {
        match $error {
            Error::Unauthenticated { context, .. }
            | Error::TokenExpired { context, .. }
            | Error::SessionExpired { context, .. }
            | Error::InvalidToken { context, .. }
            | Error::Forbidden { context, .. }
            | Error::Throttled { context, .. }
            | Error::Validation { context, .. }
            | Error::ActionRequired { context, .. }
            | Error::LockedByRule { context, .. }
            | Error::InvalidHeaders { context, .. }
            | Error::BadRequest { context, .. }
            | Error::Api { context, .. }
            | Error::Encryption { context, .. }
            | Error::InvalidRequest { context, .. }
            | Error::Auth { context, .. }
            | Error::Transport { context, .. }
            | Error::Decode { context, .. }
            | Error::PageLimit { context, .. } => context,
        }
    };
}

fn fields(errors: &[FieldError]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let list: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.key, e.reason)).collect();
    format!(" [{}]", list.join("; "))
}

impl Error {
    /// Where it happened.
    ///
    /// ```
    /// let err = vaultspay::Error::PageLimit { pages: 3, context: vaultspay::ErrorContext::operation("list_accounts") };
    /// assert_eq!(err.context().operation, Some("list_accounts"));
    /// ```
    pub fn context(&self) -> &ErrorContext {
        with_context!(self)
    }

    fn context_mut(&mut self) -> &mut ErrorContext {
        with_context!(self)
    }

    /// VaultsPay's numeric code, for the errors that come from one.
    ///
    /// ```
    /// let err = vaultspay::Error::Forbidden { code: 1007, message: String::new(), context: Default::default() };
    /// assert_eq!(err.code(), Some(1007));
    /// ```
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Unauthenticated { .. } => Some(1002),
            Error::TokenExpired { .. } => Some(1003),
            Error::SessionExpired { .. } => Some(1004),
            Error::InvalidToken { .. } => Some(1036),
            Error::Throttled { .. } => Some(1005),
            Error::Validation { .. } => Some(1000),
            Error::ActionRequired { .. } => Some(1035),
            Error::LockedByRule { .. } => Some(1050),
            Error::InvalidHeaders { .. } => Some(1018),
            Error::Forbidden { code, .. } | Error::BadRequest { code, .. } => Some(*code),
            Error::Api { code, .. } => *code,
            _ => None,
        }
    }

    /// The HTTP status of the answer, when one arrived.
    ///
    /// ```
    /// let context = vaultspay::ErrorContext::operation("validate_iban").with_status(500);
    /// let err = vaultspay::Error::BadRequest { code: 1010, message: "Invalid IBAN".into(), context };
    /// assert_eq!(err.status(), Some(500));
    /// ```
    pub fn status(&self) -> Option<u16> {
        self.context().status
    }

    /// This error with `operation` in its context, unless it already names one.
    pub(crate) fn at(mut self, operation: &'static str) -> Self {
        let context = self.context_mut();
        if context.operation.is_none() {
            context.operation = Some(operation);
        }
        self
    }

    pub(crate) fn decode(context: ErrorContext, path: Option<String>, error: &serde_json::Error) -> Self {
        Error::Decode { path, message: cardsdk_runtime::redact::redact_text(&error.to_string()), context }
    }

    pub(crate) fn from_reqwest(error: reqwest::Error, context: ErrorContext) -> Self {
        let message = match cardsdk_runtime::body::refusal(&error) {
            Some(refusal) => refusal.to_string(),
            None if error.is_timeout() => "timed out".to_string(),
            None if error.is_connect() => "cannot connect".to_string(),
            None if error.is_body() || error.is_decode() => "the answer's body broke off".to_string(),
            None => "the request failed".to_string(),
        };
        // reqwest's Display names the URL; the path never holds a secret here (ids only), but keep it out anyway.
        Error::Transport { message, source: Some(Arc::new(error.without_url())), context }
    }

    /// The error an error answer stands for, by its `code` (and `type`), then its status.
    pub(crate) fn from_answer(body: &ApiError, context: ErrorContext, retry_after: Option<Duration>) -> Self {
        let message = body
            .message
            .as_deref()
            .map(cardsdk_runtime::redact::redact_text)
            .or_else(|| context.status.and_then(cardsdk_runtime::error_body::reason_phrase).map(str::to_string))
            .unwrap_or_else(|| "no message".to_string());
        let errors: Vec<FieldError> = body
            .errors
            .iter()
            .map(|e| FieldError {
                key: e.key.clone().unwrap_or_default(),
                reason: e.reason.as_deref().map(cardsdk_runtime::redact::redact_text).unwrap_or_default(),
            })
            .collect();
        let error_type = body.type_.as_deref();
        let code = body.code.or_else(|| code_of_type(error_type?));
        match code {
            Some(1002) => Error::Unauthenticated { message, context },
            Some(1003) => Error::TokenExpired { message, context },
            Some(1004) => Error::SessionExpired { message, context },
            Some(1036) => Error::InvalidToken { message, context },
            Some(code @ (1001 | 1006 | 1007 | 1008)) => Error::Forbidden { code, message, context },
            Some(1005) => Error::Throttled { retry_after, message, context },
            Some(1000) => Error::Validation { message, errors, context },
            Some(1035) => {
                let action =
                    errors.iter().find(|e| e.key == "actionRequired").or(errors.first()).map(|e| e.reason.clone());
                Error::ActionRequired { action, message, context }
            }
            Some(1050) => Error::LockedByRule { message, context },
            Some(1018) => Error::InvalidHeaders { message, context },
            Some(code @ (1010 | 1401)) => Error::BadRequest { code, message, context },
            None if context.status == Some(429) => Error::Throttled { retry_after, message, context },
            code => Error::Api { code, error_type: error_type.map(str::to_string), message, errors, context },
        }
    }
}

/// The code a `type` stands for, when an answer names only its type.
fn code_of_type(error_type: &str) -> Option<i64> {
    Some(match error_type {
        "INVALID_PAYLOAD" => 1000,
        "UNAUTHORISED" => 1001,
        "UNAUTHENTICATED" => 1002,
        "TOKEN_EXPIRED" => 1003,
        "SESSION_EXPIRED" => 1004,
        "THROTTLE" => 1005,
        "BAN" => 1006,
        "IP_NOT_WHITELISTED" => 1007,
        "NO_PRIVILEGE" => 1008,
        "INVALID_HEADERS" => 1018,
        "ACTION_REQUIRED" => 1035,
        "INVALID_TOKEN" => 1036,
        "TRANSACTION_LOCKED_BY_RULE" => 1050,
        _ => return None,
    })
}

/// The context of an answer from its status and the headers the hooks added.
pub(crate) fn context_from(status: u16, headers: &http::HeaderMap) -> ErrorContext {
    let operation = headers
        .get(OPERATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::operation::Operation::find)
        .map(|op| op.id);
    let mut context = ErrorContext::answer(operation, status, headers);
    if headers.contains_key(NOT_RETRIED_HEADER) {
        context = context.with_not_retried(NOT_RETRIED);
    }
    context
}

impl From<progenitor_client::Error<ApiError>> for Error {
    fn from(error: progenitor_client::Error<ApiError>) -> Self {
        use progenitor_client::Error as P;
        match error {
            P::ErrorResponse(response) => {
                if let Some(key) = cardsdk_runtime::refusals::key(response.headers(), REFUSED_HEADER)
                    && let Some(error) = REFUSALS.take(key)
                {
                    return error;
                }
                let context = context_from(response.status().as_u16(), response.headers());
                let retry_after = cardsdk_runtime::retry::retry_after(response.headers());
                Error::from_answer(response.as_ref(), context, retry_after)
            }
            P::UnexpectedResponse(response) => {
                let context = context_from(response.status().as_u16(), response.headers());
                Error::Api {
                    code: None,
                    error_type: None,
                    message: format!("unexpected HTTP {}", response.status().as_u16()),
                    errors: Vec::new(),
                    context,
                }
            }
            P::CommunicationError(e) | P::ResponseBodyError(e) => Error::from_reqwest(e, ErrorContext::default()),
            P::InvalidResponsePayload(_, e) => Error::decode(ErrorContext::default(), None, &e),
            P::InvalidRequest(message) => Error::InvalidRequest { message, context: ErrorContext::default() },
            P::InvalidUpgrade(e) => Error::from_reqwest(e, ErrorContext::default()),
            P::Custom(message) => Error::InvalidRequest { message, context: ErrorContext::default() },
        }
    }
}

impl cardsdk_runtime::pages::PageError for Error {
    fn page_limit(pages: usize, operation: &'static str) -> Self {
        Error::PageLimit { pages, context: ErrorContext::operation(operation) }
    }

    fn interrupted(operation: &'static str, why: String) -> Self {
        Error::Transport { message: why, source: None, context: ErrorContext::operation(operation) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(status: u16, body: serde_json::Value) -> Error {
        let body: ApiError = serde_json::from_value(body).unwrap();
        Error::from_answer(
            &body,
            ErrorContext::operation("validate_iban").with_status(status),
            Some(Duration::from_secs(7)),
        )
    }

    #[test]
    fn every_documented_code_has_its_variant_whatever_the_status() {
        let cases: [(u16, i64, &str); 17] = [
            (401, 1002, "Unauthenticated"),
            (401, 1003, "TokenExpired"),
            (401, 1004, "SessionExpired"),
            (400, 1036, "InvalidToken"),
            (403, 1001, "Forbidden"),
            (403, 1006, "Forbidden"),
            (403, 1007, "Forbidden"),
            (403, 1008, "Forbidden"),
            (429, 1005, "Throttled"),
            (422, 1000, "Validation"),
            (500, 1035, "ActionRequired"),
            (500, 1050, "LockedByRule"),
            (500, 1018, "InvalidHeaders"),
            (500, 1010, "BadRequest"),
            (400, 1401, "BadRequest"),
            (500, 1012, "Api"),
            (200, 9999, "Api"),
        ];
        for (status, code, variant) in cases {
            let err = classify(status, serde_json::json!({ "code": code, "message": "m", "type": "T" }));
            let debug = format!("{err:?}");
            assert!(debug.starts_with(variant), "{status}/{code}: {debug}");
            assert_eq!(err.code(), Some(code), "{debug}");
            assert_eq!(err.status(), Some(status));
            assert_eq!(err.context().operation, Some("validate_iban"));
        }
    }

    #[test]
    fn details_are_kept_and_codes_read_from_strings_or_types() {
        let err = classify(
            422,
            serde_json::json!({
                "code": "1000", "message": "Invalid payload.", "type": "INVALID_PAYLOAD",
                "errors": [{"key": "accountTitle", "reason": "must not be blank"}]
            }),
        );
        let Error::Validation { errors, .. } = &err else { panic!("{err:?}") };
        assert_eq!(errors, &[FieldError { key: "accountTitle".into(), reason: "must not be blank".into() }]);
        assert!(err.to_string().contains("accountTitle: must not be blank"), "{err}");

        let err = classify(
            500,
            serde_json::json!({
                "code": 1035, "type": "ACTION_REQUIRED", "errors": [{"key": "actionRequired", "reason": "KYC_PENDING"}]
            }),
        );
        assert!(matches!(&err, Error::ActionRequired { action: Some(a), .. } if a == "KYC_PENDING"), "{err:?}");

        let err = classify(429, serde_json::json!({ "type": "THROTTLE" }));
        assert!(matches!(err, Error::Throttled { retry_after: Some(d), .. } if d == Duration::from_secs(7)), "{err:?}");
        let err = classify(503, serde_json::json!({ "code": 4242, "type": "SOMETHING_NEW", "message": "new" }));
        assert!(matches!(&err, Error::Api { code: Some(4242), error_type: Some(t), .. } if t == "SOMETHING_NEW"));
        let err = classify(502, serde_json::json!({}));
        assert!(err.to_string().contains("Bad Gateway"), "the reason phrase stands in for a missing message: {err}");
    }

    #[test]
    fn echoed_secrets_never_reach_the_message() {
        let err = classify(
            500,
            serde_json::json!({
                "code": 1010, "message": "card 4111111111111111 with cvv rejected",
                "errors": [{"key": "pan", "reason": "4111111111111111 is blocked"}]
            }),
        );
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("4111111111111111"), "{shown}");
    }
}
