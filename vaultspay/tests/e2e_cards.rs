//! Every card transition the VaultsPay sandbox allows, and every refusal where the card's state does not allow
//! it, through the client (`client.api().<op>()…call()`, every request and answer encrypted).
//!
//! A refusal of a state change is 500 / 1010 BAD_REQUEST on the wire: the client must classify it by its code as
//! `Error::BadRequest { code: 1010 }`, keep the HTTP status, mark it "not retried" (the operation changes state)
//! and send it exactly once. Each test ends by checking that the sandbox received exactly one request per call
//! made (no retries, no replays) and one token request (the login).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use vaultspay::api::types::{
    AccountType, ActivateCardRequest, AddressType, Card, CardAddress, CardDeliveryStatus, CardStatus, CardStatusChange,
    CardType, CreateAccountRequest, CreateCardRequest, CreateUserRequest, DeclineCardRequest, EnrollCard3dsRequest,
    GetCardDetailsRequest, GetCardExpiryRequest, GetCardPanRequest, ProcessCardRequestRequest,
    ProcessPhysicalCardRequest, RemoveCard3dsRequest, RenewCardRequest, ReplaceCardRequest, ReportCardIssueRequest,
    RequestPhysicalCardRequest, ReviewCardIssueRequest, SetCardPinRequest, ToggleCardFreezeRequest,
    UpdateCardAccountRequest, UpdateCardDeliveryRequest, UpdateCardManufacturingRequest, UpdateCardStatusRequest,
    UserStatus, VirtualToPhysicalAddress,
};
use vaultspay::{Call, Client, Error, JsonMap};
mod sandboxed;
use vaultspay_sandbox::Sandbox;

/// The tier that offers both card kinds (67) and the virtual-only one (68), as the sandbox seeds them.
const DUAL_TIER: i64 = 67;
const VIRTUAL_TIER: i64 = 68;

/// A sandbox, a client against it, a plaintext control client, and the number of API calls made.
struct Env {
    sandbox: Sandbox,
    client: Client,
    control: reqwest::Client,
    calls: AtomicUsize,
}

/// A customer created through the API, KYC VERIFIED by the control route, with an AED and a USD account.
struct Customer {
    user_id: i64,
    aed: i64,
    usd: i64,
    holder: String,
}

impl Env {
    async fn start() -> Env {
        let sandbox = Sandbox::builder().fixed_key().start().await.unwrap();
        let client = sandboxed::client(&sandbox);
        Env { sandbox, client, control: reqwest::Client::new(), calls: AtomicUsize::new(0) }
    }

    /// A call that must succeed.
    async fn ok<T>(&self, call: impl Future<Output = Result<T, Error>>) -> T {
        self.calls.fetch_add(1, Ordering::Relaxed);
        call.await.unwrap_or_else(|err| panic!("unexpected error: {err} / {err:?}"))
    }

    /// A call that must succeed with a payload.
    async fn some<T>(&self, call: impl Future<Output = Result<Option<T>, Error>>) -> T {
        self.ok(call).await.expect("the answer carries data")
    }

    /// A call that must fail; asserts it was sent exactly once (to `path`).
    async fn fails<T: std::fmt::Debug>(&self, path: &str, call: impl Future<Output = Result<T, Error>>) -> Error {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let before = self.sent(path);
        let err = call.await.expect_err("the call should be refused");
        assert_eq!(self.sent(path), before + 1, "a refused call is sent exactly once: {err}");
        err
    }

    /// A state change the card's state does not allow: 500 / 1010 BAD_REQUEST, not retried, with `needle` in the
    /// message.
    async fn refused<T: std::fmt::Debug>(
        &self,
        path: &str,
        call: impl Future<Output = Result<T, Error>>,
        needle: &str,
    ) -> Error {
        let err = self.fails(path, call).await;
        let Error::BadRequest { code, message, context } = &err else {
            panic!("{path}: expected BadRequest 1010, got {err:?}");
        };
        assert_eq!((*code, err.code()), (1010, Some(1010)), "{err:?}");
        assert_eq!(context.status, Some(500), "{err:?}");
        assert!(context.not_retried.is_some(), "a refused state change says it was not retried: {err:?}");
        assert!(message.contains(needle), "{path}: {message:?} should contain {needle:?}");
        err
    }

    /// Requests received on `path`.
    fn sent(&self, path: &str) -> usize {
        self.sandbox.requests().iter().filter(|r| r.path == path).count()
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let url = format!("{}/__sandbox{path}", self.sandbox.base_url());
        let answer = self.control.post(url).json(&body).send().await.unwrap();
        assert!(answer.status().is_success(), "control {path}: {}", answer.status());
        answer.json().await.unwrap()
    }

    /// A user with an AED and a USD account; `verified` gives the admin's KYC verdict.
    async fn customer(&self, first: &str, last: &str, verified: bool) -> Customer {
        let api = self.client.api();
        let user = api.create_user().body(
            CreateUserRequest::builder()
                .first_name(first)
                .last_name(last)
                .email(format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase()))
                .status(UserStatus::Active),
        );
        let user_id = self.some(user.call()).await.id.unwrap();
        let mut accounts = Vec::new();
        for currency_id in [2, 1] {
            let account = CreateAccountRequest::builder()
                .user_id(user_id)
                .currency_id(currency_id)
                .account_type(AccountType::Digital);
            accounts.push(self.some(api.create_account().body(account).call()).await.id.unwrap());
        }
        if verified {
            self.control(&format!("/kyc/{user_id}"), json!({ "status": "VERIFIED" })).await;
        }
        let names = self.some(api.list_embossing_names().user_id(user_id).call()).await.names.unwrap();
        assert_eq!(names[0], format!("{} {}", first.to_uppercase(), last.to_uppercase()));
        Customer { user_id, aed: accounts[0], usd: accounts[1], holder: names[0].clone() }
    }

    fn card_request(&self, who: &Customer, tier: i64, kind: CardType) -> vaultspay::api::builder::CreateCard<'_> {
        let mut body = CreateCardRequest::builder()
            .card_tier_id(tier)
            .customer_id(who.user_id)
            .account_id(who.aed)
            .card_type(kind.clone())
            .card_holder_name(who.holder.clone());
        if kind == CardType::Physical {
            body = body.address(address());
        }
        self.client.api().create_card().body(body)
    }

    async fn new_card(&self, who: &Customer, kind: CardType) -> Card {
        self.some(self.card_request(who, DUAL_TIER, kind).call()).await
    }

    async fn details(&self, card_id: i64) -> Card {
        let body = GetCardDetailsRequest::builder().card_id(card_id);
        self.some(self.client.api().get_card_details().body(body).call()).await
    }

    async fn status(&self, card_id: i64) -> CardStatus {
        self.details(card_id).await.status.unwrap()
    }

    async fn pan_and_expiry(&self, card_id: i64) -> (String, String) {
        let api = self.client.api();
        let pan = self.some(api.get_card_pan().body(GetCardPanRequest::builder().card_id(card_id)).call()).await;
        let expiry = api.get_card_expiry().body(GetCardExpiryRequest::builder().card_id(card_id)).call();
        (pan.pan.unwrap(), self.some(expiry).await.expiry.unwrap())
    }

    /// Ends a test: one request per call (no retries, no replays) and one token request.
    async fn finish(self) -> (usize, usize) {
        let requests = self.sandbox.requests();
        let api = requests.iter().filter(|r| !r.path.starts_with("/__sandbox")).count();
        let logins = requests.iter().filter(|r| r.path.ends_with("/saas-login")).count();
        let calls = self.calls.load(Ordering::Relaxed);
        assert_eq!(logins, 1, "one login");
        assert_eq!(self.client.token_requests(), 1, "one token request");
        assert_eq!(api, calls + 1, "one request per call, plus the login");
        self.sandbox.shutdown().await;
        (calls, api)
    }
}

fn address() -> CardAddress {
    let address = CardAddress::builder()
        .type_(AddressType::Mailing)
        .country("ARE".to_string())
        .city("Dubai".to_string())
        .address_line1("Apartment 1204, Marina Gate 2".to_string());
    CardAddress::try_from(address).unwrap()
}

fn map(pairs: &[(&str, Value)]) -> JsonMap {
    pairs.iter().map(|(k, v)| (*k, v.clone())).collect()
}

/// A JSON-object answer as a `Value`.
fn value(m: impl Into<JsonMap>) -> Value {
    Value::Object(m.into().to_value_map())
}

fn toggle(card_id: i64, reason: &str) -> vaultspay::api::types::builder::ToggleCardFreezeRequest {
    ToggleCardFreezeRequest::builder().card_id(card_id).status_reason(reason.to_string())
}

fn set_status(card_id: i64, to: CardStatusChange) -> vaultspay::api::types::builder::UpdateCardStatusRequest {
    UpdateCardStatusRequest::builder().card_id(card_id).card_status(to).status_reason("by the test")
}

fn pin(card_id: i64, pin: &str) -> SetCardPinRequest {
    SetCardPinRequest::from(map(&[("cardId", json!(card_id)), ("pin", json!(pin))]))
}

fn manufactured(card_id: i64) -> UpdateCardManufacturingRequest {
    UpdateCardManufacturingRequest::from(map(&[
        ("cardId", json!(card_id)),
        ("manufacturingStatus", json!("MANUFACTURED")),
    ]))
}

fn delivery(card_id: i64, status: &str) -> vaultspay::api::types::builder::UpdateCardDeliveryRequest {
    UpdateCardDeliveryRequest::builder().card_id(card_id).delivery_status(CardDeliveryStatus::from(status))
}

fn activation(card_id: i64, pan: &str, expiry: &str) -> vaultspay::api::types::builder::ActivateCardRequest {
    ActivateCardRequest::builder().card_id(card_id).pan(pan.to_string()).expiry_date(expiry.to_string())
}

fn process(card_id: i64) -> vaultspay::api::types::builder::ProcessCardRequestRequest {
    ProcessCardRequestRequest::builder()
        .card_id(card_id)
        .status(CardStatus::IssuanceInProgress)
        .remarks("Approved by operations".to_string())
}

fn report(card_id: i64, reason: &str) -> ReportCardIssueRequest {
    ReportCardIssueRequest::from(map(&[("cardId", json!(card_id)), ("reason", json!(reason))]))
}

fn review(card_id: i64) -> ReviewCardIssueRequest {
    ReviewCardIssueRequest::from(map(&[("cardId", json!(card_id)), ("remarks", json!("checked"))]))
}

const SET_PIN: &str = "/pcs/api/v1/set-pin";
const PROCESS: &str = "/pcs/api/v1/process-card-request";
const MANUFACTURING: &str = "/pcs/api/v1/update-card-manufacturing";
const DELIVERY: &str = "/pcs/api/v1/update-delivery-status";
const ACTIVATE: &str = "/pcs/api/v1/activate-card";
const TOGGLE: &str = "/pcs/api/v1/toggle-freeze-card";
const STATUS: &str = "/pcs/api/v1/update-card-status";
const ENROLL: &str = "/pcs/api/v1/enroll-card-three-ds";
const REMOVE: &str = "/pcs/api/v1/remove-card-three-ds";
const LINK: &str = "/pcs/api/v1/update-card-account";
const REPORT: &str = "/pcs/api/v1/report-card-issue";
const REVIEW: &str = "/pcs/api/v1/review-report-card-issue";
const REPLACE: &str = "/pcs/api/v1/replace-card";
const RENEW: &str = "/pcs/api/v1/renew-card";
const DECLINE: &str = "/pcs/api/v1/decline-card";
const TO_PHYSICAL: &str = "/pcs/api/v1/virtual-to-physical";
const TO_PHYSICAL_PROCESS: &str = "/pcs/api/v1/virtual-to-physical-process";
const CARDS: &str = "/pcs/api/v1/cards";

#[tokio::test]
async fn issuing_is_refused_before_kyc_and_outside_the_tier() {
    let env = Env::start().await;
    let pending = env.customer("Layla", "Nasser", false).await;
    let err = env.fails(CARDS, env.card_request(&pending, DUAL_TIER, CardType::Virtual).call()).await;
    let Error::ActionRequired { action, context, .. } = &err else { panic!("expected 1035: {err:?}") };
    assert_eq!(action.as_deref(), Some("KYC_VERIFICATION"));
    assert_eq!((err.code(), context.status), (Some(1035), Some(500)));
    assert!(context.not_retried.is_some(), "{err:?}");

    let who = env.customer("Omar", "Saleh", true).await;
    // The virtual-only tier refuses a physical card; a physical card without an address is a 422.
    env.refused(CARDS, env.card_request(&who, VIRTUAL_TIER, CardType::Physical).call(), "does not offer PHYSICAL")
        .await;
    let no_address = CreateCardRequest::builder()
        .card_tier_id(DUAL_TIER)
        .customer_id(who.user_id)
        .account_id(who.aed)
        .card_type(CardType::Physical)
        .card_holder_name(who.holder.clone());
    let err = env.fails(CARDS, env.client.api().create_card().body(no_address).call()).await;
    let Error::Validation { errors, context, .. } = &err else { panic!("expected 1000: {err:?}") };
    assert_eq!((errors[0].key.as_str(), context.status), ("address", Some(422)));
    assert!(context.not_retried.is_some());
    // A name that is not one of the embossing options.
    let body = CreateCardRequest::builder()
        .card_tier_id(DUAL_TIER)
        .customer_id(who.user_id)
        .account_id(who.aed)
        .card_type(CardType::Virtual)
        .card_holder_name("SOMEONE ELSE");
    let err = env.fails(CARDS, env.client.api().create_card().body(body).call()).await;
    assert!(matches!(&err, Error::Validation { errors, .. } if errors[0].key == "cardHolderName"), "{err:?}");
    // Someone else's account.
    let body = CreateCardRequest::builder()
        .card_tier_id(DUAL_TIER)
        .customer_id(who.user_id)
        .account_id(pending.aed)
        .card_type(CardType::Virtual)
        .card_holder_name(who.holder.clone());
    env.refused(CARDS, env.client.api().create_card().body(body).call(), "does not belong to the customer").await;

    // A safe read of an unknown card is refused too, but it is not a state change: no "not retried".
    let err = env
        .fails(
            "/pcs/api/v1/get-card-pan",
            env.client.api().get_card_pan().body(GetCardPanRequest::builder().card_id(999_999)).call(),
        )
        .await;
    let Error::Validation { errors, context, .. } = &err else { panic!("{err:?}") };
    assert_eq!((errors[0].key.as_str(), context.status), ("cardId", Some(422)));
    assert!(context.not_retried.is_none(), "a read may be retried: {err:?}");
    assert_eq!(env.finish().await, (14, 15));
}

#[tokio::test]
async fn a_virtual_card_is_active_at_once_and_moves_between_active_freeze_and_block() {
    let env = Env::start().await;
    let who = env.customer("Amira", "Haddad", true).await;
    let api = env.client.api();
    let card = env.new_card(&who, CardType::Virtual).await;
    let id = card.id.unwrap();
    assert_eq!(card.status, Some(CardStatus::Active));
    assert_eq!(card.card_type, Some(CardType::Virtual));
    assert_eq!(card.pin_set, Some(false));
    assert_eq!(card.emboss_name.as_deref(), Some("AMIRA HADDAD"));
    assert_eq!(card.account.as_ref().and_then(|a| a.account_id), Some(who.aed));

    // What a virtual card has no use for.
    env.refused(SET_PIN, api.set_card_pin().body(pin(id, "4821")).call(), "only be set on a PHYSICAL card").await;
    env.refused(PROCESS, api.process_card_request().body(process(id)).call(), "Virtual cards are issued at once").await;
    let (pan, expiry) = env.pan_and_expiry(id).await;
    assert_eq!(pan.len(), 16);
    assert!(pan.starts_with("540896"), "the tier's BIN");
    env.refused(ACTIVATE, api.activate_card().body(activation(id, &pan, &expiry)).call(), "already ACTIVE").await;
    env.refused(MANUFACTURING, api.update_card_manufacturing().body(manufactured(id)).call(), "the card is ACTIVE")
        .await;

    // 3DS: enroll, not twice; remove, not twice.
    let on = env.some(api.enroll_card_3ds().body(EnrollCard3dsRequest::builder().card_id(id)).call()).await;
    assert_eq!(on.card3_d_secure.and_then(|s| s.status), Some(true));
    assert_eq!(env.details(id).await.x3d_secure.and_then(|s| s.status), Some(true));
    let again = api.enroll_card_3ds().body(EnrollCard3dsRequest::builder().card_id(id)).call();
    env.refused(ENROLL, again, "already enrolled in 3DS").await;
    let off = env.some(api.remove_card_3ds().body(RemoveCard3dsRequest::builder().card_id(id)).call()).await;
    assert_eq!((off.card_id, off.card3_d_secure.and_then(|s| s.status)), (Some(id), Some(false)));
    let again = api.remove_card_3ds().body(RemoveCard3dsRequest::builder().card_id(id)).call();
    env.refused(REMOVE, again, "not enrolled in 3DS").await;

    // Freeze toggle: ACTIVE → FREEZE → ACTIVE.
    let frozen = value(env.some(api.toggle_card_freeze().body(toggle(id, "Card misplaced")).call()).await);
    assert_eq!(
        (frozen["cardStatus"].as_str(), frozen["statusReason"].as_str()),
        (Some("FREEZE"), Some("Card misplaced"))
    );
    assert_eq!(env.status(id).await, CardStatus::Freeze);
    // FREEZE → ACTIVE.
    let thawed = value(env.some(api.toggle_card_freeze().body(toggle(id, "Card found")).call()).await);
    assert_eq!(thawed["cardStatus"], "ACTIVE");

    // ACTIVE → BLOCK (not twice), nothing but ACTIVE from BLOCK, → ACTIVE (not twice).
    let blocked = env.some(api.update_card_status().body(set_status(id, CardStatusChange::Block)).call()).await;
    assert_eq!((blocked.id, blocked.status), (Some(id), Some(CardStatus::Block)));
    env.refused(STATUS, api.update_card_status().body(set_status(id, CardStatusChange::Block)).call(), "already BLOCK")
        .await;
    env.refused(TOGGLE, api.toggle_card_freeze().body(toggle(id, "x")).call(), "(the card is BLOCK)").await;
    env.refused(TO_PHYSICAL, api.request_physical_card().body(to_physical(id)).call(), "Only an ACTIVE virtual card")
        .await;
    let active = env.some(api.update_card_status().body(set_status(id, CardStatusChange::Active)).call()).await;
    assert_eq!(active.status, Some(CardStatus::Active));
    env.refused(
        STATUS,
        api.update_card_status().body(set_status(id, CardStatusChange::Active)).call(),
        "already ACTIVE",
    )
    .await;
    // FREEZE → BLOCK is allowed (Update Card Status works from ACTIVE, BLOCK or FREEZE).
    env.ok(api.toggle_card_freeze().body(toggle(id, "again")).call()).await;
    let blocked = env.some(api.update_card_status().body(set_status(id, CardStatusChange::Block)).call()).await;
    assert_eq!(blocked.status, Some(CardStatus::Block));
    env.ok(api.update_card_status().body(set_status(id, CardStatusChange::Active)).call()).await;

    // The linked account: the holder's USD account, not someone else's.
    let linked = env.some(api.update_card_account().body(link(id, who.usd)).call()).await;
    assert_eq!(linked.account_id, Some(who.usd));
    let details = env.details(id).await;
    let account = details.account.unwrap();
    assert_eq!((account.account_id, account.currency_code.as_deref()), (Some(who.usd), Some("USD")));
    let agent_account = env.sandbox.agent().account_ids[0];
    env.refused(
        LINK,
        api.update_card_account().body(link(id, agent_account)).call(),
        "does not belong to the card holder",
    )
    .await;
    assert_eq!(env.details(id).await.account.and_then(|a| a.account_id), Some(who.usd), "unchanged");
    assert_eq!(env.status(id).await, CardStatus::Active);
    assert_eq!(env.finish().await, (33, 34));
}

fn link(card_id: i64, account_id: i64) -> vaultspay::api::types::builder::UpdateCardAccountRequest {
    UpdateCardAccountRequest::builder().card_id(card_id).account_id(account_id)
}

fn to_physical(card_id: i64) -> vaultspay::api::types::builder::RequestPhysicalCardRequest {
    let address = VirtualToPhysicalAddress::builder()
        .country("ARE".to_string())
        .city("Abu Dhabi".to_string())
        .address_line1("Villa 7, Corniche Road".to_string());
    RequestPhysicalCardRequest::builder().card_id(card_id).address(VirtualToPhysicalAddress::try_from(address).unwrap())
}

#[tokio::test]
async fn a_physical_card_goes_through_pin_processing_manufacturing_delivery_and_activation() {
    let env = Env::start().await;
    let who = env.customer("Karim", "Aziz", true).await;
    let api = env.client.api();
    let card = env.new_card(&who, CardType::Physical).await;
    let id = card.id.unwrap();
    assert_eq!(card.status, Some(CardStatus::from("REQUESTED")), "the sandbox's name for an unprocessed request");
    assert_eq!((card.card_type, card.pin_set), (Some(CardType::Physical), Some(false)));
    let (pan, expiry) = env.pan_and_expiry(id).await;

    // Nothing moves before the PIN, and nothing skips a step.
    env.refused(PROCESS, api.process_card_request().body(process(id)).call(), "Set the card PIN before").await;
    env.refused(MANUFACTURING, api.update_card_manufacturing().body(manufactured(id)).call(), "the card is REQUESTED")
        .await;
    env.refused(
        DELIVERY,
        api.update_card_delivery().body(delivery(id, "DELIVERED")).call(),
        "manufacturing not started",
    )
    .await;
    let early = api.activate_card().body(activation(id, &pan, &expiry)).call();
    env.refused(
        ACTIVATE,
        early,
        "Only a delivered card (PENDING_VERIFICATION) can be activated (the card is REQUESTED)",
    )
    .await;
    env.refused(TOGGLE, api.toggle_card_freeze().body(toggle(id, "x")).call(), "(the card is REQUESTED)").await;
    env.refused(
        STATUS,
        api.update_card_status().body(set_status(id, CardStatusChange::Block)).call(),
        "the card is REQUESTED",
    )
    .await;
    env.refused(REPORT, api.report_card_issue().body(report(id, "LOST")).call(), "Only an issued card").await;
    let err = env.fails(SET_PIN, api.set_card_pin().body(pin(id, "12a4")).call()).await;
    assert!(matches!(&err, Error::Validation { errors, .. } if errors[0].key == "pin"), "{err:?}");
    assert_eq!(err.status(), Some(422));

    // PIN, then processing.
    let set = value(env.some(api.set_card_pin().body(pin(id, "4821")).call()).await);
    assert_eq!((set["cardId"].as_i64(), set["pinSet"].as_bool()), (Some(id), Some(true)));
    assert_eq!(env.details(id).await.pin_set, Some(true));
    let processed = env.some(api.process_card_request().body(process(id)).call()).await;
    assert_eq!(processed.status, Some(CardStatus::IssuanceInProgress));
    assert_eq!(processed.processed_at_third_party, Some(true));
    env.refused(PROCESS, api.process_card_request().body(process(id)).call(), "(the card is ISSUANCE_IN_PROGRESS)")
        .await;
    let early = api.activate_card().body(activation(id, &pan, &expiry)).call();
    env.refused(ACTIVATE, early, "(the card is ISSUANCE_IN_PROGRESS)").await;
    env.refused(
        DELIVERY,
        api.update_card_delivery().body(delivery(id, "DELIVERED")).call(),
        "manufacturing IN_PROGRESS",
    )
    .await;

    // Manufactured (once), dispatched (no status change), delivered → PENDING_VERIFICATION.
    let made = value(env.some(api.update_card_manufacturing().body(manufactured(id)).call()).await);
    assert_eq!(
        (made["cardManufacturingStatus"].as_str(), made["cardStatus"].as_str()),
        (Some("MANUFACTURED"), Some("ISSUANCE_IN_PROGRESS"))
    );
    env.refused(MANUFACTURING, api.update_card_manufacturing().body(manufactured(id)).call(), "already MANUFACTURED")
        .await;
    let dispatched = env.some(api.update_card_delivery().body(delivery(id, "DISPATCHED")).call()).await;
    assert_eq!(dispatched.card_status, Some(CardStatus::IssuanceInProgress));
    assert_eq!(dispatched.delivery_status, Some(CardDeliveryStatus::from("DISPATCHED")));
    let delivered = env.some(api.update_card_delivery().body(delivery(id, "DELIVERED")).call()).await;
    assert_eq!(delivered.card_status, Some(CardStatus::PendingVerification));
    assert_eq!(delivered.delivery_status, Some(CardDeliveryStatus::Delivered));
    env.refused(TOGGLE, api.toggle_card_freeze().body(toggle(id, "x")).call(), "(the card is PENDING_VERIFICATION)")
        .await;

    // Activation with a wrong PAN (another valid-looking one), a wrong expiry, then the right pair.
    let mut wrong_pan = pan.clone().into_bytes();
    wrong_pan[15] = if wrong_pan[15] == b'0' { b'1' } else { b'0' };
    let wrong_pan = String::from_utf8(wrong_pan).unwrap();
    let call = api.activate_card().body(activation(id, &wrong_pan, &expiry)).call();
    let err = env.refused(ACTIVATE, call, "The PAN does not match the card").await;
    assert!(!format!("{err} {err:?}").contains(&pan[6..]), "no PAN digits in the error");
    let wrong_expiry = format!("{}/{:02}", &expiry[..2], (expiry[3..].parse::<u32>().unwrap() + 1) % 100);
    let call = api.activate_card().body(activation(id, &pan, &wrong_expiry)).call();
    env.refused(ACTIVATE, call, "The expiry date does not match the card").await;
    assert_eq!(env.status(id).await, CardStatus::PendingVerification, "refusals change nothing");
    let activated = env.some(api.activate_card().body(activation(id, &pan, &expiry)).call()).await;
    assert_eq!((activated.card_id, activated.card_status), (Some(id), Some(CardStatus::Active)));
    env.refused(ACTIVATE, api.activate_card().body(activation(id, &pan, &expiry)).call(), "already ACTIVE").await;

    // An active physical card: its PIN can be changed, 3DS, freeze, and BLOCK (after which no PIN).
    env.ok(api.set_card_pin().body(pin(id, "9034")).call()).await;
    env.ok(api.enroll_card_3ds().body(EnrollCard3dsRequest::builder().card_id(id)).call()).await;
    env.ok(api.toggle_card_freeze().body(toggle(id, "Card misplaced")).call()).await;
    env.ok(api.toggle_card_freeze().body(toggle(id, "Card found")).call()).await;
    env.ok(api.update_card_status().body(set_status(id, CardStatusChange::Block)).call()).await;
    env.refused(SET_PIN, api.set_card_pin().body(pin(id, "1111")).call(), "The card is BLOCK").await;
    let details = env.details(id).await;
    assert_eq!(
        (details.status, details.card_type, details.pin_set),
        (Some(CardStatus::Block), Some(CardType::Physical), Some(true))
    );
    assert_eq!(details.x3d_secure.and_then(|s| s.status), Some(true));
    assert_eq!(env.finish().await, (38, 39));
}

#[tokio::test]
async fn a_virtual_card_is_converted_to_physical_on_approval() {
    let env = Env::start().await;
    let who = env.customer("Sara", "Khalil", true).await;
    let api = env.client.api();
    let id = env.new_card(&who, CardType::Virtual).await.id.unwrap();
    let (pan, _) = env.pan_and_expiry(id).await;

    // Neither approval without a request, nor a request without an address.
    let approve = |card_id: i64, decision: &str| {
        ProcessPhysicalCardRequest::from(map(&[("cardId", json!(card_id)), ("status", json!(decision))]))
    };
    let call = api.process_physical_card().body(approve(id, "APPROVED")).call();
    env.refused(TO_PHYSICAL_PROCESS, call, "no pending conversion request").await;
    let bare = api.request_physical_card().body(RequestPhysicalCardRequest::builder().card_id(id)).call();
    let err = env.fails(TO_PHYSICAL, bare).await;
    assert!(matches!(&err, Error::Validation { errors, .. } if errors[0].key == "addressId"), "{err:?}");

    // Request (once), reject, request again, approve: the card becomes PHYSICAL, keeps its PAN, stays ACTIVE.
    let requested = env.some(api.request_physical_card().body(to_physical(id)).call()).await;
    assert_eq!(requested.card_conversion_status.as_deref(), Some("APPROVAL_PENDING"));
    assert_eq!(requested.card_type, Some(CardType::Virtual));
    env.refused(TO_PHYSICAL, api.request_physical_card().body(to_physical(id)).call(), "already pending").await;
    let rejected = value(env.some(api.process_physical_card().body(approve(id, "REJECTED")).call()).await);
    assert_eq!(
        (rejected["cardConversionStatus"].as_str(), rejected["cardType"].as_str()),
        (Some("REJECTED"), Some("VIRTUAL"))
    );
    env.refused(SET_PIN, api.set_card_pin().body(pin(id, "4821")).call(), "only be set on a PHYSICAL card").await;
    env.some(api.request_physical_card().body(to_physical(id)).call()).await;
    let approved = value(env.some(api.process_physical_card().body(approve(id, "APPROVED")).call()).await);
    assert_eq!(
        (approved["cardConversionStatus"].as_str(), approved["cardType"].as_str(), approved["cardStatus"].as_str()),
        (Some("APPROVED"), Some("PHYSICAL"), Some("ACTIVE"))
    );
    let call = api.process_physical_card().body(approve(id, "APPROVED")).call();
    env.refused(TO_PHYSICAL_PROCESS, call, "no pending conversion request").await;
    env.refused(TO_PHYSICAL, api.request_physical_card().body(to_physical(id)).call(), "already PHYSICAL").await;
    let details = env.details(id).await;
    assert_eq!((details.card_type, details.status), (Some(CardType::Physical), Some(CardStatus::Active)));
    assert_eq!(env.pan_and_expiry(id).await.0, pan, "the same card number");
    // Now a PIN can be set.
    env.ok(api.set_card_pin().body(pin(id, "4821")).call()).await;
    assert_eq!(env.details(id).await.pin_set, Some(true));

    // A virtual-only tier cannot convert.
    let other = env.some(env.card_request(&who, VIRTUAL_TIER, CardType::Virtual).call()).await.id.unwrap();
    env.refused(
        TO_PHYSICAL,
        api.request_physical_card().body(to_physical(other)).call(),
        "does not offer PHYSICAL cards",
    )
    .await;
    assert_eq!(env.finish().await, (24, 25));
}

#[tokio::test]
async fn a_reported_card_is_reviewed_then_replaced_renewed_or_declined() {
    let env = Env::start().await;
    let who = env.customer("Yusuf", "Rahman", true).await;
    let api = env.client.api();

    // Replace: a new card with a new PAN; the old one BLOCK for good.
    let old = env.new_card(&who, CardType::Virtual).await.id.unwrap();
    let (old_pan, _) = env.pan_and_expiry(old).await;
    env.refused(REVIEW, api.review_card_issue().body(review(old)).call(), "has no reported issue").await;
    let replace = |card_id: i64| ReplaceCardRequest::builder().card_id(card_id).remarks("replace".to_string());
    env.refused(REPLACE, api.replace_card().body(replace(old)).call(), "has no reported issue").await;
    let err = env.fails(REPORT, api.report_card_issue().body(report(old, "MISPLACED")).call()).await;
    assert!(matches!(&err, Error::Validation { errors, .. } if errors[0].key == "reason"), "{err:?}");
    let reported = value(env.some(api.report_card_issue().body(report(old, "LOST")).call()).await);
    assert_eq!((reported["status"].as_str(), reported["reason"].as_str()), (Some("PENDING_REVIEW"), Some("LOST")));
    assert_eq!(env.status(old).await, CardStatus::Freeze, "a report freezes an ACTIVE card");
    env.refused(REPORT, api.report_card_issue().body(report(old, "STOLEN")).call(), "already has a reported issue")
        .await;
    env.refused(TOGGLE, api.toggle_card_freeze().body(toggle(old, "found it")).call(), "reported issue under review")
        .await;
    let call = api.update_card_status().body(set_status(old, CardStatusChange::Active)).call();
    env.refused(STATUS, call, "reported issue under review").await;
    env.refused(REPLACE, api.replace_card().body(replace(old)).call(), "has not been reviewed yet").await;
    let reviewed = value(env.some(api.review_card_issue().body(review(old)).call()).await);
    assert_eq!(reviewed["status"], "REVIEWED");
    env.refused(REVIEW, api.review_card_issue().body(review(old)).call(), "Only a report PENDING_REVIEW").await;
    let replaced = value(env.some(api.replace_card().body(replace(old)).call()).await);
    let new = replaced["cardId"].as_i64().unwrap();
    assert_ne!(new, old);
    assert_eq!(replaced["status"], "ACTIVE", "a virtual replacement is active at once");
    assert_eq!(env.status(old).await, CardStatus::Block);
    assert_ne!(env.pan_and_expiry(new).await.0, old_pan, "a replacement has a new PAN");
    env.refused(TOGGLE, api.toggle_card_freeze().body(toggle(old, "x")).call(), "has been replaced by card").await;
    env.refused(REPORT, api.report_card_issue().body(report(old, "LOST")).call(), "has been replaced by card").await;
    env.refused(REPLACE, api.replace_card().body(replace(old)).call(), "has no reported issue").await;

    // Renew: a new card, the same PAN, a new token.
    let first_replacement = new;
    let old = new;
    let old_card = env.details(old).await;
    let (old_pan, _) = env.pan_and_expiry(old).await;
    env.ok(api.report_card_issue().body(report(old, "DAMAGED")).call()).await;
    let renew = |card_id: i64| RenewCardRequest::builder().card_id(card_id).remarks("renew".to_string());
    env.refused(RENEW, api.renew_card().body(renew(old)).call(), "has not been reviewed yet").await;
    env.ok(api.review_card_issue().body(review(old)).call()).await;
    let renewed = env.some(api.renew_card().body(renew(old)).call()).await;
    let new = renewed.card_id.unwrap();
    assert_eq!(
        (renewed.status, renewed.message.as_deref()),
        (Some(CardStatus::Active), Some("Card renew successfully!"))
    );
    assert_ne!(new, old);
    assert_ne!(renewed.card_token.map(|t| t.to_string()), old_card.token.and_then(|t| t.scalar_text()));
    assert_eq!(env.pan_and_expiry(new).await.0, old_pan, "a renewal keeps the PAN");
    assert_eq!(env.status(old).await, CardStatus::Block);
    env.refused(RENEW, api.renew_card().body(renew(old)).call(), "has no reported issue").await;

    // Decline: the card stays FREEZE (the report froze it) and can then be unfrozen.
    let card = new;
    env.ok(api.report_card_issue().body(report(card, "FRAUD")).call()).await;
    let decline = |card_id: i64| DeclineCardRequest::builder().card_id(card_id).remarks("no fraud found".to_string());
    env.refused(DECLINE, api.decline_card().body(decline(card)).call(), "has not been reviewed yet").await;
    env.ok(api.review_card_issue().body(review(card)).call()).await;
    let declined = env.some(api.decline_card().body(decline(card)).call()).await;
    assert_eq!((declined.card_id, declined.card_status), (Some(card), Some(CardStatus::Freeze)));
    env.refused(DECLINE, api.decline_card().body(decline(card)).call(), "has no reported issue").await;
    let thawed = value(env.some(api.toggle_card_freeze().body(toggle(card, "report declined")).call()).await);
    assert_eq!(thawed["cardStatus"], "ACTIVE");

    // A physical card's replacement starts in issuance (PIN kept) and goes through to activation.
    let physical = env.new_card(&who, CardType::Physical).await.id.unwrap();
    env.ok(api.set_card_pin().body(pin(physical, "4821")).call()).await;
    env.ok(api.process_card_request().body(process(physical)).call()).await;
    env.ok(api.update_card_manufacturing().body(manufactured(physical)).call()).await;
    env.ok(api.update_card_delivery().body(delivery(physical, "DELIVERED")).call()).await;
    let (pan, expiry) = env.pan_and_expiry(physical).await;
    env.ok(api.activate_card().body(activation(physical, &pan, &expiry)).call()).await;
    env.ok(api.report_card_issue().body(report(physical, "STOLEN")).call()).await;
    env.ok(api.review_card_issue().body(review(physical)).call()).await;
    let replaced = value(env.some(api.replace_card().body(replace(physical)).call()).await);
    let new = replaced["cardId"].as_i64().unwrap();
    assert_eq!(replaced["status"], "ISSUANCE_IN_PROGRESS");
    let details = env.details(new).await;
    assert_eq!((details.card_type, details.pin_set), (Some(CardType::Physical), Some(true)));
    env.ok(api.update_card_manufacturing().body(manufactured(new)).call()).await;
    env.ok(api.update_card_delivery().body(delivery(new, "DELIVERED")).call()).await;
    let (new_pan, new_expiry) = env.pan_and_expiry(new).await;
    assert_ne!(new_pan, pan);
    let call = api.activate_card().body(activation(new, &pan, &new_expiry)).call();
    env.refused(ACTIVATE, call, "The PAN does not match the card").await;
    let activated = env.some(api.activate_card().body(activation(new, &new_pan, &new_expiry)).call()).await;
    assert_eq!(activated.card_status, Some(CardStatus::Active));

    // The reports, newest first: DECLINED, RENEWED, REPLACED... with the new card of each reissue.
    let reports = env.ok(api.list_reported_cards().per_page(10).call()).await;
    let reports: Vec<Value> = reports.into_iter().map(value).collect();
    let summary: Vec<(Option<&str>, Option<i64>)> =
        reports.iter().map(|r| (r["status"].as_str(), r["newCardId"].as_i64())).collect();
    assert_eq!(summary.len(), 4, "{reports:?}");
    assert_eq!(summary[0], (Some("REPLACED"), Some(new)));
    assert_eq!(summary[1], (Some("DECLINED"), None));
    assert_eq!(summary[2], (Some("RENEWED"), Some(card)));
    assert_eq!(summary[3], (Some("REPLACED"), Some(first_replacement)));
    assert_eq!(env.finish().await, (61, 62));
}
