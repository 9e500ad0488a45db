//! Webhooks: endpoint CRUD (max 5 per tenant, keys shown in full only on create and rotate), events, delivery
//! logs, manual retry, and signed deliveries in background tasks with retries on 5xx, timeouts and connection
//! errors (never on 4xx).

use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use cardsdk_sandbox_kit::{Attempt, DeliveryHooks, Outcome, Outgoing};
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult, json_status, ok};
use crate::extract::{Authed, JsonBody, Obj};
use crate::state::{DeliveryLog, Event, Shared, Tenant, Webhook};
use crate::{Delivery, util};

/// Webhooks per tenant.
const MAX_WEBHOOKS: usize = 5;
/// Event types the sandbox knows (subscriptions may also use `kyc.*`, `card.*`, `transaction.*` and `*`).
const EVENT_TYPES: [&str; 3] = ["kyc.status.changed", "card.activated", "transaction.cleared"];
const EVENT_STATUSES: [&str; 5] = ["pending", "processing", "completed", "failed", "skipped"];

fn new_api_key() -> String {
    format!("whk_{}", util::random_alnum(64))
}

fn mask(key: &str) -> String {
    let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("whk_****...****{tail}")
}

fn webhook_json(w: &Webhook, full_key: bool) -> Value {
    json!({
        "id": w.id,
        "tenant": w.tenant.app_id(),
        "name": w.name,
        "url": w.url,
        "apiKey": if full_key { w.api_key.clone() } else { mask(&w.api_key) },
        "eventTypes": w.event_types,
        "isActive": w.is_active,
        "metadata": w.metadata,
        "createdAt": w.created_at,
        "updatedAt": w.updated_at,
    })
}

/// HTTPS, or plain HTTP to a loopback host (so that tests can receive deliveries).
fn check_url(url: &str) -> ApiResult<()> {
    let err = || ApiError::bad_request("url must be an HTTPS URL");
    let (scheme, rest) = url.split_once("://").ok_or_else(err)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if authority.starts_with('[') {
        authority.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h).to_string()
    };
    if host.is_empty() || url.contains(char::is_whitespace) {
        return Err(err());
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if host == "localhost" || host.starts_with("127.") || host == "[::1]" => Ok(()),
        _ => Err(err()),
    }
}

fn valid_pattern(p: &str) -> bool {
    p == "*" || EVENT_TYPES.contains(&p) || matches!(p, "kyc.*" | "card.*" | "transaction.*")
}

/// Whether a subscription pattern covers an event type (exact, `category.*` or `*`).
pub(crate) fn subscribed(pattern: &str, event_type: &str) -> bool {
    pattern == "*"
        || pattern == event_type
        || pattern
            .strip_suffix(".*")
            .is_some_and(|cat| event_type.strip_prefix(cat).is_some_and(|r| r.starts_with('.')))
}

fn read_event_types(b: &Obj) -> ApiResult<Vec<String>> {
    let items = b.array("event_types")?;
    if items.is_empty() {
        return Err(ApiError::bad_request("event_types must contain at least one event type"));
    }
    items
        .into_iter()
        .map(|v| match v.as_str() {
            Some(s) if valid_pattern(s) => Ok(s.to_string()),
            Some(s) => Err(ApiError::bad_request(format!(
                "Invalid event type: {s} (allowed: {}, kyc.*, card.*, transaction.*, *)",
                EVENT_TYPES.join(", ")
            ))),
            None => Err(ApiError::bad_request("event_types must be an array of strings")),
        })
        .collect()
}

fn read_name(b: &Obj, required: bool) -> ApiResult<Option<String>> {
    let name = if required { Some(b.str("name")?) } else { b.opt_str("name")? };
    if name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        return Err(ApiError::bad_request("name must be at most 255 characters"));
    }
    Ok(name)
}

fn read_metadata(b: &Obj) -> ApiResult<Option<Value>> {
    match b.opt_value("metadata") {
        None => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(_) => Err(ApiError::bad_request("metadata must be an object")),
    }
}

/// `POST /v1/webhooks` → 201 `{success, data}` with the full key.
pub(crate) async fn create(State(st): State<Shared>, a: Authed, JsonBody(b): JsonBody) -> ApiResult<Response> {
    let name = read_name(&b, true)?.unwrap_or_default();
    let url = b.str("url")?;
    check_url(&url)?;
    let event_types = read_event_types(&b)?;
    let is_active = b.opt_bool("is_active")?.unwrap_or(false);
    let metadata = read_metadata(&b)?.unwrap_or_else(|| json!({}));
    let mut inner = st.inner();
    if inner.webhooks.iter().filter(|w| w.tenant == a.tenant).count() >= MAX_WEBHOOKS {
        return Err(ApiError::bad_request("Maximum webhook limit (5) reached for this tenant"));
    }
    let now = util::now_iso();
    let w = Webhook {
        id: util::random_uuid(),
        tenant: a.tenant,
        name,
        url,
        api_key: new_api_key(),
        event_types,
        is_active,
        metadata,
        created_at: now.clone(),
        updated_at: now,
    };
    let body = json!({ "success": true, "data": webhook_json(&w, true) });
    inner.webhooks.push(w);
    Ok(json_status(201, body))
}

/// `GET /v1/webhooks` (bare array, keys masked).
pub(crate) async fn list(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    let inner = st.inner();
    Ok(ok(Value::Array(
        inner.webhooks.iter().filter(|w| w.tenant == a.tenant).map(|w| webhook_json(w, false)).collect(),
    )))
}

fn not_found() -> ApiError {
    ApiError::not_found("Webhook not found")
}

fn find_mut<'a>(webhooks: &'a mut [Webhook], tenant: Tenant, id: &str) -> ApiResult<&'a mut Webhook> {
    webhooks.iter_mut().find(|w| w.tenant == tenant && w.id == id).ok_or_else(not_found)
}

/// `GET /v1/webhooks/{id}`.
pub(crate) async fn get(State(st): State<Shared>, a: Authed, Path(id): Path<String>) -> ApiResult<Response> {
    let mut inner = st.inner();
    let w = find_mut(&mut inner.webhooks, a.tenant, &id)?;
    Ok(ok(webhook_json(w, false)))
}

/// `PUT /v1/webhooks/{id}`: partial update; `event_types` and `metadata` replace.
pub(crate) async fn update(
    State(st): State<Shared>,
    a: Authed,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let name = read_name(&b, false)?;
    let url = b.opt_str("url")?;
    if let Some(u) = &url {
        check_url(u)?;
    }
    let event_types = if b.opt_value("event_types").is_some() { Some(read_event_types(&b)?) } else { None };
    let is_active = b.opt_bool("is_active")?;
    let metadata = read_metadata(&b)?;
    let mut inner = st.inner();
    let w = find_mut(&mut inner.webhooks, a.tenant, &id)?;
    if let Some(v) = name {
        w.name = v;
    }
    if let Some(v) = url {
        w.url = v;
    }
    if let Some(v) = event_types {
        w.event_types = v;
    }
    if let Some(v) = is_active {
        w.is_active = v;
    }
    if let Some(v) = metadata {
        w.metadata = v;
    }
    w.updated_at = util::now_iso();
    Ok(ok(json!({ "success": true, "data": webhook_json(w, false) })))
}

/// `DELETE /v1/webhooks/{id}`.
pub(crate) async fn delete(State(st): State<Shared>, a: Authed, Path(id): Path<String>) -> ApiResult<Response> {
    let mut inner = st.inner();
    let before = inner.webhooks.len();
    inner.webhooks.retain(|w| !(w.tenant == a.tenant && w.id == id));
    if inner.webhooks.len() == before {
        return Err(not_found());
    }
    Ok(ok(json!({ "success": true })))
}

/// `POST /v1/webhooks/{id}/rotate-key`: the old key stops signing at once.
pub(crate) async fn rotate_key(State(st): State<Shared>, a: Authed, Path(id): Path<String>) -> ApiResult<Response> {
    let mut inner = st.inner();
    let w = find_mut(&mut inner.webhooks, a.tenant, &id)?;
    w.api_key = new_api_key();
    w.updated_at = util::now_iso();
    Ok(ok(json!({ "success": true, "data": webhook_json(w, true) })))
}

fn limit(a: &Authed) -> ApiResult<usize> {
    match a.query.non_empty("limit") {
        None => Ok(50),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request("limit must be an integer between 1 and 100")),
        },
    }
}

fn log_json(l: &DeliveryLog) -> Value {
    json!({
        "id": l.id,
        "eventId": l.event_id,
        "webhookId": l.webhook_id,
        "attemptNumber": l.attempt,
        "requestUrl": l.request_url,
        "requestHeaders": l.request_headers,
        "requestBody": l.request_body,
        "responseStatus": l.response_status,
        "responseBody": l.response_body,
        "errorMessage": l.error_message,
        "deliveryStatus": l.delivery_status,
        "durationMs": l.duration_ms,
        "createdAt": l.created_at,
        "nextRetryAt": l.next_retry_at,
    })
}

/// `GET /v1/webhooks/{id}/logs?limit=` → `{count, logs}`, newest first.
pub(crate) async fn webhook_logs(State(st): State<Shared>, a: Authed, Path(id): Path<String>) -> ApiResult<Response> {
    let limit = limit(&a)?;
    let mut inner = st.inner();
    find_mut(&mut inner.webhooks, a.tenant, &id)?;
    let logs: Vec<Value> = inner
        .delivery_logs
        .iter()
        .rev()
        .filter(|l| l.webhook_id == id && l.tenant == a.tenant)
        .take(limit)
        .map(log_json)
        .collect();
    Ok(ok(json!({ "count": logs.len(), "logs": logs })))
}

fn event_json(e: &Event) -> Value {
    json!({
        "id": e.id,
        "eventId": e.event_id,
        "tenant": e.tenant.app_id(),
        "eventType": e.event_type,
        "payload": e.payload,
        "userId": e.user_id,
        "sourceService": e.source_service,
        "status": e.status,
        "createdAt": e.created_at,
        "processedAt": e.processed_at,
        "queuedAt": e.queued_at,
    })
}

/// `GET /v1/webhooks/events?status=&limit=` → `{total, events}`, newest first.
pub(crate) async fn list_events(State(st): State<Shared>, a: Authed) -> ApiResult<Response> {
    let limit = limit(&a)?;
    let status = a.query.non_empty("status");
    if let Some(s) = status
        && !EVENT_STATUSES.contains(&s)
    {
        return Err(ApiError::bad_request(format!("status must be one of {}", EVENT_STATUSES.join(", "))));
    }
    let inner = st.inner();
    let matching: Vec<&Event> =
        inner.events.iter().rev().filter(|e| e.tenant == a.tenant && status.is_none_or(|s| e.status == s)).collect();
    let events: Vec<Value> = matching.iter().take(limit).map(|e| event_json(e)).collect();
    Ok(ok(json!({ "total": matching.len(), "events": events })))
}

/// Finds an event by its record `id` or its business `eventId` (the docs use both in the path).
fn find_event<'a>(events: &'a [Event], tenant: Tenant, id: &str) -> ApiResult<&'a Event> {
    events
        .iter()
        .find(|e| e.tenant == tenant && (e.id == id || e.event_id == id))
        .ok_or_else(|| ApiError::not_found("Event not found"))
}

/// `GET /v1/webhooks/events/{eventId}/status`.
pub(crate) async fn event_status(State(st): State<Shared>, a: Authed, Path(id): Path<String>) -> ApiResult<Response> {
    let inner = st.inner();
    let e = find_event(&inner.events, a.tenant, &id)?;
    Ok(ok(json!({
        "id": e.id,
        "eventId": e.event_id,
        "status": e.status,
        "eventType": e.event_type,
        "createdAt": e.created_at,
        "processedAt": e.processed_at,
    })))
}

/// `GET /v1/webhooks/events/{eventId}/logs` → `{event, logs}`.
pub(crate) async fn event_logs(State(st): State<Shared>, a: Authed, Path(id): Path<String>) -> ApiResult<Response> {
    let inner = st.inner();
    let e = find_event(&inner.events, a.tenant, &id)?;
    let logs: Vec<Value> = inner.delivery_logs.iter().filter(|l| l.event_id == e.event_id).map(log_json).collect();
    Ok(ok(json!({ "event": event_json(e), "logs": logs })))
}

fn looks_like_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// `POST /v1/webhooks/events/{eventId}/retry` `[{"webhookId"}]`: re-delivers now.
pub(crate) async fn retry(
    State(st): State<Shared>,
    a: Authed,
    Path(id): Path<String>,
    JsonBody(b): JsonBody,
) -> ApiResult<Response> {
    let webhook_id = b.opt_str("webhookId")?;
    if let Some(w) = &webhook_id
        && !looks_like_uuid(w)
    {
        return Err(ApiError::bad_request("webhookId must be a valid UUID"));
    }
    let (record_id, event_id, targets) = {
        let mut inner = st.inner();
        let e = find_event(&inner.events, a.tenant, &id)?;
        let (record_id, event_id, event_type) = (e.id.clone(), e.event_id.clone(), e.event_type.clone());
        let targets: Vec<String> = match &webhook_id {
            Some(w) => {
                let hook = inner.webhooks.iter().find(|h| h.tenant == a.tenant && &h.id == w).ok_or_else(not_found)?;
                vec![hook.id.clone()]
            }
            None => inner
                .webhooks
                .iter()
                .filter(|h| {
                    h.tenant == a.tenant && h.is_active && h.event_types.iter().any(|p| subscribed(p, &event_type))
                })
                .map(|h| h.id.clone())
                .collect(),
        };
        if let Some(e) = inner.events.iter_mut().find(|e| e.id == record_id)
            && !targets.is_empty()
        {
            e.status = "processing";
            e.failed = false;
            e.running += targets.len() as u32;
            e.queued_at = util::now_iso();
        }
        (record_id, event_id, targets)
    };
    for w in &targets {
        spawn_delivery(&st, record_id.clone(), w.clone());
    }
    let n = targets.len();
    Ok(ok(json!({
        "success": true,
        "data": { "eventId": event_id, "webhookCount": n, "message": format!("Event queued for retry to {n} webhook(s)") },
    })))
}

// ---------------------------------------------------------------------------------------------------------------
// Events and deliveries

/// An event to emit.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    pub(crate) tenant: Tenant,
    pub(crate) event_type: &'static str,
    pub(crate) category: &'static str,
    pub(crate) source: &'static str,
    pub(crate) user_id: String,
    pub(crate) object_id: String,
    pub(crate) object_status: Option<String>,
    pub(crate) changes: Value,
    pub(crate) object: Value,
}

/// Records an event and delivers it to every active webhook of its tenant subscribed to its type. Returns the
/// business event id. Must not be called with the state locked.
pub(crate) fn emit(st: &Shared, ev: NewEvent) -> String {
    let event_id = util::random_uuid();
    let now = util::now_iso();
    let payload = json!({
        "api_version": "v1",
        "event_id": event_id,
        "event_category": ev.category,
        "event_type": ev.event_type,
        "user_id": ev.user_id,
        "event_object_id": ev.object_id,
        "event_object_status": ev.object_status,
        "event_object_changes": ev.changes,
        "event_object": ev.object,
        "occurred_at": now,
    });
    let record_id = util::random_uuid();
    let targets: Vec<String> = {
        let mut inner = st.inner();
        let targets: Vec<String> = inner
            .webhooks
            .iter()
            .filter(|w| {
                w.tenant == ev.tenant && w.is_active && w.event_types.iter().any(|p| subscribed(p, ev.event_type))
            })
            .map(|w| w.id.clone())
            .collect();
        inner.events.push(Event {
            id: record_id.clone(),
            event_id: event_id.clone(),
            tenant: ev.tenant,
            event_type: ev.event_type.to_string(),
            payload,
            user_id: ev.user_id,
            source_service: ev.source,
            status: if targets.is_empty() { "skipped" } else { "processing" },
            created_at: now.clone(),
            processed_at: targets.is_empty().then(|| now.clone()),
            queued_at: now,
            running: targets.len() as u32,
            failed: false,
        });
        targets
    };
    for w in targets {
        spawn_delivery(st, record_id.clone(), w);
    }
    event_id
}

/// Maps a KYC event status to the user's `verificationState`.
fn verification_state(kyc: &str) -> &'static str {
    match kyc {
        "completed" => "VERIFIED",
        "failed" => "REJECTED",
        _ => "PENDING",
    }
}

/// Sets a user's KYC status and emits `kyc.status.changed`; `None` for an unknown user.
pub(crate) fn set_kyc_status(st: &Shared, user_id: &str, status: &str) -> Option<String> {
    let (tenant, previous) = {
        let mut inner = st.inner();
        let u = inner.user_mut(user_id)?;
        let previous = std::mem::replace(&mut u.kyc_status, status.to_string());
        u.verification_state = verification_state(status).to_string();
        (u.tenant, previous)
    };
    let failed = status == "failed";
    Some(emit(
        st,
        NewEvent {
            tenant,
            event_type: "kyc.status.changed",
            category: "kyc",
            source: "kyc-service",
            user_id: user_id.to_string(),
            object_id: user_id.to_string(),
            object_status: Some(status.to_string()),
            changes: json!({ "status": [previous, status] }),
            object: json!({
                "status": status,
                "failure_code": if failed { Value::from("103") } else { Value::Null },
                "failure_reason": if failed {
                    Value::from("Person showing the document does not appear to match document photo")
                } else {
                    Value::Null
                },
            }),
        },
    ))
}

/// Starts delivering an event to one webhook (nothing when the event is unknown).
fn spawn_delivery(st: &Shared, record_id: String, webhook_id: String) {
    let Some((event_id, body)) = ({
        let inner = st.inner();
        inner.events.iter().find(|e| e.id == record_id).map(|e| (e.event_id.clone(), e.payload.to_string()))
    }) else {
        return;
    };
    let hooks = Hooks { st: st.clone(), record_id, webhook_id, event_id, tenant: None, timestamp: String::new() };
    st.deliverer.spawn(Bytes::from(body), st.config.webhook_retry_delays.clone(), hooks);
}

/// One delivery of one event to one webhook: signs each attempt with the webhook's current key (a rotation takes
/// effect on the next attempt, a deletion stops the retries), logs each attempt, and settles the event at the end.
struct Hooks {
    st: Shared,
    record_id: String,
    webhook_id: String,
    event_id: String,
    /// The tenant of the webhook, once an attempt was prepared.
    tenant: Option<Tenant>,
    /// The `X-Timestamp` of the attempt being made.
    timestamp: String,
}

impl DeliveryHooks for Hooks {
    fn prepare(&mut self, _number: u32, body: &[u8]) -> Option<Outgoing> {
        let (url, key, tenant) = {
            let inner = self.st.inner();
            let w = inner.webhooks.iter().find(|w| w.id == self.webhook_id)?;
            (w.url.clone(), w.api_key.clone(), w.tenant)
        };
        self.tenant = Some(tenant);
        self.timestamp = util::now_secs().to_string();
        let signature = cardsdk_sandbox_kit::timestamped_signature(key.as_bytes(), &self.timestamp, body);
        Some(Outgoing {
            url,
            headers: vec![
                ("Content-Type".to_string(), "application/json".to_string()),
                ("X-Timestamp".to_string(), self.timestamp.clone()),
                ("X-Signature".to_string(), signature),
            ],
        })
    }

    fn attempted(&mut self, a: &Attempt) {
        let signature = a.headers.iter().find(|(k, _)| k == "X-Signature").map(|(_, v)| v.clone()).unwrap_or_default();
        let delivery_status = match a.outcome {
            Outcome::Delivered => "success",
            _ if a.next_retry.is_some() => "pending",
            _ => "failed",
        };
        {
            let mut inner = self.st.inner();
            inner.delivery_logs.push(DeliveryLog {
                id: util::random_uuid(),
                event_id: self.event_id.clone(),
                webhook_id: self.webhook_id.clone(),
                tenant: self.tenant.unwrap_or(Tenant::Intl),
                attempt: a.number,
                request_url: a.url.clone(),
                request_headers: json!({ "Content-Type": "application/json", "X-Timestamp": self.timestamp, "X-Signature": signature }),
                request_body: serde_json::from_slice(&a.body).unwrap_or(Value::Null),
                response_status: a.status,
                response_body: a.response_body.clone(),
                error_message: a.error.clone(),
                delivery_status,
                duration_ms: a.status.map(|_| a.elapsed.as_millis() as u64),
                created_at: util::now_iso(),
                next_retry_at: a.next_retry.map(|d| util::iso_ms(util::now_ms().saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))),
            });
        }
        self.st.deliveries.push(Delivery {
            url: a.url.clone(),
            headers: a.headers.clone(),
            body: a.body.to_vec(),
            status: a.status,
            error: a.error.clone(),
            attempt: a.number,
            webhook_id: self.webhook_id.clone(),
            event_id: self.event_id.clone(),
            at: a.at,
        });
    }

    fn finished(&mut self, delivered: bool) {
        let mut inner = self.st.inner();
        if let Some(e) = inner.events.iter_mut().find(|e| e.id == self.record_id) {
            e.running = e.running.saturating_sub(1);
            e.failed |= !delivered;
            if e.running == 0 {
                e.status = if e.failed { "failed" } else { "completed" };
                e.processed_at = Some(util::now_iso());
            }
        }
    }
}
