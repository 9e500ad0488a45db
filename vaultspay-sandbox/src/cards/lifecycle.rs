//! The card lifecycle: process the request, manufacturing, delivery, activation, PIN (physical cards only),
//! status (ACTIVE/BLOCK), freeze toggle, 3DS enrolment.
//!
//! Undocumented bodies, as the sandbox takes them: Set Card PIN `{cardId | cardToken, pin}` (4 digits); Update
//! Card Manufacturing Status `{cardId | cardToken, manufacturingStatus: IN_PROGRESS | MANUFACTURED}`
//! (`cardManufacturingStatus` also read); Toggle Freeze Card and Enroll 3DS `{cardId | cardToken,
//! statusReason?}`.

use axum::extract::State;
use cardsdk_sandbox_kit::{TimeForm, format_time, now_ms, parse_instant};
use serde_json::{Value, json};

use super::{card, card_mut, emit, not_replaced, refused, set_status, target, view};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Authed, Body};
use crate::respond;
use crate::state::{Card, Shared};

/// `{cardId, cardToken, cardStatus, statusReason}`, the common answer of the lifecycle calls.
fn status_json(c: &Card) -> Value {
    json!({ "cardId": c.id, "cardToken": c.token, "cardStatus": c.status, "statusReason": c.status_reason })
}

/// `POST /pcs/api/v1/process-card-request` `{cardId, status: ISSUANCE_IN_PROGRESS, remarks?, statusReason?}`: a
/// PHYSICAL card in REQUESTED whose PIN is set.
pub(crate) async fn process(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let card_id = b.int_or_digits("cardId")?;
    if b.str("status")? != "ISSUANCE_IN_PROGRESS" {
        return Err(ApiError::invalid_payload("status", "must be ISSUANCE_IN_PROGRESS"));
    }
    let reason = b.opt_str("statusReason")?.unwrap_or_else(|| "Card request accepted".into());
    let mut events = Vec::new();
    let body = {
        let mut inner = st.inner();
        let c = card_mut(&mut inner, card_id)?;
        not_replaced(c)?;
        if c.card_type != "PHYSICAL" {
            return Err(refused("Virtual cards are issued at once: there is no card request to process"));
        }
        if c.status != "REQUESTED" {
            return Err(refused(format!(
                "The card request can only be processed while REQUESTED (the card is {})",
                c.status
            )));
        }
        if c.pin.is_none() {
            return Err(refused("Set the card PIN before processing the card request"));
        }
        set_status(c, "ISSUANCE_IN_PROGRESS", &reason, &mut events);
        c.manufacturing = Some("IN_PROGRESS");
        let c = card(&inner, card_id)?;
        view(&inner, c)
    };
    emit(&st, events);
    respond::data(body)
}

/// `POST /pcs/api/v1/update-card-manufacturing`: IN_PROGRESS → MANUFACTURED, while ISSUANCE_IN_PROGRESS.
pub(crate) async fn manufacturing(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let wanted = match b.opt_str("manufacturingStatus")? {
        Some(s) => s,
        None => b
            .str("cardManufacturingStatus")
            .map_err(|_| ApiError::invalid_payload("manufacturingStatus", "must not be blank"))?,
    };
    let wanted: &'static str = match wanted.as_str() {
        "IN_PROGRESS" => "IN_PROGRESS",
        "MANUFACTURED" => "MANUFACTURED",
        _ => return Err(ApiError::invalid_payload("manufacturingStatus", "must be IN_PROGRESS or MANUFACTURED")),
    };
    let mut inner = st.inner();
    let id = target(&inner, &b, "cardToken")?;
    let c = card_mut(&mut inner, id)?;
    not_replaced(c)?;
    if c.status != "ISSUANCE_IN_PROGRESS" {
        return Err(refused(format!(
            "Manufacturing can only be updated while ISSUANCE_IN_PROGRESS (the card is {})",
            c.status
        )));
    }
    if c.manufacturing == Some("MANUFACTURED") {
        return Err(refused("The card is already MANUFACTURED"));
    }
    c.manufacturing = Some(wanted);
    c.updated_at = now_ms();
    let mut body = status_json(c);
    body["cardManufacturingStatus"] = wanted.into();
    respond::data(body)
}

/// `POST /pcs/api/v1/update-delivery-status` `{cardId, deliveryStatus, estimateDeliveryTime?}`: once
/// MANUFACTURED; DELIVERED moves the card to PENDING_VERIFICATION. Other statuses (DISPATCHED, IN_TRANSIT) are
/// recorded without a status change.
pub(crate) async fn delivery(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let card_id = b.int_or_digits("cardId")?;
    let status = b.str("deliveryStatus")?;
    if !["DISPATCHED", "IN_TRANSIT", "DELIVERED"].contains(&status.as_str()) {
        return Err(ApiError::invalid_payload("deliveryStatus", "must be DISPATCHED, IN_TRANSIT or DELIVERED"));
    }
    let eta = match b.opt_str("estimateDeliveryTime")? {
        Some(v) => Some(
            parse_instant(&v)
                .map(|ms| format_time(ms, TimeForm::ZoneLess))
                .ok_or_else(|| ApiError::invalid_payload("estimateDeliveryTime", "must be an ISO 8601 date-time"))?,
        ),
        None => None,
    };
    let mut events = Vec::new();
    let body = {
        let mut inner = st.inner();
        let c = card_mut(&mut inner, card_id)?;
        not_replaced(c)?;
        if c.status != "ISSUANCE_IN_PROGRESS" || c.manufacturing != Some("MANUFACTURED") {
            return Err(refused(format!(
                "Delivery can only be updated once the card is MANUFACTURED (the card is {}, manufacturing {})",
                c.status,
                c.manufacturing.unwrap_or("not started")
            )));
        }
        c.delivery = Some(status.clone());
        if eta.is_some() {
            c.estimated_delivery = eta;
        }
        if status == "DELIVERED" {
            set_status(c, "PENDING_VERIFICATION", "Approved", &mut events);
        }
        c.updated_at = now_ms();
        json!({
            "cardId": c.id,
            "cardToken": c.token,
            "cardStatus": c.status,
            "statusReason": c.status_reason,
            "deliveryStatus": status,
            "cardManufacturingStatus": c.manufacturing,
            "estimatedDeliveryTime": c.estimated_delivery,
        })
    };
    emit(&st, events);
    respond::data(body)
}

/// `POST /pcs/api/v1/activate-card` `{cardId | cardToken, pan, expiryDate: MM/YY}`: a delivered card
/// (PENDING_VERIFICATION) with its own PAN and expiry becomes ACTIVE.
pub(crate) async fn activate(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let pan: String = b.str("pan")?.chars().filter(|c| !c.is_whitespace()).collect();
    let expiry = b.str("expiryDate")?;
    let mut events = Vec::new();
    let body = {
        let mut inner = st.inner();
        let id = target(&inner, &b, "cardToken")?;
        let c = card_mut(&mut inner, id)?;
        not_replaced(c)?;
        if c.status == "ACTIVE" {
            return Err(refused("The card is already ACTIVE"));
        }
        if c.status != "PENDING_VERIFICATION" {
            return Err(refused(format!(
                "Only a delivered card (PENDING_VERIFICATION) can be activated (the card is {})",
                c.status
            )));
        }
        if pan != c.pan {
            return Err(refused("The PAN does not match the card"));
        }
        if expiry.trim() != c.expiry {
            return Err(refused("The expiry date does not match the card"));
        }
        set_status(c, "ACTIVE", "new card", &mut events);
        json!({ "cardId": c.id, "cardStatus": c.status, "statusReason": c.status_reason })
    };
    emit(&st, events);
    respond::data(body)
}

/// `POST /pcs/api/v1/set-pin` `{cardId | cardToken, pin}`: PHYSICAL cards only, not once BLOCK.
pub(crate) async fn set_pin(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let pin = b.str("pin")?;
    if pin.len() != 4 || !pin.bytes().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::invalid_payload("pin", "must be 4 digits"));
    }
    let mut inner = st.inner();
    let id = target(&inner, &b, "cardToken")?;
    let c = card_mut(&mut inner, id)?;
    not_replaced(c)?;
    if c.card_type != "PHYSICAL" {
        return Err(refused("A PIN can only be set on a PHYSICAL card"));
    }
    if c.status == "BLOCK" {
        return Err(refused("The card is BLOCK: its PIN cannot be set"));
    }
    c.pin = Some(pin);
    c.updated_at = now_ms();
    respond::data(json!({ "cardId": c.id, "cardToken": c.token, "pinSet": true, "message": "PIN set successfully" }))
}

/// `POST /pcs/api/v1/update-card-status` `{cardId | cardToken, statusReason, cardStatus: ACTIVE | BLOCK}`: only
/// from ACTIVE, BLOCK or FREEZE (as documented); the same status again is refused.
pub(crate) async fn update_status(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let reason = b.str("statusReason")?;
    let to: &'static str = match b.str("cardStatus")?.as_str() {
        "ACTIVE" => "ACTIVE",
        "BLOCK" => "BLOCK",
        _ => return Err(ApiError::invalid_payload("cardStatus", "must be ACTIVE or BLOCK")),
    };
    let mut events = Vec::new();
    let body = {
        let mut inner = st.inner();
        let id = target(&inner, &b, "cardToken")?;
        let open_report = super::reports::open_report(&inner, id).is_some();
        let c = card_mut(&mut inner, id)?;
        not_replaced(c)?;
        if !["ACTIVE", "BLOCK", "FREEZE"].contains(&c.status) {
            return Err(refused(format!(
                "The status can only be changed from ACTIVE, BLOCK or FREEZE (the card is {})",
                c.status
            )));
        }
        if c.status == to {
            return Err(refused(format!("The card is already {to}")));
        }
        if to == "ACTIVE" && open_report {
            return Err(refused("The card has a reported issue under review"));
        }
        set_status(c, to, &reason, &mut events);
        json!({ "id": c.id, "token": c.token, "status": c.status, "statusReason": c.status_reason })
    };
    emit(&st, events);
    respond::data(body)
}

/// `POST /pcs/api/v1/toggle-freeze-card`: ACTIVE → FREEZE, FREEZE → ACTIVE (not while a report is open).
pub(crate) async fn toggle_freeze(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let reason = b.opt_str("statusReason")?;
    let mut events = Vec::new();
    let body = {
        let mut inner = st.inner();
        let id = target(&inner, &b, "cardToken")?;
        let open_report = super::reports::open_report(&inner, id).is_some();
        let c = card_mut(&mut inner, id)?;
        not_replaced(c)?;
        match c.status {
            "ACTIVE" => set_status(c, "FREEZE", reason.as_deref().unwrap_or("Card frozen"), &mut events),
            "FREEZE" if open_report => return Err(refused("The card has a reported issue under review")),
            "FREEZE" => set_status(c, "ACTIVE", reason.as_deref().unwrap_or("Card unfrozen"), &mut events),
            other => {
                return Err(refused(format!(
                    "Only an ACTIVE or FREEZE card can be frozen or unfrozen (the card is {other})"
                )));
            }
        }
        status_json(c)
    };
    emit(&st, events);
    respond::data(body)
}

/// Enrols or removes 3DS.
async fn three_ds(st: Shared, b: cardsdk_sandbox_kit::Obj, on: bool) -> ApiResult {
    let mut inner = st.inner();
    let id = target(&inner, &b, "cardToken")?;
    let c = card_mut(&mut inner, id)?;
    not_replaced(c)?;
    if c.three_ds == on {
        return Err(refused(if on {
            "The card is already enrolled in 3DS"
        } else {
            "The card is not enrolled in 3DS"
        }));
    }
    c.three_ds = on;
    c.updated_at = now_ms();
    let mut body = status_json(c);
    body["card3DSecure"] = json!({ "id": c.three_ds_id, "configId": super::THREE_DS_CONFIG_ID, "status": on });
    respond::data(body)
}

/// `POST /pcs/api/v1/enroll-card-three-ds` `{cardId | cardToken}`.
pub(crate) async fn enroll_3ds(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    three_ds(st, b, true).await
}

/// `POST /pcs/api/v1/remove-card-three-ds` `{cardId | cardToken}`.
pub(crate) async fn remove_3ds(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    three_ds(st, b, false).await
}
