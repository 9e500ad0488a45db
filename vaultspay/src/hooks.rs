//! The one place for cross-cutting behaviour: progenitor's `ClientHooks` on the generated client.
//!
//! - `pre`, before each request: `x-device-os: SAAS`, `x-device-id` (the app id), the user agent, and — on every
//!   operation but the two token calls — `Authorization: Bearer <accessToken>`, renewed first when about to
//!   expire ([`crate::auth`]). progenitor's `api-version` header is removed. An IBAN that fails the local check
//!   ([`crate::iban`]) is refused before anything is sent.
//! - `exec`, around the exchange, per **attempt** (a retry or a replay gets a fresh AES key and IV): the plaintext
//!   JSON body is sealed ([`crate::encryption`]: `x-session-nonce`, `x-auth-signature`, the encrypted body), or
//!   `x-enable-encryption: false` is sent when encryption is off (UAT); the answer is read whole (within the size
//!   limit) and opened with that attempt's key. Then:
//!   - a 401 or 1003 on a call with the token → one renewal and one replay; 1004 → one login and one replay;
//!   - safe operations (GETs, reads through POST) are retried per the [`RetryPolicy`](crate::RetryPolicy) on
//!     throttling (429/1005, honouring `Retry-After`), 502/503/504, a 500 that carries no VaultsPay code, and
//!     transport failures; everything else is sent once, and its errors say so ("not retried");
//!   - the payload is given to the generated layer as plaintext JSON in the shape the contract declares: an
//!     envelope operation's bare answer is wrapped into `{data}`, a bare operation's `{data}` answer unwrapped;
//!     error answers that are not JSON become `{message}`;
//!   - a `vaultspay.request` tracing span with OpenTelemetry's HTTP client names.
//!
//! Failures found inside the hooks (a token that cannot be had, an answer that does not decrypt, a transport
//! failure of an operation that is never retried) wait in a table and come back as themselves
//! ([`crate::Error::from`]).
//!
//! Which answers may arrive in plaintext while encryption is on: error answers (a gateway that refuses the headers
//! cannot encrypt with a key it could not unwrap) — never a success.

use std::time::Instant;

use cardsdk_runtime::retry::Retryable;
use progenitor_client::{ClientHooks, Error as SendError, OperationInfo};
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use tracing::Instrument as _;

use crate::api;
use crate::client::Inner;
use crate::encryption::{EncryptionError, ResponseKey};
use crate::error::{Error, ErrorContext, NOT_RETRIED, NOT_RETRIED_HEADER, OPERATION_HEADER, REFUSALS, REFUSED_HEADER};
use crate::operation::Operation;

const DEVICE_OS: HeaderName = HeaderName::from_static("x-device-os");
const DEVICE_ID: HeaderName = HeaderName::from_static("x-device-id");
const ENABLE_ENCRYPTION: HeaderName = HeaderName::from_static("x-enable-encryption");
const SESSION_NONCE: HeaderName = HeaderName::from_static(crate::encryption::SESSION_NONCE_HEADER);
const AUTH_SIGNATURE: HeaderName = HeaderName::from_static(crate::encryption::AUTH_SIGNATURE_HEADER);
const REFUSED: HeaderName = HeaderName::from_static(REFUSED_HEADER);

impl ClientHooks<Inner> for api::Client {
    async fn pre<E>(&self, request: &mut reqwest::Request, info: &OperationInfo) -> Result<(), SendError<E>> {
        let id = info.operation_id;
        let op = Operation::find(id).ok_or_else(|| SendError::Custom(format!("unknown operation {id}")))?;
        let config = &self.inner.config;
        let headers = request.headers_mut();
        headers.remove("api-version");
        headers.insert(USER_AGENT, config.user_agent.clone());
        headers.insert(DEVICE_OS, HeaderValue::from_static("SAAS"));
        headers.insert(DEVICE_ID, config.app_id.clone());
        if crate::iban::CHECKED.contains(&op.id)
            && let Some(message) = request.body().and_then(|b| b.as_bytes()).and_then(crate::iban::refusal)
        {
            refuse(request, Error::InvalidRequest { message, context: ErrorContext::operation(op.id) });
            return Ok(());
        }
        if op.bearer {
            match self.inner.auth.bearer(self).await {
                Ok(bearer) => {
                    request.headers_mut().insert(AUTHORIZATION, bearer);
                }
                Err(error) => {
                    let error = Error::Auth { source: Box::new(error), context: ErrorContext::operation(op.id) };
                    refuse(request, error);
                }
            }
        }
        Ok(())
    }

    async fn exec(&self, mut request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        let Some(op) = Operation::find(info.operation_id) else {
            return self.client.execute(request).await;
        };
        if let Some(key) = request.headers_mut().remove(REFUSED) {
            return Ok(refused_answer(key, op));
        }
        let url = request.url();
        let span = cardsdk_runtime::request_span!(
            vaultspay,
            op.id,
            request.method(),
            op.path,
            url.host_str().unwrap_or_default(),
            url.port_or_known_default()
        );
        let started = Instant::now();
        let response = self.exchange(request, op).instrument(span.clone()).await;
        let outcome = Ok((response.status().as_u16(), response.headers()));
        cardsdk_runtime::trace::finish(&span, started, outcome, "vaultspay.request_id");
        Ok(response)
    }
}

/// An answer, read whole and opened.
struct Answer {
    status: reqwest::StatusCode,
    version: http::Version,
    headers: http::HeaderMap,
    body: Vec<u8>,
    /// VaultsPay's error `code`: read once, from error answers only (a success body is never parsed here).
    code: Option<i64>,
}

/// The `code` of an error body, when it is a JSON object with one.
fn error_code(body: &[u8]) -> Option<i64> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = value.get("code")?;
    code.as_i64().or_else(|| code.as_str()?.trim().parse().ok())
}

/// Why an attempt brought no answer.
enum Failure {
    /// No answer, or a body cut off or too large; a timeout — and whether that is worth a retry.
    Transport(Error, Option<Retryable>),
    /// The answer could not be opened.
    Sealing(EncryptionError),
}

fn refuse(request: &mut reqwest::Request, error: Error) {
    let key = REFUSALS.put(error);
    request.headers_mut().insert(REFUSED, HeaderValue::from(key));
}

/// What `exec` answers for a refused request (nothing sent): the key, so that the error comes back as itself.
fn refused_answer(key: HeaderValue, op: &'static Operation) -> reqwest::Response {
    let message = key
        .to_str()
        .ok()
        .and_then(|k| k.parse::<u64>().ok())
        .and_then(|k| REFUSALS.with(k, ToString::to_string))
        .unwrap_or_else(|| "refused before sending".to_string());
    let mut answer = http::Response::new(serde_json::json!({ "message": message }).to_string());
    *answer.status_mut() = http::StatusCode::from_u16(599).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = answer.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(REFUSED, key);
    headers.insert(OPERATION_HEADER, HeaderValue::from_static(op.id));
    reqwest::Response::from(answer)
}

impl api::Client {
    /// One call: attempts, each sealed afresh; one replay after a rejected token; retries of safe operations.
    async fn exchange(&self, request: reqwest::Request, op: &'static Operation) -> reqwest::Response {
        let config = &self.inner.config;
        let policy = &config.retry;
        let plaintext = request.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec);
        let mut template = request;
        let started = Instant::now();
        let (mut attempt, mut replayed) = (1_u32, false);
        let outcome = loop {
            let outcome = self.attempt(&template, plaintext.as_deref(), op).await;
            if let Ok(answer) = &outcome
                && op.bearer
                && !replayed
                && let Some(login) = rejected_token(answer)
                && let Some(used) = template.headers().get(AUTHORIZATION).cloned()
            {
                match self.inner.auth.after_rejection(self, &used, login).await {
                    Ok(bearer) => {
                        template.headers_mut().insert(AUTHORIZATION, bearer);
                        replayed = true;
                        tracing::Span::current().record("vaultspay.replayed", true);
                        continue;
                    }
                    Err(error) => tracing::debug!(%error, "no new token after a rejection"),
                }
            }
            let Some(reason) = retryable(&outcome) else {
                if outcome.as_ref().is_ok_and(|a| a.status.is_success()) {
                    config.budget.refund();
                }
                break outcome;
            };
            let wait = op.idempotent.then(|| policy.next_retry(attempt, reason, started, &config.budget)).flatten();
            match wait {
                Some(wait) => {
                    tracing::debug!(attempt, ?reason, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                _ => break outcome,
            }
        };
        tracing::Span::current().record("http.request.resend_count", attempt - 1 + u32::from(replayed));
        let mut context = ErrorContext::operation(op.id);
        if !op.idempotent {
            context = context.with_not_retried(NOT_RETRIED);
        }
        match outcome {
            Ok(answer) => prepared(answer, op),
            Err(Failure::Transport(error, _)) => refused_response(error, context, op),
            Err(Failure::Sealing(source)) => {
                refused_response(Error::Encryption { source, context: context.clone() }, context, op)
            }
        }
    }

    /// One attempt: a fresh copy of the request, sealed with a fresh key; the answer read whole and opened.
    async fn attempt(
        &self,
        template: &reqwest::Request,
        plaintext: Option<&[u8]>,
        op: &'static Operation,
    ) -> Result<Answer, Failure> {
        let config = &self.inner.config;
        let context = || ErrorContext::operation(op.id);
        let mut request = template.try_clone().ok_or_else(|| {
            let error = Error::InvalidRequest { message: "the request body is a stream".into(), context: context() };
            Failure::Transport(error, None)
        })?;
        let key = self.seal(&mut request, plaintext).map_err(Failure::Sealing)?;
        let deadline = config.attempt_timeout;
        let work = async {
            let response = self.client.execute(request).await.map_err(|e| {
                let reason = if e.is_timeout() { Retryable::Timeout } else { Retryable::Connection };
                (Error::from_reqwest(e, context()), Some(reason))
            })?;
            if response.url().origin() != config.origin {
                let origin = response.url().origin().ascii_serialization();
                let refusal = cardsdk_runtime::body::Refusal::Foreign(origin);
                return Err((
                    Error::Transport { message: refusal.to_string(), source: None, context: context() },
                    None,
                ));
            }
            let (status, version, headers) = (response.status(), response.version(), response.headers().clone());
            let limited = cardsdk_runtime::body::limit(response, config.max_response_bytes);
            let body = cardsdk_runtime::body::read_all(limited).await.map_err(|e| {
                // A body over the limit is refused, not retried; one that broke off is worth another try.
                let reason = cardsdk_runtime::body::refusal(&e).is_none().then_some(Retryable::Connection);
                (Error::from_reqwest(e, ErrorContext::answer(Some(op.id), status.as_u16(), &headers)), reason)
            })?;
            Ok(Answer { status, version, headers, body, code: None })
        };
        let mut answer = match tokio::time::timeout(deadline, work).await {
            Ok(Ok(answer)) => answer,
            Ok(Err((error, reason))) => return Err(Failure::Transport(error, reason)),
            Err(_) => {
                let refusal = cardsdk_runtime::body::Refusal::Deadline(deadline);
                let error = Error::Transport { message: refusal.to_string(), source: None, context: context() };
                return Err(Failure::Transport(error, Some(Retryable::Timeout)));
            }
        };
        if let Some(key) = key {
            open(&mut answer, &key).map_err(Failure::Sealing)?;
        }
        if !answer.status.is_success() {
            answer.code = error_code(&answer.body);
        }
        Ok(answer)
    }

    /// Seals `request` for one attempt (a fresh AES key and IV), or marks it unencrypted (UAT); returns the key
    /// that opens the answer.
    fn seal(
        &self,
        request: &mut reqwest::Request,
        plaintext: Option<&[u8]>,
    ) -> Result<Option<ResponseKey>, EncryptionError> {
        let Some(encryptor) = &self.inner.config.encryptor else {
            request.headers_mut().insert(ENABLE_ENCRYPTION, HeaderValue::from_static("false"));
            return Ok(None);
        };
        let sealed = match plaintext {
            Some(body) => Some(encryptor.seal(body)?),
            None => encryptor.seal_bodyless()?,
        };
        let Some(sealed) = sealed else { return Ok(None) };
        let headers = request.headers_mut();
        headers.insert(SESSION_NONCE, header(sealed.session_nonce()));
        headers.insert(AUTH_SIGNATURE, header(sealed.auth_signature()));
        if let Some(content_type) = sealed.content_type() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        let (body, key) = sealed.into_parts();
        if let Some(body) = body {
            request.headers_mut().remove(CONTENT_LENGTH);
            *request.body_mut() = Some(reqwest::Body::from(body));
        }
        Ok(Some(key))
    }
}

/// A Base64 header value (always valid ASCII), marked sensitive.
fn header(text: &str) -> HeaderValue {
    let mut value = HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}

/// Opens the answer's body in place. An empty body stays empty; a plaintext error answer is accepted (see the
/// module docs); a plaintext success is not.
fn open(answer: &mut Answer, key: &ResponseKey) -> Result<(), EncryptionError> {
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let nonce = answer.headers.get(SESSION_NONCE).and_then(|v| v.to_str().ok());
    match key.open(nonce, &answer.body) {
        Ok(plaintext) => {
            answer.body = plaintext;
            Ok(())
        }
        Err(EncryptionError::NotEncrypted) if !answer.status.is_success() => Ok(()),
        Err(error) => Err(error),
    }
}

/// `Some(login)` when the answer rejects the token: 1004 → log in; 401 or 1003 → renew.
fn rejected_token(answer: &Answer) -> Option<bool> {
    match answer.code {
        Some(1004) => Some(true),
        Some(1003) => Some(false),
        _ if answer.status == reqwest::StatusCode::UNAUTHORIZED => Some(false),
        _ => None,
    }
}

/// Why an outcome may deserve a retry (for safe operations only).
fn retryable(outcome: &Result<Answer, Failure>) -> Option<Retryable> {
    match outcome {
        Err(Failure::Transport(_, reason)) => *reason,
        Err(Failure::Sealing(_)) => None,
        Ok(answer) => {
            let after = cardsdk_runtime::retry::retry_after(&answer.headers);
            let code = answer.code;
            match answer.status.as_u16() {
                _ if code == Some(1005) => Some(Retryable::Throttled(after)),
                429 => Some(Retryable::Throttled(after)),
                502..=504 => Some(Retryable::Unavailable(after)),
                // A 500 without a VaultsPay code is the server's trouble; with one, a client mistake.
                500 if code.is_none() => Some(Retryable::Unavailable(after)),
                _ => None,
            }
        }
    }
}

/// The failure as a response that converts back into `error` (with `context`'s "not retried").
fn refused_response(error: Error, context: ErrorContext, op: &'static Operation) -> reqwest::Response {
    let error = match error {
        Error::Transport { message, source, context: mut c } => {
            c.not_retried = context.not_retried;
            Error::Transport { message, source, context: c }
        }
        other => other,
    };
    let key = REFUSALS.put(error);
    refused_answer(HeaderValue::from(key), op)
}

/// The answer in the shape the generated layer decodes.
fn prepared(answer: Answer, op: &'static Operation) -> reqwest::Response {
    let Answer { status, version, mut headers, body, .. } = answer;
    let body = if status.is_success() {
        shaped(body, op.enveloped)
    } else {
        headers.insert(OPERATION_HEADER, HeaderValue::from_static(op.id));
        if !op.idempotent {
            headers.insert(NOT_RETRIED_HEADER, HeaderValue::from_static("1"));
        }
        error_object(body, status)
    };
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.remove(CONTENT_LENGTH);
    headers.remove(reqwest::header::CONTENT_ENCODING);
    headers.remove(SESSION_NONCE);
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}

/// Wraps a bare answer of an envelope operation into `{data}`; unwraps `{data}` (alone, or with `message`) for
/// a bare operation. Anything else is passed on as it came.
fn shaped(body: Vec<u8>, enveloped: bool) -> Vec<u8> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return body;
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) else { return body };
    let is_envelope = value.as_object().is_some_and(|o| {
        o.contains_key("data") && o.keys().all(|k| matches!(k.as_str(), "data" | "pagination" | "message"))
    });
    match (enveloped, is_envelope) {
        (true, false) => serde_json::to_vec(&serde_json::json!({ "data": value })).unwrap_or(body),
        (false, true) if value.get("pagination").is_none() && value["data"].is_object() => {
            serde_json::to_vec(&value["data"]).unwrap_or(body)
        }
        _ => body,
    }
}

/// An error answer's body as a JSON object (`{message}` from the status when it is not one).
fn error_object(body: Vec<u8>, status: reqwest::StatusCode) -> Vec<u8> {
    if serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_object()) {
        return body;
    }
    let message = cardsdk_runtime::error_body::reason_phrase(status.as_u16()).unwrap_or("error");
    serde_json::json!({ "message": format!("HTTP {}: {message}", status.as_u16()) }).to_string().into_bytes()
}
