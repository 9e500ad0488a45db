//! Open enumerations: the documented values as variants, anything else kept as `Unknown(String)`.
//!
//! The Baanx API adds statuses, categories and types that its docs do not list. A closed Rust enum would fail the
//! whole response on such a value; every value set of the contract is therefore generated (by `build.rs`, from
//! each enum component of `openapi.json`) as an open enum (`cardsdk_runtime::open_enum!`):
//!
//! - decoding matches the wire value exactly, then ignoring ASCII case (the API's casing drifts between
//!   endpoints), and keeps any other value as `Unknown(String)`; it never fails on a string (a number or boolean
//!   is read as its JSON text);
//! - encoding writes the documented wire value, or the kept string for `Unknown`;
//! - `Display`/`FromStr` use the wire value, so the types work as query parameters too;
//! - the enums are `#[non_exhaustive]`: a value the contract adds later is a new variant, not a breaking change.
//!
//! ```
//! use baanx::api::types::CardStatus;
//!
//! let status: CardStatus = serde_json::from_str("\"FROZEN\"").unwrap();
//! assert_eq!(status, CardStatus::Frozen);
//! let future: CardStatus = serde_json::from_str("\"SUSPENDED\"").unwrap();
//! assert_eq!(future, CardStatus::Unknown("SUSPENDED".into()));
//! assert_eq!(future.as_str(), "SUSPENDED");
//! assert!(!future.is_known());
//! ```
