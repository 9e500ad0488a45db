//! Signature verification of deliveries (feature `webhooks`, on by default).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cardsdk_runtime::secret::IntoSecret;
use hmac::{KeyInit as _, Mac as _};
use secrecy::{ExposeSecret, SecretString};

use super::{DEFAULT_TOLERANCE, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookError};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The signature of a delivery: lowercase hex HMAC-SHA256 of `"{timestamp}.{body}"` keyed with the whole `key`.
/// For tests, and for a server that sends deliveries (the sandbox does).
///
/// ```
/// use baanx::webhooks::sign;
///
/// let body = br#"{"event_id":"e1"}"#;
/// let signature = sign("whk_test", 1_700_000_000, body);
/// assert_eq!(signature.len(), 64);
/// assert!(signature.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
/// assert_ne!(signature, sign("whk_test", 1_700_000_001, body)); // the timestamp is signed too
/// ```
pub fn sign(key: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks deliveries against one or more signing keys.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use baanx::webhooks::{sign, Verifier};
///
/// let (ts, body) = (1_700_000_000_u64, br#"{"event_id":"e1"}"#);
/// let verifier = Verifier::new("whk_current").tolerance(Duration::from_secs(60));
/// let signature = sign("whk_current", ts, body);
/// let now = UNIX_EPOCH + Duration::from_secs(ts + 5);
/// assert!(verifier.verify_parts_at(Some(&ts.to_string()), Some(&signature), body, now).is_ok());
/// ```
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
    /// A verifier for one endpoint key (`whk_…`, used whole). An empty or blank key never authenticates anything:
    /// verification then fails with [`WebhookError::NoKey`].
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use baanx::webhooks::{sign, Verifier, WebhookError};
    ///
    /// let verifier = Verifier::new("whk_a1b2c3d4");
    /// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let other_key = sign("whk_other", 1_700_000_000, b"{}");
    /// let result = verifier.verify_parts_at(Some("1700000000"), Some(&other_key), b"{}", now);
    /// assert_eq!(result, Err(WebhookError::Mismatch));
    /// ```
    pub fn new(key: impl IntoSecret) -> Self {
        Verifier { keys: vec![key.into_secret()], tolerance: DEFAULT_TOLERANCE }
    }

    /// Accepts deliveries signed with any of `keys`: keep the old key next to the new one while a rotation settles
    /// (Baanx signs with the new key at once, but deliveries already in flight carry the old one).
    ///
    /// ```
    /// use baanx::webhooks::{sign, Verifier};
    ///
    /// let verifier = Verifier::with_keys(["whk_new", "whk_old"]); // while a rotation settles
    /// let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    /// for key in ["whk_new", "whk_old"] {
    ///     let signature = sign(key, 1_700_000_000, b"{}");
    ///     assert!(verifier.verify_parts_at(Some("1700000000"), Some(&signature), b"{}", now).is_ok());
    /// }
    /// ```
    pub fn with_keys(keys: impl IntoIterator<Item = impl IntoSecret>) -> Self {
        Verifier { keys: keys.into_iter().map(IntoSecret::into_secret).collect(), tolerance: DEFAULT_TOLERANCE }
    }

    /// Adds a key.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use baanx::webhooks::{sign, Verifier};
    ///
    /// let verifier = Verifier::new("whk_new").add_key("whk_old");
    /// let in_flight = sign("whk_old", 1_700_000_000, b"{}"); // signed before the rotation
    /// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// assert!(verifier.verify_parts_at(Some("1700000000"), Some(&in_flight), b"{}", now).is_ok());
    /// ```
    pub fn add_key(mut self, key: impl IntoSecret) -> Self {
        self.keys.push(key.into_secret());
        self
    }

    /// The largest allowed distance between the delivery's timestamp and now, either way (default 300 s).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use baanx::webhooks::{sign, Verifier, WebhookError};
    ///
    /// let verifier = Verifier::new("whk_test").tolerance(Duration::from_secs(30));
    /// let signature = sign("whk_test", 1_700_000_000, b"{}");
    /// let behind = UNIX_EPOCH + Duration::from_secs(1_700_000_000 - 45); // this clock runs 45 s late
    /// let result = verifier.verify_parts_at(Some("1700000000"), Some(&signature), b"{}", behind);
    /// assert_eq!(result, Err(WebhookError::Future { ahead_seconds: 45, tolerance_seconds: 30 }));
    /// ```
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Verifies a delivery from its headers and raw body, at the current time.
    ///
    /// ```
    /// use baanx::webhooks::{sign, Verifier, SIGNATURE_HEADER, TIMESTAMP_HEADER};
    ///
    /// let body = br#"{"event_id":"e1","event_type":"card.activated"}"#;
    /// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(TIMESTAMP_HEADER, now.to_string().parse().unwrap());
    /// headers.insert(SIGNATURE_HEADER, sign("whk_test", now, body).parse().unwrap());
    /// assert!(Verifier::new("whk_test").verify(&headers, body).is_ok());
    /// ```
    pub fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// [`verify`](Self::verify) at a given time (for tests).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use baanx::webhooks::{Verifier, WebhookError, TIMESTAMP_HEADER};
    ///
    /// let mut headers = http::HeaderMap::new(); // no X-Signature
    /// headers.insert(TIMESTAMP_HEADER, "1700000000".parse().unwrap());
    /// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let err = Verifier::new("whk_test").verify_at(&headers, b"{}", now).unwrap_err();
    /// assert_eq!((err.status(), err), (http::StatusCode::UNAUTHORIZED, WebhookError::MissingHeader("X-Signature")));
    /// ```
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
    ///
    /// ```
    /// use baanx::webhooks::{sign, Verifier};
    ///
    /// let body = br#"{"event_id":"e1","event_type":"card.activated"}"#;
    /// let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    /// let (signature, verifier) = (sign("whk_test", ts, body), Verifier::new("whk_test"));
    /// assert!(verifier.verify_parts(Some(&ts.to_string()), Some(&signature), body).is_ok());
    /// assert!(verifier.verify_parts(Some(&ts.to_string()), Some(&signature), b"{}").is_err()); // other bytes
    /// ```
    pub fn verify_parts(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        self.verify_parts_at(timestamp, signature, body, SystemTime::now())
    }

    /// [`verify_parts`](Self::verify_parts) at a given time (for tests).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use baanx::webhooks::{sign, Verifier, WebhookError};
    ///
    /// let (verifier, signature) = (Verifier::new("whk_test"), sign("whk_test", 1_700_000_000, b"{}"));
    /// let an_hour_later = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + 3600);
    /// let result = verifier.verify_parts_at(Some("1700000000"), Some(&signature), b"{}", an_hour_later);
    /// assert_eq!(result, Err(WebhookError::Stale { age_seconds: 3600, tolerance_seconds: 300 })); // a replay
    /// ```
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
        // An empty key is known to anyone: it never authenticates.
        let keys: Vec<&SecretString> = self.keys.iter().filter(|k| !k.expose_secret().trim().is_empty()).collect();
        if keys.is_empty() {
            return Err(WebhookError::NoKey);
        }
        // Authenticity first: the message is the timestamp exactly as sent, a dot, and the raw bytes.
        let authentic = keys.iter().any(|key| {
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
