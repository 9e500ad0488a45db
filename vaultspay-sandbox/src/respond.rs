//! Success answers: `{"data": ...}` envelopes, the bare objects the docs show for saas-login and Update KYC
//! Personal Info, and lists with a sibling `pagination`. Bodies are serialised straight to bytes, so that money
//! written as JSON number text (see [`crate::money`]) reaches the wire exactly.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::errors::{ApiError, ApiResult};
use crate::paging::Pagination;

#[derive(Serialize)]
struct Data<T> {
    data: T,
}

#[derive(Serialize)]
struct Page<T> {
    data: T,
    pagination: Pagination,
}

fn json_bytes<T: Serialize>(value: &T) -> ApiResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| ApiError::new(500, 500, "INTERNAL_SERVER_ERROR", e.to_string()))
}

/// A 200 JSON answer of these bytes.
pub(crate) fn json_response(status: u16, bytes: Vec<u8>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut resp = (status, bytes).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// 200 `{"data": payload}`.
pub(crate) fn data<T: Serialize>(payload: T) -> ApiResult {
    Ok(json_response(200, json_bytes(&Data { data: payload })?))
}

/// 200 with the payload itself (saas-login, Update KYC Personal Info).
pub(crate) fn bare<T: Serialize>(payload: T) -> ApiResult {
    Ok(json_response(200, json_bytes(&payload)?))
}

/// 200 `{"data": [...], "pagination": {...}}`.
pub(crate) fn page<T: Serialize>(items: Vec<T>, pagination: Pagination) -> ApiResult {
    Ok(json_response(200, json_bytes(&Page { data: items, pagination })?))
}
