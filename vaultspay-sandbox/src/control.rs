//! The control routes, under `/__sandbox` (plaintext JSON, no token, never encrypted): what an admin, the card
//! network or the test itself does on the real service.
//!
//! - `GET /__sandbox`: base URL, client id, app id, RSA public key, padding, mode.
//! - `POST /__sandbox/kyc/{userId}` `{status: VERIFIED | REJECTED | PENDING}`: the admin's KYC verdict.
//! - `POST /__sandbox/purchase` `{cardId | cardToken, amount (minor units), currency, mcc?, type?: PURCHASE |
//!   ATM_WITHDRAWAL, online?, contactless?, country? (alpha-3), merchant?, city?}`: a card transaction, checked by
//!   the rules engine (see [`crate::purchase`]).
//! - `POST /__sandbox/accounts/{id}/deposit` `{amount (minor units), narration?}`: money in.
//! - `PUT /__sandbox/webhook` `{url, secret?, scheme?: timestamped | raw-body, header?}`; `DELETE` removes it.
//! - `POST /__sandbox/faults` `{method, path, from?, to?, kind?: status | latency | drop | truncate | malformed |
//!   wrong-content-type | html, status?, retryAfter?, latencyMs?}`; `DELETE` removes every rule.
//! - `POST /__sandbox/tokens/expire` `{refresh?: bool}`: every access token (and refresh token) expires now.

use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use cardsdk_sandbox_kit::{Fault, FaultRule, now_ms};
use rust_decimal::Decimal;
use serde_json::json;

use crate::KycStatus;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{self, Body};
use crate::money::from_minor;
use crate::state::{Callback, Inner, Money, Shared, Txn};
use crate::webhooks::SignatureScheme;
use crate::{accounts, catalog, kyc, purchase, respond, transactions};

/// Where the control routes live.
pub(crate) const PREFIX: &str = "/__sandbox";

/// The control routes (nested under [`PREFIX`]).
pub(crate) fn router() -> Router<Shared> {
    Router::new()
        .route("/", get(info))
        .route("/kyc/{userId}", post(kyc_verdict))
        .route("/purchase", post(simulate_purchase))
        .route("/accounts/{id}/deposit", post(deposit))
        .route("/webhook", put(set_webhook).delete(clear_webhook))
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/tokens/expire", post(expire_tokens))
        .fallback(|| async { ApiError::new(404, 404, "NOT_FOUND", "No such control route") })
}

async fn info(State(st): State<Shared>) -> ApiResult {
    respond::data(json!({
        "baseUrl": st.base_url,
        "clientId": st.config.client_id,
        "appId": st.config.app_id,
        "publicKey": st.keys.public_b64(),
        "rsaPadding": st.config.padding.name(),
        "mode": if st.config.uat { "UAT" } else { "PRODUCTION" },
        "agentId": st.seeded.agent.user_id,
    }))
}

async fn kyc_verdict(State(st): State<Shared>, Path(raw): Path<String>, Body(b): Body) -> ApiResult {
    let user_id = extract::id(&raw, "userId")?;
    let status = KycStatus::from_name(&b.str("status")?)
        .ok_or_else(|| ApiError::invalid_payload("status", "must be VERIFIED, REJECTED or PENDING"))?;
    if !kyc::set_status(&mut st.inner(), user_id, status) {
        return Err(ApiError::unknown("userId", "User"));
    }
    respond::data(json!({ "userId": user_id, "status": status.as_str() }))
}

async fn simulate_purchase(State(st): State<Shared>, Body(b): Body) -> ApiResult {
    purchase::simulate(&st, &b)
}

/// Credits an account with `minor` units (a Deposit transaction and a ledger row); returns the transaction id.
pub(crate) fn credit(inner: &mut Inner, account_id: i64, minor: i64, narration: &str, at: i64) -> ApiResult<i64> {
    let a = accounts::find(inner, account_id, "id")?.clone();
    let code = accounts::currency_code(&a);
    let major = from_minor(minor, catalog::DECIMAL_POINT);
    let id = transactions::record(
        inner,
        Txn {
            id: 0,
            uuid: String::new(),
            kind: "Deposit",
            at,
            status: "SUCCESS",
            total_charges: Decimal::ZERO,
            narration: narration.to_string(),
            user_id: Some(a.user_id),
            card_id: None,
            sender: None,
            receiver: Some(a.id),
            counterparty: None,
            billing: Money { amount: major, currency: code.to_string() },
            original: Money { amount: major, currency: code.to_string() },
            rate: Decimal::ONE,
            merchant: None,
            slug: "vp-acq",
            rule_type: None,
        },
    );
    accounts::post(inner, a.id, major, narration, (id, transactions::ref_id(id)), at);
    Ok(id)
}

async fn deposit(State(st): State<Shared>, Path(raw): Path<String>, Body(b): Body) -> ApiResult {
    let account_id = extract::id(&raw, "id")?;
    let minor = b.i64("amount")?;
    if minor <= 0 {
        return Err(ApiError::invalid_payload("amount", "must be a positive integer in minor units"));
    }
    let narration = b.opt_str("narration")?.unwrap_or_else(|| "DEPOSIT".to_string());
    let mut inner = st.inner();
    let txn = credit(&mut inner, account_id, minor, &narration, now_ms())?;
    let a = accounts::find(&inner, account_id, "id")?;
    respond::data(json!({ "transactionId": txn, "accountId": a.id, "balance": a.balance.to_string() }))
}

/// Reads a signature scheme name (`timestamped`, `raw-body`) and its header.
pub(crate) fn scheme(name: Option<&str>, header: Option<String>) -> ApiResult<SignatureScheme> {
    match name {
        None | Some("timestamped") => Ok(SignatureScheme::Timestamped),
        Some("raw-body") => {
            Ok(SignatureScheme::RawBody { header: header.unwrap_or_else(|| "VaultsPay-Signature".to_string()) })
        }
        Some(_) => Err(ApiError::invalid_payload("scheme", "must be timestamped or raw-body")),
    }
}

async fn set_webhook(State(st): State<Shared>, Body(b): Body) -> ApiResult {
    let url = b.str("url")?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ApiError::invalid_payload("url", "must be an http or https URL"));
    }
    let secret = b.opt_str("secret")?;
    let scheme = scheme(b.opt_str("scheme")?.as_deref(), b.opt_str("header")?)?;
    st.inner().webhook = Some(Callback { url: url.clone(), secret, scheme });
    respond::data(json!({ "url": url }))
}

async fn clear_webhook(State(st): State<Shared>) -> ApiResult {
    st.inner().webhook = None;
    respond::data(json!({ "url": null }))
}

async fn add_fault(State(st): State<Shared>, Body(b): Body) -> ApiResult {
    let method = b.str("method")?;
    let path = b.str("path")?;
    let from = b.opt_i64("from")?.unwrap_or(1).clamp(1, i64::from(u32::MAX)) as u32;
    let to = b.opt_i64("to")?.map(|n| n.clamp(1, i64::from(u32::MAX)) as u32);
    let status = || -> ApiResult<u16> {
        let s = b.opt_i64("status")?.unwrap_or(500);
        u16::try_from(s)
            .ok()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| ApiError::invalid_payload("status", "must be an HTTP status"))
    };
    let fault = match b.opt_str("kind")?.as_deref().unwrap_or("status") {
        "status" => match b.opt_str("retryAfter")? {
            Some(ra) => Fault::StatusWithRetryAfter(status()?, ra),
            None => Fault::Status(status()?),
        },
        "latency" => Fault::Latency(Duration::from_millis(b.opt_i64("latencyMs")?.unwrap_or(1000).max(0) as u64)),
        "drop" => Fault::DropConnection,
        "truncate" => Fault::TruncatedBody,
        "malformed" => Fault::MalformedJson,
        "wrong-content-type" => Fault::WrongContentType,
        "html" => Fault::Html(status()?),
        _ => {
            return Err(ApiError::invalid_payload(
                "kind",
                "must be status, latency, drop, truncate, malformed, wrong-content-type or html",
            ));
        }
    };
    let rule = FaultRule::on(method, path).fault(fault);
    st.faults.add(match to {
        Some(to) => rule.calls(from..=to),
        None => rule.calls(from..),
    });
    respond::data(json!({ "added": true }))
}

async fn clear_faults(State(st): State<Shared>) -> ApiResult {
    st.faults.clear();
    respond::data(json!({ "cleared": true }))
}

async fn expire_tokens(State(st): State<Shared>, Body(b): Body) -> ApiResult {
    let refresh = b.opt_bool("refresh")?.unwrap_or(false);
    let now = now_ms();
    let mut inner = st.inner();
    for exp in inner.access_tokens.values_mut() {
        *exp = (*exp).min(now);
    }
    if refresh {
        for exp in inner.refresh_tokens.values_mut() {
            *exp = (*exp).min(now);
        }
    }
    respond::data(json!({ "expired": true, "refresh": refresh }))
}
