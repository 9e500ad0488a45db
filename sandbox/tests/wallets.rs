//! Wallets: withdrawals debit exactly once, history pages, whitelist, internal withdrawals, priorities and
//! card-linked wallets (with their HTTP-200 refusals).

mod common;

use baanx_sandbox::Sandbox;
use common::Api;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn withdrawals_debit_exactly_once() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let credit = api.get("/v1/wallet/credit").await.json();
    assert_eq!(credit["balance"], "150.50");
    assert_eq!(credit["type"], "CREDIT");

    let w = api.post("/v1/wallet/credit/withdraw", json!({ "amount": "10.00" })).await;
    assert_eq!(w.status, 200, "{}", w.text);
    let tx = w.json()["txHash"].as_str().unwrap().to_string();
    assert!(tx.starts_with("0x") && tx.len() == 66);
    assert_eq!(api.get("/v1/wallet/credit").await.json()["balance"], "140.50");

    // Twenty concurrent withdrawals of 0.01: exactly 0.20 leaves.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            api.post("/v1/wallet/credit/withdraw", json!({ "amount": "0.01" })).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(dec(&api.get("/v1/wallet/credit").await.json()["balance"]), "140.30".parse::<Decimal>().unwrap());

    let too_much = api.post("/v1/wallet/credit/withdraw", json!({ "amount": "1000000" })).await;
    assert_eq!((too_much.status.as_u16(), too_much.json()), (400, json!({ "message": "Insufficient balance" })));
    for bad in
        [json!({ "amount": 10 }), json!({ "amount": "-1" }), json!({ "amount": "1e3" }), json!({ "amount": "0" })]
    {
        assert_eq!(api.post("/v1/wallet/credit/withdraw", bad.clone()).await.status, 400, "{bad}");
    }
    assert_eq!(dec(&api.get("/v1/wallet/credit").await.json()["balance"]), "140.30".parse::<Decimal>().unwrap());

    // History: newest first, pages of 10, the withdrawals at the top.
    let id = credit["id"].as_str().unwrap();
    let p0 = api.get(&format!("/v1/wallet/history?walletId={id}&walletType=CREDIT&page=0")).await.json();
    let p0 = p0.as_array().unwrap();
    assert_eq!(p0.len(), 10);
    assert_eq!(p0[0]["sign"], "debit");
    assert_eq!(p0[0]["amount"], "0.01");
    let total: usize = {
        let mut n = 0;
        for page in 0.. {
            let items =
                api.get(&format!("/v1/wallet/history?walletId={id}&walletType=CREDIT&page={page}")).await.json();
            let len = items.as_array().unwrap().len();
            n += len;
            if len < 10 {
                break;
            }
        }
        n
    };
    assert_eq!(total, 23 + 21);
    let fallback = api.get(&format!("/v1/wallet/history?walletId={id}&walletType=CREDIT&page=abc")).await.json();
    assert_eq!(fallback.as_array().unwrap(), p0);

    // Reward withdrawals and the fee estimate.
    assert_eq!(api.post("/v1/wallet/reward/withdraw", json!({ "amount": "45.75" })).await.status, 200);
    assert_eq!(api.get("/v1/wallet/reward").await.json()["balance"], "0.00");
    let fee = api.get("/v1/wallet/credit/withdraw-estimation").await.json();
    assert_eq!(fee["usdc"], "0.01644666445335518319452825472");
}

#[tokio::test]
async fn internal_wallets_whitelist_and_history() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let internal = api.get("/v1/wallet/internal").await.json();
    let usdc = internal.as_array().unwrap().iter().find(|w| w["currency"] == "usdc").unwrap().clone();
    let xrp = internal.as_array().unwrap().iter().find(|w| w["currency"] == "xrp").unwrap().clone();
    assert!(xrp["addressMemo"].is_string());

    let missing_currency =
        api.get(&format!("/v1/wallet/history?walletId={}&walletType=INTERNAL", usdc["id"].as_str().unwrap())).await;
    assert_eq!(missing_currency.json(), json!({ "message": "walletCurrency is required when walletType is INTERNAL" }));
    assert_eq!(api.get("/v1/wallet/whitelist").await.json(), json!({ "message": "currency is required" }));

    let dest = "0x742d35Cc6634C0532925a3b844Bc9e7595f0bEb1";
    let withdraw = json!({ "amount": "100.50", "recipientAddrss": dest, "recipientMemo": null, "sourceAddress": usdc["address"], "sourceMemo": null, "currency": "usdc" });
    let not_listed = api.post("/v1/wallet/internal/withdraw", withdraw.clone()).await;
    assert_eq!(not_listed.status, 422);

    let add = api
        .post(
            "/v1/wallet/whitelist",
            json!({ "wallets": [{ "currency": "usdc", "name": "Main", "beneficiaryFirstName": "Ada", "beneficiaryLastName": "Lovelace", "walletAddress": dest, "walletMemo": null }] }),
        )
        .await;
    assert_eq!(add.status, 201, "{}", add.text);
    let xrp_no_memo = api
        .post(
            "/v1/wallet/whitelist",
            json!({ "wallets": [{ "currency": "xrp", "name": "X", "beneficiaryFirstName": "A", "beneficiaryLastName": "L", "walletAddress": "rNxp4h8apvRis6mJf9Sh8C6iRxfrDWN7AA" }] }),
        )
        .await;
    assert_eq!(xrp_no_memo.status, 422);

    let listed = api.get("/v1/wallet/whitelist?currency=usdc").await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0]["lastUsedAt"].is_null());

    assert_eq!(api.post("/v1/wallet/internal/withdraw", withdraw.clone()).await.json(), json!({ "success": true }));
    let after = api.get("/v1/wallet/internal").await.json();
    let usdc_after = after.as_array().unwrap().iter().find(|w| w["currency"] == "usdc").unwrap();
    assert_eq!(usdc_after["balance"], "399.50");
    assert!(api.get("/v1/wallet/whitelist?currency=usdc").await.json()[0]["lastUsedAt"].is_string());
    let hist = api
        .get(&format!(
            "/v1/wallet/history?walletId={}&walletType=INTERNAL&walletCurrency=usdc",
            usdc["id"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(hist[0]["amount"], "100.50");

    let entry_id = listed[0]["id"].as_str().unwrap().to_string();
    let bad_delete =
        api.call(Method::DELETE, "/v1/wallet/whitelist", Some(json!({ "walletIds": [entry_id, "nope"] }))).await;
    assert_eq!((bad_delete.status.as_u16(), bad_delete.json()), (422, json!({ "message": "Invalid wallet ID" })));
    let delete = api.call(Method::DELETE, "/v1/wallet/whitelist", Some(json!({ "walletIds": [entry_id] }))).await;
    assert_eq!(delete.json(), json!({ "success": true }));
    assert!(api.get("/v1/wallet/whitelist?currency=usdc").await.json().as_array().unwrap().is_empty());
}

#[tokio::test]
async fn priorities_and_card_linked_wallets() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let prio = api.get("/v1/wallet/external/priority").await.json();
    let ids: Vec<u64> = prio.as_array().unwrap().iter().map(|w| w["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    let dup = api
        .call(Method::PUT, "/v1/wallet/external/priority", Some(json!({ "wallets": [{ "id": ids[0], "priority": 1 }, { "id": ids[1], "priority": 1 }, { "id": ids[2], "priority": 2 }] })))
        .await;
    assert_eq!((dup.status.as_u16(), dup.json()), (422, json!({ "message": "Invalid priority configuration" })));
    let partial = api
        .call(
            Method::PUT,
            "/v1/wallet/external/priority",
            Some(json!({ "wallets": [{ "id": ids[0], "priority": 1 }] })),
        )
        .await;
    assert_eq!(partial.status, 200);
    assert_eq!(partial.json()["success"], false);
    let swap = json!({ "wallets": [{ "id": ids[0], "priority": 3 }, { "id": ids[1], "priority": 1 }, { "id": ids[2], "priority": 2 }] });
    assert_eq!(
        api.call(Method::PUT, "/v1/wallet/external/priority", Some(swap)).await.json(),
        json!({ "success": true })
    );
    assert_eq!(api.get("/v1/wallet/external/priority").await.json()[0]["id"], ids[1]);
    let external = api.get("/v1/wallet/external").await.json();
    assert_eq!(external[0]["id"], ids[1], "the undocumented numeric id is the priority id");
    assert_eq!(external[0]["priority"], 1);
    assert_eq!(external[0]["currency"], "usdt");

    let internal = api.get("/v1/wallet/internal").await.json();
    let address_ids: Vec<String> =
        internal.as_array().unwrap().iter().map(|w| w["addressId"].as_str().unwrap().to_string()).collect();
    let linked = api.get("/v1/wallet/internal/card_linked").await.json();
    assert_eq!(linked.as_array().unwrap().len(), 1);
    let already = api.post("/v1/wallet/internal/card_linked", json!({ "addressId": linked[0]["id"] })).await;
    assert_eq!((already.status.as_u16(), already.json()["success"].clone()), (200, json!(false)));
    let unknown = api.post("/v1/wallet/internal/card_linked", json!({ "addressId": "nope" })).await;
    assert_eq!(unknown.json()["success"], false);
    let to_link: Vec<&String> = address_ids.iter().filter(|a| **a != linked[0]["id"]).collect();
    for a in &to_link {
        let r = api.post("/v1/wallet/internal/card_linked", json!({ "addressId": a })).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let linked = api.get("/v1/wallet/internal/card_linked").await.json();
    assert_eq!(linked.as_array().unwrap().len(), 4);
    let dup = api
        .call(Method::PUT, "/v1/wallet/internal/card_linked/priority", Some(json!({ "wallets": [{ "addressId": to_link[0], "priority": 1 }, { "addressId": to_link[1], "priority": 1 }] })))
        .await;
    assert_eq!(dup.json(), json!({ "message": "Duplicate priority values not allowed" }));
    // Omitted wallets are unlinked, as the docs warn.
    let two =
        json!({ "wallets": [{ "addressId": to_link[0], "priority": 1 }, { "addressId": to_link[1], "priority": 2 }] });
    assert_eq!(
        api.call(Method::PUT, "/v1/wallet/internal/card_linked/priority", Some(two)).await.json(),
        json!({ "success": true })
    );
    let linked = api.get("/v1/wallet/internal/card_linked").await.json();
    assert_eq!(linked.as_array().unwrap().len(), 2);
    assert_eq!(linked[0]["id"], to_link[0].as_str());
    let unlink =
        api.call(Method::DELETE, "/v1/wallet/internal/card_linked", Some(json!({ "addressId": to_link[0] }))).await;
    assert_eq!(unlink.json(), json!({ "success": true }));
    let again =
        api.call(Method::DELETE, "/v1/wallet/internal/card_linked", Some(json!({ "addressId": to_link[0] }))).await;
    assert_eq!(again.json()["success"], false);
}

#[tokio::test]
async fn external_wallets_and_estimates_answer_in_live_forms() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let external = api.get("/v1/wallet/external").await;
    assert_eq!(external.status, 200);
    // The unlimited approval, exactly as the API writes it (beyond rust_decimal).
    let max = "115792089237316195423570985008687907853269984665640564039457.584007913129639935";
    let list = external.json();
    assert_eq!(list[0]["allowance"], max);
    assert!(max.parse::<Decimal>().is_err());
    // Another wallet's amounts are JSON numbers, written exactly.
    assert!(external.text.contains("\"balance\":500.000001"), "{}", external.text);
    assert!(external.text.contains("\"allowance\":1000,"), "{}", external.text);
    assert!(list[1]["balance"].is_number() && list[2]["balance"].is_string());
    for w in list.as_array().unwrap() {
        assert!(w["id"].is_u64() && w["priority"].is_u64(), "{w}");
    }

    // A maximum approval can be registered too (it is kept as text).
    let token = api.get("/v1/delegation/token").await.json()["token"].as_str().unwrap().to_string();
    let sig = "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW";
    let sol = json!({ "address": "DYw8jCTfwHNRJhhmFcbXvVDTqWMEVFBX6ZKUmG5CNSKK", "network": "solana", "currency": "usdc", "amount": max, "txHash": sig, "sigHash": sig, "sigMessage": "Prove wallet ownership", "token": token });
    assert_eq!(api.post("/v1/delegation/solana/post-approval", sol).await.status, 201);
    let after = api.get("/v1/wallet/external").await.json();
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["address"] == "DYw8jCTfwHNRJhhmFcbXvVDTqWMEVFBX6ZKUmG5CNSKK" && w["allowance"] == max)
    );

    // Fee estimates: wei beyond rust_decimal, the documented eth and usdc, an undocumented gasLimit.
    for path in ["/v1/wallet/credit/withdraw-estimation", "/v1/wallet/reward/withdraw-estimation"] {
        let fee = api.get(path).await.json();
        assert_eq!(fee["wei"], "123456789012345678901234567890");
        assert!(fee["wei"].as_str().unwrap().parse::<Decimal>().is_err());
        assert_eq!(
            (fee["eth"].as_str(), fee["usdc"].as_str()),
            (Some("0.000006219123007416"), Some("0.01644666445335518319452825472"))
        );
        assert_eq!(fee["gasLimit"], 21000);
    }

    // Undocumented members on the custodial wallets.
    let credit = api.get("/v1/wallet/credit").await.json();
    assert_eq!((credit["network"].as_str(), credit["lockedBalance"].as_str()), (Some("linea"), Some("0.00")));
}

#[tokio::test]
async fn a_whitelist_address_error_is_a_list_of_field_errors() {
    let sb = Sandbox::builder().start().await.unwrap();
    let api = Api::new(&sb).login(sb.user()).await;
    let bad = api
        .post(
            "/v1/wallet/whitelist",
            json!({ "wallets": [{ "currency": "usdc", "name": "Bad", "beneficiaryFirstName": "A", "beneficiaryLastName": "L", "walletAddress": "0x123" }] }),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        bad.json(),
        json!({ "errors": [{ "field": "wallets[0].walletAddress", "message": "0x123 is not a valid usdc address" }] })
    );
}
