//! Cards: tiers, embossing names, creation, the card object, secrets (details, PAN, CVV, expiry) and the linked
//! account; the lifecycle, reports and conversions are in the submodules.
//!
//! States: a VIRTUAL card is ACTIVE at once; a PHYSICAL one starts REQUESTED (the sandbox's name for a card
//! request not yet processed: the docs do not name it), then ISSUANCE_IN_PROGRESS (process), manufacturing,
//! PENDING_VERIFICATION (delivered), ACTIVE (activated with its PAN and expiry). ACTIVE ↔ BLOCK (Update Card
//! Status), ACTIVE ↔ FREEZE (Toggle Freeze); a report freezes an ACTIVE card; a replaced or renewed card is BLOCK
//! for good. Every refused transition is 500 / 1010 BAD_REQUEST with a message naming the state; every status
//! change is POSTed to the card-status webhook.

pub(crate) mod conversion;
pub(crate) mod lifecycle;
pub(crate) mod reports;

use axum::extract::{Path, State};
use cardsdk_sandbox_kit::{Obj, TimeForm, civil_from_days, format_time, now_ms, random_uuid};
use serde_json::{Map, Value, json};

use crate::KycStatus;
use crate::catalog::{self, CARD_LIMITS, LIMIT_CURRENCY, SECURITY_SETTINGS, Tier};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{self, Authed, Body};
use crate::state::{Card, Inner, Limit, Setting, Shared, next};
use crate::webhooks::{self, CardEvent};
use crate::{accounts, respond, users};

/// The 3DS configuration id of every card.
const THREE_DS_CONFIG_ID: i64 = 9;
/// The `cardIssuerConfigId` of every card.
const ISSUER_CONFIG_ID: i64 = 9;

/// A card's last four digits.
pub(crate) fn last_four(c: &Card) -> String {
    c.pan.chars().skip(c.pan.len().saturating_sub(4)).collect()
}

/// The tier of a card (every card has one of the static tiers).
pub(crate) fn tier_of(c: &Card) -> &'static Tier {
    catalog::tier(c.tier_id).unwrap_or(&catalog::TIERS[0])
}

/// The Luhn check digit of `digits`.
fn luhn_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { (d * 2) / 10 + (d * 2) % 10 } else { d })
        .sum();
    (10 - sum % 10) % 10
}

/// A 16-digit PAN with the tier's BIN and a valid Luhn digit.
fn new_pan(inner: &mut Inner, bin: &str) -> String {
    let body = format!("{bin}{}", inner.det().digits(15 - bin.len()));
    format!("{body}{}", luhn_digit(&body))
}

/// `MM/YY`, `months` from now — or, for a renewal (`after`: the old card's expiry), a month after the old
/// expiry if that is later: a renewed card never keeps its predecessor's expiry, even when both are issued in
/// the same month.
fn expiry_in(months: u32, after: Option<&str>) -> String {
    let (y, m, _) = civil_from_days(now_ms().div_euclid(86_400_000));
    let fresh = y * 12 + i64::from(m) - 1 + i64::from(months);
    let total = match after.and_then(expiry_month) {
        Some(old) if old >= fresh => old + 1,
        _ => fresh,
    };
    format!("{:02}/{:02}", total.rem_euclid(12) + 1, total.div_euclid(12).rem_euclid(100))
}

/// An `MM/YY` expiry as months since year 0 (`YY` in this century), or `None` if it is not one.
fn expiry_month(expiry: &str) -> Option<i64> {
    let (mm, yy) = expiry.split_once('/')?;
    let (mm, yy): (i64, i64) = (mm.parse().ok()?, yy.parse().ok()?);
    ((1..=12).contains(&mm) && (0..100).contains(&yy)).then(|| (2000 + yy) * 12 + mm - 1)
}

/// What a new card is made of.
pub(crate) struct NewCard {
    pub(crate) user_id: i64,
    pub(crate) account_id: i64,
    pub(crate) tier_id: i64,
    pub(crate) card_type: &'static str,
    pub(crate) status: &'static str,
    pub(crate) emboss_name: String,
    pub(crate) address: Option<Value>,
    /// Keep this PAN (a renewal); a new one otherwise.
    pub(crate) pan: Option<String>,
    /// A renewal: the old card's expiry, which the new one must come after.
    pub(crate) expiry_after: Option<String>,
    pub(crate) pin: Option<String>,
}

/// Issues a card with a fresh token, CVV and expiry, its four security settings (off) and its limits.
pub(crate) fn issue(inner: &mut Inner, n: NewCard) -> i64 {
    let tier = catalog::tier(n.tier_id).unwrap_or(&catalog::TIERS[0]);
    let id = next(&mut inner.ids.card);
    let link_id = next(&mut inner.ids.card_link);
    let three_ds_id = next(&mut inner.ids.three_ds);
    let pan = match n.pan {
        Some(p) => p,
        None => new_pan(inner, tier.bin),
    };
    let token = 100_000_000 + inner.det().range(0, 900_000_000) as i64;
    let cvv = inner.det().digits(3);
    let now = now_ms();
    inner.cards.insert(
        id,
        Card {
            id,
            token,
            user_id: n.user_id,
            account_id: n.account_id,
            link_id,
            tier_id: tier.id,
            card_type: n.card_type,
            status: n.status,
            status_reason: if n.status == "ACTIVE" { "new card".into() } else { "Card requested".into() },
            emboss_name: n.emboss_name,
            pan,
            cvv,
            expiry: expiry_in(tier.expiry_months, n.expiry_after.as_deref()),
            pin: n.pin,
            three_ds: false,
            three_ds_id,
            manufacturing: None,
            delivery: None,
            estimated_delivery: None,
            address: n.address,
            conversion: None,
            replaced_by: None,
            api_id: random_uuid(),
            created_at: now,
            updated_at: now,
        },
    );
    for (template, (_, _, transaction_type, kind)) in SECURITY_SETTINGS.iter().enumerate() {
        let sid = next(&mut inner.ids.setting);
        inner.settings.push(Setting {
            id: sid,
            card_id: id,
            template,
            kind: *kind,
            transaction_type: transaction_type.to_string(),
            enabled: false,
        });
    }
    for (transaction_type, frequency, limit_type, stem, operator, limit, allowed) in CARD_LIMITS {
        let lid = next(&mut inner.ids.limit);
        let slug = format!("{stem}_{}_{limit_type}", tier.third_party_slug.to_uppercase().replace('-', "_"));
        inner.limits.push(Limit {
            id: lid,
            card_id: Some(id),
            transaction_type: transaction_type.to_string(),
            frequency,
            limit_type,
            slug,
            operator,
            third_party: tier.third_party_slug,
            limit: limit.to_string(),
            allowed: allowed.to_string(),
            currency: LIMIT_CURRENCY,
        });
    }
    id
}

/// Changes a card's status and reason, recording the webhook event when the status changes.
pub(crate) fn set_status(c: &mut Card, to: &'static str, reason: &str, events: &mut Vec<CardEvent>) {
    let from = c.status;
    c.status = to;
    c.status_reason = reason.to_string();
    c.updated_at = now_ms();
    if from != to {
        events.push(CardEvent::new(c, from, tier_of(c)));
    }
}

/// 500 / 1010 for a transition the card's state does not allow.
pub(crate) fn refused(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(message)
}

/// Refuses any change to a card that was replaced or renewed.
pub(crate) fn not_replaced(c: &Card) -> ApiResult<()> {
    match c.replaced_by {
        Some(n) => Err(refused(format!("Card {} has been replaced by card {n}", c.id))),
        None => Ok(()),
    }
}

/// The card a body names: `cardId`, or the token under `token_key` (`cardToken`, or `token` on the secrets
/// endpoints); both may be sent and must then name the same card.
pub(crate) fn target(inner: &Inner, b: &Obj, token_key: &str) -> ApiResult<i64> {
    let id = b.opt_int_or_digits("cardId")?;
    let token = b.opt_int_or_digits(token_key)?;
    let by_token = |t: i64| -> ApiResult<i64> {
        inner.cards.values().find(|c| c.token == t).map(|c| c.id).ok_or_else(|| ApiError::unknown(token_key, "Card"))
    };
    match (id, token) {
        (None, None) => Err(ApiError::invalid_payload("cardId", format!("cardId or {token_key} must be given"))),
        (Some(id), None) => inner.cards.get(&id).map(|c| c.id).ok_or_else(|| ApiError::unknown("cardId", "Card")),
        (None, Some(t)) => by_token(t),
        (Some(id), Some(t)) => {
            let found = by_token(t)?;
            if found == id { Ok(id) } else { Err(ApiError::invalid_payload(token_key, "does not belong to cardId")) }
        }
    }
}

/// A card by id, mutable.
pub(crate) fn card_mut(inner: &mut Inner, id: i64) -> ApiResult<&mut Card> {
    inner.cards.get_mut(&id).ok_or_else(|| ApiError::unknown("cardId", "Card"))
}

/// A card by id.
pub(crate) fn card(inner: &Inner, id: i64) -> ApiResult<&Card> {
    inner.cards.get(&id).ok_or_else(|| ApiError::unknown("cardId", "Card"))
}

/// The card object (details, create, process and conversion answers).
pub(crate) fn view(inner: &Inner, c: &Card) -> Value {
    let tier = tier_of(c);
    let user = inner.users.get(&c.user_id);
    let personal = user.and_then(|u| u.personal.as_ref());
    let pronoun = match personal.and_then(|p| p.gender.as_deref()) {
        Some("FEMALE") => "Ms",
        _ => "Mr",
    };
    let profile = user.map(|u| {
        json!({
            "id": 500 + u.id,
            "pronounTitle": pronoun,
            "firstName": u.first_name,
            "lastName": u.last_name,
            "email": u.email,
            "countryCode": u.country_code,
            "phone": u.phone,
            "language": personal.and_then(|p| p.language.clone()).unwrap_or_else(|| "ENGLISH".into()),
        })
    });
    let account = inner.accounts.get(&c.account_id).map(|a| {
        json!({
            "id": c.link_id,
            "accountId": a.id,
            "userId": a.user_id,
            "accountType": a.account_type,
            "currencyCode": accounts::currency_code(a),
            "accountTitle": a.title,
            "accountNumber": a.number,
            "iban": a.iban,
        })
    });
    let reports: Vec<Value> =
        inner.reports.iter().filter(|r| r.card_id == c.id).map(reports::report_json_for(inner)).collect();
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("id", c.id.into());
    put("userId", c.user_id.into());
    put("cardIssuerConfigId", ISSUER_CONFIG_ID.into());
    put("thirdPartyConfigSlug", tier.third_party_slug.into());
    put("userProfile", profile.unwrap_or(Value::Null));
    put("_3dSecure", json!({ "id": c.three_ds_id, "configId": THREE_DS_CONFIG_ID, "status": c.three_ds }));
    put("account", account.unwrap_or(Value::Null));
    put("cardTier", json!({ "id": tier.id, "enableFraudRules": true, "enableLimits": true }));
    put("activation", json!({ "status": c.status == "ACTIVE", "activatedAt": Value::Null }));
    put(
        "manufacturing",
        c.manufacturing.map_or(Value::Null, |s| json!({ "status": s, "updatedAt": iso(c.updated_at) })),
    );
    put(
        "delivery",
        c.delivery.as_ref().map_or(
            Value::Null,
            |s| json!({ "status": s, "estimatedDeliveryTime": c.estimated_delivery, "address": c.address }),
        ),
    );
    put("paymentCardType", tier.payment_card_type.into());
    put("cardNetwork", tier.network.into());
    put("cardType", c.card_type.into());
    put("billingCurrency", tier.billing_currency.into());
    put("embossName", c.emboss_name.clone().into());
    put("lastFourDigits", last_four(c).into());
    put("lastFourDigit", last_four(c).into());
    put("token", c.token.into());
    put("tokenFlags", "0".into());
    put("pinSet", c.pin.is_some().into());
    put("status", c.status.into());
    put("statusReason", c.status_reason.clone().into());
    put("cardText", format!("{} card {}", c.card_type, c.status).into());
    put("cardCategory", tier.category.into());
    put("consumerType", tier.consumer_type.into());
    put("reportedCards", Value::Array(reports));
    put("maxPurchaseLimit", 25_000.into());
    put("apiCallUniqueIdentifier", c.api_id.clone().into());
    put("cardTokens", Value::Array(Vec::new()));
    put("processedAtThirdParty", (c.status != "REQUESTED").into());
    if let Some(conv) = c.conversion {
        put("cardConversionStatus", conv.into());
    }
    put("createdAt", iso(c.created_at).into());
    put("updatedAt", iso(c.updated_at).into());
    Value::Object(m)
}

/// A timestamp as the REST bodies write it.
pub(crate) fn iso(ms: i64) -> String {
    format_time(ms, TimeForm::MillisZeroOffset)
}

/// The tier object.
fn tier_json(t: &Tier) -> Value {
    json!({
        "id": t.id,
        "cardCategory": t.category,
        "consumerType": t.consumer_type,
        "title": t.title,
        "description": t.description,
        "userId": 4,
        "cardNetwork": t.network,
        "paymentCardType": t.payment_card_type,
        "cardTypes": t.card_types,
        "billingCurrencyCode": t.billing_currency,
        "settlementCurrencyCode": t.billing_currency,
        "expiryPeriod": t.expiry_months,
        "cardStackSize": 1000,
        "cardLimit": 5,
        "cardStockMinimumThreshold": 100,
        "enableAutoRenewalCard": true,
        "is3DS": true,
    })
}

/// `GET /pcs/api/v1/card-tiers`.
pub(crate) async fn tiers(State(_): State<Shared>, _: Authed) -> ApiResult {
    respond::data(catalog::TIERS.iter().map(tier_json).collect::<Vec<_>>())
}

/// The allowed embossing names of a user, from the legal name (personal info, else the user's name): `FIRST LAST`,
/// `FIRST`, `FIRST L`, `F LAST`.
pub(crate) fn embossing_names(inner: &Inner, user_id: i64) -> Option<Vec<String>> {
    let u = inner.users.get(&user_id)?;
    let p = u.personal.as_ref();
    let first = p.and_then(|p| p.first_name.clone()).unwrap_or_else(|| u.first_name.clone()).to_uppercase();
    let last = p.and_then(|p| p.last_name.clone()).unwrap_or_else(|| u.last_name.clone()).to_uppercase();
    let initial = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let mut names = vec![
        format!("{first} {last}"),
        first.clone(),
        format!("{first} {}", initial(&last)),
        format!("{} {last}", initial(&first)),
    ];
    names.retain(|n| !n.trim().is_empty());
    names.dedup();
    Some(names)
}

/// `GET /pcs/api/v1/embossing-names/{userId}` (unknown user: the documented 422 naming `id`).
pub(crate) async fn embossing(State(st): State<Shared>, _: Authed, Path(raw): Path<String>) -> ApiResult {
    let user_id = extract::id(&raw, "id")?;
    let inner = st.inner();
    let names = embossing_names(&inner, user_id).ok_or_else(|| ApiError::unknown("id", "User"))?;
    respond::data(json!({ "names": names }))
}

/// A delivery address (`country` alpha-3, `city`, `addressLine1` required).
pub(crate) fn read_address(a: &Obj) -> ApiResult<Value> {
    let country = a.str("country")?;
    if country.len() != 3 || !country.bytes().all(|c| c.is_ascii_uppercase()) {
        return Err(ApiError::invalid_payload(&a.name("country"), "must be an ISO 3166-1 alpha-3 code"));
    }
    a.str("city")?;
    a.str("addressLine1")?;
    for field in ["longitude", "latitude"] {
        if let Some(v) = a.opt_str(field)?
            && !crate::kyc::is_coordinate(&v)
        {
            return Err(ApiError::invalid_payload(&a.name(field), "must be a decimal number in a string"));
        }
    }
    Ok(Value::Object(a.map().clone()))
}

/// `POST /pcs/api/v1/cards`: VIRTUAL (ACTIVE at once) or PHYSICAL (REQUESTED, needs `address`), for a user whose
/// KYC is VERIFIED (otherwise 500 / 1035 ACTION_REQUIRED `KYC_VERIFICATION`), on one of their accounts, embossed
/// with one of their embossing names.
pub(crate) async fn create(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let tier_id = b.int_or_digits("cardTierId")?;
    let user_id = b.int_or_digits("customerId")?;
    let account_id = b.int_or_digits("accountId")?;
    let card_type = match b.str("cardType")?.as_str() {
        "PHYSICAL" => "PHYSICAL",
        "VIRTUAL" => "VIRTUAL",
        _ => return Err(ApiError::invalid_payload("cardType", "must be PHYSICAL or VIRTUAL")),
    };
    let holder = b.str("cardHolderName")?;
    let address = match b.opt_object("address")? {
        Some(a) => Some(read_address(&a)?),
        None if card_type == "PHYSICAL" => {
            return Err(ApiError::invalid_payload("address", "must not be blank for a PHYSICAL card"));
        }
        None => None,
    };
    let tier = catalog::tier(tier_id).ok_or_else(|| ApiError::unknown("cardTierId", "Card tier"))?;
    if !tier.card_types.split(',').any(|t| t == card_type) {
        return Err(refused(format!("Card tier {} does not offer {card_type} cards", tier.id)));
    }
    let mut inner = st.inner();
    let user = users::find(&inner, user_id, "customerId")?;
    if user.kyc != KycStatus::Verified {
        return Err(ApiError::action_required("KYC_VERIFICATION"));
    }
    let account = accounts::find(&inner, account_id, "accountId")?;
    if account.user_id != user_id {
        return Err(refused("The account does not belong to the customer"));
    }
    let names = embossing_names(&inner, user_id).unwrap_or_default();
    if !names.iter().any(|n| n.eq_ignore_ascii_case(&holder)) {
        return Err(ApiError::invalid_payload("cardHolderName", "must be one of the embossing name options"));
    }
    let status = if card_type == "VIRTUAL" { "ACTIVE" } else { "REQUESTED" };
    let id = issue(
        &mut inner,
        NewCard {
            user_id,
            account_id,
            tier_id,
            card_type,
            status,
            emboss_name: holder.to_uppercase(),
            address,
            pan: None,
            expiry_after: None,
            pin: None,
        },
    );
    let c = card(&inner, id)?;
    respond::data(view(&inner, c))
}

/// `POST /pcs/api/v1/cards/details` `{cardId | token}`.
pub(crate) async fn details(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let inner = st.inner();
    let id = target(&inner, &b, "token")?;
    respond::data(view(&inner, card(&inner, id)?))
}

/// One secret of a card: `pan`, `cvv` or `expiry` (`MM/YY`).
async fn secret(st: Shared, b: Obj, which: &'static str) -> ApiResult {
    let inner = st.inner();
    let c = card(&inner, target(&inner, &b, "token")?)?;
    let value = match which {
        "pan" => c.pan.clone(),
        "cvv" => c.cvv.clone(),
        _ => c.expiry.clone(),
    };
    let mut m = Map::new();
    m.insert(which.to_string(), value.into());
    respond::data(Value::Object(m))
}

/// `POST /pcs/api/v1/get-card-pan` `{cardId | token}` → `{pan}`.
pub(crate) async fn pan(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    secret(st, b, "pan").await
}

/// `POST /pcs/api/v1/get-card-cvv` → `{cvv}`.
pub(crate) async fn cvv(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    secret(st, b, "cvv").await
}

/// `POST /pcs/api/v1/get-card-expiry` → `{expiry}` (`MM/YY`; activation expects the same text).
pub(crate) async fn expiry(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    secret(st, b, "expiry").await
}

/// `POST /pcs/api/v1/update-card-account` `{cardId, accountId}`: another account of the card holder.
pub(crate) async fn link_account(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let card_id = b.int_or_digits("cardId")?;
    let account_id = b.int_or_digits("accountId")?;
    let mut inner = st.inner();
    let owner = accounts::find(&inner, account_id, "accountId")?.user_id;
    let link_id = next(&mut inner.ids.card_link);
    let c = card_mut(&mut inner, card_id)?;
    not_replaced(c)?;
    if owner != c.user_id {
        return Err(refused("The account does not belong to the card holder"));
    }
    c.account_id = account_id;
    c.link_id = link_id;
    c.updated_at = now_ms();
    respond::data(json!({ "accountId": account_id, "remarks": "Card linked account updated" }))
}

/// Emits the events collected by a handler (after the state lock is released).
pub(crate) fn emit(st: &Shared, events: Vec<CardEvent>) {
    webhooks::emit(st, events);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert_eq!(luhn_digit("540896810004042"), 2, "the docs' PAN 5408968100040422");
        assert_eq!(luhn_digit("411111111111111"), 1);
        let e = expiry_in(36, None);
        assert_eq!(e.len(), 5);
        assert_eq!(&e[2..3], "/");
    }

    #[test]
    fn a_renewal_comes_after_the_old_expiry() {
        let fresh = expiry_in(36, None);
        // Renewed in the month the old card was issued: a month later than the old one, not the same.
        let renewed = expiry_in(36, Some(&fresh));
        assert_eq!(expiry_month(&renewed), expiry_month(&fresh).map(|m| m + 1), "{fresh} then {renewed}");
        // Renewed long after: from now, as any new card.
        assert_eq!(expiry_in(36, Some("01/20")), fresh);
        assert_eq!(expiry_in(36, Some("not an expiry")), fresh);
        assert_eq!(expiry_month("12/99"), Some(2099 * 12 + 11));
        assert_eq!((expiry_month("13/30"), expiry_month("1/2030")), (None, None));
    }
}
