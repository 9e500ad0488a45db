//! # baanx
//!
//! Rust SDK for the [Baanx API](https://docs.baanx.com): crypto-backed debit cards, OAuth 2.0 with PKCE,
//! onboarding and KYC, card management, custodial and non-custodial wallets, on-chain spending delegation,
//! consent records and webhooks.
//!
//! Sign in (with the second factor when the user has one), make a call, stream a list, check a webhook:
//!
//! ```no_run
//! use baanx::api::types::CardStatus;
//! use baanx::auth::LoginOutcome;
//! use baanx::pagination::PageOptions;
//! use baanx::webhooks::{Event, Verifier};
//! use baanx::{Call, Environment};
//! use futures_util::TryStreamExt as _;
//!
//! # async fn demo(read_code: impl Fn() -> String, headers: http::HeaderMap, body: Vec<u8>)
//! #     -> Result<(), Box<dyn std::error::Error>> {
//! let client = baanx::Client::builder().environment(Environment::Sandbox).client_key("pk_test_…").build()?;
//! match client.login("user@example.com", "password").await? {
//!     LoginOutcome::Authenticated(_) => {}
//!     LoginOutcome::OtpRequired { user_id, .. } => {
//!         client.send_otp(&user_id).await?;
//!         client.login_with_otp("user@example.com", "password", read_code()).await?;
//!     }
//!     other => return Err(format!("cannot sign in yet: {other:?}").into()),
//! }
//!
//! let card = client.api().get_card_status().call().await?;
//! if card.status == Some(CardStatus::Frozen) {
//!     client.api().unfreeze_card().call().await?;
//! }
//!
//! let mut transactions = client.api().list_card_transactions().date_from("2026-11-01").stream(PageOptions::default());
//! while let Some(tx) = transactions.try_next().await? {
//!     println!("{:?} {:?}", tx.amount_in_transaction_currency, tx.extra.keys().collect::<Vec<_>>());
//! }
//!
//! // In your webhook endpoint, over the raw body as received:
//! Verifier::new("whk_…").verify(&headers, &body)?;
//! let event = Event::parse(&body)?;
//! println!("{} {}", event.event_type, event.id);
//! # Ok(()) }
//! ```
//!
//! - [`Client`]: configuration and the session it acts for; [`Client::api`] reaches every operation of the
//!   contract, generated into [`api`]. Finish a request with [`Call::call`] to get the body or an [`Error`], or
//!   with `.stream(options)` for the items of every page ([`pagination`]).
//! - [`auth`]: password login with OTP, OAuth 2.0 with PKCE (API and hosted modes), sessions that renew
//!   themselves, token stores.
//! - [`money`]: exact amounts ([`Decimal`]); [`open_enum`]: value sets that survive new values.
//! - [`webhooks`]: signature verification and typed events; [`delegation`]: the EVM spending approval.
//! - [`operation`]: what the client knows about each operation (credentials, idempotency).
//!
//! Cross-cutting behaviour (credentials, region routing, session renewal, retries, tracing) lives in one place,
//! the progenitor hooks of the generated client.
//!
//! ## Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `rustls-aws-lc-rs` | yes | TLS by rustls with the aws-lc-rs provider |
//! | `rustls-ring` | | TLS by rustls with the ring provider (no C/CMake build of aws-lc) |
//! | `native-tls` | | the platform's TLS (OpenSSL, Secure Transport, SChannel) |
//! | `webhooks` | yes | [`webhooks::Verifier`] and [`webhooks::sign`] (HMAC-SHA256) |
//! | `file-store` | yes | [`store::FileStore`] and [`auth::TokenStore::file`]: sessions shared by the processes of one machine |
//! | `postgres-store` | | `store::PostgresStore`: sessions shared by any number of instances (PostgreSQL, AES-256-GCM at rest) |
//!
//! Without any TLS feature, pass your own `reqwest::Client` ([`ClientBuilder::http_client`]).
//!
//! Why aws-lc-rs by default: it is reqwest's own default, so an application that already uses reqwest builds one
//! crypto provider, not two, and it negotiates the post-quantum hybrid key exchange; it costs about 40 CPU seconds
//! more on a clean build and 2 MB more of stripped binary than `rustls-ring` (figures and method in the
//! repository's `.ci/build-measurements.md`).

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
/// Session stores that many instances share (keyed, versioned records, compare-and-swap saves, renewal leases),
/// from `cardsdk-runtime`: what an [`auth::TokenStore`] keeps a session's tokens in. `MemoryStore` always,
/// `FileStore` with the `file-store` feature, `PostgresStore` (with `Keyring`, `EncryptionKey`) with
/// `postgres-store`. See the README's "Running many instances".
pub use cardsdk_runtime::store;
pub use cardsdk_runtime::{Json, JsonMap, Timestamp, TokenAmount};
pub use client::{BuildError, Client, ClientBuilder, Environment, Region};
pub use error::{Error, ErrorContext};
pub use rust_decimal::Decimal;

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
