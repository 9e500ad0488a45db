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
//! `client.api().list_webhook_events().stream(..)`, see [`crate::pagination`]).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use cardsdk_runtime::{Json, JsonMap, Timestamp};
use secrecy::SecretString;
use serde_json::Value;

use crate::api::types::{
    CreateWebhookRequest, KycStatusChangedObject, RetryEventDeliveryRequest, UpdateWebhookRequest, Webhook,
    WebhookEventPayload, WebhookEventStatusDetails, WebhookEventType, WebhookRetryResult,
};
use crate::call::Call;
use crate::client::Client;
use crate::error::{Error, ErrorContext};

#[cfg(feature = "webhooks")]
mod verify;
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
pub use verify::{Verifier, sign};

/// Header carrying the delivery's Unix timestamp (seconds).
///
/// ```
/// use baanx::webhooks::{sign, Verifier, SIGNATURE_HEADER, TIMESTAMP_HEADER};
///
/// let (key, body, ts) = ("whk_test", br#"{"event_id":"e1"}"#, 1_700_000_000_u64);
/// let mut headers = http::HeaderMap::new();
/// headers.insert(TIMESTAMP_HEADER, ts.to_string().parse().unwrap());
/// headers.insert(SIGNATURE_HEADER, sign(key, ts, body).parse().unwrap());
/// let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(ts);
/// assert!(Verifier::new(key).verify_at(&headers, body, now).is_ok());
/// ```
pub const TIMESTAMP_HEADER: &str = "x-timestamp";
/// Header carrying the delivery's signature.
///
/// ```
/// use baanx::webhooks::{sign, SIGNATURE_HEADER};
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert(SIGNATURE_HEADER, sign("whk_test", 1_700_000_000, b"{}").parse().unwrap());
/// // Header names are case-insensitive: Baanx sends `X-Signature`.
/// assert_eq!(headers["X-Signature"].len(), 64);
/// ```
pub const SIGNATURE_HEADER: &str = "x-signature";
/// Default tolerance between a delivery's timestamp and now, either way.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use baanx::webhooks::{sign, Verifier, WebhookError, DEFAULT_TOLERANCE};
///
/// let (key, ts) = ("whk_test", 1_700_000_000);
/// let late = UNIX_EPOCH + Duration::from_secs(ts) + DEFAULT_TOLERANCE + Duration::from_secs(1);
/// let result = Verifier::new(key).verify_parts_at(Some("1700000000"), Some(&sign(key, ts, b"{}")), b"{}", late);
/// assert_eq!(result, Err(WebhookError::Stale { age_seconds: 301, tolerance_seconds: 300 }));
/// ```
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a delivery was refused.
///
/// ```
/// use baanx::webhooks::{Verifier, WebhookError};
///
/// let verifier = Verifier::new("whk_test");
/// let missing = verifier.verify_parts(None, Some("ab"), b"{}").unwrap_err();
/// assert_eq!(missing, WebhookError::MissingHeader("X-Timestamp"));
/// let forged = verifier.verify_parts(Some("1700000000"), Some(&"0".repeat(64)), b"{}").unwrap_err();
/// assert_eq!(forged, WebhookError::Mismatch); // the signature is checked before the timestamp's age
/// ```
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
    /// The verifier has no usable key (every key given was empty): nothing can be verified. Answer 500 and fix
    /// the configuration; an empty key would otherwise let anyone sign deliveries.
    #[error("the webhook verifier has no key (an empty key is refused)")]
    NoKey,
}

impl WebhookError {
    /// The status a receiver should answer with: 401 for a delivery that cannot be authenticated, 400 for one that
    /// is authentic but not an event. Both are permanent (Baanx does not retry a 4xx).
    ///
    /// ```
    /// use baanx::webhooks::{Event, WebhookError};
    ///
    /// assert_eq!(WebhookError::Mismatch.status(), http::StatusCode::UNAUTHORIZED);
    /// let not_an_event = Event::parse(b"<html></html>").unwrap_err();
    /// assert!(matches!(not_an_event, WebhookError::Parse(_)));
    /// assert_eq!(not_an_event.status(), http::StatusCode::BAD_REQUEST);
    /// ```
    pub fn status(&self) -> http::StatusCode {
        match self {
            WebhookError::Parse(_) => http::StatusCode::BAD_REQUEST,
            WebhookError::NoKey => http::StatusCode::INTERNAL_SERVER_ERROR,
            _ => http::StatusCode::UNAUTHORIZED,
        }
    }
}

/// A delivered webhook event: the envelope, and the payload typed by event type.
///
/// ```
/// use baanx::webhooks::Event;
///
/// let body = br#"{"event_id":"e1","event_type":"kyc.status.changed","user_id":"u1",
///     "event_object_changes":{"status":["pending","completed"]},"event_object":{"status":"completed"}}"#;
/// let event = Event::parse(body)?;
/// assert_eq!((event.id.as_str(), event.user_id.as_deref()), ("e1", Some("u1")));
/// assert_eq!(event.changes["status"], ("pending".into(), "completed".into()));
/// # Ok::<(), baanx::webhooks::WebhookError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
    /// `event_object_changes`: changed fields, each as `(before, after)`, kept as sent.
    pub changes: BTreeMap<String, (Json, Json)>,
    /// `occurred_at`, kept as sent and parsed.
    pub occurred_at: Option<Timestamp>,
    /// Members of the delivery the contract does not list, kept as sent.
    pub extra: JsonMap,
    /// The event-specific data.
    pub payload: EventPayload,
}

/// The event-specific data (`event_object`), typed where the docs describe it.
///
/// ```
/// use baanx::api::types::KycStatus;
/// use baanx::webhooks::{Event, EventPayload};
///
/// let kyc = br#"{"event_id":"e1","event_type":"kyc.status.changed","event_object":{"status":"failed"}}"#;
/// let EventPayload::KycStatusChanged(object) = Event::parse(kyc)?.payload else { panic!("not a KYC event") };
/// assert_eq!(object.status, Some(KycStatus::Failed));
/// let newer = br#"{"event_id":"e2","event_type":"card.frozen","event_object":{"cardId":"c1"}}"#;
/// assert!(matches!(Event::parse(newer)?.payload, EventPayload::Other(_))); // a type this SDK does not know yet
/// # Ok::<(), baanx::webhooks::WebhookError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventPayload {
    /// `kyc.status.changed`: the new KYC status, with the provider's failure code and reason when it failed.
    KycStatusChanged(KycStatusChangedObject),
    /// `card.activated` (its fields are not documented: kept as JSON).
    CardActivated(JsonMap),
    /// `transaction.cleared` (its fields are not documented: kept as JSON).
    TransactionCleared(JsonMap),
    /// Any other event type, or a known one whose object does not have the documented shape: kept as JSON.
    Other(JsonMap),
}

impl Event {
    /// Parses a delivery body (verify it first). Unknown event types and fields never fail the parse; only a body
    /// that is not a JSON object with an `event_id` and an `event_type` does.
    ///
    /// ```
    /// use baanx::webhooks::{Event, WebhookError};
    ///
    /// let event = Event::parse(br#"{"event_id":"e1","event_type":"card.activated","new_field":true}"#)?;
    /// assert_eq!(event.event_type.as_str(), "card.activated");
    /// let no_id = Event::parse(br#"{"event_type":"card.activated"}"#);
    /// assert!(matches!(no_id, Err(WebhookError::Parse(_))));
    /// # Ok::<(), WebhookError>(())
    /// ```
    pub fn parse(body: &[u8]) -> Result<Event, WebhookError> {
        let envelope: WebhookEventPayload =
            serde_json::from_slice(body).map_err(|e| WebhookError::Parse(e.to_string()))?;
        let id = envelope.event_id.filter(|id| !id.is_empty()).ok_or(WebhookError::Parse("no event_id".into()))?;
        let event_type = envelope.event_type.ok_or(WebhookError::Parse("no event_type".into()))?;
        let object = envelope.event_object.unwrap_or_default();
        let payload = match event_type {
            WebhookEventType::KycStatusChanged => {
                match serde_json::to_string(&object).and_then(|text| serde_json::from_str(&text)) {
                    Ok(kyc) => EventPayload::KycStatusChanged(kyc),
                    Err(_) => EventPayload::Other(object),
                }
            }
            WebhookEventType::CardActivated => EventPayload::CardActivated(object),
            WebhookEventType::TransactionCleared => EventPayload::TransactionCleared(object),
            _ => EventPayload::Other(object),
        };
        let changes = envelope
            .event_object_changes
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(field, pair)| {
                let mut pair = pair.into_iter();
                Some((field, (pair.next()?, pair.next().unwrap_or_else(|| Json::from(Value::Null)))))
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
            extra: envelope.extra,
            payload,
        })
    }
}

/// A new endpoint, with its signing key (the only time the full key is returned, with [`Webhooks::rotate_key`]).
///
/// ```no_run
/// use baanx::webhooks::{Verifier, WebhookConfig};
///
/// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
/// let config = WebhookConfig::new("Cards", "https://api.example.com/baanx/webhooks", ["card.*"]);
/// let created = client.webhooks().create(config.active(true)).await?;
/// println!("{created:?}"); // the signing key is redacted
/// let verifier = Verifier::new(created.signing_key); // store the key now: it cannot be read again
/// # Ok(()) }
/// ```
#[non_exhaustive]
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
///
/// ```
/// use baanx::webhooks::WebhookConfig;
///
/// let url = "https://api.example.com/baanx/webhooks";
/// let config = WebhookConfig::new("KYC and cards", url, ["kyc.status.changed", "card.*"]).active(true);
/// assert!(config.active);
/// assert_eq!(config.event_types, ["kyc.status.changed", "card.*"]);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
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
    pub metadata: JsonMap,
}

impl WebhookConfig {
    /// An inactive endpoint for `event_types` at `url`.
    ///
    /// ```
    /// use baanx::webhooks::WebhookConfig;
    ///
    /// let config = WebhookConfig::new("Cards", "https://api.example.com/baanx/webhooks", ["card.*"]);
    /// assert!(!config.active); // until `.active(true)`
    /// assert!(config.metadata.is_empty());
    /// ```
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
            metadata: JsonMap::new(),
        }
    }

    /// Sets whether deliveries are sent (new endpoints are inactive unless set here).
    ///
    /// ```
    /// use baanx::webhooks::WebhookConfig;
    ///
    /// let config = WebhookConfig::new("Cards", "https://api.example.com/baanx/webhooks", ["card.*"]);
    /// let live = config.clone().active(true);
    /// assert!(live.active && !config.active);
    /// ```
    pub fn active(mut self, active: bool) -> Self {
        self.active = active;
        self
    }

    /// Sets the metadata.
    ///
    /// ```
    /// use baanx::webhooks::WebhookConfig;
    ///
    /// let metadata = serde_json::json!({"team": "payments", "env": "staging"}).as_object().cloned().unwrap();
    /// let config = WebhookConfig::new("Cards", "https://api.example.com/hooks", ["card.*"]).metadata(metadata);
    /// assert_eq!(config.metadata.decode::<String>("team").unwrap().unwrap(), "payments");
    /// ```
    pub fn metadata(mut self, metadata: impl Into<JsonMap>) -> Self {
        self.metadata = metadata.into();
        self
    }

    fn check(&self, operation: &'static str) -> Result<(), Error> {
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
///
/// ```no_run
/// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
/// let webhooks = client.webhooks();
/// for hook in webhooks.list().await? {
///     println!("{:?}: {:?} (active: {:?})", hook.name, hook.url, hook.is_active);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Webhooks<'a> {
    client: &'a Client,
}

impl Client {
    /// Webhook endpoint management.
    ///
    /// ```
    /// use baanx::webhooks::WebhookConfig;
    /// # let client = baanx::Client::builder().client_key("pk_test").build().unwrap();
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let config = WebhookConfig::new("Cards", "ftp://files.example.com/hooks", ["card.*"]);
    /// let err = client.webhooks().create(config).await.unwrap_err(); // refused before any request
    /// assert!(matches!(err, baanx::Error::InvalidRequest { .. }));
    /// assert_eq!(err.operation(), Some("create_webhook"));
    /// # });
    /// ```
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks { client: self }
    }
}

impl Webhooks<'_> {
    /// The most endpoints a tenant may have (the server refuses a sixth).
    ///
    /// ```no_run
    /// use baanx::webhooks::Webhooks;
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// if client.webhooks().list().await?.len() >= Webhooks::MAX_ENDPOINTS {
    ///     println!("delete an endpoint before creating another");
    /// }
    /// # Ok(()) }
    /// ```
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
            extra: Default::default(),
        };
        let answer = self.client.api().create_webhook().body(body).call().await?;
        let mut webhook = answer.data.ok_or_else(|| missing(OPERATION, "data"))?;
        let key = webhook.api_key.take().filter(|k| !k.is_empty()).ok_or_else(|| missing(OPERATION, "apiKey"))?;
        Ok(CreatedWebhook { webhook, signing_key: key.into() })
    }

    /// Every endpoint of the tenant.
    ///
    /// ```no_run
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let hooks = client.webhooks().list().await?;
    /// let active = hooks.iter().filter(|hook| hook.is_active == Some(true)).count();
    /// println!("{active} of {} endpoints receive deliveries", hooks.len());
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<Webhook>, Error> {
        self.client.api().list_webhooks().call().await
    }

    /// One endpoint (its key masked).
    ///
    /// ```no_run
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let hook = client.webhooks().get("wh_123").await?;
    /// println!("{:?} → {:?}, events {:?}", hook.name, hook.url, hook.event_types);
    /// println!("key {:?}", hook.api_key); // masked: `whk_****...****5678`
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, id: &str) -> Result<Webhook, Error> {
        self.client.api().get_webhook().id(id).call().await
    }

    /// Replaces an endpoint's configuration with `config` (every field is sent: nothing is kept from before).
    ///
    /// ```no_run
    /// use baanx::webhooks::WebhookConfig;
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// // Every field is replaced: send the whole configuration, here with deliveries paused.
    /// let config = WebhookConfig::new("KYC updates", "https://api.example.com/hooks", ["kyc.status.changed"]);
    /// let hook = client.webhooks().update("wh_123", config.active(false)).await?;
    /// println!("{:?} paused", hook.id);
    /// # Ok(()) }
    /// ```
    pub async fn update(&self, id: &str, config: WebhookConfig) -> Result<Webhook, Error> {
        const OPERATION: &str = "update_webhook";
        config.check(OPERATION)?;
        let body = UpdateWebhookRequest {
            name: Some(config.name),
            url: Some(config.url),
            event_types: Some(config.event_types),
            is_active: Some(config.active),
            metadata: Some(config.metadata),
            extra: Default::default(),
        };
        let answer = self.client.api().update_webhook().id(id).body(body).call().await?;
        let mut webhook = answer.data.ok_or_else(|| missing(OPERATION, "data"))?;
        webhook.api_key = None;
        Ok(webhook)
    }

    /// Deletes an endpoint. Deleting one that is already gone is [`Error::NotFound`].
    ///
    /// ```no_run
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// match client.webhooks().delete("wh_123").await {
    ///     Ok(()) | Err(baanx::Error::NotFound { .. }) => println!("the endpoint is gone"),
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        self.client.api().delete_webhook().id(id).call().await.map(drop)
    }

    /// Issues a new signing key; the old one stops working at once. Returns the new key.
    ///
    /// ```no_run
    /// use baanx::webhooks::Verifier;
    ///
    /// # async fn demo(client: baanx::Client, old_key: secrecy::SecretString) -> Result<(), baanx::Error> {
    /// let new_key = client.webhooks().rotate_key("wh_123").await?;
    /// // Keep the old key a little longer for deliveries already in flight.
    /// let verifier = Verifier::new(new_key).add_key(old_key);
    /// # Ok(()) }
    /// ```
    pub async fn rotate_key(&self, id: &str) -> Result<SecretString, Error> {
        const OPERATION: &str = "rotate_webhook_key";
        let answer = self.client.api().rotate_webhook_key().id(id).call().await?;
        let key = answer.data.and_then(|w| w.api_key).filter(|k| !k.is_empty());
        key.map(Into::into).ok_or_else(|| missing(OPERATION, "apiKey"))
    }

    /// The processing status of one event.
    ///
    /// ```no_run
    /// use baanx::api::types::WebhookEventStatus;
    ///
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let details = client.webhooks().event_status("evt_123").await?;
    /// if details.status == Some(WebhookEventStatus::Failed) {
    ///     client.webhooks().retry("evt_123", "wh_123").await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn event_status(&self, event_id: &str) -> Result<WebhookEventStatusDetails, Error> {
        self.client.api().get_event_status().event_id(event_id).call().await
    }

    /// Asks Baanx to deliver an event again to one endpoint.
    ///
    /// ```no_run
    /// # async fn demo(client: baanx::Client) -> Result<(), baanx::Error> {
    /// let result = client.webhooks().retry("evt_123", "wh_123").await?;
    /// println!("{}", result.message.unwrap_or_default()); // e.g. "Event queued for retry to 1 webhook(s)"
    /// # Ok(()) }
    /// ```
    pub async fn retry(&self, event_id: &str, webhook_id: &str) -> Result<WebhookRetryResult, Error> {
        const OPERATION: &str = "retry_event_delivery";
        let body = RetryEventDeliveryRequest { webhook_id: Some(webhook_id.to_string()), extra: Default::default() };
        let answer = self.client.api().retry_event_delivery().event_id(event_id).body(body).call().await?;
        answer.data.ok_or_else(|| missing(OPERATION, "data"))
    }
}

fn missing(operation: &'static str, field: &str) -> Error {
    Error::Decode {
        path: None,
        message: format!("the answer has no {field}"),
        body_snippet: String::new(),
        context: ErrorContext::operation(operation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "webhooks")]
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
        assert_eq!(event.changes["status"], (Json::from(Value::from("pending")), Json::from(Value::from("completed"))));
    }
}
