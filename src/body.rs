//! Response bodies within a size limit ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
//!
//! The hooks wrap every answer's body in a counting stream ([`limit`]): past the limit it fails with
//! [`BodyTooLarge`], which the conversions into [`Error`] turn into [`Error::ResponseTooLarge`]. A `Content-Length`
//! over the limit fails before any byte is read; an endless body costs at most the limit.

use std::fmt;

use futures_util::StreamExt as _;

use crate::error::{Error, ErrorContext};

/// The default cap on one response body: 16 MiB (a page of 1,000 card transactions is about 1 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A body grew past the client's limit (the source of the transport error reqwest reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyTooLarge {
    pub(crate) limit: usize,
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the response body exceeds the limit of {} bytes", self.limit)
    }
}

impl std::error::Error for BodyTooLarge {}

/// The limit behind a reqwest error, if it is one of ours.
pub(crate) fn too_large(error: &(dyn std::error::Error + 'static)) -> Option<usize> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(ours) = e.downcast_ref::<BodyTooLarge>() {
            return Some(ours.limit);
        }
        source = e.source();
    }
    None
}

/// The same answer with its body capped at `limit` bytes. An answer whose `Content-Length` is within the limit is
/// returned as is (the HTTP layer reads no more than the declared length); one over the limit fails before any
/// byte is read; one without a length (chunked) is counted while it streams.
pub(crate) fn limit(response: reqwest::Response, limit: usize) -> reqwest::Response {
    if response.content_length().is_some_and(|n| n <= limit as u64) {
        return response;
    }
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let declared_too_large = response.content_length().is_some_and(|n| n > limit as u64);
    let body = if declared_too_large {
        drop(response);
        reqwest::Body::wrap_stream(futures_util::stream::once(async move { Err::<Vec<u8>, _>(BodyTooLarge { limit }) }))
    } else {
        let mut seen = 0usize;
        let stream = response.bytes_stream().map(move |chunk| {
            let chunk = chunk.map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            seen += chunk.len();
            if seen > limit {
                return Err(Box::new(BodyTooLarge { limit }) as Box<dyn std::error::Error + Send + Sync>);
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
pub(crate) async fn read_all(response: reqwest::Response, context: &ErrorContext) -> Result<Vec<u8>, Error> {
    let mut body = Vec::with_capacity(response.content_length().map_or(0, |n| n as usize).min(1 << 20));
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::from_reqwest(e, context.clone()))?;
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads at most `limit` bytes of the body (the rest is dropped with the connection).
pub(crate) async fn read_prefix(response: reqwest::Response, limit: usize) -> reqwest::Result<Vec<u8>> {
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
