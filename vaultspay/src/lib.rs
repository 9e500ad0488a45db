//! Rust SDK for the VaultsPay card-issuance ("SaaS") API: users and KYC, accounts and ledgers, IBAN transfers,
//! card issuance and controls, the rules engine — every request and answer encrypted.
//!
//! ```no_run
//! use vaultspay::pagination::PageOptions;
//! use vaultspay::{Call, Client, Environment};
//! use futures_util::TryStreamExt as _;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder()
//!     .environment(Environment::Uat)
//!     .client_id("my-client-id")
//!     .client_secret(std::env::var("VAULTSPAY_CLIENT_SECRET")?)
//!     .app_id("my-saas-app-id")
//!     .public_key(&std::env::var("VAULTSPAY_PUBLIC_KEY")?)?
//!     .build()?;
//!
//! // Logs in on first use; the answer's `data`, decrypted and decoded.
//! let tiers = client.api().list_card_tiers().call().await?;
//! println!("{} card tiers", tiers.len());
//!
//! // Every account, page after page.
//! let mut accounts = client.api().list_accounts().stream(PageOptions::default());
//! while let Some(account) = accounts.try_next().await? {
//!     println!("{:?} {:?} {:?}", account.id, account.balance, account.currency_code);
//! }
//! # Ok(()) }
//! ```
//!
//! - [`Client`]: configuration and the app's access token; [`Client::api`] reaches every operation, generated
//!   into [`api`]. Finish a request with [`Call::call`] (the payload inside `data`) or `.stream(options)`.
//! - [`encryption`]: the hybrid AES-256-GCM + RSA scheme, with every part the docs leave open configurable.
//! - [`money`]: exact amounts, and minor units for transfers; [`iban`]: the local IBAN check.
//! - [`error`]: [`Error`], classified by VaultsPay's code. [`webhooks`]: card-status events and their
//!   verification. [`operation`]: what the client knows about each operation (token, safe to repeat, envelope).
//!
//! Cross-cutting behaviour (token, device headers, encryption, retries, tracing) lives in one place: the progenitor
//! hooks of the generated client.

#![forbid(unsafe_code)]
#![allow(clippy::result_large_err)]

pub mod api;
pub mod auth;
mod call;
pub mod client;
pub mod encryption;
pub mod error;
mod hooks;
pub mod iban;
pub mod money;
pub mod operation;
pub mod pagination;
#[cfg(feature = "webhooks")]
pub mod webhooks;

pub use auth::store;
pub use call::{Call, Data, Envelope};
pub use cardsdk_runtime::retry::RetryPolicy;
pub use cardsdk_runtime::{Json, JsonMap, Timestamp};
pub use client::{BuildError, Client, ClientBuilder, Environment};
pub use error::{Error, ErrorContext};
pub use rust_decimal::Decimal;
