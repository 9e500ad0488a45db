//! The one place for cross-cutting behaviour: progenitor's `ClientHooks` on the generated client.
//!
//! - `pre`, before each request, from the client's configuration and the [`operation`](crate::operation) table:
//!   `x-client-key` (and `X-Client-ID` where the docs use that name), `x-secret-key` only where the operation
//!   takes it (and a typed error before sending where it needs it and the client has none), the session's
//!   `Authorization: Bearer` (renewed first when about to expire), `x-us-env: true` for the US region, the user
//!   agent; progenitor's `api-version` header is removed; the request is checked against the reference's rules
//!   before it leaves (`checks`: path parameters, date ranges, the EVM post-approval's chain id).
//! - `exec`, around the exchange: a `baanx.request` tracing span with OpenTelemetry's HTTP client names
//!   (`http.request.method`, `url.path` as the path template, `server.address`, `server.port`,
//!   `http.response.status_code`, `http.request.resend_count`, `error.type`), plus `baanx.operation`,
//!   `baanx.request_id` (from the answer), `baanx.replayed` and `duration_ms` (an integer); retries of safe operations per the [`RetryPolicy`](crate::retry::RetryPolicy); on a 401 with a
//!   bearer, one renewal of the session and one replay; the operation id added to the response (so errors know
//!   it); every error body (any JSON shape, text, HTML, empty) rewritten into the canonical error shape
//!   (`cardsdk_runtime::error_body`), so that it always decodes and keeps its status.
//!
//! The hooks can only return progenitor's error types: a typed failure found before sending waits in a table, and
//! `exec` answers (without sending anything) with a readable error body and the table's key in a header, so that
//! it converts back into itself ([`crate::Error::from`]) — no tag in any message.

use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use tracing::Instrument;

use crate::api;
use crate::client::{Inner, Region};
use crate::error::{ErrorContext, OPERATION_HEADER, SESSION_HEADER};
use crate::operation::{Operation, Scheme};

const CLIENT_KEY: HeaderName = HeaderName::from_static("x-client-key");
const CLIENT_ID: HeaderName = HeaderName::from_static("x-client-id");
const SECRET_KEY: HeaderName = HeaderName::from_static("x-secret-key");
const US_ENV: HeaderName = HeaderName::from_static("x-us-env");

/// Marks a request the hooks refuse to send: `exec` does not send it and answers with the refusal (see
/// `error::refused_answer`), so that the typed error comes back as itself — never as text with a tag.
const REFUSED: HeaderName = HeaderName::from_static(crate::error::REFUSED_HEADER);

/// A failure found before sending, as the error the caller sees: the session's own errors as they are, a renewal
/// that failed for another reason wrapped (it belongs to the token endpoint, not to this operation).
fn preflight_error(operation: &'static str, error: crate::Error) -> crate::Error {
    use crate::Error as E;
    match error {
        E::MissingSecretKey { .. }
        | E::SessionRequired { .. }
        | E::SessionExpired { .. }
        | E::RegionMismatch { .. }
        | E::TokenStore { .. }
        | E::InvalidRequest { .. } => error.at(operation),
        other => E::RenewalFailed { source: Box::new(other), context: ErrorContext::operation(operation) },
    }
}

impl ClientHooks<Inner> for api::Client {
    async fn pre<E>(&self, request: &mut reqwest::Request, info: &OperationInfo) -> Result<(), Error<E>> {
        let id = info.operation_id;
        let op = Operation::find(id).ok_or_else(|| Error::Custom(format!("unknown operation {id}")))?;
        let config = &self.inner.config;
        let path = request.url().path();
        let path = path.strip_prefix(config.base_path.as_str()).unwrap_or(path);
        if let Err(message) = crate::checks::before_send(op, path, request) {
            let error = crate::Error::InvalidRequest { message, context: ErrorContext::operation(id) };
            return self.refuse(request, id, error);
        }
        {
            let headers = request.headers_mut();
            headers.remove("api-version");
            headers.insert(USER_AGENT, config.user_agent.clone());
            headers.insert(CLIENT_KEY, config.client_key.clone());
            if op.client_id_header {
                headers.insert(CLIENT_ID, config.client_key.clone());
            }
            if op.accepts(Scheme::SecretKey) {
                match &config.secret_key {
                    Some(secret) => {
                        headers.insert(SECRET_KEY, secret.clone());
                    }
                    None if op.requires(Scheme::SecretKey) => {
                        let error = crate::Error::MissingSecretKey { context: ErrorContext::operation(id) };
                        return self.refuse(request, id, error);
                    }
                    None => {}
                }
            }
            if config.region == Region::Us {
                headers.insert(US_ENV, HeaderValue::from_static("true"));
            }
        }
        if config.region == Region::Us && op.us_env_query {
            request.url_mut().query_pairs_mut().append_pair("x-us-env", "true");
        }
        if op.accepts(Scheme::Bearer) {
            let session = &self.inner.session;
            let installed = match session.fresh(config.refresh_ahead) {
                Some(installed) => Ok(installed),
                None => session.bearer(self, config.refresh_ahead).await,
            };
            match installed {
                Ok(installed) => {
                    if installed.tokens.region() != config.region {
                        let error = crate::Error::RegionMismatch {
                            session: installed.tokens.region(),
                            client: config.region,
                            context: ErrorContext::operation(id),
                        };
                        return self.refuse(request, id, error);
                    }
                    request.headers_mut().insert(AUTHORIZATION, installed.bearer.clone());
                }
                Err(crate::Error::SessionRequired { .. }) if !op.requires(Scheme::Bearer) => {}
                Err(error) => return self.refuse(request, id, error),
            }
        }
        Ok(())
    }

    async fn exec(&self, mut request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        if let Some(refused) = request.headers_mut().remove(REFUSED) {
            return Ok(crate::error::refused_answer(refused, info.operation_id));
        }
        let template = Operation::find(info.operation_id).map_or("", |op| op.path);
        let url = request.url();
        let span = cardsdk_runtime::request_span!(
            baanx,
            info.operation_id,
            request.method(),
            template,
            url.host_str().unwrap_or_default(),
            url.port_or_known_default()
        );
        let started = Instant::now();
        let result = self.exchange(request, info).instrument(span.clone()).await;
        let outcome = match &result {
            Ok(response) => Ok((response.status().as_u16(), response.headers())),
            Err(e) if e.is_timeout() => Err("timeout"),
            Err(_) => Err("transport"),
        };
        cardsdk_runtime::trace::finish(&span, started, outcome, "baanx.request_id");
        result
    }
}

/// Why an attempt brought no usable answer (besides an HTTP error status).
#[derive(Debug)]
pub(crate) enum Failure {
    /// The connection failed or broke, before the answer or while reading its body.
    Http(reqwest::Error),
    /// The client's per-attempt deadline passed (whatever `reqwest::Client` was supplied).
    Deadline(Duration),
    /// The answer came from another origin than the configured one (a redirect was followed).
    Foreign(String),
}

impl api::Client {
    /// Refuses to send `request`: the error waits in the client's table until `exec` hands it back.
    fn refuse<E>(
        &self,
        request: &mut reqwest::Request,
        operation: &'static str,
        error: crate::Error,
    ) -> Result<(), Error<E>> {
        let id = crate::error::REFUSALS.put(preflight_error(operation, error));
        request.headers_mut().insert(REFUSED, HeaderValue::from(id));
        Ok(())
    }

    /// One call: attempts (retried per the policy when the operation is safe to repeat), each with at most one
    /// session renewal and replay after a 401; then the answer is prepared for decoding.
    async fn exchange(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        let config = &self.inner.config;
        let policy = &config.retry;
        let op = Operation::find(info.operation_id);
        let safe = op.is_some_and(|op| op.idempotent);
        // Safe JSON answers are read whole inside the attempt, so that a body cut mid-way is retried too.
        let buffer = safe && op.is_some_and(|op| !op.raw_body);
        let started = Instant::now();
        let mut request = request;
        let mut attempt = 1;
        let mut replays = 0;
        let result = loop {
            // One copy of the request serves a replay after a 401 or a retry (JSON bodies are bytes: cheap).
            let bearer = request.headers().get(AUTHORIZATION).cloned();
            let may_retry = safe && attempt < policy.attempts();
            let backup = (bearer.is_some() || may_retry).then(|| request.try_clone()).flatten();
            let (result, backup) = self.attempt(request, bearer, backup, buffer, &mut replays).await;
            let Some(reason) = crate::retry::classify(&result) else {
                if result.as_ref().is_ok_and(|r| r.status().is_success()) {
                    config.budget.refund();
                }
                break result;
            };
            let next = may_retry.then_some(backup).flatten();
            match next.and_then(|next| Some((next, policy.next_retry(attempt, reason, started, &config.budget)?))) {
                Some((next, wait)) => {
                    tracing::debug!(attempt, ?reason, wait_ms = wait.as_millis() as u64, "retrying");
                    drop(result);
                    tokio::time::sleep(wait).await;
                    request = next;
                    attempt += 1;
                }
                _ => break result,
            }
        };
        tracing::Span::current().record("http.request.resend_count", attempt - 1 + replays);
        let mut response = match result {
            Ok(response) => crate::body::limit(response, config.max_response_bytes),
            Err(Failure::Http(e)) => return Err(e),
            Err(Failure::Deadline(after)) => return Ok(crate::body::failing(crate::body::Refusal::Deadline(after))),
            Err(Failure::Foreign(origin)) => return Ok(crate::body::failing(crate::body::Refusal::Foreign(origin))),
        };
        if !response.status().is_success() {
            // Only errors need to know their operation (successes are decoded, not explained).
            response.headers_mut().insert(OPERATION_HEADER, HeaderValue::from_static(info.operation_id));
            if response.status().as_u16() >= 400 {
                response = canonical_error_body(response).await?;
            }
        }
        Ok(response)
    }

    /// Sends one request: within the client's per-attempt deadline, checking that the answer comes from the
    /// configured origin (a `reqwest::Client` that follows redirects is refused at build time; this is the second
    /// line), and, with `buffer`, reading a successful answer's body whole (within the size limit).
    async fn send(&self, request: reqwest::Request, buffer: bool) -> Result<reqwest::Response, Failure> {
        let config = &self.inner.config;
        let deadline = config.attempt_timeout;
        let work = async {
            let response = self.client.execute(request).await.map_err(Failure::Http)?;
            if response.url().origin() != config.origin {
                return Err(Failure::Foreign(response.url().origin().ascii_serialization()));
            }
            if buffer && response.status().is_success() {
                return crate::body::buffered(response, config.max_response_bytes).await.map_err(Failure::Http);
            }
            Ok(response)
        };
        match tokio::time::timeout(deadline, work).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Deadline(deadline)),
        }
    }

    /// One attempt; a 401 on a request sent with the session's token renews the session once and replays once.
    /// Returns the copy of the request if it was not used (for a retry).
    async fn attempt(
        &self,
        request: reqwest::Request,
        bearer: Option<HeaderValue>,
        backup: Option<reqwest::Request>,
        buffer: bool,
        replays: &mut u32,
    ) -> (Result<reqwest::Response, Failure>, Option<reqwest::Request>) {
        let mut response = match self.send(request, buffer).await {
            Ok(response) => response,
            Err(e) => return (Err(e), backup),
        };
        let (Some(used), Some(mut replay)) = (bearer, backup) else { return (Ok(response), None) };
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return (Ok(response), Some(replay));
        }
        match self.inner.session.renew_after_rejection(self, &used).await {
            Ok(installed) => {
                *replays += 1;
                tracing::Span::current().record("baanx.replayed", true);
                replay.headers_mut().insert(AUTHORIZATION, installed.bearer.clone());
                let again = replay.try_clone();
                (self.send(replay, buffer).await, again)
            }
            Err(crate::Error::SessionExpired { .. }) => {
                response.headers_mut().insert(SESSION_HEADER, HeaderValue::from_static("expired"));
                (Ok(response), Some(replay))
            }
            Err(error) => {
                tracing::debug!(%error, "no renewal after a 401");
                (Ok(response), Some(replay))
            }
        }
    }
}

/// The most of an error body that is read (the message and code are at its start; the rest is not needed).
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Rewrites an error answer's body, whatever its shape, into the canonical `{message, code, type, details}`
/// (`cardsdk_runtime::error_body`), keeping status and headers, so that it decodes into the shared error and keeps
/// its status.
async fn canonical_error_body(response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let mut headers = response.headers().clone();
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let bytes = crate::body::read_prefix(response, ERROR_BODY_LIMIT).await?;
    let summary = cardsdk_runtime::error_body::ErrorBody::read(status.as_u16(), &bytes, content_type.as_deref());
    let body = summary.canonical().to_string();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.remove(reqwest::header::CONTENT_LENGTH);
    headers.remove(reqwest::header::CONTENT_ENCODING);
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}
