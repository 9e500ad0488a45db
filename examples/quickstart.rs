//! The SDK end to end, offline: `cargo run --example quickstart`.
//!
//! With no configuration it starts the Baanx sandbox in this process and walks one user through the SDK: OAuth
//! sign-in (API mode, PKCE), profile, card status → order → freeze → unfreeze, every card transaction streamed with
//! an exact total, balances, a fee estimate and a withdrawal, and a webhook registered and one signed delivery
//! verified. It prints a short report.
//!
//! With `BAANX_CLIENT_KEY` set (and `BAANX_ENV` or `BAANX_BASE_URL`, optionally `BAANX_REGION`), it runs only the
//! read-only part against that environment instead; with `BAANX_EMAIL` and `BAANX_PASSWORD` too, it signs in and
//! reads that user's profile, card, first transactions and balances. It never changes anything there.

use std::time::{Duration, SystemTime};

use anyhow::{Context as _, bail};
use baanx::api::types::{CardOrderType, OrderCardRequest, WithdrawCreditWalletRequest};
use baanx::auth::LoginOutcome;
use baanx::pagination::PageOptions;
use baanx::webhooks::{EventPayload, Verifier, WebhookConfig};
use baanx::{Call, Client, Decimal, Environment, Error};
use futures_util::{StreamExt as _, TryStreamExt as _};

#[allow(dead_code)]
#[path = "webhook_receiver.rs"]
mod receiver;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::var_os("BAANX_CLIENT_KEY").is_some() {
        return read_only().await;
    }
    let started = std::time::Instant::now();
    let sandbox = baanx_sandbox::Sandbox::builder().transactions(250).start().await?;
    println!("Baanx sandbox running at {} (in this process)\n", sandbox.base_url());

    // A backend client: it holds the secret key, which an app must never ship (see examples/oauth_split.rs).
    let client = Client::builder()
        .environment(Environment::Custom(sandbox.base_url().to_string()))
        .client_key(sandbox.client_key())
        .secret_key(sandbox.secret_key().to_string())
        .build()?;

    // 1. Sign in: OAuth 2.0, API mode, PKCE (S256).
    let user = sandbox.user();
    let flow = client.oauth().start_api_mode("https://app.example.com/callback").await?;
    match client.login(user.email.clone(), user.password.clone()).await? {
        LoginOutcome::Authenticated(_) => {}
        other => bail!("the sandbox user should sign in directly, got {other:?}"),
    }
    let code = flow.authorize(&client).await?;
    let session = client.oauth().exchange(code).await?;
    let tokens = session.tokens().context("signed in")?;
    let lifetime = tokens.expires_at().duration_since(SystemTime::now()).unwrap_or_default();
    println!(
        "1. Signed in {} with OAuth (PKCE S256): access token for {} min, refresh token {}, tenant {}",
        user.email,
        lifetime.as_secs() / 60,
        if tokens.refresh_token().is_some() { "kept" } else { "none" },
        tokens.tenant().unwrap_or("?"),
    );

    // 2. Profile.
    let me = client.api().get_user().call().await?;
    println!(
        "2. Profile: {} {} <{}>, KYC {}",
        me.first_name.as_deref().unwrap_or("?"),
        me.last_name.as_deref().unwrap_or("?"),
        me.email.as_deref().unwrap_or("?"),
        show(me.verification_state.as_ref()),
    );

    // 3. A webhook endpoint, served by examples/webhook_receiver.rs in this process.
    let (queue, mut events) = tokio::sync::mpsc::channel(16);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook_url = format!("http://{}/baanx/webhooks", listener.local_addr()?);
    let config = WebhookConfig::new("Quickstart", &hook_url, ["card.*"]).active(true);
    let created = client.webhooks().create(config).await?;
    let receiver = receiver::Receiver::new(Verifier::new(created.signing_key), queue);
    tokio::spawn(async move { axum::serve(listener, receiver::app(receiver)).await });
    println!("3. Webhook {} registered for card.* at {hook_url}", created.webhook.id.as_deref().unwrap_or("?"));

    // 4. The card: none yet → order → freeze → unfreeze.
    match client.api().get_card_status().call().await {
        Err(Error::NotFound { .. }) => {}
        other => bail!("a new user has no card yet, got {other:?}"),
    }
    client.api().order_card().body(OrderCardRequest::builder().type_(CardOrderType::Virtual)).call().await?;
    let card = client.api().get_card_status().call().await?;
    client.api().freeze_card().call().await?;
    let frozen = client.api().get_card_status().call().await?.status;
    client.api().unfreeze_card().call().await?;
    let active = client.api().get_card_status().call().await?.status;
    println!(
        "4. Card: none → ordered {} card ****{} → {} → {}",
        show(card.type_.as_ref()),
        card.pan_last4.as_deref().unwrap_or("????"),
        show(frozen.as_ref()),
        show(active.as_ref()),
    );

    // 5. The signed delivery of card.activated, verified by the receiver.
    let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await?.context("a delivery")?;
    let kind = match &event.payload {
        EventPayload::CardActivated(_) => "card activated",
        _ => "other",
    };
    println!(
        "5. Webhook delivery verified (HMAC-SHA256, timestamp within 300 s): {} ({kind}), event {}",
        event.event_type, event.id
    );

    // 6. Every card transaction, streamed page by page, with an exact total. The sandbox answers like the live
    //    API: `mcc` as a string or a number, timestamps with several offsets, cashback and undocumented members.
    let transactions = client.api().list_card_transactions().stream(PageOptions::default());
    let (count, total, kept) = transactions
        .try_fold((0u64, Decimal::ZERO, 0usize), |(n, sum, kept), tx| async move {
            Ok((n + 1, sum + tx.amount_in_transaction_currency.unwrap_or_default(), kept + tx.extra.len()))
        })
        .await?;
    let cashback = client.api().get_card_cashback().call().await?;
    println!(
        "6. {count} card transactions streamed; total spent {total} (exact decimal, never f64); {kept} undocumented \
         members kept; cashback {} {} at {}%",
        cashback.amount.unwrap_or_default(),
        show(cashback.currency.as_ref()),
        show(cashback.rate_percent.as_ref()),
    );

    // 7. Balances, and the external wallet's on-chain allowance (an unlimited ERC-20 approval is 2^256−1 base units).
    let external = client.api().list_external_wallets().call().await?;
    let allowances: Vec<String> = external
        .iter()
        .filter_map(|w| w.allowance)
        .map(|a| if a.is_unlimited() { "unlimited".to_string() } else { a.to_string() })
        .collect();
    let credit = client.api().get_credit_wallet().call().await?;
    let reward = client.api().get_reward_wallet().call().await?;
    let internal = client.api().list_internal_wallets().call().await?;
    let custodial: Vec<String> =
        internal.iter().map(|w| format!("{} {}", w.balance.unwrap_or_default(), show(w.currency.as_ref()))).collect();
    println!(
        "7. Balances: credit {} {}, reward {} {}, custodial [{}]; external allowances [{}]",
        credit.balance.unwrap_or_default(),
        show(credit.currency.as_ref()),
        reward.balance.unwrap_or_default(),
        show(reward.currency.as_ref()),
        custodial.join(", "),
        allowances.join(", "),
    );

    // 8. A fee estimate and a withdrawal (sent once: money-moving calls are never retried automatically).
    let fee = client.api().estimate_credit_withdrawal().call().await?;
    let amount: Decimal = "10.00".parse()?;
    let withdrawal = client
        .api()
        .withdraw_credit_wallet()
        .body(WithdrawCreditWalletRequest::builder().amount(amount))
        .call()
        .await?;
    let after = client.api().get_credit_wallet().call().await?.balance.unwrap_or_default();
    println!(
        "8. Withdrawal of {amount} USDC (estimated gas {} USDC): tx {}; credit balance {} → {after}",
        fee.usdc.unwrap_or_default().round_dp(6),
        withdrawal.tx_hash.as_deref().unwrap_or("?"),
        credit.balance.unwrap_or_default(),
    );

    let requests = sandbox.requests().len();
    println!("\nDone in {:.1} s: {requests} requests to the sandbox, all offline.", started.elapsed().as_secs_f64());
    Ok(())
}

/// An optional value for the report.
fn show(value: Option<&impl std::fmt::Display>) -> String {
    value.map_or_else(|| "?".into(), |v| v.to_string())
}

/// Against a real environment: reads only.
async fn read_only() -> anyhow::Result<()> {
    let client = Client::from_env()?;
    println!("Read-only quickstart against {:?}", client);
    let settings = client.api().get_registration_settings().call().await?;
    println!("Registration settings: {} countries", settings.countries.as_ref().map_or(0, Vec::len));
    let (Ok(email), Ok(password)) = (std::env::var("BAANX_EMAIL"), std::env::var("BAANX_PASSWORD")) else {
        println!("Set BAANX_EMAIL and BAANX_PASSWORD to read a user's profile, card and balances too.");
        return Ok(());
    };
    match client.login(email, password).await? {
        LoginOutcome::Authenticated(_) => {}
        LoginOutcome::OtpRequired { .. } => bail!("this user needs an OTP: not supported by the read-only quickstart"),
        LoginOutcome::OnboardingIncomplete { phase, .. } => bail!("this user's registration stops at {phase}"),
        other => bail!("unexpected sign-in outcome: {other:?}"),
    }
    let me = client.api().get_user().call().await?;
    println!("Profile: {:?} {:?}", me.first_name, me.last_name);
    match client.api().get_card_status().call().await {
        Ok(card) => println!("Card ****{}: {:?}", card.pan_last4.unwrap_or_default(), card.status),
        Err(Error::NotFound { .. }) => println!("No card yet"),
        Err(e) => return Err(e.into()),
    }
    let first: Vec<_> =
        client.api().list_card_transactions().stream(PageOptions::default()).take(20).try_collect().await?;
    println!("Latest transactions: {}", first.len());
    let credit = client.api().get_credit_wallet().call().await?;
    println!("Credit wallet: {} {}", credit.balance.unwrap_or_default(), show(credit.currency.as_ref()));
    Ok(())
}
