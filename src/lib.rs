//! # baanx
//!
//! Rust SDK for the [Baanx API](https://docs.baanx.com): crypto-backed debit cards, OAuth 2.0 with PKCE,
//! onboarding and KYC, card management, custodial and non-custodial wallets, on-chain spending delegation,
//! consent records and webhooks.
//!
//! The typed operations are generated from the vendored contract (`openapi.json`) into [`api`]; the wrapper
//! around them adds what a payments integration needs: exact [`money`], open enums that survive new values,
//! credentials injected per operation ([`operation`]), and tracing.

#![forbid(unsafe_code)]

pub mod api;
pub mod client;
mod hooks;
pub mod money;
pub mod open_enum;
pub mod operation;

pub use client::{BuildError, Client, ClientBuilder, Environment};
pub use rust_decimal::Decimal;

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
