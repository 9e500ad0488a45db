//! Direct transfers: IBAN validation (a real mod-97 check), payment contacts of the SaaS app, and transfers from
//! an account to a contact with `amount` in integer minor units, debited once (no idempotency key, as
//! documented), each leaving ledger rows and a transaction. A contact whose IBAN is a sandbox account is credited
//! too (converted at the sandbox's fixed rates when the currencies differ).
//!
//! The transfer answer carries `status: "PENDING"` (the documented value); the transfer settles at once, and its
//! transaction reads `SUCCESS`. Refusals: an invalid IBAN is 500 / 1010 "Invalid IBAN", a missing holder name
//! 422 / 1000 `accountTitle` "Account title is missing", a duplicate contact 500 / 1010 "Payment Contact already
//! exists", too little money 500 / 1010 "Insufficient balance".

use axum::extract::State;
use cardsdk_sandbox_kit::{Obj, now_ms};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

use crate::accounts::{self, currency_code};
use crate::catalog::{self, DECIMAL_POINT, KNOWN_HOLDERS};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Authed, Body};
use crate::iban::{self, Iban};
use crate::money::from_minor;
use crate::state::{Contact, Inner, Money, Shared, Txn, next};
use crate::{respond, transactions};

/// The documented transfer purposes.
const PURPOSES: [&str; 19] = [
    "PERSONAL",
    "OWN_ACCOUNT_TRANSFER",
    "RENT",
    "UTILITY_BILL_PAYMENTS",
    "ALLOWANCE",
    "AIR_TRANSPORT",
    "COMMISSION",
    "COMPENSATION",
    "CREDIT_CARD_PAYMENT",
    "EDUCATIONAL_SUPPORT",
    "FAMILY_SUPPORT",
    "FINANCIAL_SERVICES",
    "GOODS_BOUGHT",
    "PROCESSING_REPAIR",
    "GOVERNMENT_GOODS",
    "LEASING_ABROAD",
    "LEASING_IN_UAE",
    "TRAVEL",
    "TELECOMMUNICATION_SERVICES",
];

/// The `thirdPartyConfigId` of payment contacts.
const THIRD_PARTY_CONFIG_ID: i64 = 14;

/// A holder's name as the third party returns it: up to ten characters, then `*` (`Adamz Ahme*`).
pub(crate) fn mask_title(title: &str) -> String {
    let chars: Vec<char> = title.trim().chars().collect();
    let keep = chars.len().saturating_sub(1).clamp(1, 10);
    format!("{}*", chars.iter().take(keep).collect::<String>())
}

fn invalid_iban() -> ApiError {
    ApiError::bad_request("Invalid IBAN")
}

/// The bank details of a valid IBAN: the holder known to the "third party" (the sandbox's own accounts and a few
/// seeded IBANs), else the `accountTitle` sent (missing: 422 / 1000 `accountTitle`).
fn details(inner: &Inner, iban: &Iban, given: Option<String>) -> ApiResult<Value> {
    let known = KNOWN_HOLDERS.iter().find(|(i, _)| *i == iban.as_str()).map(|(_, h)| h.to_string()).or_else(|| {
        inner.accounts.values().find(|a| a.iban.as_deref() == Some(iban.as_str())).map(|a| a.title.clone())
    });
    let title = known.or(given).ok_or_else(|| ApiError::invalid_payload("accountTitle", "Account title is missing"))?;
    let (bank_code, bank_name, swift) = iban::bank(iban);
    Ok(json!({
        "bankCode": bank_code,
        "accountTitle": mask_title(&title),
        "iban": iban.as_str(),
        "swiftCode": swift,
        "bankName": bank_name,
    }))
}

fn read_iban(b: &Obj) -> ApiResult<Iban> {
    let text = b.str("iban")?;
    iban::validate(&text).map_err(|_| invalid_iban())
}

/// `POST /be/api/v1/validate-iban` `{iban, accountTitle?}` → `{valid, uniqueReference, details}`.
pub(crate) async fn validate_iban(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let iban = read_iban(&b)?;
    let title = b.opt_str("accountTitle")?;
    let inner = st.inner();
    let details = details(&inner, &iban, title)?;
    respond::data(json!({ "valid": true, "uniqueReference": iban.as_str(), "details": details }))
}

/// The contact object.
fn contact_json(c: &Contact) -> Value {
    json!({
        "id": c.id,
        "title": c.title,
        "userId": c.owner_id,
        "details": {
            "bankCode": c.bank.0,
            "accountTitle": c.account_title,
            "iban": c.iban,
            "swiftCode": c.bank.2,
            "bankName": c.bank.1,
        },
        "status": true,
        "thirdPartyConfigId": THIRD_PARTY_CONFIG_ID,
    })
}

/// `POST /be/api/v1/direct-payment-contact` `{title, iban, accountTitle?}`: a contact of the SaaS app.
pub(crate) async fn create_contact(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let title =
        b.opt_str("title")?.ok_or_else(|| ApiError::invalid_payload("title", "Payment Contact Title is required"))?;
    let iban = read_iban(&b)?;
    let given = b.opt_str("accountTitle")?;
    let owner_id = st.seeded.agent.user_id;
    let mut inner = st.inner();
    let d = details(&inner, &iban, given)?;
    if inner.contacts.iter().any(|c| c.owner_id == owner_id && c.iban == iban.as_str()) {
        return Err(ApiError::bad_request("Payment Contact already exists"));
    }
    let text = |k: &str| d[k].as_str().unwrap_or("").to_string();
    let contact = Contact {
        id: next(&mut inner.ids.contact),
        owner_id,
        title,
        iban: iban.as_str().to_string(),
        account_title: text("accountTitle"),
        bank: (text("bankCode"), text("bankName"), text("swiftCode")),
    };
    let body = contact_json(&contact);
    inner.contacts.push(contact);
    respond::data(body)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransferView {
    id: i64,
    transaction_id: String,
    gateway_ref_id: String,
    currency_code: String,
    amount: i64,
    total_charges: i64,
    narration: String,
    status: &'static str,
}

fn valid_description(d: &str) -> bool {
    (1..=100).contains(&d.chars().count()) && d.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
}

/// `POST /tc/api/v1/direct-transfer` `{senderAccountId?, currencyCode?, paymentContactId, purpose, description,
/// amount}`: without `senderAccountId`, the SaaS app's own account in `currencyCode` pays.
pub(crate) async fn transfer(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let sender_id = b.opt_int_or_digits("senderAccountId")?;
    let currency = b.opt_str("currencyCode")?;
    let contact_id = b.int_or_digits("paymentContactId")?;
    let purpose = b.str("purpose")?;
    if !PURPOSES.contains(&purpose.as_str()) {
        return Err(ApiError::invalid_payload("purpose", "must be one of the documented transfer purposes"));
    }
    let description = b.str("description")?;
    if !valid_description(&description) {
        return Err(ApiError::invalid_payload("description", "must be 1 to 100 letters, digits and spaces"));
    }
    let minor = b.i64("amount")?;
    if minor <= 0 {
        return Err(ApiError::invalid_payload("amount", "must be a positive integer in minor units"));
    }
    let agent = st.seeded.agent.user_id;
    let mut inner = st.inner();
    let sender = match (sender_id, &currency) {
        (Some(id), _) => accounts::find(&inner, id, "senderAccountId")?.clone(),
        (None, Some(code)) => inner
            .accounts
            .values()
            .find(|a| a.user_id == agent && currency_code(a).eq_ignore_ascii_case(code))
            .cloned()
            .ok_or_else(|| ApiError::bad_request(format!("The SaaS app has no account in {code}")))?,
        (None, None) => {
            return Err(ApiError::invalid_payload("senderAccountId", "senderAccountId or currencyCode must be given"));
        }
    };
    let code = currency_code(&sender);
    if let Some(c) = &currency
        && !c.eq_ignore_ascii_case(code)
    {
        return Err(ApiError::bad_request(format!("currencyCode {c} does not match the sender account ({code})")));
    }
    let contact = inner
        .contacts
        .iter()
        .find(|c| c.id == contact_id)
        .cloned()
        .ok_or_else(|| ApiError::unknown("paymentContactId", "Payment Contact"))?;
    let major = from_minor(minor, DECIMAL_POINT);
    if sender.balance < major {
        return Err(ApiError::bad_request("Insufficient balance"));
    }
    let receiver = inner.accounts.values().find(|a| a.iban.as_deref() == Some(contact.iban.as_str())).cloned();
    if receiver.as_ref().is_some_and(|r| r.id == sender.id) {
        return Err(ApiError::bad_request("The payment contact is the sender account itself"));
    }
    let gateway_ref = format!("VPT{}", inner.det().digits(12));
    let narration = format!("TRANSFER TO {} {purpose} REF {gateway_ref}", contact.title.to_uppercase());
    let at = now_ms();
    let txn_id = transactions::record(
        &mut inner,
        Txn {
            id: 0,
            uuid: String::new(),
            kind: "Transfer",
            at,
            status: "SUCCESS",
            total_charges: Decimal::ZERO,
            narration: narration.clone(),
            user_id: Some(sender.user_id),
            card_id: None,
            sender: Some(sender.id),
            receiver: receiver.as_ref().map(|r| r.id),
            counterparty: receiver.is_none().then(|| (contact.account_title.clone(), contact.iban.clone())),
            billing: Money { amount: major, currency: code.to_string() },
            original: Money { amount: major, currency: code.to_string() },
            rate: Decimal::ONE,
            merchant: None,
            slug: "vp-direct-transfer",
            rule_type: None,
        },
    );
    let refs = (txn_id, transactions::ref_id(txn_id));
    accounts::post(&mut inner, sender.id, -major, &narration, refs, at);
    if let Some(r) = &receiver {
        let rate = catalog::rate(code, currency_code(r)).unwrap_or(Decimal::ONE);
        let credited =
            (major * rate).round_dp_with_strategy(DECIMAL_POINT, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        let from = format!("TRANSFER FROM {} REF {gateway_ref}", sender.title);
        accounts::post(&mut inner, r.id, credited, &from, refs, at);
    }
    let uuid = inner.transactions.iter().find(|t| t.id == txn_id).map(|t| t.uuid.clone()).unwrap_or_default();
    respond::data(TransferView {
        id: txn_id,
        transaction_id: uuid,
        gateway_ref_id: gateway_ref,
        currency_code: code.to_string(),
        amount: minor,
        total_charges: 0,
        narration,
        status: "PENDING",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_descriptions() {
        assert_eq!(mask_title("Adamz Ahmed"), "Adamz Ahme*");
        assert_eq!(mask_title("johmx"), "johm*");
        assert_eq!(mask_title("A"), "A*");
        assert!(valid_description("Monthly rent August"));
        assert!(!valid_description("Rent, August") && !valid_description("") && !valid_description(&"a".repeat(101)));
    }
}
