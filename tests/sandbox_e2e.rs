//! The SDK end to end against the stateful sandbox (`baanx-sandbox`, which speaks the wire format of the docs
//! without using this crate): sign-in flows with real PKCE, rotating refresh tokens, tenants, refresh races,
//! paging over shifting pages, retries under injected faults, and signed webhook deliveries.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use baanx::api::types::{CardOrderType, CardStatus, OrderCardRequest, WithdrawCreditWalletRequest};
use baanx::auth::{LoginOutcome, Session, TokenSet};
use baanx::pagination::PageOptions;
use baanx::retry::RetryPolicy;
use baanx::webhooks::{EventPayload, Verifier, WebhookConfig};
use baanx::{Call, Client, Environment, Error, Region};
use baanx_sandbox::{Fault, FaultRule, Sandbox};
use futures_util::TryStreamExt as _;

fn client_for(sandbox: &Sandbox, region: Region) -> Client {
    Client::builder()
        .environment(Environment::Custom(sandbox.base_url().to_string()))
        .client_key(sandbox.client_key())
        .secret_key(sandbox.secret_key().to_string())
        .region(region)
        .retry(RetryPolicy::standard().base_delay(Duration::from_millis(10)))
        .build()
        .unwrap()
}

async fn oauth_sign_in(client: &Client, sandbox: &Sandbox) -> Session {
    let user = sandbox.user();
    let flow = client.oauth().start_api_mode("https://app.example/cb").await.unwrap();
    let LoginOutcome::Authenticated(_) = client.login(user.email.clone(), user.password.clone()).await.unwrap() else {
        panic!("login")
    };
    let code = flow.authorize(client).await.unwrap();
    client.oauth().exchange(code).await.unwrap()
}

fn count(sandbox: &Sandbox, method: &str, path: &str) -> usize {
    sandbox.requests().iter().filter(|r| r.method == method && r.path == path).count()
}

#[tokio::test]
async fn api_mode_sign_in_then_refresh_ahead_with_rotation() {
    let sandbox = Sandbox::builder().access_token_ttl(Duration::from_secs(4)).start().await.unwrap();
    let client = client_for(&sandbox, Region::International);
    let session = oauth_sign_in(&client, &sandbox).await;
    let first = session.tokens().unwrap();
    assert_eq!(first.tenant(), Some("baanx-intl"));
    assert!(matches!(client.api().get_card_status().call().await, Err(Error::NotFound { .. })), "no card yet");

    // Half-way through the 4 s lifetime the next call renews first, and the refresh token rotates.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(matches!(client.api().get_card_status().call().await, Err(Error::NotFound { .. })));
    assert_eq!(session.refresh_count(), 1);
    let second = session.tokens().unwrap();
    assert_ne!(
        second.refresh_token().map(|t| secrecy::ExposeSecret::expose_secret(t).to_string()),
        first.refresh_token().map(|t| secrecy::ExposeSecret::expose_secret(t).to_string())
    );
    let refreshes = sandbox.requests().into_iter().filter(|r| r.path == "/v1/auth/oauth/token").collect::<Vec<_>>();
    assert_eq!(refreshes.len(), 2, "the code exchange and one refresh");
    assert_eq!(refreshes[1].json().unwrap()["grant_type"], "refresh_token");
    assert_eq!(refreshes[1].header("x-secret-key"), Some(sandbox.secret_key()), "the backend client sends its secret");

    // The rotated-away refresh token is refused: a session still holding it ends.
    let stale = TokenSet::new(first.access_token().clone(), SystemTime::now(), Region::International)
        .with_refresh_token(first.refresh_token().unwrap().clone(), None);
    let stale = client.with_session(Session::from_tokens(stale).unwrap());
    let err = stale.api().get_card_status().call().await.unwrap_err();
    assert!(matches!(err, Error::SessionExpired { .. }), "{err:?}");
}

#[tokio::test]
async fn hosted_flows_with_the_browser_played_by_the_test() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox, Region::International);
    let user = sandbox.user();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // Documented hosted mode: initiate answers 302 to the hosted page; the SDK reads it without following.
    let flow = client.oauth().start_hosted("https://app.example/cb").await.unwrap();
    let session_id = flow.url().query_pairs().find(|(k, _)| k == "session").unwrap().1.into_owned();
    let answer = browser
        .post(format!("{}/hosted/login", sandbox.base_url()))
        .json(&serde_json::json!({"session": session_id, "email": user.email, "password": user.password}))
        .send()
        .await
        .unwrap();
    let callback = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(matches!(flow.complete(&callback.replace("state=", "state=x")), Err(Error::StateMismatch)));
    client.oauth().exchange(flow.complete(&callback).unwrap()).await.unwrap();
    assert!(client.api().get_user().call().await.is_ok());

    // The oauth2 page production apps use.
    let app = client.detached();
    let flow = app.oauth().hosted_page("myapp://callback", &[]);
    let answer = browser
        .post(flow.url().as_str())
        .json(&serde_json::json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .unwrap();
    let callback = answer.headers()["location"].to_str().unwrap().to_string();
    let session = app.oauth().exchange(flow.complete(&callback).unwrap()).await.unwrap();
    assert!(session.tokens().unwrap().refresh_token().is_some(), "offline_access brings a refresh token");
    assert!(app.api().get_user().call().await.is_ok());
}

#[tokio::test]
async fn otp_login_with_the_rate_limit() {
    let sandbox = Sandbox::builder().otp_rate_limit(2, Duration::from_secs(60)).start().await.unwrap();
    let client = client_for(&sandbox, Region::International);
    let user = sandbox.otp_user();
    let LoginOutcome::OtpRequired { user_id, .. } =
        client.login(user.email.clone(), user.password.clone()).await.unwrap()
    else {
        panic!("OTP expected")
    };
    client.send_otp(&user_id).await.unwrap();
    client.send_otp(&user_id).await.unwrap();
    let err = client.send_otp(&user_id).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { retry_after: Some(_), .. }), "{err:?}");
    assert_eq!(count(&sandbox, "POST", "/v1/auth/login/otp"), 3, "a POST is not retried, even on 429");
    let outcome =
        client.login_with_otp(user.email.clone(), user.password.clone(), sandbox.otp_code().to_string()).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::Authenticated(_)));
    let onboarding = sandbox.onboarding_user();
    let outcome = client.detached().login(onboarding.email.clone(), onboarding.password.clone()).await.unwrap();
    assert!(
        matches!(&outcome, LoginOutcome::OnboardingIncomplete { phase, .. } if phase.as_str() == "PHONE_NUMBER"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn tenants_do_not_mix() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let us = client_for(&sandbox, Region::Us);
    let user = sandbox.us_user();
    let LoginOutcome::Authenticated(session) = us.login(user.email.clone(), user.password.clone()).await.unwrap()
    else {
        panic!("US login")
    };
    us.api().get_user().call().await.unwrap();
    let login = sandbox.requests().into_iter().find(|r| r.path == "/v1/auth/login").unwrap();
    assert_eq!(login.header("x-us-env"), Some("true"));

    // The SDK refuses before sending ...
    let intl = client_for(&sandbox, Region::International).with_session(session.clone());
    assert!(matches!(intl.api().get_user().call().await, Err(Error::RegionMismatch { .. })));
    // ... and the server refuses a US token on the international tenant too.
    let tokens = session.tokens().unwrap();
    let mislabelled = TokenSet::new(tokens.access_token().clone(), tokens.expires_at(), Region::International);
    let intl = client_for(&sandbox, Region::International).with_session(Session::from_tokens(mislabelled).unwrap());
    let err = intl.api().get_user().call().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_share_one_refresh() {
    let sandbox = Sandbox::builder().access_token_ttl(Duration::from_secs(3600)).start().await.unwrap();
    let client = client_for(&sandbox, Region::International);
    let session = oauth_sign_in(&client, &sandbox).await;
    let tokens = session.tokens().unwrap();
    let expired = TokenSet::new(tokens.access_token().clone(), SystemTime::now(), Region::International)
        .with_refresh_token(tokens.refresh_token().unwrap().clone(), None);
    let user = client.with_session(Session::from_tokens(expired).unwrap());
    sandbox.clear_requests();
    let calls = (0..1000).map(|_| {
        let user = user.clone();
        tokio::spawn(async move { user.api().get_credit_wallet().call().await })
    });
    let results = futures_util::future::join_all(calls).await;
    assert_eq!(results.iter().filter(|r| !matches!(r, Ok(Ok(_)))).count(), 0);
    assert_eq!(count(&sandbox, "POST", "/v1/auth/oauth/token"), 1, "one refresh for 1000 calls");
    assert_eq!(count(&sandbox, "GET", "/v1/wallet/credit"), 1000);
}

#[tokio::test]
async fn paging_survives_new_purchases_and_the_past_the_end_quirk() {
    let sandbox = Sandbox::builder()
        .transactions(1000)
        .transactions_page_size(50)
        .past_end_returns_first_page(true)
        .start()
        .await
        .unwrap();
    let client = client_for(&sandbox, Region::International);
    oauth_sign_in(&client, &sandbox).await;
    let mut stream = client.api().list_card_transactions().stream(PageOptions::default().prefetch(0));
    let mut ids = Vec::new();
    let mut added = false;
    while let Some(tx) = stream.try_next().await.unwrap() {
        ids.push(tx.id.unwrap());
        if ids.len() == 10 && !added {
            // The user pays while the app reads: every later page shifts by 3.
            sandbox.add_card_transactions(&sandbox.user().user_id, 3);
            added = true;
        }
    }
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "no transaction twice");
    assert_eq!(ids.len(), 1000, "every original transaction once (the new ones are above what was read)");
    let pages = count(&sandbox, "GET", "/v1/card/transactions");
    assert_eq!(pages, 22, "20 pages plus the shifted tail, then page 0 again ends the list");
}

#[tokio::test]
async fn faults_are_retried_only_where_safe() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox, Region::International);
    oauth_sign_in(&client, &sandbox).await;
    sandbox.clear_requests();

    sandbox.add_fault(FaultRule::on("GET", "/v1/wallet/credit").calls(1..=2).fault(Fault::Status(503)));
    let wallet = client.api().get_credit_wallet().call().await.unwrap();
    assert_eq!(count(&sandbox, "GET", "/v1/wallet/credit"), 3);
    let before = wallet.balance.unwrap();

    sandbox.add_fault(FaultRule::on("GET", "/v1/wallet/reward").calls(1..=1).fault(Fault::DropConnection));
    client.api().get_reward_wallet().call().await.unwrap();
    assert_eq!(count(&sandbox, "GET", "/v1/wallet/reward"), 2, "a dropped connection is retried for a GET");

    sandbox.add_fault(FaultRule::on("POST", "/v1/wallet/credit/withdraw").calls(1..=1).fault(Fault::Status(503)));
    let body = WithdrawCreditWalletRequest::builder().amount(baanx::Decimal::new(1000, 2));
    let err = client.api().withdraw_credit_wallet().body(body).call().await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 503, .. }) && err.context().unwrap().not_retried.is_some(), "{err:?}");
    assert_eq!(count(&sandbox, "POST", "/v1/wallet/credit/withdraw"), 1, "sent exactly once");
    let after = client.api().get_credit_wallet().call().await.unwrap().balance.unwrap();
    assert_eq!(before, after, "nothing was debited");

    sandbox.add_fault(FaultRule::on("GET", "/v1/user").calls(1..=1).fault(Fault::Html(502)));
    sandbox.add_fault(FaultRule::on("GET", "/v1/user").calls(2..=3).fault(Fault::Status(504)));
    let err = client.api().get_user().call().await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 504, .. }), "{err:?}");

    sandbox.add_fault(FaultRule::on("GET", "/v1/card/status").calls(1..=1).fault(Fault::MalformedJson));
    let err = client.api().get_card_status().call().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. } | Error::NotFound { .. }), "{err:?}");
    sandbox.add_fault(
        FaultRule::on("GET", "/v1/wallet/external").calls(1..=1).fault(Fault::Latency(Duration::from_millis(300))),
    );
    client.api().list_external_wallets().call().await.unwrap();
}

#[tokio::test]
async fn signed_deliveries_are_verified_and_retried_on_our_5xx() {
    let sandbox = Sandbox::builder().webhook_retry_delays(vec![Duration::from_millis(100)]).start().await.unwrap();
    let client = client_for(&sandbox, Region::International);
    oauth_sign_in(&client, &sandbox).await;

    // A receiver that fails the first delivery (transient) and verifies every one.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let created = client.webhooks().create(WebhookConfig::new("e2e", &url, ["card.*"]).active(true)).await.unwrap();
    let verifier = Verifier::new(created.signing_key);
    let seen = Arc::new(AtomicUsize::new(0));
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let (v, s) = (verifier.clone(), seen.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let (v, s, events) = (v.clone(), s.clone(), events.clone());
            async move {
                if v.verify(&headers, &body).is_err() {
                    return axum::http::StatusCode::UNAUTHORIZED;
                }
                if s.fetch_add(1, Ordering::SeqCst) == 0 {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                events.send(baanx::webhooks::Event::parse(&body).unwrap()).unwrap();
                axum::http::StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    client.api().order_card().body(OrderCardRequest::builder().type_(CardOrderType::Virtual)).call().await.unwrap();
    assert_eq!(client.api().get_card_status().call().await.unwrap().status, Some(CardStatus::Active));
    let event = tokio::time::timeout(Duration::from_secs(5), received.recv()).await.unwrap().unwrap();
    assert!(matches!(event.payload, EventPayload::CardActivated(_)), "{event:?}");
    let attempts = sandbox.wait_for_deliveries(2, Duration::from_secs(2)).await;
    assert_eq!(attempts.iter().map(|d| d.status).collect::<Vec<_>>(), [Some(503), Some(200)], "retried after our 503");
    assert_eq!(attempts[0].event_id, attempts[1].event_id, "the same event id on every attempt");

    // After a rotation, the old key no longer verifies new deliveries; a verifier with both keys does.
    let webhook_id = created.webhook.id.unwrap();
    let new_key = client.webhooks().rotate_key(&webhook_id).await.unwrap();
    sandbox.trigger_kyc_status(&sandbox.user().user_id, "completed").unwrap_or_default();
    client.webhooks().update(&webhook_id, WebhookConfig::new("e2e", &url, ["*"]).active(true)).await.unwrap();
    let kyc = sandbox.trigger_kyc_status(&sandbox.user().user_id, "completed").unwrap();
    let deliveries = sandbox.wait_for_deliveries(3, Duration::from_secs(2)).await;
    let delivery = deliveries.iter().find(|d| d.event_id == kyc).expect("the kyc event was delivered");
    let (ts, sig) = (delivery.header("x-timestamp"), delivery.header("x-signature"));
    assert!(verifier.verify_parts(ts, sig, &delivery.body).is_err(), "the old key alone fails");
    assert!(verifier.clone().add_key(new_key).verify_parts(ts, sig, &delivery.body).is_ok());
}

#[tokio::test]
async fn live_shaped_answers_decode_losslessly_end_to_end() {
    use baanx::api::types::{PasswordResetConfirmRequest, PasswordResetRequest, PasswordResetVerifyRequest};

    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = client_for(&sandbox, Region::International);
    oauth_sign_in(&client, &sandbox).await;
    client.api().order_card().body(OrderCardRequest::builder().type_(CardOrderType::Virtual)).call().await.unwrap();

    // Transactions: mcc as strings and numbers, timestamps with offsets, cashback objects, undocumented members.
    let txs: Vec<_> = client.api().list_card_transactions().stream(PageOptions::default()).try_collect().await.unwrap();
    assert_eq!(txs.len(), 250, "no transaction lost, the stream did not stop early on an offset");
    assert!(txs.iter().all(|t| t.mcc.is_some() && t.extra.get("merchantCountry").is_some()));
    assert!(txs.windows(2).all(|w| w[0].date_time >= w[1].date_time), "newest first, by instant");
    let offsets: std::collections::BTreeSet<_> =
        txs.iter().filter_map(|t| t.date_time.as_ref()?.offset().map(|o| o.local_minus_utc())).collect();
    assert!(offsets.len() > 1, "several offsets seen: {offsets:?}");
    let earned: baanx::Decimal = txs
        .iter()
        .filter_map(|t| t.cashback.as_ref())
        .filter(|c| c.status == Some(baanx::api::types::CashbackStatus::Earned))
        .filter_map(|c| c.amount)
        .sum();
    let cashback = client.api().get_card_cashback().call().await.unwrap();
    assert_eq!(cashback.amount, Some(earned), "the cashback endpoint's real shape, consistent with the transactions");
    assert!(cashback.extra.get("lifetimeEarned").is_some());

    // The unlimited approval and the long wei value.
    let wallets = client.api().list_external_wallets().call().await.unwrap();
    assert!(wallets.iter().any(|w| w.allowance.is_some_and(|a| a.is_unlimited())));
    let estimate = client.api().estimate_credit_withdrawal().call().await.unwrap();
    assert!(estimate.wei.unwrap().to_decimal().is_err(), "beyond a Decimal, kept exactly");

    // JSON nested in `message`: the innermost message and code, the status kept.
    client.api().freeze_card().call().await.unwrap();
    let err = client.api().freeze_card().call().await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 400, message: Some(m), code: Some(c), .. }
            if m == "Card is already frozen" && c == "CARD_ALREADY_FROZEN"),
        "{err:?}"
    );

    // The hosted page with prompt=consent.
    let app = client.detached();
    let flow = app.oauth().hosted_page("myapp://callback", &[]).prompt("consent");
    let user = sandbox.user();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = browser
        .post(flow.url().as_str())
        .json(&serde_json::json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .unwrap();
    let callback = answer.headers()["location"].to_str().unwrap().to_string();
    app.oauth().exchange(flow.complete(&callback).unwrap()).await.unwrap();
    assert!(sandbox.authorizations().iter().any(|a| a.prompt.as_deref() == Some("consent")));

    // Password reset, undocumented, end to end: the new password signs in, the old one no longer does.
    let fresh = client.detached();
    let email = user.email.clone();
    fresh
        .api()
        .request_password_reset()
        .body(PasswordResetRequest::builder().email(email.clone()))
        .call()
        .await
        .unwrap();
    let verify = PasswordResetVerifyRequest::builder().email(email.clone()).code("123456".to_string());
    let token = fresh.api().verify_password_reset().body(verify).call().await.unwrap().token.unwrap();
    let confirm = PasswordResetConfirmRequest::builder().token(token.clone()).password("N3w-Passw0rd!".to_string());
    fresh.api().confirm_password_reset().body(confirm).call().await.unwrap();
    assert!(fresh.login(email.clone(), user.password.clone()).await.is_err());
    assert!(matches!(fresh.login(email, "N3w-Passw0rd!").await.unwrap(), LoginOutcome::Authenticated(_)));
    let again = PasswordResetConfirmRequest::builder().token(token).password("x".to_string());
    let err = fresh.api().confirm_password_reset().body(again).call().await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 400, code: Some(c), .. } if c == "RESET_TOKEN_INVALID"),
        "a top-level error object: {err:?}"
    );
}
