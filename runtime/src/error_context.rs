//! [`ErrorContext`]: where an error happened — the operation, the HTTP status, the server's request id, and why
//! the call was not retried — the same for every SDK's error type.

use std::fmt;

/// Where an error happened.
///
/// ```
/// use cardsdk_runtime::error_context::ErrorContext;
///
/// let context = ErrorContext::operation("get_card_status").with_status(404).with_request_id("req-7");
/// assert_eq!(context.to_string(), " (operation get_card_status, HTTP 404, request id req-7)");
/// assert_eq!(ErrorContext::default().to_string(), "");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorContext {
    /// The operation id (`get_card_status`), when known.
    pub operation: Option<&'static str>,
    /// The HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The server's request id (`x-request-id` and similar headers), when it sent one.
    pub request_id: Option<String>,
    /// Why the call was not retried automatically, when that matters (a call that moves money or changes state).
    pub not_retried: Option<&'static str>,
}

impl ErrorContext {
    /// A context naming only the operation.
    ///
    /// ```
    /// use cardsdk_runtime::error_context::ErrorContext;
    ///
    /// let context = ErrorContext::operation("get_card_status");
    /// assert_eq!((context.operation, context.status), (Some("get_card_status"), None));
    /// ```
    pub fn operation(operation: &'static str) -> Self {
        ErrorContext { operation: Some(operation), ..Default::default() }
    }

    /// The context of an answer: its status and the request id from its headers ([`request_id`]).
    ///
    /// ```
    /// use cardsdk_runtime::error_context::ErrorContext;
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("x-request-id", "req-1".parse().unwrap());
    /// let context = ErrorContext::answer(Some("list_cards"), 503, &headers);
    /// assert_eq!(context, ErrorContext::operation("list_cards").with_status(503).with_request_id("req-1"));
    /// ```
    pub fn answer(operation: Option<&'static str>, status: u16, headers: &http::HeaderMap) -> Self {
        ErrorContext {
            operation,
            status: Some(status),
            request_id: request_id(headers).map(str::to_string),
            not_retried: None,
        }
    }

    /// This context with the HTTP status of the answer.
    ///
    /// ```
    /// let context = cardsdk_runtime::error_context::ErrorContext::default().with_status(404);
    /// assert_eq!(context.status, Some(404));
    /// ```
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// This context with the server's request id.
    ///
    /// ```
    /// let context = cardsdk_runtime::error_context::ErrorContext::default().with_request_id("req-7");
    /// assert_eq!(context.request_id.as_deref(), Some("req-7"));
    /// ```
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// This context saying why the call was not repeated automatically.
    ///
    /// ```
    /// let context = cardsdk_runtime::error_context::ErrorContext::default().with_not_retried("it moves money");
    /// assert!(context.to_string().contains("not retried: it moves money"));
    /// ```
    pub fn with_not_retried(mut self, why: &'static str) -> Self {
        self.not_retried = Some(why);
        self
    }
}

impl fmt::Display for ErrorContext {
    /// ` (operation …, HTTP …, request id …, not retried: …)`, or nothing when nothing is known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(op) = self.operation {
            parts.push(format!("operation {op}"));
        }
        if let Some(status) = self.status {
            parts.push(format!("HTTP {status}"));
        }
        if let Some(id) = &self.request_id {
            parts.push(format!("request id {id}"));
        }
        if let Some(why) = self.not_retried {
            parts.push(format!("not retried: {why}"));
        }
        if parts.is_empty() { Ok(()) } else { write!(f, " ({})", parts.join(", ")) }
    }
}

/// The headers a server's request id comes in, in the order they are looked for.
pub const REQUEST_ID_HEADERS: [&str; 5] =
    ["x-request-id", "request-id", "x-correlation-id", "x-amzn-requestid", "cf-ray"];

/// The server's request id, from the first of [`REQUEST_ID_HEADERS`] that it sent.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-correlation-id", "c-9".parse().unwrap());
/// assert_eq!(cardsdk_runtime::error_context::request_id(&headers), Some("c-9"));
/// ```
pub fn request_id(headers: &http::HeaderMap) -> Option<&str> {
    REQUEST_ID_HEADERS.iter().find_map(|h| headers.get(*h)).and_then(|v| v.to_str().ok())
}
