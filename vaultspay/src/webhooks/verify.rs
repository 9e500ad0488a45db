//! Signature verification of deliveries, with a pluggable [`Scheme`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use cardsdk_runtime::secret::IntoSecret;
use hmac::{KeyInit as _, Mac as _};
use http::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq as _;

use super::{Event, SIGNATURE_HEADER, WebhookError};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The default [`TimestampedHmac`] tolerance between the signed timestamp and now, either way: 300 s (the generic
/// signature page: "reject if |now − t| > 300 s").
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use vaultspay::webhooks::{sign_timestamped, Verifier, WebhookError, DEFAULT_TOLERANCE, SIGNATURE_HEADER};
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert(SIGNATURE_HEADER, sign_timestamped("whsec_test", 1_700_000_000, b"{}").parse().unwrap());
/// let verifier = Verifier::new("whsec_test");
/// let edge = UNIX_EPOCH + Duration::from_secs(1_700_000_000) + DEFAULT_TOLERANCE;
/// assert!(verifier.verify_at(&headers, b"{}", edge).is_ok()); // exactly 300 s: still accepted
/// let late = verifier.verify_at(&headers, b"{}", edge + Duration::from_secs(1));
/// assert_eq!(late, Err(WebhookError::Stale { age_seconds: 301, tolerance_seconds: 300 }));
/// ```
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac
}

/// The [`TimestampedHmac`] header value for `body` signed at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<lowercase hex HMAC-SHA256(key, "{timestamp}.{body}")>`. For tests, and for a test server
/// that sends deliveries.
///
/// ```
/// use vaultspay::webhooks::sign_timestamped;
///
/// let value = sign_timestamped("whsec_test", 1_700_000_000, br#"{"id":"e1"}"#);
/// let (t, v1) = value.split_once(",v1=").unwrap();
/// assert_eq!((t, v1.len()), ("t=1700000000", 64));
/// assert_ne!(value, sign_timestamped("whsec_test", 1_700_000_001, br#"{"id":"e1"}"#)); // the time is signed
/// ```
pub fn sign_timestamped(key: impl IntoSecret, timestamp: u64, body: &[u8]) -> String {
    let key = key.into_secret();
    let t = timestamp.to_string();
    let mac = hmac_sha256(key.expose_secret().as_bytes(), &[t.as_bytes(), b".", body]);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The [`BodyHmac`] signature of `body`: lowercase hex HMAC-SHA256(key, raw body).
///
/// ```
/// use vaultspay::webhooks::sign_body;
///
/// // RFC 4231 test case 2.
/// assert_eq!(
///     sign_body("Jefe", b"what do ya want for nothing?"),
///     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
/// );
/// ```
pub fn sign_body(key: impl IntoSecret, body: &[u8]) -> String {
    let key = key.into_secret();
    hex::encode(hmac_sha256(key.expose_secret().as_bytes(), &[body]).finalize().into_bytes())
}

/// The [`BodyHmac`] signature of `body` in standard Base64 (with padding).
///
/// ```
/// use vaultspay::webhooks::sign_body_base64;
///
/// assert_eq!(sign_body_base64("Jefe", b"what do ya want for nothing?"), "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
/// ```
pub fn sign_body_base64(key: impl IntoSecret, body: &[u8]) -> String {
    let key = key.into_secret();
    STANDARD.encode(hmac_sha256(key.expose_secret().as_bytes(), &[body]).finalize().into_bytes())
}

/// The keys a [`Verifier`] holds, as a [`Scheme`] sees them: never empty, never printed, compared in constant
/// time.
///
/// ```
/// use vaultspay::webhooks::{Keys, Scheme, SecretHeader, Verifier, WebhookError};
///
/// // A custom scheme: the hex HMAC of the body behind a `sha256=` prefix.
/// #[derive(Debug)]
/// struct Prefixed(http::HeaderName);
/// impl Scheme for Prefixed {
///     fn header_name(&self) -> &http::HeaderName { &self.0 }
///     fn verify(&self, value: &str, body: &[u8], keys: &Keys<'_>, _: std::time::SystemTime) -> Result<(), WebhookError> {
///         let hex = value.strip_prefix("sha256=").ok_or_else(|| WebhookError::malformed_header(&self.0, "no sha256= prefix"))?;
///         let tag = hex::decode(hex).map_err(|_| WebhookError::malformed_header(&self.0, "not hexadecimal"))?;
///         if keys.hmac_sha256_matches(&[body], &tag) { Ok(()) } else { Err(WebhookError::SignatureMismatch) }
///     }
/// }
///
/// let verifier = Verifier::new("whsec_test").scheme(Prefixed(http::HeaderName::from_static("x-hub-signature-256")));
/// let mut headers = http::HeaderMap::new();
/// let value = format!("sha256={}", vaultspay::webhooks::sign_body("whsec_test", b"{}"));
/// headers.insert("x-hub-signature-256", value.parse().unwrap());
/// assert!(verifier.verify(&headers, b"{}").is_ok());
/// ```
#[derive(Clone, Copy)]
pub struct Keys<'a> {
    keys: &'a [&'a SecretString],
}

impl fmt::Debug for Keys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keys({} [redacted])", self.keys.len())
    }
}

impl Keys<'_> {
    /// How many keys (at least one).
    ///
    /// ```
    /// # use vaultspay::webhooks::{Keys, Scheme, WebhookError};
    /// #[derive(Debug)]
    /// struct CountKeys(http::HeaderName);
    /// impl Scheme for CountKeys {
    ///     fn header_name(&self) -> &http::HeaderName { &self.0 }
    ///     fn verify(&self, value: &str, _: &[u8], keys: &Keys<'_>, _: std::time::SystemTime) -> Result<(), WebhookError> {
    ///         assert_eq!(keys.len().to_string(), value); // two keys, blank ones dropped
    ///         Ok(())
    ///     }
    /// }
    /// let verifier = vaultspay::webhooks::Verifier::with_keys(["k1", " ", "k2"]).scheme(CountKeys(http::HeaderName::from_static("x-n")));
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("x-n", "2".parse().unwrap());
    /// verifier.verify(&headers, b"")?;
    /// # Ok::<(), WebhookError>(())
    /// ```
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// `true` when HMAC-SHA256 of the concatenated `message` parts under any key equals `tag` (constant-time
    /// comparison, through `hmac`'s `verify_slice`).
    ///
    /// ```
    /// # use vaultspay::webhooks::{Keys, Scheme, WebhookError};
    /// # #[derive(Debug)] struct S(http::HeaderName);
    /// # impl Scheme for S {
    /// #     fn header_name(&self) -> &http::HeaderName { &self.0 }
    /// #     fn verify(&self, value: &str, body: &[u8], keys: &Keys<'_>, _: std::time::SystemTime) -> Result<(), WebhookError> {
    /// let tag = hex::decode(value).unwrap();
    /// assert!(keys.hmac_sha256_matches(&[b"what do ya want ", b"for nothing?"], &tag)); // RFC 4231 case 2
    /// assert!(!keys.hmac_sha256_matches(&[body], &tag));
    /// #         Ok(())
    /// #     }
    /// # }
    /// # let mut headers = http::HeaderMap::new();
    /// # headers.insert("x-s", vaultspay::webhooks::sign_body("Jefe", b"what do ya want for nothing?").parse().unwrap());
    /// # vaultspay::webhooks::Verifier::new("Jefe").scheme(S(http::HeaderName::from_static("x-s"))).verify(&headers, b"other")?;
    /// # Ok::<(), WebhookError>(())
    /// ```
    pub fn hmac_sha256_matches(&self, message: &[&[u8]], tag: &[u8]) -> bool {
        // Every key is tried (no early exit), so the time does not say which key matched.
        self.keys.iter().fold(false, |matched, key| {
            hmac_sha256(key.expose_secret().as_bytes(), message).verify_slice(tag).is_ok() | matched
        })
    }

    /// `true` when `candidate` equals one of the keys (constant-time comparison with each key, through `subtle`).
    ///
    /// ```
    /// use vaultspay::webhooks::{SecretHeader, Verifier};
    ///
    /// // SecretHeader uses it: the header carries the secret itself.
    /// let verifier = Verifier::with_keys(["new-secret", "old-secret"]).scheme(SecretHeader::new(http::HeaderName::from_static("x-webhook-secret")));
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("x-webhook-secret", "old-secret".parse().unwrap());
    /// assert!(verifier.verify(&headers, b"{}").is_ok());
    /// ```
    pub fn secret_matches(&self, candidate: &[u8]) -> bool {
        self.keys
            .iter()
            .fold(false, |matched, key| bool::from(key.expose_secret().as_bytes().ct_eq(candidate)) | matched)
    }

    /// The keys themselves, for a custom scheme that needs them otherwise (handle with care: never log them).
    ///
    /// ```
    /// # use vaultspay::webhooks::{Keys, Scheme, WebhookError};
    /// # #[derive(Debug)] struct S(http::HeaderName);
    /// # impl Scheme for S {
    /// #     fn header_name(&self) -> &http::HeaderName { &self.0 }
    /// #     fn verify(&self, _: &str, _: &[u8], keys: &Keys<'_>, _: std::time::SystemTime) -> Result<(), WebhookError> {
    /// use secrecy::ExposeSecret as _;
    /// let lengths: Vec<usize> = keys.expose().map(|k| k.expose_secret().len()).collect();
    /// assert_eq!(lengths, [5, 3]);
    /// #         Ok(())
    /// #     }
    /// # }
    /// # let mut headers = http::HeaderMap::new();
    /// # headers.insert("x-s", "1".parse().unwrap());
    /// # vaultspay::webhooks::Verifier::with_keys(["first", "two"]).scheme(S(http::HeaderName::from_static("x-s"))).verify(&headers, b"")?;
    /// # Ok::<(), WebhookError>(())
    /// ```
    pub fn expose(&self) -> impl Iterator<Item = &SecretString> + '_ {
        self.keys.iter().copied()
    }
}

/// How a delivery is signed: which header carries the signature, and how it is checked. [`TimestampedHmac`]
/// (the default), [`BodyHmac`] and [`SecretHeader`] are provided; implement it for anything else VaultsPay
/// confirms (see the [`Keys`] example).
///
/// ```
/// use vaultspay::webhooks::{BodyHmac, Scheme, TimestampedHmac, SIGNATURE_HEADER};
///
/// let schemes: Vec<Box<dyn Scheme>> = vec![Box::new(TimestampedHmac::new()), Box::new(BodyHmac::new())];
/// assert!(schemes.iter().all(|s| s.header_name() == SIGNATURE_HEADER));
/// ```
pub trait Scheme: fmt::Debug + Send + Sync + 'static {
    /// The header carrying the signature.
    ///
    /// ```
    /// use vaultspay::webhooks::{BodyHmac, Scheme};
    ///
    /// let scheme = BodyHmac::new().header(http::HeaderName::from_static("x-vp-signature"));
    /// assert_eq!(scheme.header_name().as_str(), "x-vp-signature");
    /// ```
    fn header_name(&self) -> &HeaderName;

    /// Checks the header's value (sent once, visible ASCII, surrounding blanks trimmed) against the raw `body`
    /// with `keys`, at `now`.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use vaultspay::webhooks::{sign_timestamped, Scheme, TimestampedHmac, Verifier};
    ///
    /// // Normally called by `Verifier::verify`; here through a verifier with the scheme's defaults.
    /// let value = sign_timestamped("whsec_test", 1_700_000_000, b"{}");
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(TimestampedHmac::new().header_name(), value.parse().unwrap());
    /// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_010);
    /// assert!(Verifier::new("whsec_test").verify_at(&headers, b"{}", now).is_ok());
    /// ```
    fn verify(&self, value: &str, body: &[u8], keys: &Keys<'_>, now: SystemTime) -> Result<(), WebhookError>;

    /// The header value this scheme would send for `body` with `key` at `now` (for tests), or `None` if it cannot
    /// sign (the default).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use vaultspay::webhooks::{sign_body, BodyHmac, Scheme};
    ///
    /// let key = secrecy::SecretString::from("whsec_test");
    /// let value = BodyHmac::new().sign(&key, b"{}", UNIX_EPOCH + Duration::from_secs(1));
    /// assert_eq!(value, Some(sign_body("whsec_test", b"{}")));
    /// ```
    fn sign(&self, key: &SecretString, body: &[u8], now: SystemTime) -> Option<String> {
        let _ = (key, body, now);
        None
    }
}

/// The generic webhook pages' scheme (the **default**, unconfirmed for the card-status feed): header
/// `VaultsPay-Signature: t=<unix seconds>,v1=<hex>`, where `v1` is the lowercase hex HMAC-SHA256 of
/// `"{t}.{raw body}"` (the timestamp exactly as sent). Several `v1` values are accepted (a sender signing with
/// an old and a new key), other elements (`v0=`, ...) are ignored, hex is accepted in either case. The signature
/// is checked first, then the timestamp's distance from now against the tolerance (default
/// [`DEFAULT_TOLERANCE`], either way).
///
/// ```
/// use std::time::Duration;
/// use vaultspay::webhooks::{TimestampedHmac, Verifier};
///
/// let scheme = TimestampedHmac::new()
///     .header(http::HeaderName::from_static("x-vp-signature"))
///     .tolerance(Duration::from_secs(60));
/// let verifier = Verifier::new("whsec_test").scheme(scheme);
/// # let _ = verifier;
/// ```
#[derive(Clone, Debug)]
pub struct TimestampedHmac {
    header: HeaderName,
    tolerance: Duration,
}

impl Default for TimestampedHmac {
    fn default() -> Self {
        TimestampedHmac { header: SIGNATURE_HEADER, tolerance: DEFAULT_TOLERANCE }
    }
}

impl TimestampedHmac {
    /// The scheme with header [`SIGNATURE_HEADER`] and tolerance [`DEFAULT_TOLERANCE`].
    ///
    /// ```
    /// use vaultspay::webhooks::{TimestampedHmac, DEFAULT_TOLERANCE};
    ///
    /// assert_eq!(TimestampedHmac::new().tolerance_value(), DEFAULT_TOLERANCE);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the signature from another header.
    ///
    /// ```
    /// use vaultspay::webhooks::{Scheme, TimestampedHmac};
    ///
    /// let scheme = TimestampedHmac::new().header("X-Signature".parse().unwrap());
    /// assert_eq!(scheme.header_name(), "x-signature");
    /// ```
    pub fn header(mut self, name: HeaderName) -> Self {
        self.header = name;
        self
    }

    /// The largest accepted distance between the signed timestamp and now, either way.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use vaultspay::webhooks::{sign_timestamped, TimestampedHmac, Verifier, WebhookError, SIGNATURE_HEADER};
    ///
    /// let verifier = Verifier::new("whsec_test").scheme(TimestampedHmac::new().tolerance(Duration::from_secs(30)));
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(SIGNATURE_HEADER, sign_timestamped("whsec_test", 1_700_000_000, b"{}").parse().unwrap());
    /// let behind = UNIX_EPOCH + Duration::from_secs(1_700_000_000 - 45); // this clock runs 45 s late
    /// let result = verifier.verify_at(&headers, b"{}", behind);
    /// assert_eq!(result, Err(WebhookError::Future { ahead_seconds: 45, tolerance_seconds: 30 }));
    /// ```
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The tolerance configured.
    ///
    /// ```
    /// use std::time::Duration;
    /// use vaultspay::webhooks::TimestampedHmac;
    ///
    /// assert_eq!(TimestampedHmac::new().tolerance(Duration::from_secs(60)).tolerance_value().as_secs(), 60);
    /// ```
    pub fn tolerance_value(&self) -> Duration {
        self.tolerance
    }
}

impl Scheme for TimestampedHmac {
    fn header_name(&self) -> &HeaderName {
        &self.header
    }

    fn verify(&self, value: &str, body: &[u8], keys: &Keys<'_>, now: SystemTime) -> Result<(), WebhookError> {
        let malformed = |reason: &str| WebhookError::malformed_header(&self.header, reason);
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for element in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, v) = element.split_once('=').ok_or_else(|| malformed("expected t=<unix>,v1=<hex>"))?;
            match name.trim() {
                "t" if timestamp.is_some() => return Err(malformed("t= given more than once")),
                "t" => timestamp = Some(v.trim()),
                "v1" => signatures.push(decode_hex_tag(v.trim()).ok_or_else(|| malformed("v1 is not 64 hex digits"))?),
                _ => {} // other versions or elements: ignored
            }
        }
        let t = timestamp.ok_or_else(|| malformed("no t= timestamp"))?;
        if signatures.is_empty() {
            return Err(malformed("no v1= signature"));
        }
        if t.is_empty() || t.len() > 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed("t is not Unix seconds"));
        }
        let sent: u64 = t.parse().map_err(|_| malformed("t is not Unix seconds"))?;
        // Authenticity first: a forged delivery is a mismatch whatever its timestamp.
        let message: [&[u8]; 3] = [t.as_bytes(), b".", body];
        let authentic = signatures.iter().fold(false, |ok, tag| keys.hmac_sha256_matches(&message, tag) | ok);
        if !authentic {
            return Err(WebhookError::SignatureMismatch);
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

    fn sign(&self, key: &SecretString, body: &[u8], now: SystemTime) -> Option<String> {
        Some(sign_timestamped(key, now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs(), body))
    }
}

fn decode_hex_tag(text: &str) -> Option<[u8; 32]> {
    let mut tag = [0u8; 32];
    (text.len() == 64 && hex::decode_to_slice(text, &mut tag).is_ok()).then_some(tag)
}

/// How a [`BodyHmac`] signature is written.
///
/// ```
/// use vaultspay::webhooks::{BodyHmac, SignatureEncoding};
///
/// let strict = BodyHmac::new().encoding(SignatureEncoding::Hex);
/// # let _ = strict;
/// assert_eq!(SignatureEncoding::default(), SignatureEncoding::HexOrBase64);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// 64 hex digits (either case).
    Hex,
    /// Base64 of the 32 bytes: standard or URL-safe alphabet, with or without padding.
    Base64,
    /// Either (the default): 64 hex digits are hex, anything else is read as Base64 (the two cannot be confused:
    /// 32 bytes are 43 or 44 Base64 characters).
    #[default]
    HexOrBase64,
}

/// The generic overview page's sample handler (unconfirmed for the card-status feed): the header's whole value
/// is the HMAC-SHA256 of the raw body alone, hex (or Base64, see [`SignatureEncoding`]). Header default
/// [`SIGNATURE_HEADER`]. Nothing is timestamped, so a captured delivery can be replayed: deduplicate by event id.
///
/// ```
/// use vaultspay::webhooks::{sign_body, BodyHmac, Verifier};
///
/// let verifier = Verifier::new("whsec_test").scheme(BodyHmac::new().header(http::HeaderName::from_static("x-vp-signature")));
/// let mut headers = http::HeaderMap::new();
/// headers.insert("X-Vp-Signature", sign_body("whsec_test", b"{}").parse().unwrap());
/// assert!(verifier.verify(&headers, b"{}").is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct BodyHmac {
    header: HeaderName,
    encoding: SignatureEncoding,
}

impl Default for BodyHmac {
    fn default() -> Self {
        BodyHmac { header: SIGNATURE_HEADER, encoding: SignatureEncoding::default() }
    }
}

impl BodyHmac {
    /// The scheme with header [`SIGNATURE_HEADER`], hex or Base64.
    ///
    /// ```
    /// use vaultspay::webhooks::{BodyHmac, Scheme, SIGNATURE_HEADER};
    ///
    /// assert_eq!(BodyHmac::new().header_name(), SIGNATURE_HEADER);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the signature from another header.
    ///
    /// ```
    /// use vaultspay::webhooks::{BodyHmac, Scheme};
    ///
    /// assert_eq!(BodyHmac::new().header("X-Vp-Signature".parse().unwrap()).header_name(), "x-vp-signature");
    /// ```
    pub fn header(mut self, name: HeaderName) -> Self {
        self.header = name;
        self
    }

    /// Accepts only this encoding.
    ///
    /// ```
    /// use vaultspay::webhooks::{sign_body_base64, BodyHmac, SignatureEncoding, Verifier, WebhookError, SIGNATURE_HEADER};
    ///
    /// let verifier = Verifier::new("whsec_test").scheme(BodyHmac::new().encoding(SignatureEncoding::Hex));
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(SIGNATURE_HEADER, sign_body_base64("whsec_test", b"{}").parse().unwrap());
    /// assert!(matches!(verifier.verify(&headers, b"{}"), Err(WebhookError::MalformedHeader { .. })));
    /// ```
    pub fn encoding(mut self, encoding: SignatureEncoding) -> Self {
        self.encoding = encoding;
        self
    }
}

fn decode_base64_tag(text: &str) -> Option<[u8; 32]> {
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
}

impl Scheme for BodyHmac {
    fn header_name(&self) -> &HeaderName {
        &self.header
    }

    fn verify(&self, value: &str, body: &[u8], keys: &Keys<'_>, _: SystemTime) -> Result<(), WebhookError> {
        let tag = match self.encoding {
            SignatureEncoding::Hex => decode_hex_tag(value).ok_or("expected 64 hex digits"),
            SignatureEncoding::Base64 => decode_base64_tag(value).ok_or("expected the Base64 of 32 bytes"),
            SignatureEncoding::HexOrBase64 => decode_hex_tag(value)
                .or_else(|| decode_base64_tag(value))
                .ok_or("expected 64 hex digits or the Base64 of 32 bytes"),
        }
        .map_err(|reason| WebhookError::malformed_header(&self.header, reason))?;
        if keys.hmac_sha256_matches(&[body], &tag) { Ok(()) } else { Err(WebhookError::SignatureMismatch) }
    }

    fn sign(&self, key: &SecretString, body: &[u8], _: SystemTime) -> Option<String> {
        Some(match self.encoding {
            SignatureEncoding::Base64 => sign_body_base64(key, body),
            _ => sign_body(key, body),
        })
    }
}

/// The header carries the shared secret itself (one of the possibilities the docs leave open: "shared-secret
/// header echo"). It authenticates the sender only as far as TLS keeps the header secret, and signs nothing of
/// the body: prefer an HMAC scheme if VaultsPay offers one. There is no default header.
///
/// ```
/// use vaultspay::webhooks::{SecretHeader, Verifier, WebhookError};
///
/// let verifier = Verifier::new("s3cret").scheme(SecretHeader::new(http::HeaderName::from_static("x-webhook-secret")));
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-webhook-secret", "guess".parse().unwrap());
/// assert_eq!(verifier.verify(&headers, b"{}"), Err(WebhookError::SignatureMismatch));
/// ```
#[derive(Clone, Debug)]
pub struct SecretHeader {
    header: HeaderName,
}

impl SecretHeader {
    /// The scheme reading the secret from `header`.
    ///
    /// ```
    /// use vaultspay::webhooks::{Scheme, SecretHeader};
    ///
    /// assert_eq!(SecretHeader::new("X-Webhook-Secret".parse().unwrap()).header_name(), "x-webhook-secret");
    /// ```
    pub fn new(header: HeaderName) -> Self {
        SecretHeader { header }
    }
}

impl Scheme for SecretHeader {
    fn header_name(&self) -> &HeaderName {
        &self.header
    }

    fn verify(&self, value: &str, _: &[u8], keys: &Keys<'_>, _: SystemTime) -> Result<(), WebhookError> {
        if keys.secret_matches(value.as_bytes()) { Ok(()) } else { Err(WebhookError::SignatureMismatch) }
    }

    fn sign(&self, key: &SecretString, _: &[u8], _: SystemTime) -> Option<String> {
        Some(key.expose_secret().to_string())
    }
}

/// Checks deliveries against one or more keys with a [`Scheme`] ([`TimestampedHmac`] unless set). Keys are the
/// callback secret registered with VaultsPay, used as its UTF-8 bytes, whole (unconfirmed: the docs do not say
/// how the secret is used). Empty or blank keys are dropped; with no key left, every delivery is refused with
/// [`WebhookError::NoKey`]. `Debug` shows the number of keys, never a key.
///
/// ```
/// use vaultspay::webhooks::{BodyHmac, Verifier};
///
/// let verifier = Verifier::with_keys(["whsec_new", "whsec_old"]); // while a rotation settles
/// let raw_body = verifier.clone().scheme(BodyHmac::new()); // if the card-status feed signs the body alone
/// assert!(!format!("{verifier:?} {raw_body:?}").contains("whsec_"));
/// ```
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<SecretString>,
    scheme: Arc<dyn Scheme>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("keys", &self.keys.len()).field("scheme", &self.scheme).finish()
    }
}

impl Verifier {
    /// A verifier for one key, with [`TimestampedHmac`].
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use vaultspay::webhooks::{sign_timestamped, Verifier, WebhookError, SIGNATURE_HEADER};
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(SIGNATURE_HEADER, sign_timestamped("whsec_other", 1_700_000_000, b"{}").parse().unwrap());
    /// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// assert_eq!(Verifier::new("whsec_test").verify_at(&headers, b"{}", now), Err(WebhookError::SignatureMismatch));
    /// ```
    pub fn new(key: impl IntoSecret) -> Self {
        Self::with_keys([key])
    }

    /// A verifier accepting deliveries signed with any of `keys` (keep the old key next to the new one while a
    /// rotation settles; the generic pages keep both valid for 24 h).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use vaultspay::webhooks::{sign_timestamped, Verifier, SIGNATURE_HEADER};
    ///
    /// let verifier = Verifier::with_keys(["whsec_new", "whsec_old"]);
    /// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// for key in ["whsec_new", "whsec_old"] {
    ///     let mut headers = http::HeaderMap::new();
    ///     headers.insert(SIGNATURE_HEADER, sign_timestamped(key, 1_700_000_000, b"{}").parse().unwrap());
    ///     assert!(verifier.verify_at(&headers, b"{}", now).is_ok());
    /// }
    /// ```
    pub fn with_keys(keys: impl IntoIterator<Item = impl IntoSecret>) -> Self {
        let keys = keys.into_iter().map(IntoSecret::into_secret).filter(|k| !k.expose_secret().trim().is_empty());
        Verifier { keys: keys.collect(), scheme: Arc::new(TimestampedHmac::default()) }
    }

    /// Adds a key (an empty or blank one is dropped).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use vaultspay::webhooks::{sign_timestamped, Verifier, SIGNATURE_HEADER};
    ///
    /// let verifier = Verifier::new("whsec_new").add_key("whsec_old");
    /// let mut headers = http::HeaderMap::new(); // signed before the rotation
    /// headers.insert(SIGNATURE_HEADER, sign_timestamped("whsec_old", 1_700_000_000, b"{}").parse().unwrap());
    /// assert!(verifier.verify_at(&headers, b"{}", UNIX_EPOCH + Duration::from_secs(1_700_000_000)).is_ok());
    /// ```
    pub fn add_key(mut self, key: impl IntoSecret) -> Self {
        self.keys.extend(Some(key.into_secret()).filter(|k| !k.expose_secret().trim().is_empty()));
        self
    }

    /// Uses another scheme (the header name and tolerance are the scheme's settings).
    ///
    /// ```
    /// use vaultspay::webhooks::{sign_body, BodyHmac, Verifier, SIGNATURE_HEADER};
    ///
    /// let verifier = Verifier::new("whsec_test").scheme(BodyHmac::new());
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(SIGNATURE_HEADER, sign_body("whsec_test", b"{}").parse().unwrap());
    /// assert!(verifier.verify(&headers, b"{}").is_ok());
    /// assert!(verifier.verify(&headers, b"{ }").is_err()); // other bytes
    /// ```
    pub fn scheme(mut self, scheme: impl Scheme) -> Self {
        self.scheme = Arc::new(scheme);
        self
    }

    /// The scheme in use.
    ///
    /// ```
    /// use vaultspay::webhooks::{Verifier, SIGNATURE_HEADER};
    ///
    /// assert_eq!(Verifier::new("whsec_test").current_scheme().header_name(), SIGNATURE_HEADER);
    /// ```
    pub fn current_scheme(&self) -> &dyn Scheme {
        &*self.scheme
    }

    /// Verifies a delivery from its headers and raw body, at the current time.
    ///
    /// ```
    /// use vaultspay::webhooks::{Verifier, WebhookError, SIGNATURE_HEADER};
    ///
    /// let headers = http::HeaderMap::new();
    /// let err = Verifier::new("whsec_test").verify(&headers, b"{}").unwrap_err();
    /// assert_eq!(err, WebhookError::MissingHeader { header: SIGNATURE_HEADER });
    /// ```
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// [`verify`](Self::verify) at a given time.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use vaultspay::webhooks::{sign_timestamped, Verifier, SIGNATURE_HEADER};
    ///
    /// let body = br#"{"id":"e1","type":"card.status.active"}"#;
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(SIGNATURE_HEADER, sign_timestamped("whsec_test", 1_700_000_000, body).parse().unwrap());
    /// let verifier = Verifier::new("whsec_test");
    /// assert!(verifier.verify_at(&headers, body, UNIX_EPOCH + Duration::from_secs(1_700_000_299)).is_ok());
    /// assert!(verifier.verify_at(&headers, br#"{"id":"e1","type":"card.status.block"}"#, UNIX_EPOCH + Duration::from_secs(1_700_000_000)).is_err());
    /// ```
    pub fn verify_at(&self, headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<(), WebhookError> {
        let header = self.scheme.header_name();
        let mut values = headers.get_all(header).iter();
        let value = values.next().ok_or_else(|| WebhookError::MissingHeader { header: header.clone() })?;
        if values.next().is_some() {
            return Err(WebhookError::malformed_header(header, "sent more than once"));
        }
        let value = value.to_str().map_err(|_| WebhookError::malformed_header(header, "not visible ASCII"))?.trim();
        if self.keys.is_empty() {
            return Err(WebhookError::NoKey);
        }
        let keys: Vec<&SecretString> = self.keys.iter().collect();
        self.scheme.verify(value, body, &Keys { keys: &keys }, now)
    }

    /// Verifies a delivery, then parses it ([`Event::parse`]).
    ///
    /// ```
    /// use vaultspay::webhooks::{sign_body, BodyHmac, Verifier, SIGNATURE_HEADER};
    ///
    /// let body = br#"{"id":"e1","type":"ping"}"#;
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert(SIGNATURE_HEADER, sign_body("whsec_test", body).parse().unwrap());
    /// let event = Verifier::new("whsec_test").scheme(BodyHmac::new()).verify_event(&headers, body)?;
    /// assert_eq!(event.id(), "e1");
    /// # Ok::<(), vaultspay::webhooks::WebhookError>(())
    /// ```
    pub fn verify_event(&self, headers: &HeaderMap, body: &[u8]) -> Result<Event, WebhookError> {
        self.verify(headers, body)?;
        Event::parse(body)
    }

    /// The headers the scheme would send for `body` at `now`, signed with the first key (for tests). `None` when
    /// the scheme cannot sign; [`WebhookError::NoKey`] without a key.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use vaultspay::webhooks::Verifier;
    ///
    /// let verifier = Verifier::new("whsec_test");
    /// let headers = verifier.signed_headers(b"{}", SystemTime::now())?.expect("TimestampedHmac signs");
    /// assert!(verifier.verify(&headers, b"{}").is_ok());
    /// # Ok::<(), vaultspay::webhooks::WebhookError>(())
    /// ```
    pub fn signed_headers(&self, body: &[u8], now: SystemTime) -> Result<Option<HeaderMap>, WebhookError> {
        let key = self.keys.first().ok_or(WebhookError::NoKey)?;
        let Some(value) = self.scheme.sign(key, body, now) else { return Ok(None) };
        let value = HeaderValue::from_str(&value).map_err(|_| {
            WebhookError::malformed_header(self.scheme.header_name(), "the signature is not a header value")
        })?;
        let mut headers = HeaderMap::new();
        headers.insert(self.scheme.header_name().clone(), value);
        Ok(Some(headers))
    }
}
