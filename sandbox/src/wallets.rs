//! Wallets: credit, reward, internal (custodial), external (delegated) with exact decimal balances; withdrawals
//! that debit exactly once; history pages of 10; whitelist; priorities; card-linked wallets.

use std::collections::HashSet;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult, json_status, ok};
use crate::extract::{Authed, JsonBody};
use crate::state::{CustodialWallet, HistoryEntry, InternalWallet, Shared, User, WhitelistEntry};
use crate::util;

/// Wallet-history page size (documented: fixed at 10).
const HISTORY_PAGE: usize = 10;

fn with_user<T>(st: &Shared, a: &Authed, f: impl FnOnce(&mut User) -> ApiResult<T>) -> ApiResult<T> {
    let mut inner = st.inner();
    let u = inner.user_mut(&a.user_id).ok_or_else(ApiError::not_authenticated)?;
    f(u)
}

fn custodial_json(w: &CustodialWallet, kind: &str) -> Value {
    json!({
        "id": w.id,
        "balance": w.balance.to_string(),
        "currency": w.currency,
        "isWithdrawable": w.is_withdrawable,
        "type": kind,
        // Undocumented members the live API sends.
        "network": "linea",
        "lockedBalance": "0.00",
    })
}

/// `GET /v1/wallet/credit`.
pub(crate) async fn credit(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    with_user(&st, &a, |u| Ok(ok(custodial_json(&u.wallets.credit, "CREDIT"))))
}

/// `GET /v1/wallet/reward`.
pub(crate) async fn reward(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    with_user(&st, &a, |u| Ok(ok(custodial_json(&u.wallets.reward, "REWARD"))))
}

/// The fee estimate: the documented `eth` and `usdc` (29 decimals), and `wei` as a long integer string beyond
/// `rust_decimal`'s range (on-chain base units can be), plus the undocumented `gasLimit` (a JSON number).
pub(crate) async fn estimation(_a: Authed) -> ApiResult<Response> {
    Ok(ok(json!({
        "wei": "123456789012345678901234567890",
        "eth": "0.000006219123007416",
        "usdc": "0.01644666445335518319452825472",
        "gasLimit": 21000,
    })))
}

fn read_amount(b: &crate::extract::Obj) -> ApiResult<Decimal> {
    let raw = b.str("amount")?;
    util::parse_amount(&raw)
        .ok_or_else(|| ApiError::bad_request("amount must be a positive decimal string, e.g. \"10.00\""))
}

fn withdraw_custodial(st: &Shared, a: &Authed, b: &crate::extract::Obj, reward: bool) -> ApiResult<Response> {
    let amount = read_amount(b)?;
    with_user(st, a, |u| {
        if !u.wallets.external.iter().any(|w| w.network == "linea") {
            return Err(ApiError::bad_request("No external Linea wallet registered: complete delegation first"));
        }
        let (w, name) = if reward {
            (&mut u.wallets.reward, "Reward withdrawal")
        } else {
            (&mut u.wallets.credit, "Credit withdrawal")
        };
        if !w.is_withdrawable {
            return Err(ApiError::bad_request("Wallet is not withdrawable"));
        }
        if amount > w.balance {
            return Err(ApiError::bad_request("Insufficient balance"));
        }
        w.balance -= amount;
        w.history.insert(
            0,
            HistoryEntry {
                name: name.into(),
                amount,
                currency: w.currency.clone(),
                sign: "debit",
                date: util::now_iso(),
            },
        );
        Ok(ok(json!({ "txHash": format!("0x{}", util::random_hex(64)) })))
    })
}

/// `POST /v1/wallet/credit/withdraw` `{"amount":"10.00"}` → `{"txHash"}`.
pub(crate) async fn credit_withdraw(State(st): State<Shared>, a: Authed, JsonBody(b): JsonBody) -> ApiResult<Response> {
    withdraw_custodial(&st, &a, &b, false)
}

/// `POST /v1/wallet/reward/withdraw`.
pub(crate) async fn reward_withdraw(State(st): State<Shared>, a: Authed, JsonBody(b): JsonBody) -> ApiResult<Response> {
    withdraw_custodial(&st, &a, &b, true)
}

fn internal_json(w: &InternalWallet) -> Value {
    json!({
        "id": w.id,
        "balance": w.balance.to_string(),
        "currency": w.currency,
        "address": w.address,
        "addressMemo": w.address_memo,
        "addressId": w.address_id,
        "type": "INTERNAL",
    })
}

/// `GET /v1/wallet/internal`.
pub(crate) async fn internal(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    with_user(&st, &a, |u| Ok(ok(Value::Array(u.wallets.internal.iter().map(internal_json).collect()))))
}

/// The networks and currencies of internal wallets (guide table).
const INTERNAL_KINDS: [(&str, &str); 8] = [
    ("linea", "usdc"),
    ("linea", "usdt"),
    ("ethereum", "usdc"),
    ("ethereum", "usdt"),
    ("solana", "usdc"),
    ("solana", "usdt"),
    ("solana", "sol"),
    ("xrp", "xrp"),
];

/// `POST /v1/wallet/internal` (guide): creates internal wallets, idempotent per (network, currency).
pub(crate) async fn create_internal(State(st): State<Shared>, a: Authed, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let wanted = b.objects("wallets")?;
    let mut pairs = Vec::new();
    for w in &wanted {
        let network = w.str("network")?.to_ascii_lowercase();
        let currency = w.str("currency")?.to_ascii_lowercase();
        let known = INTERNAL_KINDS.contains(&(network.as_str(), currency.as_str()))
            || (network == "bitcoin" && currency == "btc");
        if !known {
            return Err(ApiError::validation(format!("Unsupported network/currency: {network}/{currency}")));
        }
        pairs.push((network, currency));
    }
    with_user(&st, &a, |u| {
        for (network, currency) in pairs {
            if u.wallets.internal.iter().any(|w| w.network == network && w.currency == currency) {
                continue;
            }
            let evm = u.wallets.internal.iter().find(|w| w.address.starts_with("0x")).map(|w| w.address.clone());
            let id = util::random_uuid();
            let address = match network.as_str() {
                "xrp" => format!("r{}", util::random_alnum(33)),
                "solana" | "bitcoin" => util::random_alnum(44),
                _ => evm.unwrap_or_else(|| format!("0x{}", util::random_hex(40))),
            };
            u.wallets.internal.push(InternalWallet {
                id: id.clone(),
                balance: Decimal::ZERO,
                currency,
                address_memo: (network == "xrp").then(|| (10 + rand::random::<u8>() % 90).to_string()),
                network,
                address,
                address_id: id,
                history: Vec::new(),
            });
        }
        Ok(ok(json!({ "success": true })))
    })
}

/// `POST /v1/wallet/internal/withdraw` (to a whitelisted address only).
pub(crate) async fn internal_withdraw(
    State(st): State<Shared>,
    a: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let amount = read_amount(&b)?;
    let recipient = b.str("recipientAddrss")?;
    let recipient_memo = b.opt_str("recipientMemo")?;
    let source = b.str("sourceAddress")?;
    let source_memo = b.opt_str("sourceMemo")?;
    let currency = b.str("currency")?.to_ascii_lowercase();
    with_user(&st, &a, |u| {
        let wl = u
            .wallets
            .whitelist
            .iter_mut()
            .find(|e| e.currency == currency && e.wallet_address == recipient)
            .ok_or_else(|| {
                ApiError::validation("Validation Error: recipient address is not whitelisted for this currency")
            })?;
        if wl.wallet_memo.is_some() && wl.wallet_memo != recipient_memo {
            return Err(ApiError::validation("Validation Error: recipientMemo does not match the whitelisted memo"));
        }
        let w = u
            .wallets
            .internal
            .iter_mut()
            .find(|w| w.address == source && w.currency == currency)
            .ok_or_else(|| ApiError::bad_request("Source wallet not found for sourceAddress and currency"))?;
        if w.address_memo.is_some() && source_memo.is_some() && w.address_memo != source_memo {
            return Err(ApiError::bad_request("sourceMemo does not match the source wallet"));
        }
        if amount > w.balance {
            return Err(ApiError::bad_request("Insufficient balance"));
        }
        w.balance -= amount;
        let now = util::now_iso();
        w.history.insert(
            0,
            HistoryEntry {
                name: "Withdrawal".into(),
                amount,
                currency: currency.clone(),
                sign: "debit",
                date: now.clone(),
            },
        );
        wl.last_used_at = Some(now);
        Ok(ok(json!({ "success": true })))
    })
}

/// `GET /v1/wallet/history?walletId&walletType&walletCurrency&page`.
pub(crate) async fn history(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    let q = &a.query;
    let wallet_id = q.require("walletId")?.to_string();
    let wallet_type = q.require("walletType")?.to_ascii_uppercase();
    let currency = q.non_empty("walletCurrency").map(str::to_ascii_lowercase);
    // Documented: missing or invalid page values fall back to page 0.
    let page = q.get("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(0);
    with_user(&st, &a, |u| {
        let entries: &[HistoryEntry] = match wallet_type.as_str() {
            "CREDIT" if u.wallets.credit.id == wallet_id => &u.wallets.credit.history,
            "REWARD" if u.wallets.reward.id == wallet_id => &u.wallets.reward.history,
            "CREDIT" | "REWARD" => return Err(ApiError::not_found("Wallet not found")),
            "INTERNAL" => {
                let currency = currency
                    .ok_or_else(|| ApiError::bad_request("walletCurrency is required when walletType is INTERNAL"))?;
                &u.wallets
                    .internal
                    .iter()
                    .find(|w| w.id == wallet_id && w.currency == currency)
                    .ok_or_else(|| ApiError::not_found("Wallet not found"))?
                    .history
            }
            _ => return Err(ApiError::bad_request("walletType must be one of CREDIT, REWARD, INTERNAL")),
        };
        let items: Vec<Value> = entries
            .iter()
            .skip(page.saturating_mul(HISTORY_PAGE))
            .take(HISTORY_PAGE)
            .map(|e| json!({ "name": e.name, "amount": e.amount.to_string(), "currency": e.currency, "sign": e.sign, "date": e.date }))
            .collect();
        Ok(ok(Value::Array(items)))
    })
}

/// One item of `GET /v1/wallet/external`: the amounts are raw JSON (a string or an exact number), so the answer
/// is serialised from this struct rather than through a `serde_json::Value` (whose numbers are `f64`).
#[derive(Serialize)]
struct ExternalOut<'a> {
    /// Undocumented: the numeric priority id.
    id: u64,
    address: &'a str,
    currency: &'a str,
    balance: Box<RawValue>,
    allowance: Box<RawValue>,
    network: &'a str,
    /// Undocumented: the wallet's priority.
    priority: u32,
}

/// `GET /v1/wallet/external`: as the live API answers, with an undocumented numeric `id` and `priority`, and
/// amounts that may be JSON numbers or exceed `rust_decimal` (an unlimited ERC-20 approval).
pub(crate) async fn external(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    with_user(&st, &a, |u| {
        let mut list = u.wallets.external.clone();
        list.sort_by_key(|w| w.priority);
        let out: Vec<ExternalOut<'_>> = list
            .iter()
            .map(|w| ExternalOut {
                id: w.priority_id,
                address: &w.address,
                currency: &w.currency,
                balance: w.balance.raw(),
                allowance: w.allowance.raw(),
                network: &w.network,
                priority: w.priority,
            })
            .collect();
        Ok(axum::Json(out).into_response())
    })
}

/// `GET /v1/wallet/external/priority`.
pub(crate) async fn external_priority(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    with_user(&st, &a, |u| {
        let mut list = u.wallets.external.clone();
        list.sort_by_key(|w| w.priority);
        Ok(ok(Value::Array(
            list.iter()
                .map(|w| {
                    json!({ "id": w.priority_id, "address": w.address, "currency": w.currency, "network": w.network, "priority": w.priority })
                })
                .collect(),
        )))
    })
}

fn soft_refusal(message: impl Into<String>) -> Response {
    ok(json!({ "success": false, "message": message.into() }))
}

fn read_priorities<K: Clone + Eq + std::hash::Hash>(
    b: &crate::extract::Obj,
    key: impl Fn(&crate::extract::Obj) -> ApiResult<K>,
    dup_message: &str,
) -> ApiResult<Vec<(K, u32)>> {
    let mut out = Vec::new();
    for w in b.objects("wallets")? {
        let k = key(&w)?;
        let p = u32::try_from(w.u64("priority")?).map_err(|_| ApiError::bad_request("priority is too large"))?;
        out.push((k, p));
    }
    let distinct: HashSet<u32> = out.iter().map(|(_, p)| *p).collect();
    if distinct.len() != out.len() || out.iter().any(|(_, p)| *p == 0) {
        return Err(ApiError::validation(dup_message));
    }
    Ok(out)
}

/// `PUT /v1/wallet/external/priority` `{"wallets":[{"id","priority"}]}`.
pub(crate) async fn set_external_priority(
    State(st): State<Shared>,
    a: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let wanted = read_priorities(&b, |w| Ok(w.u64("id")?), "Invalid priority configuration")?;
    with_user(&st, &a, |u| {
        if let Some((id, _)) = wanted.iter().find(|(id, _)| !u.wallets.external.iter().any(|w| w.priority_id == *id)) {
            return Ok(soft_refusal(format!("Unknown external wallet id {id}")));
        }
        if wanted.len() != u.wallets.external.len() {
            return Ok(soft_refusal("Every registered external wallet must be listed"));
        }
        for (id, p) in wanted {
            if let Some(w) = u.wallets.external.iter_mut().find(|w| w.priority_id == id) {
                w.priority = p;
            }
        }
        Ok(ok(json!({ "success": true })))
    })
}

fn linked_json(u: &User) -> Value {
    let mut linked = u.wallets.card_linked.clone();
    linked.sort_by_key(|(_, p)| *p);
    Value::Array(
        linked
            .iter()
            .filter_map(|(addr_id, p)| {
                let w = u.wallets.internal.iter().find(|w| &w.address_id == addr_id)?;
                Some(json!({ "id": w.address_id, "address": w.address, "currency": w.currency, "network": w.network, "priority": p }))
            })
            .collect(),
    )
}

/// `GET /v1/wallet/internal/card_linked`.
pub(crate) async fn card_linked(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    with_user(&st, &a, |u| Ok(ok(linked_json(u))))
}

/// `POST /v1/wallet/internal/card_linked` `{"addressId"}` (201; refusals are HTTP 200 `success:false`).
pub(crate) async fn link_card_wallet(
    State(st): State<Shared>,
    a: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let address_id = b.str("addressId")?;
    with_user(&st, &a, |u| {
        if !u.wallets.internal.iter().any(|w| w.address_id == address_id) {
            return Ok(soft_refusal("Wallet not found"));
        }
        if u.wallets.card_linked.iter().any(|(id, _)| *id == address_id) {
            return Ok(soft_refusal("Wallet is already linked to the card"));
        }
        if u.wallets.card_linked.len() >= 5 {
            return Err(ApiError::validation("Validation Error: at most 5 wallets can be linked to the card"));
        }
        let next = u.wallets.card_linked.iter().map(|(_, p)| *p).max().unwrap_or(0) + 1;
        u.wallets.card_linked.push((address_id, next));
        Ok(json_status(201, json!({ "success": true })))
    })
}

/// `DELETE /v1/wallet/internal/card_linked` `{"addressId"}`.
pub(crate) async fn unlink_card_wallet(
    State(st): State<Shared>,
    a: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let address_id = b.str("addressId")?;
    with_user(&st, &a, |u| {
        let before = u.wallets.card_linked.len();
        u.wallets.card_linked.retain(|(id, _)| *id != address_id);
        if u.wallets.card_linked.len() == before {
            return Ok(soft_refusal("Wallet is not linked to the card"));
        }
        Ok(ok(json!({ "success": true })))
    })
}

/// `PUT /v1/wallet/internal/card_linked/priority` `{"wallets":[{"addressId","priority"}]}`: linked wallets left
/// out are unlinked, as the docs warn.
pub(crate) async fn set_card_linked_priority(
    State(st): State<Shared>,
    a: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let wanted = read_priorities(&b, |w| Ok(w.str("addressId")?), "Duplicate priority values not allowed")?;
    with_user(&st, &a, |u| {
        if let Some((id, _)) = wanted.iter().find(|(id, _)| !u.wallets.card_linked.iter().any(|(l, _)| l == id)) {
            return Ok(soft_refusal(format!("Wallet {id} is not linked to the card")));
        }
        u.wallets.card_linked = wanted;
        Ok(ok(json!({ "success": true })))
    })
}

fn whitelist_json(e: &WhitelistEntry) -> Value {
    json!({
        "id": e.id,
        "name": e.name,
        "beneficiaryFirstName": e.beneficiary_first_name,
        "beneficiaryLastName": e.beneficiary_last_name,
        "walletAddress": e.wallet_address,
        "walletMemo": e.wallet_memo,
        "currency": e.currency,
        "lastUsedAt": e.last_used_at,
        "createdAt": e.created_at,
    })
}

/// `GET /v1/wallet/whitelist?currency=..`.
pub(crate) async fn whitelist(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    let currency = a.query.require("currency")?.to_ascii_lowercase();
    with_user(&st, &a, |u| {
        Ok(ok(Value::Array(
            u.wallets.whitelist.iter().filter(|e| e.currency == currency).map(whitelist_json).collect(),
        )))
    })
}

fn address_fits(currency: &str, address: &str) -> bool {
    match currency {
        "xrp" => address.starts_with('r') && util::is_base58(address, 25, 35),
        "btc" => (26..=62).contains(&address.len()) && address.bytes().all(|c| c.is_ascii_alphanumeric()),
        "sol" => util::is_base58(address, 32, 44),
        "xlm" => address.len() == 56 && address.starts_with('G'),
        // usdc / usdt / eth: EVM, or Solana SPL for usdc/usdt.
        _ => util::is_0x_hex(address, 40) || (currency != "eth" && util::is_base58(address, 32, 44)),
    }
}

/// `POST /v1/wallet/whitelist` `{"wallets":[..]}` (201).
pub(crate) async fn add_whitelist(State(st): State<Shared>, a: Authed, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let mut new = Vec::new();
    let items = b.objects("wallets")?;
    if items.is_empty() {
        return Err(ApiError::bad_request("wallets must not be empty"));
    }
    for w in items {
        let currency = w.str("currency")?.to_ascii_lowercase();
        let name = w.str("name")?;
        let first = w.str("beneficiaryFirstName")?;
        let last = w.str("beneficiaryLastName")?;
        let address = w.str("walletAddress")?;
        let memo = w.opt_str("walletMemo")?;
        if !address_fits(&currency, &address) {
            // One of the live API's other error shapes: a list of field errors.
            return Err(ApiError::field_errors(
                422,
                &format!("{}walletAddress", w.prefix()),
                format!("{address} is not a valid {currency} address"),
            ));
        }
        if matches!(currency.as_str(), "xrp" | "xlm") && memo.is_none() {
            return Err(ApiError::validation(format!("Validation Error: walletMemo is required for {currency}")));
        }
        new.push(WhitelistEntry {
            id: util::random_uuid(),
            name,
            beneficiary_first_name: first,
            beneficiary_last_name: last,
            wallet_address: address,
            wallet_memo: memo,
            currency,
            last_used_at: None,
            created_at: util::now_iso(),
        });
    }
    with_user(&st, &a, |u| {
        for e in &new {
            let dup = u.wallets.whitelist.iter().any(|x| {
                x.currency == e.currency && x.wallet_address == e.wallet_address && x.wallet_memo == e.wallet_memo
            });
            if dup {
                return Err(ApiError::validation(format!(
                    "Validation Error: {} is already whitelisted",
                    e.wallet_address
                )));
            }
        }
        u.wallets.whitelist.extend(new);
        Ok(json_status(201, json!({ "success": true })))
    })
}

/// `DELETE /v1/wallet/whitelist` `{"walletIds":[..]}` (422 `Invalid wallet ID`, nothing removed, on any unknown id).
pub(crate) async fn remove_whitelist(
    State(st): State<Shared>,
    a: Authed,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let ids = b.array("walletIds")?;
    let ids: Vec<String> = ids
        .into_iter()
        .map(|v| {
            v.as_str().map(str::to_string).ok_or_else(|| ApiError::bad_request("walletIds must be an array of strings"))
        })
        .collect::<ApiResult<_>>()?;
    if ids.is_empty() {
        return Err(ApiError::bad_request("walletIds must not be empty"));
    }
    with_user(&st, &a, |u| {
        if ids.iter().any(|id| !u.wallets.whitelist.iter().any(|e| &e.id == id)) {
            return Err(ApiError::validation("Invalid wallet ID"));
        }
        u.wallets.whitelist.retain(|e| !ids.contains(&e.id));
        Ok(ok(json!({ "success": true })))
    })
}
