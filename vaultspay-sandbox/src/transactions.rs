//! Transactions: transfers, card purchases and ATM withdrawals (posted or declined by the rules engine), and
//! deposits (a control call), listed newest first with filters and pages, or read one at a time.

use axum::extract::{Path, State};
use cardsdk_sandbox_kit::{Query, TimeForm, format_time, parse_instant, random_uuid};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::catalog;
use crate::errors::{ApiError, ApiResult};
use crate::extract::{self, Authed};
use crate::money::{Num, amount};
use crate::state::{Inner, Shared, Txn};
use crate::{paging, respond};

/// `************0907`: all but the last four characters masked.
pub(crate) fn mask(number: &str) -> String {
    let n = number.chars().count();
    number.chars().enumerate().map(|(i, c)| if i + 4 < n { '*' } else { c }).collect()
}

/// A 14-digit gateway reference (`transactionRefId`) from a transaction id.
pub(crate) fn ref_id(txn_id: i64) -> i64 {
    13_432_435_400_000 + txn_id
}

/// Records a transaction (its id and UUID assigned here) and returns its id.
pub(crate) fn record(inner: &mut Inner, mut t: Txn) -> i64 {
    t.id = crate::state::next(&mut inner.ids.transaction);
    if t.uuid.is_empty() {
        t.uuid = random_uuid();
    }
    let id = t.id;
    inner.transactions.push(t);
    id
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AmountView {
    amount: Num,
    currency_code: String,
    amount_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Conversions {
    #[serde(rename = "transactionToBillingCR")]
    to_billing_rate: Num,
}

/// The transaction object (list items and detail alike).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TxnView {
    id: i64,
    transaction_id: String,
    transaction_type: &'static str,
    date_time: String,
    status: &'static str,
    total_charges: Num,
    narration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    card: Option<Value>,
    billing_amount: AmountView,
    transaction_amount: AmountView,
    conversions: Conversions,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender_account: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    receiver_account: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    merchant: Option<Value>,
    api_status: &'static str,
    third_party_config_slug: &'static str,
    charges: Vec<Value>,
}

fn account_ref(inner: &Inner, id: i64) -> Option<Value> {
    let a = inner.accounts.get(&id)?;
    Some(json!({
        "id": a.id,
        "userId": a.user_id,
        "accountTitle": a.title,
        "accountNumber": mask(&a.number),
        "accountType": a.account_type,
        "iban": a.iban,
    }))
}

/// The view of a transaction.
pub(crate) fn view(inner: &Inner, t: &Txn) -> TxnView {
    let card = t.card_id.and_then(|id| inner.cards.get(&id)).map(|c| {
        let tier = catalog::tier(c.tier_id);
        json!({
            "id": c.id,
            "cardToken": c.token,
            "lastFourDigits": crate::cards::last_four(c),
            "cardType": c.card_type,
            "cardTierId": c.tier_id,
            "cardNetwork": tier.map_or("", |t| t.network),
            "paymentCardType": tier.map_or("", |t| t.payment_card_type),
        })
    });
    let receiver = match (t.receiver, &t.counterparty_json()) {
        (Some(id), _) => account_ref(inner, id),
        (None, Some(v)) => Some(v.clone()),
        (None, None) => None,
    };
    let (location, merchant) = match &t.merchant {
        Some(m) => (
            Some(json!({ "id": m.id + 6000, "countryCode": m.country_code })),
            Some(json!({
                "id": m.id, "mcc": m.mcc, "name": m.name, "city": m.city, "country": m.country,
                "countryCode": m.country_code,
            })),
        ),
        None => (None, None),
    };
    TxnView {
        id: t.id,
        transaction_id: t.uuid.clone(),
        transaction_type: t.kind,
        date_time: format_time(t.at, TimeForm::MillisZeroOffset),
        status: t.status,
        total_charges: amount(t.total_charges),
        narration: t.narration.clone(),
        card,
        billing_amount: AmountView {
            amount: amount(t.billing.amount),
            currency_code: t.billing.currency.clone(),
            amount_type: "BILLING",
        },
        transaction_amount: AmountView {
            amount: amount(t.original.amount),
            currency_code: t.original.currency.clone(),
            amount_type: "TRANSACTION",
        },
        conversions: Conversions { to_billing_rate: amount(t.rate) },
        sender_account: t.sender.and_then(|id| account_ref(inner, id)),
        receiver_account: receiver,
        location,
        merchant,
        api_status: t.status,
        third_party_config_slug: t.slug,
        charges: Vec::new(),
    }
}

impl Txn {
    /// The receiver of a transfer to a payment contact outside the sandbox (`None` otherwise).
    fn counterparty_json(&self) -> Option<Value> {
        let (title, iban) = self.counterparty.as_ref()?;
        let mut m = Map::new();
        m.insert("accountTitle".into(), title.clone().into());
        m.insert("iban".into(), iban.clone().into());
        Some(Value::Object(m))
    }
}

fn instant(q: &Query, name: &str, end: bool) -> ApiResult<Option<i64>> {
    let Some(v) = q.non_empty(name) else {
        return Ok(None);
    };
    let ms =
        parse_instant(v).ok_or_else(|| ApiError::invalid_payload(name, "must be an ISO 8601 date or date-time"))?;
    Ok(Some(if end && !v.contains('T') { ms + 86_400_000 - 1 } else { ms }))
}

/// `GET /tme/api/v1/transactions`: newest first, paged; the docs name no filter parameters, the sandbox takes
/// `status`, `transactionType`, `accountId` (sender or receiver), `cardId`, `userId`, `startDate`, `endDate`.
pub(crate) async fn list(State(st): State<Shared>, _: Authed, q: Query) -> ApiResult {
    let page = paging::request(&q)?;
    let ids = |name: &str| q.non_empty(name).map(|v| extract::id(v, name)).transpose();
    let (account, card, user) = (ids("accountId")?, ids("cardId")?, ids("userId")?);
    let (start, end) = (instant(&q, "startDate", false)?, instant(&q, "endDate", true)?);
    let inner = st.inner();
    let items: Vec<TxnView> = inner
        .transactions
        .iter()
        .rev()
        .filter(|t| q.non_empty("status").is_none_or(|s| t.status.eq_ignore_ascii_case(s)))
        .filter(|t| q.non_empty("transactionType").is_none_or(|k| t.kind.eq_ignore_ascii_case(k)))
        .filter(|t| account.is_none_or(|a| t.sender == Some(a) || t.receiver == Some(a)))
        .filter(|t| card.is_none_or(|c| t.card_id == Some(c)))
        .filter(|t| user.is_none_or(|u| t.user_id == Some(u)))
        .filter(|t| start.is_none_or(|s| t.at >= s) && end.is_none_or(|e| t.at <= e))
        .map(|t| view(&inner, t))
        .collect();
    let (items, pagination) = paging::slice(items, page);
    respond::page(items, pagination)
}

/// `GET /tme/api/v1/transactions/{id}` (the integer id, not the UUID).
pub(crate) async fn get(State(st): State<Shared>, _: Authed, Path(raw): Path<String>) -> ApiResult {
    let id = extract::id(&raw, "id")?;
    let inner = st.inner();
    let t = inner.transactions.iter().find(|t| t.id == id).ok_or_else(|| ApiError::unknown("id", "Transaction"))?;
    respond::data(view(&inner, t))
}
