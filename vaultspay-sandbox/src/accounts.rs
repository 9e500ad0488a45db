//! Accounts: one per user and currency (AED, USD, EUR, GBP, PKR; `decimalPoint` 2), exact balances in major
//! units, and the ledger: every movement is a row with the running balance after it.

use axum::extract::{Path, State};
use cardsdk_sandbox_kit::{Query, TimeForm, format_time, parse_instant};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

use crate::catalog::{self, Currency, DECIMAL_POINT, REFERENCE_CREATED_AT};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{self, Authed, Body};
use crate::money::{Num, amount};
use crate::state::{Account, Inner, LedgerRow, Shared, next};
use crate::{iban, paging, respond, users};

/// The currency object of an account.
pub(crate) fn currency_json(c: &Currency) -> Value {
    json!({
        "createdAt": REFERENCE_CREATED_AT,
        "createdBy": null,
        "updatedAt": null,
        "updatedBy": null,
        "id": c.id,
        "name": c.name,
        "code": c.code,
        "isoCode": c.iso_code,
        "decimalPoint": DECIMAL_POINT,
        "type": "FIAT",
        "symbol": c.symbol,
        "icon": null,
        "status": true,
    })
}

/// The account object (money as exact JSON numbers).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccountView {
    id: i64,
    user_id: i64,
    account_type: String,
    currency_code: &'static str,
    currency: Value,
    account_title: String,
    account_number: String,
    balance: Num,
    balance_on_hold: Num,
    total_transactions: Option<usize>,
    status: &'static str,
    references: Vec<Value>,
    iban: Option<String>,
    is_primary: bool,
    credit_limit: Num,
}

/// The account's currency code (`""` if its currency vanished, which cannot happen with the static list).
pub(crate) fn currency_code(a: &Account) -> &'static str {
    catalog::currency(a.currency_id).map_or("", |c| c.code)
}

/// The view of an account; `counted` adds `totalTransactions` (the create answer has `null`, as documented).
pub(crate) fn view(inner: &Inner, a: &Account, counted: bool) -> AccountView {
    let currency = catalog::currency(a.currency_id);
    AccountView {
        id: a.id,
        user_id: a.user_id,
        account_type: a.account_type.clone(),
        currency_code: currency_code(a),
        currency: currency.map(currency_json).unwrap_or(Value::Null),
        account_title: a.title.clone(),
        account_number: a.number.clone(),
        balance: amount(a.balance),
        balance_on_hold: amount(a.on_hold),
        total_transactions: counted.then(|| inner.ledger.iter().filter(|r| r.account_id == a.id).count()),
        status: "ACTIVE",
        references: Vec::new(),
        iban: a.iban.clone(),
        is_primary: a.is_primary,
        credit_limit: amount(Decimal::ZERO),
    }
}

/// An account by id, or 422 / 1000 naming `key`.
pub(crate) fn find<'a>(inner: &'a Inner, id: i64, key: &str) -> ApiResult<&'a Account> {
    inner.accounts.get(&id).ok_or_else(|| ApiError::unknown(key, "Account"))
}

/// Opens an account (one per user, currency and type: another is 500 / 1010).
pub(crate) fn open(inner: &mut Inner, user_id: i64, currency_id: i64, account_type: &str) -> ApiResult<i64> {
    let user = users::find(inner, user_id, "userId")?;
    let title = format!("{} {}", user.first_name, user.last_name).to_uppercase();
    let currency = catalog::currency(currency_id).ok_or_else(|| ApiError::unknown("currencyId", "Currency"))?;
    if account_type != "DIGITAL" {
        return Err(ApiError::invalid_payload("accountType", "must be DIGITAL"));
    }
    let mine = inner.accounts.values().filter(|a| a.user_id == user_id);
    if mine.clone().any(|a| a.currency_id == currency_id && a.account_type == account_type) {
        return Err(ApiError::bad_request(format!("An account in {} already exists for this user", currency.code)));
    }
    let is_primary = mine.count() == 0;
    let number = format!("301{}", inner.det().digits(11));
    let iban = (currency.code == "AED").then(|| iban::for_account(&number));
    let id = next(&mut inner.ids.account);
    inner.accounts.insert(
        id,
        Account {
            id,
            user_id,
            currency_id,
            account_type: account_type.to_string(),
            title,
            number,
            iban,
            balance: Decimal::ZERO,
            on_hold: Decimal::ZERO,
            is_primary,
        },
    );
    Ok(id)
}

/// Moves `delta` (positive: credit, negative: debit) on an account and writes the ledger row with the balance
/// after it. The caller checks the funds.
pub(crate) fn post(inner: &mut Inner, account_id: i64, delta: Decimal, narration: &str, txn: (i64, i64), at: i64) {
    let Some(a) = inner.accounts.get_mut(&account_id) else {
        return;
    };
    a.balance += delta;
    let balance = a.balance;
    let id = next(&mut inner.ids.ledger);
    let (debit, credit) = if delta.is_sign_negative() { (-delta, Decimal::ZERO) } else { (Decimal::ZERO, delta) };
    inner.ledger.push(LedgerRow {
        id,
        account_id,
        transaction_id: txn.0,
        ref_id: txn.1,
        debit,
        credit,
        balance,
        narration: narration.to_string(),
        at,
    });
}

/// `POST /be/api/v1/accounts` `{userId, currencyId, accountType: DIGITAL}`.
pub(crate) async fn create(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let user_id = b.int_or_digits("userId")?;
    let currency_id = b.int_or_digits("currencyId")?;
    let account_type = b.str("accountType")?;
    let mut inner = st.inner();
    let id = open(&mut inner, user_id, currency_id, &account_type)?;
    let a = find(&inner, id, "id")?;
    respond::data(view(&inner, a, false))
}

fn truthy(v: &str) -> bool {
    v.eq_ignore_ascii_case("true") || v == "1"
}

/// `GET /be/api/v1/accounts`: filters `accountType`, `userId`, `currencyCode`, `shownMyAccounts` (the SaaS app's
/// own accounts), `thirdPartyConfigSlug` (no sandbox account has one, so it matches none), `transactionType`
/// (accepted, ignored); paged, newest first.
pub(crate) async fn list(State(st): State<Shared>, _: Authed, q: Query) -> ApiResult {
    let page = paging::request(&q)?;
    let user_id = q.non_empty("userId").map(|v| extract::id(v, "userId")).transpose()?;
    let mine = q.non_empty("shownMyAccounts").is_some_and(truthy);
    let agent = st.seeded.agent.user_id;
    let inner = st.inner();
    let items: Vec<AccountView> = inner
        .accounts
        .values()
        .rev()
        .filter(|a| q.non_empty("accountType").is_none_or(|t| a.account_type.eq_ignore_ascii_case(t)))
        .filter(|a| user_id.is_none_or(|u| a.user_id == u))
        .filter(|a| !mine || a.user_id == agent)
        .filter(|a| q.non_empty("currencyCode").is_none_or(|c| currency_code(a).eq_ignore_ascii_case(c)))
        .filter(|_| q.non_empty("thirdPartyConfigSlug").is_none())
        .map(|a| view(&inner, a, true))
        .collect();
    let (items, pagination) = paging::slice(items, page);
    respond::page(items, pagination)
}

/// `GET /be/api/v1/accounts/{id}`.
pub(crate) async fn get(State(st): State<Shared>, _: Authed, Path(raw): Path<String>) -> ApiResult {
    let id = extract::id(&raw, "id")?;
    let inner = st.inner();
    let a = find(&inner, id, "id")?;
    respond::data(view(&inner, a, true))
}

/// A ledger row on the wire.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LedgerView {
    id: i64,
    transaction_id: i64,
    transaction_ref_id: i64,
    debit: Num,
    credit: Num,
    balance: Num,
    narration: String,
    date: String,
}

/// A date filter: an instant, or a bare date (the start of that day, or its end for `endDate`).
fn date_filter(q: &Query, name: &str, end: bool) -> ApiResult<Option<i64>> {
    let Some(v) = q.non_empty(name) else {
        return Ok(None);
    };
    let ms =
        parse_instant(v).ok_or_else(|| ApiError::invalid_payload(name, "must be an ISO 8601 date or date-time"))?;
    Ok(Some(if end && !v.contains('T') { ms + 86_400_000 - 1 } else { ms }))
}

/// `GET /be/api/v1/account-ledger/{id}`: newest first; filters `userId` (the account's owner), `startDate`,
/// `endDate` (inclusive; a bare date covers its whole day), `transactionId`. Not paginated.
pub(crate) async fn ledger(State(st): State<Shared>, _: Authed, Path(raw): Path<String>, q: Query) -> ApiResult {
    let id = extract::id(&raw, "id")?;
    let user_id = q.non_empty("userId").map(|v| extract::id(v, "userId")).transpose()?;
    let txn = q.non_empty("transactionId").map(|v| extract::id(v, "transactionId")).transpose()?;
    let (start, end) = (date_filter(&q, "startDate", false)?, date_filter(&q, "endDate", true)?);
    let inner = st.inner();
    let a = find(&inner, id, "id")?;
    let owner_ok = user_id.is_none_or(|u| u == a.user_id);
    let rows: Vec<LedgerView> = inner
        .ledger
        .iter()
        .rev()
        .filter(|r| owner_ok && r.account_id == id)
        .filter(|r| start.is_none_or(|s| r.at >= s) && end.is_none_or(|e| r.at <= e))
        .filter(|r| txn.is_none_or(|t| r.transaction_id == t))
        .map(|r| LedgerView {
            id: r.id,
            transaction_id: r.transaction_id,
            transaction_ref_id: r.ref_id,
            debit: amount(r.debit),
            credit: amount(r.credit),
            balance: amount(r.balance),
            narration: r.narration.clone(),
            date: format_time(r.at, TimeForm::MillisZeroOffset),
        })
        .collect();
    respond::data(rows)
}
