//! Card transactions: generated lazily and deterministically from the seed (one transaction at a time, so 100 000
//! cost nothing until read), paged newest first, filtered, and exported as a CSV or PDF statement; and the card
//! cashback earned on them.
//!
//! The list answers as the live API does rather than as the docs write it: `mcc` is a JSON string on one
//! transaction and a JSON number on the next; `dateTime` (and the funding sources' `dateTime`) cycles through
//! several timestamp forms (`.000Z`, `+00:00`, no milliseconds, non-zero offsets) for the same kind of instant,
//! still strictly newest first; each transaction carries an optional `cashback` object and undocumented members
//! (`merchantCountry`, often `networkReference`). What a transaction looks like depends only on its place in the
//! generated history, so a transaction reads the same before and after new purchases shift the pages.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult, ok};
use crate::extract::{Authed, Query};
use crate::state::{Shared, Tenant};
use crate::util::{self, Det, TimeForm};
use crate::webhooks::{self, NewEvent};

/// The documented category values of `mccCategory` / `mccCategories`.
pub(crate) const CATEGORIES: [&str; 8] =
    ["SUBSCRIPTIONS", "FOOD", "TRAVEL", "ENTERTAINMENT", "HEALTH", "ATM", "UTILITIES", "MISC"];

struct Merchant {
    name: &'static str,
    mcc: u16,
    category: &'static str,
    kind: &'static str,
    min_cents: u64,
    max_cents: u64,
    /// ISO 3166-1 alpha-3 (the undocumented `merchantCountry`).
    country: &'static str,
}

const fn m(
    name: &'static str,
    mcc: u16,
    category: &'static str,
    kind: &'static str,
    (min_cents, max_cents): (u64, u64),
    country: &'static str,
) -> Merchant {
    Merchant { name, mcc, category, kind, min_cents, max_cents, country }
}

const MERCHANTS: [Merchant; 16] = [
    m("NETFLIX.COM, LOS GATOS", 4899, "SUBSCRIPTIONS", "OutOfWalletOnline", (799, 1799), "USA"),
    m("SPOTIFY, STOCKHOLM", 5815, "SUBSCRIPTIONS", "OutOfWalletOnline", (999, 1699), "SWE"),
    m("STARBUCKS, NEW YORK", 5814, "FOOD", "InStore", (350, 1200), "USA"),
    m("PRET A MANGER, LONDON", 5812, "FOOD", "InStore", (400, 1500), "GBR"),
    m("DELIVEROO, LONDON", 5812, "FOOD", "OutOfWalletOnline", (1200, 4500), "GBR"),
    m("RYANAIR, DUBLIN", 4511, "TRAVEL", "OutOfWalletOnline", (2999, 24_999), "IRL"),
    m("UBER *TRIP, AMSTERDAM", 4121, "TRAVEL", "InWallet", (800, 4500), "NLD"),
    m("STEAM PURCHASE, BELLEVUE", 5816, "ENTERTAINMENT", "OutOfWalletOnline", (499, 5999), "USA"),
    m("CINEWORLD, LONDON", 7832, "ENTERTAINMENT", "InStore", (900, 3200), "GBR"),
    m("BOOTS PHARMACY, NOTTINGHAM", 5912, "HEALTH", "InStore", (300, 4000), "GBR"),
    m("ATM WITHDRAWAL, LISBON", 6011, "ATM", "ATM", (2000, 20_000), "PRT"),
    m("EDF ENERGY, LONDON", 4900, "UTILITIES", "OutOfWalletOnline", (4500, 18_000), "GBR"),
    m("WWW.ALIEXPRESS.COM, LONDON", 5964, "MISC", "OutOfWalletOnline", (85, 9000), "GBR"),
    m("AMAZON.COM, SEATTLE", 5942, "MISC", "OutOfWalletOnline", (599, 15_000), "USA"),
    m("PAYPAL *EBAY, LUXEMBOURG", 5999, "MISC", "OutOfWalletOnline", (1000, 25_000), "LUX"),
    m("APPLE.COM/BILL, CORK", 5735, "SUBSCRIPTIONS", "OutOfWalletOnline", (99, 2999), "IRL"),
];

/// The forms `dateTime` cycles through, one transaction to the next (all exact: transaction times are whole
/// seconds).
const TIME_FORMS: [TimeForm; 5] =
    [TimeForm::Millis, TimeForm::ZeroOffset, TimeForm::Seconds, TimeForm::PlusTwo, TimeForm::MinusFiveMillis];

/// The cashback states the live API sends, cycled through by the transactions that earn cashback.
const CASHBACK_CYCLE: [&str; 4] = ["EARNED", "CLAIMED", "PENDING", "NOT_EARNED"];

/// The card cashback rate: 1.5 %.
fn cashback_rate() -> Decimal {
    Decimal::new(15, 3)
}

/// The cashback rate as the API writes it.
const CASHBACK_RATE_PERCENT: &str = "1.5";

/// 2025-12-31T18:00:00Z: the newest generated transaction is at most this recent.
const ANCHOR_MS: i64 = 1_767_204_000_000;

/// The generated history of one user.
#[derive(Debug, Clone)]
pub(crate) struct History {
    seed: u64,
    stream: u64,
    /// Generated transactions from the start.
    count: usize,
    /// Purchases added later (newer than all of the first `count`).
    newer: usize,
    card_id: String,
    pan_last4: String,
    card_currency: &'static str,
    funding_address: String,
    spacing_ms: i64,
}

impl History {
    pub(crate) fn new(
        seed: u64,
        stream: u64,
        (count, newer): (usize, usize),
        card_id: &str,
        pan_last4: &str,
        tenant: Tenant,
    ) -> Self {
        let span_ms: i64 = 730 * 86_400_000;
        // Whole seconds, so that every transaction time is a whole second (exact in the forms without
        // milliseconds) and neighbours are at least a second apart.
        let spacing_ms = (span_ms / count.max(1) as i64).clamp(60_000, 86_400_000) / 1000 * 1000;
        History {
            seed,
            stream,
            count,
            newer,
            card_id: card_id.to_string(),
            pan_last4: pan_last4.to_string(),
            card_currency: if tenant == Tenant::Us { "USD" } else { "EUR" },
            funding_address: format!("0x{}", Det::new(seed, stream * 7 + 3).hex(40)),
            spacing_ms,
        }
    }

    /// Number of transactions.
    fn len(&self) -> usize {
        self.count + self.newer
    }

    /// The generator position of list index `i`: 0 is the newest of the first `count`, negative ones came later.
    fn position(&self, i: usize) -> i64 {
        i as i64 - self.newer as i64
    }

    fn det(&self, i: usize) -> Det {
        Det::new(self.seed, (self.stream << 40) ^ (self.position(i) as u64).wrapping_add(1))
    }

    fn merchant(&self, i: usize) -> &'static Merchant {
        self.det(i).pick(&MERCHANTS)
    }

    /// The time of transaction `i`, drawn from `d` right after the merchant: whole seconds, and at least a
    /// second after transaction `i + 1` (strictly decreasing in `i`).
    fn draw_time(&self, i: usize, d: &mut Det) -> i64 {
        let jitter = d.range(0, (self.spacing_ms / 1000) as u64) as i64 * 1000;
        ANCHOR_MS - self.position(i) * self.spacing_ms - jitter
    }

    /// The time of transaction `i` (strictly decreasing in `i`).
    fn time_ms(&self, i: usize) -> i64 {
        let mut d = self.det(i);
        d.next_u64(); // the merchant pick
        self.draw_time(i, &mut d)
    }

    /// The position in a cycle of `n` variants (stable when new purchases shift the list).
    fn cycle(&self, i: usize, n: usize) -> usize {
        self.position(i).rem_euclid(n as i64) as usize
    }

    /// The first index whose time is before `t` (all indexes at or after it are older).
    fn first_before(&self, t: i64) -> usize {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.time_ms(mid) < t { hi = mid } else { lo = mid + 1 }
        }
        lo
    }

    /// The amounts and outcome of transaction `i`: the first draws of its generator, which the cashback totals
    /// read without generating the rest.
    fn basics(&self, i: usize, d: &mut Det) -> Basics {
        let merchant = d.pick(&MERCHANTS);
        let time = self.draw_time(i, d);
        let original_currency = *d.pick(&["USD", "USD", "EUR", "GBP"]);
        let orig = Decimal::new(d.range(merchant.min_cents, merchant.max_cents + 1) as i64, 2);
        let ecb: Decimal = match (original_currency, self.card_currency) {
            (a, b) if a == b => Decimal::ONE,
            ("USD", "EUR") => Decimal::new(9_161_704_076_958_315, 16),
            ("GBP", "EUR") => Decimal::new(1_183_412_700_000_000, 15),
            ("EUR", "USD") => Decimal::new(1_091_500_000_000_000, 15),
            ("GBP", "USD") => Decimal::new(1_271_300_000_000_000, 15),
            _ => Decimal::ONE,
        };
        let markup = Decimal::new(1000 + d.range(0, 15) as i64, 3); // 1.000–1.014
        let card_amount =
            if ecb == Decimal::ONE { orig } else { (orig * ecb * markup).round_dp(2).max(Decimal::new(1, 2)) };
        let rate = if ecb == Decimal::ONE { Decimal::ONE } else { (card_amount / orig).round_dp(16) };
        let atm = merchant.category == "ATM";
        let fee_card = if atm { Decimal::new(250, 2) } else { Decimal::ZERO };
        let fee_orig = if atm { (fee_card / rate).round_dp(2) } else { Decimal::ZERO };
        let refund = !atm && d.chance(4);
        let declined = !refund && d.chance(3);
        let status = if declined {
            "DECLINED"
        } else if (0..2).contains(&self.position(i)) {
            "PENDING"
        } else {
            "CONFIRMED"
        };
        let usdc_per_card = if self.card_currency == "EUR" { Decimal::new(1_0832, 4) } else { Decimal::ONE };
        let total_usdc = ((card_amount + fee_card) * usdc_per_card).round_dp(6);
        Basics {
            merchant,
            time,
            original_currency,
            orig,
            ecb,
            card_amount,
            rate,
            fee_card,
            fee_orig,
            refund,
            declined,
            status,
            total_usdc,
        }
    }

    /// The cashback of transaction `i`: `None` for refunds (no member), `Some(None)` for cash withdrawals
    /// (`"cashback": null`), otherwise its state and amounts.
    fn cashback_of(&self, i: usize, b: &Basics) -> Option<Option<Cashback>> {
        if b.refund {
            return None;
        }
        if b.merchant.category == "ATM" {
            return Some(None);
        }
        let status = if b.declined {
            "NOT_EARNED"
        } else if b.status == "PENDING" {
            "PENDING"
        } else {
            CASHBACK_CYCLE[self.cycle(i, CASHBACK_CYCLE.len())]
        };
        let earned = status != "NOT_EARNED";
        Some(Some(Cashback {
            status,
            amount: if earned { (b.total_usdc * cashback_rate()).round_dp(6) } else { Decimal::ZERO },
            fiat_amount: if earned { (b.card_amount * cashback_rate()).round_dp(2) } else { Decimal::ZERO },
        }))
    }

    /// The cashback balance (EARNED, not yet claimed) and the lifetime total (EARNED and CLAIMED), in usdc.
    fn cashback_totals(&self) -> (Decimal, Decimal) {
        let (mut balance, mut lifetime) = (Decimal::ZERO, Decimal::ZERO);
        for i in 0..self.len() {
            let b = self.basics(i, &mut self.det(i));
            if let Some(Some(c)) = self.cashback_of(i, &b) {
                match c.status {
                    "EARNED" => {
                        balance += c.amount;
                        lifetime += c.amount;
                    }
                    "CLAIMED" => lifetime += c.amount,
                    _ => {}
                }
            }
        }
        (balance, lifetime)
    }

    /// Transaction `i` (0 = newest).
    fn get(&self, i: usize) -> Txn {
        let mut d = self.det(i);
        let b = self.basics(i, &mut d);
        let Basics {
            merchant,
            time,
            original_currency,
            orig,
            ecb,
            card_amount,
            rate,
            fee_card,
            fee_orig,
            declined,
            status,
            total_usdc,
            ..
        } = b;
        let sign = if b.refund { "CREDIT" } else { "DEBIT" };
        let id = d.uuid();
        let transaction_id = format!("11{}", d.digits(11));
        let mut sources = Vec::new();
        if !declined {
            let split = d.chance(5);
            let parts: Vec<(&str, Decimal)> = if split {
                let first = (total_usdc * Decimal::new(6, 1)).round_dp(6);
                vec![("usdc", first), ("usdt", total_usdc - first)]
            } else {
                vec![("usdc", total_usdc)]
            };
            for (k, (currency, amount)) in parts.into_iter().enumerate() {
                let address = if k == 0 {
                    self.funding_address.clone()
                } else {
                    format!("0x{}", Det::new(self.seed, self.stream * 7 + 4).hex(40))
                };
                sources.push(Funding {
                    id: d.uuid(),
                    address,
                    network: if k == 0 { "linea" } else { "ethereum" },
                    tx_hash: format!("0x{}", d.hex(64)),
                    currency,
                    amount,
                    swap_fee: (amount * Decimal::new(2, 3)).round_dp(6),
                    sign,
                    status: if status == "PENDING" { "PENDING" } else { "CONFIRMED" },
                    time: time + 1000 * (k as i64 + 1),
                });
            }
        }
        // Drawn last, so that everything above stays as it always was.
        let trace_id = (self.cycle(i, 3) != 0).then(|| d.hex(16).to_uppercase());
        let cashback = self.cashback_of(i, &b);
        Txn {
            id,
            transaction_id,
            time,
            sign,
            merchant,
            card_currency: self.card_currency,
            card_amount,
            fee_card,
            original_currency,
            orig,
            fee_orig,
            rate,
            ecb,
            status,
            decline_reason: if declined { "Insufficient funds" } else { "" },
            sources,
            cashback,
            trace_id,
            form: self.cycle(i, TIME_FORMS.len()),
            mcc_as_string: self.cycle(i, 2) == 0,
        }
    }

    fn json(&self, t: &Txn) -> Value {
        let form = TIME_FORMS[t.form % TIME_FORMS.len()];
        let mut v = json!({
            "id": t.id,
            "cardId": self.card_id,
            "panLast4": self.pan_last4,
            "transactionId": t.transaction_id,
            "dateTime": util::format_time(t.time, form),
            "sign": t.sign,
            "merchantNameLocation": t.merchant.name,
            "merchantType": t.merchant.kind,
            "mcc": if t.mcc_as_string { Value::from(t.merchant.mcc.to_string()) } else { Value::from(t.merchant.mcc) },
            "mccCategory": t.merchant.category,
            "transactionCurrency": t.card_currency,
            "amountInTransactionCurrency": t.card_amount.to_string(),
            "feesInTransactionCurrency": t.fee_card.to_string(),
            "originalCurrency": t.original_currency,
            "amountInOriginalCurrency": t.orig.to_string(),
            "feesInOriginalCurrency": t.fee_orig.to_string(),
            "billingConversionRate": t.rate.normalize().to_string(),
            "ecbRate": t.ecb.normalize().to_string(),
            "status": t.status,
            "declineReason": t.decline_reason,
            "fundingSources": t.sources.iter().enumerate().map(|(k, f)| json!({
                "id": f.id,
                "address": f.address,
                "network": f.network,
                "txHash": f.tx_hash,
                "currency": f.currency,
                "amount": f.amount.normalize().to_string(),
                "fees": "0",
                "swapFee": f.swap_fee.normalize().to_string(),
                "sign": f.sign,
                "status": f.status,
                "dateTime": util::format_time(f.time, TIME_FORMS[(t.form + 2 + k) % TIME_FORMS.len()]),
            })).collect::<Vec<_>>(),
            // Undocumented members the live API sends.
            "merchantCountry": t.merchant.country,
        });
        if let Some(trace_id) = &t.trace_id {
            v["networkReference"] = json!({ "scheme": "MASTERCARD", "traceId": trace_id });
        }
        if let Some(cashback) = &t.cashback {
            v["cashback"] = cashback.as_ref().map_or(Value::Null, |c| self.cashback_json(c));
        }
        v
    }

    fn cashback_json(&self, c: &Cashback) -> Value {
        let earned = c.status != "NOT_EARNED";
        json!({
            "amount": c.amount.to_string(),
            "currency": if earned { Value::from("usdc") } else { Value::Null },
            "fiatAmount": c.fiat_amount.to_string(),
            "fiatCurrency": self.card_currency,
            "ratePercent": if earned { CASHBACK_RATE_PERCENT } else { "0" },
            "status": c.status,
        })
    }
}

/// The first draws of a transaction: what it is and how much it moved.
#[derive(Clone, Copy)]
struct Basics {
    merchant: &'static Merchant,
    time: i64,
    original_currency: &'static str,
    orig: Decimal,
    ecb: Decimal,
    card_amount: Decimal,
    rate: Decimal,
    fee_card: Decimal,
    fee_orig: Decimal,
    refund: bool,
    declined: bool,
    status: &'static str,
    total_usdc: Decimal,
}

/// The cashback of one transaction (usdc, and its value in the card currency).
struct Cashback {
    status: &'static str,
    amount: Decimal,
    fiat_amount: Decimal,
}

struct Funding {
    id: String,
    address: String,
    network: &'static str,
    tx_hash: String,
    currency: &'static str,
    amount: Decimal,
    swap_fee: Decimal,
    sign: &'static str,
    status: &'static str,
    time: i64,
}

struct Txn {
    id: String,
    transaction_id: String,
    time: i64,
    sign: &'static str,
    merchant: &'static Merchant,
    card_currency: &'static str,
    card_amount: Decimal,
    fee_card: Decimal,
    original_currency: &'static str,
    orig: Decimal,
    fee_orig: Decimal,
    rate: Decimal,
    ecb: Decimal,
    status: &'static str,
    decline_reason: &'static str,
    sources: Vec<Funding>,
    /// `None`: no `cashback` member; `Some(None)`: `"cashback": null`.
    cashback: Option<Option<Cashback>>,
    /// The undocumented `networkReference.traceId`, on two transactions of three.
    trace_id: Option<String>,
    /// Index into [`TIME_FORMS`].
    form: usize,
    mcc_as_string: bool,
}

/// The filters of the list and statement calls.
#[derive(Debug, Default)]
struct Filter {
    /// Inclusive start and exclusive end, in ms.
    window: Option<(i64, i64)>,
    search: Option<String>,
    categories: Option<Vec<String>>,
}

fn date_filter(q: &Query) -> ApiResult<Option<(i64, i64)>> {
    match (q.non_empty("dateFrom"), q.non_empty("dateTo")) {
        (None, None) => Ok(None),
        (Some(_), None) | (None, Some(_)) => {
            Err(ApiError::bad_request("dateFrom and dateTo must be provided together"))
        }
        (Some(from), Some(to)) => {
            let from = util::parse_date(from)
                .ok_or_else(|| ApiError::bad_request("dateFrom must be a date in YYYY-MM-DD format"))?;
            let to = util::parse_date(to)
                .ok_or_else(|| ApiError::bad_request("dateTo must be a date in YYYY-MM-DD format"))?;
            if from > to {
                return Err(ApiError::bad_request("dateFrom must not be after dateTo"));
            }
            Ok(Some((from * 86_400_000, (to + 1) * 86_400_000)))
        }
    }
}

fn filter(q: &Query) -> ApiResult<Filter> {
    let window = date_filter(q)?;
    let search = q.non_empty("searchKey").map(str::to_lowercase);
    let categories = match q.non_empty("mccCategories") {
        None => None,
        Some(list) => {
            let mut out = Vec::new();
            for c in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                let c = c.to_ascii_uppercase();
                if !CATEGORIES.contains(&c.as_str()) {
                    return Err(ApiError::bad_request(format!(
                        "mccCategories contains an unknown category: {c} (allowed: {})",
                        CATEGORIES.join(", ")
                    )));
                }
                out.push(c);
            }
            Some(out)
        }
    };
    Ok(Filter { window, search, categories })
}

impl Filter {
    fn range(&self, h: &History) -> (usize, usize) {
        match self.window {
            None => (0, h.len()),
            Some((from, to)) => (h.first_before(to), h.first_before(from)),
        }
    }

    fn keeps(&self, h: &History, i: usize) -> bool {
        if self.search.is_none() && self.categories.is_none() {
            return true;
        }
        let m = h.merchant(i);
        self.search.as_ref().is_none_or(|s| m.name.to_lowercase().contains(s))
            && self.categories.as_ref().is_none_or(|cs| cs.iter().any(|c| c == m.category))
    }

    /// The indexes of page `page` (of `size`).
    fn page(&self, h: &History, page: usize, size: usize) -> Vec<usize> {
        let (lo, hi) = self.range(h);
        if self.search.is_none() && self.categories.is_none() {
            let start = page.saturating_mul(size).saturating_add(lo);
            return (start..start.saturating_add(size).min(hi)).collect();
        }
        (lo..hi).filter(|&i| self.keeps(h, i)).skip(page.saturating_mul(size)).take(size).collect()
    }
}

fn history_of(st: &Shared, user_id: &str) -> ApiResult<History> {
    let inner = st.inner();
    let u = inner.user(user_id).ok_or_else(ApiError::not_authenticated)?;
    Ok(History::new(
        st.config.seed,
        u.stream,
        (u.transactions, u.newer_transactions),
        &u.card_id,
        &u.pan_last4,
        u.tenant,
    ))
}

/// `GET /v1/card/transactions?page=N`: a bare array, newest first; past the end `[]` (or page 0 with the quirk).
pub(crate) async fn list(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    let page = match a.query.non_empty("page") {
        None => 0,
        Some(p) => p.parse::<usize>().map_err(|_| ApiError::bad_request("page must be a non-negative integer"))?,
    };
    let f = filter(&a.query)?;
    let h = history_of(&st, &a.user_id)?;
    let size = st.config.page_size.max(1);
    let mut idx = f.page(&h, page, size);
    if idx.is_empty() && page > 0 && st.config.past_end_returns_first_page {
        idx = f.page(&h, 0, size);
    }
    Ok(ok(Value::Array(idx.into_iter().map(|i| h.json(&h.get(i))).collect())))
}

/// `GET /v1/card/cashback` (undocumented, used in production): the cashback earned on the card and not yet
/// claimed, `{amount, currency, network, ratePercent}` plus the undocumented `lifetimeEarned`; decimal strings.
pub(crate) async fn cashback(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    let h = history_of(&st, &a.user_id)?;
    let (balance, lifetime) = h.cashback_totals();
    Ok(ok(json!({
        "amount": balance.to_string(),
        "currency": "usdc",
        "network": "linea",
        "ratePercent": CASHBACK_RATE_PERCENT,
        "lifetimeEarned": lifetime.to_string(),
    })))
}

/// Adds `n` new purchases on top of a user's history (shifting the pages) and emits `transaction.cleared` for
/// each one that was not declined. Returns the new transactions' ids, newest first.
pub(crate) fn add_purchases(st: &Shared, user_id: &str, n: usize) -> Vec<String> {
    let (h, tenant) = {
        let mut inner = st.inner();
        let Some(u) = inner.user_mut(user_id) else { return Vec::new() };
        u.newer_transactions += n;
        (
            History::new(
                st.config.seed,
                u.stream,
                (u.transactions, u.newer_transactions),
                &u.card_id,
                &u.pan_last4,
                u.tenant,
            ),
            u.tenant,
        )
    };
    let mut ids = Vec::with_capacity(n);
    for i in (0..n).rev() {
        let t = h.get(i);
        ids.push(t.id.clone());
        if t.status == "DECLINED" {
            continue;
        }
        webhooks::emit(
            st,
            NewEvent {
                tenant,
                event_type: "transaction.cleared",
                category: "transaction",
                source: "card-service",
                user_id: user_id.to_string(),
                object_id: t.id.clone(),
                object_status: Some(t.status.to_string()),
                changes: json!({ "status": ["PENDING", t.status] }),
                object: json!({
                    "id": t.id,
                    "transaction_id": t.transaction_id,
                    "card_id": h.card_id,
                    "sign": t.sign,
                    "merchant_name_location": t.merchant.name,
                    "mcc_category": t.merchant.category,
                    "amount": t.card_amount.to_string(),
                    "currency": t.card_currency,
                    "status": t.status,
                    "date_time": util::iso_ms(t.time),
                }),
            },
        );
    }
    ids.reverse();
    ids
}

fn shorten(address: &str) -> String {
    if address.len() > 12 && address.is_ascii() {
        format!("{}...{}", &address[..6], &address[address.len() - 4..])
    } else {
        address.to_string()
    }
}

/// `GET /v1/card/transactions/statement`: CSV (default) or PDF by `Accept`.
pub(crate) async fn statement(State(st): State<Shared>, a: Authed, headers: HeaderMap) -> ApiResult<Response> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let pdf = accept.contains("application/pdf");
    let csv_ok =
        accept.is_empty() || accept.contains("text/csv") || accept.contains("*/*") || accept.contains("text/*");
    if !pdf && !csv_ok {
        return Err(ApiError::message(406, "Accept must be text/csv or application/pdf"));
    }
    let f = Filter { window: date_filter(&a.query)?, ..Filter::default() };
    let h = history_of(&st, &a.user_id)?;
    let (lo, hi) = f.range(&h);
    let mut rows = Vec::with_capacity(hi.saturating_sub(lo));
    for i in lo..hi {
        let t = h.get(i);
        rows.push([
            util::iso_ms(t.time),
            t.merchant.name.replace(',', ""),
            t.merchant.kind.to_string(),
            t.original_currency.to_string(),
            t.orig.to_string(),
            t.card_currency.to_string(),
            t.card_amount.to_string(),
            t.sources.iter().map(|s| s.currency.to_ascii_uppercase()).collect::<Vec<_>>().join(" "),
            t.sources.iter().map(|s| shorten(&s.address)).collect::<Vec<_>>().join(" "),
        ]);
    }
    let (body, content_type, name) = if pdf {
        let holder = {
            let inner = st.inner();
            inner
                .user(&a.user_id)
                .map(|u| {
                    format!(
                        "{} {}",
                        u.profile.first_name.clone().unwrap_or_default(),
                        u.profile.last_name.clone().unwrap_or_default()
                    )
                })
                .unwrap_or_default()
        };
        (pdf_statement(&holder, &h.pan_last4, &rows), "application/pdf", "statement.pdf")
    } else {
        let mut csv = String::from(
            "Timestamp,Merchant,Merchant Type,Transaction Currency,Transaction currency amount,Card currency,Card currency amount,Funding Tokens,Funding Addresses\n",
        );
        for r in &rows {
            csv.push_str(&r.join(","));
            csv.push('\n');
        }
        (csv.into_bytes(), "text/csv; charset=utf-8", "statement.csv")
    };
    let mut resp = body.into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// A small, valid PDF: a header, one line per transaction (45 a page), and a summary.
fn pdf_statement(holder: &str, last4: &str, rows: &[[String; 9]]) -> Vec<u8> {
    let esc = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .flat_map(|c| if matches!(c, '(' | ')' | '\\') { vec!['\\', c] } else { vec![c] })
            .collect()
    };
    let mut lines = vec![
        format!("Card statement - {} - card ending {last4}", holder.trim()),
        format!("Transactions: {}", rows.len()),
        String::new(),
    ];
    lines.extend(
        rows.iter()
            .map(|r| format!("{}  {}  {} {}  ({} {})", &r[0][..10.min(r[0].len())], r[1], r[6], r[5], r[4], r[3])),
    );
    let pages: Vec<&[String]> = lines.chunks(45).collect();
    let n = pages.len();
    // Objects: 1 catalog, 2 pages, 3 font, then per page: page object, content stream.
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {n} >>",
            (0..n).map(|p| format!("{} 0 R", 4 + 2 * p)).collect::<Vec<_>>().join(" ")
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>".to_string(),
    ];
    for (p, page) in pages.iter().enumerate() {
        let mut content = String::from("BT /F1 9 Tf 40 800 Td 12 TL\n");
        for line in page.iter() {
            content.push_str(&format!("({}) Tj T*\n", esc(line)));
        }
        content.push_str(&format!("(Page {} of {n}) Tj\nET", p + 1));
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * p
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_ordered() {
        let h = History::new(42, 1, (1000, 0), "000000000012345678", "1234", Tenant::Intl);
        let a = h.json(&h.get(10));
        let b = h.json(&h.get(10));
        assert_eq!(a, b);
        for i in 1..1000 {
            assert!(h.time_ms(i) < h.time_ms(i - 1));
            assert_eq!(h.time_ms(i), h.get(i).time);
        }
        let f = Filter { window: Some((h.time_ms(20), h.time_ms(10) + 1)), ..Filter::default() };
        assert_eq!(f.range(&h), (10, 21));
    }

    /// The SDK's quickstart and end-to-end tests count and sum these: the ids and amounts must not move when the
    /// answers change form.
    #[test]
    fn pinned_history() {
        let h = History::new(42, 1, (250, 0), "000000000012345678", "1234", Tenant::Intl);
        let total: Decimal = (0..250).map(|i| h.get(i).card_amount).sum();
        assert_eq!(h.get(0).id, "4f9f6307-7607-4235-8ee5-02a7ea30ec14");
        assert_eq!(h.get(249).id, "4aed41bf-da35-4f00-bc2c-ecbf9d92b908");
        assert_eq!(h.get(0).card_amount.to_string(), "13.60");
        assert_eq!(total.to_string(), "13221.57");
    }

    #[test]
    fn live_forms_and_cashback() {
        let h = History::new(42, 1, (400, 0), "000000000012345678", "1234", Tenant::Intl);
        let all: Vec<Value> = (0..400).map(|i| h.json(&h.get(i))).collect();
        for (i, t) in all.iter().enumerate() {
            assert_eq!(t["mcc"].is_string(), i % 2 == 0, "{i}");
            assert!(t["merchantCountry"].as_str().is_some_and(|c| c.len() == 3));
            assert_eq!(t.get("networkReference").is_some(), i % 3 != 0);
            assert_eq!(h.get(i).time % 1000, 0);
        }
        let forms: std::collections::HashSet<String> = all
            .iter()
            .map(|t| {
                let s = t["dateTime"].as_str().unwrap();
                format!("{}{}", s.contains('.'), &s[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit()))
            })
            .collect();
        assert_eq!(forms.len(), 5, "{forms:?}");
        let statuses: std::collections::HashSet<&str> =
            all.iter().filter_map(|t| t["cashback"]["status"].as_str()).collect();
        assert_eq!(statuses.len(), 4, "{statuses:?}");
        assert!(all.iter().any(|t| t.get("cashback").is_none()));
        assert!(all.iter().any(|t| t.get("cashback").is_some_and(Value::is_null)));
        let (balance, lifetime) = h.cashback_totals();
        let sum = |status: &str| -> Decimal {
            all.iter()
                .filter(|t| t["cashback"]["status"] == status)
                .map(|t| t["cashback"]["amount"].as_str().unwrap().parse::<Decimal>().unwrap())
                .sum()
        };
        assert_eq!(balance, sum("EARNED"));
        assert_eq!(lifetime, sum("EARNED") + sum("CLAIMED"));
        assert!(balance > Decimal::ZERO && lifetime > balance);
    }

    #[test]
    fn big_history_is_lazy() {
        let h = History::new(42, 1, (100_000, 0), "000000000012345678", "1234", Tenant::Us);
        let f = Filter::default();
        assert_eq!(f.page(&h, 1999, 50).len(), 50);
        assert!(f.page(&h, 2000, 50).is_empty());
    }
}
