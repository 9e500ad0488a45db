//! The error bodies: flat `{code, message, type, errors?: [{key, reason}]}` with the documented HTTP statuses. The
//! status does not classify (client mistakes come back as HTTP 500 / 1010 BAD_REQUEST, as on the real service);
//! the code and type do.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cardsdk_sandbox_kit::{FieldError, FieldProblem};
use serde::Serialize;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) kind: String,
    pub(crate) errors: Vec<(String, String)>,
    pub(crate) headers: Vec<(&'static str, String)>,
}

/// The result type of every handler.
pub(crate) type ApiResult<T = Response> = Result<T, ApiError>;

#[derive(Serialize)]
struct Detail<'a> {
    key: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct Body<'a> {
    code: i64,
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<Detail<'a>>,
}

impl ApiError {
    /// Any error.
    pub(crate) fn new(status: u16, code: i64, kind: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            kind: kind.to_string(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// 500 / 1010 BAD_REQUEST with a message: the documented answer to client mistakes ("Invalid IBAN", "Payment
    /// Contact already exists"), used for every refused state change.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(500, 1010, "BAD_REQUEST", message)
    }

    /// 422 / 1000 INVALID_PAYLOAD naming one field.
    pub(crate) fn invalid_payload(key: &str, reason: impl Into<String>) -> Self {
        let mut e = Self::new(422, 1000, "INVALID_PAYLOAD", "Invalid payload. Please check your request.");
        e.errors.push((key.to_string(), reason.into()));
        e
    }

    /// 422 / 1000 for an unknown id: `errors[{key, reason: "<Thing> does not exist with this id"}]` (the documented
    /// answer of Get Embossing Name Options for an unknown user; the sandbox answers every unknown id this way).
    pub(crate) fn unknown(key: &str, thing: &str) -> Self {
        Self::invalid_payload(key, format!("{thing} does not exist with this id"))
    }

    /// 401 / 1002 UNAUTHENTICATED.
    pub(crate) fn unauthenticated() -> Self {
        Self::new(401, 1002, "UNAUTHENTICATED", "You are not authenticated. Please login to continue.")
    }

    /// 401 / 1003 TOKEN_EXPIRED.
    pub(crate) fn token_expired() -> Self {
        Self::new(401, 1003, "TOKEN_EXPIRED", "Your access token has expired. Please get a new token.")
    }

    /// 401 / 1004 SESSION_EXPIRED.
    pub(crate) fn session_expired() -> Self {
        Self::new(401, 1004, "SESSION_EXPIRED", "Your session has expired. Please login again.")
    }

    /// 400 / 1036 INVALID_TOKEN.
    pub(crate) fn invalid_token() -> Self {
        Self::new(400, 1036, "INVALID_TOKEN", "Invalid access token provided.")
    }

    /// 403 / 1001 UNAUTHORISED.
    pub(crate) fn unauthorised() -> Self {
        Self::new(403, 1001, "UNAUTHORISED", "You do not have permission to access this resource.")
    }

    /// 429 / 1005 THROTTLE (the fault plan adds `Retry-After`).
    pub(crate) fn throttle() -> Self {
        Self::new(429, 1005, "THROTTLE", "Too many requests. Please try again later.")
    }

    /// 500 / 1018 INVALID_HEADERS: the encryption headers (or the encrypted body) could not be read.
    pub(crate) fn invalid_headers() -> Self {
        Self::new(500, 1018, "INVALID_HEADERS", "Invalid HTTP headers.")
    }

    /// 500 / 1050 TRANSACTION_LOCKED_BY_RULE, with the rule that declined in `errors[{key: "rule"}]`.
    pub(crate) fn locked_by_rule(rule: impl Into<String>) -> Self {
        let mut e = Self::new(500, 1050, "TRANSACTION_LOCKED_BY_RULE", "Transaction has been locked.");
        e.errors.push(("rule".to_string(), rule.into()));
        e
    }

    /// 500 / 1035 ACTION_REQUIRED with `errors[{key: "actionRequired", reason: action}]` (the HTTP status of this
    /// error is not documented; 500 like the other client-side refusals).
    pub(crate) fn action_required(action: &str) -> Self {
        let mut e = Self::new(500, 1035, "ACTION_REQUIRED", "Please complete the prerequisite actions.");
        e.errors.push(("actionRequired".to_string(), action.to_string()));
        e
    }

    /// The error the server itself answers for an HTTP status (a fault, a body too large): the documented code of
    /// that status where there is one (400 → 1010, 401 → 1002, 403 → 1001, 422 → 1000, 429 → 1005), otherwise the
    /// status as the code and its reason phrase in upper snake case as the type (`503`, `SERVICE_UNAVAILABLE`).
    pub(crate) fn for_status(status: u16, reason: &str) -> Self {
        match status {
            400 => Self::new(400, 1010, "BAD_REQUEST", "Invalid request."),
            401 => Self::unauthenticated(),
            403 => Self::unauthorised(),
            422 => Self::new(422, 1000, "INVALID_PAYLOAD", "Invalid payload. Please check your request."),
            429 => Self::throttle(),
            _ => {
                let kind: String = reason
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
                    .collect();
                Self::new(status, i64::from(status), &kind, reason)
            }
        }
    }

    /// Adds a header to the answer.
    pub(crate) fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Vec<u8> {
        let body = Body {
            code: self.code,
            message: &self.message,
            kind: &self.kind,
            errors: self.errors.iter().map(|(key, reason)| Detail { key, reason }).collect(),
        };
        // Plain strings and integers always serialise.
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

/// A missing or mistyped field: 422 / 1000 with `errors[{key: <field>, reason}]`; a missing one reads "must not
/// be blank" (the docs' example), a mistyped one "must be a string" and the like.
impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        let reason = match e.problem {
            FieldProblem::Missing => "must not be blank".to_string(),
            _ => e.reason(),
        };
        ApiError::invalid_payload(&e.field, reason)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, self.body()).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert(name, v);
            }
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn body(e: &ApiError) -> Value {
        serde_json::from_slice(&e.body()).unwrap()
    }

    #[test]
    fn documented_shapes() {
        assert_eq!(
            body(&ApiError::invalid_headers()),
            json!({"code": 1018, "message": "Invalid HTTP headers.", "type": "INVALID_HEADERS"})
        );
        assert_eq!(
            body(&ApiError::invalid_payload("accountTitle", "Account title is missing")),
            json!({"code": 1000, "message": "Invalid payload. Please check your request.", "type": "INVALID_PAYLOAD",
                   "errors": [{"key": "accountTitle", "reason": "Account title is missing"}]})
        );
        let e = ApiError::for_status(503, "Service Unavailable");
        assert_eq!((e.status, e.code, e.kind.as_str()), (503, 503, "SERVICE_UNAVAILABLE"));
        assert_eq!(ApiError::for_status(429, "Too Many Requests").code, 1005);
        let f: ApiError = FieldError::missing("title").into();
        assert_eq!(f.errors, [("title".to_string(), "must not be blank".to_string())]);
    }
}
