//! Reading an error answer of any shape: [`ErrorBody::read`].
//!
//! Live APIs answer errors in many shapes, and gateways in front of them in more: `{message}`,
//! `{error, error_description, details}`, `{error: {status, message, errorCode}}`, `{errorMessage, errorCode}`,
//! `{detail}`, `{errors: [{message, code}]}`, `{data: {message}}`, `{code, message, type, errors: [{key, reason}]}`,
//! JSON encoded as a string inside `message` (at any depth), a bare string or array, plain text, an HTML page, or
//! nothing at all. Whatever the shape, the message and code come from the **innermost** error object, and the whole
//! body is kept (redacted) as `details`.
//!
//! ```
//! use cardsdk_runtime::error_body::ErrorBody;
//!
//! let nested = br#"{"message": "{\"error\":{\"status\":409,\"message\":\"Card already frozen\",\"errorCode\":\"CARD_FROZEN\"}}"}"#;
//! let body = ErrorBody::read(409, nested, Some("application/json"));
//! assert_eq!(body.message.as_deref(), Some("Card already frozen"));
//! assert_eq!(body.code.as_deref(), Some("CARD_FROZEN"));
//!
//! let html = ErrorBody::read(502, b"<html><head><title>502 Bad Gateway</title></head></html>", Some("text/html"));
//! assert_eq!(html.message.as_deref(), Some("502 Bad Gateway"));
//! let empty = ErrorBody::read(503, b"", None);
//! assert_eq!(empty.message.as_deref(), Some("Service Unavailable"));
//! ```

use serde_json::{Value, json};

/// What an error answer says.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ErrorBody {
    /// The innermost human-readable message (redacted), or the status's reason phrase when there is none.
    pub message: Option<String>,
    /// The innermost machine-readable code (`invalid_grant`, `CARD_FROZEN`, `1010`).
    pub code: Option<String>,
    /// The innermost error type, when the body names one apart from the code (`type: "BAD_REQUEST"`).
    pub kind: Option<String>,
    /// The whole body, redacted: JSON as JSON, anything else as `{"text": …}` (shortened).
    pub details: Option<Value>,
}

const MESSAGE_KEYS: [&str; 8] =
    ["message", "errorMessage", "error_message", "error_description", "detail", "title", "msg", "description"];
const CODE_KEYS: [&str; 5] = ["errorCode", "error_code", "code", "errorType", "error_type"];
const NESTED_KEYS: [&str; 5] = ["error", "errors", "data", "message", "detail"];
const MAX_DEPTH: usize = 8;
const MAX_TEXT: usize = 512;

impl ErrorBody {
    /// Reads an error body (see the [module docs](self)); never fails.
    pub fn read(status: u16, body: &[u8], content_type: Option<&str>) -> ErrorBody {
        let reason = reason_phrase(status);
        let text = String::from_utf8_lossy(body);
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return ErrorBody { message: reason.map(str::to_string), ..Default::default() };
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(value) => {
                let found = extract(&value, 0);
                let mut details = value;
                crate::redact::redact_json(&mut details);
                ErrorBody {
                    message: found.message.map(|m| clean(&m)).or_else(|| reason.map(str::to_string)),
                    code: found.code.map(|c| clean(&c)),
                    kind: found.kind.map(|k| clean(&k)),
                    details: Some(details),
                }
            }
            Err(_) => {
                let html = content_type.is_some_and(|ct| ct.contains("html")) || trimmed.starts_with('<');
                let message = if html {
                    html_title(trimmed).or_else(|| reason.map(str::to_string))
                } else {
                    Some(clean(trimmed))
                };
                ErrorBody { message, details: Some(json!({ "text": clean(trimmed) })), ..Default::default() }
            }
        }
    }

    /// The canonical JSON form `{message, code, type, details}` (absent parts omitted), which decodes into any
    /// error schema whose fields are strings and free-form `details`.
    ///
    /// ```
    /// let body = cardsdk_runtime::error_body::ErrorBody::read(400, br#"{"error":"invalid_grant"}"#, None);
    /// assert_eq!(body.canonical()["code"], "invalid_grant");
    /// ```
    pub fn canonical(&self) -> Value {
        let mut map = serde_json::Map::new();
        if let Some(m) = &self.message {
            map.insert("message".into(), Value::String(m.clone()));
        }
        if let Some(c) = &self.code {
            map.insert("code".into(), Value::String(c.clone()));
        }
        if let Some(k) = &self.kind {
            map.insert("type".into(), Value::String(k.clone()));
        }
        if let Some(d) = &self.details {
            map.insert("details".into(), d.clone());
        }
        Value::Object(map)
    }
}

#[derive(Default)]
struct Found {
    message: Option<String>,
    code: Option<String>,
    kind: Option<String>,
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// JSON text inside a string (`"{\"error\": …}"`).
fn embedded(v: &Value) -> Option<Value> {
    let s = v.as_str()?.trim();
    if !(s.starts_with('{') || s.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<Value>(s).ok().filter(|v| v.is_object() || v.is_array())
}

fn extract(value: &Value, depth: usize) -> Found {
    if depth > MAX_DEPTH {
        return Found::default();
    }
    match value {
        Value::String(_) => match embedded(value) {
            Some(inner) => extract(&inner, depth + 1),
            None => Found { message: text_of(value), ..Default::default() },
        },
        Value::Array(items) => items.first().map(|first| extract(first, depth + 1)).unwrap_or_default(),
        Value::Object(map) => {
            // The innermost error first.
            let mut inner = Found::default();
            for key in NESTED_KEYS {
                let Some(v) = map.get(key) else { continue };
                let nested = match v {
                    Value::Object(_) => Some(v.clone()),
                    Value::Array(items) => items.first().filter(|f| f.is_object() || embedded(f).is_some()).cloned(),
                    Value::String(_) => embedded(v),
                    _ => None,
                };
                if let Some(nested) = nested {
                    let found = extract(&nested, depth + 1);
                    if found.message.is_some() || found.code.is_some() {
                        inner = found;
                        break;
                    }
                }
            }
            let own_message =
                MESSAGE_KEYS.iter().filter_map(|k| map.get(*k)).find(|v| embedded(v).is_none()).and_then(text_of);
            let error_text = map.get("error").filter(|v| embedded(v).is_none()).and_then(text_of);
            let own_code =
                CODE_KEYS.iter().filter_map(|k| map.get(*k)).find_map(text_of).or_else(|| error_text.clone());
            let own_kind = map.get("type").and_then(text_of);
            Found {
                message: inner.message.or(own_message).or(error_text),
                code: inner.code.or(own_code),
                kind: inner.kind.or(own_kind),
            }
        }
        _ => Found::default(),
    }
}

/// Redacted and shortened.
fn clean(text: &str) -> String {
    let redacted = crate::redact::redact_text(text.trim());
    match redacted.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => format!("{}…", &redacted[..at]),
        None => redacted,
    }
}

fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = html.get(start..end)?.trim();
    (!title.is_empty()).then(|| clean(title))
}

/// The standard reason phrase of a status, and the Baanx ones.
pub fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        423 => "Locked",
        429 => "Too Many Requests",
        498 => "Invalid Client Key",
        499 => "Missing Client Key",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> (Option<String>, Option<String>) {
        let b = ErrorBody::read(400, body.as_bytes(), Some("application/json"));
        (b.message, b.code)
    }

    fn pair(m: &str, c: Option<&str>) -> (Option<String>, Option<String>) {
        (Some(m.to_string()), c.map(str::to_string))
    }

    #[test]
    fn every_shape() {
        assert_eq!(read(r#"{"message": "Card is already frozen"}"#), pair("Card is already frozen", None));
        assert_eq!(
            read(
                r#"{"error": "invalid_grant", "error_description": "Authorization code has expired", "details": {"a": 1}}"#
            ),
            pair("Authorization code has expired", Some("invalid_grant"))
        );
        assert_eq!(
            read(r#"{"error": "Validation error", "details": ["consents is required"]}"#),
            pair("Validation error", Some("Validation error"))
        );
        assert_eq!(
            read(r#"{"error": {"status": 400, "message": "Bad card", "errorCode": "E_CARD"}}"#),
            pair("Bad card", Some("E_CARD"))
        );
        assert_eq!(read(r#"{"errorMessage": "Nope", "errorCode": "N1"}"#), pair("Nope", Some("N1")));
        assert_eq!(read(r#"{"detail": "Not allowed"}"#), pair("Not allowed", None));
        assert_eq!(
            read(r#"{"errors": [{"message": "first", "code": "F"}, {"message": "second"}]}"#),
            pair("first", Some("F"))
        );
        assert_eq!(read(r#"{"data": {"message": "inside data"}}"#), pair("inside data", None));
        assert_eq!(
            read(
                r#"{"code": 1000, "message": "Invalid payload.", "type": "INVALID_PAYLOAD", "errors": [{"key": "email", "reason": "must not be blank"}]}"#
            ),
            pair("Invalid payload.", Some("1000"))
        );
        // JSON in `message`, twice nested.
        let twice = serde_json::json!({"message": serde_json::json!({"message": serde_json::json!({"error": {"message": "deep", "errorCode": "D"}}).to_string()}).to_string()});
        assert_eq!(read(&twice.to_string()), pair("deep", Some("D")));
        assert_eq!(read(r#""just a string""#), pair("just a string", None));
        assert_eq!(read(r#"[{"message": "in an array"}]"#), pair("in an array", None));
        assert_eq!(read("{}"), pair("Bad Request", None));
    }

    #[test]
    fn non_json() {
        let b = ErrorBody::read(429, b"slow down", Some("text/plain"));
        assert_eq!(b.message.as_deref(), Some("slow down"));
        assert_eq!(b.details, Some(json!({"text": "slow down"})));
        let b = ErrorBody::read(502, b"<html><body>oops</body></html>", Some("text/html"));
        assert_eq!(b.message.as_deref(), Some("Bad Gateway"));
        let b = ErrorBody::read(599, b"", None);
        assert_eq!(b.message, None);
    }

    #[test]
    fn secrets_are_redacted() {
        let b = ErrorBody::read(
            400,
            br#"{"message": "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl is bad", "access_token": "abc", "pan": "4111111111111111"}"#,
            None,
        );
        let all = format!("{:?}", b);
        assert!(
            !all.contains("eyJhbGciOiJIUzI1NiJ9") && !all.contains("abc") && !all.contains("4111111111111111"),
            "{all}"
        );
    }
}
