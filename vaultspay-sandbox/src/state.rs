//! The in-memory state of one sandbox, behind one mutex: users and their KYC, accounts and ledgers, payment
//! contacts, transactions, cards with their reports, security settings and limits, tokens, and the webhook.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use cardsdk_sandbox_kit::{Deliverer, Det, FaultPlan, Journal, RequestLog, lock};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::crypto::{Keys, RsaPadding};
use crate::webhooks::{Delivery, SignatureScheme};
use crate::{KycStatus, TestUser};

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) app_id: String,
    pub(crate) padding: RsaPadding,
    /// UAT mode: `x-enable-encryption: false` switches encryption off for a request.
    pub(crate) uat: bool,
    pub(crate) access_token_ttl: Duration,
    pub(crate) refresh_token_ttl: Duration,
    pub(crate) webhook_retry_delays: Vec<Duration>,
}

/// Everything shared by the handlers.
pub(crate) struct State {
    pub(crate) config: Config,
    pub(crate) base_url: String,
    pub(crate) keys: Keys,
    pub(crate) inner: Mutex<Inner>,
    pub(crate) faults: FaultPlan,
    pub(crate) requests: RequestLog,
    pub(crate) deliveries: Journal<Delivery>,
    pub(crate) deliverer: Deliverer,
    pub(crate) seeded: Seeded,
}

/// The shared state handle.
pub(crate) type Shared = Arc<State>;

impl State {
    /// Locks the main state.
    pub(crate) fn inner(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }
}

/// The seeded users, as handed out by the public handle.
#[derive(Debug, Clone)]
pub(crate) struct Seeded {
    pub(crate) agent: TestUser,
    pub(crate) user: TestUser,
    pub(crate) pending_user: TestUser,
}

/// Where the card-status webhook goes.
#[derive(Debug, Clone)]
pub(crate) struct Callback {
    pub(crate) url: String,
    pub(crate) secret: Option<String>,
    pub(crate) scheme: SignatureScheme,
}

/// The mutable state.
#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// Generates card numbers, tokens and account numbers (seeded: the same calls give the same values).
    pub(crate) det: Option<Det>,
    pub(crate) users: BTreeMap<i64, User>,
    pub(crate) addresses: Vec<Address>,
    pub(crate) accounts: BTreeMap<i64, Account>,
    pub(crate) ledger: Vec<LedgerRow>,
    pub(crate) transactions: Vec<Txn>,
    pub(crate) contacts: Vec<Contact>,
    pub(crate) cards: BTreeMap<i64, Card>,
    pub(crate) reports: Vec<Report>,
    pub(crate) settings: Vec<Setting>,
    pub(crate) limits: Vec<Limit>,
    /// Access token → expiry (ms since the epoch).
    pub(crate) access_tokens: HashMap<String, i64>,
    /// Refresh token → expiry (ms since the epoch).
    pub(crate) refresh_tokens: HashMap<String, i64>,
    pub(crate) webhook: Option<Callback>,
    pub(crate) ids: Ids,
}

/// The next id of each kind of record.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    pub(crate) user: i64,
    pub(crate) address: i64,
    pub(crate) identification: i64,
    pub(crate) account: i64,
    pub(crate) ledger: i64,
    pub(crate) transaction: i64,
    pub(crate) contact: i64,
    pub(crate) card: i64,
    pub(crate) card_link: i64,
    pub(crate) three_ds: i64,
    pub(crate) report: i64,
    pub(crate) setting: i64,
    pub(crate) limit: i64,
}

/// Takes the next id of a counter.
pub(crate) fn next(counter: &mut i64) -> i64 {
    *counter += 1;
    *counter
}

impl Inner {
    /// The seeded generator.
    pub(crate) fn det(&mut self) -> &mut Det {
        self.det.get_or_insert_with(|| Det::new(0, 0))
    }
}

/// A user (a customer of the SaaS app, or the SaaS app's own agent user).
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) id: i64,
    pub(crate) parent_id: i64,
    /// `USER`, or `AGENT` for the SaaS app itself.
    pub(crate) user_type: &'static str,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) email: Option<String>,
    pub(crate) country_code: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) status: String,
    pub(crate) username: String,
    pub(crate) kyc: KycStatus,
    pub(crate) personal: Option<Personal>,
    pub(crate) identification: Option<Identification>,
}

/// KYC personal info (every field optional once created).
#[derive(Debug, Clone, Default)]
pub(crate) struct Personal {
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) nick_name: Option<String>,
    /// `YYYY-MM-DD` as sent.
    pub(crate) dob: Option<String>,
    pub(crate) gender: Option<String>,
    pub(crate) marital_status: Option<String>,
    pub(crate) nationality: Option<String>,
    pub(crate) country_of_birth: Option<String>,
    pub(crate) country_of_residence: Option<String>,
    pub(crate) tin: Option<String>,
    pub(crate) language: Option<String>,
}

/// Identification documents (the fields are the sandbox's choice, see the README).
#[derive(Debug, Clone)]
pub(crate) struct Identification {
    pub(crate) id: i64,
    pub(crate) fields: Map<String, Value>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// A KYC address, one per user and type.
#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub(crate) id: i64,
    pub(crate) user_id: i64,
    pub(crate) kind: String,
    pub(crate) country_id: i64,
    pub(crate) state_id: i64,
    pub(crate) city_id: i64,
    pub(crate) line1: String,
    pub(crate) line2: Option<String>,
    pub(crate) postal_code: Option<String>,
    pub(crate) longitude: Option<String>,
    pub(crate) latitude: Option<String>,
    pub(crate) status: bool,
}

/// An account with its exact balance (major units).
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) id: i64,
    pub(crate) user_id: i64,
    pub(crate) currency_id: i64,
    pub(crate) account_type: String,
    pub(crate) title: String,
    pub(crate) number: String,
    pub(crate) iban: Option<String>,
    pub(crate) balance: Decimal,
    pub(crate) on_hold: Decimal,
    pub(crate) is_primary: bool,
}

/// A ledger row, with the account's balance after it.
#[derive(Debug, Clone)]
pub(crate) struct LedgerRow {
    pub(crate) id: i64,
    pub(crate) account_id: i64,
    pub(crate) transaction_id: i64,
    pub(crate) ref_id: i64,
    pub(crate) debit: Decimal,
    pub(crate) credit: Decimal,
    pub(crate) balance: Decimal,
    pub(crate) narration: String,
    pub(crate) at: i64,
}

/// A merchant of a card transaction.
#[derive(Debug, Clone)]
pub(crate) struct Merchant {
    pub(crate) id: i64,
    pub(crate) mcc: String,
    pub(crate) name: String,
    pub(crate) city: String,
    pub(crate) country: String,
    /// ISO 3166-1 alpha-3.
    pub(crate) country_code: String,
}

/// An amount in a currency.
#[derive(Debug, Clone)]
pub(crate) struct Money {
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
}

/// A transaction: a transfer, a card purchase or ATM withdrawal (posted or declined), or a deposit.
#[derive(Debug, Clone)]
pub(crate) struct Txn {
    pub(crate) id: i64,
    pub(crate) uuid: String,
    /// `Transfer`, `Purchase`, `ATM Withdrawal`, `Deposit`.
    pub(crate) kind: &'static str,
    pub(crate) at: i64,
    /// `SUCCESS` or `FAILED`.
    pub(crate) status: &'static str,
    pub(crate) total_charges: Decimal,
    pub(crate) narration: String,
    pub(crate) user_id: Option<i64>,
    pub(crate) card_id: Option<i64>,
    pub(crate) sender: Option<i64>,
    pub(crate) receiver: Option<i64>,
    /// The receiver of a transfer outside the sandbox: `(account title, IBAN)`.
    pub(crate) counterparty: Option<(String, String)>,
    pub(crate) billing: Money,
    pub(crate) original: Money,
    pub(crate) rate: Decimal,
    pub(crate) merchant: Option<Merchant>,
    pub(crate) slug: &'static str,
    /// For the rules engine: the rule transaction type (`PURCHASE`, `ATM_WITHDRAWAL`), `None` for others.
    pub(crate) rule_type: Option<&'static str>,
}

/// A payment contact of the SaaS app.
#[derive(Debug, Clone)]
pub(crate) struct Contact {
    pub(crate) id: i64,
    pub(crate) owner_id: i64,
    pub(crate) title: String,
    pub(crate) iban: String,
    pub(crate) account_title: String,
    pub(crate) bank: (String, String, String),
}

/// A card.
#[derive(Debug, Clone)]
pub(crate) struct Card {
    pub(crate) id: i64,
    pub(crate) token: i64,
    pub(crate) user_id: i64,
    pub(crate) account_id: i64,
    /// The id of the card-account link record (`account.id` in card objects, unlike `account.accountId`).
    pub(crate) link_id: i64,
    pub(crate) tier_id: i64,
    /// `PHYSICAL` or `VIRTUAL`.
    pub(crate) card_type: &'static str,
    pub(crate) status: &'static str,
    pub(crate) status_reason: String,
    pub(crate) emboss_name: String,
    pub(crate) pan: String,
    pub(crate) cvv: String,
    /// `MM/YY`.
    pub(crate) expiry: String,
    pub(crate) pin: Option<String>,
    pub(crate) three_ds: bool,
    pub(crate) three_ds_id: i64,
    pub(crate) manufacturing: Option<&'static str>,
    pub(crate) delivery: Option<String>,
    pub(crate) estimated_delivery: Option<String>,
    pub(crate) address: Option<Value>,
    /// `APPROVAL_PENDING`, `APPROVED`, `REJECTED` once a conversion to physical was requested.
    pub(crate) conversion: Option<&'static str>,
    pub(crate) replaced_by: Option<i64>,
    pub(crate) api_id: String,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// A reported card issue.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub(crate) id: i64,
    pub(crate) card_id: i64,
    pub(crate) reason: String,
    pub(crate) status_reason: String,
    /// `PENDING_REVIEW`, `REVIEWED`, `REPLACED`, `RENEWED`, `DECLINED`.
    pub(crate) status: &'static str,
    pub(crate) remarks: Option<String>,
    pub(crate) new_card_id: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// What a security setting blocks (on the transaction types it is linked to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SettingKind {
    /// Every transaction of its type.
    Block,
    /// Contactless or online (card-not-present) transactions of its type.
    CardNotPresent,
    /// Transactions in another country than the card's.
    International,
}

/// A card security setting ("block X" switch).
#[derive(Debug, Clone)]
pub(crate) struct Setting {
    pub(crate) id: i64,
    pub(crate) card_id: i64,
    pub(crate) template: usize,
    pub(crate) kind: SettingKind,
    pub(crate) transaction_type: String,
    pub(crate) enabled: bool,
}

/// A transaction limit (of a card, or of the SaaS app when `card_id` is `None`).
#[derive(Debug, Clone)]
pub(crate) struct Limit {
    pub(crate) id: i64,
    pub(crate) card_id: Option<i64>,
    pub(crate) transaction_type: String,
    pub(crate) frequency: &'static str,
    pub(crate) limit_type: &'static str,
    pub(crate) slug: String,
    pub(crate) operator: &'static str,
    pub(crate) third_party: &'static str,
    /// As last set (`"45000"` stays `"45000"`).
    pub(crate) limit: String,
    pub(crate) allowed: String,
    pub(crate) currency: &'static str,
}
