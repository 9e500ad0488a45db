//! Accounts: creation per currency, lists with filters and pages, exact balances on the wire, ledgers with running
//! balances.

mod common;

use common::{Api, control, start};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn accounts_per_currency_with_exact_balances() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let john = sb.user();
    // The seeded AED account, written exactly: 10000.00 - 100.00 - 25.75.
    let aed = api.get(&format!("/be/api/v1/accounts/{}", john.account_ids[0])).await;
    assert!(aed.text.contains(r#""balance":9874.25000000"#), "{}", aed.text);
    assert!(aed.text.contains(r#""balanceOnHold":0,"#), "{}", aed.text);
    let aed = aed.data();
    assert_eq!(aed["currency"]["decimalPoint"], 2);
    assert_eq!(aed["currency"]["isoCode"], 784);
    assert_eq!((aed["isPrimary"].as_bool(), aed["totalTransactions"].as_i64()), (Some(true), Some(3)));
    assert_eq!(aed["iban"].as_str().unwrap().len(), 23);
    // A new user opens EUR, then AED; the first is primary; totalTransactions is null on create.
    let uid = api
        .post(
            "/as/api/v1/users",
            json!({ "firstName": "Ali", "lastName": "Ammar", "email": "ali@ammar.ae", "status": "ACTIVE" }),
        )
        .await
        .data()["id"]
        .clone();
    let eur =
        api.post("/be/api/v1/accounts", json!({ "userId": uid, "currencyId": 3, "accountType": "DIGITAL" })).await;
    assert!(eur.text.contains(r#""totalTransactions":null"#));
    let eur = eur.data();
    assert_eq!((eur["currencyCode"].as_str(), eur["accountTitle"].as_str()), (Some("EUR"), Some("ALI AMMAR")));
    assert_eq!((eur["isPrimary"].as_bool(), eur["iban"].is_null()), (Some(true), true));
    assert_eq!(eur["accountNumber"].as_str().unwrap().len(), 14);
    let aed2 = api
        .post("/be/api/v1/accounts", json!({ "userId": uid, "currencyId": 2, "accountType": "DIGITAL" }))
        .await
        .data();
    assert_eq!(aed2["isPrimary"], false);
    api.post("/be/api/v1/accounts", json!({ "userId": uid, "currencyId": 3, "accountType": "DIGITAL" }))
        .await
        .error(500, 1010);
    let e = api
        .post("/be/api/v1/accounts", json!({ "userId": uid, "currencyId": 99, "accountType": "DIGITAL" }))
        .await
        .error(422, 1000);
    assert_eq!(e["errors"][0], json!({ "key": "currencyId", "reason": "Currency does not exist with this id" }));
    api.post("/be/api/v1/accounts", json!({ "userId": uid, "currencyId": 2, "accountType": "SAVINGS" }))
        .await
        .error(422, 1000);
    api.get("/be/api/v1/accounts/9999").await.error(422, 1000);
    // A deposit of 0.10 then 0.20 makes exactly 0.30.
    for minor in [10, 20] {
        control(&sb, Method::POST, &format!("/accounts/{}/deposit", eur["id"]), json!({ "amount": minor }))
            .await
            .data();
    }
    let eur_now = api.get(&format!("/be/api/v1/accounts/{}", eur["id"])).await;
    assert!(eur_now.text.contains(r#""balance":0.30000000"#), "{}", eur_now.text);
    sb.shutdown().await;
}

#[tokio::test]
async fn lists_filter_and_page() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    for i in 0..4 {
        let uid = api
            .post("/as/api/v1/users", json!({ "firstName": "U", "lastName": format!("N{i}"), "email": format!("u{i}@x.io"), "status": "ACTIVE" }))
            .await
            .data()["id"]
            .clone();
        for currency in [1, 2] {
            api.post("/be/api/v1/accounts", json!({ "userId": uid, "currencyId": currency, "accountType": "DIGITAL" }))
                .await
                .data();
        }
    }
    // 3 seeded + 8 new = 11 accounts; pages of 4, newest first.
    let first = api.get("/be/api/v1/accounts?perPage=4").await.json();
    assert_eq!(
        first["pagination"],
        json!({ "currentPage": 1, "perPage": 4, "totalPages": 3, "totalCount": 11, "sort": "id: DESC" })
    );
    let ids: Vec<i64> = first["data"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let last = api.get("/be/api/v1/accounts?perPage=4&page=3").await.json();
    assert_eq!(last["data"].as_array().unwrap().len(), 3);
    assert_eq!(api.get("/be/api/v1/accounts?perPage=4&page=4").await.json()["data"], json!([]));
    let default = api.get("/be/api/v1/accounts").await.json();
    assert_eq!(default["pagination"]["perPage"], 20);
    // Filters.
    let usd = api.get("/be/api/v1/accounts?currencyCode=USD").await.json();
    assert_eq!(usd["pagination"]["totalCount"], 5);
    let johns = api.get(&format!("/be/api/v1/accounts?userId={}", sb.user().user_id)).await.json();
    assert_eq!(johns["pagination"]["totalCount"], 2);
    let mine = api.get("/be/api/v1/accounts?shownMyAccounts=true").await.json();
    assert_eq!(mine["data"][0]["userId"], sb.agent().user_id);
    assert_eq!(api.get("/be/api/v1/accounts?thirdPartyConfigSlug=x").await.json()["pagination"]["totalCount"], 0);
    api.get("/be/api/v1/accounts?page=0").await.error(422, 1000);
    api.get("/be/api/v1/accounts?perPage=1000").await.error(422, 1000);
    sb.shutdown().await;
}

#[tokio::test]
async fn the_ledger_has_running_balances() {
    let sb = start().await;
    let api = Api::login(&sb).await;
    let aed = sb.user().account_ids[0];
    let ledger = api.get(&format!("/be/api/v1/account-ledger/{aed}")).await;
    // Newest first: the 25.75 purchase, the 100.00 purchase, the opening balance.
    assert!(ledger.text.contains(r#""debit":25.75000000,"credit":0,"balance":9874.25000000"#), "{}", ledger.text);
    assert!(ledger.text.contains(r#""debit":0,"credit":10000.00000000,"balance":10000.00000000"#), "{}", ledger.text);
    let rows = ledger.data();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows[0]["narration"].as_str().unwrap().starts_with("POS AT Sains Online"));
    assert!(rows[0]["transactionRefId"].as_i64().unwrap() > 10_000_000_000_000);
    assert!(rows[0]["date"].as_str().unwrap().ends_with("+00:00"));
    // Filters: transactionId, dates, owner.
    let txn = rows[1]["transactionId"].as_i64().unwrap();
    let one = api.get(&format!("/be/api/v1/account-ledger/{aed}?transactionId={txn}")).await.data();
    assert_eq!(one.as_array().unwrap().len(), 1);
    let future = api.get(&format!("/be/api/v1/account-ledger/{aed}?startDate=2999-01-01")).await.data();
    assert_eq!(future, json!([]));
    let past = api.get(&format!("/be/api/v1/account-ledger/{aed}?endDate=2000-01-01T00:00:00Z")).await.data();
    assert_eq!(past, json!([]));
    let other = api.get(&format!("/be/api/v1/account-ledger/{aed}?userId={}", sb.pending_user().user_id)).await.data();
    assert_eq!(other, json!([]));
    api.get(&format!("/be/api/v1/account-ledger/{aed}?startDate=yesterday")).await.error(422, 1000);
    sb.shutdown().await;
}
