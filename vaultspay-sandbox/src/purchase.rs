//! A simulated card transaction (`POST /__sandbox/purchase`), checked as the card network would: the card must be
//! ACTIVE; then the card's security settings (an enabled switch linked to the transaction's type, or to ALL,
//! blocks: "Block ATM Withdrawal" / "Block Purchase" every such transaction, "Block Contactless" contactless and
//! online ones, "Location Based Security" those outside the card's country, ARE); then its limits of that type
//! (ONE_TIME: this amount; DAILY / MONTHLY: the posted ones of the UTC day / month plus this one; COUNT limits count
//! transactions; all in AED at the sandbox's fixed rates); then the funds of the linked account. A decline by a
//! setting or limit is 500 / 1050 TRANSACTION_LOCKED_BY_RULE naming it in `errors[{key: "rule"}]`; a card that
//! is not ACTIVE or an account short of money is 500 / 1010. Declines are recorded as FAILED transactions; a
//! posted one debits the account (a ledger row) and is a SUCCESS transaction.

use cardsdk_sandbox_kit::{Obj, civil_from_days, days_from_civil, now_ms};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::catalog::{self, COUNTRIES, DECIMAL_POINT, HOME_COUNTRY, LIMIT_CURRENCY};
use crate::errors::{ApiError, ApiResult};
use crate::money::from_minor;
use crate::state::{Card, Inner, Limit, Merchant, Money, SettingKind, Shared, Txn};
use crate::{accounts, cards, respond, transactions};

/// A simulated transaction.
#[derive(Debug, Clone)]
struct Purchase {
    card_id: i64,
    minor: i64,
    currency: String,
    mcc: String,
    /// `PURCHASE` or `ATM_WITHDRAWAL`.
    kind: &'static str,
    online: bool,
    contactless: bool,
    /// Alpha-3.
    country: String,
    merchant: String,
    city: String,
}

fn read(inner: &Inner, b: &Obj) -> ApiResult<Purchase> {
    let card_id = cards::target(inner, b, "cardToken")?;
    let minor = b.i64("amount")?;
    if minor <= 0 {
        return Err(ApiError::invalid_payload("amount", "must be a positive integer in minor units"));
    }
    let currency = b.str("currency")?.to_uppercase();
    if catalog::currency_by_code(&currency).is_none() {
        return Err(ApiError::invalid_payload("currency", "must be AED, USD, EUR, GBP or PKR"));
    }
    let kind = match b.opt_str("type")?.as_deref() {
        None | Some("PURCHASE") => "PURCHASE",
        Some("ATM_WITHDRAWAL") => "ATM_WITHDRAWAL",
        Some(_) => return Err(ApiError::invalid_payload("type", "must be PURCHASE or ATM_WITHDRAWAL")),
    };
    let mcc = match b.opt_value("mcc") {
        None => if kind == "ATM_WITHDRAWAL" { "6011" } else { "5999" }.to_string(),
        Some(Value::String(s)) if s.len() == 4 && s.bytes().all(|c| c.is_ascii_digit()) => s,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n < 10_000) => format!("{:04}", n.as_u64().unwrap_or(0)),
        Some(_) => return Err(ApiError::invalid_payload("mcc", "must be a 4-digit merchant category code")),
    };
    let country = b.opt_str("country")?.unwrap_or_else(|| HOME_COUNTRY.to_string()).to_uppercase();
    if country.len() != 3 || !country.bytes().all(|c| c.is_ascii_uppercase()) {
        return Err(ApiError::invalid_payload("country", "must be an ISO 3166-1 alpha-3 code"));
    }
    let default_merchant = if kind == "ATM_WITHDRAWAL" { "SANDBOX ATM" } else { "SANDBOX MERCHANT" };
    Ok(Purchase {
        card_id,
        minor,
        currency,
        mcc,
        kind,
        online: b.opt_bool("online")?.unwrap_or(false),
        contactless: b.opt_bool("contactless")?.unwrap_or(false),
        country,
        merchant: b.opt_str("merchant")?.unwrap_or_else(|| default_merchant.to_string()),
        city: b.opt_str("city")?.unwrap_or_else(|| "Dubai".to_string()),
    })
}

/// An amount in AED.
fn in_aed(amount: Decimal, currency: &str) -> Decimal {
    amount * catalog::rate(currency, LIMIT_CURRENCY).unwrap_or(Decimal::ONE)
}

/// Start of the window of a limit frequency (ms), `None` for ONE_TIME.
fn window_start(frequency: &str, now: i64) -> Option<i64> {
    let day = now.div_euclid(86_400_000);
    match frequency {
        "DAILY" => Some(day * 86_400_000),
        "MONTHLY" => {
            let (y, m, _) = civil_from_days(day);
            Some(days_from_civil(y, m, 1) * 86_400_000)
        }
        _ => None,
    }
}

fn within(operator: &str, value: Decimal, limit: Decimal) -> bool {
    match operator {
        "LESS_THAN" | "LESS" => value < limit,
        "GREATER" => value > limit,
        _ => value <= limit,
    }
}

/// The setting or limit that declines `p`, as the text of `errors[{key: "rule"}]`.
fn declined_by(inner: &Inner, c: &Card, p: &Purchase, aed: Decimal, now: i64) -> Option<String> {
    for s in inner.settings.iter().filter(|s| s.card_id == c.id && s.enabled) {
        if s.transaction_type != "ALL" && s.transaction_type != p.kind {
            continue;
        }
        let blocks = match s.kind {
            SettingKind::Block => true,
            SettingKind::CardNotPresent => p.online || p.contactless,
            SettingKind::International => p.country != HOME_COUNTRY,
        };
        if blocks {
            let title = catalog::SECURITY_SETTINGS.get(s.template).map_or("security setting", |t| t.0);
            return Some(format!("{title} (setting {})", s.id));
        }
    }
    let limits: Vec<&Limit> =
        inner.limits.iter().filter(|l| l.card_id == Some(c.id) && l.transaction_type == p.kind).collect();
    for l in limits {
        let Ok(limit) = l.limit.parse::<Decimal>() else {
            continue;
        };
        let earlier: Vec<&Txn> = match window_start(l.frequency, now) {
            None => Vec::new(),
            Some(start) => inner
                .transactions
                .iter()
                .filter(|t| t.card_id == Some(c.id) && t.status == "SUCCESS" && t.rule_type == Some(p.kind))
                .filter(|t| t.at >= start)
                .collect(),
        };
        let value = if l.limit_type == "COUNT" {
            Decimal::from(earlier.len() + 1)
        } else {
            earlier.iter().map(|t| in_aed(t.original.amount, &t.original.currency)).sum::<Decimal>() + aed
        };
        if !within(l.operator, value, limit) {
            return Some(format!("{} (limit {}: {} {})", l.slug, l.id, l.operator, l.limit));
        }
    }
    None
}

/// Runs a simulated transaction; the answer is `{data: transaction}`, or the decline.
pub(crate) fn simulate(st: &Shared, b: &Obj) -> ApiResult {
    let mut inner = st.inner();
    let p = read(&inner, b)?;
    let c = cards::card(&inner, p.card_id)?.clone();
    let account = accounts::find(&inner, c.account_id, "accountId")?.clone();
    let account_currency = accounts::currency_code(&account);
    let original = from_minor(p.minor, DECIMAL_POINT);
    let rate = catalog::rate(&p.currency, account_currency).unwrap_or(Decimal::ONE);
    let billed =
        (original * rate).round_dp_with_strategy(DECIMAL_POINT, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let now = now_ms();
    let decline = if c.status != "ACTIVE" {
        Some(ApiError::bad_request(format!("The card is not ACTIVE (it is {})", c.status)))
    } else if let Some(rule) = declined_by(&inner, &c, &p, in_aed(original, &p.currency), now) {
        Some(ApiError::locked_by_rule(rule))
    } else if account.balance < billed {
        Some(ApiError::bad_request("Insufficient balance"))
    } else {
        None
    };
    let country_name = COUNTRIES.iter().find(|x| x.iso3 == p.country).map_or(p.country.as_str(), |x| x.name);
    let last4 = cards::last_four(&c);
    let ref_no = inner.det().digits(19);
    let narration = if p.kind == "ATM_WITHDRAWAL" {
        format!("ATM WDL AT {} - {}, {} CARD NO *{last4} REF NO {ref_no}", p.merchant, p.city, p.country)
    } else {
        format!("POS AT {} - {}, {} CARD NO *{last4} REF NO {ref_no}", p.merchant, p.city, p.country)
    };
    let merchant_id = 1000 + i64::from(p.mcc.parse::<u16>().unwrap_or(0));
    let txn = Txn {
        id: 0,
        uuid: String::new(),
        kind: if p.kind == "ATM_WITHDRAWAL" { "ATM Withdrawal" } else { "Purchase" },
        at: now,
        status: if decline.is_some() { "FAILED" } else { "SUCCESS" },
        total_charges: Decimal::ZERO,
        narration: narration.clone(),
        user_id: Some(c.user_id),
        card_id: Some(c.id),
        sender: Some(account.id),
        receiver: None,
        counterparty: None,
        billing: Money { amount: billed, currency: account_currency.to_string() },
        original: Money { amount: original, currency: p.currency.clone() },
        rate,
        merchant: Some(Merchant {
            id: merchant_id,
            mcc: p.mcc.clone(),
            name: p.merchant.clone(),
            city: p.city.clone(),
            country: country_name.to_string(),
            country_code: p.country.clone(),
        }),
        slug: cards::tier_of(&c).third_party_slug,
        rule_type: Some(p.kind),
    };
    let id = transactions::record(&mut inner, txn);
    if let Some(e) = decline {
        return Err(e);
    }
    accounts::post(&mut inner, account.id, -billed, &narration, (id, transactions::ref_id(id)), now);
    let t = inner.transactions.iter().find(|t| t.id == id).ok_or_else(|| ApiError::unknown("id", "Transaction"))?;
    respond::data(transactions::view(&inner, t))
}
