//! # cardsdk-runtime
//!
//! The runtime shared by the `baanx` and `vaultspay` SDKs: what every generated client needs, written once.
//!
//! - [`wire`]: how generated types read JSON — lenient in form (`"5814"` for an integer, `42` for a string), strict
//!   in meaning (a value that fits no lossless reading is an error), lossless (unknown members kept in `extra`).
//! - [`json`]: [`Json`] and [`JsonMap`], free-form JSON kept as exact text.
//! - [`money`]: exact decimal amounts (never through `f64`), [`Money`](money::Money), minor units.
//! - [`token`]: [`TokenAmount`], on-chain amounts over the whole uint256 range.
//! - [`timestamp`]: [`Timestamp`], every form of date-time the APIs write.
//! - [`open_enum`](mod@open_enum): value sets that survive new values; [`pages`]: the pages engine (streams).
//! - [`body`]: response bodies within a size limit, and refused answers (for the SDKs' hooks).
//! - [`refusals`]: typed errors found before sending, carried through progenitor's hooks.
//! - [`retry`]: backoff with jitter, `Retry-After`, deadline and the retry budget.
//! - [`error_context`]: where an error happened (operation, status, request id, not retried).
//! - [`single_flight`]: one renewal for any number of callers, and the back-off of failing renewals.
//! - [`trace`]: the per-request tracing span ([`request_span!`]), OpenTelemetry's HTTP client names.
//! - [`redact`]: keeping secrets and personal data out of output; [`secret`]: secret arguments; [`error_body`]: error answers of any shape.
//! - [`store`]: session stores shared by many instances (versions, compare-and-swap, renewal leases).
//!
//! Users of the SDKs reach these through the SDK crates' re-exports; the generated code refers to this crate.

#![forbid(unsafe_code)]

pub mod base_url;
pub mod body;
pub mod decode;
pub mod error_body;
pub mod error_context;
pub mod json;
pub mod money;
pub mod open_enum;
pub mod pages;
pub mod redact;
pub mod refusals;
pub mod retry;
pub mod secret;
pub mod single_flight;
pub mod store;
pub mod timestamp;
pub mod token;
pub mod trace;
pub mod wire;

pub use chrono;
pub use json::{Json, JsonMap};
pub use rust_decimal::Decimal;
pub use timestamp::Timestamp;
pub use token::{TokenAmount, U256};

/// What the generated code and the exported macros refer to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use serde_json;
    pub use tracing;
}
