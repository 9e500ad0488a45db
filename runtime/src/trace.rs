//! The per-request tracing span, with OpenTelemetry's HTTP client names, the same for every SDK.
//!
//! [`request_span!`](crate::request_span) opens it: `http.request.method`, `url.path` (the path *template*, so that
//! ids never reach the span and spans group by operation), `server.address`, `server.port`, `otel.kind = "client"`
//! and `<api>.operation`, with empty fields for what is known later. [`finish`] records the answer:
//! `http.response.status_code`, `<api>.request_id` (from the answer's headers), `error.type` (the status of an
//! error answer, or `timeout`/`transport`), and `duration_ms` as an integer. The SDK records
//! `http.request.resend_count` and `<api>.replayed` itself, where it retries.
//!
//! ```
//! use std::time::Instant;
//!
//! let span = cardsdk_runtime::request_span!(acme, "get_card", "GET", "/v1/cards/{id}", "api.acme.test", 443_u16);
//! let started = Instant::now();
//! let mut headers = http::HeaderMap::new();
//! headers.insert("x-request-id", "req-1".parse().unwrap());
//! cardsdk_runtime::trace::finish(&span, started, Ok((404, &headers)), "acme.request_id");
//! ```

use std::time::Instant;

/// Opens the request span of API `$api` (an identifier: the span is `<api>.request`, its operation field
/// `<api>.operation`). Arguments: operation id, method (Display), path template, server host, server port.
#[macro_export]
macro_rules! request_span {
    ($api:ident, $operation:expr, $method:expr, $template:expr, $host:expr, $port:expr) => {
        $crate::__private::tracing::debug_span!(
            concat!(stringify!($api), ".request"),
            otel.kind = "client",
            $api.operation = $operation,
            http.request.method = %$method,
            url.path = $template,
            server.address = $host,
            server.port = $port,
            http.response.status_code = $crate::__private::tracing::field::Empty,
            http.request.resend_count = $crate::__private::tracing::field::Empty,
            $api.replayed = $crate::__private::tracing::field::Empty,
            $api.request_id = $crate::__private::tracing::field::Empty,
            error.type = $crate::__private::tracing::field::Empty,
            duration_ms = $crate::__private::tracing::field::Empty,
        )
    };
}

/// Records the outcome of a request on its span: the answer's status and request id (into `request_id_field`,
/// e.g. `"baanx.request_id"`), or the kind of failure (`"timeout"`, `"transport"`), and the duration in whole
/// milliseconds.
pub fn finish(
    span: &tracing::Span,
    started: Instant,
    outcome: Result<(u16, &http::HeaderMap), &'static str>,
    request_id_field: &str,
) {
    span.record("duration_ms", u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    match outcome {
        Ok((status, headers)) => {
            span.record("http.response.status_code", status);
            if let Some(id) = crate::error_context::request_id(headers) {
                span.record(request_id_field, id);
            }
            if status >= 400 {
                span.record("error.type", status.to_string().as_str());
            }
        }
        Err(kind) => {
            span.record("error.type", kind);
        }
    }
}
