//! The card-status event payload (the SaaS *card-events* page), decoded losslessly.

use std::fmt;

use cardsdk_runtime::redact::{Hidden, REDACTED, Redacted, is_secret_key, redact_text};
use cardsdk_runtime::wire::{Key, KeySeed, Mode, Wire, field, required};
use cardsdk_runtime::{JsonMap, Timestamp, open_enum};
use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::WebhookError;

open_enum! {
    /// An event's `type`. The docs show only `card.status.active`; the others follow the pattern
    /// `card.status.<status code in lower case>` (**inferred**) over the card statuses the REST pages show. Any
    /// other value decodes as `Unknown(..)`, and every `card.status.*` value is a card status event
    /// ([`is_card_status`](Self::is_card_status)).
    ///
    /// ```
    /// use vaultspay::webhooks::EventType;
    ///
    /// assert_eq!(EventType::from("card.status.active"), EventType::CardStatusActive);
    /// let newer = EventType::from("card.status.terminated");
    /// assert!(!newer.is_known() && newer.is_card_status());
    /// assert!(!EventType::from("user.kyc.status_changed").is_card_status());
    /// ```
    EventType {
        /// `card.status.active` (documented).
        CardStatusActive = "card.status.active",
        /// `card.status.block` (inferred).
        CardStatusBlock = "card.status.block",
        /// `card.status.freeze` (inferred).
        CardStatusFreeze = "card.status.freeze",
        /// `card.status.issuance_in_progress` (inferred).
        CardStatusIssuanceInProgress = "card.status.issuance_in_progress",
        /// `card.status.pending_verification` (inferred).
        CardStatusPendingVerification = "card.status.pending_verification",
    }
}

impl EventType {
    /// The prefix of every card status event type.
    ///
    /// ```
    /// use vaultspay::webhooks::EventType;
    ///
    /// assert!(EventType::CardStatusFreeze.as_str().starts_with(EventType::CARD_STATUS_PREFIX));
    /// ```
    pub const CARD_STATUS_PREFIX: &'static str = "card.status.";

    /// `true` for `card.status.*` (any case), known or not: such events decode as [`CardStatusEvent`].
    ///
    /// ```
    /// use vaultspay::webhooks::EventType;
    ///
    /// assert!(EventType::CardStatusBlock.is_card_status());
    /// assert!(EventType::from("CARD.STATUS.REQUESTED").is_card_status());
    /// assert!(!EventType::from("card.pin_set").is_card_status());
    /// ```
    pub fn is_card_status(&self) -> bool {
        let text = self.as_str();
        text.len() > Self::CARD_STATUS_PREFIX.len()
            && text.is_char_boundary(Self::CARD_STATUS_PREFIX.len())
            && text[..Self::CARD_STATUS_PREFIX.len()].eq_ignore_ascii_case(Self::CARD_STATUS_PREFIX)
    }
}

open_enum! {
    /// A platform card status code (`status.previous.code` / `status.current.code`): the values the docs show.
    ///
    /// ```
    /// use vaultspay::webhooks::CardStatus;
    ///
    /// assert_eq!(CardStatus::from("BLOCK"), CardStatus::Block);
    /// assert_eq!(CardStatus::from("TERMINATED"), CardStatus::Unknown("TERMINATED".into()));
    /// ```
    CardStatus {
        /// `ACTIVE`.
        Active = "ACTIVE",
        /// `BLOCK`.
        Block = "BLOCK",
        /// `FREEZE`.
        Freeze = "FREEZE",
        /// `ISSUANCE_IN_PROGRESS`.
        IssuanceInProgress = "ISSUANCE_IN_PROGRESS",
        /// `PENDING_VERIFICATION`.
        PendingVerification = "PENDING_VERIFICATION",
    }
}

open_enum! {
    /// A card network's status label (`status.*.label`): the two the docs show. The mapping table from codes to
    /// labels is cut off in the docs.
    ///
    /// ```
    /// use vaultspay::webhooks::NetworkStatus;
    ///
    /// assert_eq!(NetworkStatus::from("FULLY_OPERATIONAL"), NetworkStatus::FullyOperational);
    /// assert!(!NetworkStatus::from("LOST_CARD").is_known());
    /// ```
    NetworkStatus {
        /// `FULLY_OPERATIONAL`.
        FullyOperational = "FULLY_OPERATIONAL",
        /// `DECLINE_ALL_TXNS`.
        DeclineAllTxns = "DECLINE_ALL_TXNS",
    }
}

open_enum! {
    /// `card.network`. The webhook example writes Mastercard as `MC` (the REST pages write `MASTERCARD`, which
    /// decodes as `Unknown` here); `VISA` is inferred.
    ///
    /// ```
    /// use vaultspay::webhooks::CardNetwork;
    ///
    /// assert_eq!(CardNetwork::from("MC"), CardNetwork::Mastercard);
    /// assert_eq!(CardNetwork::Visa.as_str(), "VISA");
    /// ```
    CardNetwork {
        /// `MC`.
        Mastercard = "MC",
        /// `VISA`.
        Visa = "VISA",
    }
}

open_enum! {
    /// `card.type`.
    ///
    /// ```
    /// use vaultspay::webhooks::CardType;
    ///
    /// assert_eq!(CardType::from("VIRTUAL"), CardType::Virtual);
    /// ```
    CardType {
        /// `PHYSICAL`.
        Physical = "PHYSICAL",
        /// `VIRTUAL`.
        Virtual = "VIRTUAL",
    }
}

/// A card status change (`type: card.status.*`): the documented payload, every other member kept in `extra`.
///
/// Decoding is lenient in form and strict in meaning (the [`cardsdk_runtime::wire`] rules): `id` may come as a
/// string or a number (kept as its exact text), `card.token` as a number or a string holding one. Required: `id`,
/// `type`, `occurred_at`, `status.current.code`, `card.token`; every other documented member may be absent or
/// `null`. `Debug` never shows the card's last four digits, nor personal-looking members of `extra`.
///
/// ```
/// use vaultspay::webhooks::{CardStatus, CardStatusEvent, CardType};
///
/// let body = r#"{"id":"01hvjr8fz6mbw6f9r9v3e5b5yw","type":"card.status.freeze","occurred_at":"2026-03-13T09:20:12Z",
///   "status":{"previous":{"code":"ACTIVE"},"current":{"code":"FREEZE"},"reason":"Frozen by the user"},
///   "card":{"token":"987654321","last_four_digits":"3321","type":"VIRTUAL"},"livemode":false}"#;
/// let event: CardStatusEvent = serde_json::from_str(body)?;
/// assert_eq!(event.card.token, 987654321); // read exactly from the string
/// assert_eq!(event.status.previous.as_ref().map(|s| &s.code), Some(&CardStatus::Active));
/// assert_eq!(event.card.card_type, Some(CardType::Virtual));
/// assert_eq!(event.extra.get("livemode").unwrap().as_str(), "false"); // kept
/// assert_eq!(event.occurred_at.utc().timestamp(), 1_773_393_612);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CardStatusEvent {
    /// `id`: the event's unique id (26 lowercase characters, ULID-like, in the docs' example); the key to
    /// deduplicate deliveries by.
    pub id: String,
    /// `type`: `card.status.<status>`.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// `occurred_at`: when the status changed (ISO 8601 UTC with `Z`), kept as sent.
    pub occurred_at: Timestamp,
    /// `status`: from what, to what, and why.
    pub status: StatusChange,
    /// `card`: which card (the card id is not in the payload: correlate by [`EventCard::token`]).
    pub card: EventCard,
    /// Members the docs do not list, exactly as sent.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `status` of a [`CardStatusEvent`].
///
/// ```
/// use vaultspay::webhooks::{CardStatus, NetworkStatus, StatusChange};
///
/// let change: StatusChange = serde_json::from_str(r#"{"current":{"code":"ACTIVE","label":"FULLY_OPERATIONAL"}}"#)?;
/// assert_eq!(change.current.code, CardStatus::Active);
/// assert_eq!(change.current.label, Some(NetworkStatus::FullyOperational));
/// assert!(change.previous.is_none() && change.reason.is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StatusChange {
    /// `status.previous`: the status before (absent or `null` is accepted, e.g. for a new card).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Status>,
    /// `status.current`: the status now.
    pub current: Status,
    /// `status.reason`: why (free text, e.g. "Card was unblocked by the admin").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Members the docs do not list, exactly as sent.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// One side of a [`StatusChange`]: the platform code and the network label.
///
/// ```
/// use vaultspay::webhooks::{CardStatus, NetworkStatus, Status};
///
/// let status: Status = serde_json::from_str(r#"{"code":"BLOCK","label":"DECLINE_ALL_TXNS"}"#)?;
/// assert_eq!((status.code, status.label), (CardStatus::Block, Some(NetworkStatus::DeclineAllTxns)));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Status {
    /// `code`: the platform status (`ACTIVE`, `BLOCK`, ...).
    pub code: CardStatus,
    /// `label`: the network status (`FULLY_OPERATIONAL`, `DECLINE_ALL_TXNS`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<NetworkStatus>,
    /// Members the docs do not list, exactly as sent.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// `card` of a [`CardStatusEvent`]. `Debug` withholds `last_four_digits`.
///
/// ```
/// use vaultspay::webhooks::{CardNetwork, EventCard};
///
/// let card: EventCard = serde_json::from_str(r#"{"token":987654321,"last_four_digits":"3321","network":"MC"}"#)?;
/// assert_eq!((card.token, card.network.clone()), (987654321, Some(CardNetwork::Mastercard)));
/// assert_eq!(card.last_four_digits.as_deref(), Some("3321"));
/// assert!(!format!("{card:?}").contains("3321"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct EventCard {
    /// `token`: the card's network token, a 9-digit integer surrogate for the PAN (`token` / `cardToken` in the
    /// REST answers). Not a secret: it is the key to correlate the event with a card.
    pub token: i64,
    /// `last_four_digits` of the PAN (personal: withheld in `Debug`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_four_digits: Option<String>,
    /// `tier`: the card tier's title (in the docs' example, not in their field table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// `network`: `MC`, `VISA`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<CardNetwork>,
    /// `type`: `PHYSICAL` or `VIRTUAL`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub card_type: Option<CardType>,
    /// Members the docs do not list, exactly as sent.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// An event of a type this crate does not type (anything but `card.status.*`): its id and type, and the whole
/// body, every value exactly as sent (numbers included; members in name order). `Debug` withholds
/// personal-looking members.
///
/// ```
/// use vaultspay::webhooks::{Event, OtherEvent};
///
/// let body = br#"{"id":"evt_1","type":"card.pin_set","data":{"object":{"id":"card_1","amount":1.10}}}"#;
/// let Event::Other(other) = Event::parse(body)? else { unreachable!() };
/// assert_eq!((other.id.as_str(), other.event_type.as_str()), ("evt_1", "card.pin_set"));
/// assert_eq!(other.body.get("data").unwrap().as_str(), r#"{"object":{"id":"card_1","amount":1.10}}"#);
/// let written = serde_json::to_string(&other).unwrap();
/// assert_eq!(written, r#"{"data":{"object":{"id":"card_1","amount":1.10}},"id":"evt_1","type":"card.pin_set"}"#);
/// # Ok::<(), vaultspay::webhooks::WebhookError>(())
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct OtherEvent {
    /// `id`.
    pub id: String,
    /// `type`, as sent.
    pub event_type: EventType,
    /// Every member of the body (`id` and `type` included), each value exactly as sent.
    pub body: JsonMap,
}

impl Serialize for OtherEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body.serialize(serializer)
    }
}

/// A webhook delivery's body: a [`CardStatusEvent`], or any other event kept as JSON.
///
/// ```
/// use vaultspay::webhooks::Event;
///
/// let body = br#"{"id":"e1","type":"card.status.block","occurred_at":"2026-03-13T09:20:12Z",
///   "status":{"current":{"code":"BLOCK"}},"card":{"token":1}}"#;
/// let event = Event::parse(body)?;
/// assert_eq!((event.id(), event.event_type().as_str()), ("e1", "card.status.block"));
/// assert!(matches!(event, Event::CardStatus(_)));
/// # Ok::<(), vaultspay::webhooks::WebhookError>(())
/// ```
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // the variant nearly every delivery is: boxing it would only hinder matching
pub enum Event {
    /// `card.status.*`.
    CardStatus(CardStatusEvent),
    /// Any other type, kept as JSON.
    Other(OtherEvent),
}

impl Serialize for Event {
    /// Writes the event back as JSON: the same members as received (unknown ones included).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Event::CardStatus(event) => event.serialize(serializer),
            Event::Other(event) => event.serialize(serializer),
        }
    }
}

impl Event {
    /// Parses a delivery body (verify it first). Every body that is a JSON object with an `id` and a `type` is an
    /// event: an unknown type never fails (it comes back as [`Event::Other`]). A `card.status.*` event must have
    /// the documented shape; otherwise, and for a body that is not such an object, the error is
    /// [`WebhookError::InvalidPayload`] with the JSON path of the offending value.
    ///
    /// ```
    /// use vaultspay::webhooks::{Event, WebhookError};
    ///
    /// let newer = Event::parse(br#"{"id":"e1","type":"card.shipping.dispatched","eta":"2026-04-01"}"#)?;
    /// assert!(matches!(newer, Event::Other(_)));
    ///
    /// let body = br#"{"id":"e2","type":"card.status.active","occurred_at":"2026-03-13T09:20:12Z",
    ///   "status":{"current":{"code":"ACTIVE"}},"card":{"token":"98765x321"}}"#;
    /// let Err(WebhookError::InvalidPayload { path, .. }) = Event::parse(body) else { panic!("accepted") };
    /// assert_eq!(path.as_deref(), Some("card.token"));
    ///
    /// let Err(WebhookError::InvalidPayload { path, .. }) = Event::parse(br#"{"type":"card.pin_set"}"#) else { panic!() };
    /// assert_eq!(path, None); // `id` is missing: the error is at the top level
    /// # Ok::<(), WebhookError>(())
    /// ```
    pub fn parse(body: &[u8]) -> Result<Event, WebhookError> {
        let envelope: Envelope = decode(body)?;
        if envelope.id.is_empty() {
            return Err(WebhookError::InvalidPayload { path: Some("id".into()), message: "an empty event id".into() });
        }
        if envelope.event_type.is_card_status() {
            return decode(body).map(Event::CardStatus);
        }
        Ok(Event::Other(OtherEvent { id: envelope.id, event_type: envelope.event_type, body: decode(body)? }))
    }

    /// The event's `id`: deduplicate deliveries by it.
    ///
    /// ```
    /// let event = vaultspay::webhooks::Event::parse(br#"{"id":123,"type":"ping"}"#)?;
    /// assert_eq!(event.id(), "123"); // a number is kept as its exact text
    /// # Ok::<(), vaultspay::webhooks::WebhookError>(())
    /// ```
    pub fn id(&self) -> &str {
        match self {
            Event::CardStatus(event) => &event.id,
            Event::Other(event) => &event.id,
        }
    }

    /// The event's `type`.
    ///
    /// ```
    /// use vaultspay::webhooks::{Event, EventType};
    ///
    /// let event = Event::parse(br#"{"id":"e1","type":"ping"}"#)?;
    /// assert_eq!(event.event_type(), &EventType::Unknown("ping".into()));
    /// # Ok::<(), vaultspay::webhooks::WebhookError>(())
    /// ```
    pub fn event_type(&self) -> &EventType {
        match self {
            Event::CardStatus(event) => &event.event_type,
            Event::Other(event) => &event.event_type,
        }
    }
}

/// Decodes a whole body as `T`, with the JSON path of the first offending value.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, WebhookError> {
    let invalid = |path: Option<String>, error: serde_json::Error| WebhookError::InvalidPayload {
        path,
        message: redact_text(&error.to_string()),
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize::<_, T>(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        invalid((path != ".").then_some(path), e.into_inner())
    })?;
    deserializer.end().map_err(|e| invalid(None, e))?;
    Ok(value)
}

/// What every event has: `id` and `type`.
struct Envelope {
    id: String,
    event_type: EventType,
}

/// A `Deserialize` (and `Wire`) impl reading the listed members by their `Wire` rule, every other one into
/// `extra` (or ignored, for a type without `extra`), exactly as the generated types of `cardsdk-codegen` do.
/// `req` members must be present; `opt` members are `Option`s (absent or `null` is `None`).
macro_rules! lossless {
    (@finish req, $slot:ident, $wire:literal) => { required($slot, $wire)? };
    (@finish opt, $slot:ident, $wire:literal) => { $slot.flatten() };
    (@extra $extra:ident, $map:ident, $name:ident, keep) => { $extra.insert_next(&mut $map, $name)? };
    (@extra $extra:ident, $map:ident, $name:ident, ignore) => { { let _ = $name; $map.next_value::<IgnoredAny>()?; } };
    (@build $ty:ident, keep, $extra:ident, { $($field:ident: $value:expr),* }) => { $ty { $($field: $value,)* extra: $extra } };
    (@build $ty:ident, ignore, $extra:ident, { $($field:ident: $value:expr),* }) => { { let _ = $extra; $ty { $($field: $value),* } } };
    ($ty:ident, $what:literal, $unknown:ident, { $($field:ident: $fty:ty = $wire:literal $kind:ident),* $(,)? }) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectVisitor;
                impl<'de> Visitor<'de> for ObjectVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        const NAMES: &[&str] = &[$($wire),*];
                        fn key(name: &str) -> Option<u16> {
                            NAMES.iter().position(|known| *known == name).map(|i| i as u16)
                        }
                        $( let mut $field: Option<$fty> = None; )*
                        #[allow(unused_mut)] // a type without `extra` only drops it
                        let mut extra = JsonMap::new();
                        while let Some(k) = map.next_key_seed(KeySeed(key))? {
                            match k {
                                Key::Known(i) => match NAMES[usize::from(i)] {
                                    $( $wire => field(&mut map, &mut $field, $wire, Mode::Exact)?, )*
                                    _ => { map.next_value::<IgnoredAny>()?; }
                                },
                                Key::Other(name) => lossless!(@extra extra, map, name, $unknown),
                            }
                        }
                        Ok(lossless!(@build $ty, $unknown, extra, { $($field: lossless!(@finish $kind, $field, $wire)),* }))
                    }
                }
                deserializer.deserialize_map(ObjectVisitor)
            }
        }

        impl Wire for $ty {
            fn from_wire<'de, D: Deserializer<'de>>(deserializer: D, _: Mode) -> Result<Self, D::Error> {
                <Self as Deserialize<'de>>::deserialize(deserializer)
            }
        }
    };
}

lossless!(Envelope, "a webhook event object", ignore, {
    id: String = "id" req,
    event_type: EventType = "type" req,
});

lossless!(CardStatusEvent, "a card status event object", keep, {
    id: String = "id" req,
    event_type: EventType = "type" req,
    occurred_at: Timestamp = "occurred_at" req,
    status: StatusChange = "status" req,
    card: EventCard = "card" req,
});

lossless!(StatusChange, "a status change object", keep, {
    previous: Option<Status> = "previous" opt,
    current: Status = "current" req,
    reason: Option<String> = "reason" opt,
});

lossless!(Status, "a status object", keep, {
    code: CardStatus = "code" req,
    label: Option<NetworkStatus> = "label" opt,
});

lossless!(EventCard, "a card object", keep, {
    token: i64 = "token" req,
    last_four_digits: Option<String> = "last_four_digits" opt,
    tier: Option<String> = "tier" opt,
    network: Option<CardNetwork> = "network" opt,
    card_type: Option<CardType> = "type" opt,
});

/// Whether a member name says it holds personal data or card data: the runtime's secret names, plus names,
/// contact details, addresses, birth dates, PAN fragments and account numbers.
fn is_personal_key(name: &str) -> bool {
    let key: String = name.chars().filter(|c| *c != '-' && *c != '_').map(|c| c.to_ascii_lowercase()).collect();
    const PARTS: [&str; 13] = [
        "name",
        "holder",
        "email",
        "phone",
        "mobile",
        "address",
        "birth",
        "lastfour",
        "last4",
        "firstsix",
        "passport",
        "iban",
        "nationalid",
    ];
    is_secret_key(name)
        || PARTS.iter().any(|part| key.contains(part))
        || ["dob", "pan", "bin", "ssn", "city", "street", "postcode", "postalcode", "zip"].contains(&key.as_str())
}

/// A JSON value with personal and secret members replaced by `"[redacted]"` (by name, at any depth) and
/// secret-looking strings redacted by value.
fn redact_personal(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, member) in map.iter_mut() {
                if is_personal_key(name) {
                    *member = Value::String(REDACTED.into());
                } else {
                    redact_personal(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_personal),
        Value::String(text) => *text = redact_text(text),
        _ => {}
    }
}

/// `Debug` of an `extra` or `body` map: personal-looking members withheld.
struct Personal<'a>(&'a JsonMap);

impl fmt::Debug for Personal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = Value::Object(self.0.to_value_map());
        redact_personal(&mut value);
        write!(f, "{value}")
    }
}

impl fmt::Debug for CardStatusEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardStatusEvent")
            .field("id", &self.id)
            .field("event_type", &self.event_type)
            .field("occurred_at", &self.occurred_at)
            .field("status", &self.status)
            .field("card", &self.card)
            .field("extra", &Personal(&self.extra))
            .finish()
    }
}

impl fmt::Debug for StatusChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusChange")
            .field("previous", &self.previous)
            .field("current", &self.current)
            .field("reason", &Redacted(&self.reason))
            .field("extra", &Personal(&self.extra))
            .finish()
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Status")
            .field("code", &self.code)
            .field("label", &self.label)
            .field("extra", &Personal(&self.extra))
            .finish()
    }
}

impl fmt::Debug for EventCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventCard")
            .field("token", &self.token)
            .field("last_four_digits", &Hidden::present(self.last_four_digits.is_some()))
            .field("tier", &Redacted(&self.tier))
            .field("network", &self.network)
            .field("card_type", &self.card_type)
            .field("extra", &Personal(&self.extra))
            .finish()
    }
}

impl fmt::Debug for OtherEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtherEvent")
            .field("id", &self.id)
            .field("event_type", &self.event_type)
            .field("body", &Personal(&self.body))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_members_are_withheld_at_any_depth() {
        let body = br#"{"id":"e1","type":"card.shipping.dispatched","card_holder_name":"John Mock-Doe",
            "data":{"recipient":{"firstName":"John","email":"j@example.com","company":"Acme"},"pan":"4111111111111111"},
            "note":"card 4111 1111 1111 1111"}"#;
        let shown = format!("{:?}", Event::parse(body).unwrap());
        for hidden in ["John", "Mock-Doe", "j@example.com", "4111"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
        assert!(shown.contains("Acme") && shown.contains("card.shipping.dispatched"), "{shown}");
    }

    #[test]
    fn the_card_status_prefix_is_matched_without_panicking_on_odd_text() {
        assert!(!EventType::from("card.status.").is_card_status());
        assert!(!EventType::from("card.statü").is_card_status());
        assert!(!EventType::from("").is_card_status());
    }
}
