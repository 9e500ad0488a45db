//! The rules engine: each card's security settings ("block X" switches, all off at first) and transaction limits,
//! read, updated and reset; [`crate::purchase`] checks simulated card transactions against them.

use axum::extract::State;
use cardsdk_sandbox_kit::{Obj, Query, is_decimal_string};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::catalog::SECURITY_SETTINGS;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{self, Authed, Body};
use crate::respond;
use crate::state::{Inner, Limit, Setting, Shared};

/// The rule transaction types (`RuleTransactionType`).
const RULE_TYPES: [&str; 4] = ["ATM_WITHDRAWAL", "PURCHASE", "ALL", "DEPOSIT"];

/// The setting object.
pub(crate) fn setting_json(s: &Setting) -> Value {
    let (title, description, _, _) = SECURITY_SETTINGS.get(s.template).copied().unwrap_or(SECURITY_SETTINGS[0]);
    json!({
        "id": s.id,
        "transactionType": s.transaction_type,
        "title": title,
        "description": description,
        "enabled": s.enabled,
    })
}

fn card_settings(inner: &Inner, card_id: i64) -> Vec<Value> {
    inner.settings.iter().filter(|s| s.card_id == card_id).map(setting_json).collect()
}

fn existing_card(inner: &Inner, card_id: i64) -> ApiResult<()> {
    inner.cards.get(&card_id).map(|_| ()).ok_or_else(|| ApiError::unknown("cardId", "Card"))
}

/// `GET /re/api/v1/card-security?cardId=`.
pub(crate) async fn get_security(State(st): State<Shared>, _: Authed, q: Query) -> ApiResult {
    let card_id = extract::id(q.require("cardId")?, "cardId")?;
    let inner = st.inner();
    existing_card(&inner, card_id)?;
    respond::data(card_settings(&inner, card_id))
}

fn rule_type(b: &Obj) -> ApiResult<String> {
    let t = b.str("transactionType")?;
    if !RULE_TYPES.contains(&t.as_str()) {
        return Err(ApiError::invalid_payload("transactionType", "must be ATM_WITHDRAWAL, PURCHASE, ALL or DEPOSIT"));
    }
    Ok(t)
}

/// `"1"` / `"0"` (as documented; `1`, `0`, `true` and `false` are accepted too).
fn switch(b: &Obj) -> ApiResult<bool> {
    match b.opt_value("value") {
        None => Err(ApiError::invalid_payload("value", "must not be blank")),
        Some(Value::String(s)) if s == "1" => Ok(true),
        Some(Value::String(s)) if s == "0" => Ok(false),
        Some(Value::Bool(v)) => Ok(v),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(true),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(false),
        Some(_) => Err(ApiError::invalid_payload("value", "must be \"1\" (enable) or \"0\" (disable)")),
    }
}

/// `PUT /re/api/v1/card-security` `{transactionType, cardId, id, value}` (strings): switches a setting and links it
/// to `transactionType`.
pub(crate) async fn update_security(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let transaction_type = rule_type(&b)?;
    let card_id = b.int_or_digits("cardId")?;
    let id = b.int_or_digits("id")?;
    let enabled = switch(&b)?;
    let mut inner = st.inner();
    existing_card(&inner, card_id)?;
    let s = inner
        .settings
        .iter_mut()
        .find(|s| s.id == id && s.card_id == card_id)
        .ok_or_else(|| ApiError::unknown("id", "Card security setting"))?;
    s.enabled = enabled;
    s.transaction_type = transaction_type;
    respond::data(setting_json(s))
}

/// `PATCH /re/api/v1/card-security/reset` `{cardId}`: every setting off, linked to its original type.
pub(crate) async fn reset_security(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let card_id = b.int_or_digits("cardId")?;
    let mut inner = st.inner();
    existing_card(&inner, card_id)?;
    for s in inner.settings.iter_mut().filter(|s| s.card_id == card_id) {
        s.enabled = false;
        s.transaction_type = SECURITY_SETTINGS.get(s.template).map_or("ALL", |t| t.2).to_string();
    }
    respond::data(card_settings(&inner, card_id))
}

/// The limit object.
pub(crate) fn limit_json(l: &Limit) -> Value {
    json!({
        "id": l.id,
        "transactionType": l.transaction_type,
        "frequency": l.frequency,
        "currencyCode": l.currency,
        "limitType": l.limit_type,
        "slug": l.slug,
        "operator": l.operator,
        "thirdPartyConfig": l.third_party,
        "limit": l.limit,
        "allowedLimit": l.allowed,
    })
}

/// `GET /re/api/v1/transaction-limits?transactionType=&thirdPartyConfig=&cardId=` (no filter: every limit, the SaaS
/// app's own and every card's).
pub(crate) async fn get_limits(State(st): State<Shared>, _: Authed, q: Query) -> ApiResult {
    let card_id = q.non_empty("cardId").map(|v| extract::id(v, "cardId")).transpose()?;
    let inner = st.inner();
    if let Some(c) = card_id {
        existing_card(&inner, c)?;
    }
    let items: Vec<Value> = inner
        .limits
        .iter()
        .filter(|l| card_id.is_none_or(|c| l.card_id == Some(c)))
        .filter(|l| q.non_empty("transactionType").is_none_or(|t| l.transaction_type.eq_ignore_ascii_case(t)))
        .filter(|l| q.non_empty("thirdPartyConfig").is_none_or(|t| l.third_party.eq_ignore_ascii_case(t)))
        .map(limit_json)
        .collect();
    respond::data(items)
}

/// `PUT /re/api/v1/transaction-limits` `{transactionType, cardId?, id, value}` (strings): the new limit, written
/// back as sent; it may not exceed `allowedLimit` (500 / 1010).
pub(crate) async fn update_limit(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let transaction_type = rule_type(&b)?;
    let card_id = b.opt_int_or_digits("cardId")?;
    let id = b.int_or_digits("id")?;
    let value = b.str("value")?;
    let mut inner = st.inner();
    let l = inner.limits.iter_mut().find(|l| l.id == id).ok_or_else(|| ApiError::unknown("id", "Transaction limit"))?;
    if let Some(owner) = l.card_id
        && card_id != Some(owner)
    {
        return Err(ApiError::invalid_payload("cardId", "must be the card the limit belongs to"));
    }
    if !l.transaction_type.eq_ignore_ascii_case(&transaction_type) {
        return Err(ApiError::invalid_payload(
            "transactionType",
            format!("must be {} for this limit", l.transaction_type),
        ));
    }
    let numeric =
        if l.limit_type == "COUNT" { value.bytes().all(|c| c.is_ascii_digit()) } else { is_decimal_string(&value) };
    let parsed: Option<Decimal> = value.parse().ok().filter(|_| numeric && !value.is_empty());
    let Some(new) = parsed else {
        return Err(ApiError::invalid_payload("value", "must be a non-negative number in a string"));
    };
    if let Ok(allowed) = l.allowed.parse::<Decimal>()
        && new > allowed
    {
        return Err(ApiError::bad_request(format!("The limit cannot exceed the allowed limit of {}", l.allowed)));
    }
    l.limit = value;
    respond::data(limit_json(l))
}
