//! Request extractors: client key and tenant, bearer user, JSON and form bodies. The query string and the JSON
//! object with field checks are the kit's ([`Query`], [`Obj`]); their field errors become 400 `{"message"}`s.

use std::time::Instant;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header, request::Parts};
use bytes::Bytes;
use cardsdk_sandbox_kit::{BodyError, header_str, is_json_content_type, parse_object};
pub(crate) use cardsdk_sandbox_kit::{Obj, Query};
use serde_json::Value;

use crate::errors::{ApiError, ApiResult};
use crate::state::{Shared, State, Tenant};

fn is_true(v: &str) -> bool {
    v.eq_ignore_ascii_case("true") || v == "1"
}

/// The tenant a request addresses: `x-us-env: true` (header or query) or `region=us` selects the US tenant.
pub(crate) fn tenant_of(headers: &HeaderMap, query: &Query) -> Tenant {
    let us = header_str(headers, "x-us-env").is_some_and(is_true)
        || query.get("x-us-env").is_some_and(is_true)
        || query.get("region").is_some_and(|r| r.eq_ignore_ascii_case("us"));
    if us { Tenant::Us } else { Tenant::Intl }
}

/// Checks the client key (`x-client-key`, or also `X-Client-ID` when `alt_header`).
fn check_client_key(st: &State, headers: &HeaderMap, alt_header: bool, consent: bool) -> ApiResult<()> {
    let key = header_str(headers, "x-client-key")
        .or_else(|| alt_header.then(|| header_str(headers, "x-client-id")).flatten());
    let err = match key {
        None | Some("") => {
            let mut e = ApiError::missing_client_key();
            if consent {
                e.body["error"] = "Missing client key".into();
                e.body["details"] = serde_json::json!(["x-client-key header is required for all requests"]);
            }
            e
        }
        Some(k) if k == st.config.client_key => return Ok(()),
        Some(_) => {
            let mut e = ApiError::invalid_client_key();
            if consent {
                e.body["error"] = "Invalid client key".into();
                e.body["details"] = serde_json::json!(["The provided x-client-key is invalid or expired"]);
            }
            e
        }
    };
    Err(err)
}

/// Checks `x-secret-key`: `required` makes a missing one an error; a present one must always be right.
pub(crate) fn check_secret(st: &State, headers: &HeaderMap, required: bool) -> ApiResult<()> {
    match header_str(headers, "x-secret-key") {
        None | Some("") if !required => Ok(()),
        None | Some("") => Err(ApiError::invalid_client("Missing x-secret-key header")),
        Some(k) if crate::util::constant_time_eq(k.as_bytes(), st.config.secret_key.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::invalid_client("Invalid x-secret-key")),
    }
}

/// A request that passed the client-key check.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub(crate) tenant: Tenant,
    pub(crate) query: Query,
    pub(crate) headers: HeaderMap,
}

impl FromRequestParts<Shared> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Self, Self::Rejection> {
        let consent = parts.uri.path().starts_with("/v2/consent");
        check_client_key(st, &parts.headers, false, consent)?;
        let query = Query::parse(parts.uri.query());
        Ok(Client { tenant: tenant_of(&parts.headers, &query), query, headers: parts.headers.clone() })
    }
}

/// A request with a valid client key and a valid bearer token of the same tenant.
#[derive(Debug, Clone)]
pub(crate) struct Authed {
    pub(crate) tenant: Tenant,
    pub(crate) user_id: String,
    pub(crate) token: String,
    pub(crate) query: Query,
}

fn authenticate(st: &State, parts: &Parts, alt_header: bool) -> ApiResult<Authed> {
    check_client_key(st, &parts.headers, alt_header, false)?;
    let query = Query::parse(parts.uri.query());
    let tenant = tenant_of(&parts.headers, &query);
    let token = header_str(&parts.headers, header::AUTHORIZATION.as_str())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or_else(ApiError::not_authenticated)?
        .to_string();
    let user_id = user_of_token(st, &token, tenant)?;
    Ok(Authed { tenant, user_id, token, query })
}

/// The user of a live access token on `tenant` (401 otherwise).
pub(crate) fn user_of_token(st: &State, token: &str, tenant: Tenant) -> ApiResult<String> {
    let mut inner = st.inner();
    let Some(t) = inner.access_tokens.get(token) else {
        return Err(ApiError::not_authenticated());
    };
    if t.expires_at <= Instant::now() {
        inner.access_tokens.remove(token);
        return Err(ApiError::not_authenticated());
    }
    if t.tenant != tenant {
        return Err(ApiError::not_authenticated());
    }
    Ok(t.user_id.clone())
}

impl FromRequestParts<Shared> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Self, Self::Rejection> {
        authenticate(st, parts, false)
    }
}

/// Like [`Authed`], for the order routes, which also take the client key as `X-Client-ID`.
#[derive(Debug, Clone)]
pub(crate) struct OrderAuthed(pub(crate) Authed);

impl FromRequestParts<Shared> for OrderAuthed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Self, Self::Rejection> {
        authenticate(st, parts, true).map(OrderAuthed)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Bodies

/// A JSON object body (an empty body reads as `{}`), with field accessors that answer the documented 400s.
#[derive(Debug, Clone, Default)]
pub(crate) struct JsonBody(pub(crate) Obj);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (headers, bytes) = read_body(req, state).await?;
        parse_json_body(&headers, &bytes).map(JsonBody)
    }
}

/// The request's headers and whole body.
async fn read_body<S: Send + Sync>(req: Request, state: &S) -> ApiResult<(HeaderMap, Bytes)> {
    let headers = req.headers().clone();
    let bytes =
        Bytes::from_request(req, state).await.map_err(|_| ApiError::bad_request("Could not read the request body"))?;
    Ok((headers, bytes))
}

fn parse_json_body(headers: &HeaderMap, bytes: &[u8]) -> ApiResult<Obj> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Obj::default());
    }
    if !is_json_content_type(headers) {
        return Err(ApiError::message(415, "Content-Type must be application/json"));
    }
    parse_object(bytes).map_err(|e| match e {
        BodyError::NotAnObject => ApiError::bad_request("Request body must be a JSON object"),
        BodyError::Malformed => ApiError::bad_request("Malformed JSON body"),
    })
}

/// A form body (`application/x-www-form-urlencoded`) or a JSON object body, as string fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct FormOrJson(pub(crate) Vec<(String, String)>);

impl FormOrJson {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
}

impl<S: Send + Sync> FromRequest<S> for FormOrJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (headers, bytes) = read_body(req, state).await?;
        if is_json_content_type(&headers) {
            let obj = parse_json_body(&headers, &bytes)?;
            let fields = obj
                .into_map()
                .into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    Value::Number(n) => Some((k, n.to_string())),
                    Value::Bool(b) => Some((k, b.to_string())),
                    _ => None,
                })
                .collect();
            return Ok(FormOrJson(fields));
        }
        let fields = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .map_err(|_| ApiError::bad_request("Malformed form body"))?;
        Ok(FormOrJson(fields))
    }
}
