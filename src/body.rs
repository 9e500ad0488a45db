//! Reading response bodies within a size limit.

use futures_util::StreamExt as _;

use crate::error::{Error, ErrorContext};

/// The default cap on one response body: 16 MiB (a page of 1,000 card transactions is about 1 MiB).
pub(crate) const DEFAULT_LIMIT: usize = 16 * 1024 * 1024;

/// Reads the whole body, failing with [`Error::ResponseTooLarge`] as soon as it exceeds `limit` bytes (checked
/// against `Content-Length` first, then while streaming, so an endless body costs at most `limit` bytes).
pub(crate) async fn read_limited(
    response: reqwest::Response,
    limit: usize,
    context: &ErrorContext,
) -> Result<Vec<u8>, Error> {
    let too_large = || Error::ResponseTooLarge { limit, context: context.clone() };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(response.content_length().map_or(0, |n| n as usize).min(limit));
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::from_reqwest(e, context.clone()))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
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
