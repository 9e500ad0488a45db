//! Webhooks: verifying deliveries, typed events, and managing endpoints.
//!
//! ## Receiving
//!
//! Baanx POSTs each event to your HTTPS endpoint with two headers: `X-Timestamp` (Unix seconds) and `X-Signature`
//! (lowercase hex HMAC-SHA256 of `"{X-Timestamp}.{raw body}"`, keyed with the endpoint's whole `whk_…` key).
//!
//! 1. **Verify the raw bytes** with [`Verifier::verify`] before parsing anything (a re-serialised body would not
//!    match). The comparison is constant-time; timestamps more than the tolerance (default 300 s) away from now,
//!    either way, are refused; several keys can be active at once, so a receiver survives a key rotation.
//! 2. **Parse** with [`Event::parse`]: known event types come typed, new ones as raw JSON, unknown fields are
//!    ignored.
//! 3. **Answer** as the delivery policy needs: any 2xx once the event is accepted (and again for a re-delivery of
//!    an event already accepted: deliveries are at least once, the `event_id` is the idempotency key); a 4xx is a
//!    permanent rejection that Baanx does not retry (a bad signature → 401, a body that is not an event → 400); a
//!    5xx (or no answer within 30 s) makes Baanx retry, so use it only for transient failures on your side.
//!    `examples/webhook_receiver.rs` is a complete axum receiver.
//!
//! ```
//! use baanx::webhooks::{sign, Event, EventPayload, Verifier};
//!
//! let key = "whk_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6";
//! let body = br#"{"event_id":"e1","event_type":"kyc.status.changed","event_object":{"status":"completed"}}"#;
//! let timestamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
//! let signature = sign(key, timestamp, body);
//!
//! let verifier = Verifier::new(key);
//! verifier.verify_parts(Some(&timestamp.to_string()), Some(&signature), body).unwrap();
//! let event = Event::parse(body).unwrap();
//! assert!(matches!(event.payload, EventPayload::KycStatusChanged(_)));
//! ```
//!
//! ## Managing endpoints
//!
//! [`Client::webhooks`](crate::Client::webhooks) → [`Webhooks`]: create (inactive unless asked; at most 5 per
//! tenant), list, get, update (full replacement), delete, rotate the key, events, event status, delivery logs,
//! retry. Event and log lists are [`Pages`](crate::pagination::Pages) streams (see
//! [`Client::webhook_events`](crate::Client::webhook_events)).

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{KeyInit as _, Mac as _};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::api::types::{
    CreateWebhookRequest, KycStatusChangedObject, RetryEventDeliveryRequest, UpdateWebhookRequest, Webhook,
    WebhookEventPayload, WebhookEventStatusDetails, WebhookEventType, WebhookRetryResult,
};
use crate::call::Call;
use crate::client::Client;
use crate::error::{Error, ErrorContext};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Header carrying the delivery's Unix timestamp (seconds).
pub const TIMESTAMP_HEADER: &str = "x-timestamp";
/// Header carrying the delivery's signature.
pub const SIGNATURE_HEADER: &str = "x-signature";
/// Default tolerance between a delivery's timestamp and now, either way.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A header is missing.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// A header is not in the documented form.
    #[error("malformed {header} header: {reason}")]
    MalformedHeader {
        /// Which header.
        header: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The timestamp is older than the tolerance allows (a replay, or a delivery held back).
    #[error("the delivery is {age_seconds} s old, more than the {tolerance_seconds} s allowed")]
    Stale {
        /// How old.
        age_seconds: u64,
        /// The tolerance.
        tolerance_seconds: u64,
    },
    /// The timestamp is further in the future than the tolerance allows (clock skew, or forged).
    #[error("the delivery is dated {ahead_seconds} s in the future, more than the {tolerance_seconds} s allowed")]
    Future {
        /// How far ahead.
        ahead_seconds: u64,
        /// The tolerance.
        tolerance_seconds: u64,
    },
    /// No configured key produces this signature for these bytes.
    #[error("the signature does not match the body and timestamp")]
    Mismatch,
    /// The body is not a webhook event.
    #[error("not a webhook event: {0}")]
    Parse(String),
}

impl WebhookError {
    /// The status a receiver should answer with: 401 for a delivery that cannot be authenticated, 400 for one that
    /// is authentic but not an event. Both are permanent (Baanx does not retry a 4xx).
    pub fn status(&self) -> u16 {
        match self {
            WebhookError::Parse(_) => 400,
            _ => 401,
        }
    }
}

/// The signature of a delivery: lowercase hex HMAC-SHA256 of `"{timestamp}.{body}"` keyed with the whole `key`.
/// For tests, and for a server that sends deliveries (the sandbox does).
pub fn sign(key: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks deliveries against one or more signing keys.
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<SecretString>,
    tolerance: Duration,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("keys", &self.keys.len()).field("tolerance", &self.tolerance).finish()
    }
}

impl Verifier {
    /// A verifier for one endpoint key (`whk_…`, used whole).
    pub fn new(key: impl Into<SecretString>) -> Self {
        Verifier { keys: vec![key.into()], tolerance: DEFAULT_TOLERANCE }
    }

    /// Accepts deliveries signed with any of `keys`: keep the old key next to the new one while a rotation settles
    /// (Baanx signs with the new key at once, but deliveries already in flight carry the old one).
    pub fn with_keys(keys: impl IntoIterator<Item = impl Into<SecretString>>) -> Self {
        Verifier { keys: keys.into_iter().map(Into::into).collect(), tolerance: DEFAULT_TOLERANCE }
    }

    /// Adds a key.
    pub fn add_key(mut self, key: impl Into<SecretString>) -> Self {
        self.keys.push(key.into());
        self
    }

    /// The largest allowed distance between the delivery's timestamp and now, either way (default 300 s).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Verifies a delivery from its headers and raw body, at the current time.
    pub fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// [`verify`](Self::verify) at a given time (for tests).
    pub fn verify_at(&self, headers: &http::HeaderMap, body: &[u8], now: SystemTime) -> Result<(), WebhookError> {
        let text = |name: &'static str| -> Result<Option<&str>, WebhookError> {
            headers
                .get(name)
                .map(|v| {
                    v.to_str().map_err(|_| WebhookError::MalformedHeader { header: name, reason: "not ASCII text" })
                })
                .transpose()
        };
        self.verify_parts_at(text(TIMESTAMP_HEADER)?, text(SIGNATURE_HEADER)?, body, now)
    }

    /// Verifies a delivery from the two header values and the raw body, at the current time.
    pub fn verify_parts(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        self.verify_parts_at(timestamp, signature, body, SystemTime::now())
    }

    /// [`verify_parts`](Self::verify_parts) at a given time (for tests).
    pub fn verify_parts_at(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        let timestamp = timestamp.ok_or(WebhookError::MissingHeader("X-Timestamp"))?.trim();
        let signature = signature.ok_or(WebhookError::MissingHeader("X-Signature"))?.trim();
        if timestamp.is_empty() || timestamp.len() > 12 || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WebhookError::MalformedHeader { header: "X-Timestamp", reason: "expected Unix seconds" });
        }
        let sent: u64 = timestamp
            .parse()
            .map_err(|_| WebhookError::MalformedHeader { header: "X-Timestamp", reason: "expected Unix seconds" })?;
        let expected = decode_signature(signature)?;
        // Authenticity first: the message is the timestamp exactly as sent, a dot, and the raw bytes.
        let authentic = self.keys.iter().any(|key| {
            let mut mac = HmacSha256::new_from_slice(key.expose_secret().as_bytes()).expect("any key length");
            mac.update(timestamp.as_bytes());
            mac.update(b".");
            mac.update(body);
            mac.verify_slice(&expected).is_ok()
        });
        if !authentic {
            return Err(WebhookError::Mismatch);
        }
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let tolerance = self.tolerance.as_secs();
        if now > sent && now - sent > tolerance {
            return Err(WebhookError::Stale { age_seconds: now - sent, tolerance_seconds: tolerance });
        }
        if sent > now && sent - now > tolerance {
            return Err(WebhookError::Future { ahead_seconds: sent - now, tolerance_seconds: tolerance });
        }
        Ok(())
    }
}

fn decode_signature(signature: &str) -> Result<[u8; 32], WebhookError> {
    let malformed = |reason| WebhookError::MalformedHeader { header: "X-Signature", reason };
    if signature.len() != 64 {
        return Err(malformed("expected 64 hexadecimal characters"));
    }
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(signature.to_ascii_lowercase(), &mut bytes).map_err(|_| malformed("not hexadecimal"))?;
    Ok(bytes)
}

/// A delivered webhook event: the envelope, and the payload typed by event type.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `event_id`: the idempotency key, the same on every re-delivery.
    pub id: String,
    /// `event_type` (`kyc.status.changed`, ...), as an open enum.
    pub event_type: WebhookEventType,
    /// `api_version` (`v1`).
    pub api_version: Option<String>,
    /// `event_category` (`kyc`, `card`, ...).
    pub category: Option<String>,
    /// `user_id`: the Baanx user.
    pub user_id: Option<String>,
    /// `user_external_id`: your id for the user, when you gave one.
    pub user_external_id: Option<String>,
    /// `event_object_id`: the object that changed.
    pub object_id: Option<String>,
    /// `event_object_status`: that object's status now.
    pub object_status: Option<String>,
    /// `event_object_changes`: changed fields, each as `(before, after)`.
    pub changes: BTreeMap<String, (Value, Value)>,
    /// `occurred_at` (ISO 8601, kept as sent).
    pub occurred_at: Option<String>,
    /// The event-specific data.
    pub payload: EventPayload,
}

/// The event-specific data (`event_object`), typed where the docs describe it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventPayload {
    /// `kyc.status.changed`: the new KYC status, with the provider's failure code and reason when it failed.
    KycStatusChanged(KycStatusChangedObject),
    /// `card.activated` (its fields are not documented: kept as JSON).
    CardActivated(Map<String, Value>),
    /// `transaction.cleared` (its fields are not documented: kept as JSON).
    TransactionCleared(Map<String, Value>),
    /// Any other event type, or a known one whose object does not have the documented shape: kept as JSON.
    Other(Value),
}

impl Event {
    /// Parses a delivery body (verify it first). Unknown event types and fields never fail the parse; only a body
    /// that is not a JSON object with an `event_id` and an `event_type` does.
    pub fn parse(body: &[u8]) -> Result<Event, WebhookError> {
        let envelope: WebhookEventPayload =
            serde_json::from_slice(body).map_err(|e| WebhookError::Parse(e.to_string()))?;
        let id = envelope.event_id.filter(|id| !id.is_empty()).ok_or(WebhookError::Parse("no event_id".into()))?;
        let event_type = envelope.event_type.ok_or(WebhookError::Parse("no event_type".into()))?;
        let object = envelope.event_object.unwrap_or_default();
        let payload = match event_type {
            WebhookEventType::KycStatusChanged => match serde_json::from_value(Value::Object(object.clone())) {
                Ok(kyc) => EventPayload::KycStatusChanged(kyc),
                Err(_) => EventPayload::Other(Value::Object(object)),
            },
            WebhookEventType::CardActivated => EventPayload::CardActivated(object),
            WebhookEventType::TransactionCleared => EventPayload::TransactionCleared(object),
            WebhookEventType::Unknown(_) => EventPayload::Other(Value::Object(object)),
        };
        let changes = envelope
            .event_object_changes
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(field, pair)| {
                let mut pair = pair.into_iter();
                Some((field, (pair.next()?, pair.next().unwrap_or(Value::Null))))
            })
            .collect();
        Ok(Event {
            id,
            event_type,
            api_version: envelope.api_version,
            category: envelope.event_category.map(|c| c.to_string()),
            user_id: envelope.user_id,
            user_external_id: envelope.user_external_id,
            object_id: envelope.event_object_id,
            object_status: envelope.event_object_status,
            changes,
            occurred_at: envelope.occurred_at,
            payload,
        })
    }
}

/// A new endpoint, with its signing key (the only time the full key is returned, with [`Webhooks::rotate_key`]).
pub struct CreatedWebhook {
    /// The endpoint (its `api_key` field is cleared: the key is in `signing_key`).
    pub webhook: Webhook,
    /// The endpoint's signing key: keep it for [`Verifier`]; it cannot be read again.
    pub signing_key: SecretString,
}

impl fmt::Debug for CreatedWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedWebhook").field("id", &self.webhook.id).field("signing_key", &"[redacted]").finish()
    }
}

/// An endpoint's whole configuration: [`Webhooks::update`] replaces the stored one with it.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookConfig {
    /// A label (at most 255 characters).
    pub name: String,
    /// The HTTPS URL deliveries go to.
    pub url: String,
    /// Event types or patterns (`kyc.status.changed`, `card.*`, `*`).
    pub event_types: Vec<String>,
    /// Whether deliveries are sent.
    pub active: bool,
    /// Free-form metadata.
    pub metadata: Map<String, Value>,
}

impl WebhookConfig {
    /// An inactive endpoint for `event_types` at `url`.
    pub fn new(
        name: impl Into<String>,
        url: impl Into<String>,
        event_types: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        WebhookConfig {
            name: name.into(),
            url: url.into(),
            event_types: event_types.into_iter().map(Into::into).collect(),
            active: false,
            metadata: Map::new(),
        }
    }

    /// Sets whether deliveries are sent (new endpoints are inactive unless set here).
    pub fn active(mut self, active: bool) -> Self {
        self.active = active;
        self
    }

    /// Sets the metadata.
    pub fn metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = metadata;
        self
    }

    fn check(&self, operation: &str) -> Result<(), Error> {
        let invalid = |message: &str| Error::InvalidRequest {
            message: message.into(),
            context: ErrorContext::operation(operation),
        };
        if self.name.trim().is_empty() || self.name.chars().count() > 255 {
            return Err(invalid("a webhook name has 1 to 255 characters"));
        }
        match reqwest::Url::parse(&self.url) {
            Ok(url) if url.scheme() == "https" => {}
            // A receiver on this machine (the sandbox, local development); Baanx itself accepts HTTPS only.
            Ok(url) if url.scheme() == "http" && is_loopback(&url) => {}
            _ => return Err(invalid("a webhook URL must be an https URL (plain http only on a loopback address)")),
        }
        if self.event_types.is_empty() || self.event_types.iter().any(|t| t.trim().is_empty()) {
            return Err(invalid("a webhook needs at least one event type"));
        }
        Ok(())
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Webhook endpoint management: `client.webhooks()`.
#[derive(Clone, Copy, Debug)]
pub struct Webhooks<'a> {
    client: &'a Client,
}

impl Client {
    /// Webhook endpoint management.
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks { client: self }
    }
}

impl Webhooks<'_> {
    /// The most endpoints a tenant may have (the server refuses a sixth).
    pub const MAX_ENDPOINTS: usize = 5;

    /// Creates an endpoint (inactive unless `config.active`), and returns it with its signing key.
    ///
    /// ```no_run
    /// use baanx::webhooks::{Verifier, WebhookConfig};
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let config = WebhookConfig::new("KYC updates", "https://api.example.com/baanx/webhooks", ["kyc.status.changed"]);
    /// let created = client.webhooks().create(config.active(true)).await?;
    /// let verifier = Verifier::new(created.signing_key); // keep the key safe: it is shown only once
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, config: WebhookConfig) -> Result<CreatedWebhook, Error> {
        const OPERATION: &str = "create_webhook";
        config.check(OPERATION)?;
        let body = CreateWebhookRequest {
            name: config.name,
            url: config.url,
            event_types: config.event_types,
            is_active: config.active,
            metadata: Some(config.metadata),
        };
        let answer = self.client.api().create_webhook().body(body).call().await?;
        let mut webhook = answer.data.ok_or_else(|| missing(OPERATION, "data"))?;
        let key = webhook.api_key.take().filter(|k| !k.is_empty()).ok_or_else(|| missing(OPERATION, "apiKey"))?;
        Ok(CreatedWebhook { webhook, signing_key: key.into() })
    }

    /// Every endpoint of the tenant.
    pub async fn list(&self) -> Result<Vec<Webhook>, Error> {
        self.client.api().list_webhooks().call().await
    }

    /// One endpoint (its key masked).
    pub async fn get(&self, id: &str) -> Result<Webhook, Error> {
        self.client.api().get_webhook().id(id).call().await
    }

    /// Replaces an endpoint's configuration with `config` (every field is sent: nothing is kept from before).
    pub async fn update(&self, id: &str, config: WebhookConfig) -> Result<Webhook, Error> {
        const OPERATION: &str = "update_webhook";
        config.check(OPERATION)?;
        let body = UpdateWebhookRequest {
            name: Some(config.name),
            url: Some(config.url),
            event_types: Some(config.event_types),
            is_active: Some(config.active),
            metadata: Some(config.metadata),
        };
        let answer = self.client.api().update_webhook().id(id).body(body).call().await?;
        let mut webhook = answer.data.ok_or_else(|| missing(OPERATION, "data"))?;
        webhook.api_key = None;
        Ok(webhook)
    }

    /// Deletes an endpoint. Deleting one that is already gone is [`Error::NotFound`].
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        self.client.api().delete_webhook().id(id).call().await
    }

    /// Issues a new signing key; the old one stops working at once. Returns the new key.
    pub async fn rotate_key(&self, id: &str) -> Result<SecretString, Error> {
        const OPERATION: &str = "rotate_webhook_key";
        let answer = self.client.api().rotate_webhook_key().id(id).call().await?;
        let key = answer.data.and_then(|w| w.api_key).filter(|k| !k.is_empty());
        key.map(Into::into).ok_or_else(|| missing(OPERATION, "apiKey"))
    }

    /// The processing status of one event.
    pub async fn event_status(&self, event_id: &str) -> Result<WebhookEventStatusDetails, Error> {
        self.client.api().get_event_status().event_id(event_id).call().await
    }

    /// Asks Baanx to deliver an event again to one endpoint.
    pub async fn retry(&self, event_id: &str, webhook_id: &str) -> Result<WebhookRetryResult, Error> {
        const OPERATION: &str = "retry_event_delivery";
        let body = RetryEventDeliveryRequest { webhook_id: Some(webhook_id.to_string()) };
        let answer = self.client.api().retry_event_delivery().event_id(event_id).body(body).call().await?;
        answer.data.ok_or_else(|| missing(OPERATION, "data"))
    }
}

fn missing(operation: &str, field: &str) -> Error {
    Error::Decode {
        message: format!("the answer has no {field}"),
        body_snippet: String::new(),
        context: ErrorContext::operation(operation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_lowercase_hex_of_timestamp_dot_body() {
        let s = sign("whk_k", 1, b"{}");
        assert_eq!(s.len(), 64);
        assert!(s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_ne!(sign("whk_k", 1, b"{}"), sign("whk_k", 2, b"{}"));
        assert_ne!(sign("whk_k", 1, b"{}"), sign("whk_j", 1, b"{}"));
    }

    #[test]
    fn event_changes_are_pairs() {
        let body = br#"{"event_id":"e","event_type":"kyc.status.changed","event_object_changes":{"status":["pending","completed"]},"event_object":{"status":"completed","failure_code":null}}"#;
        let event = Event::parse(body).unwrap();
        assert_eq!(event.changes["status"], (Value::from("pending"), Value::from("completed")));
    }
}
