//! Request extractors: client key and tenant, bearer user, query strings, JSON bodies with field checks.

use std::time::Instant;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header, request::Parts};
use bytes::Bytes;
use serde_json::{Map, Value};

use crate::errors::{ApiError, ApiResult};
use crate::state::{Shared, State, Tenant};

/// The parsed query string (repeated names keep their first value).
#[derive(Debug, Clone, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Query(raw.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok()).unwrap_or_default())
    }

    /// The value of `name`, `None` when absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of `name`, `None` when absent or empty.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A required, non-empty query parameter (400 `{"message": "<name> is required"}`).
    pub(crate) fn require(&self, name: &str) -> ApiResult<&str> {
        self.non_empty(name).ok_or_else(|| ApiError::required(name))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Query::parse(parts.uri.query()))
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

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

fn is_json_content_type(headers: &HeaderMap) -> bool {
    header_str(headers, header::CONTENT_TYPE.as_str()).is_some_and(|ct| {
        let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    })
}

fn parse_json_body(headers: &HeaderMap, bytes: &[u8]) -> ApiResult<Obj> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Obj::default());
    }
    if !is_json_content_type(headers) {
        return Err(ApiError::message(415, "Content-Type must be application/json"));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(Obj { map, prefix: String::new() }),
        Ok(_) => Err(ApiError::bad_request("Request body must be a JSON object")),
        Err(_) => Err(ApiError::bad_request("Malformed JSON body")),
    }
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
                .map
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

/// A JSON object with accessors whose errors name the field (`wallets[0].currency is required`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Obj {
    pub(crate) map: Map<String, Value>,
    prefix: String,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Obj {
    fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    /// Where this object is in the body (`wallets[0].`, empty at the top).
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    fn present(&self, field: &str) -> Option<&Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    fn wrong_type(&self, field: &str, want: &str) -> ApiError {
        ApiError::bad_request(format!("{} must be {want}", self.name(field)))
    }

    /// A required non-empty string.
    pub(crate) fn str(&self, field: &str) -> ApiResult<String> {
        self.opt_str(field)?.ok_or_else(|| ApiError::required(&self.name(field)))
    }

    /// An optional string (`null` and `""` read as absent).
    pub(crate) fn opt_str(&self, field: &str) -> ApiResult<Option<String>> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong_type(field, "a string")),
        }
    }

    /// A required boolean.
    pub(crate) fn bool(&self, field: &str) -> ApiResult<bool> {
        self.opt_bool(field)?.ok_or_else(|| ApiError::required(&self.name(field)))
    }

    /// An optional boolean.
    pub(crate) fn opt_bool(&self, field: &str) -> ApiResult<Option<bool>> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong_type(field, "a boolean")),
        }
    }

    /// A required non-negative integer.
    pub(crate) fn u64(&self, field: &str) -> ApiResult<u64> {
        match self.present(field) {
            None => Err(ApiError::required(&self.name(field))),
            Some(v) => v.as_u64().ok_or_else(|| self.wrong_type(field, "a non-negative integer")),
        }
    }

    /// A required array (may be empty).
    pub(crate) fn array(&self, field: &str) -> ApiResult<Vec<Value>> {
        match self.present(field) {
            None => Err(ApiError::required(&self.name(field))),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(self.wrong_type(field, "an array")),
        }
    }

    /// A required array of objects, each wrapped for its own field checks.
    pub(crate) fn objects(&self, field: &str) -> ApiResult<Vec<Obj>> {
        let items = self.array(field)?;
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(map) => Ok(Obj { map, prefix: format!("{}[{i}].", self.name(field)) }),
                other => Err(ApiError::bad_request(format!(
                    "{}[{i}] must be an object, not {}",
                    self.name(field),
                    type_name(&other)
                ))),
            })
            .collect()
    }

    /// An optional object.
    pub(crate) fn opt_object(&self, field: &str) -> ApiResult<Option<Obj>> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj { map: map.clone(), prefix: format!("{}.", self.name(field)) })),
            Some(_) => Err(self.wrong_type(field, "an object")),
        }
    }

    /// An optional JSON value as sent.
    pub(crate) fn opt_value(&self, field: &str) -> Option<Value> {
        self.present(field).cloned()
    }
}
