//! Clients of the sandbox (`vaultspay-sandbox`) for the end-to-end tests.

#![allow(dead_code)]

use std::time::Duration;

use vaultspay::{Client, ClientBuilder, Environment, RetryPolicy};
use vaultspay_sandbox::Sandbox;

/// A builder with the sandbox's address, credentials, app id and public key.
pub fn builder(sandbox: &Sandbox) -> ClientBuilder {
    Client::builder()
        .environment(Environment::Custom(sandbox.base_url().to_string()))
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .app_id(sandbox.app_id())
        .public_key(sandbox.public_key())
        .unwrap()
}

/// A client of the sandbox whose retries wait 5 ms and up (the default waits 250 ms and up).
pub fn client(sandbox: &Sandbox) -> Client {
    builder(sandbox).retry(RetryPolicy::standard().base_delay(Duration::from_millis(5))).build().unwrap()
}
