//! Card-status webhooks: every card status change is POSTed to the registered callback (one URL and an optional
//! secret, set with the builder or a control call) with the documented snake_case payload, through the kit's
//! delivery engine (retried on 5xx, timeouts and connection errors, never on other answers).
//!
//! Signatures (only when a secret is set; VaultsPay does not document how the card-events secret is used, so the
//! scheme is configurable): [`SignatureScheme::Timestamped`] (default) sends `VaultsPay-Signature:
//! t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`; [`SignatureScheme::RawBody`] sends the hex
//! HMAC-SHA256 of the raw body alone in the header it names. Every delivery carries `VaultsPay-Event-Id: <id>`
//! (the same on every attempt) and `Content-Type: application/json`.

use std::time::Instant;

use bytes::Bytes;
use cardsdk_sandbox_kit::{
    Attempt, DeliveryHooks, Outgoing, TimeForm, format_time, hmac_sha256, now_ms, now_secs, timestamped_signature,
};
use serde_json::json;

use crate::catalog::Tier;
use crate::state::{Card, Shared};

/// How deliveries are signed when the callback has a secret.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// `VaultsPay-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (the generic webhook pages'
    /// scheme; the default).
    #[default]
    Timestamped,
    /// The hex HMAC-SHA256 of the raw body alone, in this header (the overview page's sample handler).
    RawBody {
        /// The header carrying it.
        header: String,
    },
}

/// One webhook delivery attempt.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The callback URL.
    pub url: String,
    /// The headers sent: `Content-Type`, `VaultsPay-Event-Id` and, with a secret, the signature header.
    pub headers: Vec<(String, String)>,
    /// The body bytes sent (compact JSON; a signature covers exactly these).
    pub body: Vec<u8>,
    /// The receiver's status, `None` when no answer came (connection error, timeout).
    pub status: Option<u16>,
    /// What went wrong when no answer came.
    pub error: Option<String>,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
    /// The event's `id` (the same on every attempt).
    pub event_id: String,
    /// When the attempt finished.
    pub at: Instant,
}

impl Delivery {
    /// The value of a header sent (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A status change to announce, with what the payload says of the card.
#[derive(Debug, Clone)]
pub(crate) struct CardEvent {
    previous: &'static str,
    current: &'static str,
    reason: String,
    token: i64,
    last_four: String,
    tier: &'static str,
    network: &'static str,
    card_type: &'static str,
    at: i64,
}

impl CardEvent {
    /// The change of `c` from `previous` to its current status.
    pub(crate) fn new(c: &Card, previous: &'static str, tier: &Tier) -> Self {
        CardEvent {
            previous,
            current: c.status,
            reason: c.status_reason.clone(),
            token: c.token,
            last_four: crate::cards::last_four(c),
            tier: tier.title,
            network: tier.network_short,
            card_type: c.card_type,
            at: c.updated_at,
        }
    }
}

/// The network status label of a platform status: ACTIVE is `FULLY_OPERATIONAL`, every other status
/// `DECLINE_ALL_TXNS` (the docs' mapping table is cut off; these are the two labels they show).
pub(crate) fn label(code: &str) -> &'static str {
    if code == "ACTIVE" { "FULLY_OPERATIONAL" } else { "DECLINE_ALL_TXNS" }
}

/// A 26-character lowercase ULID-like id: 48 bits of milliseconds and 80 random bits in Crockford Base32.
pub(crate) fn event_id(ms: i64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let value: u128 = (u128::from(ms.max(0) as u64 & 0xFFFF_FFFF_FFFF) << 80) | (rand::random::<u128>() >> 48);
    (0..26).rev().map(|i| char::from(ALPHABET[((value >> (i * 5)) & 31) as usize])).collect()
}

/// The payload of an event.
fn payload(id: &str, e: &CardEvent) -> Vec<u8> {
    let body = json!({
        "id": id,
        "type": format!("card.status.{}", e.current.to_lowercase()),
        "occurred_at": format_time(e.at.div_euclid(1000) * 1000, TimeForm::Seconds),
        "status": {
            "previous": { "code": e.previous, "label": label(e.previous) },
            "current": { "code": e.current, "label": label(e.current) },
            "reason": e.reason,
        },
        "card": {
            "token": e.token,
            "last_four_digits": e.last_four,
            "tier": e.tier,
            "network": e.network,
            "type": e.card_type,
        },
    });
    body.to_string().into_bytes()
}

/// Delivers the events to the registered callback (nothing when none is registered). Must not be called with the
/// state locked.
pub(crate) fn emit(st: &Shared, events: Vec<CardEvent>) {
    if events.is_empty() || st.inner().webhook.is_none() {
        return;
    }
    for e in events {
        let id = event_id(now_ms());
        let body = payload(&id, &e);
        st.deliverer.spawn(Bytes::from(body), st.config.webhook_retry_delays.clone(), Hooks { st: st.clone(), id });
    }
}

/// One event's delivery: each attempt goes to the callback registered at that moment (none: the delivery stops).
struct Hooks {
    st: Shared,
    id: String,
}

impl DeliveryHooks for Hooks {
    fn prepare(&mut self, _number: u32, body: &[u8]) -> Option<Outgoing> {
        let callback = self.st.inner().webhook.clone()?;
        let mut headers = vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            ("VaultsPay-Event-Id".to_string(), self.id.clone()),
        ];
        if let Some(secret) = &callback.secret {
            match &callback.scheme {
                SignatureScheme::Timestamped => {
                    let t = now_secs().to_string();
                    let v1 = timestamped_signature(secret.as_bytes(), &t, body);
                    headers.push(("VaultsPay-Signature".to_string(), format!("t={t},v1={v1}")));
                }
                SignatureScheme::RawBody { header } => {
                    headers.push((header.clone(), hex::encode(hmac_sha256(secret.as_bytes(), body))));
                }
            }
        }
        Some(Outgoing { url: callback.url, headers })
    }

    fn attempted(&mut self, a: &Attempt) {
        self.st.deliveries.push(Delivery {
            url: a.url.clone(),
            headers: a.headers.clone(),
            body: a.body.to_vec(),
            status: a.status,
            error: a.error.clone(),
            attempt: a.number,
            event_id: self.id.clone(),
            at: a.at,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulid_like_ids() {
        let a = event_id(1_710_321_612_000);
        assert_eq!(a.len(), 26);
        assert!(a.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        // The time part sorts.
        assert!(event_id(1_710_321_612_000)[..10] < event_id(1_710_321_613_000)[..10]);
        assert_eq!(label("BLOCK"), "DECLINE_ALL_TXNS");
    }
}
