//! The VaultsPay SDK end to end, offline: `cargo run -p vaultspay --example quickstart`.
//!
//! With no configuration it starts the VaultsPay sandbox in this process and walks one customer through the SDK,
//! every API request and answer encrypted (AES-256-GCM with an RSA-wrapped key) through the generated client
//! (`client.api().<operation>()…call().await`): SaaS login, a user with KYC (personal info, address, the admin's
//! verdict), an AED account funded and its IBAN, an IBAN validated, a payment contact and a direct transfer in
//! minor units, a virtual card and a physical one through manufacturing and delivery to activation, freeze and
//! unfreeze, a transaction limit and a purchase it declines (1050), the signed card-status webhooks verified, a
//! token expired by the server and renewed, the ledger and every account streamed with exact balances. It prints
//! one line per step, and exits non-zero on the first failure.
//!
//! What an admin, the card network or the bank does on the real service (the KYC verdict, a deposit, a card
//! purchase, registering the webhook, expiring tokens) goes to the sandbox's control routes under `/__sandbox`:
//! plaintext HTTP, sent here with reqwest.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use futures_util::TryStreamExt as _;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use vaultspay::api::types::{
    AccountType, AddressType, CardAddress, CardDeliveryStatus, CardStatus, CardType, CreateAccountRequest,
    CreateCardRequest, CreateDirectTransferRequest, CreateKycAddressRequest, CreateKycPersonalInfoRequest,
    CreatePaymentContactRequest, CreateUserRequest, GetCardDetailsRequest, GetCardExpiryRequest, GetCardPanRequest,
    KycGender, KycMaritalStatus, LimitFrequency, LimitType, ProcessCardRequestRequest, RuleTransactionType,
    SetCardPinRequest, ToggleCardFreezeRequest, TransferPurpose, UpdateCardDeliveryRequest,
    UpdateCardManufacturingRequest, UpdateTransactionLimitRequest, UserStatus, ValidateIbanRequest,
};
use vaultspay::pagination::PageOptions;
use vaultspay::webhooks::{Event, Verifier};
use vaultspay::{Call, Client, Decimal, Environment, Error, JsonMap};
use vaultspay_sandbox::Sandbox;

type Result<T, E = Box<dyn StdError>> = std::result::Result<T, E>;

/// The webhook secret registered with the sandbox (the partner sets it once in the SaaS platform).
const WEBHOOK_SECRET: &str = "whsec_quickstart_5d1c";

#[tokio::main]
async fn main() -> Result<()> {
    let started = Instant::now();
    // The published fixed test key: no RSA key generation at start (never use it for anything real).
    let sandbox = Sandbox::builder().fixed_key().start().await?;
    println!("VaultsPay sandbox running at {} (in this process)\n", sandbox.base_url());
    let control = Control { http: reqwest::Client::new(), base: format!("{}/__sandbox", sandbox.base_url()) };

    let client = Client::builder()
        .environment(Environment::Custom(sandbox.base_url().to_string()))
        .client_id(sandbox.client_id())
        .client_secret(sandbox.client_secret())
        .app_id(sandbox.app_id())
        .public_key(sandbox.public_key())?
        .build()?;

    // 1. SaaS login (client id + secret, encrypted like every call). The client would log in on first use anyway.
    client.login().await?;
    let ping = need(client.api().ping().call().await?, "ping")?;
    println!(
        "1. Logged in as {} (app {}): {} token request; ping: {:?}",
        sandbox.client_id(),
        sandbox.app_id(),
        client.token_requests(),
        ping.as_str(),
    );

    // 2. A user, created by e-mail and phone under the SaaS app's agent.
    let user = client
        .api()
        .create_user()
        .body(
            CreateUserRequest::builder()
                .first_name("Amira")
                .last_name("Haddad")
                .email("amira.haddad@example.com".to_string())
                .country_code("971".to_string())
                .phone("501112233".to_string())
                .status(UserStatus::Active),
        )
        .call()
        .await?;
    let user = need(user, "create_user")?;
    let user_id = need(user.id, "user id")?;
    println!(
        "2. User {user_id} created: {} <{}>, +{} {}, {}, under agent {}",
        text(&user.full_name),
        text(&user.email),
        text(&user.country_code),
        text(&user.phone),
        shown(user.status.as_ref()),
        shown(user.parent_id.as_ref()),
    );

    // 3. An AED account, funded by a deposit (control route: money arriving from outside).
    let account = client
        .api()
        .create_account()
        .body(CreateAccountRequest::builder().user_id(user_id).currency_id(2).account_type(AccountType::Digital))
        .call()
        .await?;
    let account = need(account, "create_account")?;
    let account_id = need(account.id, "account id")?;
    let currency = need(account.currency.as_ref(), "the account's currency")?;
    let decimals = need(vaultspay::money::decimal_point(currency), "the currency's decimalPoint")?;
    let code = text(&account.currency_code).to_string();
    control
        .post(&format!("/accounts/{account_id}/deposit"), json!({ "amount": 500_000, "narration": "SALARY" }))
        .await?;
    let funded = need(client.api().get_account().id(account_id).call().await?, "get_account")?;
    let funded_balance = need(funded.balance, "balance")?;
    println!(
        "3. Account {account_id} ({code}, {}): number {}, IBAN {}; deposit of 500000 minor units → balance {} {code}",
        shown(account.account_type.as_ref()),
        text(&account.account_number),
        text(&account.iban),
        exact(funded_balance),
    );

    // 4. KYC: personal info, a mailing address (its state and city looked up), then the admin's verdict. Before
    //    the verdict, a card is refused with 1035 ACTION_REQUIRED.
    let personal = client
        .api()
        .create_kyc_personal_info()
        .body(
            CreateKycPersonalInfoRequest::builder()
                .user_id(user_id)
                .first_name("Amira".to_string())
                .last_name("Haddad".to_string())
                .dob("1991-04-23".to_string())
                .gender(KycGender::Female)
                .marital_status(KycMaritalStatus::Single)
                .nationality("ARE".to_string())
                .country_of_birth("ARE".to_string())
                .country_of_residence("ARE".to_string())
                .language("ENGLISH".to_string()),
        )
        .call()
        .await?;
    let personal = need(personal, "create_kyc_personal_info")?;
    let countries = client.api().list_countries().call().await?;
    let uae = need(countries.iter().find(|c| c.iso2.as_deref() == Some("AE")).and_then(|c| c.id), "the UAE")?;
    let states = client.api().list_states().country_id(uae).call().await?;
    let dubai = need(states.iter().find(|s| s.name.as_deref() == Some("Dubai")).and_then(|s| s.id), "Dubai state")?;
    let cities = client.api().list_cities().state_id(dubai).call().await?;
    let city = need(cities.iter().find(|c| c.name.as_deref() == Some("Dubai")).and_then(|c| c.id), "Dubai city")?;
    let address = client
        .api()
        .create_kyc_address()
        .body(
            CreateKycAddressRequest::builder()
                .user_id(user_id)
                .type_(AddressType::Mailing)
                .country_id(uae)
                .state_id(dubai)
                .city_id(city)
                .address_line1("Apartment 1204, Marina Gate 2")
                .postal_code("00000".to_string()),
        )
        .call()
        .await?;
    let address = need(address, "create_kyc_address")?;
    let tiers = client.api().list_card_tiers().call().await?;
    let tier = need(
        tiers.iter().find(|t| t.card_types.as_deref().is_some_and(|c| c.contains("PHYSICAL"))),
        "a tier with physical cards",
    )?;
    let tier_id = need(tier.id, "tier id")?;
    let early = client
        .api()
        .create_card()
        .body(
            CreateCardRequest::builder()
                .card_tier_id(tier_id)
                .customer_id(user_id)
                .account_id(account_id)
                .card_type(CardType::Virtual)
                .card_holder_name("AMIRA HADDAD"),
        )
        .call()
        .await;
    let refused = match early {
        Err(Error::ActionRequired { action, .. }) => action.unwrap_or_default(),
        other => return Err(format!("a card before the KYC verdict should be refused with 1035, got {other:?}").into()),
    };
    let before = kyc_status(&client, user_id).await?;
    control.post(&format!("/kyc/{user_id}"), json!({ "status": "VERIFIED" })).await?;
    let after = kyc_status(&client, user_id).await?;
    println!(
        "4. KYC: personal info (born {}, {}), {} address {} in {}, {}; a card before the verdict → 1035 \
         {refused}; the admin's verdict → KYC {before} → {after}",
        text(&personal.dob).get(..10).unwrap_or("?"),
        text(&personal.nationality),
        shown(address.type_.as_ref()),
        shown(address.id.as_ref()),
        text(&address.city_name),
        text(&address.country_code),
    );

    // 5. IBAN validation: the bank's answer for a real IBAN; a mistyped one is refused locally, before sending.
    let iban = "AE680961000648060000040";
    let validation = client.api().validate_iban().body(ValidateIbanRequest::builder().iban(iban)).call().await?;
    let validation = need(validation, "validate_iban")?;
    let details = need(validation.details.as_ref(), "IBAN details")?;
    let sent = sandbox.requests().len();
    let typo = client.api().validate_iban().body(ValidateIbanRequest::builder().iban("AE680961000648060000041")).call();
    let local = match typo.await {
        Err(Error::InvalidRequest { message, .. }) if sandbox.requests().len() == sent => message,
        other => return Err(format!("a mistyped IBAN should be refused before sending, got {other:?}").into()),
    };
    println!(
        "5. IBAN {iban}: valid {}, holder {:?}, {} ({}); one digit off → {local}",
        shown(validation.valid.as_ref()),
        text(&details.account_title),
        text(&details.bank_name),
        text(&details.swift_code),
    );

    // 6. A payment contact and a direct transfer: `amount` is an integer in minor units (sent once, never retried).
    let contact = client
        .api()
        .create_payment_contact()
        .body(CreatePaymentContactRequest::builder().title("Landlord").iban(iban))
        .call()
        .await?;
    let contact = need(contact, "create_payment_contact")?;
    let contact_id = need(contact.id, "contact id")?;
    let rent: Decimal = "1250.50".parse()?;
    let minor = vaultspay::money::to_minor_units(rent, decimals)?;
    let transfer = client
        .api()
        .create_direct_transfer()
        .body(
            CreateDirectTransferRequest::builder()
                .sender_account_id(account_id.to_string())
                .payment_contact_id(contact_id.to_string())
                .amount(minor)
                .purpose(TransferPurpose::Rent)
                .description("Rent May"),
        )
        .call()
        .await?;
    let transfer = need(transfer, "create_direct_transfer")?;
    let after_rent = need(client.api().get_account().id(account_id).call().await?.and_then(|a| a.balance), "balance")?;
    println!(
        "6. Contact {contact_id} ({}): transaction {} of {rent} {code} = {minor} minor units, {}, ref {}; \
         balance {} → {}",
        text(&contact.title),
        shown(transfer.id.as_ref()),
        text(&transfer.status),
        text(&transfer.gateway_ref_id),
        exact(funded_balance),
        exact(after_rent),
    );

    // The card-status webhook: a local receiver that verifies each delivery, registered with the sandbox.
    let (hook_url, mut events) = receiver(Verifier::new(WEBHOOK_SECRET)).await?;
    control.put("/webhook", json!({ "url": hook_url, "secret": WEBHOOK_SECRET })).await?;

    // 7. A virtual card: ACTIVE at once, embossed with one of the names VaultsPay allows for the user.
    let names = need(client.api().list_embossing_names().user_id(user_id).call().await?, "embossing names")?;
    let holder = need(names.names.as_ref().and_then(|n| n.first()).cloned(), "an embossing name")?;
    let card = |card_type: CardType| {
        CreateCardRequest::builder()
            .card_tier_id(tier_id)
            .customer_id(user_id)
            .account_id(account_id)
            .card_type(card_type)
            .card_holder_name(holder.clone())
    };
    let virtual_card = need(client.api().create_card().body(card(CardType::Virtual)).call().await?, "virtual card")?;
    let virtual_id = need(virtual_card.id, "card id")?;
    println!(
        "7. Virtual card {virtual_id}: {} {} ****{} for {holder:?} ({}), {}",
        shown(virtual_card.card_network.as_ref()),
        shown(virtual_card.payment_card_type.as_ref()),
        text(&virtual_card.last_four_digits),
        text(&tier.title),
        shown(virtual_card.status.as_ref()),
    );

    // 8. A physical card, through the pipeline: requested → PIN → processed → manufactured → delivered →
    //    activated with its own PAN and expiry (read through the encrypted secrets endpoints).
    let delivery = CardAddress::builder()
        .type_(AddressType::Mailing)
        .country("ARE".to_string())
        .state("Dubai".to_string())
        .city("Dubai".to_string())
        .address_line1("Apartment 1204, Marina Gate 2".to_string());
    let physical = client.api().create_card().body(card(CardType::Physical).address(CardAddress::try_from(delivery)?));
    let physical = need(physical.call().await?, "physical card")?;
    let physical_id = need(physical.id, "card id")?;
    let physical_token = physical.token.as_ref().and_then(|t| t.scalar_text()).and_then(|t| t.parse::<i64>().ok());
    let mut path = vec![shown(physical.status.as_ref())];
    let pin = JsonMap::from_iter([("cardId", json!(physical_id)), ("pin", json!("4821"))]);
    client.api().set_card_pin().body(SetCardPinRequest::from(pin)).call().await?;
    let processed = client
        .api()
        .process_card_request()
        .body(
            ProcessCardRequestRequest::builder()
                .card_id(physical_id)
                .status(CardStatus::IssuanceInProgress)
                .remarks("Approved by operations".to_string()),
        )
        .call()
        .await?;
    path.push(shown(need(processed, "process_card_request")?.status.as_ref()));
    let made = JsonMap::from_iter([("cardId", json!(physical_id)), ("manufacturingStatus", json!("MANUFACTURED"))]);
    client.api().update_card_manufacturing().body(UpdateCardManufacturingRequest::from(made)).call().await?;
    path.push("MANUFACTURED".to_string());
    let delivered = client
        .api()
        .update_card_delivery()
        .body(UpdateCardDeliveryRequest::builder().card_id(physical_id).delivery_status(CardDeliveryStatus::Delivered))
        .call()
        .await?;
    let delivered = need(delivered, "update_card_delivery")?;
    path.push(format!("{} ({})", shown(delivered.delivery_status.as_ref()), shown(delivered.card_status.as_ref())));
    let pan = client.api().get_card_pan().body(GetCardPanRequest::builder().card_id(physical_id)).call().await?;
    let pan = need(pan.and_then(|p| p.pan), "the card's PAN")?;
    let expiry = client.api().get_card_expiry().body(GetCardExpiryRequest::builder().card_id(physical_id)).call();
    let expiry = need(expiry.await?.and_then(|e| e.expiry), "the card's expiry")?;
    let activated = client
        .api()
        .activate_card()
        .body(
            vaultspay::api::types::ActivateCardRequest::builder()
                .card_id(physical_id)
                .pan(pan.clone())
                .expiry_date(expiry.clone()),
        )
        .call()
        .await?;
    path.push(shown(need(activated, "activate_card")?.card_status.as_ref()));
    println!(
        "8. Physical card {physical_id} ****{}: {}; activated with its PAN ({} digits) and expiry {expiry}",
        pan.get(pan.len().saturating_sub(4)..).unwrap_or("????"),
        path.join(" → "),
        pan.len(),
    );

    // 9. Freeze and unfreeze (Toggle Freeze), confirmed by the card's details.
    let mut statuses = Vec::new();
    for reason in ["Card misplaced", "Card found"] {
        let toggle = ToggleCardFreezeRequest::builder().card_id(physical_id).status_reason(reason.to_string());
        let toggled = need(client.api().toggle_card_freeze().body(toggle).call().await?, "toggle_card_freeze")?;
        let status = toggled.get("cardStatus").and_then(|s| s.scalar_text()).unwrap_or_else(|| "?".into());
        statuses.push(format!("{status} ({reason:?})"));
    }
    let details = client.api().get_card_details().body(GetCardDetailsRequest::builder().card_id(physical_id)).call();
    let now = need(details.await?, "get_card_details")?;
    println!(
        "9. Physical card {physical_id}: ACTIVE → {}; details say {}",
        statuses.join(" → "),
        shown(now.status.as_ref())
    );

    // 10. A transaction limit: the virtual card's one-time purchase limit lowered, then two purchases (control
    //     route: what the card network sends): one within it, one it declines with 1050.
    let limits = client
        .api()
        .get_transaction_limits()
        .card_id(virtual_id)
        .transaction_type(RuleTransactionType::Purchase)
        .call()
        .await?;
    let limit = need(
        limits.iter().find(|l| l.frequency == Some(LimitFrequency::OneTime) && l.limit_type == Some(LimitType::Limit)),
        "the one-time purchase limit",
    )?;
    let limit_id = need(limit.id, "limit id")?;
    let updated = client
        .api()
        .update_transaction_limit()
        .body(
            UpdateTransactionLimitRequest::builder()
                .transaction_type(RuleTransactionType::Purchase)
                .card_id(virtual_id.to_string())
                .id(limit_id.to_string())
                .value("100.00"),
        )
        .call()
        .await?;
    let updated = need(updated, "update_transaction_limit")?;
    let purchase = |minor: i64, merchant: &str| {
        json!({ "cardId": virtual_id, "amount": minor, "currency": code, "mcc": "5411", "online": true,
                "merchant": merchant, "city": "Dubai" })
    };
    let approved = control.post("/purchase", purchase(4_000, "Spinneys")).await?;
    let (status, declined) = control.send_raw("/purchase", purchase(25_000, "Sharaf DG")).await?;
    if status.is_success() || declined["code"].as_i64() != Some(1050) {
        return Err(
            format!("the purchase above the limit should be declined with 1050, got {status} {declined}").into()
        );
    }
    let rule = declined["errors"][0]["reason"].as_str().unwrap_or("?");
    println!(
        "10. Limit {limit_id} ({}): {} → {} {}; purchase of 40.00 {code} at Spinneys {}; 250.00 {code} → {} \
         {}: {rule}",
        text(&updated.slug),
        exact(need(limit.limit, "limit")?),
        exact(need(updated.limit, "limit")?),
        text(&updated.currency_code),
        approved["data"]["status"].as_str().unwrap_or("?"),
        declined["code"],
        declined["type"].as_str().unwrap_or("?"),
    );

    // 11. The card-status webhooks of the physical card (one per status change), each signature verified.
    let mut received = Vec::new();
    while received.len() < 5 {
        match tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
            Ok(Some(Event::CardStatus(event))) => received.push(event),
            Ok(Some(other)) => return Err(format!("an unexpected webhook event: {:?}", other.event_type()).into()),
            Ok(None) | Err(_) => return Err(format!("{} of 5 card-status webhooks within 5 s", received.len()).into()),
        }
    }
    let tokens: Vec<i64> = received.iter().map(|e| e.card.token).collect();
    if physical_token.is_none_or(|t| tokens.iter().any(|x| *x != t)) {
        return Err(format!("webhooks for cards {tokens:?}, expected the physical card {physical_token:?}").into());
    }
    let changes = chain(&received);
    println!(
        "11. {} card-status webhooks verified (VaultsPay-Signature t=…,v1=… HMAC-SHA256) for card token {}: \
         {changes}",
        received.len(),
        tokens[0],
    );

    // 12. The server expires every access token: the next call is rejected (401/1003), the client refreshes once
    //     and replays it once.
    let before = client.token_requests();
    control.post("/tokens/expire", json!({})).await?;
    let sends = |sandbox: &Sandbox| {
        sandbox.requests().iter().filter(|r| r.path == format!("/be/api/v1/accounts/{account_id}")).count()
    };
    let sent = sends(&sandbox);
    let account_now = need(client.api().get_account().id(account_id).call().await?, "get_account")?;
    let (sends, renewals) = (sends(&sandbox) - sent, client.token_requests() - before);
    if (sends, renewals) != (2, 1) {
        return Err(format!("after the expiry: {sends} sends and {renewals} token requests, expected 2 and 1").into());
    }
    println!(
        "12. Tokens expired by the server: get_account sent {} times (rejected with 1003, replayed once), token \
         requests {before} → {} (one refresh); balance {} {code}",
        sends,
        client.token_requests(),
        exact(need(account_now.balance, "balance")?),
    );

    // 13. The ledger (newest first, running balance after each row) and every account, streamed page by page,
    //     with exact totals per currency.
    let ledger = client.api().get_account_ledger().id(account_id).call().await?;
    let mut rows = Vec::new();
    let mut net = Decimal::ZERO;
    for row in ledger.iter().rev() {
        let (credit, debit) = (row.credit.unwrap_or_default(), row.debit.unwrap_or_default());
        net += credit - debit;
        let movement = if debit.is_zero() { format!("+{}", exact(credit)) } else { format!("-{}", exact(debit)) };
        rows.push(format!("{movement} = {}", exact(row.balance.unwrap_or_default())));
    }
    let balance = need(account_now.balance, "balance")?;
    if net != balance {
        return Err(format!("the ledger sums to {net}, the balance is {balance}").into());
    }
    let mut accounts = client.api().list_accounts().per_page(2).stream(PageOptions::default());
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut streamed = 0;
    while let Some(a) = accounts.try_next().await? {
        streamed += 1;
        *totals.entry(a.currency_code.clone().unwrap_or_default()).or_default() += a.balance.unwrap_or_default();
    }
    let totals: Vec<String> = totals.iter().map(|(c, t)| format!("{} {c}", exact(*t))).collect();
    println!(
        "13. Ledger of account {account_id}: [{}] (sums to the balance {} {code}); {streamed} accounts streamed in {} \
         pages of 2: {}",
        rows.join(", "),
        exact(balance),
        accounts.pages_read(),
        totals.join(", "),
    );

    let requests = sandbox.requests();
    let api: Vec<_> = requests.iter().filter(|r| !r.path.starts_with("/__sandbox")).collect();
    let encrypted =
        api.iter().filter(|r| r.header("x-session-nonce").is_some() && r.header("x-auth-signature").is_some());
    let encrypted = encrypted.count();
    if encrypted != api.len() {
        return Err(format!("{} of {} API requests were sent unencrypted", api.len() - encrypted, api.len()).into());
    }
    println!(
        "\nDone in {:.1} s: {} requests to the sandbox ({} API calls, all encrypted; {} control), all offline.",
        started.elapsed().as_secs_f64(),
        requests.len(),
        api.len(),
        requests.len() - api.len(),
    );
    sandbox.shutdown().await;
    Ok(())
}

/// The sandbox's control routes (plaintext JSON, no token).
struct Control {
    http: reqwest::Client,
    base: String,
}

impl Control {
    /// POSTs and returns the status and the JSON answer, whatever the status.
    async fn send_raw(&self, path: &str, body: Value) -> Result<(StatusCode, Value)> {
        let answer = self.http.post(format!("{}{path}", self.base)).json(&body).send().await?;
        let status = StatusCode::from_u16(answer.status().as_u16())?;
        Ok((status, answer.json().await?))
    }

    /// POSTs and returns the JSON answer of a success; any other status is an error.
    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        let (status, answer) = self.send_raw(path, body).await?;
        if !status.is_success() {
            return Err(format!("control POST {path}: {status} {answer}").into());
        }
        Ok(answer)
    }

    /// PUTs; any status but a success is an error.
    async fn put(&self, path: &str, body: Value) -> Result<()> {
        let answer = self.http.put(format!("{}{path}", self.base)).json(&body).send().await?;
        if !answer.status().is_success() {
            return Err(format!("control PUT {path}: {}", answer.status()).into());
        }
        Ok(())
    }
}

/// The user's KYC status, read through the API.
async fn kyc_status(client: &Client, user_id: i64) -> Result<String> {
    let kyc = client.api().get_user_kyc().user_id(user_id).call().await?;
    Ok(shown(kyc.and_then(|k| k.status).as_ref()))
}

/// Serves the webhook receiver on a free local port: verifies each delivery's signature over the raw bytes, then
/// hands the event on. Returns the callback URL and the queue of verified events.
async fn receiver(verifier: Verifier) -> Result<(String, mpsc::UnboundedReceiver<Event>)> {
    async fn receive(
        State(app): State<Arc<(Verifier, mpsc::UnboundedSender<Event>)>>,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        match app.0.verify_event(&headers, &body) {
            Ok(event) => match app.1.send(event) {
                Ok(()) => StatusCode::OK,
                Err(_) => StatusCode::SERVICE_UNAVAILABLE,
            },
            Err(err) => {
                eprintln!("refused a webhook delivery: {err}");
                err.status()
            }
        }
    }
    let (queue, events) = mpsc::unbounded_channel();
    let router = axum::Router::new()
        .route("/webhooks/vaultspay", axum::routing::post(receive))
        .with_state(Arc::new((verifier, queue)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks/vaultspay", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok((url, events))
}

/// The status changes of the events as one chain (`REQUESTED → ISSUANCE_IN_PROGRESS → …`): deliveries are
/// concurrent and may arrive in any order, each names the status it left.
fn chain(events: &[vaultspay::webhooks::CardStatusEvent]) -> String {
    let code = |s: &vaultspay::webhooks::Status| s.code.as_str().to_string();
    let mut left: Vec<(String, String)> = events
        .iter()
        .map(|e| (e.status.previous.as_ref().map_or_else(|| "?".to_string(), code), code(&e.status.current)))
        .collect();
    let Some(start) = left.iter().position(|(from, _)| !left.iter().any(|(_, to)| to == from)) else {
        return left.iter().map(|(f, t)| format!("{f} → {t}")).collect::<Vec<_>>().join(", ");
    };
    let (first, mut at) = left.remove(start);
    let mut chain = vec![first, at.clone()];
    while let Some(next) = left.iter().position(|(from, _)| *from == at) {
        at = left.remove(next).1;
        chain.push(at.clone());
    }
    chain.extend(left.iter().map(|(f, t)| format!("(and {f} → {t})")));
    chain.join(" → ")
}

/// An amount as the currency writes it: exact, trailing zeros beyond two decimals dropped (`3709.50000000` →
/// `3709.50`); never rounded.
fn exact(amount: Decimal) -> Decimal {
    let mut short = amount.normalize();
    if short.scale() < 2 {
        short.rescale(2);
    }
    short
}

/// The payload of an answer that must carry one.
fn need<T>(value: Option<T>, what: &str) -> Result<T> {
    value.ok_or_else(|| format!("the answer has no {what}").into())
}

/// An optional text for the report.
fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("?")
}

/// An optional value for the report.
fn shown(value: Option<&impl std::fmt::Display>) -> String {
    value.map_or_else(|| "?".into(), |v| v.to_string())
}
