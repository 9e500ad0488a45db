//! Response bodies for the SDKs' hooks: within a size limit, read whole where a retry may need it, and the answers
//! the hooks refuse.
//!
//! progenitor's hooks can only hand back a `reqwest::Response`; a refusal (a body over the limit, the per-attempt
//! deadline, an answer from another origin) travels as a response whose body fails with a [`Refusal`], which the
//! SDK's conversion into its error type turns back into the typed error ([`refusal`] finds it in the error's
//! sources). A `Content-Length` over the limit fails before any byte is read; an endless body costs at most the
//! limit.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use cardsdk_runtime::body::{self, Refusal};
//!
//! let answer = reqwest::Response::from(http::Response::new("x".repeat(100)));
//! let capped = body::limit(answer, 10);
//! let error = capped.bytes().await.unwrap_err();
//! assert!(matches!(body::refusal(&error), Some(Refusal::TooLarge(10))));
//! # });
//! ```

use std::fmt;

use futures_util::StreamExt as _;

/// The default cap on one response body: 16 MiB (a page of 1,000 card transactions is about 1 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Why the hooks refuse an answer (the source of the transport error reqwest then reports).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The body grew past the client's limit.
    TooLarge(usize),
    /// The per-attempt deadline passed.
    Deadline(std::time::Duration),
    /// The answer came from another origin.
    Foreign(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TooLarge(limit) => write!(f, "the response body exceeds the limit of {limit} bytes"),
            Refusal::Deadline(after) => write!(f, "no answer within {after:?}"),
            Refusal::Foreign(origin) => write!(f, "the answer came from another origin ({origin})"),
        }
    }
}

impl std::error::Error for Refusal {}

/// The refusal behind an error, if it is one of ours.
pub fn refusal(error: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(ours) = e.downcast_ref::<Refusal>() {
            return Some(ours.clone());
        }
        source = e.source();
    }
    None
}

/// A response whose body fails with `refusal` as soon as it is read: status 599, in every operation's `5XX`
/// error range, so that every generated operation reads the body (and `send()` as well as `call()` see it).
pub fn failing(refusal: Refusal) -> reqwest::Response {
    let body = reqwest::Body::wrap_stream(futures_util::stream::once(async move { Err::<Vec<u8>, _>(refusal) }));
    let mut response = http::Response::new(body);
    *response.status_mut() = http::StatusCode::from_u16(599).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    reqwest::Response::from(response)
}

/// Reads a successful answer's body whole (within `limit`), keeping status and headers: a body cut mid-way is then
/// a transport error of the attempt (retried for safe operations), not of the decoding.
pub async fn buffered(response: reqwest::Response, limit: usize) -> reqwest::Result<reqwest::Response> {
    use http_body_util::BodyExt as _;
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(failing(Refusal::TooLarge(limit)));
    }
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(reqwest::Response::from(http::Response::from_parts(parts, collected.to_bytes()))),
        Err(e) => match e.downcast::<reqwest::Error>() {
            Ok(e) => Err(*e),
            Err(_) => Ok(failing(Refusal::TooLarge(limit))),
        },
    }
}

/// The same answer with its body capped at `limit` bytes. An answer whose `Content-Length` is within the limit is
/// returned as is (the HTTP layer reads no more than the declared length); one over the limit fails before any
/// byte is read; one without a length (chunked) is counted while it streams.
pub fn limit(response: reqwest::Response, limit: usize) -> reqwest::Response {
    if response.content_length().is_some_and(|n| n <= limit as u64) {
        return response;
    }
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let declared_too_large = response.content_length().is_some_and(|n| n > limit as u64);
    let body = if declared_too_large {
        drop(response);
        reqwest::Body::wrap_stream(futures_util::stream::once(
            async move { Err::<Vec<u8>, _>(Refusal::TooLarge(limit)) },
        ))
    } else {
        let mut seen = 0usize;
        let stream = response.bytes_stream().map(move |chunk| {
            let chunk = chunk.map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            seen += chunk.len();
            if seen > limit {
                return Err(Box::new(Refusal::TooLarge(limit)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(chunk)
        });
        reqwest::Body::wrap_stream(stream)
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}

/// Reads the whole body (already capped by [`limit`] in the hooks).
pub async fn read_all(response: reqwest::Response) -> reqwest::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(response.content_length().map_or(0, |n| n as usize).min(1 << 20));
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk?);
    }
    Ok(body)
}

/// Reads at most `limit` bytes of the body (the rest is dropped with the connection).
pub async fn read_prefix(response: reqwest::Response, limit: usize) -> reqwest::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    Ok(body)
}
