//! Consent v2: onboarding consent sets, linking to a user, status, the audit trail and revocation (which appends
//! a new record with a new consent id). Errors use `{"error", "details": [..]}`.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult, json_status, ok};
use crate::extract::{Client, JsonBody, check_secret};
use crate::state::{AuditRecord, ConsentRecord, ConsentSet, Shared};
use crate::util;

const TYPES: [&str; 5] =
    ["eSignAct", "termsAndPrivacy", "marketingNotifications", "smsNotifications", "emailNotifications"];

fn required_types(policy: &str) -> &'static [&'static str] {
    if policy == "US" { &TYPES } else { &TYPES[1..] }
}

fn link(href: String) -> Value {
    json!({ "href": href, "method": "GET" })
}

fn set_json(base: &str, s: &ConsentSet) -> Value {
    let mut links = json!({ "self": link(format!("{base}/v2/consent/consentSet/{}", s.id)) });
    if let Some(u) = &s.user_id {
        links["audit"] = link(format!("{base}/v2/consent/user/{}/audit", util::url_encode(u)));
    }
    json!({
        "consentSetId": s.id,
        "userId": s.user_id,
        "onboardingId": s.onboarding_id,
        "tenantId": s.tenant_id,
        "policyType": s.policy_type,
        "completedAt": s.completed_at,
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
        "consents": s.consents.iter().map(|c| json!({
            "consentId": c.id,
            "consentType": c.consent_type,
            "consentStatus": c.status,
            "metadata": c.metadata,
            "createdAt": c.created_at,
            "updatedAt": c.updated_at,
        })).collect::<Vec<_>>(),
        "_links": links,
    })
}

/// `POST /v2/consent/onboarding` (client key + secret key) → 201 with the new consent set.
pub(crate) async fn create(State(st): State<Shared>, c: Client, JsonBody(b): JsonBody) -> ApiResult<Response> {
    check_secret(&st, &c.headers, true)?;
    let need = |name: &str| -> ApiResult<String> {
        b.opt_str(name)
            .map_err(|e| ApiError::consent_validation(e.to_string()))?
            .ok_or_else(|| ApiError::consent_validation(format!("{name} is required")))
    };
    let onboarding_id = need("onboardingId")?;
    let tenant_id = need("tenantId")?;
    let policy = need("policyType")?;
    let policy = match policy.as_str() {
        "global" | "GLOBAL" | "Global" => "global",
        "US" | "us" | "Us" => "US",
        other => {
            return Err(ApiError::consent_validation(format!(
                "Invalid policyType: '{other}'. Must be one of: global, US"
            )));
        }
    };
    let items = b.objects("consents").map_err(|e| ApiError::consent_validation(e.to_string()))?;
    if items.is_empty() {
        return Err(ApiError::consent_validation("consents must contain at least 1 item"));
    }
    let metadata = b.opt_value("metadata").unwrap_or_else(|| json!({}));
    let now = util::now_iso();
    let mut records = Vec::new();
    for item in &items {
        let consent_type = item.opt_str("consentType").ok().flatten().unwrap_or_default();
        if !TYPES.contains(&consent_type.as_str()) {
            return Err(ApiError::consent_validation(format!(
                "Invalid consentType: '{consent_type}'. Must be one of: {}",
                TYPES.join(", ")
            )));
        }
        let status = item.opt_str("consentStatus").ok().flatten().unwrap_or_default();
        if !matches!(status.as_str(), "granted" | "denied") {
            return Err(ApiError::consent_validation(format!(
                "Invalid consentStatus: '{status}' for {consent_type}. Must be one of: granted, denied"
            )));
        }
        if records.iter().any(|r: &ConsentRecord| r.consent_type == consent_type) {
            return Err(ApiError::consent_validation(format!("Duplicate consentType: {consent_type}")));
        }
        let mut meta = item.opt_value("metadata").unwrap_or_else(|| metadata.clone());
        if meta.get("timestamp").is_none()
            && let Some(obj) = meta.as_object_mut()
        {
            obj.insert("timestamp".into(), now.clone().into());
        }
        records.push(ConsentRecord {
            id: util::random_uuid(),
            consent_type,
            status,
            metadata: meta,
            created_at: now.clone(),
            updated_at: now.clone(),
            superseded: false,
        });
    }
    for t in required_types(policy) {
        if !records.iter().any(|r| r.consent_type == *t) {
            return Err(ApiError::consent_validation(format!(
                "Missing required consent: {t} for policy type: {policy}"
            )));
        }
    }
    let audit = records
        .iter()
        .map(|r| AuditRecord {
            id: util::random_uuid(),
            action: "created",
            timestamp: now.clone(),
            before: Value::Null,
            after: json!({ "consentType": r.consent_type, "consentStatus": r.status }),
            metadata: metadata.clone(),
        })
        .collect();
    let set = ConsentSet {
        id: util::random_uuid(),
        tenant: c.tenant,
        onboarding_id,
        tenant_id,
        policy_type: policy.to_string(),
        user_id: None,
        completed_at: None,
        created_at: now.clone(),
        updated_at: now,
        consents: records,
        audit,
    };
    let body = set_json(&st.base_url, &set);
    st.inner().consent_sets.push(set);
    Ok(json_status(201, body))
}

fn set_not_found(id: &str) -> ApiError {
    ApiError::consent_not_found(format!("Consent set with ID '{id}' not found"))
}

/// `GET /v2/consent/consentSet/{consentSetId}`.
pub(crate) async fn get_set(State(st): State<Shared>, c: Client, Path(id): Path<String>) -> ApiResult<Response> {
    let inner = st.inner();
    let s = inner.consent_sets.iter().find(|s| s.id == id && s.tenant == c.tenant).ok_or_else(|| set_not_found(&id))?;
    Ok(ok(set_json(&st.base_url, s)))
}

/// `GET /v2/consent/onboarding/{onboardingId}`.
pub(crate) async fn by_onboarding(State(st): State<Shared>, c: Client, Path(id): Path<String>) -> ApiResult<Response> {
    let inner = st.inner();
    let sets: Vec<Value> = inner
        .consent_sets
        .iter()
        .filter(|s| s.onboarding_id == id && s.tenant == c.tenant)
        .map(|s| set_json(&st.base_url, s))
        .collect();
    if sets.is_empty() {
        return Err(ApiError::consent_not_found(format!("No consent sets found for onboardingId '{id}'")));
    }
    Ok(ok(json!({
        "onboardingId": id,
        "consentSets": sets,
        "_links": { "self": link(format!("{}/v2/consent/onboarding/{}", st.base_url, util::url_encode(&id))) },
    })))
}

/// `PATCH /v2/consent/onboarding/{consentSetId}` `{"userId"}` (client key + secret key).
pub(crate) async fn link_user(
    State(st): State<Shared>,
    c: Client,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    check_secret(&st, &c.headers, true)?;
    let user_id =
        b.opt_str("userId").ok().flatten().ok_or_else(|| ApiError::consent_validation("userId is required"))?;
    let mut inner = st.inner();
    let s =
        inner.consent_sets.iter_mut().find(|s| s.id == id && s.tenant == c.tenant).ok_or_else(|| set_not_found(&id))?;
    match &s.user_id {
        Some(existing) if *existing != user_id => {
            return Err(ApiError::consent(409, "Conflict", "Consent set is already linked to another user"));
        }
        Some(_) => {}
        None => {
            let now = util::now_iso();
            s.user_id = Some(user_id.clone());
            s.completed_at = Some(now.clone());
            s.updated_at = now.clone();
            s.audit.push(AuditRecord {
                id: util::random_uuid(),
                action: "updated",
                timestamp: now,
                before: json!({ "userId": null }),
                after: json!({ "userId": user_id }),
                metadata: json!({}),
            });
        }
    }
    Ok(ok(json!({
        "consentSetId": s.id,
        "userId": user_id,
        "completedAt": s.completed_at,
        "consentSet": set_json(&st.base_url, s),
    })))
}

/// `complete`: every type the policy requires has a current (not revoked) answer, and the essential ones
/// (`termsAndPrivacy`, plus `eSignAct` for US) are granted; `incomplete` otherwise; `none` without sets.
fn user_status(sets: &[&ConsentSet]) -> &'static str {
    if sets.is_empty() {
        return "none";
    }
    let complete = sets.iter().any(|s| {
        required_types(&s.policy_type).iter().all(|t| {
            let essential = matches!(*t, "termsAndPrivacy" | "eSignAct");
            s.consents.iter().any(|c| {
                c.consent_type == *t && !c.superseded && (c.status == "granted" || (!essential && c.status == "denied"))
            })
        })
    });
    if complete { "complete" } else { "incomplete" }
}

/// `GET /v2/consent/user/{userId}[?full=true]`.
pub(crate) async fn user(State(st): State<Shared>, c: Client, Path(user_id): Path<String>) -> ApiResult<Response> {
    let inner = st.inner();
    let sets: Vec<&ConsentSet> = inner
        .consent_sets
        .iter()
        .filter(|s| s.tenant == c.tenant && s.user_id.as_deref() == Some(user_id.as_str()))
        .collect();
    let base = format!("{}/v2/consent/user/{}", st.base_url, util::url_encode(&user_id));
    let mut body = json!({
        "userId": user_id,
        "consentStatus": user_status(&sets),
        "_links": { "self": link(base.clone()), "full": link(format!("{base}?full=true")), "audit": link(format!("{base}/audit")) },
    });
    if c.query.get("full") == Some("true") {
        body["consentSets"] = sets.iter().map(|s| set_json(&st.base_url, s)).collect::<Vec<_>>().into();
    }
    Ok(ok(body))
}

/// `GET /v2/consent/user/{userId}/audit?limit&offset`.
pub(crate) async fn audit(State(st): State<Shared>, c: Client, Path(user_id): Path<String>) -> ApiResult<Response> {
    let num = |name: &str, default: usize| -> ApiResult<usize> {
        match c.query.non_empty(name) {
            None => Ok(default),
            Some(v) => {
                v.parse().map_err(|_| ApiError::consent_validation(format!("{name} must be a non-negative integer")))
            }
        }
    };
    let limit = num("limit", 50)?;
    let offset = num("offset", 0)?;
    if !(1..=100).contains(&limit) {
        return Err(ApiError::consent_validation("limit must be between 1 and 100"));
    }
    let inner = st.inner();
    let mut records: Vec<Value> = Vec::new();
    for s in
        inner.consent_sets.iter().filter(|s| s.tenant == c.tenant && s.user_id.as_deref() == Some(user_id.as_str()))
    {
        for r in &s.audit {
            records.push(json!({
                "auditId": r.id,
                "action": r.action,
                "timestamp": r.timestamp,
                "consentSetId": s.id,
                "changes": { "before": r.before, "after": r.after },
                "metadata": r.metadata,
            }));
        }
    }
    records.sort_by(|a, b| a["timestamp"].as_str().cmp(&b["timestamp"].as_str()));
    let total = records.len();
    let page: Vec<Value> = records.into_iter().skip(offset).take(limit).collect();
    Ok(ok(json!({ "userId": user_id, "auditRecords": page, "total": total, "limit": limit, "offset": offset })))
}

/// `DELETE /v2/consent/consentSet/{consentSetId}/consent/{consentId}` (client key + secret key): appends a revoked
/// record with a NEW consent id; a second revoke of the same id is a 404.
pub(crate) async fn revoke(
    State(st): State<Shared>,
    c: Client,
    Path((set_id, consent_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    check_secret(&st, &c.headers, true)?;
    let mut inner = st.inner();
    let s = inner
        .consent_sets
        .iter_mut()
        .find(|s| s.id == set_id && s.tenant == c.tenant)
        .ok_or_else(|| set_not_found(&set_id))?;
    let not_found = || ApiError::consent_not_found(format!("Consent with ID '{consent_id}' not found in consent set"));
    let original = s
        .consents
        .iter_mut()
        .find(|r| r.id == consent_id && !r.superseded && r.status != "revoked")
        .ok_or_else(not_found)?;
    let now = util::now_iso();
    original.superseded = true;
    original.updated_at = now.clone();
    let before = json!({ "consentType": original.consent_type, "consentStatus": original.status });
    let record = ConsentRecord {
        id: util::random_uuid(),
        consent_type: original.consent_type.clone(),
        status: "revoked".into(),
        metadata: json!({ "timestamp": now, "revokes": consent_id }),
        created_at: now.clone(),
        updated_at: now.clone(),
        superseded: false,
    };
    s.audit.push(AuditRecord {
        id: util::random_uuid(),
        action: "revoked",
        timestamp: now.clone(),
        before,
        after: json!({ "consentType": record.consent_type, "consentStatus": "revoked" }),
        metadata: json!({}),
    });
    s.updated_at = now.clone();
    let answer = json!({
        "consentId": record.id,
        "consentSetId": s.id,
        "consentType": record.consent_type,
        "consentStatus": "revoked",
        "revocationTimestamp": now,
        "_links": {
            "consentSet": link(format!("{}/v2/consent/consentSet/{}", st.base_url, s.id)),
            "audit": link(format!(
                "{}/v2/consent/user/{}/audit",
                st.base_url,
                util::url_encode(s.user_id.as_deref().unwrap_or("unlinked"))
            )),
        },
    });
    s.consents.push(record);
    Ok(ok(answer))
}
