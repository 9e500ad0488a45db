//! Decoding what the live API sends, and losing none of it — over HTTP against a local server (wiremock on
//! 127.0.0.1), with bodies of the shape production apps receive: undocumented members, strings for numbers and
//! numbers for strings, uint256 allowances, every timestamp form, every error shape, undeclared 2xx statuses.

mod common;

use std::time::Duration;

use baanx::api::types::{CashbackStatus, DelegationCurrency, DelegationEvmNetwork};
use baanx::pagination::PageOptions;
use baanx::{Call, Client, Error, Region};
use common::*;
use futures_util::TryStreamExt as _;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn signed_in(server: &MockServer) -> Client {
    client(server).with_session(oauth_session("a0", "r0", Duration::from_secs(3600), Region::International))
}

async fn serve(server: &MockServer, m: &str, p: &str, response: ResponseTemplate) {
    Mock::given(method(m)).and(path(p)).respond_with(response).mount(server).await;
}

const PAGE: &str = include_str!("fixtures/live/list_card_transactions/response-mixed.json");
const UNLIMITED: &str = "115792089237316195423570985008687907853269984665640564039457.584007913129639935";

#[tokio::test]
async fn a_page_with_mixed_scalar_forms_decodes_whole_and_keeps_every_member() {
    let server = MockServer::start().await;
    serve(&server, "GET", "/v1/card/transactions", ResponseTemplate::new(200).set_body_raw(PAGE, "application/json"))
        .await;
    let page = signed_in(&server).api().list_card_transactions().page(0).call().await.unwrap();
    assert_eq!(page.len(), 3, "one odd value never fails the page");
    assert_eq!(page[0].mcc, Some(5814), "a string");
    assert_eq!(page[1].mcc, Some(5999), "a number");
    assert_eq!(page[2].mcc, Some(5411), "`\"5411.0\"` is whole");
    assert_eq!(page[2].id.as_deref(), Some("7"), "a numeric id is read as its text");
    assert_eq!(page[0].transaction_id.as_deref(), Some("1122334477424"));
    assert_eq!(page[0].ecb_rate.unwrap().to_string(), "1.000000000000000000001", "a JSON number, exact");
    assert_eq!(page[2].amount_in_transaction_currency.unwrap().to_string(), "100", "1e2");
    // The cashback object the docs lack.
    let cashback = page[0].cashback.as_ref().unwrap();
    assert_eq!(
        (cashback.amount.unwrap().to_string(), cashback.status.clone()),
        ("0.032".into(), Some(CashbackStatus::Earned))
    );
    assert_eq!(page[2].cashback.as_ref().unwrap().rate_percent.unwrap().to_string(), "1.5");
    assert_eq!(page[2].cashback.as_ref().unwrap().extra.decode::<String>("expectedAt").unwrap().unwrap(), "2026-05-30");
    // Undocumented members are kept, nested ones too, and written back.
    assert_eq!(page[0].extra.get("merchantCountry").unwrap().as_str(), r#""PRT""#);
    assert_eq!(page[0].extra.decode::<Value>("networkReference").unwrap().unwrap()["scheme"], "MASTERCARD");
    assert_eq!(page[0].funding_sources.as_ref().unwrap()[0].extra.get("blockNumber").unwrap().as_str(), "18400123");
    let again: Value = serde_json::from_str(&serde_json::to_string(&page).unwrap()).unwrap();
    assert_eq!(again[0]["isContactless"], "true");
    assert_eq!(again[0]["networkReference"]["traceId"], "MCC123456");
    // Timestamps keep their text and compare as instants.
    let (t0, t1) = (page[0].date_time.as_ref().unwrap(), page[1].date_time.as_ref().unwrap());
    assert_eq!(t1.as_str(), "2026-05-01T13:00:00+02:00");
    assert!(t1 < t0, "13:00+02:00 is 11:00Z, before 12:00Z, although it sorts after it as text");
    assert_eq!(
        page[0].funding_sources.as_ref().unwrap()[0].date_time.as_ref().unwrap().as_str(),
        "2026-05-01 12:00:01.5+00"
    );
}

#[tokio::test]
async fn a_value_that_fits_no_lossless_reading_names_its_json_path() {
    let server = MockServer::start().await;
    let body = json!([{"id": "a", "mcc": "5814"}, {"id": "b", "mcc": 5999}, {"id": "c", "mcc": 1}, {"id": "d", "mcc": "coffee"}]);
    serve(&server, "GET", "/v1/card/transactions", ok(body)).await;
    let err = signed_in(&server).api().list_card_transactions().page(0).call().await.unwrap_err();
    let Error::Decode { path, message, context, .. } = &err else { panic!("{err:?}") };
    assert_eq!(path.as_deref(), Some("[3].mcc"));
    assert!(message.contains("expected an integer") && message.contains("coffee"), "{message}");
    assert_eq!(context.operation, Some("list_card_transactions"));
    assert!(err.to_string().contains("at [3].mcc"), "{err}");
    // A fraction is not read as a whole number, an amount is never rounded, and a card number is never echoed.
    for (body, at, hidden) in [
        (json!([{"mcc": 58.5}]), "[0].mcc", None),
        (json!({"balance": "0.12345678901234567890123456789"}), "balance", None),
        (json!([{"id": "x", "mcc": "4111 1111 1111 1111"}]), "[0].mcc", Some("4111 1111 1111 1111")),
    ] {
        let server = MockServer::start().await;
        serve(&server, "GET", "/v1/card/transactions", ok(body.clone())).await;
        serve(&server, "GET", "/v1/wallet/credit", ok(body)).await;
        let client = signed_in(&server);
        let err = if at == "balance" {
            client.api().get_credit_wallet().call().await.unwrap_err()
        } else {
            client.api().list_card_transactions().page(0).call().await.unwrap_err()
        };
        assert!(matches!(&err, Error::Decode { path: Some(p), .. } if p == at), "{err:?}");
        if let Some(secret) = hidden {
            assert!(!format!("{err} {err:?}").contains(secret), "{err:?}");
        }
    }
}

#[tokio::test]
async fn unlimited_approvals_and_long_on_chain_values_are_exact() {
    let server = MockServer::start().await;
    let wallets = include_str!("fixtures/live/list_external_wallets/response-unlimited.json");
    serve(&server, "GET", "/v1/wallet/external", ResponseTemplate::new(200).set_body_raw(wallets, "application/json"))
        .await;
    let estimate = include_str!("fixtures/live/estimate_credit_withdrawal/response-wei.json");
    serve(
        &server,
        "GET",
        "/v1/wallet/credit/withdraw-estimation",
        ResponseTemplate::new(200).set_body_raw(estimate, "application/json"),
    )
    .await;
    let client = signed_in(&server);
    let wallets = client.api().list_external_wallets().call().await.unwrap();
    assert_eq!(wallets.len(), 3, "the whole list, not an error");
    let unlimited = wallets[0].allowance.unwrap();
    assert!(unlimited.is_unlimited());
    assert_eq!(unlimited.to_string(), UNLIMITED);
    assert!(unlimited.to_decimal().is_err(), "too large for a Decimal: an error, not a rounded value");
    let as_number = wallets[1].allowance.unwrap();
    assert!(as_number.is_unlimited(), "the same approval sent as a JSON number, divided by 10^6");
    assert_eq!(wallets[1].balance.unwrap().to_string(), "500.000001");
    assert_eq!(wallets[2].allowance.unwrap().to_decimal().unwrap().to_string(), "18446744073709.551615");
    assert_eq!(wallets[0].extra.get("id").unwrap().as_str(), "3");
    let estimate = client.api().estimate_credit_withdrawal().call().await.unwrap();
    assert_eq!(estimate.wei.unwrap().to_string(), "123456789012345678901234567890");
    assert_eq!(estimate.eth.unwrap().to_decimal().unwrap().to_string(), "0.000006219123007416");
}

#[tokio::test]
async fn the_cashback_endpoint_has_its_real_shape() {
    let server = MockServer::start().await;
    let body = include_str!("fixtures/live/get_card_cashback/response-200.json");
    serve(&server, "GET", "/v1/card/cashback", ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
    let cashback = signed_in(&server).api().get_card_cashback().call().await.unwrap();
    assert_eq!(cashback.amount.unwrap().to_string(), "12.345678");
    assert_eq!((cashback.currency.as_deref(), cashback.network.as_deref()), (Some("usdc"), Some("linea")));
    assert_eq!(cashback.rate_percent.unwrap().to_string(), "1.5");
    assert_eq!(cashback.extra.decode::<String>("lifetimeEarned").unwrap().unwrap(), "98.10");
}

/// (status, content type, body, expected message, expected code)
type ErrorShape = (u16, &'static str, String, Option<&'static str>, Option<&'static str>);

fn error_shapes() -> Vec<ErrorShape> {
    let nested_twice = json!({"message": json!({"message": json!({"error": {"status": 409, "message": "Card already frozen", "errorCode": "CARD_FROZEN"}}).to_string()}).to_string()});
    vec![
        (
            400,
            "application/json",
            json!({"message": "Card is already frozen"}).to_string(),
            Some("Card is already frozen"),
            None,
        ),
        (
            400,
            "application/json",
            json!({"error": "invalid_grant", "error_description": "expired"}).to_string(),
            Some("expired"),
            Some("invalid_grant"),
        ),
        (
            422,
            "application/json",
            json!({"error": "Validation error", "details": ["consents is required"]}).to_string(),
            Some("Validation error"),
            Some("Validation error"),
        ),
        (
            409,
            "application/json",
            json!({"error": {"status": 409, "message": "Card already frozen", "errorCode": "CARD_FROZEN"}}).to_string(),
            Some("Card already frozen"),
            Some("CARD_FROZEN"),
        ),
        (409, "application/json", nested_twice.to_string(), Some("Card already frozen"), Some("CARD_FROZEN")),
        (
            400,
            "application/json",
            json!({"errorMessage": "Bad IBAN", "errorCode": "E_IBAN"}).to_string(),
            Some("Bad IBAN"),
            Some("E_IBAN"),
        ),
        (
            400,
            "application/problem+json",
            json!({"title": "Bad Request", "detail": "amount must be positive"}).to_string(),
            Some("amount must be positive"),
            None,
        ),
        (
            400,
            "application/json",
            json!({"errors": [{"message": "first problem", "code": "P1"}, {"message": "second"}]}).to_string(),
            Some("first problem"),
            Some("P1"),
        ),
        (500, "application/json", json!({"data": {"message": "inside data"}}).to_string(), Some("inside data"), None),
        (400, "application/json", json!(["a bare list"]).to_string(), Some("a bare list"), None),
        (400, "application/json", json!("a bare string").to_string(), Some("a bare string"), None),
        (418, "text/plain", "I'm a teapot".to_string(), Some("I'm a teapot"), None),
        (
            502,
            "text/html",
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>".to_string(),
            Some("502 Bad Gateway"),
            None,
        ),
        (503, "text/html", String::new(), Some("Service Unavailable"), None),
        (500, "application/json", String::new(), Some("Internal Server Error"), None),
        (400, "application/json", "{not json".to_string(), Some("{not json"), None),
    ]
}

#[tokio::test]
async fn every_error_shape_keeps_its_status_and_its_innermost_message() {
    for (status, content_type, body, message, code) in error_shapes() {
        let server = MockServer::start().await;
        serve(
            &server,
            "POST",
            "/v1/card/freeze",
            ResponseTemplate::new(status).set_body_raw(body.clone(), content_type),
        )
        .await;
        let err = signed_in(&server).api().freeze_card().call().await.unwrap_err();
        let Error::Api { status: got, message: m, code: c, details, context } = &err else {
            panic!("{status} {body}: {err:?}")
        };
        assert_eq!(*got, status, "{body}");
        assert_eq!(context.status, Some(status));
        assert_eq!(m.as_deref(), message, "{body}");
        assert_eq!(c.as_deref(), code, "{body}");
        if !body.is_empty() {
            assert!(details.is_some(), "the raw body stays in details: {body}");
        }
        assert!(!err.to_string().contains("[baanx:"), "{err}");
    }
}

#[tokio::test]
async fn any_2xx_is_a_success() {
    let server = MockServer::start().await;
    let card = json!({"id": "c1", "status": "ACTIVE", "panLast4": "1234"});
    // get_card_status declares 200 only.
    serve(&server, "GET", "/v1/card/status", ResponseTemplate::new(202).set_body_json(card.clone())).await;
    // delete_webhook: 204 without a body.
    serve(&server, "DELETE", "/v1/webhooks/w1", ResponseTemplate::new(204)).await;
    // A declared 200 with an empty body.
    serve(&server, "POST", "/v1/card/freeze", ResponseTemplate::new(200)).await;
    // 201 with a body where 200 is declared.
    serve(
        &server,
        "POST",
        "/v1/card/unfreeze",
        ResponseTemplate::new(201).set_body_json(json!({"success": true, "x": 1})),
    )
    .await;
    let client = signed_in(&server);
    let got = client.api().get_card_status().call().await.unwrap();
    assert_eq!(got.pan_last4.as_deref(), Some("1234"));
    let deleted = client.api().delete_webhook().id("w1").call().await.unwrap();
    assert!(deleted.extra.is_empty());
    client.webhooks().delete("w1").await.unwrap();
    client.api().freeze_card().call().await.unwrap();
    let unfrozen = client.api().unfreeze_card().call().await.unwrap();
    assert_eq!(unfrozen.extra.get("x").unwrap().as_str(), "1");
    // A 2xx that still says success: false is a refusal, not a success.
    let server = MockServer::start().await;
    serve(
        &server,
        "POST",
        "/v1/card/unfreeze",
        ResponseTemplate::new(202).set_body_json(json!({"success": false, "message": "not now"})),
    )
    .await;
    let err = signed_in(&server).api().unfreeze_card().call().await.unwrap_err();
    assert!(matches!(&err, Error::Refused { message: Some(m), .. } if m == "not now"), "{err:?}");
}

#[tokio::test]
async fn password_reset_goes_over_the_wire() {
    let server = MockServer::start().await;
    serve(&server, "POST", "/v1/auth/password/reset/request", ok(json!({"success": true}))).await;
    serve(&server, "POST", "/v1/auth/password/reset/verify", ok(json!({"token": "rst_1"}))).await;
    serve(&server, "POST", "/v1/auth/password/reset/confirm", ok(json!({"success": true}))).await;
    let client = client(&server);
    use baanx::api::types::{PasswordResetConfirmRequest, PasswordResetRequest, PasswordResetVerifyRequest};
    client
        .api()
        .request_password_reset()
        .body(PasswordResetRequest::builder().email("a@b.c".to_string()))
        .call()
        .await
        .unwrap();
    let verified = client
        .api()
        .verify_password_reset()
        .body(PasswordResetVerifyRequest::builder().email("a@b.c".to_string()).code("123456".to_string()))
        .call()
        .await
        .unwrap();
    let token = verified.token.unwrap();
    client
        .api()
        .confirm_password_reset()
        .body(PasswordResetConfirmRequest::builder().token(token).password("n3w-Passw0rd".to_string()))
        .call()
        .await
        .unwrap();
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent.len(), 3);
    assert_eq!(body(&sent[0]), json!({"email": "a@b.c"}));
    assert_eq!(body(&sent[1]), json!({"email": "a@b.c", "code": "123456"}));
    assert_eq!(body(&sent[2]), json!({"token": "rst_1", "password": "n3w-Passw0rd"}));
    for r in &sent {
        assert_eq!(header(r, "x-client-key"), Some(CLIENT_KEY));
        assert!(r.headers.get("authorization").is_none(), "no session needed");
    }
}

#[tokio::test]
async fn a_login_placeholder_token_is_no_token() {
    let server = MockServer::start().await;
    let body = include_str!("fixtures/live/login/response-otp-placeholder.json");
    serve(&server, "POST", "/v1/auth/login", ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
    let client = client(&server);
    let outcome = client.login("user@example.com", "pw").await.unwrap();
    assert!(
        matches!(&outcome, baanx::auth::LoginOutcome::OtpRequired { user_id, .. } if user_id == "42"),
        "{outcome:?}"
    );
    assert!(!client.session().is_signed_in(), "the string \"null\" is not a token");
    // The same with `isOtpRequired` absent but the placeholder alone: no session either.
    let server = MockServer::start().await;
    serve(
        &server,
        "POST",
        "/v1/auth/login",
        ok(json!({"accessToken": "null", "phase": "PERSONAL_INFORMATION", "userId": "u1"})),
    )
    .await;
    let client = baanx::Client::builder()
        .environment(baanx::Environment::Custom(server.uri()))
        .client_key(CLIENT_KEY)
        .build()
        .unwrap();
    let outcome = client.login("user@example.com", "pw").await.unwrap();
    assert!(matches!(outcome, baanx::auth::LoginOutcome::OnboardingIncomplete { session: None, .. }), "{outcome:?}");
}

#[tokio::test]
async fn the_evm_post_approval_is_checked_before_it_is_sent() {
    let server = MockServer::start().await;
    serve(
        &server,
        "POST",
        "/v1/delegation/evm/post-approval",
        ResponseTemplate::new(201).set_body_json(json!({"success": true})),
    )
    .await;
    let client = signed_in(&server);
    let message = baanx::delegation::SiweMessage::new(
        "wallet.example.com",
        "0x3a11a86cf218c448be519728cd3ac5c741fb3424",
        "https://wallet.example.com",
        &DelegationEvmNetwork::Linea,
        "5f8a9b2c4d3e1a7b9c6d8e2f",
    )
    .unwrap();
    let sig = format!("0x{}", "ab".repeat(65));
    let tx = format!("0x{}", "cd".repeat(32));
    let good = baanx::delegation::evm_post_approval(
        "tok",
        &message,
        &sig,
        &tx,
        DelegationCurrency::Usdc,
        "5000".parse().unwrap(),
    )
    .unwrap();
    client.api().complete_evm_delegation().body(good.clone()).call().await.unwrap();
    // The docs' own example (Chain ID 59141 for linea) and a mismatched address are refused before sending.
    let docs: baanx::api::types::CompleteEvmDelegationRequest =
        serde_json::from_str(include_str!("fixtures/docs/complete_evm_delegation/request.json")).unwrap();
    let err = client.api().complete_evm_delegation().body(docs).call().await.unwrap_err();
    assert!(matches!(&err, Error::InvalidRequest { message, .. } if message.contains("59141")), "{err:?}");
    let mut other = good;
    other.address = "0x7b22c1e6f8a4d92b5c3d8e9f1a2b3c4d5e6f7890".into();
    let err = client.api().complete_evm_delegation().body(other).call().await.unwrap_err();
    assert!(matches!(&err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "only the good body was sent");
}

#[tokio::test]
async fn our_siwe_messages_parse_with_the_reference_implementation() {
    // spruceid's siwe crate parses (and so accepts) what the builder writes.
    let message = baanx::delegation::SiweMessage::new(
        "wallet.example.com",
        "0x3a11a86cf218c448be519728cd3ac5c741fb3424",
        "https://wallet.example.com/login",
        &DelegationEvmNetwork::Ethereum,
        "5f8a9b2c4d3e1a7b9c6d8e2f",
    )
    .unwrap()
    .statement("Prove address ownership")
    .expires_in(Duration::from_secs(1800))
    .request_id("r-1");
    let text = message.to_string();
    let parsed: siwe::Message = text.parse().unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(parsed.chain_id, 1);
    assert_eq!(parsed.nonce, "5f8a9b2c4d3e1a7b9c6d8e2f");
    assert_eq!(parsed.to_string(), text, "the reference implementation writes the same text");
}

#[tokio::test]
async fn newest_first_streams_compare_instants_not_text() {
    // Page 0 ends at 12:00:00.000Z; page 1 starts at 13:59+02:00 (11:59Z, older) and with the same instant written
    // without milliseconds: as text both sort after page 0's end, so a string comparison ended the stream early.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/card/transactions"))
        .respond_with(|r: &wiremock::Request| {
            let page: u64 = r.url.query_pairs().find(|(k, _)| k == "page").map(|(_, v)| v.parse().unwrap()).unwrap();
            let items = match page {
                0 => json!([{"id": "a", "dateTime": "2026-05-01T12:30:00.000Z"}, {"id": "b", "dateTime": "2026-05-01T12:00:00.000Z"}]),
                1 => json!([{"id": "c", "dateTime": "2026-05-01T12:00:00Z"}, {"id": "d", "dateTime": "2026-05-01T13:59:00+02:00"}]),
                2 => json!([{"id": "e", "dateTime": "2026-05-01 11:58:00.5+02"}]),
                _ => json!([]),
            };
            ResponseTemplate::new(200).set_body_json(items)
        })
        .mount(&server)
        .await;
    let txs: Vec<_> = signed_in(&server)
        .api()
        .list_card_transactions()
        .stream(PageOptions::default().prefetch(0))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = txs.iter().map(|t| t.id.clone().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
}
