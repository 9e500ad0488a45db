//! # baanx
//!
//! Rust SDK for the [Baanx API](https://docs.baanx.com): crypto-backed debit cards, OAuth 2.0 with PKCE,
//! onboarding and KYC, card management, custodial and non-custodial wallets, on-chain spending delegation,
//! consent records and webhooks.
//!
//! - [`Client`]: configuration and the session it acts for; [`Client::api`] reaches every operation of the
//!   contract, generated into [`api`]. Finish a request with [`Call::call`] to get the body or an [`Error`].
//! - [`auth`]: password login with OTP, OAuth 2.0 with PKCE (API and hosted modes), sessions that renew
//!   themselves, token stores.
//! - [`money`]: exact amounts ([`Decimal`]); [`open_enum`]: value sets that survive new values.
//! - [`operation`]: what the client knows about each operation (credentials, idempotency).
//!
//! Cross-cutting behaviour (credentials, region routing, session renewal, tracing) lives in one place, the
//! progenitor hooks of the generated client.

#![forbid(unsafe_code)]
// `Error` carries its context (operation, status, request id) by value; next to a network round trip, moving
// ~150 bytes is free, and boxing would make every match on it clumsier.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod auth;
mod body;
mod call;
mod checks;
pub mod client;
pub mod delegation;
pub mod error;
mod hooks;
pub mod money;
pub mod open_enum;
pub mod operation;
pub mod pagination;
pub mod retry;
pub mod webhooks;

pub use call::Call;
pub use cardsdk_runtime::{Json, JsonMap, Timestamp, TokenAmount};
pub use client::{BuildError, Client, ClientBuilder, Environment, Region};
pub use error::{Error, ErrorContext};
pub use rust_decimal::Decimal;

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
