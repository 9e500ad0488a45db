//! The error bodies. The documented ones: `{message}` (v1), `{error, error_description}` (OAuth), `{error, details}`
//! (consent). And, on a few routes, the other shapes the live API answers (field notes): an error object JSON-encoded
//! inside `message`, a top-level `error` object `{status, message, errorCode}`, `{errorMessage, errorCode}`, and
//! `{errors: [{field, message}]}`. The HTTP status is the same whatever the shape.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

/// The live API's error object, `{"status", "message", "errorCode"}` in that order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorObject<'a> {
    status: u16,
    message: &'a str,
    error_code: &'a str,
}

/// `{"error": {..}}`, for the JSON-in-a-string shape.
#[derive(Serialize)]
struct Wrapped<'a> {
    error: ErrorObject<'a>,
}

/// An error answer: a status, a JSON body and optional extra headers.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
    pub(crate) headers: Vec<(&'static str, String)>,
}

/// The result type of every handler.
pub(crate) type ApiResult<T = Response> = Result<T, ApiError>;

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ApiError {
    /// `{ "message": msg }` with `code`.
    pub(crate) fn message(code: u16, msg: impl Into<String>) -> Self {
        ApiError { status: status(code), body: json!({ "message": msg.into() }), headers: Vec::new() }
    }

    /// 400 `{ "message": msg }`.
    pub(crate) fn bad_request(msg: impl Into<String>) -> Self {
        Self::message(400, msg)
    }

    /// 400 `{"message": "<field> is required"}`.
    pub(crate) fn required(field: &str) -> Self {
        Self::bad_request(format!("{field} is required"))
    }

    /// 422 `{ "message": msg }`.
    pub(crate) fn validation(msg: impl Into<String>) -> Self {
        Self::message(422, msg)
    }

    /// 404 `{ "message": msg }`.
    pub(crate) fn not_found(msg: impl Into<String>) -> Self {
        Self::message(404, msg)
    }

    /// 401 `{"message": "Not authenticated"}`.
    pub(crate) fn not_authenticated() -> Self {
        Self::message(401, "Not authenticated")
    }

    /// 499 `{"message": "Missing client key"}`.
    pub(crate) fn missing_client_key() -> Self {
        Self::message(499, "Missing client key")
    }

    /// 498 `{"message": "Invalid client key"}`.
    pub(crate) fn invalid_client_key() -> Self {
        Self::message(498, "Invalid client key")
    }

    /// An OAuth error: `{ "error": code, "error_description": description }`.
    pub(crate) fn oauth(status_code: u16, error: &str, description: impl Into<String>) -> Self {
        ApiError {
            status: status(status_code),
            body: json!({ "error": error, "error_description": description.into() }),
            headers: Vec::new(),
        }
    }

    /// 400 `invalid_request` naming a missing parameter.
    pub(crate) fn oauth_missing(param: &str) -> Self {
        Self::oauth(400, "invalid_request", format!("Missing required parameter: {param}"))
    }

    /// 400 `invalid_grant`.
    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        Self::oauth(400, "invalid_grant", description)
    }

    /// 401 `invalid_client` (a wrong or missing secret key, an unknown `client_id`).
    pub(crate) fn invalid_client(description: impl Into<String>) -> Self {
        let description = description.into();
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            body: json!({ "error": "invalid_client", "error_description": description, "details": [description] }),
            headers: Vec::new(),
        }
    }

    /// A consent-API error: `{ "error": title, "details": [..] }`.
    pub(crate) fn consent(status_code: u16, error: &str, details: impl Into<String>) -> Self {
        ApiError {
            status: status(status_code),
            body: json!({ "error": error, "details": [details.into()] }),
            headers: Vec::new(),
        }
    }

    /// 400 consent validation error.
    pub(crate) fn consent_validation(details: impl Into<String>) -> Self {
        Self::consent(400, "Validation error", details)
    }

    /// 404 consent not found.
    pub(crate) fn consent_not_found(details: impl Into<String>) -> Self {
        Self::consent(404, "Not found", details)
    }

    /// A live-API shape: `{"message": "{\"error\":{\"status\":..,\"message\":..,\"errorCode\":..}}"}`, the
    /// error object JSON-encoded inside `message`.
    pub(crate) fn nested_in_message(code: u16, msg: &str, error_code: &str) -> Self {
        let inner = Wrapped { error: ErrorObject { status: code, message: msg, error_code } };
        // Serialising plain strings and a number cannot fail; the fallback keeps the message readable anyway.
        let text = serde_json::to_string(&inner).unwrap_or_else(|_| msg.to_string());
        Self::message(code, text)
    }

    /// A live-API shape: a top-level `error` object, `{"error": {"status", "message", "errorCode"}}`.
    pub(crate) fn error_object(code: u16, msg: &str, error_code: &str) -> Self {
        ApiError {
            status: status(code),
            body: json!({ "error": { "status": code, "message": msg, "errorCode": error_code } }),
            headers: Vec::new(),
        }
    }

    /// A live-API shape: `{"errorMessage", "errorCode"}`.
    pub(crate) fn error_message(code: u16, msg: impl Into<String>, error_code: &str) -> Self {
        ApiError {
            status: status(code),
            body: json!({ "errorMessage": msg.into(), "errorCode": error_code }),
            headers: Vec::new(),
        }
    }

    /// A live-API shape: a list of field errors, `{"errors": [{"field", "message"}]}`.
    pub(crate) fn field_errors(code: u16, field: &str, msg: impl Into<String>) -> Self {
        ApiError {
            status: status(code),
            body: json!({ "errors": [{ "field": field, "message": msg.into() }] }),
            headers: Vec::new(),
        }
    }

    /// Adds a header to the answer.
    pub(crate) fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// A missing or mistyped body field or query parameter: 400 `{"message": "<field> is required"}` or
/// `{"message": "<field> must be a string"}`.
impl From<cardsdk_sandbox_kit::FieldError> for ApiError {
    fn from(e: cardsdk_sandbox_kit::FieldError) -> Self {
        ApiError::bad_request(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body)).into_response();
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert(name, v);
            }
        }
        resp
    }
}

/// A JSON answer with a status.
pub(crate) fn json_status(code: u16, body: Value) -> Response {
    (status(code), axum::Json(body)).into_response()
}

/// A 200 JSON answer.
pub(crate) fn ok(body: Value) -> Response {
    json_status(200, body)
}

/// A `text/html` answer.
pub(crate) fn html(code: u16, body: String) -> Response {
    let mut resp = (status(code), body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    resp
}

/// A 302 redirect to `location`.
pub(crate) fn redirect(location: &str) -> Response {
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_shapes() {
        let nested = ApiError::nested_in_message(400, "Card is already frozen", "CARD_ALREADY_FROZEN");
        assert_eq!(nested.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            nested.body,
            json!({ "message": r#"{"error":{"status":400,"message":"Card is already frozen","errorCode":"CARD_ALREADY_FROZEN"}}"# })
        );
        let object = ApiError::error_object(400, "Invalid reset token", "RESET_TOKEN_INVALID");
        assert_eq!(
            object.body["error"],
            json!({ "status": 400, "message": "Invalid reset token", "errorCode": "RESET_TOKEN_INVALID" })
        );
        let flat = ApiError::error_message(422, "bad", "X");
        assert_eq!((flat.status.as_u16(), flat.body), (422, json!({ "errorMessage": "bad", "errorCode": "X" })));
        let list = ApiError::field_errors(422, "a", "b");
        assert_eq!(list.body, json!({ "errors": [{ "field": "a", "message": "b" }] }));
    }
}
