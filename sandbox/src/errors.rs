//! The documented error bodies: `{message}` (v1), `{error, error_description}` (OAuth), `{error, details}` (consent).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

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

    /// Adds a header to the answer.
    pub(crate) fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
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
