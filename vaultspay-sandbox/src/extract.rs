//! Request extractors: the bearer token, the (already decrypted) JSON object body, ids in paths.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use bytes::Bytes;
use cardsdk_sandbox_kit::{BodyError, Obj, header_str, now_ms, parse_object};

use crate::errors::{ApiError, ApiResult};
use crate::state::Shared;

/// A request with a live access token: no `Authorization` is 401 / 1002, a token the sandbox never issued (or not
/// `Bearer <token>`) 400 / 1036 INVALID_TOKEN, an expired one 401 / 1003 TOKEN_EXPIRED.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Authed;

impl FromRequestParts<Shared> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Self, Self::Rejection> {
        let value = match header_str(&parts.headers, "authorization") {
            None | Some("") => return Err(ApiError::unauthenticated()),
            Some(v) => v,
        };
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::invalid_token)?;
        let inner = st.inner();
        match inner.access_tokens.get(token) {
            None => Err(ApiError::invalid_token()),
            Some(&expires) if expires <= now_ms() => Err(ApiError::token_expired()),
            Some(_) => Ok(Authed),
        }
    }
}

/// A JSON object body (an empty body reads as `{}`); malformed JSON is 422 / 1000 naming `body`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Body(pub(crate) Obj);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::invalid_payload("body", "could not be read"))?;
        parse_object(&bytes).map(Body).map_err(|e| match e {
            BodyError::Malformed => ApiError::invalid_payload("body", "must be valid JSON"),
            BodyError::NotAnObject => ApiError::invalid_payload("body", "must be a JSON object"),
        })
    }
}

/// An integer id from a path segment or query value (422 / 1000 naming `key` otherwise).
pub(crate) fn id(raw: &str, key: &str) -> ApiResult<i64> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::invalid_payload(key, "must be a positive integer"))
}
