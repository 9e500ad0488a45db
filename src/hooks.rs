//! The one place for cross-cutting behaviour: progenitor's `ClientHooks` on the generated client.
//!
//! - `pre`: credentials and routing headers from the client's configuration (`x-client-key`), and removal of the
//!   `api-version` header progenitor adds (the Baanx API has no such header).
//! - `exec`: a `baanx.request` tracing span per operation with its id, method, status and duration.

use std::time::Instant;

use progenitor_client::{ClientHooks, Error, OperationInfo};
use reqwest::header::HeaderValue;
use tracing::Instrument;

use crate::api;
use crate::client::Inner;

impl ClientHooks<Inner> for api::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let shared = self.inner.shared();
        let headers = request.headers_mut();
        headers.remove("api-version");
        let mut key = HeaderValue::from_str(&shared.client_key).map_err(|_| {
            Error::InvalidRequest("the client key is not a valid header value".into())
        })?;
        key.set_sensitive(true);
        headers.insert("x-client-key", key);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::debug_span!(
            "baanx.request",
            operation = info.operation_id,
            method = %request.method(),
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self.client.execute(request).instrument(span.clone()).await;
        span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
        if let Ok(response) = &result {
            span.record("status", response.status().as_u16());
        }
        result
    }
}
