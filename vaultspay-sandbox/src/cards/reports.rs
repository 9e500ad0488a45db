//! Reported card issues: report (an ACTIVE card freezes) → review → replace (a new card, new PAN) or renew (a new
//! card, same PAN, new expiry and CVV), or decline (the card stays as it is, FREEZE when the report froze it).
//! The old card of a replacement or renewal is BLOCK for good.
//!
//! Undocumented bodies, as the sandbox takes them: Report Card Issue `{cardId | cardToken, reason: LOST | STOLEN |
//! DAMAGED | FRAUD | OTHER, statusReason?}`; Review `{cardId | cardToken (or reportId), remarks?}`; Replace like
//! Renew `{cardId, cardToken?, remarks?}`. List Reported Card Issues takes `page`, `perPage`, `cardId`, `status`.

use axum::extract::State;
use cardsdk_sandbox_kit::{Query, now_ms};
use serde_json::{Value, json};

use super::{NewCard, card, card_mut, emit, iso, issue, not_replaced, refused, set_status, target};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{self, Authed, Body};
use crate::state::{Inner, Report, Shared, next};
use crate::{paging, respond};

const REASONS: [&str; 5] = ["LOST", "STOLEN", "DAMAGED", "FRAUD", "OTHER"];

/// The open report (PENDING_REVIEW or REVIEWED) of a card.
pub(crate) fn open_report(inner: &Inner, card_id: i64) -> Option<&Report> {
    inner.reports.iter().find(|r| r.card_id == card_id && matches!(r.status, "PENDING_REVIEW" | "REVIEWED"))
}

/// The report object.
pub(crate) fn report_json_for(inner: &Inner) -> impl Fn(&Report) -> Value + '_ {
    move |r| {
        json!({
            "id": r.id,
            "cardId": r.card_id,
            "cardToken": inner.cards.get(&r.card_id).map(|c| c.token),
            "reason": r.reason,
            "statusReason": r.status_reason,
            "status": r.status,
            "remarks": r.remarks,
            "newCardId": r.new_card_id,
            "createdAt": iso(r.created_at),
            "updatedAt": iso(r.updated_at),
        })
    }
}

/// `POST /pcs/api/v1/report-card-issue`.
pub(crate) async fn report(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let reason = b.str("reason")?;
    if !REASONS.contains(&reason.as_str()) {
        return Err(ApiError::invalid_payload("reason", "must be LOST, STOLEN, DAMAGED, FRAUD or OTHER"));
    }
    let text = b.opt_str("statusReason")?.unwrap_or_else(|| format!("Card reported {}", reason.to_lowercase()));
    let mut events = Vec::new();
    let body = {
        let mut inner = st.inner();
        let id = target(&inner, &b, "cardToken")?;
        if open_report(&inner, id).is_some() {
            return Err(refused("The card already has a reported issue under review"));
        }
        let rid = next(&mut inner.ids.report);
        let c = card_mut(&mut inner, id)?;
        not_replaced(c)?;
        if !["ACTIVE", "FREEZE", "BLOCK"].contains(&c.status) {
            return Err(refused(format!(
                "Only an issued card (ACTIVE, FREEZE or BLOCK) can be reported (the card is {})",
                c.status
            )));
        }
        if c.status == "ACTIVE" {
            set_status(c, "FREEZE", &text, &mut events);
        }
        let now = now_ms();
        inner.reports.push(Report {
            id: rid,
            card_id: id,
            reason,
            status_reason: text,
            status: "PENDING_REVIEW",
            remarks: None,
            new_card_id: None,
            created_at: now,
            updated_at: now,
        });
        let r = inner.reports.last().cloned();
        r.map(|r| report_json_for(&inner)(&r)).unwrap_or(Value::Null)
    };
    emit(&st, events);
    respond::data(body)
}

/// The report a body names (`reportId`, else the card's open report).
fn report_index(inner: &Inner, b: &cardsdk_sandbox_kit::Obj) -> ApiResult<usize> {
    if let Some(rid) = b.opt_int_or_digits("reportId")? {
        return inner.reports.iter().position(|r| r.id == rid).ok_or_else(|| ApiError::unknown("reportId", "Report"));
    }
    let id = target(inner, b, "cardToken")?;
    inner
        .reports
        .iter()
        .position(|r| r.card_id == id && matches!(r.status, "PENDING_REVIEW" | "REVIEWED"))
        .ok_or_else(|| refused("The card has no reported issue"))
}

/// `POST /pcs/api/v1/review-report-card-issue`: PENDING_REVIEW → REVIEWED.
pub(crate) async fn review(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let remarks = b.opt_str("remarks")?;
    let mut inner = st.inner();
    let i = report_index(&inner, &b)?;
    let r = &mut inner.reports[i];
    if r.status != "PENDING_REVIEW" {
        return Err(refused(format!("Only a report PENDING_REVIEW can be reviewed (it is {})", r.status)));
    }
    r.status = "REVIEWED";
    r.remarks = remarks.or(r.remarks.take());
    r.updated_at = now_ms();
    let r = r.clone();
    respond::data(report_json_for(&inner)(&r))
}

/// Checks that the card's report was reviewed; returns its index.
fn reviewed(inner: &Inner, b: &cardsdk_sandbox_kit::Obj) -> ApiResult<(usize, i64)> {
    let id = target(inner, b, "cardToken")?;
    let i = inner
        .reports
        .iter()
        .position(|r| r.card_id == id && matches!(r.status, "PENDING_REVIEW" | "REVIEWED"))
        .ok_or_else(|| refused("The card has no reported issue"))?;
    if inner.reports[i].status != "REVIEWED" {
        return Err(refused("The reported issue has not been reviewed yet"));
    }
    Ok((i, id))
}

/// Replaces (`keep_pan` false) or renews a reviewed card.
async fn reissue(st: Shared, b: cardsdk_sandbox_kit::Obj, keep_pan: bool) -> ApiResult {
    let remarks = b.opt_str("remarks")?;
    let mut events = Vec::new();
    let body = {
        let mut inner = st.inner();
        let (i, old_id) = reviewed(&inner, &b)?;
        let old = card(&inner, old_id)?.clone();
        not_replaced(&old)?;
        let status = if old.card_type == "PHYSICAL" { "ISSUANCE_IN_PROGRESS" } else { "ACTIVE" };
        let new_id = issue(
            &mut inner,
            NewCard {
                user_id: old.user_id,
                account_id: old.account_id,
                tier_id: old.tier_id,
                card_type: old.card_type,
                status,
                emboss_name: old.emboss_name.clone(),
                address: old.address.clone(),
                pan: keep_pan.then(|| old.pan.clone()),
                expiry_after: keep_pan.then(|| old.expiry.clone()),
                pin: old.pin.clone(),
            },
        );
        let verb = if keep_pan { "Renewed" } else { "Replaced" };
        if let Ok(n) = card_mut(&mut inner, new_id) {
            if status == "ISSUANCE_IN_PROGRESS" {
                n.manufacturing = Some("IN_PROGRESS");
            }
            n.status_reason = format!("{verb} card {old_id}");
        }
        let c = card_mut(&mut inner, old_id)?;
        set_status(c, "BLOCK", &format!("{verb} by card {new_id}"), &mut events);
        c.replaced_by = Some(new_id);
        let r = &mut inner.reports[i];
        r.status = if keep_pan { "RENEWED" } else { "REPLACED" };
        r.new_card_id = Some(new_id);
        r.remarks = remarks.or(r.remarks.take());
        r.updated_at = now_ms();
        let n = card(&inner, new_id)?;
        json!({
            "cardId": n.id,
            "cardToken": n.token,
            "status": n.status,
            "message": if keep_pan { "Card renew successfully!" } else { "Card replaced successfully!" },
        })
    };
    emit(&st, events);
    respond::data(body)
}

/// `POST /pcs/api/v1/replace-card`: a new card with a new PAN (PHYSICAL: ISSUANCE_IN_PROGRESS, VIRTUAL: ACTIVE).
pub(crate) async fn replace(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    reissue(st, b, false).await
}

/// `POST /pcs/api/v1/renew-card`: a new card with the same PAN, a new expiry, CVV and token.
pub(crate) async fn renew(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    reissue(st, b, true).await
}

/// `POST /pcs/api/v1/decline-card`: the report is DECLINED; the card keeps its status (FREEZE when the report froze
/// it: unfreeze it with Toggle Freeze).
pub(crate) async fn decline(State(st): State<Shared>, _: Authed, Body(b): Body) -> ApiResult {
    let remarks = b.opt_str("remarks")?;
    let mut inner = st.inner();
    let (i, id) = reviewed(&inner, &b)?;
    let r = &mut inner.reports[i];
    r.status = "DECLINED";
    r.remarks = remarks.clone().or(r.remarks.take());
    r.updated_at = now_ms();
    let reason = r.status_reason.clone();
    let c = card(&inner, id)?;
    respond::data(json!({
        "cardId": c.id,
        "cardToken": c.token,
        "cardStatus": c.status,
        "statusReason": reason,
        "remarks": remarks,
    }))
}

/// `GET /pcs/api/v1/card-reported-issues`: newest first, paged.
pub(crate) async fn list(State(st): State<Shared>, _: Authed, q: Query) -> ApiResult {
    let page = paging::request(&q)?;
    let card_id = q.non_empty("cardId").map(|v| extract::id(v, "cardId")).transpose()?;
    let inner = st.inner();
    let items: Vec<Value> = inner
        .reports
        .iter()
        .rev()
        .filter(|r| card_id.is_none_or(|c| r.card_id == c))
        .filter(|r| q.non_empty("status").is_none_or(|s| r.status.eq_ignore_ascii_case(s)))
        .map(report_json_for(&inner))
        .collect();
    let (items, pagination) = paging::slice(items, page);
    respond::page(items, pagination)
}
