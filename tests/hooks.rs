//! The hooks against a real HTTP server on 127.0.0.1: what goes over the wire, and how answers become errors.

mod common;

use std::time::Duration;

use baanx::{Call, Error, Region};
use common::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn signed_in(server: &MockServer) -> baanx::Client {
    client(server).with_session(oauth_session("a0", "r0", Duration::from_secs(3600), Region::International))
}

#[tokio::test]
async fn every_request_carries_the_client_key_and_no_api_version() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/card/status"))
        .respond_with(ok(json!({"status": "ACTIVE"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/card/freeze"))
        .respond_with(ok(json!({"success": true})))
        .mount(&server)
        .await;
    let client = signed_in(&server);
    let card = client.api().get_card_status().send().await.unwrap().into_inner();
    assert_eq!(card.status, Some(baanx::api::types::CardStatus::Active));
    client.api().freeze_card().call().await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(header(request, "x-client-key"), Some(CLIENT_KEY), "{}", request.url);
        assert!(header(request, "api-version").is_none(), "progenitor's api-version header is removed");
        assert!(header(request, "x-us-env").is_none(), "international: no region header");
    }
    assert_eq!(requests[1].method.as_str(), "POST");
}

#[tokio::test]
async fn error_answers_become_typed_errors_with_their_context() {
    let server = MockServer::start().await;
    let answer = |status: u16, body: serde_json::Value| {
        ResponseTemplate::new(status).set_body_json(body).insert_header("x-request-id", "req-42")
    };
    Mock::given(method("POST"))
        .and(path("/v1/card/freeze"))
        .respond_with(answer(400, json!({"message": "Card is already frozen"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/card/status"))
        .respond_with(answer(404, json!({"message": "No card"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/user"))
        .respond_with(answer(498, json!({"message": "Invalid client key"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/referral"))
        .respond_with(answer(499, json!({"message": "Missing client key"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/wallet/credit"))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_string("<html><body>502 Bad Gateway</body></html>")
                .insert_header("content-type", "text/html"),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/wallet/internal/card_linked"))
        .respond_with(ok(json!({"success": false, "message": "Wallet already linked"})))
        .mount(&server)
        .await;
    let client = signed_in(&server);

    let err = client.api().freeze_card().call().await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 400, message: Some(m), .. } if m == "Card is already frozen"),
        "{err:?}"
    );
    let context = err.context().unwrap();
    assert_eq!((context.operation, context.request_id.as_deref()), (Some("freeze_card"), Some("req-42")));
    assert!(err.to_string().contains("operation freeze_card") && err.to_string().contains("req-42"), "{err}");

    // progenitor's own error, converted: the operation id still comes along (from the response).
    let raw = client.api().get_card_status().send().await.unwrap_err();
    let err = Error::from(raw);
    assert!(matches!(&err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(err.operation(), Some("get_card_status"));

    assert!(matches!(client.api().get_user().call().await.unwrap_err(), Error::InvalidClientKey { .. }));
    assert!(matches!(client.api().get_referral_code().call().await.unwrap_err(), Error::MissingClientKey { .. }));

    let err = client.api().get_credit_wallet().call().await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 502, message: Some(m), details: Some(d), .. }
            if m == "Bad Gateway" && d["text"].as_str().is_some_and(|t| t.contains("502 Bad Gateway"))),
        "an HTML 502 keeps its status, its reason as the message and the page in details: {err:?}"
    );

    let link: baanx::api::types::LinkCardWalletRequest = serde_json::from_value(json!({"addressId": "0xabc"})).unwrap();
    let err = client.api().link_card_wallet().body(link).call().await.unwrap_err();
    assert!(matches!(&err, Error::Refused { message: Some(m), .. } if m == "Wallet already linked"), "{err:?}");
    assert_eq!(err.operation(), Some("link_card_wallet"));
}
