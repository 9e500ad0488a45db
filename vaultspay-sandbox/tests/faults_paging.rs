//! The shared fault plan on VaultsPay routes, the request log, unknown routes, and paged transaction lists.

mod common;

use common::{Api, builder, control, start};
use reqwest::{Method, StatusCode};
use serde_json::json;
use vaultspay_sandbox::{Fault, FaultRule};

#[tokio::test]
async fn faults_hit_chosen_calls_and_answer_in_the_api_s_shapes() {
    let sb = builder()
        .fault(FaultRule::on("POST", "/pcs/api/v1/cards/details").calls(2..=3).fault(Fault::Status(503)))
        .start()
        .await
        .unwrap();
    let api = Api::login(&sb).await;
    let details = || api.post("/pcs/api/v1/cards/details", json!({ "cardId": 1 }));
    details().await.data();
    for _ in 0..2 {
        let a = details().await;
        assert!(a.header("x-session-nonce").is_some(), "a fault answer is encrypted when the key can be read");
        assert_eq!(a.error(503, 503)["type"], "SERVICE_UNAVAILABLE");
    }
    details().await.data();
    // A gateway page and a dropped connection, added at run time (one through the control route).
    sb.add_fault(FaultRule::on("GET", "/v1/ping").calls(1..=1).fault(Fault::Html(502)));
    let page = api.get("/v1/ping").await;
    assert_eq!((page.status, page.header("content-type")), (StatusCode::BAD_GATEWAY, Some("text/html; charset=utf-8")));
    assert!(page.text.contains("502 Bad Gateway"));
    control(
        &sb,
        Method::POST,
        "/faults",
        json!({ "method": "GET", "path": "/us/api/v1/states/{countryId}", "kind": "drop", "to": 1 }),
    )
    .await
    .data();
    let sealed = api.seal(None);
    let dropped = api.http.get(format!("{}/us/api/v1/states/167", sb.base_url())).headers(
        sealed.headers.iter().map(|(k, v)| (reqwest::header::HeaderName::from_static(k), v.parse().unwrap())).collect(),
    );
    assert!(dropped.bearer_auth(api.token.as_ref().unwrap()).send().await.is_err());
    api.get("/us/api/v1/states/167").await.data();
    control(&sb, Method::DELETE, "/faults", json!({})).await.data();
    // Everything was logged, faulted calls included.
    let logged = sb.requests();
    assert_eq!(logged.iter().filter(|r| r.path == "/pcs/api/v1/cards/details").count(), 4);
    assert!(logged.iter().any(|r| r.path == "/us/api/v1/states/167"));
    sb.clear_requests();
    assert!(sb.requests().is_empty());
    // Unknown routes and methods (encrypted like any answer).
    assert_eq!(api.get("/pcs/api/v1/nothing").await.error(404, 404)["type"], "NOT_FOUND");
    api.call(Method::DELETE, "/be/api/v1/accounts", None).await.error(405, 405);
    sb.shutdown().await;
}

#[tokio::test]
async fn transactions_page_newest_first() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let card = sb.user().card_ids[0];
    for minor in 1..=5 {
        control(&sb, Method::POST, "/purchase", json!({ "cardId": card, "amount": minor * 100, "currency": "AED" }))
            .await
            .data();
    }
    // 3 deposits + 2 seeded purchases + 5 new ones.
    let all = api.get("/tme/api/v1/transactions").await.json();
    assert_eq!(all["pagination"]["totalCount"], 10);
    let page = api.get("/tme/api/v1/transactions?perPage=4&page=1").await.json();
    assert_eq!(
        page["pagination"],
        json!({ "currentPage": 1, "perPage": 4, "totalPages": 3, "totalCount": 10, "sort": "id: DESC" })
    );
    let mut ids = Vec::new();
    for p in 1..=3 {
        let page = api.get(&format!("/tme/api/v1/transactions?perPage=4&page={p}")).await.json();
        ids.extend(page["data"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()));
    }
    assert_eq!(ids.len(), 10);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let newest = &page["data"][0];
    assert!(
        api.get(&format!("/tme/api/v1/transactions/{}", newest["id"])).await.text.contains(r#""amount":5.00000000"#)
    );
    let by_card = api.get(&format!("/tme/api/v1/transactions?cardId={card}&transactionType=purchase")).await.json();
    assert_eq!(by_card["pagination"]["totalCount"], 7);
    let none = api.get("/tme/api/v1/transactions?startDate=2999-01-01").await.json();
    assert_eq!(none["data"], json!([]));
    api.get("/tme/api/v1/transactions/999999").await.error(422, 1000);
    sb.shutdown().await;
}
