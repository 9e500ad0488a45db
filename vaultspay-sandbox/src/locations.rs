//! Countries, states and cities: small static lists (coordinates as strings), not paginated.

use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::catalog::{CITIES, COUNTRIES, Country, REFERENCE_CREATED_AT, STATES, country_by_id, state_by_id};
use crate::errors::{ApiError, ApiResult};
use crate::extract::Authed;
use crate::respond;
use crate::state::Shared;

/// The country object.
pub(crate) fn country_json(c: &Country) -> Value {
    json!({
        "createdAt": REFERENCE_CREATED_AT,
        "id": c.id,
        "name": c.name,
        "iso2": c.iso2,
        "phoneCode": c.phone_code,
        "capital": c.capital,
        "currency": c.currency,
        "currencySymbol": c.currency_symbol,
        "region": c.region,
        "latitude": c.latitude,
        "longitude": c.longitude,
        "nationality": c.nationality,
    })
}

/// `GET /us/api/v1/countries`.
pub(crate) async fn countries(State(_): State<Shared>, _: Authed) -> ApiResult {
    respond::data(COUNTRIES.iter().map(country_json).collect::<Vec<_>>())
}

/// The documented 400 / 1401 BAD_REQUEST "Invalid or missing <name> parameter.".
fn invalid_param(name: &str) -> ApiError {
    ApiError::new(400, 1401, "BAD_REQUEST", format!("Invalid or missing {name} parameter."))
}

/// A path id, or [`invalid_param`].
fn location_id(raw: &str, name: &str) -> ApiResult<i64> {
    raw.trim().parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| invalid_param(name))
}

/// `GET /us/api/v1/states/{countryId}`: an unknown or malformed id is 400 / 1401 (as documented).
pub(crate) async fn states(State(_): State<Shared>, _: Authed, Path(raw): Path<String>) -> ApiResult {
    let country_id = location_id(&raw, "countryId")?;
    if country_by_id(country_id).is_none() {
        return Err(invalid_param("countryId"));
    }
    let states: Vec<Value> = STATES
        .iter()
        .filter(|s| s.4 == country_id)
        .map(|s| json!({ "id": s.0, "name": s.1, "latitude": s.2, "longitude": s.3, "countryId": s.4 }))
        .collect();
    respond::data(states)
}

/// `GET /us/api/v1/cities/{stateId}`: each city with its country and state objects; an unknown or malformed id is
/// 400 / 1401 like the states' (the sandbox's choice: not documented).
pub(crate) async fn cities(State(_): State<Shared>, _: Authed, Path(raw): Path<String>) -> ApiResult {
    let state_id = location_id(&raw, "stateId")?;
    let Some(state) = state_by_id(state_id) else {
        return Err(invalid_param("stateId"));
    };
    let country = country_by_id(state.4).map(country_json).unwrap_or(Value::Null);
    let state_json = json!({
        "id": state.0, "name": state.1, "latitude": state.2, "longitude": state.3, "country": country,
    });
    let cities: Vec<Value> = CITIES
        .iter()
        .filter(|c| c.4 == state_id)
        .map(|c| {
            json!({
                "id": c.0, "name": c.1, "latitude": c.2, "longitude": c.3,
                "country": country, "state": state_json,
            })
        })
        .collect();
    respond::data(cities)
}
