//! Edges of streams, encryption and sessions that the happy paths do not reach: a list that ends on an empty page
//! or comes back without `pagination`, an answer that does not decrypt, and a session that expired (1004).

mod common;

use futures_util::TryStreamExt as _;
use serde_json::json;
use vaultspay::pagination::PageOptions;
use vaultspay::{Call, Error};

use common::{LOGIN_PATH, Server, login_answer};

const ACCOUNTS: &str = "/be/api/v1/accounts";

fn account_pages(server: &Server) -> Vec<String> {
    server.requests().iter().filter(|r| r.path == ACCOUNTS).map(|r| r.query.clone().unwrap_or_default()).collect()
}

#[tokio::test]
async fn a_list_without_pagination_is_one_page() {
    let server = Server::start().await;
    server.answer("POST", LOGIN_PATH, 200, login_answer());
    server.answer("GET", ACCOUNTS, 200, json!({ "data": [{ "id": 1 }, { "id": 2 }] }));
    let accounts: Vec<_> =
        server.client().api().list_accounts().stream(PageOptions::default().prefetch(0)).try_collect().await.unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(account_pages(&server).len(), 1, "no `pagination`: the answer is the only page");
}

#[tokio::test]
async fn a_list_ends_at_total_pages_or_an_empty_page() {
    let server = Server::start().await;
    server.answer("POST", LOGIN_PATH, 200, login_answer());
    // The answer says there is one page: page 2 is never asked for (several pages: `sandbox_e2e`).
    server.answer(
        "GET",
        ACCOUNTS,
        200,
        json!({ "data": [{ "id": 1 }, { "id": 2 }], "pagination": { "currentPage": 1, "perPage": 2, "totalPages": 1 } }),
    );
    let client = server.client();
    let stream = client.api().list_accounts().per_page(2).stream(PageOptions::default().prefetch(0));
    let items: Vec<_> = stream.try_collect().await.unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(account_pages(&server), ["page=1&perPage=2"]);

    // A `pagination` without totals, then an empty page: the empty page ends it.
    server.clear_requests();
    server.answer("GET", ACCOUNTS, 200, json!({ "data": [], "pagination": { "currentPage": 1 } }));
    let none: Vec<_> =
        client.api().list_accounts().stream(PageOptions::default().prefetch(0)).try_collect().await.unwrap();
    assert!(none.is_empty());
    assert_eq!(account_pages(&server).len(), 1);
}

/// A server whose answers do not decrypt: `{"encryptedData": <40 random-looking bytes>}` — a wrong tag.
async fn undecryptable_server() -> String {
    let app = axum::Router::new().fallback(|| async {
        let junk = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 40]);
        ([("content-type", "application/json")], json!({ "encryptedData": junk }).to_string())
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn an_answer_with_a_bad_tag_is_a_typed_encryption_error() {
    let base = undecryptable_server().await;
    let client = vaultspay::Client::builder()
        .environment(vaultspay::Environment::Custom(base))
        .client_id(common::CLIENT_ID)
        .client_secret(common::CLIENT_SECRET)
        .app_id(common::APP_ID)
        .public_key(common::PUBLIC_KEY_B64)
        .unwrap()
        .build()
        .unwrap();
    let err = client.api().list_card_tiers().call().await.unwrap_err();
    let Error::Auth { source, .. } = &err else { panic!("the login's answer does not open: {err:?}") };
    assert!(matches!(**source, Error::Encryption { .. }), "{source:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("BwcHBwcH"), "no ciphertext in the error: {shown}");
}

#[tokio::test]
async fn an_expired_session_logs_in_again_once() {
    let server = Server::start().await;
    server.answer("POST", LOGIN_PATH, 200, login_answer());
    let client = server.client();
    client.login().await.unwrap();
    server.clear_requests();
    // The session is over (1004): one new login and one replay; a second 1004 is the caller's.
    server.answer(
        "GET",
        "/pcs/api/v1/card-tiers",
        401,
        json!({ "code": 1004, "type": "SESSION_EXPIRED", "message": "Your session has expired." }),
    );
    let err = client.api().list_card_tiers().call().await.unwrap_err();
    assert!(matches!(err, Error::SessionExpired { .. }), "{err:?}");
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/pcs/api/v1/card-tiers", LOGIN_PATH, "/pcs/api/v1/card-tiers"], "login once, replay once");
    assert_eq!(client.token_requests(), 2);
}
