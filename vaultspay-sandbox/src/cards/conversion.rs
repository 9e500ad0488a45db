//! Virtual-to-physical conversion: a request on an ACTIVE virtual card (of a tier that offers physical cards) with
//! a KYC address id or an address → APPROVAL_PENDING; the process call approves (the card becomes PHYSICAL, keeps
//! its PAN and stays ACTIVE; its PIN can then be set) or rejects it.
//!
//! Process Virtual-to-Physical Conversion is undocumented; the sandbox takes `{cardId | cardToken, status:
//! APPROVED | REJECTED, remarks?}`.

use axum::extract::State;
use cardsdk_sandbox_kit::now_ms;
use serde_json::json;

use super::{card, card_mut, not_replaced, read_address, refused, target, tier_of, view};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{Authed, Body};
use crate::kyc::address_json;
use crate::respond;
use crate::state::Shared;

/// `POST /pcs/api/v1/virtual-to-physical` `{cardId, addressId? | address?}`.
pub(crate) async fn request(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let card_id = b.int_or_digits("cardId")?;
    let address_id = b.opt_int_or_digits("addressId")?;
    let address = b.opt_object("address")?.map(|a| read_address(&a)).transpose()?;
    let mut inner = st.inner();
    let c = card(&inner, card_id)?;
    not_replaced(c)?;
    let user_id = c.user_id;
    if c.card_type != "VIRTUAL" {
        return Err(refused("The card is already PHYSICAL"));
    }
    if c.status != "ACTIVE" {
        return Err(refused(format!("Only an ACTIVE virtual card can be converted (the card is {})", c.status)));
    }
    if !tier_of(c).card_types.split(',').any(|t| t == "PHYSICAL") {
        return Err(refused(format!("Card tier {} does not offer PHYSICAL cards", c.tier_id)));
    }
    if c.conversion == Some("APPROVAL_PENDING") {
        return Err(refused("A conversion request is already pending"));
    }
    let delivery = match (address_id, address) {
        (Some(id), _) => inner
            .addresses
            .iter()
            .find(|a| a.id == id && a.user_id == user_id)
            .map(address_json)
            .ok_or_else(|| ApiError::unknown("addressId", "Address"))?,
        (None, Some(a)) => a,
        (None, None) => return Err(ApiError::invalid_payload("addressId", "addressId or address must be given")),
    };
    let c = card_mut(&mut inner, card_id)?;
    c.conversion = Some("APPROVAL_PENDING");
    c.address = Some(delivery);
    c.updated_at = now_ms();
    let c = card(&inner, card_id)?;
    respond::data(view(&inner, c))
}

/// `POST /pcs/api/v1/virtual-to-physical-process` `{cardId | cardToken, status: APPROVED | REJECTED, remarks?}`.
pub(crate) async fn process(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let decision: &'static str = match b.str("status")?.as_str() {
        "APPROVED" => "APPROVED",
        "REJECTED" => "REJECTED",
        _ => return Err(ApiError::invalid_payload("status", "must be APPROVED or REJECTED")),
    };
    let remarks = b.opt_str("remarks")?;
    let mut inner = st.inner();
    let id = target(&inner, &b, "cardToken")?;
    let c = card_mut(&mut inner, id)?;
    not_replaced(c)?;
    if c.conversion != Some("APPROVAL_PENDING") {
        return Err(refused("The card has no pending conversion request"));
    }
    c.conversion = Some(decision);
    if decision == "APPROVED" {
        c.card_type = "PHYSICAL";
    }
    c.updated_at = now_ms();
    respond::data(json!({
        "cardId": c.id,
        "cardToken": c.token,
        "cardType": c.card_type,
        "cardConversionStatus": decision,
        "cardStatus": c.status,
        "remarks": remarks,
    }))
}
