//! The client against the VaultsPay sandbox (encrypted traffic, the sandbox's own RustCrypto): login, envelopes,
//! token renewal under load, streams, money, errors by code.

use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt as _;
use vaultspay::pagination::PageOptions;
use vaultspay::{Call, Client, Environment, Error};
mod sandboxed;
use sandboxed::client;
use vaultspay_sandbox::{Fault, FaultRule, Sandbox, SandboxBuilder};

fn sandbox() -> SandboxBuilder {
    Sandbox::builder().fixed_key()
}

fn token_requests(sandbox: &Sandbox) -> (usize, usize) {
    let requests = sandbox.requests();
    let logins = requests.iter().filter(|r| r.path.ends_with("/saas-login")).count();
    let refreshes = requests.iter().filter(|r| r.path.ends_with("/saas-refresh-token")).count();
    (logins, refreshes)
}

#[tokio::test]
async fn logs_in_once_and_decrypts_enveloped_and_bare_answers() {
    let sandbox = sandbox().start().await.unwrap();
    let client = client(&sandbox);
    let tiers = client.api().list_card_tiers().call().await.unwrap();
    assert!(!tiers.is_empty(), "the sandbox seeds card tiers");
    let countries = client.api().list_countries().call().await.unwrap();
    assert!(!countries.is_empty());
    assert_eq!(token_requests(&sandbox), (1, 0), "one login for both calls");
    // Every request carried the encryption and device headers; none carried a plaintext body.
    for request in sandbox.requests() {
        assert_eq!(request.header("x-device-os"), Some("SAAS"), "{}", request.path);
        assert_eq!(request.header("x-device-id"), Some(sandbox.app_id()));
        assert!(request.header("x-session-nonce").is_some_and(|n| n.len() == 16), "{}", request.path);
        assert!(request.header("x-auth-signature").is_some_and(|k| k.len() == 344));
        assert!(!String::from_utf8_lossy(&request.body).contains("clientSecret"), "the login body is encrypted");
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_calls_on_an_expired_token_send_one_token_request() {
    let sandbox = sandbox().start().await.unwrap();
    let client = Arc::new(client(&sandbox));
    client.login().await.unwrap();
    // The server expires every access token now (the client still believes its own is valid): every one of the
    // 1,000 calls is rejected with 1003, and they share one refresh.
    let expire = reqwest::Client::new()
        .post(format!("{}/__sandbox/tokens/expire", sandbox.base_url()))
        .json(&serde_json::json!({ "refresh": false }))
        .send()
        .await
        .unwrap();
    assert!(expire.status().is_success());
    sandbox.clear_requests();
    let calls: Vec<_> = (0..1000)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.api().list_card_tiers().call().await.map(|_| ()) })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let (logins, refreshes) = token_requests(&sandbox);
    assert_eq!((logins, refreshes), (0, 1), "exactly one token request for 1,000 calls");
    assert_eq!(client.token_requests(), 2, "the login, then the one refresh");
    let pings = sandbox.requests().iter().filter(|r| r.path == "/pcs/api/v1/card-tiers").count();
    assert!((1000..=2000).contains(&pings), "each call sent at most twice (rejected, replayed once): {pings}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_token_due_soon_is_refreshed_before_the_call() {
    let sandbox = sandbox().access_token_ttl(Duration::from_secs(30)).start().await.unwrap();
    // 30 s tokens, refreshed when within 60 s of expiry: due at once.
    let client = client(&sandbox);
    client.login().await.unwrap();
    sandbox.clear_requests();
    client.api().ping().call().await.unwrap();
    let paths: Vec<String> = sandbox.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/as/api/v1/saas-refresh-token", "/v1/ping"], "refreshed ahead, then sent once");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_and_the_call_replayed_once() {
    let sandbox = sandbox().start().await.unwrap();
    let client = client(&sandbox);
    client.login().await.unwrap();
    sandbox.add_fault(FaultRule::on("GET", "/pcs/api/v1/card-tiers").calls(1..=1).fault(Fault::Status(401)));
    let tiers = client.api().list_card_tiers().call().await.unwrap();
    assert!(!tiers.is_empty());
    let tier_calls = sandbox.requests().iter().filter(|r| r.path.ends_with("/card-tiers")).count();
    assert_eq!(tier_calls, 2, "sent, rejected, replayed once");
    assert_eq!(token_requests(&sandbox), (1, 1));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn safe_reads_are_retried_and_transfers_are_sent_once() {
    let sandbox = sandbox().start().await.unwrap();
    let client = client(&sandbox);
    sandbox.add_fault(FaultRule::on("GET", "/pcs/api/v1/card-tiers").calls(1..=2).fault(Fault::Status(503)));
    client.api().list_card_tiers().call().await.unwrap();
    let tier_calls = sandbox.requests().iter().filter(|r| r.path.ends_with("/card-tiers")).count();
    assert_eq!(tier_calls, 3, "two 503s, then the answer");
    // Nonces differ across attempts: each attempt was sealed afresh.
    let nonces: std::collections::BTreeSet<String> = sandbox
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/card-tiers"))
        .filter_map(|r| r.header("x-session-nonce").map(str::to_string))
        .collect();
    assert_eq!(nonces.len(), 3);

    sandbox.add_fault(FaultRule::on("POST", "/tc/api/v1/direct-transfer").calls(1..=1).fault(Fault::Status(503)));
    let body = vaultspay::api::types::CreateDirectTransferRequest::builder()
        .amount(100)
        .sender_account_id("1".to_string())
        .payment_contact_id("1".to_string())
        .description("rent".to_string())
        .purpose(vaultspay::api::types::TransferPurpose::Rent);
    let err = client.api().create_direct_transfer().body(body).call().await.unwrap_err();
    let transfers = sandbox.requests().iter().filter(|r| r.path.ends_with("/direct-transfer")).count();
    assert_eq!(transfers, 1, "money moves once: {err}");
    assert!(err.context().not_retried.is_some(), "{err:?}");
    assert_eq!(err.status(), Some(503));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn accounts_stream_across_pages() {
    let sandbox = sandbox().start().await.unwrap();
    let client = client(&sandbox);
    let all: Vec<_> =
        client.api().list_accounts().per_page(1).stream(PageOptions::default()).try_collect().await.unwrap();
    let first = client.api().list_accounts().per_page(100).call_envelope().await.unwrap();
    assert_eq!(
        all.len(),
        first.data.as_ref().map_or(0, Vec::len),
        "one page per account, the same accounts as one big page"
    );
    assert!(all.len() >= 2, "the sandbox seeds several accounts");
    let pages = sandbox.requests().iter().filter(|r| r.path.ends_with("/be/api/v1/accounts")).count();
    assert_eq!(pages, all.len() + 1, "one request per page (ended by totalPages), plus the big page");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn errors_are_classified_by_code() {
    let sandbox = sandbox().start().await.unwrap();
    let client = client(&sandbox);
    let body = vaultspay::api::types::ValidateIbanRequest::builder().iban("AE070331234567890123456");
    let err = client.api().validate_iban().body(body).call().await.unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "missing accountTitle is 422/1000: {err:?}");

    let wrong = Client::builder()
        .environment(Environment::Custom(sandbox.base_url().to_string()))
        .client_id(sandbox.client_id())
        .client_secret("not-the-secret")
        .app_id(sandbox.app_id())
        .public_key(sandbox.public_key())
        .unwrap()
        .build()
        .unwrap();
    let err = wrong.api().list_card_tiers().call().await.unwrap_err();
    let Error::Auth { source, .. } = &err else { panic!("{err:?}") };
    assert!(matches!(**source, Error::Unauthenticated { .. }), "{source:?}");
    assert!(!format!("{err:?}{err}").contains("not-the-secret"));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_iban_that_fails_mod_97_is_refused_before_sending() {
    let sandbox = sandbox().start().await.unwrap();
    let client = client(&sandbox);
    client.login().await.unwrap();
    sandbox.clear_requests();
    let body = vaultspay::api::types::ValidateIbanRequest::builder()
        .iban("AE080331234567890123456")
        .account_title("VAULTSPAY CUSTOMER".to_string());
    let err = client.api().validate_iban().body(body).call().await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(err.to_string().contains("invalid checksum"), "{err}");
    assert!(!err.to_string().contains("AE08"), "the IBAN is personal data: {err}");
    assert!(sandbox.requests().is_empty(), "nothing sent");
    // A valid one goes through.
    let body = vaultspay::api::types::ValidateIbanRequest::builder()
        .iban("AE070331234567890123456")
        .account_title("VAULTSPAY CUSTOMER".to_string());
    client.api().validate_iban().body(body).call().await.unwrap();
    assert_eq!(sandbox.requests().len(), 1);
    sandbox.shutdown().await;
}
