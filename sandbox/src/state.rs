//! The in-memory state of one sandbox, behind a mutex, and the seeded test users.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub(crate) use cardsdk_sandbox_kit::lock;
use cardsdk_sandbox_kit::{Deliverer, FaultPlan, Journal, RequestLog};
use rust_decimal::Decimal;

use crate::util::{self, Det};
use crate::{Authorization, Delivery, TestUser};

/// The fixed OTP (and e-mail/SMS verification code) of the sandbox.
pub(crate) const OTP_CODE: &str = "123456";

/// The two tenants: international and US (`x-us-env: true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tenant {
    Intl,
    Us,
}

impl Tenant {
    /// The tenant's `app_id` claim.
    pub(crate) fn app_id(self) -> &'static str {
        match self {
            Tenant::Intl => "baanx-intl",
            Tenant::Us => "baanx-us",
        }
    }

    /// The prefix of password-login access tokens and onboarding ids.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Tenant::Intl => "INTL_",
            Tenant::Us => "US_",
        }
    }
}

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) seed: u64,
    pub(crate) transactions: usize,
    pub(crate) page_size: usize,
    pub(crate) past_end_returns_first_page: bool,
    pub(crate) access_token_ttl: Duration,
    pub(crate) refresh_token_ttl: Duration,
    pub(crate) login_token_ttl: Duration,
    pub(crate) hosted_initiate_json: bool,
    pub(crate) otp_limit: u32,
    pub(crate) otp_window: Duration,
    pub(crate) webhook_retry_delays: Vec<Duration>,
    pub(crate) webhook_timeout: Duration,
    pub(crate) client_key: String,
    pub(crate) secret_key: String,
    pub(crate) max_logged_requests: usize,
}

/// Everything shared by the handlers.
pub(crate) struct State {
    pub(crate) config: Config,
    pub(crate) base_url: String,
    pub(crate) inner: Mutex<Inner>,
    pub(crate) faults: FaultPlan,
    pub(crate) requests: RequestLog,
    pub(crate) deliveries: Journal<Delivery>,
    /// Runs the webhook deliveries (the kit's engine: retries on 5xx, timeouts and connection errors).
    pub(crate) deliverer: Deliverer,
    pub(crate) test_users: TestUsers,
}

/// The shared state handle.
pub(crate) type Shared = Arc<State>;

/// The four seeded users, as handed out by the public handle.
#[derive(Debug, Clone)]
pub(crate) struct TestUsers {
    pub(crate) user: TestUser,
    pub(crate) otp_user: TestUser,
    pub(crate) onboarding_user: TestUser,
    pub(crate) us_user: TestUser,
}

impl State {
    /// Locks the main state.
    pub(crate) fn inner(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }
}

// ---------------------------------------------------------------------------------------------------------------

/// The mutable state.
#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub(crate) users: Vec<User>,
    pub(crate) access_tokens: HashMap<String, AccessToken>,
    pub(crate) refresh_tokens: HashMap<String, RefreshToken>,
    pub(crate) oauth_sessions: HashMap<String, OAuthSession>,
    pub(crate) codes: HashMap<String, AuthCode>,
    pub(crate) card_tokens: HashMap<String, CardToken>,
    pub(crate) delegation_tokens: HashMap<String, DelegationToken>,
    pub(crate) orders: Vec<ProductOrder>,
    pub(crate) contacts: HashMap<String, Contact>,
    pub(crate) consent_sets: Vec<ConsentSet>,
    pub(crate) webhooks: Vec<Webhook>,
    pub(crate) events: Vec<Event>,
    pub(crate) delivery_logs: Vec<DeliveryLog>,
    pub(crate) next_priority_id: u64,
    /// Every authorization code issued, in order (for [`crate::Sandbox::authorizations`]).
    pub(crate) authorizations: Vec<Authorization>,
    /// Pending password resets (at most one per user).
    pub(crate) password_resets: Vec<PasswordReset>,
    /// Single-use password-reset tokens from the verify step.
    pub(crate) reset_tokens: HashMap<String, ResetToken>,
}

impl Inner {
    pub(crate) fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub(crate) fn user_mut(&mut self, id: &str) -> Option<&mut User> {
        self.users.iter_mut().find(|u| u.id == id)
    }

    pub(crate) fn user_by_email(&self, tenant: Tenant, email: &str) -> Option<&User> {
        self.users.iter().find(|u| u.tenant == tenant && u.email.eq_ignore_ascii_case(email))
    }

    pub(crate) fn user_by_onboarding(&self, tenant: Tenant, onboarding_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.tenant == tenant && u.onboarding_id.as_deref() == Some(onboarding_id))
    }
}

/// A user of one tenant.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) tenant: Tenant,
    pub(crate) email: String,
    pub(crate) password: String,
    pub(crate) otp_required: bool,
    /// The open onboarding step, `None` once registration is complete.
    pub(crate) phase: Option<String>,
    pub(crate) verification_state: String,
    /// The last KYC status sent in a `kyc.status.changed` event.
    pub(crate) kyc_status: String,
    pub(crate) profile: Profile,
    pub(crate) created_at: String,
    pub(crate) is_linked: bool,
    pub(crate) card: Option<Card>,
    /// The card id and last four digits the user's card gets when ordered (the transactions use them too).
    pub(crate) card_id: String,
    pub(crate) pan_last4: String,
    pub(crate) transactions: usize,
    /// Purchases added at run time on top of the generated ones.
    pub(crate) newer_transactions: usize,
    /// Stream number of the user's generated data.
    pub(crate) stream: u64,
    pub(crate) wallets: Wallets,
    pub(crate) otp_sends: VecDeque<Instant>,
    pub(crate) faucet_used: bool,
    pub(crate) onboarding_id: Option<String>,
    pub(crate) contact_verification_id: Option<String>,
    pub(crate) referral_code: String,
}

/// Profile fields (all optional while registering).
#[derive(Debug, Clone, Default)]
pub(crate) struct Profile {
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) date_of_birth: Option<String>,
    pub(crate) phone_country_code: Option<String>,
    pub(crate) phone_number: Option<String>,
    pub(crate) address_line1: Option<String>,
    pub(crate) address_line2: Option<String>,
    pub(crate) city: Option<String>,
    pub(crate) zip: Option<String>,
    pub(crate) country_of_residence: Option<String>,
    pub(crate) country_of_nationality: Option<String>,
    pub(crate) us_state: Option<String>,
    pub(crate) ssn: Option<String>,
    pub(crate) mailing_address_line1: Option<String>,
    pub(crate) mailing_address_line2: Option<String>,
    pub(crate) mailing_city: Option<String>,
    pub(crate) mailing_zip: Option<String>,
    pub(crate) mailing_us_state: Option<String>,
}

/// The user's card.
#[derive(Debug, Clone)]
pub(crate) struct Card {
    pub(crate) id: String,
    pub(crate) holder_name: String,
    pub(crate) expiry_date: String,
    pub(crate) pan_last4: String,
    pub(crate) status: String,
    pub(crate) card_type: String,
    pub(crate) ordered_at: String,
}

/// All wallets of a user.
#[derive(Debug, Clone)]
pub(crate) struct Wallets {
    pub(crate) credit: CustodialWallet,
    pub(crate) reward: CustodialWallet,
    pub(crate) internal: Vec<InternalWallet>,
    pub(crate) external: Vec<ExternalWallet>,
    pub(crate) whitelist: Vec<WhitelistEntry>,
    /// Card-linked internal wallets: `(addressId, priority)`.
    pub(crate) card_linked: Vec<(String, u32)>,
}

/// The credit or reward wallet.
#[derive(Debug, Clone)]
pub(crate) struct CustodialWallet {
    pub(crate) id: String,
    pub(crate) balance: Decimal,
    pub(crate) currency: String,
    pub(crate) is_withdrawable: bool,
    pub(crate) history: Vec<HistoryEntry>,
}

/// An internal (custodial) wallet.
#[derive(Debug, Clone)]
pub(crate) struct InternalWallet {
    pub(crate) id: String,
    pub(crate) balance: Decimal,
    pub(crate) currency: String,
    pub(crate) network: String,
    pub(crate) address: String,
    pub(crate) address_memo: Option<String>,
    pub(crate) address_id: String,
    pub(crate) history: Vec<HistoryEntry>,
}

/// An external (delegated) wallet with its priority entry. Its amounts are kept as text: an unlimited ERC-20
/// approval (2^256−1 base units) does not fit a `Decimal`.
#[derive(Debug, Clone)]
pub(crate) struct ExternalWallet {
    pub(crate) priority_id: u64,
    pub(crate) address: String,
    pub(crate) currency: String,
    pub(crate) network: String,
    pub(crate) balance: WireAmount,
    pub(crate) allowance: WireAmount,
    pub(crate) priority: u32,
}

/// An exact decimal amount as text, sent as a JSON string or, as some live answers do, as a JSON number written
/// from the same text (never through `f64`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireAmount {
    /// The decimal text, `^\d+(\.\d+)?$`.
    pub(crate) text: String,
    /// Sent as a JSON number instead of a string.
    pub(crate) as_number: bool,
}

impl WireAmount {
    /// An amount sent as a JSON string.
    pub(crate) fn string(text: impl Into<String>) -> Self {
        WireAmount { text: text.into(), as_number: false }
    }

    /// An amount sent as a JSON number.
    pub(crate) fn number(text: impl Into<String>) -> Self {
        WireAmount { text: text.into(), as_number: true }
    }

    /// The JSON text of the amount. A number whose text is not a valid JSON number (`007`) goes out as a string.
    pub(crate) fn raw(&self) -> Box<serde_json::value::RawValue> {
        let quoted = || {
            serde_json::value::to_raw_value(&self.text).unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned())
        };
        let leading_zero = self.text.len() > 1 && self.text.starts_with('0') && !self.text.starts_with("0.");
        if self.as_number && util::is_decimal_string(&self.text) && !leading_zero {
            serde_json::value::RawValue::from_string(self.text.clone()).unwrap_or_else(|_| quoted())
        } else {
            quoted()
        }
    }
}

/// A whitelisted withdrawal address.
#[derive(Debug, Clone)]
pub(crate) struct WhitelistEntry {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) beneficiary_first_name: String,
    pub(crate) beneficiary_last_name: String,
    pub(crate) wallet_address: String,
    pub(crate) wallet_memo: Option<String>,
    pub(crate) currency: String,
    pub(crate) last_used_at: Option<String>,
    pub(crate) created_at: String,
}

/// A wallet-history line, newest first in the lists.
#[derive(Debug, Clone)]
pub(crate) struct HistoryEntry {
    pub(crate) name: String,
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    pub(crate) sign: &'static str,
    pub(crate) date: String,
}

/// An access token (password login: opaque; OAuth: JWT-shaped).
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub(crate) user_id: String,
    pub(crate) tenant: Tenant,
    pub(crate) expires_at: Instant,
}

/// A refresh token; rotating: `used` once exchanged.
#[derive(Debug, Clone)]
pub(crate) struct RefreshToken {
    pub(crate) user_id: String,
    pub(crate) tenant: Tenant,
    pub(crate) expires_at: Instant,
    pub(crate) used: bool,
    pub(crate) scope: Option<String>,
}

/// An OAuth authorization session from initiate (10 minutes).
#[derive(Debug, Clone)]
pub(crate) struct OAuthSession {
    pub(crate) tenant: Tenant,
    pub(crate) redirect_uri: String,
    pub(crate) state: String,
    pub(crate) code_challenge: String,
    pub(crate) expires_at: Instant,
    pub(crate) used: bool,
}

/// An authorization code (single use, 10 minutes).
#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub(crate) user_id: String,
    pub(crate) tenant: Tenant,
    /// The initiate `redirect_uri` the token call must repeat (`None` for the hosted `oauth2` flow).
    pub(crate) redirect_uri: Option<String>,
    pub(crate) code_challenge: String,
    pub(crate) expires_at: Instant,
    pub(crate) used: bool,
    pub(crate) scope: Option<String>,
}

/// What a card secure-view token shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardTokenKind {
    Details,
    Pin,
    SetPin,
}

/// A single-use card secure-view token.
#[derive(Debug, Clone)]
pub(crate) struct CardToken {
    pub(crate) kind: CardTokenKind,
    pub(crate) user_id: String,
    pub(crate) expires_at: Instant,
    pub(crate) used: bool,
}

/// A pending password reset (the code is the fixed [`OTP_CODE`]).
#[derive(Debug, Clone)]
pub(crate) struct PasswordReset {
    pub(crate) user_id: String,
    pub(crate) tenant: Tenant,
    pub(crate) code: String,
    pub(crate) expires_at: Instant,
}

/// A single-use password-reset token (verify → confirm).
#[derive(Debug, Clone)]
pub(crate) struct ResetToken {
    pub(crate) user_id: String,
    pub(crate) tenant: Tenant,
    pub(crate) expires_at: Instant,
    pub(crate) used: bool,
}

/// A single-use delegation token.
#[derive(Debug, Clone)]
pub(crate) struct DelegationToken {
    pub(crate) user_id: String,
    pub(crate) expires_at: Instant,
    pub(crate) used: bool,
}

/// A product order (`POST /v1/order`).
#[derive(Debug, Clone)]
pub(crate) struct ProductOrder {
    pub(crate) order_id: String,
    pub(crate) request_id: String,
    pub(crate) user_id: String,
    pub(crate) polls: u32,
    pub(crate) tx_hash: String,
}

/// A registration contact (e-mail send step).
#[derive(Debug, Clone)]
pub(crate) struct Contact {
    pub(crate) tenant: Tenant,
    pub(crate) email: String,
    pub(crate) expires_at: Instant,
}

/// A consent set.
#[derive(Debug, Clone)]
pub(crate) struct ConsentSet {
    pub(crate) id: String,
    pub(crate) tenant: Tenant,
    pub(crate) onboarding_id: String,
    pub(crate) tenant_id: String,
    pub(crate) policy_type: String,
    pub(crate) user_id: Option<String>,
    pub(crate) completed_at: Option<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) consents: Vec<ConsentRecord>,
    pub(crate) audit: Vec<AuditRecord>,
}

/// One consent record (revocation appends a new one).
#[derive(Debug, Clone)]
pub(crate) struct ConsentRecord {
    pub(crate) id: String,
    pub(crate) consent_type: String,
    pub(crate) status: String,
    pub(crate) metadata: serde_json::Value,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    /// Replaced by a later record (a revocation).
    pub(crate) superseded: bool,
}

/// One consent audit record.
#[derive(Debug, Clone)]
pub(crate) struct AuditRecord {
    pub(crate) id: String,
    pub(crate) action: &'static str,
    pub(crate) timestamp: String,
    pub(crate) before: serde_json::Value,
    pub(crate) after: serde_json::Value,
    pub(crate) metadata: serde_json::Value,
}

/// A webhook endpoint configuration.
#[derive(Debug, Clone)]
pub(crate) struct Webhook {
    pub(crate) id: String,
    pub(crate) tenant: Tenant,
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) api_key: String,
    pub(crate) event_types: Vec<String>,
    pub(crate) is_active: bool,
    pub(crate) metadata: serde_json::Value,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// An event record.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) id: String,
    pub(crate) event_id: String,
    pub(crate) tenant: Tenant,
    pub(crate) event_type: String,
    pub(crate) payload: serde_json::Value,
    pub(crate) user_id: String,
    pub(crate) source_service: &'static str,
    pub(crate) status: &'static str,
    pub(crate) created_at: String,
    pub(crate) processed_at: Option<String>,
    pub(crate) queued_at: String,
    /// Deliveries (one per webhook) still running.
    pub(crate) running: u32,
    /// A delivery of the current round failed for good.
    pub(crate) failed: bool,
}

/// A delivery attempt log entry.
#[derive(Debug, Clone)]
pub(crate) struct DeliveryLog {
    pub(crate) id: String,
    pub(crate) event_id: String,
    pub(crate) webhook_id: String,
    pub(crate) tenant: Tenant,
    pub(crate) attempt: u32,
    pub(crate) request_url: String,
    pub(crate) request_headers: serde_json::Value,
    pub(crate) request_body: serde_json::Value,
    pub(crate) response_status: Option<u16>,
    pub(crate) response_body: String,
    pub(crate) error_message: Option<String>,
    pub(crate) delivery_status: &'static str,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) created_at: String,
    pub(crate) next_retry_at: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------------
// Seeding

/// The allowance of an unlimited ERC-20 approval as the live API reports it: 2^256−1 base units with 18
/// fractional digits (beyond `rust_decimal`'s range).
pub(crate) const UNLIMITED_ALLOWANCE: &str =
    "115792089237316195423570985008687907853269984665640564039457.584007913129639935";

/// The password of every seeded user.
pub(crate) const TEST_PASSWORD: &str = "Sandbox-Passw0rd!";

/// Builds the seeded users; returns them with the public view of the four test users.
pub(crate) fn seed_users(config: &Config, next_priority_id: &mut u64) -> (Vec<User>, TestUsers) {
    struct Spec {
        email: &'static str,
        tenant: Tenant,
        otp: bool,
        phase: Option<&'static str>,
        verification: &'static str,
        first: &'static str,
        last: &'static str,
    }
    let specs = [
        Spec {
            email: "user@sandbox.baanx.test",
            tenant: Tenant::Intl,
            otp: false,
            phase: None,
            verification: "VERIFIED",
            first: "Ada",
            last: "Lovelace",
        },
        Spec {
            email: "otp@sandbox.baanx.test",
            tenant: Tenant::Intl,
            otp: true,
            phase: None,
            verification: "VERIFIED",
            first: "Grace",
            last: "Hopper",
        },
        Spec {
            email: "onboarding@sandbox.baanx.test",
            tenant: Tenant::Intl,
            otp: false,
            phase: Some("PHONE_NUMBER"),
            verification: "UNVERIFIED",
            first: "",
            last: "",
        },
        Spec {
            email: "us@sandbox.baanx.test",
            tenant: Tenant::Us,
            otp: false,
            phase: None,
            verification: "VERIFIED",
            first: "Katherine",
            last: "Johnson",
        },
    ];
    let mut users = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let transactions = if i == 0 { config.transactions } else { 25 };
        let mut u =
            new_user(config.seed, i as u64 + 1, spec.tenant, spec.email, TEST_PASSWORD, transactions, next_priority_id);
        u.otp_required = spec.otp;
        u.phase = spec.phase.map(str::to_string);
        u.verification_state = spec.verification.to_string();
        u.kyc_status = if spec.verification == "VERIFIED" { "completed" } else { "pending" }.to_string();
        if spec.phase.is_none() {
            fill_profile(&mut u, spec.first, spec.last);
        } else {
            u.onboarding_id = Some(format!("{}{}", spec.tenant.prefix(), Det::new(config.seed, 900 + i as u64).uuid()));
            u.contact_verification_id =
                Some(format!("{}{}", spec.tenant.prefix(), Det::new(config.seed, 950 + i as u64).uuid()));
            u.profile.country_of_residence = Some("GB".into());
        }
        users.push(u);
    }
    let view = |u: &User| TestUser { email: u.email.clone(), password: u.password.clone(), user_id: u.id.clone() };
    let test_users = TestUsers {
        user: view(&users[0]),
        otp_user: view(&users[1]),
        onboarding_user: view(&users[2]),
        us_user: view(&users[3]),
    };
    (users, test_users)
}

fn fill_profile(u: &mut User, first: &str, last: &str) {
    let us = u.tenant == Tenant::Us;
    u.profile = Profile {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        date_of_birth: Some("1990-01-01".into()),
        phone_country_code: Some(if us { "+1" } else { "+44" }.into()),
        phone_number: Some(if us { "2025550143" } else { "7400846282" }.into()),
        address_line1: Some(if us { "1600 Pennsylvania Ave NW" } else { "23 Werrington Bridge Rd" }.into()),
        address_line2: if us { None } else { Some("Milking Nook".into()) },
        city: Some(if us { "Washington" } else { "Peterborough" }.into()),
        zip: Some(if us { "20500" } else { "PE6 7PP" }.into()),
        country_of_residence: Some(if us { "US" } else { "GB" }.into()),
        country_of_nationality: Some(if us { "US" } else { "GB" }.into()),
        us_state: if us { Some("DC".into()) } else { None },
        ssn: if us { Some("*****6789".into()) } else { None },
        ..Profile::default()
    };
}

/// A new user with seeded wallets; `stream` makes its generated data unique.
pub(crate) fn new_user(
    seed: u64,
    stream: u64,
    tenant: Tenant,
    email: &str,
    password: &str,
    transactions: usize,
    next_priority_id: &mut u64,
) -> User {
    let mut d = Det::new(seed, stream * 1000);
    let id = d.uuid();
    let card_id = format!("0000000000{}", d.digits(8));
    let pan_last4 = d.digits(4);
    let referral_code = d.alnum(6).to_uppercase();
    let wallets = seed_wallets(&mut d, next_priority_id);
    User {
        id,
        tenant,
        email: email.to_string(),
        password: password.to_string(),
        otp_required: false,
        phase: None,
        verification_state: "UNVERIFIED".into(),
        kyc_status: "pending".into(),
        profile: Profile::default(),
        created_at: util::iso_ms(1_700_000_000_000 + d.range(0, 30_000_000_000) as i64),
        is_linked: false,
        card: None,
        card_id,
        pan_last4,
        transactions,
        newer_transactions: 0,
        stream,
        wallets,
        otp_sends: VecDeque::new(),
        faucet_used: false,
        onboarding_id: None,
        contact_verification_id: None,
        referral_code,
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or(Decimal::ZERO)
}

fn seed_history(d: &mut Det, currency: &str, count: usize, deposit_name: &str) -> Vec<HistoryEntry> {
    let names = ["Card purchase - Starbucks", "Card purchase - Amazon", "Card refund - Ryanair", deposit_name];
    let mut at = 1_735_689_600_000i64; // 2025-01-01
    let mut out = Vec::new();
    for _ in 0..count {
        at -= d.range(3_600_000, 5 * 86_400_000) as i64;
        let name = *d.pick(&names);
        let sign = if name.starts_with("Card purchase") { "debit" } else { "credit" };
        let cents = d.range(150, 25_000) as i64;
        out.push(HistoryEntry {
            name: name.to_string(),
            amount: Decimal::new(cents, 2),
            currency: currency.to_string(),
            sign,
            date: util::iso_ms(at),
        });
    }
    out
}

fn seed_wallets(d: &mut Det, next_priority_id: &mut u64) -> Wallets {
    let credit = CustodialWallet {
        id: d.uuid(),
        balance: dec("150.50"),
        currency: "usdc".into(),
        is_withdrawable: true,
        history: seed_history(d, "usdc", 23, "Deposit"),
    };
    let reward = CustodialWallet {
        id: d.uuid(),
        balance: dec("45.75"),
        currency: "usdc".into(),
        is_withdrawable: true,
        history: seed_history(d, "usdc", 7, "Cashback reward"),
    };
    let evm_address = format!("0x{}", d.hex(40));
    let mut internal = Vec::new();
    for (currency, network, balance, memo) in [
        ("xrp", "xrp", "125.50", true),
        ("usdc", "linea", "500.00", false),
        ("usdt", "ethereum", "250.00", false),
        ("sol", "solana", "12.5", false),
    ] {
        let address = match network {
            "xrp" => format!("r{}", d.base58(33)),
            "solana" => d.base58(44),
            _ => evm_address.clone(),
        };
        let id = d.uuid();
        let address_id = if network == "xrp" { format!("0x{}", d.hex(40)) } else { id.clone() };
        internal.push(InternalWallet {
            id,
            balance: dec(balance),
            currency: currency.into(),
            network: network.into(),
            address,
            address_memo: memo.then(|| d.range(10, 100).to_string()),
            address_id,
            history: seed_history(d, currency, 4, "Deposit"),
        });
    }
    let mut external = Vec::new();
    let ext_evm = format!("0x{}", d.hex(40));
    // As live answers show: the first wallet granted the maximum ERC-20 approval (2^256−1 base units over USDC's
    // 6 decimals, as the API writes it), the second reports its amounts as JSON numbers.
    for (i, (currency, network, balance, allowance)) in [
        ("usdc", "linea", WireAmount::string("1250.50"), WireAmount::string(UNLIMITED_ALLOWANCE)),
        ("usdt", "ethereum", WireAmount::number("500.000001"), WireAmount::number("1000")),
        ("usdc", "solana", WireAmount::string("2000.00"), WireAmount::string("3000")),
    ]
    .into_iter()
    .enumerate()
    {
        let id = *next_priority_id;
        *next_priority_id += 1;
        external.push(ExternalWallet {
            priority_id: id,
            address: if network == "solana" { d.base58(44) } else { ext_evm.clone() },
            currency: currency.into(),
            network: network.into(),
            balance,
            allowance,
            priority: i as u32 + 1,
        });
    }
    let card_linked = vec![(internal[1].address_id.clone(), 1)];
    Wallets { credit, reward, internal, external, whitelist: Vec::new(), card_linked }
}
