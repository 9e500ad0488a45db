//! The hooks against a real HTTP server on 127.0.0.1: what goes over the wire, and the tracing span per call.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> baanx::Client {
    baanx::Client::builder()
        .environment(baanx::Environment::Custom(server.uri()))
        .client_key("pk_test_hooks")
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_request_carries_the_client_key_and_no_api_version() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/card/status"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "ACTIVE"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/card/freeze"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"success": true})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let card = client
        .api()
        .get_card_status()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(card.status, Some(baanx::api::types::CardStatus::Active));
    client.api().freeze_card().send().await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(
            request.headers.get("x-client-key").unwrap(),
            "pk_test_hooks",
            "{}",
            request.url
        );
        assert!(
            request.headers.get("api-version").is_none(),
            "progenitor's api-version header is removed"
        );
    }
    assert_eq!(requests[1].method.as_str(), "POST");
}

#[tokio::test]
async fn error_bodies_decode_into_the_shared_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/card/freeze"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"message": "Card is already frozen"})),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .api()
        .freeze_card()
        .send()
        .await
        .unwrap_err();
    match err {
        progenitor_client::Error::ErrorResponse(response) => {
            assert_eq!(response.status().as_u16(), 400);
            assert_eq!(
                response.into_inner().message.as_deref(),
                Some("Card is already frozen")
            );
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}
