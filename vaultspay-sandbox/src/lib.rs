//! A stateful, encrypting, fault-injecting stand-in for the VaultsPay issuance ("SaaS") API.
//!
//! The sandbox speaks the VaultsPay wire format (not the SDK's types; it does not depend on the `vaultspay` crate,
//! and its cryptography is RustCrypto used directly, so that a bug on one side does not cancel out), enforces the
//! hybrid AES-256-GCM + RSA encryption of every request and answer, keeps state across calls (users and KYC,
//! accounts with exact balances and ledgers, transfers, cards and their lifecycle, the rules engine), posts signed
//! card-status webhooks, and can be told to fail chosen calls.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! use vaultspay_sandbox::{Fault, FaultRule, RsaPadding, Sandbox};
//!
//! let sandbox = Sandbox::builder()
//!     .fixed_key()                                   // the published test key: reproducible
//!     .rsa_padding(RsaPadding::Pkcs1v15)             // the client's documented default
//!     .access_token_ttl(Duration::from_secs(2))      // to exercise refresh
//!     .fault(FaultRule::on("GET", "/pcs/api/v1/card-tiers").calls(1..=1).fault(Fault::Status(429)))
//!     .start()
//!     .await?;
//! println!("{} client {} key {}", sandbox.base_url(), sandbox.client_id(), sandbox.public_key());
//! let john = sandbox.user(); // KYC VERIFIED, AED + USD accounts, a virtual and a physical card
//! # let _ = john;
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! See the crate README for the routes, the rules and the exact encryption wire format.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod accounts;
mod auth;
mod cards;
mod catalog;
mod control;
mod crypto;
mod errors;
mod extract;
mod iban;
mod kyc;
mod locations;
mod money;
mod paging;
mod purchase;
mod respond;
mod rules;
mod secure;
mod seed;
mod server;
mod state;
mod transactions;
mod transfers;
mod users;
mod webhooks;

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardsdk_sandbox_kit::{Deliverer, Det, FaultPlan, Front, Journal, RequestLog, Running};
pub use cardsdk_sandbox_kit::{Fault, FaultRule, LoggedRequest};

pub use crate::crypto::RsaPadding;
use crate::crypto::{KeySource, Keys};
pub use crate::secure::{KEY_HEADER, NONCE_HEADER};
use crate::state::{Callback, Config, Seeded, State};
pub use crate::webhooks::{Delivery, SignatureScheme};

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// A KYC status (the admin's verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KycStatus {
    /// Not decided yet (every new user).
    Pending,
    /// Approved: cards can be issued.
    Verified,
    /// Rejected.
    Rejected,
}

impl KycStatus {
    /// `PENDING`, `VERIFIED`, `REJECTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            KycStatus::Pending => "PENDING",
            KycStatus::Verified => "VERIFIED",
            KycStatus::Rejected => "REJECTED",
        }
    }

    /// The status of a wire name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        [KycStatus::Pending, KycStatus::Verified, KycStatus::Rejected]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// A seeded user, as it was at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    /// The user id (`userId`, `customerId`).
    pub user_id: i64,
    /// The e-mail.
    pub email: String,
    /// The first name (embossing names derive from it).
    pub first_name: String,
    /// The last name.
    pub last_name: String,
    /// The KYC status at start.
    pub kyc_status: KycStatus,
    /// The user's accounts (AED first).
    pub account_ids: Vec<i64>,
    /// The user's cards.
    pub card_ids: Vec<i64>,
}

/// Configures and starts a [`Sandbox`].
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    seed: u64,
    host: IpAddr,
    port: u16,
    client_id: Option<String>,
    client_secret: Option<String>,
    app_id: String,
    key: KeySource,
    padding: RsaPadding,
    uat: bool,
    access_token_ttl: Duration,
    refresh_token_ttl: Duration,
    webhook: Option<(String, Option<String>)>,
    signature: SignatureScheme,
    webhook_retry_delays: Vec<Duration>,
    webhook_timeout: Duration,
    faults: Vec<FaultRule>,
    max_logged_requests: usize,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            seed: 42,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            client_id: None,
            client_secret: None,
            app_id: "17".to_string(),
            key: KeySource::Generate,
            padding: RsaPadding::Pkcs1v15,
            uat: true,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(5 * 86_400),
            webhook: None,
            signature: SignatureScheme::Timestamped,
            webhook_retry_delays: [100, 200, 400, 800, 1600].into_iter().map(Duration::from_millis).collect(),
            webhook_timeout: cardsdk_sandbox_kit::DEFAULT_TIMEOUT,
            faults: Vec::new(),
            max_logged_requests: 100_000,
        }
    }
}

impl SandboxBuilder {
    /// Seed of the generated data: card numbers, tokens, CVVs, account numbers, the client id and secret
    /// (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The address to bind (default 127.0.0.1).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// The port to bind (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Uses this client id instead of the one derived from the seed.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// Uses this client secret instead of the one derived from the seed.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The SaaS app id every request must send as `x-device-id` (default `17`, the docs' example).
    pub fn app_id(mut self, id: impl Into<String>) -> Self {
        self.app_id = id.into();
        self
    }

    /// A fresh 2048-bit RSA key at start (the default; takes about a second in a debug build).
    pub fn generate_key(mut self) -> Self {
        self.key = KeySource::Generate;
        self
    }

    /// The published fixed test key (`keys/fixed-test-key.pem`): reproducible and fast, for tests only.
    pub fn fixed_key(mut self) -> Self {
        self.key = KeySource::Fixed;
        self
    }

    /// A 2048-bit key generated from this seed (the same seed gives the same key with the same `rsa` crate).
    pub fn key_seed(mut self, seed: u64) -> Self {
        self.key = KeySource::Seed(seed);
        self
    }

    /// This RSA private key, as PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM.
    pub fn private_key_pem(mut self, pem: impl Into<String>) -> Self {
        self.key = KeySource::Pem(pem.into());
        self
    }

    /// How clients wrap the AES key (default PKCS#1 v1.5).
    pub fn rsa_padding(mut self, padding: RsaPadding) -> Self {
        self.padding = padding;
        self
    }

    /// UAT mode (default `true`): `x-enable-encryption: false` switches encryption off for a request. `false` is
    /// production mode, where that header is refused with 1018.
    pub fn uat(mut self, on: bool) -> Self {
        self.uat = on;
        self
    }

    /// Lifetime of access tokens (default 15 minutes).
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = ttl;
        self
    }

    /// Lifetime of refresh tokens (default 5 days).
    pub fn refresh_token_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_token_ttl = ttl;
        self
    }

    /// Registers the card-status webhook: one URL and an optional signing secret (also settable at run time).
    pub fn webhook(mut self, url: impl Into<String>, secret: Option<&str>) -> Self {
        self.webhook = Some((url.into(), secret.map(str::to_string)));
        self
    }

    /// How deliveries are signed when a secret is set (default [`SignatureScheme::Timestamped`]).
    pub fn signature_scheme(mut self, scheme: SignatureScheme) -> Self {
        self.signature = scheme;
        self
    }

    /// Waits before each webhook retry; the number of retries is the length (default 100, 200, 400, 800,
    /// 1600 ms).
    pub fn webhook_retry_delays(mut self, delays: Vec<Duration>) -> Self {
        self.webhook_retry_delays = delays;
        self
    }

    /// How long a receiver may take to answer a delivery (default 30 s).
    pub fn webhook_timeout(mut self, timeout: Duration) -> Self {
        self.webhook_timeout = timeout;
        self
    }

    /// Adds a fault rule (more can be added at run time with [`Sandbox::add_fault`]).
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// How many requests [`Sandbox::requests`] keeps (oldest dropped first; default 100 000).
    pub fn max_logged_requests(mut self, n: usize) -> Self {
        self.max_logged_requests = n.max(1);
        self
    }

    /// Loads or generates the key, binds, seeds the data and starts serving in the current Tokio runtime.
    pub async fn start(self) -> io::Result<Sandbox> {
        let key_source = self.key.clone();
        let keys = tokio::task::spawn_blocking(move || Keys::load(&key_source)).await.map_err(io::Error::other)??;
        let listening = cardsdk_sandbox_kit::bind(self.host, self.port).await?;
        let addr = listening.addr();
        let base_url = listening.base_url().to_string();
        let config = Config {
            client_id: self.client_id.unwrap_or_else(|| format!("sbx-{}", Det::new(self.seed, 0xC11E).hex(16))),
            client_secret: self
                .client_secret
                .unwrap_or_else(|| format!("sbx-secret-{}", Det::new(self.seed, 0x5EC2).hex(40))),
            app_id: self.app_id,
            padding: self.padding,
            uat: self.uat,
            access_token_ttl: self.access_token_ttl,
            refresh_token_ttl: self.refresh_token_ttl,
            webhook_retry_delays: self.webhook_retry_delays,
        };
        let deliverer = Deliverer::new("VaultsPay-Webhooks/1.0 (sandbox)", self.webhook_timeout)?;
        let (mut inner, [agent, user, pending_user]) = seed::seed(self.seed);
        inner.webhook = self.webhook.map(|(url, secret)| Callback { url, secret, scheme: self.signature.clone() });
        let requests = RequestLog::new(self.max_logged_requests);
        let faults = FaultPlan::new(self.faults);
        let st = Arc::new(State {
            config,
            base_url: base_url.clone(),
            keys,
            inner: Mutex::new(inner),
            faults: faults.clone(),
            requests: requests.clone(),
            deliveries: Journal::new(),
            deliverer,
            seeded: Seeded { agent, user, pending_user },
        });
        let front = Front { log: requests, faults, dialect: Arc::new(secure::VaultsPayDialect(st.clone())) };
        let server = listening.serve(server::router(st.clone()), front);
        tracing::info!(%base_url, "vaultspay sandbox listening");
        Ok(Sandbox { state: st, addr, base_url, server, signature: self.signature })
    }
}

/// A running sandbox. Dropping it stops the server (without waiting); [`shutdown`](Self::shutdown) waits.
pub struct Sandbox {
    state: Arc<State>,
    addr: SocketAddr,
    base_url: String,
    server: Running,
    signature: SignatureScheme,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .field("client_id", &self.state.config.client_id)
            .field("client_secret", &"<redacted>")
            .field("app_id", &self.state.config.app_id)
            .field("rsa_padding", &self.state.config.padding)
            .field("uat", &self.state.config.uat)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A builder with the defaults.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The client id of saas-login.
    pub fn client_id(&self) -> &str {
        &self.state.config.client_id
    }

    /// The client secret of saas-login.
    pub fn client_secret(&self) -> &str {
        &self.state.config.client_secret
    }

    /// The SaaS app id (`x-device-id`).
    pub fn app_id(&self) -> &str {
        &self.state.config.app_id
    }

    /// The RSA public key a client encrypts with: standard Base64 of the DER SubjectPublicKeyInfo (what Java's
    /// `X509EncodedKeySpec` reads).
    pub fn public_key(&self) -> &str {
        self.state.keys.public_b64()
    }

    /// The same public key as a `BEGIN PUBLIC KEY` PEM.
    pub fn public_key_pem(&self) -> &str {
        self.state.keys.public_pem()
    }

    /// The RSA padding the sandbox expects.
    pub fn rsa_padding(&self) -> RsaPadding {
        self.state.config.padding
    }

    /// Whether the sandbox runs in UAT mode (encryption can be switched off per request).
    pub fn is_uat(&self) -> bool {
        self.state.config.uat
    }

    /// The SaaS app's own agent user (id 4): parent of every user, owner of the payment contacts, an AED account.
    pub fn agent(&self) -> &TestUser {
        &self.state.seeded.agent
    }

    /// John Mock-Doe (id 5): KYC VERIFIED, an AED account (9874.25) and a USD account (2500.50), an ACTIVE virtual
    /// card and an ACTIVE physical card (PIN set).
    pub fn user(&self) -> &TestUser {
        &self.state.seeded.user
    }

    /// Jane Roe (id 6): KYC PENDING, personal info, no account.
    pub fn pending_user(&self) -> &TestUser {
        &self.state.seeded.pending_user
    }

    /// Every request received so far, in order (bodies as received: ciphertext when encrypted).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.requests.all()
    }

    /// Forgets the logged requests.
    pub fn clear_requests(&self) {
        self.state.requests.clear();
    }

    /// Adds a fault rule at run time (its call count starts at zero).
    pub fn add_fault(&self, rule: FaultRule) {
        self.state.faults.add(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// Every webhook delivery attempt made so far, in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state.deliveries.all()
    }

    /// Forgets the recorded deliveries.
    pub fn clear_deliveries(&self) {
        self.state.deliveries.clear();
    }

    /// Waits until at least `count` delivery attempts are recorded or `timeout` passes; returns them all.
    pub async fn wait_for_deliveries(&self, count: usize, timeout: Duration) -> Vec<Delivery> {
        self.state.deliveries.wait_for(count, timeout).await
    }

    /// Registers (or replaces) the card-status webhook, signed with the builder's scheme when `secret` is given.
    pub fn set_webhook(&self, url: impl Into<String>, secret: Option<&str>) {
        self.state.inner().webhook =
            Some(Callback { url: url.into(), secret: secret.map(str::to_string), scheme: self.signature.clone() });
    }

    /// Removes the card-status webhook (retries of earlier events stop).
    pub fn clear_webhook(&self) {
        self.state.inner().webhook = None;
    }

    /// Gives the admin's KYC verdict on a user; `false` for an unknown user.
    pub fn set_kyc_status(&self, user_id: i64, status: KycStatus) -> bool {
        kyc::set_status(&mut self.state.inner(), user_id, status)
    }

    /// Stops accepting, lets open requests finish (up to 5 s), and cancels pending webhook retries.
    pub async fn shutdown(mut self) {
        self.server.stop().await;
        self.state.deliverer.abort_all();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.server.signal_stop();
        self.state.deliverer.abort_all();
    }
}
