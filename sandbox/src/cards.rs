//! The card (status, order, freeze, unfreeze, secure-view tokens and their pages) and product orders. The card's
//! cashback is with the transactions it is earned on.

use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult, html, ok};
use crate::extract::{Authed, JsonBody, Obj, OrderAuthed, Query};
use crate::state::{Card, CardToken, CardTokenKind, ProductOrder, Shared};
use crate::util;
use crate::webhooks::{self, NewEvent};

fn card_json(c: &Card) -> Value {
    json!({
        "id": c.id,
        "holderName": c.holder_name,
        "expiryDate": c.expiry_date,
        "panLast4": c.pan_last4,
        "status": c.status,
        "type": c.card_type,
        "orderedAt": c.ordered_at,
        // Undocumented members the live API sends.
        "isPinSet": true,
        "provider": "MASTERCARD",
    })
}

fn card_not_found() -> ApiError {
    ApiError::not_found("Card not found")
}

/// `GET /v1/card/status` (404 `Card not found` before the user has a card).
pub(crate) async fn status(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    let inner = st.inner();
    let card = inner.user(&a.user_id).and_then(|u| u.card.as_ref()).ok_or_else(card_not_found)?;
    Ok(ok(card_json(card)))
}

/// `POST /v1/card/order` `{"type":"VIRTUAL"}`: the card is ACTIVE at once and `card.activated` is emitted.
pub(crate) async fn order(State(st): State<Shared>, a: Authed, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let card_type = b.str("type")?;
    if card_type != "VIRTUAL" {
        // One of the live API's other error shapes: `{errorMessage, errorCode}`.
        return Err(ApiError::error_message(
            422,
            format!("Validation Error: type must be VIRTUAL (got {card_type})"),
            "INVALID_CARD_TYPE",
        ));
    }
    let card = {
        let mut inner = st.inner();
        let u = inner.user_mut(&a.user_id).ok_or_else(ApiError::not_authenticated)?;
        if u.verification_state != "VERIFIED" {
            return Err(ApiError::bad_request("User is not verified: KYC must be completed before ordering a card"));
        }
        if u.card.as_ref().is_some_and(|c| c.status != "BLOCKED") {
            return Err(ApiError::bad_request("User already has a card"));
        }
        let (y, m, _) = util::civil_from_days(util::now_ms().div_euclid(86_400_000));
        let holder = format!(
            "{} {}",
            u.profile.first_name.as_deref().unwrap_or("CARD"),
            u.profile.last_name.as_deref().unwrap_or("HOLDER")
        )
        .to_uppercase();
        let card = Card {
            id: u.card_id.clone(),
            holder_name: holder,
            expiry_date: format!("{:04}/{m:02}", y + 4),
            pan_last4: u.pan_last4.clone(),
            status: "ACTIVE".into(),
            card_type,
            ordered_at: util::now_iso(),
        };
        u.card = Some(card.clone());
        card
    };
    webhooks::emit(
        &st,
        NewEvent {
            tenant: a.tenant,
            event_type: "card.activated",
            category: "card",
            source: "card-service",
            user_id: a.user_id.clone(),
            object_id: card.id.clone(),
            object_status: Some("ACTIVE".into()),
            changes: json!({ "status": [null, "ACTIVE"] }),
            object: json!({
                "card_id": card.id,
                "status": "ACTIVE",
                "type": card.card_type,
                "pan_last4": card.pan_last4,
                "activated_at": card.ordered_at,
            }),
        },
    );
    Ok(ok(json!({ "success": true })))
}

fn set_status(st: &Shared, user_id: &str, freeze: bool) -> ApiResult<Response> {
    let mut inner = st.inner();
    let card = inner.user_mut(user_id).and_then(|u| u.card.as_mut()).ok_or_else(card_not_found)?;
    match (freeze, card.status.as_str()) {
        (true, "ACTIVE") => card.status = "FROZEN".into(),
        // As the live API does: the error object JSON-encoded inside `message`.
        (true, "FROZEN") => {
            return Err(ApiError::nested_in_message(400, "Card is already frozen", "CARD_ALREADY_FROZEN"));
        }
        (false, "FROZEN") => card.status = "ACTIVE".into(),
        (false, "ACTIVE") => return Err(ApiError::bad_request("Card is not frozen")),
        (_, "BLOCKED") => return Err(ApiError::bad_request("Card is blocked: order a replacement card")),
        (_, other) => return Err(ApiError::bad_request(format!("Card status {other} does not allow this"))),
    }
    Ok(ok(json!({ "success": true })))
}

/// `POST /v1/card/freeze`.
pub(crate) async fn freeze(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    set_status(&st, &a.user_id, true)
}

/// `POST /v1/card/unfreeze`.
pub(crate) async fn unfreeze(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    set_status(&st, &a.user_id, false)
}

const TOKEN_TTL: Duration = Duration::from_secs(600);

fn check_css(css: Option<Obj>, colors: &[&str], numbers: &[&str]) -> ApiResult<()> {
    let Some(css) = css else { return Ok(()) };
    for name in colors {
        if let Some(v) = css.opt_str(name)?
            && !util::is_hex_color(&v)
        {
            return Err(ApiError::validation(format!(
                "Validation Error: customCss.{name} must be a hex colour like #1A2B3C"
            )));
        }
    }
    for name in numbers {
        if css.opt_value(name).is_some() {
            css.u64(name)?;
        }
    }
    Ok(())
}

fn new_card_token(st: &Shared, user_id: &str, kind: CardTokenKind) -> ApiResult<String> {
    let mut inner = st.inner();
    let card = inner.user(user_id).and_then(|u| u.card.as_ref()).ok_or_else(card_not_found)?;
    if kind == CardTokenKind::SetPin && card.status != "ACTIVE" {
        return Err(ApiError::bad_request(format!("The PIN cannot be changed while the card is {}", card.status)));
    }
    if card.status == "BLOCKED" {
        return Err(ApiError::bad_request("Card is blocked"));
    }
    let token = util::random_uuid();
    inner.card_tokens.insert(
        token.clone(),
        CardToken { kind, user_id: user_id.to_string(), expires_at: Instant::now() + TOKEN_TTL, used: false },
    );
    Ok(token)
}

/// `POST /v1/card/details/token`.
pub(crate) async fn details_token(State(st): State<Shared>, a: Authed, JsonBody(b): JsonBody) -> ApiResult<Response> {
    check_css(
        b.opt_object("customCss")?,
        &["cardBackgroundColor", "cardTextColor", "panBackgroundColor", "panTextColor"],
        &[],
    )?;
    let token = new_card_token(&st, &a.user_id, CardTokenKind::Details)?;
    Ok(ok(json!({ "token": token, "imageUrl": format!("{}/details-image?token={token}", st.base_url) })))
}

/// `POST /v1/card/pin/token`.
pub(crate) async fn pin_token(State(st): State<Shared>, a: Authed, JsonBody(b): JsonBody) -> ApiResult<Response> {
    check_css(b.opt_object("customCss")?, &["backgroundColor", "textColor"], &[])?;
    let token = new_card_token(&st, &a.user_id, CardTokenKind::Pin)?;
    Ok(ok(json!({ "token": token, "imageUrl": format!("{}/details-image?token={token}", st.base_url) })))
}

/// `POST /v1/card/set-pin/token`.
pub(crate) async fn set_pin_token(State(st): State<Shared>, a: Authed, JsonBody(b): JsonBody) -> ApiResult<Response> {
    b.opt_str("redirectUrl")?;
    b.opt_bool("isEmbedded")?;
    check_css(
        b.opt_object("customCss")?,
        &["backgroundColor", "textColor", "backgroundColorPrimary", "textColorPrimary", "pinBorderColor"],
        &["buttonBorderRadius", "pinBorderRadius"],
    )?;
    let token = new_card_token(&st, &a.user_id, CardTokenKind::SetPin)?;
    Ok(ok(json!({ "token": token, "hostedPageUrl": format!("{}/pin-direct/set?token={token}", st.base_url) })))
}

/// Consumes a single-use card token of one of `kinds`; returns its user.
fn consume(st: &Shared, token: &str, kinds: &[CardTokenKind]) -> Option<(String, CardTokenKind)> {
    let mut inner = st.inner();
    let t = inner.card_tokens.get_mut(token)?;
    if t.used || t.expires_at <= Instant::now() || !kinds.contains(&t.kind) {
        return None;
    }
    t.used = true;
    Some((t.user_id.clone(), t.kind))
}

/// `GET /details-image?token=..`: the card-details or PIN image (SVG), once per token.
pub(crate) async fn details_image(State(st): State<Shared>, q: Query) -> Response {
    let token = q.get("token").unwrap_or_default();
    let Some((user_id, kind)) = consume(&st, token, &[CardTokenKind::Details, CardTokenKind::Pin]) else {
        return ApiError::message(410, "Token expired or already used").into_response();
    };
    let (holder, last4, expiry) = {
        let inner = st.inner();
        let c = inner.user(&user_id).and_then(|u| u.card.clone());
        c.map(|c| (c.holder_name, c.pan_last4, c.expiry_date)).unwrap_or_default()
    };
    let text = match kind {
        CardTokenKind::Pin => "PIN 1234".to_string(),
        _ => format!("4000 0000 0000 {last4}  CVV 123  EXP {expiry}  {}", util::html_escape(&holder)),
    };
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="420" height="60"><rect width="100%" height="100%" fill="#000000"/><text x="12" y="36" fill="#FFFFFF" font-family="monospace" font-size="14">{text}</text></svg>"##
    );
    let mut resp = svg.into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `GET /pin-direct/set?token=..`: the hosted PIN-setting page, once per token.
pub(crate) async fn set_pin_page(State(st): State<Shared>, q: Query) -> Response {
    let token = q.get("token").unwrap_or_default();
    if consume(&st, token, &[CardTokenKind::SetPin]).is_none() {
        return html(
            410,
            "<!doctype html><title>Link expired</title><h1>This link has expired or was used.</h1>".into(),
        );
    }
    html(
        200,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Set your PIN (sandbox)</title></head>\
         <body><h1>Set your PIN (sandbox)</h1><form><label>New PIN <input type=\"password\" inputmode=\"numeric\" \
         maxlength=\"4\"></label><button type=\"button\">Save</button></form></body></html>"
            .into(),
    )
}

// ---------------------------------------------------------------------------------------------------------------
// Product orders

const PRODUCTS: [(&str, &str, &str); 2] =
    [("PREMIUM_SUBSCRIPTION", "Premium subscription", "49.99"), ("METAL_CARD", "Metal card", "149.00")];

/// `GET /v1/order/products/available`.
pub(crate) async fn products(State(st): State<Shared>, OrderAuthed(a): OrderAuthed) -> ApiResult<Response> {
    let inner = st.inner();
    let verified = inner.user(&a.user_id).is_some_and(|u| u.verification_state == "VERIFIED");
    let list: Vec<Value> =
        PRODUCTS.iter().map(|(id, desc, _)| json!({ "id": id, "description": desc, "isEligible": verified })).collect();
    Ok(ok(Value::Array(list)))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderCreated {
    request_id: String,
    order_id: String,
    payment_config: PaymentConfig,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentConfig {
    payment_amount: Box<RawValue>,
    payment_currency: &'static str,
    destination_address: &'static str,
    destination_chain_id: &'static str,
    destination_token_symbol: &'static str,
    destination_token_address: &'static str,
}

/// `POST /v1/order`.
pub(crate) async fn create_order(
    State(st): State<Shared>,
    OrderAuthed(a): OrderAuthed,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let product_id = b.str("productId")?;
    let method = b.str("paymentMethod")?;
    let Some((_, _, price)) = PRODUCTS.iter().find(|(id, _, _)| *id == product_id) else {
        return Err(ApiError::validation(format!("Validation Error: unknown productId {product_id}")));
    };
    if method != "CRYPTO_EXTERNAL_DAIMO" {
        return Err(ApiError::validation("Validation Error: paymentMethod must be CRYPTO_EXTERNAL_DAIMO"));
    }
    let mut inner = st.inner();
    if inner.user(&a.user_id).is_none_or(|u| u.verification_state != "VERIFIED") {
        return Err(ApiError::message(403, "User is not eligible for this product"));
    }
    let order = ProductOrder {
        order_id: format!("ord_{}", util::random_hex(12)),
        request_id: format!("payment_{}", util::random_hex(12)),
        user_id: a.user_id.clone(),
        polls: 0,
        tx_hash: format!("0x{}", util::random_hex(64)),
    };
    let answer = OrderCreated {
        request_id: order.request_id.clone(),
        order_id: order.order_id.clone(),
        payment_config: PaymentConfig {
            // A JSON number, as the documented sample shows, written from the exact decimal text (no f64).
            payment_amount: RawValue::from_string((*price).to_string())
                .map_err(|_| ApiError::message(500, "Internal server error"))?,
            payment_currency: "USDC",
            destination_address: "0x9dd23A4a0845f10d65D293776B792af1131c7B30",
            destination_chain_id: "59144",
            destination_token_symbol: "USDC",
            destination_token_address: "0x176211869ca2b568f2a7d4ee941e073a821ee1ff",
        },
    };
    inner.orders.push(order);
    Ok(axum::Json(answer).into_response())
}

/// `GET /v1/order/{orderId}`: STARTED for the first two polls, then COMPLETED.
pub(crate) async fn order_status(
    State(st): State<Shared>,
    OrderAuthed(a): OrderAuthed,
    Path(order_id): Path<String>,
) -> ApiResult<Response> {
    let mut inner = st.inner();
    let o = inner
        .orders
        .iter_mut()
        .find(|o| o.order_id == order_id && o.user_id == a.user_id)
        .ok_or_else(|| ApiError::not_found("Order not found"))?;
    o.polls += 1;
    let done = o.polls > 2;
    Ok(ok(json!({
        "requestId": o.request_id,
        "orderId": o.order_id,
        "status": if done { "COMPLETED" } else { "STARTED" },
        "paidAt": if done { Value::from("2023-03-27 17:07:12.662+03") } else { Value::Null },
        "metadata": {
            "paymentId": o.request_id.replacen("payment_", "pay_", 1),
            "txHash": if done { Value::from(o.tx_hash.clone()) } else { Value::Null },
            "note": if done { "payment_confirmed" } else { "awaiting_payment" },
        },
    })))
}
