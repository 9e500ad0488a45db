//! Card-status webhooks: typed events ([`Event`]) and signature verification ([`Verifier`]) (feature
//! `webhooks`, on by default).
//!
//! ## What VaultsPay documents, and what it does not
//!
//! The partner registers **one callback URL and an optional secret** in the SaaS platform; VaultsPay POSTs a small
//! snake_case JSON event to it on every important card status change ([`CardStatusEvent`]). The docs' card-events
//! page is cut off before it says how the secret is used, so **the signature scheme is not confirmed**. The
//! verifier therefore takes a pluggable [`Scheme`]:
//!
//! | scheme | header (default) | signed bytes | source |
//! |---|---|---|---|
//! | [`TimestampedHmac`] (**default**) | `VaultsPay-Signature: t=<unix>,v1=<hex>` | `"{t}.{raw body}"`, HMAC-SHA256, 5 min tolerance | the generic *signature-verification* page |
//! | [`BodyHmac`] | `VaultsPay-Signature: <hex or base64>` | the raw body alone, HMAC-SHA256 | the generic *overview* page's sample handler |
//! | [`SecretHeader`] | (you name it) | none: the header carries the secret itself | a possibility the docs leave open |
//!
//! The header name, the key encoding (the secret's UTF-8 bytes, used whole) and which scheme the card-status
//! feed uses are **unconfirmed**: switch with [`Verifier::scheme`] once VaultsPay confirms. Whatever the scheme,
//! several keys can be active at once (rotation), comparisons are constant-time and keys never print.
//!
//! ## Receiving
//!
//! 1. **Verify the raw bytes** ([`Verifier::verify`]) before parsing: a re-serialised body would not match.
//! 2. **Parse** with [`Event::parse`]: `card.status.*` events come typed, any other type as JSON
//!    ([`OtherEvent`]); unknown members are kept (`extra`), unknown status codes decode as `Unknown(..)`.
//! 3. **Deduplicate** by [`Event::id`] (deliveries may repeat; the generic pages call the id the idempotency key).
//! 4. **Answer fast**: 2xx once accepted (and for a duplicate), else [`WebhookError::status`]. The card-events
//!    page does not document retries or the expected answer; the generic pages, and the sandbox, retry on 5xx and
//!    timeouts only, so a 4xx is final. `examples/webhook_receiver.rs` is a complete axum receiver.
//!
//! ```
//! use vaultspay::webhooks::{Event, TimestampedHmac, Verifier, sign_timestamped, SIGNATURE_HEADER};
//!
//! let body = br#"{"id":"01hvjr8fz6mbw6f9r9v3e5b5yw","type":"card.status.active","occurred_at":"2026-03-13T09:20:12Z",
//!   "status":{"previous":{"code":"BLOCK","label":"DECLINE_ALL_TXNS"},"current":{"code":"ACTIVE","label":"FULLY_OPERATIONAL"},
//!   "reason":"Card was unblocked by the admin"},
//!   "card":{"token":987654321,"last_four_digits":"3321","tier":"VaultsPay Debit Card Tier","network":"MC","type":"PHYSICAL"}}"#;
//! // What VaultsPay (or the sandbox) sends: a signature over the exact bytes.
//! let now = std::time::SystemTime::now();
//! let t = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
//! let mut headers = http::HeaderMap::new();
//! headers.insert(SIGNATURE_HEADER, sign_timestamped("whsec_test", t, body).parse().unwrap());
//!
//! let verifier = Verifier::new("whsec_test"); // TimestampedHmac, `VaultsPay-Signature`, 5 minutes
//! verifier.verify(&headers, body)?;
//! let Event::CardStatus(event) = Event::parse(body)? else { unreachable!("a card status event") };
//! assert_eq!(event.card.token, 987654321); // correlate with `token` / `cardToken` of the REST API
//! assert_eq!(event.status.current.code.as_str(), "ACTIVE");
//! assert!(!format!("{event:?}").contains("3321")); // PAN fragments never print
//! # Ok::<(), vaultspay::webhooks::WebhookError>(())
//! ```

mod event;
mod verify;

use http::{HeaderName, StatusCode};

pub use event::{
    CardNetwork, CardStatus, CardStatusEvent, CardType, Event, EventCard, EventType, NetworkStatus, OtherEvent, Status,
    StatusChange,
};
pub use verify::{
    BodyHmac, DEFAULT_TOLERANCE, Keys, Scheme, SecretHeader, SignatureEncoding, TimestampedHmac, Verifier, sign_body,
    sign_body_base64, sign_timestamped,
};

/// The default signature header of [`TimestampedHmac`] and [`BodyHmac`]: `VaultsPay-Signature` (what the generic
/// webhook pages name; **unconfirmed** for the card-status feed). Header names are case-insensitive.
///
/// ```
/// use vaultspay::webhooks::{SIGNATURE_HEADER, sign_timestamped};
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert(SIGNATURE_HEADER, sign_timestamped("whsec_test", 1_700_000_000, b"{}").parse().unwrap());
/// assert!(headers["VaultsPay-Signature"].to_str().unwrap().starts_with("t=1700000000,v1="));
/// ```
pub const SIGNATURE_HEADER: HeaderName = HeaderName::from_static("vaultspay-signature");

/// The header carrying the event's id on every delivery attempt (generic pages; the sandbox sends it too). The
/// body's `id` is authoritative: the header is not signed.
///
/// ```
/// use vaultspay::webhooks::EVENT_ID_HEADER;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("VaultsPay-Event-Id", "01hvjr8fz6mbw6f9r9v3e5b5yw".parse().unwrap());
/// assert_eq!(headers[EVENT_ID_HEADER], "01hvjr8fz6mbw6f9r9v3e5b5yw");
/// ```
pub const EVENT_ID_HEADER: HeaderName = HeaderName::from_static("vaultspay-event-id");

/// Why a delivery was refused; [`status`](Self::status) says what to answer.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use vaultspay::webhooks::{Event, Verifier, WebhookError, SIGNATURE_HEADER};
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert(SIGNATURE_HEADER, format!("t=1700000000,v1={}", "0".repeat(64)).parse().unwrap());
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let forged = Verifier::new("whsec_test").verify_at(&headers, b"{}", now).unwrap_err();
/// assert_eq!(forged, WebhookError::SignatureMismatch);
/// assert_eq!(forged.status(), http::StatusCode::UNAUTHORIZED);
///
/// let broken = Event::parse(br#"{"id":"e1","type":"card.status.active","card":{"token":"x"}}"#).unwrap_err();
/// assert_eq!(broken.status(), http::StatusCode::BAD_REQUEST);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The signature header is absent.
    #[error("missing {header} header")]
    MissingHeader {
        /// The header the scheme reads.
        header: HeaderName,
    },
    /// The signature header is not in the scheme's form (or is sent more than once).
    #[error("malformed {header} header: {reason}")]
    MalformedHeader {
        /// The header the scheme reads.
        header: HeaderName,
        /// What is wrong.
        reason: String,
    },
    /// No configured key produces this signature for these bytes (a forgery, a tampered body, or the wrong key or
    /// scheme configured).
    #[error("the signature does not match the body with any configured key")]
    SignatureMismatch,
    /// The signed timestamp is older than the tolerance allows (a replay, or a delivery held back).
    #[error("the delivery is {age_seconds} s old, more than the {tolerance_seconds} s allowed")]
    Stale {
        /// How old.
        age_seconds: u64,
        /// The tolerance.
        tolerance_seconds: u64,
    },
    /// The signed timestamp is further in the future than the tolerance allows (clock skew, or forged).
    #[error("the delivery is dated {ahead_seconds} s in the future, more than the {tolerance_seconds} s allowed")]
    Future {
        /// How far ahead.
        ahead_seconds: u64,
        /// The tolerance.
        tolerance_seconds: u64,
    },
    /// The verifier has no usable key (none given, or every one empty): an empty key is known to anyone, so
    /// nothing is accepted. A configuration error on the receiver's side.
    #[error("the webhook verifier has no key (an empty key is refused)")]
    NoKey,
    /// The body is not a webhook event, or a `card.status.*` event does not have the documented shape.
    #[error("malformed webhook payload{}: {message}", path.as_deref().map(|p| format!(" at `{p}`")).unwrap_or_default())]
    InvalidPayload {
        /// The JSON path of the offending value (`card.token`), when the error is inside the body.
        path: Option<String>,
        /// What is wrong (values that look like secrets or card numbers withheld).
        message: String,
    },
}

impl WebhookError {
    /// The status a receiver should answer with: `401 Unauthorized` for a delivery that cannot be authenticated
    /// (missing, malformed or wrong signature, stale or future timestamp), `400 Bad Request` for an authentic body
    /// that is not an event, `500 Internal Server Error` for a verifier without a key (the receiver's own
    /// configuration: a 5xx lets the sender retry once it is fixed).
    ///
    /// ```
    /// use vaultspay::webhooks::WebhookError;
    /// use http::StatusCode;
    ///
    /// assert_eq!(WebhookError::SignatureMismatch.status(), StatusCode::UNAUTHORIZED);
    /// assert_eq!(WebhookError::Stale { age_seconds: 301, tolerance_seconds: 300 }.status(), StatusCode::UNAUTHORIZED);
    /// assert_eq!(WebhookError::NoKey.status(), StatusCode::INTERNAL_SERVER_ERROR);
    /// let payload = WebhookError::InvalidPayload { path: Some("id".into()), message: "missing field `id`".into() };
    /// assert_eq!(payload.status(), StatusCode::BAD_REQUEST);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookError::InvalidPayload { .. } => StatusCode::BAD_REQUEST,
            WebhookError::NoKey => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// A [`MalformedHeader`](Self::MalformedHeader) error, for a custom [`Scheme`].
    ///
    /// ```
    /// use vaultspay::webhooks::{WebhookError, SIGNATURE_HEADER};
    ///
    /// let err = WebhookError::malformed_header(&SIGNATURE_HEADER, "expected a sha256= prefix");
    /// assert_eq!(err.to_string(), "malformed vaultspay-signature header: expected a sha256= prefix");
    /// ```
    pub fn malformed_header(header: &HeaderName, reason: impl Into<String>) -> Self {
        WebhookError::MalformedHeader { header: header.clone(), reason: reason.into() }
    }
}
