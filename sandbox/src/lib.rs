//! A stateful, fault-injecting stand-in for the Baanx API.
//!
//! The sandbox speaks the wire format of the Baanx docs (not the SDK's types), keeps state across calls (users,
//! tokens, the card, wallets with exact decimal balances, consent sets, webhooks), and can be told to fail chosen
//! calls. It serves the SDK's quickstart, its end-to-end tests, and developers who run it as a binary.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! use baanx_sandbox::{Fault, FaultRule, Sandbox};
//!
//! let sandbox = Sandbox::builder()
//!     .seed(42)
//!     .transactions(250)
//!     .fault(FaultRule::on("GET", "/v1/card/status").calls(1..=2).fault(Fault::Status(503)))
//!     .webhook_retry_delays(vec![Duration::from_millis(200), Duration::from_millis(400)])
//!     .start()
//!     .await?;
//! println!("{} with client key {}", sandbox.base_url(), sandbox.client_key());
//! let user = sandbox.user(); // verified, no OTP, no card yet
//! # let _ = user;
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! What it checks and answers (see the crate README for the full list):
//! - `x-client-key` on every API route (499 missing, 498 wrong), `x-us-env: true` / `region=us` for the US tenant;
//!   tokens belong to one tenant and get 401 on the other.
//! - Password login (OTP and onboarding answers with HTTP 200), the OTP trigger (rate limited, 429 +
//!   `Retry-After`), OAuth 2.0 with real PKCE S256 in API mode and hosted mode, rotating refresh tokens.
//! - Card lifecycle, lazily generated transactions (100 000 are fine), statements, wallets, delegation, consent and
//!   webhooks with HMAC-signed deliveries and retries.
//! - Live-shaped answers where production differs from the docs: `mcc` as a string or a number, several timestamp
//!   forms, per-transaction `cashback` and `GET /v1/card/cashback`, an unlimited ERC-20 allowance and JSON-number
//!   amounts on external wallets, a `wei` beyond `rust_decimal`, the `"null"` placeholder token while an OTP is
//!   pending, undocumented members, and a few error bodies in the other live shapes. The undocumented password
//!   reset (`/v1/auth/password/reset/{request,verify,confirm}`).
//! - [`FaultRule`]s: statuses, `Retry-After`, latency, dropped connections, truncated or malformed bodies, wrong
//!   content types and gateway HTML pages, for chosen call numbers.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod auth;
mod cards;
mod consent;
mod delegation;
mod errors;
mod extract;
mod oauth;
mod password;
mod server;
mod state;
mod transactions;
mod users;
mod util;
mod wallets;
mod webhooks;

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cardsdk_sandbox_kit::{Deliverer, FaultPlan, Front, Journal, RequestLog, Running};
pub use cardsdk_sandbox_kit::{Fault, FaultRule, LoggedRequest};

use crate::state::{Config, Inner, State};

/// A seeded test user (they all share one password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    /// The login e-mail.
    pub email: String,
    /// The login password.
    pub password: String,
    /// The user id (`userId` in the API).
    pub user_id: String,
}

/// One webhook delivery attempt.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The webhook URL.
    pub url: String,
    /// The headers sent: `Content-Type`, `X-Timestamp`, `X-Signature`.
    pub headers: Vec<(String, String)>,
    /// The body bytes sent (compact JSON; the signature covers exactly these).
    pub body: Vec<u8>,
    /// The receiver's status, `None` when no answer came (connection error, timeout).
    pub status: Option<u16>,
    /// What went wrong when no answer came.
    pub error: Option<String>,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
    /// The webhook's id.
    pub webhook_id: String,
    /// The event's `event_id` (the same on every attempt).
    pub event_id: String,
    /// When the attempt finished.
    pub at: Instant,
}

impl Delivery {
    /// The value of a header sent (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One authorization the sandbox granted (an authorization code it issued), in order.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// Where the user authorized: `/v1/auth/oauth/authorize` (API mode), `/hosted/login` (documented hosted
    /// mode) or `/v1/auth/oauth2/authorize` (the undocumented hosted page).
    pub via: String,
    /// The user who authorized.
    pub user_id: String,
    /// The `redirect_uri` the code goes back to.
    pub redirect_uri: String,
    /// The requested `scope`, if any (hosted page only).
    pub scope: Option<String>,
    /// The hosted page's `prompt` parameter (`consent`, `login`, ...), if any.
    pub prompt: Option<String>,
    /// When the code was issued.
    pub at: Instant,
}

/// Configures and starts a [`Sandbox`].
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    seed: u64,
    transactions: usize,
    page_size: usize,
    past_end_returns_first_page: bool,
    access_token_ttl: Duration,
    refresh_token_ttl: Duration,
    login_token_ttl: Duration,
    hosted_initiate_json: bool,
    otp_limit: u32,
    otp_window: Duration,
    webhook_retry_delays: Vec<Duration>,
    webhook_timeout: Duration,
    faults: Vec<FaultRule>,
    host: IpAddr,
    port: u16,
    client_key: Option<String>,
    secret_key: Option<String>,
    max_logged_requests: usize,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            seed: 42,
            transactions: 250,
            page_size: 50,
            past_end_returns_first_page: false,
            access_token_ttl: Duration::from_secs(6 * 3600),
            refresh_token_ttl: Duration::from_secs(184 * 86_400),
            login_token_ttl: Duration::from_secs(6 * 3600),
            hosted_initiate_json: false,
            otp_limit: 3,
            otp_window: Duration::from_secs(60),
            webhook_retry_delays: [100, 200, 400, 800, 1600].into_iter().map(Duration::from_millis).collect(),
            webhook_timeout: cardsdk_sandbox_kit::DEFAULT_TIMEOUT,
            faults: Vec::new(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            client_key: None,
            secret_key: None,
            max_logged_requests: 100_000,
        }
    }
}

impl SandboxBuilder {
    /// Seed of all generated data: ids, transactions, keys (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Number of card transactions of the default user (default 250). Generated lazily, a page at a time.
    pub fn transactions(mut self, n: usize) -> Self {
        self.transactions = n;
        self
    }

    /// Card transactions per page (default 50).
    pub fn transactions_page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// The docs' quirk: a page past the end returns page 0 again (default `false`: an empty array).
    pub fn past_end_returns_first_page(mut self, on: bool) -> Self {
        self.past_end_returns_first_page = on;
        self
    }

    /// Lifetime of OAuth access tokens (`expires_in`; default 6 h).
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = ttl;
        self
    }

    /// Lifetime of refresh tokens (`refresh_token_expires_in`; default 184 days).
    pub fn refresh_token_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_token_ttl = ttl;
        self
    }

    /// Lifetime of password-login access tokens (default 6 h).
    pub fn login_token_ttl(mut self, ttl: Duration) -> Self {
        self.login_token_ttl = ttl;
        self
    }

    /// Hosted-mode initiate answers 302 (default) or, when `true`, 200 JSON `{token, url}`.
    pub fn hosted_initiate_json(mut self, on: bool) -> Self {
        self.hosted_initiate_json = on;
        self
    }

    /// OTP sends allowed per user per `window` before 429 + `Retry-After` (default 3 per 60 s).
    pub fn otp_rate_limit(mut self, sends: u32, window: Duration) -> Self {
        self.otp_limit = sends;
        self.otp_window = window;
        self
    }

    /// Waits before each webhook retry; the number of retries is the length (default 100, 200, 400, 800,
    /// 1600 ms: six attempts in all, as the docs' attempt numbers 1–6).
    pub fn webhook_retry_delays(mut self, delays: Vec<Duration>) -> Self {
        self.webhook_retry_delays = delays;
        self
    }

    /// How long a receiver may take to answer a delivery (default: the documented 30 s).
    pub fn webhook_timeout(mut self, timeout: Duration) -> Self {
        self.webhook_timeout = timeout;
        self
    }

    /// Adds a fault rule (more can be added at run time with [`Sandbox::add_fault`]).
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// The port to bind (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The address to bind (default 127.0.0.1).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Uses this client key instead of the one derived from the seed.
    pub fn client_key(mut self, key: impl Into<String>) -> Self {
        self.client_key = Some(key.into());
        self
    }

    /// Uses this secret key instead of the one derived from the seed.
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.secret_key = Some(key.into());
        self
    }

    /// How many requests [`Sandbox::requests`] keeps (oldest dropped first; default 100 000).
    pub fn max_logged_requests(mut self, n: usize) -> Self {
        self.max_logged_requests = n.max(1);
        self
    }

    /// Binds and starts serving in the current Tokio runtime.
    pub async fn start(self) -> io::Result<Sandbox> {
        let listening = cardsdk_sandbox_kit::bind(self.host, self.port).await?;
        let addr = listening.addr();
        let base_url = listening.base_url().to_string();
        let config = Config {
            seed: self.seed,
            transactions: self.transactions,
            page_size: self.page_size,
            past_end_returns_first_page: self.past_end_returns_first_page,
            access_token_ttl: self.access_token_ttl,
            refresh_token_ttl: self.refresh_token_ttl,
            login_token_ttl: self.login_token_ttl,
            hosted_initiate_json: self.hosted_initiate_json,
            otp_limit: self.otp_limit,
            otp_window: self.otp_window,
            webhook_retry_delays: self.webhook_retry_delays,
            webhook_timeout: self.webhook_timeout,
            client_key: self
                .client_key
                .unwrap_or_else(|| format!("sbx_ck_{}", util::Det::new(self.seed, 0xC11E).hex(32))),
            secret_key: self
                .secret_key
                .unwrap_or_else(|| format!("sbx_sk_{}", util::Det::new(self.seed, 0x5EC2).hex(48))),
            max_logged_requests: self.max_logged_requests,
        };
        let deliverer = Deliverer::new("Baanx-Webhooks/1.0 (sandbox)", config.webhook_timeout)?;
        let mut next_priority_id = 551;
        let (users, test_users) = state::seed_users(&config, &mut next_priority_id);
        let inner = Inner { users, next_priority_id, ..Inner::default() };
        let front = Front {
            log: RequestLog::new(config.max_logged_requests),
            faults: FaultPlan::new(self.faults),
            dialect: Arc::new(server::BaanxDialect),
        };
        let st = Arc::new(State {
            config,
            base_url: base_url.clone(),
            inner: Mutex::new(inner),
            faults: front.faults.clone(),
            requests: front.log.clone(),
            deliveries: Journal::new(),
            deliverer,
            test_users,
        });
        let server = listening.serve(server::router(st.clone()), front);
        tracing::info!(%base_url, "baanx sandbox listening");
        Ok(Sandbox { state: st, addr, base_url, server })
    }
}

/// A running sandbox. Dropping it stops the server (without waiting); [`shutdown`](Self::shutdown) waits.
pub struct Sandbox {
    state: Arc<State>,
    addr: SocketAddr,
    base_url: String,
    server: Running,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .field("client_key", &self.state.config.client_key)
            .field("secret_key", &"<redacted>")
            .field("seed", &self.state.config.seed)
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

    /// The client key (`x-client-key`), the same for both tenants.
    pub fn client_key(&self) -> &str {
        &self.state.config.client_key
    }

    /// The secret key (`x-secret-key`).
    pub fn secret_key(&self) -> &str {
        &self.state.config.secret_key
    }

    /// A verified user (KYC VERIFIED), no OTP, no card yet; international tenant.
    pub fn user(&self) -> &TestUser {
        &self.state.test_users.user
    }

    /// A user whose login requires an OTP (international tenant).
    pub fn otp_user(&self) -> &TestUser {
        &self.state.test_users.otp_user
    }

    /// A user whose registration stopped at phase `PHONE_NUMBER` (login answers `phase`, no token).
    pub fn onboarding_user(&self) -> &TestUser {
        &self.state.test_users.onboarding_user
    }

    /// A verified user of the US tenant (log in with `x-us-env: true`).
    pub fn us_user(&self) -> &TestUser {
        &self.state.test_users.us_user
    }

    /// The fixed OTP: `123456` (also the e-mail and SMS codes of registration).
    pub fn otp_code(&self) -> &str {
        state::OTP_CODE
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.requests.all()
    }

    /// Forgets the logged requests.
    pub fn clear_requests(&self) {
        self.state.requests.clear();
    }

    /// Every authorization granted so far (codes issued by the three OAuth flows), in order.
    pub fn authorizations(&self) -> Vec<Authorization> {
        self.state.inner().authorizations.clone()
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

    /// Adds a fault rule at run time (its call count starts at zero).
    pub fn add_fault(&self, rule: FaultRule) {
        self.state.faults.add(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// Sets a user's KYC status (`pending`, `completed`, `failed`, `kyc_checked`, ...) and emits a
    /// `kyc.status.changed` event to the matching webhooks. The user's `verificationState` follows (`completed` →
    /// VERIFIED, `failed` → REJECTED, others → PENDING). Returns the event's `event_id`, `None` for an unknown user.
    pub fn trigger_kyc_status(&self, user_id: &str, status: &str) -> Option<String> {
        webhooks::set_kyc_status(&self.state, user_id, status)
    }

    /// Adds `n` new card purchases on top of a user's transaction history (so the pages shift, as they do when a
    /// user pays while an app reads), and emits `transaction.cleared` for each one not declined. Returns the new
    /// transactions' ids, newest first (empty for an unknown user).
    pub fn add_card_transactions(&self, user_id: &str, n: usize) -> Vec<String> {
        transactions::add_purchases(&self.state, user_id, n)
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

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
