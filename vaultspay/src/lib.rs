//! Rust SDK for the VaultsPay card-issuance ("SaaS") API.
//!
//! VaultsPay encrypts every request and response body with a hybrid scheme: a fresh AES-256-GCM key per
//! request, wrapped with the RSA public key VaultsPay shares with the integrator. The [`encryption`] module
//! implements that scheme, with every part the vendor documentation leaves open made configurable through
//! [`encryption::Options`].
#![forbid(unsafe_code)]

pub mod encryption;
#[cfg(feature = "webhooks")]
pub mod webhooks;
