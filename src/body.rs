//! Response bodies within the client's size limit
//! ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)); the mechanics are shared
//! ([`cardsdk_runtime::body`]).

pub(crate) use cardsdk_runtime::body::{Refusal, buffered, failing, limit, read_prefix, refusal};

use crate::error::{Error, ErrorContext};

/// The default cap on one response body: 16 MiB (a page of 1,000 card transactions is about 1 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = cardsdk_runtime::body::DEFAULT_MAX_RESPONSE_BYTES;

/// Reads the whole body (already capped in the hooks), as an [`Error`] with `context` when the transport fails.
pub(crate) async fn read_all(response: reqwest::Response, context: &ErrorContext) -> Result<Vec<u8>, Error> {
    cardsdk_runtime::body::read_all(response).await.map_err(|e| Error::from_reqwest(e, context.clone()))
}
